//! Redaction of the broker's responses: an upstream may echo a credential back (an error that
//! quotes the request, a debug endpoint, a token introspection), and whatever the broker
//! returns goes into the agent's context. Every occurrence of a substituted value is replaced
//! by `[REDACTED]`, in the forms an upstream is likely to write it:
//!
//! - as is (an exact search, so no choice between forms can hide it);
//! - with any of its characters percent-encoded, once or more (`%2B`, `%252B`; either hex
//!   case), `+` or a space for a space, a space for a `+` (form decoding), or JSON-escaped
//!   (`\"`, `\/`, `\uXXXX` in either case, surrogate pairs beyond the BMP), or as an HTML
//!   character reference (`&#115;`, `&#x73;`, `&#X73;`, leading zeros, the `;` optional as
//!   HTML decoders read it; `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` in either case; escaped
//!   again up to [`MAX_HTML_DEPTH`] times, `&amp;#115;`);
//! - base64, standard or URL-safe, padded or not, at any of the three alignments inside a
//!   longer base64 text (`Basic base64(user:value)`), line breaks allowed between characters
//!   (MIME, PEM, JSON `\n`); there only the characters the value alone decides are matched,
//!   so up to two characters at each edge may remain.
//!
//! Header names are checked too, ignoring ASCII case (the runtime lowercases them):
//! [`Redactor::found_ignoring_case`].
//!
//! Values shorter than [`MIN_VALUE_BYTES`] are not redacted: matching them would blank out
//! unrelated text, and no real credential is that short. The work is bounded
//! ([`STEPS_PER_BYTE`]): an answer that would take longer to check is not returned at all.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use std::fmt;

pub const REDACTED: &str = "[REDACTED]";
pub const MIN_VALUE_BYTES: usize = 4;
/// A base64 run shorter than this is too likely to occur by chance.
const MIN_BASE64_CHARS: usize = 8;
/// Character comparisons allowed per byte of answer, beyond one per form of a value (and at
/// least [`MIN_STEPS`]): near-misses of a long, repetitive value against a long answer would
/// otherwise cost |value| × |answer|.
pub const STEPS_PER_BYTE: usize = 64;
const MIN_STEPS: usize = 1 << 22;
/// Digits a numeric HTML character reference may have (leading zeros included): what one
/// character costs to match stays bounded.
pub const MAX_HTML_DIGITS: usize = 16;
/// How many times an HTML reference may have been escaped again (`&amp;amp;#115;` is 3).
pub const MAX_HTML_DEPTH: usize = 3;

/// The answer could not be checked within the work bound; it must not be returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unredactable;

/// One form of a value to look for: its characters, each of which may appear in several
/// spellings (worked out while matching, so a 64 KiB value costs 256 KiB, not a table).
struct Needle {
    chars: Vec<char>,
    /// Base64: line breaks may sit between characters.
    wrapped: bool,
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// `%XX`, `%25XX`, `%2525XX`…: one byte percent-encoded once or more. The end, if it is there.
fn percent_byte(haystack: &[u8], mut at: usize, byte: u8) -> Option<usize> {
    if haystack.get(at) != Some(&b'%') {
        return None;
    }
    at += 1;
    // Each extra encoding of the `%` itself adds `25`, unless `25` is the byte wanted.
    loop {
        let (hi, lo) = (*haystack.get(at)?, *haystack.get(at + 1)?);
        if hex_value(hi) == Some(byte >> 4) && hex_value(lo) == Some(byte & 0xf) {
            return Some(at + 2);
        }
        if hi == b'2' && lo == b'5' {
            at += 2;
            continue;
        }
        return None;
    }
}

/// Four hex digits after `\u`: the UTF-16 code unit.
fn json_unit(haystack: &[u8], at: usize) -> Option<(u16, usize)> {
    if haystack.get(at..at + 2) != Some(&b"\\u"[..]) {
        return None;
    }
    let mut unit = 0u16;
    for i in 0..4 {
        unit = unit * 16 + u16::from(hex_value(*haystack.get(at + 2 + i)?)?);
    }
    Some((unit, at + 6))
}

fn short_escape(c: char) -> Option<&'static [u8]> {
    Some(match c {
        '"' => b"\\\"",
        '\\' => b"\\\\",
        '/' => b"\\/",
        '\n' => b"\\n",
        '\r' => b"\\r",
        '\t' => b"\\t",
        '\u{8}' => b"\\b",
        '\u{c}' => b"\\f",
        _ => return None,
    })
}

