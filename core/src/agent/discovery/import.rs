//! Importing what an agent discovered (seed 000: discovered certificates "for review and
//! optional import"): a person takes a reported certificate or SSH key under management. The
//! item stays the agent's report; the import is recorded beside it (who, when) and survives
//! later reports, and an imported certificate is one of the agent's assigned certificates
//! (`GET /v1/agents/me/certificates`). No key material is involved: discovery carries none.

use crate::body;
use crate::error::ApiError;
use serde::{Deserialize, Serialize};

use super::MAX_TEXT_BYTES;

/// Which list a discovered item is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveredKind {
    Certificate,
    SshKey,
}

impl DiscoveredKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "certificate" => Some(DiscoveredKind::Certificate),
            "ssh_key" => Some(DiscoveredKind::SshKey),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DiscoveredKind::Certificate => "certificate",
            DiscoveredKind::SshKey => "ssh_key",
        }
    }
}

/// A validated `POST /v1/agents/{id}/discovery/import` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryImport {
    pub kind: DiscoveredKind,
    /// As the agent reported it (the item's key with the agent).
    pub fingerprint: String,
}

/// `POST /v1/agents/{id}/discovery/import` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryImportBody {
    kind: body::Text,
    fingerprint: body::Text,
}

impl DiscoveryImport {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: DiscoveryImportBody = body::parse(bytes)?;
        let kind = DiscoveredKind::parse(&body.kind.0).ok_or_else(|| {
            ApiError::validation(
                "kind",
                format!(
                    "'kind' is '{}'; expected certificate or ssh_key",
                    body.kind.0
                ),
            )
        })?;
        let fingerprint = body.fingerprint.0;
        if fingerprint.is_empty()
            || fingerprint.len() > MAX_TEXT_BYTES
            || fingerprint.chars().any(char::is_control)
        {
            return Err(ApiError::validation(
                "fingerprint",
                format!(
                    "'fingerprint' must be a string of 1 to {MAX_TEXT_BYTES} bytes without control characters"
                ),
            ));
        }
        Ok(DiscoveryImport { kind, fingerprint })
    }
}

/// `POST /v1/agents/{id}/discovery/import` → 200: the item's import (the first one stands:
/// importing again changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryImported {
    pub agent_id: crate::agent::AgentId,
    pub kind: DiscoveredKind,
    pub fingerprint: String,
    pub imported_at: crate::time::Timestamp,
    pub imported_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_names_a_kind_and_a_fingerprint() {
        let parsed =
            DiscoveryImport::parse(br#"{"kind": "certificate", "fingerprint": "SHA256:abc"}"#)
                .unwrap();
        assert_eq!(parsed.kind, DiscoveredKind::Certificate);
        assert_eq!(parsed.fingerprint, "SHA256:abc");
        assert_eq!(
            DiscoveryImport::parse(br#"{"kind": "ssh_key", "fingerprint": "SHA256:k"}"#)
                .unwrap()
                .kind,
            DiscoveredKind::SshKey
        );
        let long = format!(
            r#"{{"kind": "certificate", "fingerprint": "{}"}}"#,
            "a".repeat(MAX_TEXT_BYTES + 1)
        );
        for (body, field) in [
            (r#"{"kind": "secret", "fingerprint": "x"}"#, "kind"),
            (r#"{"fingerprint": "x"}"#, "kind"),
            (r#"{"kind": "certificate"}"#, "fingerprint"),
            (
                r#"{"kind": "certificate", "fingerprint": ""}"#,
                "fingerprint",
            ),
            (
                r#"{"kind": "certificate", "fingerprint": "a\u0000b"}"#,
                "fingerprint",
            ),
            (long.as_str(), "fingerprint"),
            (
                r#"{"kind": "certificate", "fingerprint": "x", "path": "y"}"#,
                "path",
            ),
        ] {
            let e = DiscoveryImport::parse(body.as_bytes()).unwrap_err();
            assert_eq!(
                e.details.get("field").and_then(|v| v.as_str()),
                Some(field),
                "{body}: {e:?}"
            );
        }
    }
}
