//! Password requests: an agent asks for a new password for a service it manages;
//! an admin approves or rejects; on approval a password is generated, stored as a new version
//! of the path, and handed to the agent once.

use super::{AgentId, PasswordRequestId};
use crate::body;
use crate::error::ApiError;
use crate::path::SecretPath;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAX_REASON_BYTES: usize = 1_024;
/// Passwords generated for agents: 32 characters of every class.
pub const GENERATED_LENGTH: usize = 32;

/// A validated `POST /v1/agents/me/password-requests` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPasswordRequest {
    pub path: SecretPath,
    pub reason: String,
}

fn reason(text: Option<String>) -> Result<Option<String>, ApiError> {
    match text {
        Some(t)
            if t.is_empty() || t.len() > MAX_REASON_BYTES || t.chars().any(char::is_control) =>
        {
            Err(ApiError::validation(
                "reason",
                format!(
                    "'reason' must be 1 to {MAX_REASON_BYTES} bytes without control characters"
                ),
            ))
        }
        other => Ok(other),
    }
}

/// `POST /v1/agents/me/password-requests` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPasswordRequestBody {
    path: body::Text,
    reason: body::Text,
}

impl TryFrom<NewPasswordRequestBody> for NewPasswordRequest {
    type Error = ApiError;

    fn try_from(body: NewPasswordRequestBody) -> Result<Self, ApiError> {
        let path =
            SecretPath::parse(&body.path.0).map_err(|why| ApiError::validation("path", why))?;
        Ok(NewPasswordRequest {
            path,
            reason: reason(Some(body.reason.0))?.unwrap_or_default(),
        })
    }
}

impl NewPasswordRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<NewPasswordRequestBody>(bytes)?.try_into()
    }
}

/// `POST /v1/admin/password-requests/{id}/reject` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectionBody {
    #[serde(default)]
    reason: body::OptText,
}

/// `POST /v1/admin/password-requests/{id}/reject` `{reason?}`.
pub fn parse_rejection(bytes: &[u8]) -> Result<Option<String>, ApiError> {
    reason(body::parse::<RejectionBody>(bytes)?.reason.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordRequestStatus {
    Pending,
    Approved,
    Rejected,
}

impl PasswordRequestStatus {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

/// A password request as admins and its agent see it. `password` is present only in the
/// agent's own list, once: the first time it is listed after approval. `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordRequestView {
    pub id: PasswordRequestId,
    pub agent_id: AgentId,
    pub path: SecretPath,
    pub reason: String,
    pub status: PasswordRequestStatus,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
    /// The version the approval stored.
    pub version: Option<u64>,
    pub delivered_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Why an approved password was not handed over on this collection (the agent's grants no
    /// longer reach it, or a purpose is required): it stays for a later collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<String>,
    /// Issue 24: when a policy sends the request through a workflow, its current stage's
    /// workflow, the current stage and every stage (absent: today's single `agents:admin`
    /// decision, the password request's default workflow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<crate::stage::WorkflowStamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<crate::stage::StageView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<crate::stage::StageSnapshot>>,
}

impl fmt::Debug for PasswordRequestView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordRequestView")
            .field("id", &self.id)
            .field("path", &self.path)
            .field("status", &self.status)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_need_a_path_and_a_reason() {
        let r = NewPasswordRequest::parse(
            br#"{"path": "svc/db/password", "reason": "quarterly rotation"}"#,
        )
        .unwrap();
        assert_eq!(r.path.as_str(), "svc/db/password");
        for (body, field) in [
            (r#"{"reason": "x"}"#, "path"),
            (r#"{"path": "/x", "reason": "x"}"#, "path"),
            (r#"{"path": "x"}"#, "reason"),
            (r#"{"path": "x", "reason": ""}"#, "reason"),
            (r#"{"path": "x", "reason": "x", "length": 9}"#, "length"),
        ] {
            let e = NewPasswordRequest::parse(body.as_bytes()).unwrap_err();
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some(field),
                "{body}"
            );
        }
        assert_eq!(parse_rejection(b"{}").unwrap(), None);
        assert!(parse_rejection(br#"{"reason": 5}"#).is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let view = PasswordRequestView {
            id: PasswordRequestId::parse("pwr_0123456789abcdef01234567").unwrap(),
            agent_id: AgentId::parse("agt_0123456789abcdef01234567").unwrap(),
            path: SecretPath::parse("a").unwrap(),
            reason: "r".into(),
            status: PasswordRequestStatus::Approved,
            created_at: Timestamp::from_unix_ms(0).unwrap(),
            decided_at: None,
            decided_by: None,
            decision_reason: None,
            version: Some(2),
            delivered_at: None,
            password: Some("hunter2-secret".into()),
            withheld: None,
            workflow: None,
            stage: None,
            stages: None,
        };
        assert!(!format!("{view:?}").contains("hunter2"));
    }
}
