//! The config file: named profiles in a small subset of TOML.
//!
//! ```toml
//! default_profile = "prod"
//!
//! [profiles.prod]
//! url = "https://latchkey.example.com"
//! token_file = "tokens/prod.token"   # relative to this file's directory
//! ```
//!
//! Why a subset and not a TOML crate: the file holds only strings in named tables, which a
//! hundred lines parse and render with tests, instead of half a dozen more crates in a binary
//! that handles tokens. Every valid file of this subset is valid TOML, so other tools can read
//! it; anything outside the subset is refused with its line number rather than guessed at.

use crate::secret::Secret;
use std::collections::BTreeMap;
use std::fmt;

/// One profile: where the API is and where its token is.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub url: Option<String>,
    /// A file holding only the token (mode 0600); relative paths are relative to the config
    /// file's directory, `~/` is the home directory.
    pub token_file: Option<String>,
    /// The token itself, in the config file (which must then be mode 0600).
    pub token: Option<Secret>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("url", &self.url)
            .field("token_file", &self.token_file)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFile {
    pub default_profile: Option<String>,
    pub profiles: BTreeMap<String, Profile>,
}

/// A profile name: what `[profiles.NAME]` allows without quoting.
pub fn check_profile_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err("a profile name is 1 to 64 characters".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "profile name '{name}' may contain only A-Z, a-z, 0-9, '-' and '_'"
        ));
    }
    Ok(())
}

enum Section {
    Top,
    Profile(String),
}

impl ConfigFile {
    /// Parses the subset; the error names the line.
    pub fn parse(text: &str) -> Result<ConfigFile, String> {
        let mut config = ConfigFile::default();
        let mut section = Section::Top;
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let at = |why: String| format!("line {line_no}: {why}");
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(header) = line.strip_prefix('[') {
                let name = strip_comment(header)
                    .strip_suffix(']')
                    .ok_or_else(|| at("a table header ends with ']'".into()))?
                    .trim();
                let profile = name.strip_prefix("profiles.").ok_or_else(|| {
                    at(format!("unknown table [{name}]; expected [profiles.NAME]"))
                })?;
                let profile = unquote_key(profile.trim());
                check_profile_name(&profile).map_err(at)?;
                if config.profiles.contains_key(&profile) {
                    return Err(at(format!("profile '{profile}' is defined twice")));
                }
                config.profiles.insert(profile.clone(), Profile::default());
                section = Section::Profile(profile);
                continue;
            }
            let (key, rest) = line
                .split_once('=')
                .ok_or_else(|| at("expected key = \"value\"".into()))?;
            let key = key.trim();
            let value = parse_string(rest.trim()).map_err(at)?;
            match &section {
                Section::Top => match key {
                    "default_profile" => config.default_profile = Some(value),
                    other => {
                        return Err(at(format!(
                            "unknown setting '{other}'; expected default_profile or a [profiles.NAME] table"
                        )));
                    }
                },
                Section::Profile(name) => {
                    let profile = config
                        .profiles
                        .get_mut(name)
                        .ok_or_else(|| at("internal: profile vanished".into()))?;
                    let slot = match key {
                        "url" => &mut profile.url,
                        "token_file" => &mut profile.token_file,
                        "token" => {
                            profile.token = Some(Secret::new(value));
                            continue;
                        }
                        other => {
                            return Err(at(format!(
                                "unknown profile setting '{other}'; expected url, token_file or token"
                            )));
                        }
                    };
                    *slot = Some(value);
                }
            }
        }
        Ok(config)
    }

    /// The file's text. Comments are not kept.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# Latchkey CLI profiles (written by `latchkey login`; edits keep to this format).\n",
        );
        if let Some(default) = &self.default_profile {
            out.push_str(&format!("default_profile = {}\n", quote(default)));
        }
        for (name, profile) in &self.profiles {
            out.push_str(&format!("\n[profiles.{name}]\n"));
            if let Some(url) = &profile.url {
                out.push_str(&format!("url = {}\n", quote(url)));
            }
            if let Some(file) = &profile.token_file {
                out.push_str(&format!("token_file = {}\n", quote(file)));
            }
            if let Some(token) = &profile.token {
                out.push_str(&format!("token = {}\n", quote(token.expose())));
            }
        }
        out
    }
}

