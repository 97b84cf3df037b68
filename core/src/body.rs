//! JSON request bodies as serde types.
//!
//! Each body is a wire struct (`#[derive(Deserialize)] #[serde(deny_unknown_fields)]`) next
//! to the domain type it converts into, as zero2prod's `FormData` → `NewSubscriber`: the wire
//! struct says which members exist and what JSON type each has; the conversion applies the
//! rules (lengths, grammars, ranges that depend on the deployment) in the order the domain
//! states them. [`parse`] reads a body into its wire struct and names the member at fault in
//! every error, with the messages the API has always given:
//!
//! - not JSON, or not an object: 400 `invalid_request`;
//! - a member the struct does not have: 422 `unknown field 'x'; expected one of: a, b` (checked
//!   before anything else, so a typo is reported as such);
//! - a member of the wrong type: 422 `'x' must be …`, worded by the member types below;
//! - a required member absent or `null`: 422 `'x' is required`.
//!
//! The member at fault is the one [`parse`]'s reader was handing to serde when the error
//! came: what `serde_path_to_error` tracks, for the one level of members a body has (a list's
//! items are read one by one with [`parse_value`]). A reader of its own, because wrapping
//! every value's deserializer, as `serde_path_to_error` does, is code for every member type in
//! the Worker's wasm.

use crate::error::ApiError;
use serde::de::value::StrDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Reads a JSON object body into its wire struct `W`.
pub fn parse<W: DeserializeOwned>(bytes: &[u8]) -> Result<W, ApiError> {
    parse_value(json(bytes)?)
}

/// [`parse`] of a JSON value already read (an item of a list member).
pub fn parse_value<W: DeserializeOwned>(value: Value) -> Result<W, ApiError> {
    // Generic code is copied into the wasm once per body: only what needs `W` is here.
    let map = object_of(value, members::<W>())?;
    let mut member = None;
    W::deserialize(Members {
        map,
        member: &mut member,
    })
    .map_err(|error| member_error(member.as_deref(), &error))
}

fn json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_request(format!("request body is not valid JSON: {e}")))
}

/// The object's members, once none is unknown.
fn object_of(value: Value, allowed: &[&str]) -> Result<Map<String, Value>, ApiError> {
    let Value::Object(map) = value else {
        return Err(ApiError::invalid_request(
            "request body must be a JSON object",
        ));
    };
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::validation(
            unknown,
            format!(
                "unknown field '{unknown}'; expected one of: {}",
                allowed.join(", ")
            ),
        ));
    }
    Ok(map)
}

/// The error of `member` (`None`: the object as a whole): `'member' ` and what the member's
/// type said, or `'name' is required` when serde found a member missing.
fn member_error(member: Option<&str>, error: &serde_json::Error) -> ApiError {
    let message = error.to_string();
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return ApiError::validation(missing, format!("'{missing}' is required"));
    }
    let member = member.unwrap_or_default();
    ApiError::validation(member, format!("'{member}' {message}"))
}

/// A JSON object handed to a wire struct member by member, noting which member is being read.
struct Members<'a> {
    map: Map<String, Value>,
    member: &'a mut Option<String>,
}

impl<'de> Deserializer<'de> for Members<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(MemberAccess {
            members: self.map.into_iter(),
            value: None,
            member: self.member,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct MemberAccess<'a> {
    members: serde_json::map::IntoIter,
    value: Option<Value>,
    member: &'a mut Option<String>,
}

impl<'de> MapAccess<'de> for MemberAccess<'_> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((name, value)) = self.members.next() else {
            *self.member = None;
            return Ok(None);
        };
        self.value = Some(value);
        let key = seed.deserialize(StrDeserializer::<Self::Error>::new(&name));
        *self.member = Some(name);
        key.map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        seed.deserialize(self.value.take().unwrap_or(Value::Null))
    }
}

