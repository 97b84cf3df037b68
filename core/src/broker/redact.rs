//! Redaction of the broker's responses: an upstream may echo a credential back (an error that
//! quotes the request, a debug endpoint, a token introspection), and whatever the broker
//! returns goes into the agent's context. Every occurrence of a substituted value is replaced
//! by `[REDACTED]`, in the forms an upstream is likely to write it:
//!
//! - as is, or with any of its characters percent-encoded (either hex case, `+` for a space)
//!   or JSON-escaped (`\"`, `\/`, `\uXXXX`, surrogate pairs for characters beyond the BMP);
//! - base64, standard or URL-safe, padded or not, at any of the three alignments inside a
//!   longer base64 text (`Basic base64(user:value)`); there only the characters the value
//!   alone decides are matched, so up to two characters at each edge may remain.
//!
//! Values shorter than [`MIN_VALUE_BYTES`] are not redacted: matching them would blank out
//! unrelated text, and no real credential is that short.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

pub const REDACTED: &str = "[REDACTED]";
pub const MIN_VALUE_BYTES: usize = 4;
/// A base64 run shorter than this is too likely to occur by chance.
const MIN_BASE64_CHARS: usize = 8;

/// What one character of a value may look like in the response.
#[derive(Debug, Clone)]
struct CharForms {
    /// The character's own UTF-8 bytes.
    literal: Vec<u8>,
    /// JSON escapes that stand for it (`\"`, `\n`, `\u00e9`, a surrogate pair…).
    json: Vec<Vec<u8>>,
    /// Whether `+` may stand for it (a space, in form encoding).
    plus: bool,
}

/// One form of a value to look for: a sequence of characters, each with its alternatives.
#[derive(Debug, Clone)]
struct Needle {
    chars: Vec<CharForms>,
}

fn json_escapes(c: char) -> Vec<Vec<u8>> {
    let mut forms = Vec::new();
    let short = match c {
        '"' => Some("\\\""),
        '\\' => Some("\\\\"),
        '/' => Some("\\/"),
        '\n' => Some("\\n"),
        '\r' => Some("\\r"),
        '\t' => Some("\\t"),
        '\u{8}' => Some("\\b"),
        '\u{c}' => Some("\\f"),
        _ => None,
    };
    if let Some(short) = short {
        forms.push(short.as_bytes().to_vec());
    }
    let mut units = [0u16; 2];
    let encoded: String = c
        .encode_utf16(&mut units)
        .iter()
        .map(|unit| format!("\\u{unit:04x}"))
        .collect();
    if c != '/' || forms.is_empty() {
        forms.push(encoded.clone().into_bytes());
        if encoded.to_ascii_uppercase() != encoded {
            // `\u00E9`: the hex digits, not the `u`, in upper case.
            let upper: String = encoded
                .split("\\u")
                .filter(|s| !s.is_empty())
                .map(|hex| format!("\\u{}", hex.to_ascii_uppercase()))
                .collect();
            forms.push(upper.into_bytes());
        }
    }
    forms
}

impl Needle {
    fn of_text(text: &str) -> Self {
        Needle {
            chars: text
                .chars()
                .map(|c| {
                    let mut literal = [0u8; 4];
                    CharForms {
                        literal: c.encode_utf8(&mut literal).as_bytes().to_vec(),
                        json: json_escapes(c),
                        plus: c == ' ',
                    }
                })
                .collect(),
        }
    }

    /// The end of a match starting at `at`, if one starts there. Per character the longer
    /// alternatives are tried first (`%25` before a literal `%`), without backtracking.
    fn match_at(&self, haystack: &[u8], at: usize) -> Option<usize> {
        let mut pos = at;
        for forms in &self.chars {
            pos = match_char(forms, haystack, pos)?;
        }
        Some(pos)
    }

    /// Bytes a match can start with.
    fn first_bytes(&self) -> [bool; 256] {
        let mut table = [false; 256];
        let mut set = |byte: u8| {
            if let Some(slot) = table.get_mut(usize::from(byte)) {
                *slot = true;
            }
        };
        if let Some(first) = self.chars.first() {
            if let Some(&b) = first.literal.first() {
                set(b);
            }
            set(b'%');
            if !first.json.is_empty() {
                set(b'\\');
            }
            if first.plus {
                set(b'+');
            }
        }
        table
    }
}

