//! Small argument grammars: durations, tags, `NAME=path#field` bindings, `Name: value`
//! headers, HTTP methods and allowed-host rules.

use std::time::Duration;

/// `90`, `90s`, `15m`, `12h`, `7d` → seconds.
pub fn duration_secs(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => (text.get(..at).unwrap_or(""), c),
        _ => (text, 's'),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration; use e.g. 90, 90s, 15m, 12h or 7d"))?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{text}'; use s, m, h or d"
            ));
        }
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("'{text}' is too long"))
}

/// For clap: a duration as [`Duration`].
pub fn duration(text: &str) -> Result<Duration, String> {
    duration_secs(text).map(Duration::from_secs)
}

/// `key=value` (a tag, or a tag filter).
pub fn tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("'{text}' is not key=value")),
    }
}

/// One `--secret NAME=path[#field]`: an environment variable of `latchkey run`, or a
/// `{{NAME}}` placeholder of `latchkey proxy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    pub path: String,
    pub field: Option<String>,
}

impl Binding {
    /// How the binding reads in messages: `prod/db#password`.
    pub fn source(&self) -> String {
        match &self.field {
            Some(field) => format!("{}#{field}", self.path),
            None => self.path.clone(),
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`: a portable environment variable name, and a placeholder name.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The `path[#field]` after the `=` of a binding. Paths never hold `#` (the API's grammar),
/// so the first `#` starts the field.
fn bound_to(text: &str, name: &str, target: &str) -> Result<Binding, String> {
    let (path, field) = match target.split_once('#') {
        Some((path, field)) => {
            if field.is_empty() {
                return Err(format!("'{text}' has an empty field name after '#'"));
            }
            (path, Some(field.to_owned()))
        }
        None => (target, None),
    };
    if path.is_empty() {
        return Err(format!("'{text}' has no secret path after '='"));
    }
    Ok(Binding {
        name: name.to_owned(),
        path: path.to_owned(),
        field,
    })
}

/// Parses `ENV=path[#field]` (`latchkey run`). The variable name is a portable one:
/// `[A-Za-z_][A-Za-z0-9_]*`.
pub fn binding(text: &str) -> Result<Binding, String> {
    let (env, target) = text.split_once('=').ok_or_else(|| {
        format!("'{text}' is not ENV=path (e.g. DATABASE_URL=prod/db or DB_PASS=prod/db#password)")
    })?;
    if !is_identifier(env) {
        return Err(format!(
            "'{env}' is not an environment variable name (letters, digits and '_', not starting with a digit)"
        ));
    }
    bound_to(text, env, target)
}

/// The longest placeholder name the broker accepts.
pub const MAX_PLACEHOLDER_LEN: usize = 64;

/// Parses `NAME=path[#field]` (`latchkey proxy`): `{{NAME}}` in the URL's query, a header
/// or the body stands for the secret. NAME is `[A-Za-z_][A-Za-z0-9_]{0,63}`.
pub fn placeholder(text: &str) -> Result<Binding, String> {
    let (name, target) = text.split_once('=').ok_or_else(|| {
        format!(
            "'{text}' is not NAME=path (e.g. API_KEY=prod/openai/api-key or DB=prod/db#password)"
        )
    })?;
    if !is_identifier(name) || name.len() > MAX_PLACEHOLDER_LEN {
        return Err(format!(
            "'{name}' is not a placeholder name (letters, digits and '_', not starting with a \
             digit, at most {MAX_PLACEHOLDER_LEN} characters)"
        ));
    }
    bound_to(text, name, target)
}

/// Refuses two bindings of one name (the second would silently win).
pub fn check_unique(bindings: &[Binding]) -> Result<(), String> {
    for (index, binding) in bindings.iter().enumerate() {
        if bindings
            .iter()
            .skip(index + 1)
            .any(|other| other.name == binding.name)
        {
            return Err(format!("{} is bound twice", binding.name));
        }
    }
    Ok(())
}

/// The methods the broker sends (and that an allowed-host rule may name).
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// An HTTP method, in any case: `post` → `POST`.
pub fn method(text: &str) -> Result<String, String> {
    let upper = text.trim().to_ascii_uppercase();
    if METHODS.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(format!(
            "'{text}' is not a method the broker sends; use one of {}",
            METHODS.join(", ")
        ))
    }
}

/// A header name: one or more RFC 9110 `tchar`s, as the `http` crate (through ureq) checks it.
fn is_token(name: &str) -> bool {
    ureq::http::HeaderName::from_bytes(name.as_bytes()).is_ok()
}

/// `Name: value` (like curl's `-H`): the name is an HTTP token, the value is trimmed and may
/// be empty; line breaks and other control characters (but tab) are refused.
pub fn header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text.split_once(':').ok_or_else(|| {
        format!("'{text}' is not 'Name: value' (e.g. -H 'Authorization: Bearer {{{{API_KEY}}}}')")
    })?;
    let name = name.trim();
    if !is_token(name) {
        return Err(format!(
            "'{name}' is not a header name (letters, digits and !#$%&'*+-.^_`|~, no spaces)"
        ));
    }
    let value = value.trim_matches([' ', '\t']);
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "the value of header {name} holds a line break or another control character"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// One rule of a secret's `allowed_hosts`: where the broker may send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// A DNS name, `*.` + a DNS name, or an IP literal (no brackets, no port).
    pub host: String,
    /// Starts with `/`; matches on a segment boundary.
    pub path_prefix: Option<String>,
    /// Upper-case; empty for any method.
    pub methods: Vec<String>,
}

/// `[METHOD,…] HOST[/PATH_PREFIX]`, e.g. `api.openai.com`, `*.example.com`,
/// `api.openai.com/v1/` or `'GET,POST api.stripe.com/v1/charges'`. The host is lower-cased;
/// the server checks the rest of its grammar.
pub fn allowed_host(text: &str) -> Result<AllowedHost, String> {
    let trimmed = text.trim();
    let (methods, target) = match trimmed.split_once(char::is_whitespace) {
        Some((methods, target)) => (Some(methods), target.trim()),
        None => (None, trimmed),
    };
    let example =
        "use [METHOD,…] HOST[/PATH_PREFIX], e.g. api.openai.com/v1/ or 'GET,POST api.example.com'";
    if target.is_empty() || target.contains(char::is_whitespace) {
        return Err(format!("'{text}' is not an allowed host; {example}"));
    }
    if target.contains("://") {
        return Err(format!(
            "'{text}': give the host without a scheme (the broker calls https only); {example}"
        ));
    }
    let (host, path_prefix) = match target.split_once('/') {
        Some((host, rest)) => (host, Some(format!("/{rest}"))),
        None => (target, None),
    };
    if host.is_empty() {
        return Err(format!("'{text}' has no host; {example}"));
    }
    if host.starts_with('[') {
        return Err(format!(
            "'{text}': write an IPv6 address without brackets (e.g. ::1)"
        ));
    }
    if host.matches(':').count() == 1 {
        return Err(format!(
            "'{text}': no port, please (a rule matches every port of its host)"
        ));
    }
    let methods = match methods {
        Some(list) => list
            .split(',')
            .map(method)
            .collect::<Result<Vec<String>, String>>()?,
        None => Vec::new(),
    };
    Ok(AllowedHost {
        host: host.to_ascii_lowercase(),
        path_prefix,
        methods,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_secs("90").unwrap(), 90);
        assert_eq!(duration_secs("90s").unwrap(), 90);
        assert_eq!(duration_secs("15m").unwrap(), 900);
        assert_eq!(duration_secs("12h").unwrap(), 43_200);
        assert_eq!(duration_secs("7d").unwrap(), 604_800);
        assert!(duration_secs("1w").unwrap_err().contains("unknown unit"));
        assert!(duration_secs("h").is_err());
        assert!(duration_secs("-5").is_err());
        assert!(duration_secs("").is_err());
    }

    #[test]
    fn tags() {
        assert_eq!(tag("team=ml").unwrap(), ("team".into(), "ml".into()));
        assert_eq!(tag("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert_eq!(tag("empty=").unwrap(), ("empty".into(), String::new()));
        assert!(tag("=x").is_err());
        assert!(tag("x").is_err());
    }

    #[test]
    fn bindings() {
        assert_eq!(
            binding("DB_PASS=prod/db#password").unwrap(),
            Binding {
                name: "DB_PASS".into(),
                path: "prod/db".into(),
                field: Some("password".into())
            }
        );
        let plain = binding("_X1=a/b").unwrap();
        assert_eq!(plain.name, "_X1");
        assert_eq!(plain.field, None);
        assert_eq!(plain.source(), "a/b");
        for bad in ["X", "1X=a", "X-Y=a", "=a", "X=", "X=a#", "X=#f"] {
            assert!(binding(bad).is_err(), "{bad}");
        }
        let twice = [binding("A=x").unwrap(), binding("A=y").unwrap()];
        assert_eq!(check_unique(&twice).unwrap_err(), "A is bound twice");
        assert!(check_unique(&twice[..1]).is_ok());
    }

    #[test]
    fn placeholders_are_identifiers_of_at_most_64_characters() {
        let b = placeholder("API_KEY=prod/openai/api-key").unwrap();
        assert_eq!((b.name.as_str(), b.field), ("API_KEY", None));
        let f = placeholder("DB=prod/db#password").unwrap();
        assert_eq!(f.source(), "prod/db#password");
        let longest = format!("{}=a", "K".repeat(64));
        assert!(placeholder(&longest).is_ok());
        let too_long = format!("{}=a", "K".repeat(65));
        assert!(
            placeholder(&too_long)
                .unwrap_err()
                .contains("at most 64 characters")
        );
        for bad in [
            "KEY", "1KEY=a", "MY-KEY=a", "=a", "K=", "K=a#", "K=#f", "{{K}}=a",
        ] {
            assert!(placeholder(bad).is_err(), "{bad}");
        }
        assert!(placeholder("KEY").unwrap_err().contains("NAME=path"));
    }

    #[test]
    fn methods_are_upper_cased_and_checked() {
        assert_eq!(method("post").unwrap(), "POST");
        assert_eq!(method("OPTIONS").unwrap(), "OPTIONS");
        assert!(method("TRACE").unwrap_err().contains("GET, HEAD, POST"));
        assert!(method("").is_err());
    }

    #[test]
    fn headers_are_name_colon_value() {
        assert_eq!(
            header("Authorization: Bearer {{KEY}}").unwrap(),
            ("Authorization".into(), "Bearer {{KEY}}".into())
        );
        // The value is trimmed, may hold colons, and may be empty.
        assert_eq!(
            header("X-Url:  https://a:b@c \t").unwrap(),
            ("X-Url".into(), "https://a:b@c".into())
        );
        assert_eq!(
            header("X-Empty:").unwrap(),
            ("X-Empty".into(), String::new())
        );
        assert!(
            header("Authorization Bearer x")
                .unwrap_err()
                .contains("Name: value")
        );
        assert!(header(": x").unwrap_err().contains("not a header name"));
        assert!(
            header("Bad Name: x")
                .unwrap_err()
                .contains("not a header name")
        );
        assert!(
            header("X: a\r\nInjected: b")
                .unwrap_err()
                .contains("line break")
        );
        assert!(header("X: a\0").is_err());
        assert!(header("X: a\tb").is_ok());
    }

    #[test]
    fn header_names_are_rfc_9110_tokens() {
        for byte in 0..=0xff_u8 {
            let tchar = byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte);
            let name = format!("X{}", char::from(byte));
            assert_eq!(is_token(&name), tchar, "{name:?}");
        }
        assert!(!is_token(""));
        assert!(!is_token("X-É"));
    }

    #[test]
    fn allowed_hosts() {
        assert_eq!(
            allowed_host("API.OpenAI.com").unwrap(),
            AllowedHost {
                host: "api.openai.com".into(),
                path_prefix: None,
                methods: vec![]
            }
        );
        assert_eq!(
            allowed_host("get,Post  api.stripe.com/v1/charges").unwrap(),
            AllowedHost {
                host: "api.stripe.com".into(),
                path_prefix: Some("/v1/charges".into()),
                methods: vec!["GET".into(), "POST".into()]
            }
        );
        assert_eq!(allowed_host("*.example.com").unwrap().host, "*.example.com");
        assert_eq!(allowed_host("::1/v1").unwrap().host, "::1");
        assert_eq!(
            allowed_host("127.0.0.1/").unwrap().path_prefix.as_deref(),
            Some("/")
        );
        assert!(
            allowed_host("https://api.openai.com")
                .unwrap_err()
                .contains("scheme")
        );
        assert!(
            allowed_host("api.openai.com:443")
                .unwrap_err()
                .contains("port")
        );
        assert!(allowed_host("[::1]").unwrap_err().contains("brackets"));
        assert!(allowed_host("/v1").unwrap_err().contains("no host"));
        assert!(allowed_host("FETCH api.openai.com").is_err());
        assert!(allowed_host("GET a b").is_err());
        assert!(allowed_host("").is_err());
    }
}
