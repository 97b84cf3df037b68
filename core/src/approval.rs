//! Approvals: the policy that says how many people must approve access to a tier, and the
//! state machine of one approval request. Pure, so every transition is tested natively.
//!
//! ```text
//!            approve (n < required)
//!            ┌──────┐
//!            ▼      │         approve (n = required)         window over, requester polls
//!  ──► pending ─────┴──────────────────────────► approved ─────────────────────────► released
//!        │  │  └─ deny ──► denied                  │ (cancel window: cancel → cancelled)
//!        │  └──── cancel ─► cancelled               │
//!        └─ 24 h ─► expired                         └─ no window: released at the next poll
//! ```
//! Fail-closed: the requester never counts as an approver, one approver counts once, any
//! deny ends the request, and nothing leaves a final state.

use crate::body;
use crate::crypto::{CryptoError, random_bytes};
use crate::error::{ApiError, ErrorCode};
use crate::path::SecretPath;
use crate::scope::PathGlob;
use crate::secret::Tier;
use crate::tenant::TenantId;
use crate::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// Most approvals a policy may demand for one tier.
pub const MAX_APPROVALS: u64 = 5;
/// Longest cancel window a policy may set: one day.
pub const MAX_CANCEL_WINDOW_SECONDS: u64 = 86_400;
pub const DEFAULT_CANCEL_WINDOW_SECONDS: u64 = 300;
/// How long a request waits for decisions unless the deployment says otherwise.
pub const DEFAULT_APPROVAL_TTL_SECONDS: i64 = 86_400;
pub const MAX_POLICY_RULES: usize = 100;
pub const MAX_COMMENT_BYTES: usize = 1024;

pub const APPROVAL_PREFIX: &str = "apr_";
/// The tenant's 16 hex digits and 16 random ones.
pub const APPROVAL_HEX_DIGITS: usize = 32;

/// An approval request's id: `apr_` + the tenant's 16 hex digits + 16 random hex digits, so a
/// link carrying only the id reaches the right tenant object without a lookup.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApprovalId(String);

impl ApprovalId {
    pub fn generate(tenant: &TenantId) -> Result<Self, CryptoError> {
        let bytes = random_bytes::<8>()?;
        let hex = crate::hex::encode(&bytes);
        let tenant_hex = tenant.as_str().trim_start_matches("tn_");
        Ok(ApprovalId(format!("{APPROVAL_PREFIX}{tenant_hex}{hex}")))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let hex = text
            .strip_prefix(APPROVAL_PREFIX)
            .ok_or_else(|| "approval ids start with apr_".to_owned())?;
        if hex.len() != APPROVAL_HEX_DIGITS
            || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err("approval ids are apr_ and 32 lowercase hex digits".into());
        }
        Ok(ApprovalId(text.to_owned()))
    }

    /// The tenant the request belongs to.
    pub fn tenant(&self) -> Option<TenantId> {
        let hex = self
            .0
            .get(APPROVAL_PREFIX.len()..APPROVAL_PREFIX.len() + 16)?;
        TenantId::parse(&format!("tn_{hex}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApprovalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ApprovalId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ApprovalId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ApprovalId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What one tier needs: approvals, and for critical secrets the window after the last
/// approval during which the request can still be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub approvals: u64,
    pub cancel_window_seconds: u64,
}

impl Requirement {
    pub const NONE: Requirement = Requirement {
        approvals: 0,
        cancel_window_seconds: 0,
    };

    /// The stricter of two requirements, member by member.
    pub fn max(self, other: Requirement) -> Requirement {
        Requirement {
            approvals: self.approvals.max(other.approvals),
            cancel_window_seconds: self.cancel_window_seconds.max(other.cancel_window_seconds),
        }
    }
}

/// One per-namespace override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRule {
    pub glob: PathGlobText,
    pub standard: u64,
    pub sensitive: u64,
    pub critical: u64,
    pub cancel_window_seconds: u64,
    /// Reads and broker uses of `critical` secrets under the glob must say why
    /// (`X-Latchkey-Purpose`).
    #[serde(default)]
    pub require_purpose: bool,
}

/// A glob kept with its text, for the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathGlobText(pub PathGlob);

impl Serialize for PathGlobText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PathGlobText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PathGlob::parse(&text)
            .map(PathGlobText)
            .map_err(serde::de::Error::custom)
    }
}