/// The rest of one HTML character reference after its `&`, at `at`: the character and where
/// the reference ends. Numeric references in decimal or hex (`x` or `X`) with at most
/// [`MAX_HTML_DIGITS`] digits, the `;` optional (as HTML decoders read `&#115`); the named
/// references of `& < > " '` in either case (HTML has `&AMP;`, and `&amp` without `;`), the
/// `;` optional but for `&apos;`.
fn html_reference(haystack: &[u8], at: usize) -> Option<(char, usize)> {
    let rest = haystack.get(at..)?;
    if let Some(numeric) = rest.strip_prefix(b"#") {
        let (radix, skip) = match numeric.first() {
            Some(b'x' | b'X') => (16, 1),
            _ => (10, 0),
        };
        let digits = numeric.get(skip..)?;
        let run = digits
            .iter()
            .take(MAX_HTML_DIGITS + 1)
            .take_while(|b| char::from(**b).is_digit(radix))
            .count();
        if run == 0 || run > MAX_HTML_DIGITS {
            return None;
        }
        let text = std::str::from_utf8(digits.get(..run)?).ok()?;
        let c = u32::from_str_radix(text, radix)
            .ok()
            .and_then(char::from_u32)?;
        let end = at + 1 + skip + run;
        return Some((c, end + usize::from(haystack.get(end) == Some(&b';'))));
    }
    for (name, c, semicolon_optional) in [
        (&b"amp"[..], '&', true),
        (b"lt", '<', true),
        (b"gt", '>', true),
        (b"quot", '"', true),
        (b"apos", '\'', false),
    ] {
        if rest
            .get(..name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
        {
            let end = at + name.len();
            return if haystack.get(end) == Some(&b';') {
                Some((c, end + 1))
            } else if semicolon_optional {
                Some((c, end))
            } else {
                None
            };
        }
    }
    None
}

/// `c` as an HTML character reference at `pos`, escaped once or up to [`MAX_HTML_DEPTH`]
/// times (each extra escape turns the reference's `&` into `&amp;`: `&amp;#115;`). The end,
/// if it is there. The work is bounded: at most [`MAX_HTML_DEPTH`] references are read.
fn html_char(c: char, haystack: &[u8], pos: usize) -> Option<usize> {
    if haystack.get(pos) != Some(&b'&') {
        return None;
    }
    html_after_amp(c, haystack, pos + 1, MAX_HTML_DEPTH)
}

/// The reference after an `&` (at `at`); an `&amp;` is first read as the `&` of a reference
/// escaped once more (`&amp;amp;` is `&` escaped twice), then as `&` itself.
fn html_after_amp(c: char, haystack: &[u8], at: usize, depth: usize) -> Option<usize> {
    if depth == 0 {
        return None;
    }
    let (found, end) = html_reference(haystack, at)?;
    if found == '&'
        && let Some(deeper) = html_after_amp(c, haystack, end, depth - 1)
    {
        return Some(deeper);
    }
    (found == c).then_some(end)
}

/// The end of one spelling of `c` at `pos`. Longer spellings are tried first (`%25` before a
/// literal `%`); the exact search covers the plain value, so no backtracking is needed. With
/// `fold`, a literal character matches in either ASCII case.
fn match_char(c: char, haystack: &[u8], pos: usize, fold: bool) -> Option<usize> {
    let mut utf8 = [0u8; 4];
    let literal = c.encode_utf8(&mut utf8).as_bytes();
    let first = *haystack.get(pos)?;
    if first == b'%' {
        let mut at = pos;
        let mut whole = true;
        for &byte in literal {
            match percent_byte(haystack, at, byte) {
                Some(end) => at = end,
                None => {
                    whole = false;
                    break;
                }
            }
        }
        if whole {
            return Some(at);
        }
    }
    if first == b'\\' {
        if let Some(escape) = short_escape(c)
            && haystack.get(pos..pos + escape.len()) == Some(escape)
        {
            return Some(pos + escape.len());
        }
        let mut units = [0u16; 2];
        let wanted = c.encode_utf16(&mut units);
        let mut at = pos;
        let mut whole = true;
        for &unit in wanted.iter() {
            match json_unit(haystack, at) {
                Some((found, end)) if found == unit => at = end,
                _ => {
                    whole = false;
                    break;
                }
            }
        }
        if whole {
            return Some(at);
        }
    }
    if first == b'&'
        && let Some(end) = html_char(c, haystack, pos)
    {
        return Some(end);
    }
    if haystack
        .get(pos..pos + literal.len())
        .is_some_and(|h| h == literal || (fold && h.eq_ignore_ascii_case(literal)))
    {
        return Some(pos + literal.len());
    }
    // Form encoding: `+` for a space; and form decoding: a space for a `+`.
    if (c == ' ' && first == b'+') || (c == '+' && first == b' ') {
        return Some(pos + 1);
    }
    None
}

/// Line breaks between base64 characters: CR, LF, or their JSON escapes.
fn skip_line_breaks(haystack: &[u8], mut at: usize) -> usize {
    loop {
        match haystack.get(at..) {
            Some([b'\r' | b'\n', ..]) => at += 1,
            Some([b'\\', b'r' | b'n', ..]) => at += 2,
            _ => return at,
        }
    }
}

impl Needle {
    fn new(text: &str, wrapped: bool) -> Self {
        Needle {
            chars: text.chars().collect(),
            wrapped,
        }
    }

    fn match_at(&self, haystack: &[u8], at: usize, steps: &mut usize, fold: bool) -> Option<usize> {
        let mut pos = at;
        for (i, &c) in self.chars.iter().enumerate() {
            *steps += 1;
            if self.wrapped && i > 0 {
                pos = skip_line_breaks(haystack, pos);
            }
            pos = match_char(c, haystack, pos, fold)?;
        }
        Some(pos)
    }

    /// Bytes a match can start with (in either ASCII case with `fold`).
    fn first_bytes(&self, fold: bool) -> [bool; 256] {
        let mut table = [false; 256];
        let mut set = |byte: u8| {
            if let Some(slot) = table.get_mut(usize::from(byte)) {
                *slot = true;
            }
        };
        if let Some(&first) = self.chars.first() {
            let mut utf8 = [0u8; 4];
            if let Some(&b) = first.encode_utf8(&mut utf8).as_bytes().first() {
                set(b);
                if fold {
                    set(b.to_ascii_lowercase());
                    set(b.to_ascii_uppercase());
                }
            }
            set(b'%');
            set(b'\\');
            set(b'&');
            match first {
                ' ' => set(b'+'),
                '+' => set(b' '),
                _ => {}
            }
        }
        table
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
            let last = 8 * (offset + value.len()) / 6;
            if let Some(core) = encoded.get(first..last)
                && core.len() >= MIN_BASE64_CHARS
            {
                cores.push(core.to_owned());
            }
            if offset == 0 && encoded.len() >= MIN_BASE64_CHARS {
                // The whole encoding, padding included.
                cores.push(encoded);
            }
        }
    }
    cores.sort();
    cores.dedup();
    cores
}