fn unquote_key(key: &str) -> String {
    key.strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .unwrap_or(key)
        .to_owned()
}

/// Drops a trailing `# comment` from text outside strings.
fn strip_comment(text: &str) -> &str {
    text.split_once('#')
        .map_or(text, |(before, _)| before)
        .trim()
}

/// A basic string `"…"` (escapes `\" \\ \n \t \r \uXXXX`) or a literal string `'…'`, then
/// optionally a comment.
fn parse_string(text: &str) -> Result<String, String> {
    let mut chars = text.chars();
    let (value, rest) = match chars.next() {
        Some('\'') => {
            let body = chars.as_str();
            let end = body
                .find('\'')
                .ok_or_else(|| "a literal string ends with '".to_owned())?;
            let (value, rest) = body.split_at(end);
            (value.to_owned(), rest.get(1..).unwrap_or(""))
        }
        Some('"') => {
            let mut value = String::new();
            let mut rest = None;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        rest = Some(chars.as_str());
                        break;
                    }
                    '\\' => value.push(match chars.next() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some('u') => {
                            let hex: String = chars.by_ref().take(4).collect();
                            u32::from_str_radix(&hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| format!("bad escape \\u{hex}"))?
                        }
                        other => {
                            return Err(format!("unsupported escape \\{}", other.unwrap_or(' ')));
                        }
                    }),
                    c if c.is_control() && c != '\t' => {
                        return Err("control character in a string".into());
                    }
                    c => value.push(c),
                }
            }
            (
                value,
                rest.ok_or_else(|| "a string ends with \"".to_owned())?,
            )
        }
        _ => return Err("values are quoted strings, e.g. url = \"https://…\"".into()),
    };
    let rest = rest.trim();
    if !rest.is_empty() && !rest.starts_with('#') {
        return Err(format!("unexpected text after the value: {rest}"));
    }
    Ok(value)
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
# my profiles
default_profile = "prod"   # the usual one

[profiles.prod]
url = "https://latchkey.example.com"
token_file = 'tokens/prod.token'

[profiles."local-dev"]
url = "http://127.0.0.1:8787"
token = "lk_live_tn_x_\"q\"\u0041"
"#;

    #[test]
    fn parses_profiles_with_comments_and_both_string_kinds() {
        let config = ConfigFile::parse(SAMPLE).unwrap();
        assert_eq!(config.default_profile.as_deref(), Some("prod"));
        let prod = &config.profiles["prod"];
        assert_eq!(prod.url.as_deref(), Some("https://latchkey.example.com"));
        assert_eq!(prod.token_file.as_deref(), Some("tokens/prod.token"));
        assert!(prod.token.is_none());
        let local = &config.profiles["local-dev"];
        assert_eq!(
            local.token.as_ref().unwrap().expose(),
            "lk_live_tn_x_\"q\"A"
        );
    }

    #[test]
    fn render_round_trips() {
        let config = ConfigFile::parse(SAMPLE).unwrap();
        let again = ConfigFile::parse(&config.render()).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn debug_redacts_inline_tokens() {
        let config = ConfigFile::parse(SAMPLE).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("lk_live"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn refuses_what_it_does_not_understand_with_the_line() {
        for (text, needle) in [
            ("[other]\n", "line 1: unknown table"),
            (
                "[profiles.a]\nurl = https://x\n",
                "line 2: values are quoted",
            ),
            (
                "[profiles.a]\ncolour = \"x\"\n",
                "line 2: unknown profile setting 'colour'",
            ),
            ("shade = \"x\"\n", "line 1: unknown setting"),
            (
                "[profiles.a]\n[profiles.a]\n",
                "line 2: profile 'a' is defined twice",
            ),
            ("[profiles.a b]\n", "line 1: profile name"),
            ("[profiles.a]\nurl = \"x\" y\n", "line 2: unexpected text"),
            ("[profiles.a]\nurl = \"x\n", "line 2: a string ends"),
            ("[profiles.a\n", "line 1: a table header ends"),
        ] {
            let err = ConfigFile::parse(text).unwrap_err();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn profile_names() {
        assert!(check_profile_name("prod_1-eu").is_ok());
        assert!(check_profile_name("").is_err());
        assert!(check_profile_name("a.b").is_err());
    }
}
