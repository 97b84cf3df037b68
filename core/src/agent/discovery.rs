//! What agents find on their hosts (discovery): certificates and SSH keys. A report
//! holds at most [`MAX_REPORT_ITEMS`]; re-reporting an item (same agent, same fingerprint)
//! updates it instead of adding a duplicate.

use crate::body;
use crate::error::ApiError;
use crate::time::Timestamp;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::net::IpAddr;
use std::str::FromStr;

pub mod import;

pub const MAX_REPORT_ITEMS: usize = 1_000;
pub const MAX_TEXT_BYTES: usize = 1_024;
/// Entries of `dns_names` and of `ip_addresses`.
pub const MAX_NAMES: usize = 100;
pub const MAX_DNS_NAME_BYTES: usize = 253;
/// The largest SSH key size reported.
pub const MAX_KEY_BITS: u64 = 16_384;

/// A report's top-level object with one list member, `member`, of 0..=1000 objects, as its
/// wire struct `W` (whose one member is `member`). The items are read one by one, as
/// [`Item`]s.
fn report<W: DeserializeOwned>(bytes: &[u8], member: &str) -> Result<W, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_request(format!("request body is not valid JSON: {e}")))?;
    let Value::Object(map) = &value else {
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
    body::parse_value(value)
}

/// A report's list as it comes; absent is `None`.
#[derive(Default)]
pub struct ReportItems(Option<Vec<Value>>);

impl<'de> Deserialize<'de> for ReportItems {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Array(items) => Ok(ReportItems(Some(items))),
            _ => Err(D::Error::custom("must be a list")),
        }
    }
}

impl ReportItems {
    /// The items, at most [`MAX_REPORT_ITEMS`].
    fn checked(self, member: &str) -> Result<Vec<Value>, ApiError> {
        match self.0 {
            Some(list) if list.len() <= MAX_REPORT_ITEMS => Ok(list),
            Some(list) => Err(ApiError::validation(
                member,
                format!(
                    "'{member}' has {} items; a report holds at most {MAX_REPORT_ITEMS}",
                    list.len()
                ),
            )),
            None => Err(ApiError::validation(
                member,
                format!("'{member}' must be a list"),
            )),
        }
    }
}

/// What an item's text member must be.
fn text_shape() -> String {
    format!("must be a string of 1 to {MAX_TEXT_BYTES} bytes without control characters")
}

/// A text member of an item: absent or `null` is `None`; its rules are [`Item::text`]'s.
#[derive(Default)]
pub struct ItemText(Option<String>);

impl<'de> Deserialize<'de> for ItemText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => Ok(ItemText(Some(text))),
            Value::Null => Ok(ItemText(None)),
            _ => Err(D::Error::custom(text_shape())),
        }
    }
}

/// A list of names (`dns_names`, `ip_addresses`): absent or `null` is `None`.
#[derive(Default)]
pub struct NameList(Option<Vec<Value>>);

impl<'de> Deserialize<'de> for NameList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Array(items) => Ok(NameList(Some(items))),
            Value::Null => Ok(NameList(None)),
            _ => Err(D::Error::custom(format!(
                "must be a list of at most {MAX_NAMES} strings"
            ))),
        }
    }
}

/// Reads one item of `list` as its wire struct `W`, naming `list[i].member` in errors.
struct Item<'a> {
    list: &'a str,
    index: usize,
}