fn match_char(forms: &CharForms, haystack: &[u8], pos: usize) -> Option<usize> {
    let rest = haystack.get(pos..)?;
    // Percent-encoded bytes: every byte of the character as %XX (either case).
    if rest.first() == Some(&b'%') {
        let mut at = 0;
        let mut all = true;
        for &byte in &forms.literal {
            match (rest.get(at), rest.get(at + 1), rest.get(at + 2)) {
                (Some(b'%'), Some(&hi), Some(&lo))
                    if hex_value(hi) == Some(byte >> 4) && hex_value(lo) == Some(byte & 0xf) =>
                {
                    at += 3;
                }
                _ => {
                    all = false;
                    break;
                }
            }
        }
        if all {
            return Some(pos + at);
        }
    }
    for escape in &forms.json {
        if rest.starts_with(escape) {
            return Some(pos + escape.len());
        }
    }
    if rest.starts_with(&forms.literal) {
        return Some(pos + forms.literal.len());
    }
    if forms.plus && rest.first() == Some(&b'+') {
        return Some(pos + 1);
    }
    None
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// The base64 characters decided by `value` alone when it starts `offset` bytes into the
/// encoded data (0, 1 or 2), in both alphabets.
fn base64_cores(value: &[u8]) -> Vec<String> {
    let mut cores = Vec::new();
    for offset in 0..3usize {
        let mut data = vec![0u8; offset];
        data.extend_from_slice(value);
        for engine in [&STANDARD, &URL_SAFE] {
            let encoded = engine.encode(&data);
            // Characters are 6 bits; the value's bits run from 8*offset to 8*(offset+len).
            let first = (8 * offset).div_ceil(6);
            let bits_end = 8 * (offset + value.len());
            let last = bits_end / 6;
            if let Some(core) = encoded.get(first..last)
                && core.len() >= MIN_BASE64_CHARS
            {
                cores.push(core.to_owned());
            }
            if offset == 0 && encoded.len() >= MIN_BASE64_CHARS {
                // The whole encoding, padding included, and without padding.
                cores.push(encoded.clone());
                cores.push(encoded.trim_end_matches('=').to_owned());
            }
        }
    }
    cores.sort();
    cores.dedup();
    cores
}

/// Replaces every form of a set of values with `[REDACTED]`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    needles: Vec<Needle>,
}

