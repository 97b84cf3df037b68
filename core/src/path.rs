//! Secret paths: `/`-separated segments such as `production/openai/api-key`.
//!
//! The grammar is narrow on purpose: segments of `[A-Za-z0-9._-]`, so a path can never hold a
//! glob character, a control character, a separator of another kind or an encoding ambiguity.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

pub const MAX_PATH_BYTES: usize = 512;
pub const MAX_PATH_SEGMENTS: usize = 32;

/// A validated secret path. Only [`SecretPath::parse`] builds one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretPath(String);

impl SecretPath {
    /// Checks the whole grammar; the error says which rule the text breaks.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("path must not be empty".into());
        }
        if text.len() > MAX_PATH_BYTES {
            return Err(format!(
                "path is {} bytes; the limit is {MAX_PATH_BYTES}",
                text.len()
            ));
        }
        let mut segments = 0usize;
        for segment in text.split('/') {
            segments += 1;
            if segment.is_empty() {
                return Err("path has an empty segment (leading, trailing or doubled '/')".into());
            }
            if segment == "." || segment == ".." {
                return Err(format!("path segment '{segment}' is not allowed"));
            }
            if let Some(bad) = segment
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            {
                return Err(format!(
                    "path may contain only A-Z, a-z, 0-9, '.', '_', '-' and '/' (found {})",
                    describe_char(bad)
                ));
            }
        }
        if segments > MAX_PATH_SEGMENTS {
            return Err(format!(
                "path has {segments} segments; the limit is {MAX_PATH_SEGMENTS}"
            ));
        }
        Ok(SecretPath(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form a URL carries: `production%2Fopenai%2Fapi-key` (the grammar needs no other escape).
    pub fn url_encoded(&self) -> String {
        self.0.replace('/', "%2F")
    }

    /// The first segment: the secret's environment, and the unit of `namespace=` filters.
    pub fn namespace(&self) -> &str {
        self.0.split('/').next().unwrap_or(&self.0)
    }
}

/// Names a character without echoing control bytes into a message.
fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("'{c}'")
    }
}

impl fmt::Display for SecretPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SecretPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        SecretPath::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Decodes `%XX` escapes in one URL path segment. `+` stays `+` (that rule is for query
/// strings). Fails on a truncated or non-hex escape or on bytes that are not UTF-8.
pub fn percent_decode(segment: &str) -> Result<String, String> {
    // The crate keeps a malformed escape as it is written; a path segment with one is refused.
    let well_formed = segment.split('%').skip(1).all(|after| {
        after
            .as_bytes()
            .get(..2)
            .is_some_and(|pair| pair.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return Err("malformed percent-escape in URL".into());
    }
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| "URL escapes do not decode to UTF-8".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_seed_paths() {
        for ok in [
            "production/openai/api-key",
            "staging/openai/test-key",
            "a",
            "v1.2/key_name-3",
            "...a/b..",
        ] {
            assert_eq!(
                SecretPath::parse(ok).map(|p| p.to_string()),
                Ok(ok.to_string())
            );
        }
    }

    #[test]
    fn rejects_each_broken_rule() {
        let long = "a".repeat(MAX_PATH_BYTES + 1);
        let deep = vec!["a"; MAX_PATH_SEGMENTS + 1].join("/");
        for (bad, why) in [
            ("", "empty"),
            ("/a", "empty segment"),
            ("a/", "empty segment"),
            ("a//b", "empty segment"),
            ("a/./b", "'.'"),
            ("a/../b", "'..'"),
            ("..", "'..'"),
            ("a b", "U+0020"),
            ("a\u{0}b", "U+0000"),
            ("a\nb", "U+000A"),
            ("prod/*", "'*'"),
            ("é", "'é'"),
            ("a%2Fb", "'%'"),
            (long.as_str(), "limit is 512"),
            (deep.as_str(), "limit is 32"),
        ] {
            let err = SecretPath::parse(bad).expect_err(bad);
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn limits_are_inclusive() {
        assert!(SecretPath::parse(&"a".repeat(MAX_PATH_BYTES)).is_ok());
        assert!(SecretPath::parse(&vec!["a"; MAX_PATH_SEGMENTS].join("/")).is_ok());
    }

    #[test]
    fn namespace_is_first_segment() {
        let path = SecretPath::parse("production/openai/api-key").unwrap();
        assert_eq!(path.namespace(), "production");
        assert_eq!(SecretPath::parse("solo").unwrap().namespace(), "solo");
    }

    #[test]
    fn percent_decode_handles_seed_example() {
        assert_eq!(
            percent_decode("production%2Fopenai%2fapi-key").as_deref(),
            Ok("production/openai/api-key")
        );
        assert_eq!(percent_decode("a+b").as_deref(), Ok("a+b"));
        assert!(percent_decode("%2").is_err());
        assert!(percent_decode("%zz").is_err());
        assert!(percent_decode("%ff").is_err());
        for malformed in ["%", "a%", "%%41", "%4%41", "%+1", "%4g", "%é1"] {
            assert_eq!(
                percent_decode(malformed),
                Err("malformed percent-escape in URL".into()),
                "{malformed}"
            );
        }
        assert_eq!(
            percent_decode("%C3%A9%c3%a9"),
            Ok("éé".into()),
            "either hex case"
        );
        assert_eq!(
            percent_decode("%C3"),
            Err("URL escapes do not decode to UTF-8".into())
        );
    }

    proptest! {
        #[test]
        fn valid_paths_round_trip(segments in prop::collection::vec("[A-Za-z0-9_-][A-Za-z0-9._-]{0,15}", 1..=MAX_PATH_SEGMENTS)) {
            let text = segments.join("/");
            prop_assume!(text.len() <= MAX_PATH_BYTES);
            let parsed = SecretPath::parse(&text);
            prop_assert_eq!(parsed.map(|p| p.as_str().to_owned()), Ok(text));
        }

        #[test]
        fn parse_never_panics_and_accepted_paths_obey_the_grammar(text in "\\PC{0,80}|[a./]{0,20}") {
            if let Ok(path) = SecretPath::parse(&text) {
                let s = path.as_str();
                prop_assert!(!s.is_empty() && s.len() <= MAX_PATH_BYTES);
                prop_assert!(s.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != ".."));
                prop_assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b)));
            }
        }

        #[test]
        fn percent_encoding_round_trips(text in "\\PC{0,40}") {
            let encoded: String = text.bytes().map(|b| format!("%{b:02X}")).collect();
            prop_assert_eq!(percent_decode(&encoded), Ok(text));
        }
    }
}
