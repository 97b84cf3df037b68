//! `/v1/approvals` and `/v1/policies`: deciding token requests that reach
//! sensitive or critical secrets, and the per-namespace rules for how many approvals they need.

use crate::http::{Reply, json, query_param, read_json_body, read_optional_body};
use crate::tenant_client::Caller;
use latchkey_contract::caller::approvals::{
    ApproveRequest, CancelRequest, DenyRequest, GetApproval, GetPolicies, ListApprovals,
    SetPolicies,
};
use latchkey_core::ApiError;
use latchkey_core::approval::{ApprovalId, ApprovalStatus, Policies, parse_decision_note};
use serde_json::json;
use worker::{Env, Request};

/// `GET /v1/approvals?status=pending|approved|denied|expired|cancelled` → `{approvals}`.
pub async fn list(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = query_param(request, "status").and_then(|status| {
        let status = status
            .map(|v| {
                ApprovalStatus::parse(&v).ok_or_else(|| {
                    ApiError::invalid_request(
                        "'status' must be pending, approved, denied, expired or cancelled",
                    )
                    .with("field", "status")
                })
            })
            .transpose()?;
        Ok(ListApprovals { status })
    });
    let approvals = caller.run(env, command).await?;
    json(200, &json!({ "approvals": approvals }))
}

/// `GET /v1/approvals/{id}`: for the requester (whose first poll after approval carries the
/// token value, once) and for approvers.
pub async fn get(env: &Env, caller: &Caller, id: ApprovalId) -> Reply {
    let view = caller.run(env, Ok(GetApproval { id })).await?;
    json(200, &view)
}

/// `POST /v1/approvals/{id}/approve` `{comment}`.
pub async fn approve(request: &mut Request, env: &Env, caller: &Caller, id: ApprovalId) -> Reply {
    let command = async {
        let comment = parse_decision_note(&read_optional_body(request).await?, "comment")?;
        Ok(ApproveRequest { id, comment })
    }
    .await;
    let view = caller.run(env, command).await?;
    json(200, &view)
}

/// `POST /v1/approvals/{id}/deny` `{reason}`.
pub async fn deny(request: &mut Request, env: &Env, caller: &Caller, id: ApprovalId) -> Reply {
    let command = async {
        let reason = parse_decision_note(&read_optional_body(request).await?, "reason")?;
        Ok(DenyRequest { id, reason })
    }
    .await;
    let view = caller.run(env, command).await?;
    json(200, &view)
}

/// `POST /v1/approvals/{id}/cancel`: the requester, or an approver during the cancel window.
pub async fn cancel(env: &Env, caller: &Caller, id: ApprovalId) -> Reply {
    let view = caller.run(env, Ok(CancelRequest { id })).await?;
    json(200, &view)
}

/// `GET /v1/policies` → `{policies, defaults}`.
pub async fn get_policies(env: &Env, caller: &Caller) -> Reply {
    let policies = caller.run(env, Ok(GetPolicies)).await?;
    json(200, &policies_body(&policies))
}

/// `PUT /v1/policies` `{policies: [{glob, standard, sensitive, critical,
/// cancel_window_seconds}]}` replaces the overrides.
pub async fn set_policies(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let policies = Policies::parse(&read_json_body(request).await?)?;
        Ok(SetPolicies { policies })
    }
    .await;
    let policies = caller.run(env, command).await?;
    json(200, &policies_body(&policies))
}

fn policies_body(policies: &Policies) -> serde_json::Value {
    let defaults = latchkey_core::approval::default_rule();
    json!({
        "policies": policies.rules,
        "defaults": {
            "standard": defaults.standard,
            "sensitive": defaults.sensitive,
            "critical": defaults.critical,
            "cancel_window_seconds": defaults.cancel_window_seconds,
        },
    })
}