impl Redactor {
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut needles = Vec::new();
        for value in values {
            if value.len() < MIN_VALUE_BYTES {
                continue;
            }
            needles.push(Needle::of_text(value));
            for core in base64_cores(value.as_bytes()) {
                needles.push(Needle::of_text(&core));
            }
        }
        Redactor { needles }
    }

    /// The redacted bytes and how many runs were replaced. Overlapping or touching matches
    /// (a value next to its own encoding) become one `[REDACTED]`.
    pub fn redact(&self, haystack: &[u8]) -> (Vec<u8>, usize) {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for needle in &self.needles {
            let starts = needle.first_bytes();
            let mut at = 0;
            while at < haystack.len() {
                let byte = haystack.get(at).copied().unwrap_or(0);
                if starts.get(usize::from(byte)).copied().unwrap_or(false)
                    && let Some(end) = needle.match_at(haystack, at)
                {
                    spans.push((at, end));
                    at = end;
                } else {
                    at += 1;
                }
            }
        }
        if spans.is_empty() {
            return (haystack.to_vec(), 0);
        }
        spans.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (start, end) in spans {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        let mut out = Vec::with_capacity(haystack.len());
        let mut copied = 0;
        for &(start, end) in &merged {
            out.extend_from_slice(haystack.get(copied..start).unwrap_or_default());
            out.extend_from_slice(REDACTED.as_bytes());
            copied = end;
        }
        out.extend_from_slice(haystack.get(copied..).unwrap_or_default());
        (out, merged.len())
    }

    /// [`Self::redact`] on text; the result is text again (matches start and end on
    /// character boundaries, and the replacement is ASCII).
    pub fn redact_str(&self, text: &str) -> (String, usize) {
        let (bytes, count) = self.redact(text.as_bytes());
        match String::from_utf8(bytes) {
            Ok(text) => (text, count),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "sk-live/ab+c d?e=f&g\"h\\é🔑0123";

    fn redacts_fully(redactor: &Redactor, text: &str) -> String {
        let (out, count) = redactor.redact_str(text);
        assert!(count >= 1, "nothing redacted in {text}");
        out
    }

    #[test]
    fn plain_occurrences_are_replaced_and_counted() {
        let r = Redactor::new(["supersecret"]);
        let (out, count) = r.redact_str("a supersecret b supersecretsupersecret");
        assert_eq!(out, "a [REDACTED] b [REDACTED]");
        assert_eq!(count, 2);
        assert_eq!(r.redact_str("nothing here"), ("nothing here".to_owned(), 0));
    }

    #[test]
    fn every_percent_encoding_is_replaced() {
        let r = Redactor::new([VALUE]);
        let strict = crate::broker::substitute::percent_encode_component(VALUE);
        let lower = strict
            .split('%')
            .enumerate()
            .map(|(i, s)| {
                if i == 0 {
                    s.to_owned()
                } else {
                    format!(
                        "{}{}",
                        s.get(..2).unwrap_or("").to_ascii_lowercase(),
                        s.get(2..).unwrap_or("")
                    )
                }
            })
            .collect::<Vec<_>>()
            .join("%");
        let form = strict.replace("%20", "+");
        // Python's quote() keeps '/': only some characters encoded.
        let partial = strict.replace("%2F", "/");
        for encoded in [strict, lower, form, partial] {
            let out = redacts_fully(&r, &format!("q={encoded}&x=1"));
            assert_eq!(out, "q=[REDACTED]&x=1", "{encoded}");
        }
    }

    #[test]
    fn json_escaped_forms_are_replaced() {
        let r = Redactor::new([VALUE]);
        let serde = serde_json::to_string(VALUE).unwrap();
        let ascii: String = VALUE
            .chars()
            .map(|c| match c {
                '"' => "\\\"".to_owned(),
                '\\' => "\\\\".to_owned(),
                '/' => "\\/".to_owned(),
                c if c.is_ascii() => c.to_string(),
                c => {
                    let mut units = [0u16; 2];
                    c.encode_utf16(&mut units)
                        .iter()
                        .map(|u| format!("\\u{u:04x}"))
                        .collect()
                }
            })
            .collect();
        for quoted in [serde, format!("\"{ascii}\"")] {
            let out = redacts_fully(&r, &format!("{{\"echo\":{quoted}}}"));
            assert_eq!(out, "{\"echo\":\"[REDACTED]\"}", "{quoted}");
        }
    }

    #[test]
    fn base64_forms_are_replaced_at_every_alignment() {
        let r = Redactor::new([VALUE]);
        for engine in [&STANDARD, &URL_SAFE] {
            let whole = engine.encode(VALUE);
            assert_eq!(redacts_fully(&r, &format!("[{whole}]")), "[[REDACTED]]");
            for prefix in ["", "u", "us", "user:"] {
                let embedded = engine.encode(format!("{prefix}{VALUE}!"));
                let out = redacts_fully(&r, &format!("Basic {embedded}"));
                // At most two characters of the value's encoding survive on each edge.
                let kept = out.replace("Basic ", "").replace(REDACTED, "");
                assert!(kept.len() <= 4 + prefix.len() * 4 / 3 + 4, "{out}");
            }
        }
    }

    #[test]
    fn overlapping_forms_become_one_redaction_and_bytes_stay_bytes() {
        let r = Redactor::new(["abcdefgh", "efghijkl"]);
        let (out, count) = r.redact(b"\xff\xfeabcdefghijkl\xff");
        assert_eq!(out, b"\xff\xfe[REDACTED]\xff");
        assert_eq!(count, 1);
    }

    #[test]
    fn short_values_are_not_redacted() {
        let r = Redactor::new(["abc"]);
        assert_eq!(r.redact_str("abc abc").1, 0);
    }

    #[test]
    fn redaction_is_linear_enough_for_a_mebibyte() {
        let r = Redactor::new(["%%%%%%%%", "\\\\\\\\\\\\"]);
        let haystack = "%".repeat(1 << 20);
        let (out, _) = r.redact(haystack.as_bytes());
        assert!(out.len() < haystack.len());
    }
}