/// The members of the wire struct `W`, in declaration order: what serde's derive passes to
/// `deserialize_struct`, read by a deserializer that reads nothing else.
pub fn members<W: DeserializeOwned>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    let _ = W::deserialize(MemberNames(&mut names));
    names
}

struct MemberNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for MemberNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(Self::Error::custom("only the member names are read"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(Self::Error::custom("not a struct"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

// ------------------------------------------------------------------------ member types
//
// Each reads its member's JSON value and says, after the member's name, what it must be.
// The optional ones are `Default` (absent): give their members `#[serde(default)]`.

/// A required string: `null` is as absent.
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => Ok(Text(text)),
            Value::Null => Err(D::Error::custom("is required")),
            _ => Err(D::Error::custom("must be a string")),
        }
    }
}

/// An optional string: absent or `null` is `None`.
#[derive(Default)]
pub struct OptText(pub Option<String>);

impl<'de> Deserialize<'de> for OptText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => Ok(OptText(Some(text))),
            Value::Null => Ok(OptText(None)),
            _ => Err(D::Error::custom("must be a string or null")),
        }
    }
}

/// An optional object: absent or `null` is `None`.
#[derive(Default)]
pub struct OptObject(pub Option<Map<String, Value>>);

impl<'de> Deserialize<'de> for OptObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Object(map) => Ok(OptObject(Some(map))),
            Value::Null => Ok(OptObject(None)),
            _ => Err(D::Error::custom("must be an object or null")),
        }
    }
}

/// An optional boolean: absent or `null` is `None`.
#[derive(Default)]
pub struct OptBool(pub Option<bool>);

impl<'de> Deserialize<'de> for OptBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Bool(on) => Ok(OptBool(Some(on))),
            Value::Null => Ok(OptBool(None)),
            _ => Err(D::Error::custom("must be true or false")),
        }
    }
}

/// An optional non-negative integer from `MIN` to `MAX`: absent or `null` is `None`.
#[derive(Default)]
pub struct IntIn<const MIN: u64, const MAX: u64>(pub Option<u64>);

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for IntIn<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(IntIn(None)),
            value => match value.as_u64() {
                Some(n) if (MIN..=MAX).contains(&n) => Ok(IntIn(Some(n))),
                _ => Err(D::Error::custom(format!(
                    "must be an integer from {MIN} to {MAX}"
                ))),
            },
        }
    }
}

/// A member whose presence matters even when it is `null` (a `null` that clears): absent is
/// `Present(None)`, present is `Present(Some(_))` of what `T` made of it, `null` included.
#[derive(Default)]
pub struct Present<T>(pub Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Present<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(|value| Present(Some(value)))
    }
}