/// Replaces every form of a set of values with `[REDACTED]`. `Debug` shows counts only.
#[derive(Default)]
pub struct Redactor {
    /// The values as they are, for the exact search.
    exact: Vec<Vec<u8>>,
    needles: Vec<Needle>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("values", &self.exact.len())
            .field("forms", &self.needles.len())
            .finish()
    }
}

impl Redactor {
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut redactor = Redactor::default();
        for value in values {
            if value.len() < MIN_VALUE_BYTES {
                continue;
            }
            redactor.exact.push(value.as_bytes().to_vec());
            redactor.needles.push(Needle::new(value, false));
            for core in base64_cores(value.as_bytes()) {
                redactor.needles.push(Needle::new(&core, true));
            }
        }
        redactor
    }

    /// Where the values are in `haystack`, in any form, within the work bound; with `fold`,
    /// literal characters match in either ASCII case.
    fn spans(&self, haystack: &[u8], fold: bool) -> Result<Vec<(usize, usize)>, Unredactable> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let folded;
        let exact_haystack = if fold {
            folded = haystack.to_ascii_lowercase();
            folded.as_slice()
        } else {
            haystack
        };
        for value in &self.exact {
            let value = if fold {
                std::borrow::Cow::Owned(value.to_ascii_lowercase())
            } else {
                std::borrow::Cow::Borrowed(value.as_slice())
            };
            for start in memchr::memmem::find_iter(exact_haystack, value.as_ref()) {
                spans.push((start, start + value.len()));
            }
        }
        let budget = haystack
            .len()
            .saturating_mul(STEPS_PER_BYTE + 2 * self.needles.len())
            .max(MIN_STEPS);
        let mut steps = 0usize;
        for needle in &self.needles {
            let starts = needle.first_bytes(fold);
            let mut at = 0;
            while at < haystack.len() {
                if steps > budget {
                    return Err(Unredactable);
                }
                let byte = haystack.get(at).copied().unwrap_or(0);
                steps += 1;
                if starts.get(usize::from(byte)).copied().unwrap_or(false)
                    && let Some(end) = needle.match_at(haystack, at, &mut steps, fold)
                {
                    spans.push((at, end));
                    at = end.max(at + 1);
                } else {
                    at += 1;
                }
            }
        }
        Ok(spans)
    }

    /// Whether any value is in `text` in any form, ignoring ASCII case: for header names,
    /// which the runtime lowercases (a value echoed into one is not redacted but dropped
    /// with its header). Within the same work bound as [`Self::redact`].
    pub fn found_ignoring_case(&self, text: &[u8]) -> Result<bool, Unredactable> {
        Ok(!self.spans(text, true)?.is_empty())
    }

    /// The redacted bytes and how many runs were replaced. Overlapping or touching matches
    /// (a value next to its own encoding) become one `[REDACTED]`.
    pub fn redact(&self, haystack: &[u8]) -> Result<(Vec<u8>, usize), Unredactable> {
        let mut spans = self.spans(haystack, false)?;
        if spans.is_empty() {
            return Ok((haystack.to_vec(), 0));
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
        Ok((out, merged.len()))
    }

    /// [`Self::redact`] on text; the result is text again (matches start and end on
    /// character boundaries, and the replacement is ASCII).
    pub fn redact_str(&self, text: &str) -> Result<(String, usize), Unredactable> {
        let (bytes, count) = self.redact(text.as_bytes())?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) => (text, count),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), count),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "sk-live/ab+c d?e=f&g\"h\\é🔑0123";

    fn redacts_fully(redactor: &Redactor, text: &str) -> String {
        let (out, count) = redactor.redact_str(text).unwrap();
        assert!(count >= 1, "nothing redacted in {text}");
        out
    }

    #[test]
    fn plain_occurrences_are_replaced_and_counted() {
        let r = Redactor::new(["supersecret"]);
        let (out, count) = r
            .redact_str("a supersecret b supersecretsupersecret")
            .unwrap();
        assert_eq!(out, "a [REDACTED] b [REDACTED]");
        assert_eq!(count, 2);
        assert_eq!(
            r.redact_str("nothing here").unwrap(),
            ("nothing here".to_owned(), 0)
        );
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
        let (out, count) = r.redact(b"\xff\xfeabcdefghijkl\xff").unwrap();
        assert_eq!(out, b"\xff\xfe[REDACTED]\xff");
        assert_eq!(count, 1);
    }

    #[test]
    fn short_values_are_not_redacted() {
        let r = Redactor::new(["abc"]);
        assert_eq!(r.redact_str("abc abc").unwrap().1, 0);
    }

    #[test]
    fn redaction_is_linear_enough_for_a_mebibyte() {
        let r = Redactor::new(["%%%%%%%%", "\\\\\\\\\\\\"]);
        let haystack = "%".repeat(1 << 20);
        let (out, _) = r.redact(haystack.as_bytes()).unwrap();
        assert!(out.len() < haystack.len());
    }

    #[test]
    fn values_that_look_encoded_are_found_as_written() {
        for value in ["p%25word1", "a\\\\b\\\\c1", "x%2By%2Fz"] {
            let r = Redactor::new([value]);
            assert_eq!(
                redacts_fully(&r, &format!("<{value}>")),
                "<[REDACTED]>",
                "{value}"
            );
        }
    }

    #[test]
    fn double_percent_encoding_and_form_decoding_are_replaced() {
        let r = Redactor::new(["abc+def/ghi="]);
        assert_eq!(
            redacts_fully(&r, "next=%2Fq%3Fk%3Dabc%252Bdef%252Fghi%253D"),
            "next=%2Fq%3Fk%3D[REDACTED]"
        );
        // A form decoder turned the value's '+' into a space.
        assert_eq!(redacts_fully(&r, "[abc def/ghi=]"), "[[REDACTED]]");
    }

    #[test]
    fn json_unicode_escapes_in_any_case_and_wrapped_base64_are_replaced() {
        let r = Redactor::new(["sk/live/0123456789"]);
        assert_eq!(
            redacts_fully(&r, r#""sk\u002Flive\u002f0123456789""#),
            r#""[REDACTED]""#
        );
        let encoded = STANDARD.encode("sk/live/0123456789");
        let (left, right) = encoded.split_at(10);
        let wrapped = format!("{left}\n{right}");
        assert_eq!(redacts_fully(&r, &wrapped), REDACTED);
        let json_wrapped = format!("{left}\\n{right}");
        assert_eq!(redacts_fully(&r, &json_wrapped), REDACTED);
    }

    #[test]
    fn near_misses_of_a_long_repetitive_value_hit_the_work_bound_not_the_cpu() {
        let value = format!("{}b", "a".repeat(64 * 1024 - 1));
        let r = Redactor::new([value.as_str()]);
        let haystack = "a".repeat(1 << 18);
        assert_eq!(r.redact(haystack.as_bytes()), Err(Unredactable));
        // Short answers are still checked in full.
        assert!(r.redact(b"nothing to see").is_ok());
    }

    /// `c` as the HTML reference `style` spells it.
    fn html(c: char, style: usize) -> String {
        let code = u32::from(c);
        match style {
            0 => format!("&#{code};"),
            1 => format!("&#x{code:x};"),
            2 => format!("&#X{code:X};"),
            3 => format!("&#000{code};"),
            4 => format!("&#x00{code:X};"),
            _ => format!("&#{code}"),
        }
    }

    #[test]
    fn html_character_references_are_replaced_in_every_style_and_mix() {
        let r = Redactor::new([VALUE]);
        for style in 0..6 {
            let whole: String = VALUE.chars().map(|c| html(c, style)).collect();
            assert_eq!(
                redacts_fully(&r, &format!("<p>{whole}</p>")),
                "<p>[REDACTED]</p>",
                "{style}: {whole}"
            );
            // Every third character plain, the others references of other styles (with their
            // `;`: without it a reference would swallow a digit that follows).
            let mixed: String = VALUE
                .chars()
                .enumerate()
                .map(|(i, c)| match i % 3 {
                    0 => html(c, (style + i) % 5),
                    1 => c.to_string(),
                    _ => html(c, 1),
                })
                .collect();
            assert_eq!(
                redacts_fully(&r, &format!("[{mixed}]")),
                "[[REDACTED]]",
                "{style}: {mixed}"
            );
        }
    }

    #[test]
    fn html_named_references_are_replaced() {
        let value = "a&b<c>d\"e'f-0123";
        let r = Redactor::new([value]);
        for escaped in [
            "a&amp;b&lt;c&gt;d&quot;e&#39;f-0123",
            "a&amp;b&lt;c&gt;d&quot;e&apos;f-0123",
            "a&AMP;b&LT;c&GT;d&QUOT;e&#x27;f-0123",
            "a&ampb&ltc&gtd&quote&#39f-0123",
            // Escaped twice and three times.
            "a&amp;amp;b&amp;lt;c&amp;gt;d&amp;quot;e&amp;#39;f-0123",
            "a&amp;amp;amp;b&amp;amp;lt;c>d\"e'f-0123",
            "a&#38;#38;b&#38;lt;c&gt;d&quot;e&#39;f-0123",
        ] {
            assert_eq!(
                redacts_fully(&r, &format!("<b>{escaped}</b>")),
                "<b>[REDACTED]</b>",
                "{escaped}"
            );
        }
        // `&apos` needs its `;`; a plain `&` stays a match for `&`.
        assert_eq!(
            r.redact_str("a&amp;b&lt;c&gt;d&quot;e&aposf-0123")
                .unwrap()
                .1,
            0
        );
        let amp = Redactor::new(["x&y&z&w"]);
        assert_eq!(redacts_fully(&amp, "x&amp;y&z&#38;w"), REDACTED);
    }

    #[test]
    fn html_references_have_bounded_digits_and_depth() {
        let r = Redactor::new(["secret-1"]);
        let digits = |n: usize| format!("&#{:0>n$};", 115, n = n);
        let at_bound = format!("{}ecret-1", digits(MAX_HTML_DIGITS));
        assert_eq!(redacts_fully(&r, &at_bound), REDACTED);
        let over = format!("{}ecret-1", digits(MAX_HTML_DIGITS + 1));
        assert_eq!(r.redact_str(&over).unwrap().1, 0);
        let deep = format!("&{}#115;ecret-1", "amp;".repeat(MAX_HTML_DEPTH - 1));
        assert_eq!(redacts_fully(&r, &deep), REDACTED);
        let deeper = format!("&{}#115;ecret-1", "amp;".repeat(MAX_HTML_DEPTH));
        assert_eq!(r.redact_str(&deeper).unwrap().1, 0);
        // Not a character: no match, no panic.
        for odd in [
            "&#xD800;ecret-1",
            "&#x110000;ecret-1",
            "&#;ecret-1",
            "&#x;ecret-1",
            "&",
        ] {
            assert_eq!(r.redact_str(odd).unwrap().1, 0, "{odd}");
        }
    }

    #[test]
    fn html_near_misses_stay_within_the_work_bound() {
        // Long runs of almost-references: each `&` reads at most MAX_HTML_DEPTH references of
        // at most MAX_HTML_DIGITS digits, so a mebibyte is checked (or refused) quickly.
        for filler in [
            "&amp;amp;amp;amp;",
            "&#0000000000000000",
            "&#x000000000000073;",
        ] {
            let haystack = filler.repeat((1 << 20) / filler.len());
            let r = Redactor::new(["ssssssss", "&&&&&&&&&&&&"]);
            let started = std::time::Instant::now();
            let _ = r.redact(haystack.as_bytes());
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "{filler}"
            );
        }
    }

    #[test]
    fn values_in_header_names_are_found_in_any_case_and_form() {
        let value = "Sk-Live_AbCdEf0123";
        let r = Redactor::new([value]);
        for name in [
            "x-echo-sk-live_abcdef0123",
            "X-ECHO-SK-LIVE_ABCDEF0123",
            &format!(
                "x-{}",
                URL_SAFE
                    .encode(value)
                    .to_ascii_lowercase()
                    .trim_end_matches('=')
            ),
            &format!(
                "x-{}",
                STANDARD.encode(format!("u:{value}")).to_ascii_lowercase()
            ),
            "x-sk-live%5fabcdef0123",
        ] {
            assert!(r.found_ignoring_case(name.as_bytes()).unwrap(), "{name}");
        }
        for name in ["x-echo-authorization", "content-type", "x-sk-live"] {
            assert!(!r.found_ignoring_case(name.as_bytes()).unwrap(), "{name}");
        }
    }

    #[test]
    fn debug_shows_no_value() {
        let r = Redactor::new(["hunter2-secret"]);
        assert!(!format!("{r:?}").contains("hunter2"));
    }
}
