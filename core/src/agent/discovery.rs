//! What agents find on their hosts (seed 000's discovery): certificates and SSH keys. A report
//! holds at most [`MAX_REPORT_ITEMS`]; re-reporting an item (same agent, same fingerprint)
//! updates it instead of adding a duplicate.

use crate::error::ApiError;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::net::IpAddr;
use std::str::FromStr;

pub const MAX_REPORT_ITEMS: usize = 1_000;
pub const MAX_TEXT_BYTES: usize = 1_024;
/// Entries of `dns_names` and of `ip_addresses`.
pub const MAX_NAMES: usize = 100;
pub const MAX_DNS_NAME_BYTES: usize = 253;
/// The largest SSH key size reported.
pub const MAX_KEY_BITS: u64 = 16_384;

/// A report's top-level object with one list member, `member`, of 0..=1000 objects.
fn items<'a>(
    bytes: &'a [u8],
    member: &str,
    value: &'a mut Value,
) -> Result<&'a Vec<Value>, ApiError> {
    *value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_request(format!("request body is not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::invalid_request(
            "request body must be a JSON object",
        ));
    };
    if let Some(unknown) = map.keys().find(|k| k.as_str() != member) {
        return Err(ApiError::validation(
            unknown,
            format!("unknown field '{unknown}'; expected {member}"),
        ));
    }
    match map.get(member) {
        Some(Value::Array(list)) if list.len() <= MAX_REPORT_ITEMS => Ok(list),
        Some(Value::Array(list)) => Err(ApiError::validation(
            member,
            format!(
                "'{member}' has {} items; a report holds at most {MAX_REPORT_ITEMS}",
                list.len()
            ),
        )),
        _ => Err(ApiError::validation(
            member,
            format!("'{member}' must be a list"),
        )),
    }
}

/// Reads one item's members, naming `list[i].member` in errors.
struct Item<'a> {
    map: &'a Map<String, Value>,
    list: &'a str,
    index: usize,
}

impl<'a> Item<'a> {
    fn new(
        value: &'a Value,
        list: &'a str,
        index: usize,
        allowed: &[&str],
    ) -> Result<Self, ApiError> {
        let Value::Object(map) = value else {
            return Err(ApiError::validation(
                list,
                format!("'{list}[{index}]' must be an object"),
            ));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::validation(
                list,
                format!(
                    "'{list}[{index}]': unknown field '{unknown}'; expected {}",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Item { map, list, index })
    }

    fn bad(&self, member: &str, why: &str) -> ApiError {
        ApiError::validation(
            self.list,
            format!("'{}[{}].{member}' {why}", self.list, self.index),
        )
    }

    fn text(&self, member: &str, required: bool) -> Result<Option<String>, ApiError> {
        match self.map.get(member) {
            None | Some(Value::Null) if required => Err(self.bad(member, "is required")),
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s))
                if !s.is_empty()
                    && s.len() <= MAX_TEXT_BYTES
                    && !s.chars().any(char::is_control) =>
            {
                Ok(Some(s.clone()))
            }
            Some(_) => Err(self.bad(
                member,
                &format!(
                    "must be a string of 1 to {MAX_TEXT_BYTES} bytes without control characters"
                ),
            )),
        }
    }

    fn time(&self, member: &str) -> Result<Timestamp, ApiError> {
        let text = self.text(member, true)?.unwrap_or_default();
        Timestamp::parse_rfc3339(&text).ok_or_else(|| self.bad(member, "must be an RFC 3339 time"))
    }

    fn names(&self, member: &str, check: impl Fn(&str) -> bool) -> Result<Vec<String>, ApiError> {
        match self.map.get(member) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(list)) if list.len() <= MAX_NAMES => list
                .iter()
                .map(|v| match v.as_str() {
                    Some(s) if check(s) => Ok(s.to_owned()),
                    _ => Err(self.bad(member, "holds an invalid entry")),
                })
                .collect(),
            Some(_) => Err(self.bad(
                member,
                &format!("must be a list of at most {MAX_NAMES} strings"),
            )),
        }
    }
}

