//! Small argument grammars: durations, tags and `ENV=path#field` bindings.

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

/// One `--secret ENV=path[#field]` of `latchkey run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub env: String,
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

/// Parses `ENV=path[#field]`. Paths never hold `#` (the API's grammar), so the first `#`
/// starts the field. The variable name is a portable one: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn binding(text: &str) -> Result<Binding, String> {
    let (env, target) = text.split_once('=').ok_or_else(|| {
        format!("'{text}' is not ENV=path (e.g. DATABASE_URL=prod/db or DB_PASS=prod/db#password)")
    })?;
    let mut chars = env.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "'{env}' is not an environment variable name (letters, digits and '_', not starting with a digit)"
        ));
    }
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
        env: env.to_owned(),
        path: path.to_owned(),
        field,
    })
}

/// Refuses two bindings of one variable (the second would silently win).
pub fn check_unique(bindings: &[Binding]) -> Result<(), String> {
    for (index, binding) in bindings.iter().enumerate() {
        if bindings
            .iter()
            .skip(index + 1)
            .any(|other| other.env == binding.env)
        {
            return Err(format!("{} is bound twice", binding.env));
        }
    }
    Ok(())
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
                env: "DB_PASS".into(),
                path: "prod/db".into(),
                field: Some("password".into())
            }
        );
        let plain = binding("_X1=a/b").unwrap();
        assert_eq!(plain.field, None);
        assert_eq!(plain.source(), "a/b");
        for bad in ["X", "1X=a", "X-Y=a", "=a", "X=", "X=a#", "X=#f"] {
            assert!(binding(bad).is_err(), "{bad}");
        }
        let twice = [binding("A=x").unwrap(), binding("A=y").unwrap()];
        assert_eq!(check_unique(&twice).unwrap_err(), "A is bound twice");
        assert!(check_unique(&twice[..1]).is_ok());
    }
}
