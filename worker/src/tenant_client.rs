//! The Worker's side of the tenant object contract: one command in, one typed result out, and
//! the caller of a tenant route with the rate-limit state its response will carry.

use crate::auth::tenant_credential;
use latchkey_core::credential::PresentedCredential;
use latchkey_core::ratelimit::RateState;
use latchkey_core::{ApiError, TenantId};
use latchkey_durable_objects::contract::{
    COMMAND_URL, PROBE_INSTANCE_NAME, TENANT_BINDING, TenantCommand, TenantReply, TenantRequest,
    TenantResponse, TenantResult, tenant_instance_name,
};
use latchkey_durable_objects::sql::js_message;
use std::cell::Cell;
use worker::js_sys::{Function, Object, Promise, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Env, Request, Stub, console_error};

fn stub(env: &Env, instance_name: &str) -> Result<Stub, ApiError> {
    env.durable_object(TENANT_BINDING)
        .and_then(|namespace| namespace.get_by_name(instance_name))
        .map_err(|e| {
            console_error!("tenant object binding: {e}");
            ApiError::internal()
        })
}

async fn send(stub: Stub, request: &TenantRequest) -> Result<TenantResponse, ApiError> {
    let unavailable = |context: &str, e: &dyn std::fmt::Display| {
        console_error!("tenant object {context}: {e}");
        ApiError::internal()
    };
    let body = serde_json::to_string(request).map_err(|e| unavailable("encode", &e))?;
    // `stub.fetch(url, {method, body})` and `response.text()` called directly: the crate's
    // `Request` and `Response::text` wrap the body in Rust-side streams and headers, which
    // cost about a fifth of a baseline request's time on the isolate's thread.
    let text = fetch_text(stub.into_rpc::<JsValue>(), &body)
        .await
        .map_err(|e| unavailable("call", &js_message(&e)))?;
    // serde_json on the text, not JS `JSON.parse`: every u64 survives the trip.
    // The error's position only: serde_json quotes the offending text, which may be a value.
    serde_json::from_str::<TenantResponse>(&text).map_err(|e| {
        let at = format!(
            "{:?} at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        );
        unavailable("decode", &at)
    })
}

/// POSTs `body` to the object behind `stub` and returns the answer's text.
async fn fetch_text(stub: JsValue, body: &str) -> Result<String, JsValue> {
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &"POST".into())?;
    Reflect::set(&init, &"body".into(), &body.into())?;
    let fetch: Function = Reflect::get(&stub, &"fetch".into())?.dyn_into()?;
    let response = JsFuture::from(Promise::from(fetch.call2(
        &stub,
        &COMMAND_URL.into(),
        &init,
    )?))
    .await?;
    let text: Function = Reflect::get(&response, &"text".into())?.dyn_into()?;
    let text = JsFuture::from(Promise::from(text.call0(&response)?)).await?;
    text.as_string()
        .ok_or_else(|| JsValue::from_str("the answer's text is not a string"))
}

/// Where a request came from, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// `X-Latchkey-Purpose`, validated ([`Caller::from_request`]).
    pub purpose: Option<String>,
}

impl RequestMeta {
    pub fn of(request: &Request, request_id: &str) -> Self {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .ok()
                .flatten()
                .map(|v| v.chars().take(512).collect::<String>())
        };
        RequestMeta {
            request_id: Some(request_id.to_owned()),
            client_ip: header("CF-Connecting-IP"),
            user_agent: header("User-Agent"),
            purpose: None,
        }
    }
}

impl RequestMeta {
    /// [`RequestMeta::of`] with the request's `X-Latchkey-Purpose` (400 when it is malformed):
    /// every face of a credentialed route carries it, so the purpose rule can be met through
    /// any of them.
    pub fn with_purpose(request: &Request, request_id: &str) -> Result<Self, ApiError> {
        let mut meta = RequestMeta::of(request, request_id);
        let purpose = request
            .headers()
            .get("X-Latchkey-Purpose")
            .map_err(|_| ApiError::invalid_request("X-Latchkey-Purpose is not readable"))?;
        meta.purpose = latchkey_core::broker::parse_purpose(purpose.as_deref())?;
        Ok(meta)
    }
}

/// Sends a command without a caller credential (operator routes, approval links).
pub async fn call_tenant(
    env: &Env,
    tenant: &TenantId,
    meta: &RequestMeta,
    command: TenantCommand,
) -> TenantResult {
    let request = TenantRequest {
        credential: None,
        client_ip: meta.client_ip.clone(),
        request_id: meta.request_id.clone(),
        user_agent: meta.user_agent.clone(),
        purpose: meta.purpose.clone(),
        command: Some(command),
    };
    send(stub(env, &tenant_instance_name(tenant))?, &request)
        .await?
        .result
}

/// The caller of a tenant route: resolved once, before the handler runs.
#[derive(Debug, Clone)]
pub struct Caller {
    credential: PresentedCredential,
    meta: RequestMeta,
    /// The tenant's rate-limit state after this request, for the response headers.
    rate: Cell<Option<RateState>>,
}

impl Caller {
    /// The request's tenant credential (401 when it is missing or malformed) and origin.
    pub fn from_request(request: &Request, request_id: &str) -> Result<Self, ApiError> {
        let meta = RequestMeta::with_purpose(request, request_id)?;
        Ok(Caller {
            credential: tenant_credential(request)?,
            meta,
            rate: Cell::new(None),
        })
    }

    /// A caller whose credential came from somewhere other than the header (the bootstrap
    /// token in a registration body).
    pub fn with_credential(credential: PresentedCredential, meta: RequestMeta) -> Self {
        Caller {
            credential,
            meta,
            rate: Cell::new(None),
        }
    }

