//! Access requests on discovered secrets (issue 23): filed like any other request (the same
//! row, limits and approvals), with the holding agent's part in [`crate::agents::carried`].

use crate::agents::carried;
use crate::authorization::access::Principal;
use crate::store::{Failure, SecretContext, in_transaction, internal};
use latchkey_core::ApiError;
use latchkey_core::access_request::{AccessRequestId, AccessRequestView};
use latchkey_core::carried::NewCarriedRequest;

/// `POST /v1/requests/read {secret_id}` and `POST /v1/requests {secret_id, data}`. A patch's
/// data is sealed to the holding agent's key here, and only that sealed form is stored.
pub fn create(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    request: NewCarriedRequest,
) -> Result<AccessRequestView, ApiError> {
    let id = AccessRequestId::generate().map_err(|e| internal("request id", e))?;
    let requester = principal.actor();
    let path = carried::policy_path(&request.secret_id)?;
    in_transaction(ctx.storage, "create carried request", || {
        let target = carried::target(ctx.storage, &request.secret_id)?
            .ok_or_else(|| carried::unknown_secret(&request.secret_id))?;
        crate::agents::require_agent(ctx.storage, &target.agent_id, "secret_id", true)?;
        super::check_pending(ctx, &requester)?;
        let required = ctx
            .policies()?
            .requirement(carried::DISCOVERED_TIER, &path)
            .approvals
            .max(1);
        // A discovered secret's environment is its cluster's.
        let cluster = target
            .params
            .get("cluster_name")
            .and_then(serde_json::Value::as_str);
        let progress = super::stages::progress_for(
            ctx,
            &path,
            cluster,
            request.kind,
            Some(carried::DISCOVERED_TIER),
            required,
        )?;
        let view = super::insert_pending(
            ctx,
            &id,
            super::Pending {
                kind: request.kind,
                path: None,
                secret_id: Some(&request.secret_id),
                reason: &request.reason,
                requester: &requester,
                tier: Some(carried::DISCOVERED_TIER),
                required,
                ttl_seconds: request.ttl_seconds,
                sealed: None,
                blind: false,
                progress,
            },
        )?;
        if let Some(data) = &request.data {
            carried::seal_patch(ctx, &target.agent_id, &id, data, view.expires_at)?;
        }
        Ok::<_, Failure>(view)
    })
}