fn dns_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_DNS_NAME_BYTES
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'*' | b'_'))
}

/// One certificate as seed 000 reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredCertificate {
    pub subject: String,
    pub serial_number: Option<String>,
    pub issuer: Option<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub location: Option<String>,
    pub fingerprint: String,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<String>,
    pub source: Option<String>,
    pub is_managed: bool,
}

impl DiscoveredCertificate {
    const FIELDS: &'static [&'static str] = &[
        "subject",
        "serial_number",
        "issuer",
        "not_before",
        "not_after",
        "location",
        "fingerprint",
        "dns_names",
        "ip_addresses",
        "source",
        "is_managed",
    ];

    /// `POST /v1/agents/me/discovery/certificates` `{certificates: [...]}`.
    pub fn parse_report(bytes: &[u8]) -> Result<Vec<Self>, ApiError> {
        let mut value = Value::Null;
        let list = items(bytes, "certificates", &mut value)?;
        list.iter()
            .enumerate()
            .map(|(index, value)| {
                let item = Item::new(value, "certificates", index, Self::FIELDS)?;
                let not_before = item.time("not_before")?;
                let not_after = item.time("not_after")?;
                if not_after < not_before {
                    return Err(item.bad("not_after", "is before not_before"));
                }
                let is_managed = match item.map.get("is_managed") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => return Err(item.bad("is_managed", "must be true or false")),
                };
                Ok(DiscoveredCertificate {
                    subject: item.text("subject", true)?.unwrap_or_default(),
                    serial_number: item.text("serial_number", false)?,
                    issuer: item.text("issuer", false)?,
                    not_before,
                    not_after,
                    location: item.text("location", false)?,
                    fingerprint: item.text("fingerprint", true)?.unwrap_or_default(),
                    dns_names: item.names("dns_names", dns_name)?,
                    ip_addresses: item.names("ip_addresses", |s| IpAddr::from_str(s).is_ok())?,
                    source: item.text("source", false)?,
                    is_managed,
                })
            })
            .collect()
    }
}

/// One SSH key an agent found (seed 000 names the route, not the fields: these are ours).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredSshKey {
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …
    pub key_type: String,
    pub bits: Option<u64>,
    pub comment: Option<String>,
    /// Where it was found (`/home/deploy/.ssh/authorized_keys`).
    pub location: Option<String>,
    /// The account it belongs to.
    pub user: Option<String>,
    /// `authorized`, `host` or `identity`.
    pub kind: Option<String>,
}

impl DiscoveredSshKey {
    const FIELDS: &'static [&'static str] = &[
        "fingerprint",
        "key_type",
        "bits",
        "comment",
        "location",
        "user",
        "kind",
    ];

    /// `POST /v1/agents/me/ssh-discovery` `{keys: [...]}`.
    pub fn parse_report(bytes: &[u8]) -> Result<Vec<Self>, ApiError> {
        let mut value = Value::Null;
        let list = items(bytes, "keys", &mut value)?;
        list.iter()
            .enumerate()
            .map(|(index, value)| {
                let item = Item::new(value, "keys", index, Self::FIELDS)?;
                let bits = match item.map.get("bits") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        v.as_u64()
                            .filter(|b| (1..=MAX_KEY_BITS).contains(b))
                            .ok_or_else(|| {
                                item.bad(
                                    "bits",
                                    &format!("must be an integer from 1 to {MAX_KEY_BITS}"),
                                )
                            })?,
                    ),
                };
                let kind = item.text("kind", false)?;
                if let Some(kind) = &kind
                    && !matches!(kind.as_str(), "authorized" | "host" | "identity")
                {
                    return Err(item.bad("kind", "must be authorized, host or identity"));
                }
                Ok(DiscoveredSshKey {
                    fingerprint: item.text("fingerprint", true)?.unwrap_or_default(),
                    key_type: item.text("key_type", true)?.unwrap_or_default(),
                    bits,
                    comment: item.text("comment", false)?,
                    location: item.text("location", false)?,
                    user: item.text("user", false)?,
                    kind,
                })
            })
            .collect()
    }
}

