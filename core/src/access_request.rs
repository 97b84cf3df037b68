//! Access requests: asking people for what one's own permissions do not allow.
//! A read request, once approved, leaves a single-use wrap of the secret's value for the
//! requester; a patch request carries a new value, sealed while it waits, and becomes the
//! secret's next version when it is approved. Both follow the approval policy of the secret's
//! tier, and always need at least one approval: a request nobody has to look at would be a
//! way around every permission.
//!
//! The decisions reuse the token approvals' state machine ([`crate::approval::ApprovalState`]):
//! no self-approval, one vote per approver, any rejection ends the request, 24 h to decide.

use crate::approval::{ApprovalStatus, DecisionRecord};
use crate::body;
use crate::error::ApiError;
use crate::path::SecretPath;
use crate::secret::{Tier, parse_path_field};
use crate::time::Timestamp;
use crate::value::check_value;
use crate::wrap::{MAX_WRAP_TTL_SECONDS, WrapId};
use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::id::AccessRequestId;

pub const MAX_REASON_BYTES: usize = 1_024;
/// How long the wrap an approved read request leaves may wait to be retrieved, by default.
pub const DEFAULT_READ_TTL_SECONDS: u64 = 3_600;
/// Undecided requests one requester may hold; a flood of requests stops here.
pub const MAX_PENDING_REQUESTS: u64 = 100;
/// `requester_id` in a list's query.
pub const MAX_REQUESTER_ID_BYTES: usize = 64;

/// What is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessKind {
    /// One look at the current value, through a wrap.
    Read,
    /// A new value, applied as the next version.
    Patch,
}

impl AccessKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKind::Read => "read",
            AccessKind::Patch => "patch",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [AccessKind::Read, AccessKind::Patch]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// Access requests call a denial a rejection (`…/reject`): the state machine's `denied` is
/// `rejected` here.
pub fn status_name(status: ApprovalStatus) -> &'static str {
    match status {
        ApprovalStatus::Denied => "rejected",
        other => other.as_str(),
    }
}

pub fn parse_status(text: &str) -> Option<ApprovalStatus> {
    match text {
        "rejected" => Some(ApprovalStatus::Denied),
        "denied" => None,
        other => ApprovalStatus::parse(other),
    }
}

pub(crate) fn reason(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_REASON_BYTES {
        return Err(ApiError::validation(
            "reason",
            format!("'reason' must say why, in 1 to {MAX_REASON_BYTES} bytes"),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::validation(
            "reason",
            "'reason' must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// A new access request: `POST /v1/requests/read` or `POST /v1/requests`. `Debug` leaves a
/// patch's value out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccessRequest {
    pub path: SecretPath,
    pub reason: String,
    pub kind: AccessKind,
    /// A read request: how long its wrap may wait to be retrieved once approved.
    pub ttl_seconds: Option<u64>,
    /// A patch request: the new value.
    pub value: Option<String>,
}

/// `POST /v1/requests/read` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadRequestBody {
    path: body::Text,
    reason: body::Text,
    #[serde(default)]
    ttl_seconds: body::IntIn<1, MAX_WRAP_TTL_SECONDS>,
}

/// `POST /v1/requests` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchRequestBody {
    path: body::Text,
    value: body::Text,
    reason: body::Text,
}

impl NewAccessRequest {
    /// `POST /v1/requests/read` `{path, reason, ttl_seconds?}`.
    pub fn parse_read(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: ReadRequestBody = body::parse(bytes)?;
        Ok(NewAccessRequest {
            path: parse_path_field("path", &body.path.0)?,
            reason: reason(&body.reason.0)?,
            kind: AccessKind::Read,
            ttl_seconds: Some(body.ttl_seconds.0.unwrap_or(DEFAULT_READ_TTL_SECONDS)),
            value: None,
        })
    }

    /// `POST /v1/requests` `{path, value, reason}`: a patch.
    pub fn parse_patch(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: PatchRequestBody = body::parse(bytes)?;
        let path = parse_path_field("path", &body.path.0)?;
        check_value("value", &body.value.0)?;
        Ok(NewAccessRequest {
            path,
            reason: reason(&body.reason.0)?,
            kind: AccessKind::Patch,
            ttl_seconds: None,
            value: Some(body.value.0),
        })
    }
}

impl fmt::Debug for NewAccessRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccessRequest")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

/// `GET /v1/requests?requester_id=&status=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestQuery {
    pub requester_id: Option<String>,
    pub status: Option<ApprovalStatus>,
}

impl RequestQuery {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut query = RequestQuery::default();
        for (key, value) in pairs {
            match key.as_str() {
                "requester_id" => {
                    if value.is_empty() || value.len() > MAX_REQUESTER_ID_BYTES {
                        return Err(ApiError::validation(
                            "requester_id",
                            format!("'requester_id' must be 1 to {MAX_REQUESTER_ID_BYTES} bytes"),
                        ));
                    }
                    query.requester_id = Some(value.clone());
                }
                "status" => {
                    query.status = Some(parse_status(value).ok_or_else(|| {
                        ApiError::validation(
                            "status",
                            "'status' must be pending, approved, rejected, expired or cancelled",
                        )
                    })?);
                }
                other => {
                    return Err(ApiError::validation(
                        other,
                        format!(
                            "unknown query parameter '{other}'; expected requester_id or status"
                        ),
                    ));
                }
            }
        }
        Ok(query)
    }
}