    fn request(&self, command: Option<TenantCommand>) -> TenantRequest {
        TenantRequest {
            credential: Some(self.credential.clone()),
            client_ip: self.meta.client_ip.clone(),
            request_id: self.meta.request_id.clone(),
            user_agent: self.meta.user_agent.clone(),
            purpose: self.meta.purpose.clone(),
            command,
        }
    }

    /// Sends a command to the caller's tenant without the caller's credential (the broker's
    /// report, which must not count as another use).
    pub async fn run_uncredentialed(&self, env: &Env, command: TenantCommand) -> TenantResult {
        call_tenant(env, &self.credential.tenant, &self.meta, command).await
    }

    pub fn rate(&self) -> Option<RateState> {
        self.rate.get()
    }

    /// Runs `command` in the caller's tenant object. A command the handler could not build
    /// (bad input) is still sent, as "count only": authentication and rate-limit errors take
    /// precedence over it, and the response carries the rate-limit state.
    pub async fn run(&self, env: &Env, command: Result<TenantCommand, ApiError>) -> TenantResult {
        let (command, refused) = match command {
            Ok(command) => (Some(command), None),
            Err(e) => (None, Some(e)),
        };
        let request = self.request(command);
        let response = send(
            stub(env, &tenant_instance_name(&self.credential.tenant))?,
            &request,
        )
        .await?;
        self.rate.set(response.rate);
        match (response.result, refused) {
            (Ok(_), Some(e)) => Err(e),
            (result, _) => result,
        }
    }
}

/// Pings the probe instance: proves Durable Objects answer, touches no tenant.
pub async fn ping(env: &Env) -> Result<(), ApiError> {
    let request = TenantRequest {
        credential: None,
        client_ip: None,
        request_id: None,
        user_agent: None,
        purpose: None,
        command: Some(TenantCommand::Ping),
    };
    match send(stub(env, PROBE_INSTANCE_NAME)?, &request)
        .await?
        .result?
    {
        TenantReply::Pong => Ok(()),
        _ => Err(ApiError::internal()),
    }
}

/// For a reply of the wrong kind: a contract bug, never the client's fault.
pub fn unexpected(reply: &TenantReply) -> ApiError {
    // The kind only: a reply may carry a secret value, which must never reach a log.
    let kind = match reply {
        TenantReply::KvRead(_) => "kv_read",
        TenantReply::KvWritten(_) => "kv_written",
        TenantReply::KvMetadata(_) => "kv_metadata",
        TenantReply::KvKeys { .. } => "kv_keys",
        TenantReply::SecretsReleased(_) => "secrets_released",
        TenantReply::UseFinished => "use_finished",
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
        TenantReply::Counted => "counted",
        TenantReply::TokenCreated(_) => "token_created",
        TenantReply::Tokens { .. } => "tokens",
        TenantReply::TokenRevoked { .. } => "token_revoked",
        TenantReply::PlanSet => "plan_set",
        TenantReply::BenchWritten => "bench_written",
        TenantReply::ApprovalPending(_) => "approval_pending",
        TenantReply::Approval(_) => "approval",
        TenantReply::Approvals { .. } => "approvals",
        TenantReply::Policies(_) => "policies",
        TenantReply::Notifications { .. } => "notifications",
        TenantReply::LinkReview { .. } => "link_review",
        TenantReply::AuditPage(_) => "audit_page",
        TenantReply::AuditVerified(_) => "audit_verified",
        TenantReply::StreamEvents { .. } => "stream_events",
        TenantReply::Pong => "pong",
        TenantReply::BootstrapCreated(_) => "bootstrap_created",
        TenantReply::AgentRegistered(_) => "agent_registered",
        TenantReply::AgentJwt(_) => "agent_jwt",
        TenantReply::AgentCommands { .. } => "agent_commands",
        TenantReply::AgentSecrets { .. } => "agent_secrets",
        TenantReply::Agents { .. } => "agents",
        TenantReply::AgentRevoked { .. } => "agent_revoked",
        TenantReply::AgentReinstated { .. } => "agent_reinstated",
        TenantReply::AgentCommandQueued(_) => "agent_command_queued",
        TenantReply::AgentSettings(_) => "agent_settings",
        TenantReply::GrantCreated(_) => "grant_created",
        TenantReply::Grants { .. } => "grants",
        TenantReply::DiscoveryStored(_) => "discovery_stored",
        TenantReply::Discovery { .. } => "discovery",
        TenantReply::AgentCertificates { .. } => "agent_certificates",
        TenantReply::PasswordRequest(_) => "password_request",
        TenantReply::PasswordRequests { .. } => "password_requests",
        TenantReply::LoginChallenge(_) => "login_challenge",
        TenantReply::LoggedIn(_) => "logged_in",
        TenantReply::User(_) => "user",
        TenantReply::Users { .. } => "users",
        TenantReply::Role(_) => "role",
        TenantReply::Roles { .. } => "roles",
        TenantReply::UserRole(_) => "user_role",
        TenantReply::UserRoles { .. } => "user_roles",
        TenantReply::AccessRequest { .. } => "access_request",
        TenantReply::AccessRequests { .. } => "access_requests",
        TenantReply::WrapCreated(_) => "wrap_created",
        TenantReply::Wraps { .. } => "wraps",
        TenantReply::Unwrapped(_) => "unwrapped",
    };
    console_error!("tenant object: unexpected reply of kind {kind}");
    ApiError::internal()
}
