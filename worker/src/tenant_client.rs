//! The Worker's side of the tenant object contract: one command in, one typed result out.

use latchkey_core::credential::PresentedCredential;
use latchkey_core::{ApiError, TenantId};
use latchkey_durable_objects::contract::{
    COMMAND_URL, PROBE_INSTANCE_NAME, TENANT_BINDING, TenantCommand, TenantReply, TenantRequest,
    TenantResult, tenant_instance_name,
};
use worker::wasm_bindgen::JsValue;
use worker::{Env, Method, Request, RequestInit, Stub, console_error};

fn stub(env: &Env, instance_name: &str) -> Result<Stub, ApiError> {
    env.durable_object(TENANT_BINDING)
        .and_then(|namespace| namespace.get_by_name(instance_name))
        .map_err(|e| {
            console_error!("tenant object binding: {e}");
            ApiError::internal()
        })
}

async fn send(stub: Stub, request: &TenantRequest) -> TenantResult {
    let unavailable = |context: &str, e: &dyn std::fmt::Display| {
        console_error!("tenant object {context}: {e}");
        ApiError::internal()
    };
    let body = serde_json::to_string(request).map_err(|e| unavailable("encode", &e))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let outbound =
        Request::new_with_init(COMMAND_URL, &init).map_err(|e| unavailable("request", &e))?;
    let mut response = stub
        .fetch_with_request(outbound)
        .await
        .map_err(|e| unavailable("call", &e))?;
    response
        .json::<TenantResult>()
        .await
        .map_err(|e| unavailable("decode", &e))?
}

/// Sends a command to the tenant's own object.
pub async fn call_tenant(env: &Env, tenant: &TenantId, request: &TenantRequest) -> TenantResult {
    send(stub(env, &tenant_instance_name(tenant))?, request).await
}

/// Sends one command of the caller's tenant, authenticated by the caller's credential.
pub async fn run(
    env: &Env,
    credential: &PresentedCredential,
    command: TenantCommand,
) -> TenantResult {
    let request = TenantRequest {
        credential: Some(credential.hash),
        command,
    };
    call_tenant(env, &credential.tenant, &request).await
}

/// Pings the probe instance: proves Durable Objects answer, touches no tenant.
pub async fn ping(env: &Env) -> Result<(), ApiError> {
    let request = TenantRequest {
        credential: None,
        command: TenantCommand::Ping,
    };
    match send(stub(env, PROBE_INSTANCE_NAME)?, &request).await? {
        TenantReply::Pong => Ok(()),
        _ => Err(ApiError::internal()),
    }
}

/// For a reply of the wrong kind: a contract bug, never the client's fault.
pub fn unexpected(reply: &TenantReply) -> ApiError {
    // The kind only: a reply may carry a secret value, which must never reach a log.
    let kind = match reply {
        TenantReply::Initialized { .. } => "initialized",
        TenantReply::SecretCreated(_) => "secret_created",
        TenantReply::Secret(_) => "secret",
        TenantReply::SecretUpdated(_) => "secret_updated",
        TenantReply::SecretRotated(_) => "secret_rotated",
        TenantReply::Versions { .. } => "versions",
        TenantReply::Deleted => "deleted",
        TenantReply::SecretRestored(_) => "secret_restored",
        TenantReply::SecretList(_) => "secret_list",
        TenantReply::FieldStored(_) => "field_stored",
        TenantReply::FieldsStored(_) => "fields_stored",
        TenantReply::Field(_) => "field",
        TenantReply::Fields(_) => "fields",
        TenantReply::Info(_) => "info",
        TenantReply::Pong => "pong",
    };
    console_error!("tenant object: unexpected reply of kind {kind}");
    ApiError::internal()
}