impl Item<'_> {
    fn read<W: DeserializeOwned>(&self, value: Value) -> Result<W, ApiError> {
        let Value::Object(map) = &value else {
            return Err(ApiError::validation(
                self.list,
                format!("'{}[{}]' must be an object", self.list, self.index),
            ));
        };
        let allowed = body::members::<W>();
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::validation(
                self.list,
                format!(
                    "'{}[{}]': unknown field '{unknown}'; expected {}",
                    self.list,
                    self.index,
                    allowed.join(", ")
                ),
            ));
        }
        // The reader says `'member' why`; the report says `'list[i].member' why`.
        body::parse_value(value).map_err(|e| {
            let member = e
                .details
                .get("field")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let why = e
                .message
                .strip_prefix(&format!("'{member}' "))
                .unwrap_or(&e.message)
                .to_owned();
            self.bad(&member, &why)
        })
    }

    fn bad(&self, member: &str, why: &str) -> ApiError {
        ApiError::validation(
            self.list,
            format!("'{}[{}].{member}' {why}", self.list, self.index),
        )
    }

    fn text(
        &self,
        member: &str,
        text: ItemText,
        required: bool,
    ) -> Result<Option<String>, ApiError> {
        match text.0 {
            None if required => Err(self.bad(member, "is required")),
            None => Ok(None),
            Some(s)
                if !s.is_empty()
                    && s.len() <= MAX_TEXT_BYTES
                    && !s.chars().any(char::is_control) =>
            {
                Ok(Some(s))
            }
            Some(_) => Err(self.bad(member, &text_shape())),
        }
    }

    fn time(&self, member: &str, text: ItemText) -> Result<Timestamp, ApiError> {
        let text = self.text(member, text, true)?.unwrap_or_default();
        Timestamp::parse_rfc3339(&text).ok_or_else(|| self.bad(member, "must be an RFC 3339 time"))
    }

    fn names(
        &self,
        member: &str,
        names: NameList,
        check: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, ApiError> {
        match names.0 {
            None => Ok(Vec::new()),
            Some(list) if list.len() <= MAX_NAMES => list
                .into_iter()
                .map(|v| match v {
                    Value::String(s) if check(&s) => Ok(s),
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

/// One discovered certificate, with the fields agents report.
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

/// `POST /v1/agents/me/discovery/certificates` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateReportBody {
    #[serde(default)]
    certificates: ReportItems,
}

/// One item of `certificates` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateItem {
    #[serde(default)]
    subject: ItemText,
    #[serde(default)]
    serial_number: ItemText,
    #[serde(default)]
    issuer: ItemText,
    #[serde(default)]
    not_before: ItemText,
    #[serde(default)]
    not_after: ItemText,
    #[serde(default)]
    location: ItemText,
    #[serde(default)]
    fingerprint: ItemText,
    #[serde(default)]
    dns_names: NameList,
    #[serde(default)]
    ip_addresses: NameList,
    #[serde(default)]
    source: ItemText,
    #[serde(default)]
    is_managed: body::OptBool,
}

impl DiscoveredCertificate {
    /// `POST /v1/agents/me/discovery/certificates` `{certificates: [...]}`.
    pub fn parse_report(bytes: &[u8]) -> Result<Vec<Self>, ApiError> {
        let body: CertificateReportBody = report(bytes, "certificates")?;
        body.certificates
            .checked("certificates")?
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                let item = Item {
                    list: "certificates",
                    index,
                };
                let cert: CertificateItem = item.read(value)?;
                let not_before = item.time("not_before", cert.not_before)?;
                let not_after = item.time("not_after", cert.not_after)?;
                if not_after < not_before {
                    return Err(item.bad("not_after", "is before not_before"));
                }
                Ok(DiscoveredCertificate {
                    subject: item
                        .text("subject", cert.subject, true)?
                        .unwrap_or_default(),
                    serial_number: item.text("serial_number", cert.serial_number, false)?,
                    issuer: item.text("issuer", cert.issuer, false)?,
                    not_before,
                    not_after,
                    location: item.text("location", cert.location, false)?,
                    fingerprint: item
                        .text("fingerprint", cert.fingerprint, true)?
                        .unwrap_or_default(),
                    dns_names: item.names("dns_names", cert.dns_names, dns_name)?,
                    ip_addresses: item.names("ip_addresses", cert.ip_addresses, |s| {
                        IpAddr::from_str(s).is_ok()
                    })?,
                    source: item.text("source", cert.source, false)?,
                    is_managed: cert.is_managed.0.unwrap_or(false),
                })
            })
            .collect()
    }
}

/// One SSH key an agent found (only the route is standard; these fields are ours).
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

/// `POST /v1/agents/me/ssh-discovery` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshReportBody {
    #[serde(default)]
    keys: ReportItems,
}

/// One item of `keys` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshKeyItem {
    #[serde(default)]
    fingerprint: ItemText,
    #[serde(default)]
    key_type: ItemText,
    #[serde(default)]
    bits: body::IntIn<1, MAX_KEY_BITS>,
    #[serde(default)]
    comment: ItemText,
    #[serde(default)]
    location: ItemText,
    #[serde(default)]
    user: ItemText,
    #[serde(default)]
    kind: ItemText,
}

