//! JSON whose objects keep their members in the order they were written, and its text.
//!
//! `serde_json`'s map sorts its keys unless its `preserve_order` feature is on, and a feature
//! is unified across the workspace: turning it on here would change the key order of every
//! JSON the core writes in the host's tests. The document needs only this small value type.

use std::fmt::Write as _;

/// A JSON value; an object is a list of members in the order they were set.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i128),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

/// An object: `obj! { "type" => "string", "minLength" => 1 }`.
macro_rules! obj {
    ($($key:expr => $value:expr),* $(,)?) => {
        $crate::json::Json::Obj(vec![$((::std::string::String::from($key), $crate::json::Json::from($value))),*])
    };
}

/// An array: `arr!["a", "b"]`.
macro_rules! arr {
    ($($value:expr),* $(,)?) => {
        $crate::json::Json::Arr(vec![$($crate::json::Json::from($value)),*])
    };
}

pub(crate) use {arr, obj};

impl Json {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets the member `key` of an object: in its place when it is there, else last.
    /// Does nothing to a value that is not an object.
    pub fn set(&mut self, key: &str, value: impl Into<Json>) {
        let Json::Obj(members) = self else {
            return;
        };
        let value = value.into();
        match members.iter_mut().find(|(k, _)| k == key) {
            Some((_, slot)) => *slot = value,
            None => members.push((key.to_owned(), value)),
        }
    }

    /// The object with `key` set (see [`Json::set`]).
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Json>) -> Json {
        self.set(key, value);
        self
    }

    /// The object with its `description` set.
    #[must_use]
    pub fn describe(self, description: impl Into<Json>) -> Json {
        self.with("description", description)
    }

    /// The object with its `example` set.
    #[must_use]
    pub fn example(self, example: impl Into<Json>) -> Json {
        self.with("example", example)
    }

    /// The object with every member of `more` set, in order.
    #[must_use]
    pub fn merge(self, more: Json) -> Json {
        let Json::Obj(members) = more else {
            return self;
        };
        members
            .into_iter()
            .fold(self, |out, (key, value)| out.with(&key, value))
    }

    /// The keys of an object, in order.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Json::Obj(members) => members.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The text Python's `json.dumps(value, indent=1, ensure_ascii=False)` writes, which is
    /// what the document has always been: one space per level, `", "` never at line ends.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Json::Str(s) => write_str(out, s),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Obj(members) if members.is_empty() => out.push_str("{}"),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    indent(out, depth + 1);
                    item.write(out, depth + 1);
                }
                out.push('\n');
                indent(out, depth);
                out.push(']');
            }
            Json::Obj(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    indent(out, depth + 1);
                    write_str(out, key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                out.push('\n');
                indent(out, depth);
                out.push('}');
            }
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    out.extend(std::iter::repeat_n(' ', depth));
}

/// A string literal, escaped as Python's encoder does with `ensure_ascii=False`: quotes,
/// backslashes and the C0 controls; everything else as it is.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::Str(s.to_owned())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::Str(s)
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {
        $(impl From<$t> for Json {
            fn from(n: $t) -> Self {
                Json::Int(i128::from(n))
            }
        })*
    };
}
from_integer!(i32, i64, u16, u32, u64);

impl From<usize> for Json {
    fn from(n: usize) -> Self {
        // usize is at most 64 bits on every target this runs on.
        Json::Int(i128::try_from(n).unwrap_or(i128::MAX))
    }
}

impl From<Vec<Json>> for Json {
    fn from(items: Vec<Json>) -> Self {
        Json::Arr(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_writes_what_python_writes() {
        let value = obj! {
            "a" => arr![1, "x", Json::Null, true],
            "empty" => obj! {},
            "none" => arr![],
            "text" => "quote \" slash \\ newline \n tab \t bell \u{7} ≤ é",
        };
        assert_eq!(
            value.pretty(),
            "{\n \"a\": [\n  1,\n  \"x\",\n  null,\n  true\n ],\n \"empty\": {},\n \"none\": [],\n \
             \"text\": \"quote \\\" slash \\\\ newline \\n tab \\t bell \\u0007 ≤ é\"\n}"
        );
    }

    #[test]
    fn set_keeps_a_member_in_its_place() {
        let value = obj! { "a" => 1, "b" => 2 }.with("a", 3).with("c", 4);
        assert_eq!(value, obj! { "a" => 3, "b" => 2, "c" => 4 });
    }
}