/// An optional object of string values (tags, labels, metadata): at most `max_pairs` pairs,
/// keys 1..=`max_bytes` bytes, values at most `max_bytes`, no control characters. `None` is
/// empty.
pub fn string_map(
    field: &str,
    map: Option<Map<String, Value>>,
    max_pairs: usize,
    max_bytes: usize,
) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(map) = map else {
        return Ok(BTreeMap::new());
    };
    if map.len() > max_pairs {
        return Err(ApiError::validation(
            field,
            format!(
                "'{field}' has {} pairs; the limit is {max_pairs}",
                map.len()
            ),
        ));
    }
    let mut pairs = BTreeMap::new();
    for (key, value) in map {
        let Value::String(value) = value else {
            return Err(ApiError::validation(
                field,
                format!("'{field}.{key}' must be a string"),
            ));
        };
        if key.is_empty() || key.len() > max_bytes || value.len() > max_bytes {
            return Err(ApiError::validation(
                field,
                format!(
                    "'{field}' keys must be 1..={max_bytes} bytes and values at most {max_bytes} bytes"
                ),
            ));
        }
        if key.chars().chain(value.chars()).any(char::is_control) {
            return Err(ApiError::validation(
                field,
                format!("'{field}' must not contain control characters"),
            ));
        }
        pairs.insert(key, value);
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body with one member of each kind.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: Text,
        #[serde(default)]
        note: OptText,
        #[serde(default)]
        count: IntIn<1, 5>,
        #[serde(default)]
        meta: OptObject,
        #[serde(default)]
        on: OptBool,
        #[serde(default)]
        clear: Present<OptText>,
    }

    fn refusal(body: &str) -> (u16, Option<String>, String) {
        let Some(e) = parse::<Sample>(body.as_bytes()).err() else {
            panic!("{body} is accepted");
        };
        let field = e
            .details
            .get("field")
            .and_then(Value::as_str)
            .map(str::to_owned);
        (e.status(), field, e.message)
    }

    #[test]
    fn members_are_read_with_their_defaults() {
        let Ok(sample) = parse::<Sample>(br#"{"name": "a", "clear": null}"#) else {
            panic!("refused");
        };
        assert_eq!(sample.name.0, "a");
        assert_eq!(sample.note.0, None);
        assert_eq!(sample.count.0, None);
        assert!(sample.meta.0.is_none());
        assert_eq!(sample.on.0, None);
        assert!(
            matches!(sample.clear.0, Some(OptText(None))),
            "null is kept apart"
        );
        let Ok(sample) = parse::<Sample>(
            br#"{"name": "a", "note": "n", "count": 5, "meta": {}, "on": false, "clear": "c"}"#,
        ) else {
            panic!("refused");
        };
        assert_eq!(sample.note.0.as_deref(), Some("n"));
        assert_eq!(sample.count.0, Some(5));
        assert_eq!(sample.on.0, Some(false));
        assert!(matches!(sample.clear.0, Some(OptText(Some(_)))));
        assert_eq!(
            members::<Sample>(),
            ["name", "note", "count", "meta", "on", "clear"]
        );
    }

    #[test]
    fn every_refusal_names_its_member() {
        let cases: [(&str, u16, Option<&str>, &str); 12] = [
            (
                "nope",
                400,
                None,
                "request body is not valid JSON: expected ident at line 1 column 2",
            ),
            ("[1]", 400, None, "request body must be a JSON object"),
            (
                r#"{"name": "a", "nmae": "b"}"#,
                422,
                Some("nmae"),
                "unknown field 'nmae'; expected one of: name, note, count, meta, on, clear",
            ),
            ("{}", 422, Some("name"), "'name' is required"),
            (r#"{"name": null}"#, 422, Some("name"), "'name' is required"),
            (
                r#"{"name": 1}"#,
                422,
                Some("name"),
                "'name' must be a string",
            ),
            (
                r#"{"name": "a", "note": 1}"#,
                422,
                Some("note"),
                "'note' must be a string or null",
            ),
            (
                r#"{"name": "a", "count": 0}"#,
                422,
                Some("count"),
                "'count' must be an integer from 1 to 5",
            ),
            (
                r#"{"name": "a", "count": 2.0}"#,
                422,
                Some("count"),
                "'count' must be an integer from 1 to 5",
            ),
            (
                r#"{"name": "a", "meta": []}"#,
                422,
                Some("meta"),
                "'meta' must be an object or null",
            ),
            (
                r#"{"name": "a", "on": "yes"}"#,
                422,
                Some("on"),
                "'on' must be true or false",
            ),
            (
                r#"{"name": "a", "clear": 5}"#,
                422,
                Some("clear"),
                "'clear' must be a string or null",
            ),
        ];
        for (body, status, field, message) in cases {
            assert_eq!(
                refusal(body),
                (status, field.map(str::to_owned), message.to_owned()),
                "{body}"
            );
        }
    }

    #[test]
    fn an_unknown_member_is_reported_before_a_wrong_one() {
        assert_eq!(
            refusal(r#"{"name": 1, "zzz": 1}"#).1.as_deref(),
            Some("zzz")
        );
    }
}