impl DiscoveredSshKey {
    /// `POST /v1/agents/me/ssh-discovery` `{keys: [...]}`.
    pub fn parse_report(bytes: &[u8]) -> Result<Vec<Self>, ApiError> {
        let body: SshReportBody = report(bytes, "keys")?;
        body.keys
            .checked("keys")?
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                let item = Item {
                    list: "keys",
                    index,
                };
                let key: SshKeyItem = item.read(value)?;
                let kind = item.text("kind", key.kind, false)?;
                if let Some(kind) = &kind
                    && !matches!(kind.as_str(), "authorized" | "host" | "identity")
                {
                    return Err(item.bad("kind", "must be authorized, host or identity"));
                }
                Ok(DiscoveredSshKey {
                    fingerprint: item
                        .text("fingerprint", key.fingerprint, true)?
                        .unwrap_or_default(),
                    key_type: item
                        .text("key_type", key.key_type, true)?
                        .unwrap_or_default(),
                    bits: key.bits.0,
                    comment: item.text("comment", key.comment, false)?,
                    location: item.text("location", key.location, false)?,
                    user: item.text("user", key.user, false)?,
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
    /// When a person took it under management ([`import`]), and who; absent before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_by: Option<String>,
}

/// Most SSH keys one page of `GET /api/v1/ssh/discovery` carries, and the default.
pub const MAX_SSH_PAGE: u64 = 500;
pub const DEFAULT_SSH_PAGE: u64 = 100;

/// `GET /api/v1/ssh/discovery?agent_id=&limit=&cursor=`: every agent's reported SSH keys,
/// oldest report first; the cursor is the position after the page's last key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeyQuery {
    pub agent_id: Option<crate::agent::AgentId>,
    pub limit: u64,
    pub after: Option<u64>,
}

impl SshKeyQuery {
    /// Reads the query; the front door has refused unknown and repeated names already.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ApiError> {
        let mut query = SshKeyQuery {
            agent_id: None,
            limit: DEFAULT_SSH_PAGE,
            after: None,
        };
        for (name, v) in pairs {
            match name {
                "agent_id" => {
                    query.agent_id = Some(
                        crate::agent::AgentId::parse(v)
                            .map_err(|why| ApiError::validation("agent_id", why))?,
                    );
                }
                "limit" => {
                    query.limit = v
                        .parse::<u64>()
                        .ok()
                        .filter(|n| (1..=MAX_SSH_PAGE).contains(n))
                        .ok_or_else(|| {
                            ApiError::validation(
                                "limit",
                                format!("'limit' must be 1 to {MAX_SSH_PAGE}"),
                            )
                        })?;
                }
                "cursor" => {
                    query.after = Some(v.parse::<u64>().map_err(|_| {
                        ApiError::validation("cursor", "'cursor' is not a cursor this list gave")
                    })?);
                }
                other => {
                    return Err(ApiError::validation(
                        other,
                        format!(
                            "unknown query parameter '{other}'; this route takes agent_id, limit, cursor"
                        ),
                    ));
                }
            }
        }
        Ok(query)
    }
}

/// One SSH key as the tenant-wide list shows it: which agent reported it, and the sighting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetSshKey {
    pub agent_id: crate::agent::AgentId,
    #[serde(flatten)]
    pub sighting: Sighting<DiscoveredSshKey>,
}

/// One page of `GET /api/v1/ssh/discovery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeyPage {
    pub ssh_keys: Vec<FleetSshKey>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_key_query_parses_and_names_the_bad_parameter() {
        let q = SshKeyQuery::parse([
            ("agent_id", "agt_0123456789abcdef01234567"),
            ("limit", "7"),
            ("cursor", "42"),
        ])
        .unwrap();
        assert_eq!(q.limit, 7);
        assert_eq!(q.after, Some(42));
        assert!(q.agent_id.is_some());
        assert_eq!(SshKeyQuery::parse([]).unwrap().limit, DEFAULT_SSH_PAGE);
        for (name, v) in [
            ("agent_id", "nope"),
            ("limit", "0"),
            ("limit", "501"),
            ("cursor", "-1"),
            ("cursor", "x"),
            ("fingerprint", "SHA256:x"),
        ] {
            let e = SshKeyQuery::parse([(name, v)]).unwrap_err();
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some(name),
                "{name}={v}: {e}"
            );
        }
    }

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