impl PolicyRule {
    fn requirement(&self, tier: Tier) -> Requirement {
        let approvals = match tier {
            Tier::Standard => self.standard,
            Tier::Sensitive => self.sensitive,
            Tier::Critical => self.critical,
        };
        Requirement {
            approvals,
            cancel_window_seconds: if tier == Tier::Critical {
                self.cancel_window_seconds
            } else {
                0
            },
        }
    }
}

/// The defaults every tenant starts with: standard needs nobody, sensitive one approver,
/// critical two and then a 5-minute cancel window.
pub fn default_rule() -> PolicyRule {
    PolicyRule {
        glob: PathGlobText(PathGlob::everything()),
        standard: 0,
        sensitive: 1,
        critical: 2,
        cancel_window_seconds: DEFAULT_CANCEL_WINDOW_SECONDS,
        require_purpose: false,
    }
}

/// A tenant's per-namespace overrides (`PUT /v1/policies`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Policies {
    pub rules: Vec<PolicyRule>,
}

const POLICIES_SHAPE: &str =
    "must be a list of {glob, standard, sensitive, critical, cancel_window_seconds}";

/// `PUT /v1/policies` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliciesBody {
    #[serde(default)]
    policies: PolicyItems,
}

/// The `policies` list as it comes; each item is read as a [`PolicyRuleBody`] on its own, so
/// its errors name `policies[i]`.
#[derive(Default)]
pub struct PolicyItems(Option<Vec<Value>>);

impl<'de> Deserialize<'de> for PolicyItems {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(deserializer)? {
            Value::Array(items) => Ok(PolicyItems(Some(items))),
            _ => Err(D::Error::custom(POLICIES_SHAPE)),
        }
    }
}

/// One item of `policies` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRuleBody {
    glob: body::Text,
    #[serde(default)]
    standard: body::IntIn<0, MAX_APPROVALS>,
    #[serde(default)]
    sensitive: body::IntIn<1, MAX_APPROVALS>,
    #[serde(default)]
    critical: body::IntIn<1, MAX_APPROVALS>,
    #[serde(default)]
    cancel_window_seconds: body::IntIn<0, MAX_CANCEL_WINDOW_SECONDS>,
    #[serde(default)]
    require_purpose: body::OptBool,
}

impl Policies {
    /// Parses `{"policies": [{glob, standard?, sensitive?, critical?, cancel_window_seconds?}]}`.
    /// Members left out take the defaults; sensitive and critical need at least one approval.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: PoliciesBody = body::parse(bytes)?;
        let Some(items) = body.policies.0 else {
            return Err(ApiError::validation(
                "policies",
                format!("'policies' {POLICIES_SHAPE}"),
            ));
        };
        if items.len() > MAX_POLICY_RULES {
            return Err(ApiError::validation(
                "policies",
                format!("at most {MAX_POLICY_RULES} policies"),
            ));
        }
        let defaults = default_rule();
        let mut rules: Vec<PolicyRule> = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let field = format!("policies[{i}]");
            let rule: PolicyRuleBody = body::parse_value(item).map_err(|e| {
                // A count below one is refused with the reason.
                let floor = matches!(
                    e.details.get("field").and_then(Value::as_str),
                    Some("sensitive" | "critical")
                );
                ApiError::validation(
                    &field,
                    format!(
                        "{}{}",
                        e.message,
                        if floor { " (a policy may not let sensitive or critical secrets through without an approval)" } else { "" }
                    ),
                )
            })?;
            let glob =
                PathGlob::parse(&rule.glob.0).map_err(|why| ApiError::validation(&field, why))?;
            if rules.iter().any(|r| r.glob.0 == glob) {
                return Err(ApiError::validation(
                    &field,
                    format!("glob '{glob}' appears twice"),
                ));
            }
            let parsed = PolicyRule {
                standard: rule.standard.0.unwrap_or(defaults.standard),
                sensitive: rule.sensitive.0.unwrap_or(defaults.sensitive),
                critical: rule.critical.0.unwrap_or(defaults.critical),
                cancel_window_seconds: rule
                    .cancel_window_seconds
                    .0
                    .unwrap_or(defaults.cancel_window_seconds),
                require_purpose: rule.require_purpose.0.unwrap_or(false),
                glob: PathGlobText(glob),
            };
            rules.push(parsed);
        }
        Ok(Policies { rules })
    }

    /// The rule that decides for `path`: the matching one with the most fixed segments, else
    /// the defaults.
    pub fn rule_for(&self, path: &SecretPath) -> PolicyRule {
        self.rules
            .iter()
            .filter(|rule| rule.glob.0.matches(path))
            .max_by_key(|rule| rule.glob.0.literal_segments())
            .cloned()
            .unwrap_or_else(default_rule)
    }

    /// Whether a read or use of a `tier` secret at `path` must carry `X-Latchkey-Purpose`.
    pub fn purpose_required(&self, tier: Tier, path: &SecretPath) -> bool {
        tier == Tier::Critical && self.rule_for(path).require_purpose
    }

    /// Whether any rule asks for a purpose (the hot read path skips the check otherwise).
    pub fn any_requires_purpose(&self) -> bool {
        self.rules.iter().any(|r| r.require_purpose)
    }

    pub fn requirement(&self, tier: Tier, path: &SecretPath) -> Requirement {
        self.rule_for(path).requirement(tier)
    }
}

