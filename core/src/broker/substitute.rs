//! `{{NAME}}` placeholders. A template is read once, left to right; what replaces a
//! placeholder is never read again, so a value that contains `{{OTHER}}` is sent as those
//! characters, not as another secret.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::borrow::Cow;

pub const MAX_NAME_BYTES: usize = 64;

/// A placeholder name: `[A-Za-z_][A-Za-z0-9_]{0,63}`.
pub fn is_name(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && text.len() <= MAX_NAME_BYTES
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// One piece of a template: literal text, or a placeholder's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits a template into pieces. `{{` that does not start `{{NAME}}` is text (JSON such as
/// `{{"a":1}}` passes through).
pub fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    let mut literal_start = 0;
    let mut offset = 0;
    while let Some(at) = rest.find("{{") {
        let after = &rest[at + 2..];
        // The name is the run of name characters right after `{{`, read at most one byte
        // past the longest name: the scan is linear whatever the text (a search for `}}`
        // from every `{{` was quadratic on a body of `{{{{…`).
        let run = after
            .bytes()
            .take(MAX_NAME_BYTES + 1)
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let placeholder = after
            .get(..run)
            .filter(|name| is_name(name) && after.get(run..run + 2) == Some("}}"));
        match placeholder {
            Some(name) => {
                let start = offset + at;
                if start > literal_start {
                    out.push(Piece::Text(&template[literal_start..start]));
                }
                out.push(Piece::Placeholder(name));
                let consumed = at + 2 + name.len() + 2;
                offset += consumed;
                literal_start = offset;
                rest = &rest[consumed..];
            }
            None => {
                // Step one byte past this `{`: `{{{NAME}}` is `{` and a placeholder.
                offset += at + 1;
                rest = &rest[at + 1..];
            }
        }
    }
    if literal_start < template.len() {
        out.push(Piece::Text(&template[literal_start..]));
    }
    out
}

/// The placeholder names a template uses, in order, with repeats.
pub fn names(template: &str) -> Vec<&str> {
    pieces(template)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Placeholder(name) => Some(name),
            Piece::Text(_) => None,
        })
        .collect()
}

/// Replaces every placeholder with `value(name)`, in one pass. The caller has checked every
/// name is declared; an undeclared one (`None`) is left as written.
pub fn substitute<'v>(template: &str, value: impl Fn(&str) -> Option<Cow<'v, str>>) -> String {
    let mut out = String::with_capacity(template.len());
    for piece in pieces(template) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(name) => match value(name) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push_str("{{");
                    out.push_str(name);
                    out.push_str("}}");
                }
            },
        }
    }
    out
}

/// What is encoded (named like the crate's `NON_ALPHANUMERIC`): every byte but RFC 3986's
/// unreserved characters `A-Z a-z 0-9 - . _ ~`; non-ASCII bytes always are.
const NON_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986's unreserved characters (upper-case hex): a value
/// placed in a query stays one query value whatever it holds (`&`, `=`, `#`, spaces).
pub fn percent_encode_component(value: &str) -> String {
    utf8_percent_encode(value, NON_UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<Cow<'a, str>> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| Cow::Borrowed(*v))
        }
    }

    #[test]
    fn names_follow_the_grammar() {
        for good in ["A", "_", "API_KEY", "k1", &"a".repeat(64)] {
            assert!(is_name(good), "{good}");
        }
        for bad in ["", "1A", "A-B", "A B", "ä", &"a".repeat(65), "A.B"] {
            assert!(!is_name(bad), "{bad}");
        }
    }

    #[test]
    fn placeholders_are_replaced_everywhere_they_appear() {
        let out = substitute(
            "Bearer {{KEY}} and {{KEY}}{{OTHER}}",
            with(&[("KEY", "k"), ("OTHER", "o")]),
        );
        assert_eq!(out, "Bearer k and ko");
    }

    #[test]
    fn a_value_is_never_substituted_again() {
        let out = substitute("{{A}}|{{B}}", with(&[("A", "{{B}}"), ("B", "secret-b")]));
        assert_eq!(out, "{{B}}|secret-b");
        let out = substitute("{{A}}", with(&[("A", "{{A}}")]));
        assert_eq!(out, "{{A}}");
    }

    #[test]
    fn braces_that_are_not_placeholders_pass_through() {
        let template = r#"{{"a":1}} {{ KEY }} {{KEY} {KEY}} {{{KEY}}} {{}}"#;
        assert_eq!(names(template), vec!["KEY"]);
        assert_eq!(
            substitute(template, with(&[("KEY", "v")])),
            r#"{{"a":1}} {{ KEY }} {{KEY} {KEY}} {v} {{}}"#
        );
    }

    #[test]
    fn undeclared_names_are_left_as_written() {
        assert_eq!(substitute("x{{NOPE}}y", with(&[])), "x{{NOPE}}y");
    }

    #[test]
    fn query_values_are_percent_encoded_whole() {
        assert_eq!(
            percent_encode_component("a b&c=d/é~"),
            "a%20b%26c%3Dd%2F%C3%A9~"
        );
        // Every ASCII character: unreserved ones as they are, the rest `%XX` in upper case.
        for byte in 0..=0x7f_u8 {
            let c = char::from(byte);
            let expected = if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                c.to_string()
            } else {
                format!("%{byte:02X}")
            };
            assert_eq!(percent_encode_component(&c.to_string()), expected);
        }
    }

    #[test]
    fn scanning_is_linear_on_braces_and_long_runs() {
        for template in [
            "{".repeat(1 << 20),
            "{{A".repeat(1 << 18),
            format!("{{{{{}", "A".repeat(1 << 20)),
        ] {
            let started = std::time::Instant::now();
            assert!(names(&template).is_empty());
            assert!(started.elapsed() < std::time::Duration::from_secs(2));
        }
    }

    #[test]
    fn pieces_reassemble_the_template() {
        for template in ["", "plain", "{{A}}", "a{{A}}b{{", "}}{{A}}}}", "{{{{A}}}}"] {
            let joined: String = pieces(template)
                .into_iter()
                .map(|p| match p {
                    Piece::Text(t) => t.to_owned(),
                    Piece::Placeholder(n) => format!("{{{{{n}}}}}"),
                })
                .collect();
            assert_eq!(joined, template);
        }
    }
}
