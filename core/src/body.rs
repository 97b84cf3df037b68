//! JSON request bodies, taken apart member by member so each error can name its field.

use crate::error::ApiError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A JSON object body whose members are checked one by one.
pub struct Body(Map<String, Value>);

impl Body {
    /// `allowed` lists the members the endpoint knows; any other is a 422, so a typo such as
    /// `expire_at` is reported instead of silently ignored.
    pub fn parse(bytes: &[u8], allowed: &[&str]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            ApiError::invalid_request(format!("request body is not valid JSON: {e}"))
        })?;
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
        Ok(Body(map))
    }

    /// The member, unless it is absent or `null`.
    pub fn present(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    pub fn required_str(&self, field: &str) -> Result<&str, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Err(ApiError::validation(
                field,
                format!("'{field}' is required"),
            )),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(ApiError::validation(
                field,
                format!("'{field}' must be a string"),
            )),
        }
    }

    pub fn optional_str(&self, field: &str) -> Result<Option<&str>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::validation(
                field,
                format!("'{field}' must be a string or null"),
            )),
        }
    }

    pub fn optional_object(&self, field: &str) -> Result<Option<&Map<String, Value>>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(ApiError::validation(
                field,
                format!("'{field}' must be an object or null"),
            )),
        }
    }

    /// Whether the member is in the body at all (`null` included): tells "leave as is" from
    /// "clear" in updates.
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// An optional non-negative integer within `range`.
    pub fn optional_u64(
        &self,
        field: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<u64>, ApiError> {
        match self.present(field) {
            None => Ok(None),
            Some(value) => match value.as_u64() {
                Some(n) if range.contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::validation(
                    field,
                    format!(
                        "'{field}' must be an integer from {} to {}",
                        range.start(),
                        range.end()
                    ),
                )),
            },
        }
    }

    /// An optional object of string values (tags, labels, metadata): at most `max_pairs`
    /// pairs, keys 1..=`max_bytes` bytes, values at most `max_bytes`, no control characters.
    /// Absent or `null` is empty.
    pub fn optional_string_map(
        &self,
        field: &str,
        max_pairs: usize,
        max_bytes: usize,
    ) -> Result<BTreeMap<String, String>, ApiError> {
        let Some(map) = self.optional_object(field)? else {
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
            pairs.insert(key.clone(), value.clone());
        }
        Ok(pairs)
    }
}