/// Where a request stands. Everything but `pending` and `approved` is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Denied,
    Expired,
    Cancelled,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Denied => "denied",
            ApprovalStatus::Expired => "expired",
            ApprovalStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            ApprovalStatus::Pending,
            ApprovalStatus::Approved,
            ApprovalStatus::Denied,
            ApprovalStatus::Expired,
            ApprovalStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The decision-relevant state of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalState {
    pub status: ApprovalStatus,
    /// Who asked: `master` or a token id. Never an approver of this request.
    pub requester: String,
    pub required: u64,
    pub cancel_window_seconds: u64,
    /// Distinct approvers so far, in order.
    pub approvers: Vec<String>,
    pub expires_at: Timestamp,
    pub approved_at: Option<Timestamp>,
    pub released: bool,
}

fn conflict(message: String) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message)
}

impl ApprovalState {
    /// The status at `now`: a pending request past its expiry is expired, stored or not.
    pub fn status_at(&self, now: Timestamp) -> ApprovalStatus {
        match self.status {
            ApprovalStatus::Pending if self.expires_at <= now => ApprovalStatus::Expired,
            status => status,
        }
    }

    /// When an approved request's token may be released (the end of its cancel window).
    pub fn releases_at(&self) -> Option<Timestamp> {
        self.approved_at.map(|at| {
            at.plus_seconds(i64::try_from(self.cancel_window_seconds).unwrap_or(i64::MAX))
        })
    }

    fn undecidable(&self, now: Timestamp) -> Option<ApiError> {
        match self.status_at(now) {
            ApprovalStatus::Pending => None,
            status => Some(conflict(format!(
                "this request is already {}; it cannot be decided again",
                status.as_str()
            ))),
        }
    }

    /// One approval. The requester is refused (403); a second approval by the same approver
    /// and any decision on a request that is no longer pending are conflicts (409).
    pub fn approve(&mut self, approver: &str, now: Timestamp) -> Result<(), ApiError> {
        if approver == self.requester {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                "the credential that made a request cannot approve it",
            ));
        }
        if let Some(e) = self.undecidable(now) {
            return Err(e);
        }
        if self.approvers.iter().any(|a| a == approver) {
            return Err(conflict(format!(
                "{approver} has already approved this request; it needs {} distinct approvers",
                self.required
            )));
        }
        self.approvers.push(approver.to_owned());
        if self.approvers.len() as u64 >= self.required {
            self.status = ApprovalStatus::Approved;
            self.approved_at = Some(now);
        }
        Ok(())
    }

    /// A denial ends the request. The requester cannot deny its own request either (it can
    /// cancel it).
    pub fn deny(&mut self, approver: &str, now: Timestamp) -> Result<(), ApiError> {
        if approver == self.requester {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                "the credential that made a request cannot decide it; cancel it instead",
            ));
        }
        if let Some(e) = self.undecidable(now) {
            return Err(e);
        }
        self.status = ApprovalStatus::Denied;
        Ok(())
    }

    /// Cancels a pending request, or an approved one whose cancel window is still open. Only
    /// the requester or an approver may (the caller checks who is an approver).
    pub fn cancel(
        &mut self,
        actor: &str,
        actor_may_decide: bool,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        if actor != self.requester && !actor_may_decide {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                "only the requester or an approver may cancel a request",
            )
            .with("required_scope", "approvals:decide"));
        }
        let open = match self.status_at(now) {
            ApprovalStatus::Pending => true,
            ApprovalStatus::Approved => {
                !self.released && self.releases_at().is_some_and(|at| now < at)
            }
            _ => false,
        };
        if !open {
            let why = if self.status_at(now) == ApprovalStatus::Approved {
                "approved and its cancel window is over".to_owned()
            } else {
                self.status_at(now).as_str().to_owned()
            };
            return Err(conflict(format!(
                "this request can no longer be cancelled: it is {why}"
            )));
        }
        self.status = ApprovalStatus::Cancelled;
        Ok(())
    }

    /// Whether the requester's poll at `now` releases the token (once).
    pub fn take_release(&mut self, actor: &str, now: Timestamp) -> bool {
        let due = actor == self.requester
            && self.status == ApprovalStatus::Approved
            && !self.released
            && self.releases_at().is_some_and(|at| at <= now);
        if due {
            self.released = true;
        }
        due
    }
}