/// One approval or rejection, as `GET /v1/requests/{id}` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDecision {
    pub approver_id: String,
    /// `approve`, `reject` or `cancel`.
    pub decision: String,
    pub comment: Option<String>,
    pub created_at: Timestamp,
}

impl From<DecisionRecord> for RequestDecision {
    fn from(record: DecisionRecord) -> Self {
        RequestDecision {
            approver_id: record.approver,
            decision: match record.decision.as_str() {
                "deny" => "reject".to_owned(),
                other => other.to_owned(),
            },
            comment: record.note,
            created_at: record.at,
        }
    }
}

/// An access request as the API shows it: never the value of a patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequestView {
    pub id: AccessRequestId,
    pub kind: AccessKind,
    /// A stored secret's path; absent for a request on a discovered secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<SecretPath>,
    /// A discovered secret's id (issue 23: the agent that holds it carries the request out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<crate::agent::discovered::DiscoveredSecretId>,
    pub reason: String,
    /// `pending`, `approved`, `rejected`, `expired` or `cancelled`.
    pub status: String,
    pub requester_id: String,
    /// The secret's tier; `null` to a requester who cannot otherwise see the path (the answer
    /// must not tell whether a secret is there, or how sensitive it is), and to approvers
    /// when there is no secret at the path.
    pub tier: Option<Tier>,
    /// How many approvals it needs; `null` to a requester who cannot otherwise see the path
    /// (the count would tell the tier).
    pub required_approvals: Option<u64>,
    pub approvals: Vec<RequestDecision>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    /// A read request: how long its wrap waits once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u64>,
    /// A read request, approved: the wrap to retrieve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_id: Option<WrapId>,
    /// A patch request, approved: the version it became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_version: Option<u64>,
    /// A request on a discovered secret: `pending` (not approved), `queued`, `claimed`,
    /// `applied` or `failed` (the agent's part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<String>,
    /// `failed`: what the agent said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_error: Option<String>,
    /// Issue 24: the workflow of the current stage, the current stage, and every stage the
    /// request snapshotted when it opened (absent on requests from before, and for a blind
    /// requester, to whom they would tell the tier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<crate::stage::WorkflowStamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<crate::stage::StageView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<crate::stage::StageSnapshot>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_and_patch_requests_parse_and_name_the_bad_member() {
        let read =
            NewAccessRequest::parse_read(br#"{"path":"prod/db","reason":"incident 42"}"#).unwrap();
        assert_eq!(read.ttl_seconds, Some(DEFAULT_READ_TTL_SECONDS));
        assert_eq!(read.kind, AccessKind::Read);
        let patch = NewAccessRequest::parse_patch(
            br#"{"path":"prod/db","value":"s3cr3t-value","reason":"rotate after leak"}"#,
        )
        .unwrap();
        assert_eq!(patch.value.as_deref(), Some("s3cr3t-value"));
        assert!(!format!("{patch:?}").contains("s3cr3t"));
        for (body, field) in [
            (r#"{"path":"prod/db"}"#, "reason"),
            (r#"{"path":"prod/db","reason":"   "}"#, "reason"),
            (r#"{"path":"/x","reason":"r"}"#, "path"),
            (
                r#"{"path":"a","reason":"r","ttl_seconds":0}"#,
                "ttl_seconds",
            ),
            (r#"{"path":"a","reason":"r","value":"v"}"#, "value"),
        ] {
            let e = NewAccessRequest::parse_read(body.as_bytes()).unwrap_err();
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some(field),
                "{body}: {e}"
            );
        }
        let e = NewAccessRequest::parse_patch(br#"{"path":"a","reason":"r"}"#).unwrap_err();
        assert_eq!(
            e.details.get("field").and_then(|f| f.as_str()),
            Some("value")
        );
    }

    #[test]
    fn rejected_is_the_wire_name_of_denied() {
        assert_eq!(status_name(ApprovalStatus::Denied), "rejected");
        assert_eq!(parse_status("rejected"), Some(ApprovalStatus::Denied));
        assert_eq!(parse_status("denied"), None);
        assert_eq!(parse_status("pending"), Some(ApprovalStatus::Pending));
        let query = RequestQuery::parse(&[
            ("status".into(), "rejected".into()),
            ("requester_id".into(), "usr_x".into()),
        ])
        .unwrap();
        assert_eq!(query.status, Some(ApprovalStatus::Denied));
        assert!(RequestQuery::parse(&[("status".into(), "nope".into())]).is_err());
        assert!(RequestQuery::parse(&[("user_id".into(), "x".into())]).is_err());
    }
}
