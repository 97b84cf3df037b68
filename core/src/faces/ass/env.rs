//! `.env` content, as `POST /ass/v1/secrets/import` takes it: each `KEY=VALUE` line one secret.
//!
//! ```text
//! # a comment, and blank lines, are skipped
//! export OPENAI_API_KEY=sk-...        # `export ` is allowed; ` #` starts a comment
//! DB_URL="postgres://u:p@h/db\n"      # double quotes: \n \r \t \" \\ escapes
//! PEM='-----BEGIN KEY-----
//! ...
//! -----END KEY-----'                  # single quotes: literal, may span lines
//! ```
//!
//! A line that does not parse refuses the whole import, naming its line number and never its
//! text (a malformed line may be a value).

use crate::error::ApiError;
use crate::path::SecretPath;
use crate::value::check_value;

/// Most secrets one import may write.
pub const MAX_IMPORT_ENTRIES: usize = 100;

/// One `KEY=VALUE` of the content: the key is one path segment.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvEntry {
    pub key: String,
    pub value: String,
    /// The line the entry starts on.
    pub line: usize,
}

impl std::fmt::Debug for EnvEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvEntry")
            .field("key", &self.key)
            .field("value", &"[redacted]")
            .field("line", &self.line)
            .finish()
    }
}

fn bad_line(line: usize, why: &str) -> ApiError {
    ApiError::validation("content", format!("content line {line}: {why}")).with("line", line)
}

/// Parses `.env` content into its entries, in order. Duplicate keys, malformed lines, an empty
/// content and more than [`MAX_IMPORT_ENTRIES`] entries are refused.
pub fn parse(content: &str) -> Result<Vec<EnvEntry>, ApiError> {
    let lines: Vec<&str> = content.split('\n').collect();
    let mut entries: Vec<EnvEntry> = Vec::new();
    let mut index = 0;
    while let Some(raw) = lines.get(index) {
        let number = index + 1;
        index += 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw).trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, rest)) = line.split_once('=') else {
            return Err(bad_line(number, "expected KEY=VALUE"));
        };
        let key = key.trim_end();
        if key.contains('/') || SecretPath::parse(key).is_err() {
            return Err(bad_line(
                number,
                "the name before '=' must be one path segment of A-Z, a-z, 0-9, '.', '_' and '-'",
            ));
        }
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let (value, consumed) = quoted(
                    &lines,
                    index - 1,
                    rest.get(1..).unwrap_or(""),
                    quote,
                    number,
                )?;
                index += consumed;
                value
            }
            _ => unquoted(rest),
        };
        if let Some(first) = entries.iter().find(|e| e.key == key) {
            return Err(bad_line(
                number,
                &format!("'{key}' is already set on line {}", first.line),
            ));
        }
        check_value("content", &value)
            .map_err(|_| bad_line(number, "the value is longer than a secret may be (64 KiB)"))?;
        if entries.len() == MAX_IMPORT_ENTRIES {
            return Err(bad_line(
                number,
                &format!("an import writes at most {MAX_IMPORT_ENTRIES} secrets"),
            ));
        }
        entries.push(EnvEntry {
            key: key.to_owned(),
            value,
            line: number,
        });
    }
    if entries.is_empty() {
        return Err(ApiError::validation(
            "content",
            "content has no KEY=VALUE line to import",
        ));
    }
    Ok(entries)
}

/// An unquoted value: up to a `#` that starts it or follows a blank, trailing blanks trimmed.
fn unquoted(rest: &str) -> String {
    let mut value = String::new();
    let mut after_blank = true;
    for c in rest.chars() {
        if c == '#' && after_blank {
            break;
        }
        after_blank = c == ' ' || c == '\t';
        value.push(c);
    }
    value.trim_end().to_owned()
}

/// A quoted value starting after its opening quote on line `start` (0-based); it may run over
/// the following lines. Answers the value and how many more lines it took.
fn quoted(
    lines: &[&str],
    start: usize,
    first: &str,
    quote: char,
    number: usize,
) -> Result<(String, usize), ApiError> {
    let mut value = String::new();
    let mut text = first.to_owned();
    let mut consumed = 0;
    loop {
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == quote {
                let after = chars.as_str().trim();
                if !(after.is_empty() || after.starts_with('#')) {
                    return Err(bad_line(
                        number,
                        "only a comment may follow the closing quote",
                    ));
                }
                return Ok((value, consumed));
            }
            if c == '\\' && quote == '"' {
                match chars.next() {
                    Some('n') => value.push('\n'),
                    Some('r') => value.push('\r'),
                    Some('t') => value.push('\t'),
                    Some('"') => value.push('"'),
                    Some('\\') => value.push('\\'),
                    Some(other) => {
                        value.push('\\');
                        value.push(other);
                    }
                    None => value.push('\\'),
                }
                continue;
            }
            value.push(c);
        }
        consumed += 1;
        let Some(next) = lines.get(start + consumed) else {
            return Err(bad_line(number, "the quoted value is never closed"));
        };
        value.push('\n');
        text = next.strip_suffix('\r').unwrap_or(next).to_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(content: &str) -> Vec<(String, String)> {
        parse(content)
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect()
    }

    fn line_of(content: &str) -> u64 {
        let err = parse(content).unwrap_err();
        assert_eq!(err.status(), 422, "{err:?}");
        err.details["line"].as_u64().unwrap()
    }

    #[test]
    fn env_content_with_comments_exports_and_quotes_parses() {
        let content = "# header\n\nexport A=1\nB = two words # note\nC=\"x\\ny \\\"q\\\"\"\nD='lit\\n'\nE=\nF=a#b\r\nG=\"multi\nline\"\nH=x=y\n";
        assert_eq!(
            pairs(content),
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "x\ny \"q\"".into()),
                ("D".into(), "lit\\n".into()),
                ("E".into(), "".into()),
                ("F".into(), "a#b".into()),
                ("G".into(), "multi\nline".into()),
                ("H".into(), "x=y".into()),
            ]
        );
    }

    #[test]
    fn env_entries_remember_their_lines() {
        let entries = parse("A=1\n\nB='x\ny'\nC=3").unwrap();
        let lines: Vec<usize> = entries.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 3, 5]);
    }

    #[test]
    fn env_bad_lines_are_refused_by_line_number() {
        assert_eq!(line_of("A=1\nnot a pair\n"), 2);
        assert_eq!(line_of("A=1\n\nB/C=2"), 3);
        assert_eq!(line_of("A=1\nA=2"), 2);
        assert_eq!(line_of("=x"), 1);
        assert_eq!(line_of("A=1\nB=\"open\nC=3"), 2);
        assert_eq!(line_of("A='x' trailing"), 1);
        assert_eq!(line_of("A B=1"), 1);
        assert_eq!(line_of(&format!("A={}", "x".repeat(70_000))), 1);
    }

    #[test]
    fn env_refusals_never_echo_the_line() {
        let err = parse("A=1\nsk-live-secret-value").unwrap_err();
        assert!(!err.message.contains("sk-live"), "{}", err.message);
        let err = parse("sk-live-secret=\"unterminated").unwrap_err();
        assert!(!err.to_body().to_string().contains("unterminated\""));
    }

    #[test]
    fn env_without_entries_or_with_too_many_is_refused() {
        assert_eq!(parse("# nothing\n\n").unwrap_err().status(), 422);
        let many: String = (0..=MAX_IMPORT_ENTRIES)
            .map(|i| format!("K{i}=v\n"))
            .collect();
        assert_eq!(line_of(&many), (MAX_IMPORT_ENTRIES + 1) as u64);
    }
}
