//! Fields: named values beside, or instead of, a secret's main value, each sealed
//! on its own. Field names are metadata (stored in plain, listed); field values are secrets.

use crate::body;
use crate::error::ApiError;
use crate::path::SecretPath;
use crate::value::check_value;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

pub const MAX_FIELD_NAME_BYTES: usize = 64;
/// Fields one secret may hold. Each value may be up to 64 KiB like a main value.
pub const MAX_FIELDS_PER_SECRET: usize = 100;

/// A validated field name: 1..=64 bytes of `[A-Za-z0-9._-]`, not `.` or `..`, so it fits in
/// one URL segment without escaping and can never be confused with a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldName(String);

impl FieldName {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.len() > MAX_FIELD_NAME_BYTES {
            return Err(format!(
                "field name must be 1 to {MAX_FIELD_NAME_BYTES} bytes"
            ));
        }
        if text == "." || text == ".." {
            return Err(format!("field name '{text}' is not allowed"));
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err("field name may contain only A-Z, a-z, 0-9, '.', '_' and '-'".into());
        }
        Ok(FieldName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The purpose in the value's associated data: a field's ciphertext cannot be passed off
    /// as the main value or as another field of the same secret.
    pub fn seal_purpose(&self) -> String {
        format!("field:{}", self.0)
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for FieldName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        FieldName::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Field values by name. `Debug` shows the names only.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Fields(pub BTreeMap<FieldName, String>);

impl Fields {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks the `fields` member of a body: an object of 1..=100 string values, each a valid
    /// name and at most 64 KiB. Absent or `null` is `None`.
    pub fn from_member(
        member: &str,
        map: Option<Map<String, Value>>,
    ) -> Result<Option<Fields>, ApiError> {
        let Some(map) = map else {
            return Ok(None);
        };
        if map.is_empty() {
            return Err(ApiError::validation(
                member,
                format!("'{member}' must name at least one field"),
            ));
        }
        if map.len() > MAX_FIELDS_PER_SECRET {
            return Err(ApiError::validation(
                member,
                format!(
                    "'{member}' has {} fields; a secret holds at most {MAX_FIELDS_PER_SECRET}",
                    map.len()
                ),
            ));
        }
        let mut fields = BTreeMap::new();
        for (name, value) in map {
            let name = FieldName::parse(&name)
                .map_err(|why| ApiError::validation(member, format!("'{name}': {why}")))?;
            let Value::String(value) = value else {
                return Err(ApiError::validation(
                    member,
                    format!("field '{name}' must have a string value"),
                ));
            };
            check_value(member, &value)?;
            fields.insert(name, value);
        }
        Ok(Some(Fields(fields)))
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// A validated `PUT /v1/secrets/{path}/fields/{field}` body: `{"value": "…"}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue(pub String);

/// `PUT /v1/secrets/{path}/fields/{field}` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldValueBody {
    value: body::Text,
}

impl TryFrom<FieldValueBody> for FieldValue {
    type Error = ApiError;

    fn try_from(body: FieldValueBody) -> Result<Self, ApiError> {
        check_value("value", &body.value.0)?;
        Ok(FieldValue(body.value.0))
    }
}

impl FieldValue {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<FieldValueBody>(bytes)?.try_into()
    }
}

impl fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FieldValue([redacted])")
    }
}

/// `PUT /v1/secrets/{path}/fields` as it comes: `{"fields": {...}}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSetBody {
    #[serde(default)]
    fields: body::OptObject,
}

/// A validated `PUT /v1/secrets/{path}/fields` body.
pub fn parse_field_set(bytes: &[u8]) -> Result<Fields, ApiError> {
    let body: FieldSetBody = body::parse(bytes)?;
    Fields::from_member("fields", body.fields.0)?
        .ok_or_else(|| ApiError::validation("fields", "'fields' is required"))
}

/// `PUT /v1/secrets/{path}/fields/{field}` → 201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldStored {
    pub status: String,
    pub path: SecretPath,
    pub field: FieldName,
    /// Whether this write created the secret (a fields-only secret with no main value).
    pub secret_created: bool,
}

/// `PUT /v1/secrets/{path}/fields` → 201. `field_count` is how many fields the secret holds
/// after the write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldsStored {
    pub status: String,
    pub path: SecretPath,
    pub field_count: usize,
    pub secret_created: bool,
}

/// `GET /v1/secrets/{path}/fields/{field}` → 200. `Debug` leaves the value out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRead {
    pub path: SecretPath,
    pub field: FieldName,
    pub value: String,
}

impl fmt::Debug for FieldRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldRead")
            .field("path", &self.path)
            .field("field", &self.field)
            .field("value", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(err: &ApiError) -> Option<&str> {
        err.details.get("field").and_then(Value::as_str)
    }

    #[test]
    fn names_follow_the_grammar() {
        for good in ["username", "DB_HOST", "tls.cert", "a-b", "x"] {
            assert!(FieldName::parse(good).is_ok(), "{good}");
        }
        let long = "a".repeat(MAX_FIELD_NAME_BYTES + 1);
        for bad in ["", ".", "..", "a/b", "a b", "é", "a%2F", long.as_str()] {
            assert!(FieldName::parse(bad).is_err(), "{bad}");
        }
        assert!(FieldName::parse(&"a".repeat(MAX_FIELD_NAME_BYTES)).is_ok());
    }

    #[test]
    fn purposes_differ_from_the_main_value_and_each_other() {
        let a = FieldName::parse("a").unwrap().seal_purpose();
        let b = FieldName::parse("b").unwrap().seal_purpose();
        assert_ne!(a, b);
        assert_ne!(a, "value");
    }

    #[test]
    fn field_set_bodies_are_checked() {
        let many: serde_json::Map<String, Value> = (0..=MAX_FIELDS_PER_SECRET)
            .map(|i| (format!("f{i}"), json!("v")))
            .collect();
        let big = "x".repeat(crate::value::MAX_VALUE_BYTES + 1);
        let cases = [
            (json!({}), "fields"),
            (json!({"fields": {}}), "fields"),
            (json!({"fields": []}), "fields"),
            (json!({"fields": {"a b": "v"}}), "fields"),
            (json!({"fields": {"a": 1}}), "fields"),
            (json!({"fields": {"a": big}}), "fields"),
            (json!({"fields": many}), "fields"),
            (json!({"fields": {"a": "v"}, "value": "x"}), "value"),
        ];
        for (body, field) in cases {
            let err = parse_field_set(body.to_string().as_bytes()).unwrap_err();
            assert_eq!(err.status(), 422, "{body}");
            assert_eq!(field_of(&err), Some(field), "{body}");
        }
        let ok = parse_field_set(br#"{"fields": {"host": "db", "port": "5432"}}"#).unwrap();
        assert_eq!(ok.len(), 2);
    }

    #[test]
    fn single_values_are_checked() {
        assert!(FieldValue::parse(br#"{"value": "admin"}"#).is_ok());
        for body in [r#"{}"#, r#"{"value": 5}"#, r#"{"value": "a", "x": 1}"#] {
            assert_eq!(
                FieldValue::parse(body.as_bytes()).unwrap_err().status(),
                422
            );
        }
    }

    #[test]
    fn debug_never_shows_values() {
        let fields = parse_field_set(br#"{"fields": {"password": "hunter2-secret"}}"#).unwrap();
        let shown = format!("{fields:?}");
        assert!(shown.contains("password") && !shown.contains("hunter2"));
        let value = FieldValue::parse(br#"{"value": "hunter2-secret"}"#).unwrap();
        assert!(!format!("{value:?}").contains("hunter2"));
    }
}