/// A discovery report's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryStored {
    pub received: u64,
    pub created: u64,
    pub updated: u64,
}

/// A stored discovery item with when it was first and last reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting<T> {
    #[serde(flatten)]
    pub item: T,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = r#"{"subject": "CN=legacy-app.internal,O=Example Corp", "serial_number": "AB:CD:EF:01:23",
        "issuer": "CN=Internal CA", "not_before": "2025-06-15T00:00:00Z", "not_after": "2026-06-15T00:00:00Z",
        "location": "/etc/ssl/certs/legacy-app.pem", "fingerprint": "SHA256:abc123",
        "dns_names": ["legacy-app.internal"], "ip_addresses": ["10.0.2.50"], "source": "filesystem", "is_managed": false}"#;

    #[test]
    fn the_seed_certificate_parses() {
        let certs = DiscoveredCertificate::parse_report(
            format!(r#"{{"certificates": [{CERT}]}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].fingerprint, "SHA256:abc123");
        assert_eq!(certs[0].ip_addresses, vec!["10.0.2.50"]);
    }

    #[test]
    fn bad_certificates_are_refused_with_their_index() {
        for (bad, needle) in [
            (
                CERT.replace("\"2026-06-15T00:00:00Z\"", "\"2024-01-01T00:00:00Z\""),
                "certificates[0].not_after",
            ),
            (
                CERT.replace("\"2025-06-15T00:00:00Z\"", "\"June\""),
                "certificates[0].not_before",
            ),
            (
                CERT.replace("\"10.0.2.50\"", "\"10.0.2.500\""),
                "certificates[0].ip_addresses",
            ),
            (
                CERT.replace("\"SHA256:abc123\"", "null"),
                "certificates[0].fingerprint",
            ),
            (
                CERT.replace("\"is_managed\": false", "\"is_managed\": \"no\""),
                "certificates[0].is_managed",
            ),
            (
                CERT.replace("\"source\"", "\"origin\""),
                "unknown field 'origin'",
            ),
        ] {
            let e = DiscoveredCertificate::parse_report(
                format!(r#"{{"certificates": [{bad}]}}"#).as_bytes(),
            )
            .unwrap_err();
            assert!(e.message.contains(needle), "{needle}: {}", e.message);
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some("certificates")
            );
        }
        let many = format!(r#"{{"certificates": [{}]}}"#, vec![CERT; 1001].join(","));
        assert!(DiscoveredCertificate::parse_report(many.as_bytes()).is_err());
        let full = format!(r#"{{"certificates": [{}]}}"#, vec![CERT; 1000].join(","));
        assert_eq!(
            DiscoveredCertificate::parse_report(full.as_bytes())
                .unwrap()
                .len(),
            1000
        );
        assert!(DiscoveredCertificate::parse_report(br#"{"certificates": {}}"#).is_err());
        assert!(DiscoveredCertificate::parse_report(br#"{"certs": []}"#).is_err());
    }

    #[test]
    fn ssh_keys_parse_and_validate() {
        let keys = DiscoveredSshKey::parse_report(
            br#"{"keys": [{"fingerprint": "SHA256:k1", "key_type": "ssh-ed25519", "bits": 256, "user": "deploy", "kind": "authorized"}]}"#,
        )
        .unwrap();
        assert_eq!(keys[0].bits, Some(256));
        for bad in [
            r#"{"keys": [{"key_type": "ssh-rsa"}]}"#,
            r#"{"keys": [{"fingerprint": "f", "key_type": "ssh-rsa", "bits": 0}]}"#,
            r#"{"keys": [{"fingerprint": "f", "key_type": "ssh-rsa", "kind": "other"}]}"#,
            r#"{"keys": [7]}"#,
        ] {
            assert!(
                DiscoveredSshKey::parse_report(bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
    }
}