/// One recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub approver: String,
    /// `approve`, `deny` or `cancel`.
    pub decision: String,
    pub note: Option<String>,
    pub at: Timestamp,
}

/// The token an approved request released: its value only in the one response that
/// released it, to the requester.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasedToken {
    pub id: crate::token::TokenId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `None` only for a token with no expiry.
    pub expires_at: Option<Timestamp>,
}

impl fmt::Debug for ReleasedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReleasedToken")
            .field("id", &self.id)
            .field("value", &self.value.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// `GET /v1/approvals/{id}`: everything an approver needs to decide, never a secret value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalView {
    pub id: ApprovalId,
    pub status: ApprovalStatus,
    pub requester: String,
    pub requester_description: Option<String>,
    pub request: crate::token::TokenRequest,
    /// The highest tier among the secrets the requested scope reaches.
    pub tier: Tier,
    /// How many existing secrets the requested scope reaches.
    pub secrets_reached: u64,
    pub required_approvals: u64,
    pub approvers: Vec<String>,
    pub cancel_window_seconds: u64,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub approved_at: Option<Timestamp>,
    pub releases_at: Option<Timestamp>,
    pub decisions: Vec<DecisionRecord>,
    pub token: Option<ReleasedToken>,
    /// The messages sent to approvers about this request.
    pub notifications: Vec<crate::delivery::DeliveryStatus>,
    /// Issue 24: the workflow of the current stage (of the last one once decided), the
    /// current stage, and every stage the request snapshotted when it opened. Absent on
    /// requests opened before workflows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<crate::stage::WorkflowStamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<crate::stage::StageView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<crate::stage::StageSnapshot>>,
}

/// `POST /v1/tokens` → 202, when the token needs approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPending {
    pub approval_status: String,
    pub approval_request_id: ApprovalId,
    pub message: String,
    pub approve_url: String,
    pub required_approvals: u64,
    pub expires_at: Timestamp,
}

/// An approve body as it comes: `{comment?}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    #[serde(default)]
    comment: body::OptText,
}

/// A deny (or reject) body as it comes: `{reason?}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenyBody {
    #[serde(default)]
    reason: body::OptText,
}

/// A validated approve (`comment`: [`ApproveBody`]) or deny (`reason`: [`DenyBody`]) body;
/// both optional, ≤ 1 KiB. An empty body is no note.
pub fn parse_decision_note(bytes: &[u8], member: &str) -> Result<Option<String>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let text = if member == "comment" {
        body::parse::<ApproveBody>(bytes)?.comment.0
    } else {
        body::parse::<DenyBody>(bytes)?.reason.0
    };
    match text {
        Some(text) if text.len() > MAX_COMMENT_BYTES => Err(ApiError::validation(
            member,
            format!("'{member}' is longer than {MAX_COMMENT_BYTES} bytes"),
        )),
        Some(text) if text.chars().any(|c| c.is_control() && c != '\n') => {
            Err(ApiError::validation(
                member,
                format!("'{member}' must not contain control characters"),
            ))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests;
