//! The Worker's side of the tenant object contract: one command in, one typed result out, and
//! the caller of a tenant route with the rate-limit state its response will carry.

use crate::credentials::tenant_credential;
use latchkey_contract::probe::Ping;
use latchkey_contract::{
    COMMAND_URL, CallerCommand, Channel, Command, PROBE_INSTANCE_NAME, RequestOrigin,
    TENANT_BINDING, TenantRequest, TenantResponse, decode_reply, tenant_instance_name,
};
use latchkey_core::credential::PresentedCredential;
use latchkey_core::ratelimit::RateState;
use latchkey_core::{ApiError, TenantId};
use std::cell::Cell;
use worker::js_sys::{Function, Object, Promise, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Env, Request, Response, Stub, console_error};

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

/// A thrown JS value's `message` (or the value itself when it is a string).
fn js_message(e: &JsValue) -> String {
    Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
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

/// The object's answer to an upgrade: the 101 with its socket, or a command's answer.
enum Upgraded {
    Socket(worker::web_sys::Response),
    Refused(String),
}

/// `stub.fetch(SOCKET_URL, {headers: {Upgrade, X-Latchkey-Request}})`, called directly as
/// [`fetch_text`] does (the crate's `Request` costs wasm bytes for nothing here).
async fn fetch_upgrade(stub: JsValue, body: &str) -> Result<Upgraded, JsValue> {
    let headers = Object::new();
    Reflect::set(&headers, &"Upgrade".into(), &"websocket".into())?;
    Reflect::set(
        &headers,
        &latchkey_contract::SOCKET_REQUEST_HEADER.into(),
        &body.into(),
    )?;
    let init = Object::new();
    Reflect::set(&init, &"headers".into(), &headers)?;
    let fetch: Function = Reflect::get(&stub, &"fetch".into())?.dyn_into()?;
    let response = JsFuture::from(Promise::from(fetch.call2(
        &stub,
        &latchkey_contract::SOCKET_URL.into(),
        &init,
    )?))
    .await?;
    let response: worker::web_sys::Response = response.dyn_into()?;
    if response.status() == 101 {
        return Ok(Upgraded::Socket(response));
    }
    let text = JsFuture::from(response.text()?).await?;
    text.as_string()
        .map(Upgraded::Refused)
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
    /// Set by the MCP endpoint: its commands' audit events say `api: mcp`.
    pub via: Option<latchkey_contract::Via>,
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
            via: None,
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

impl RequestMeta {
    fn origin(&self) -> RequestOrigin {
        RequestOrigin {
            client_ip: self.client_ip.clone(),
            request_id: self.request_id.clone(),
            user_agent: self.user_agent.clone(),
            via: self.via,
        }
    }
}

/// The reply of command `C` out of a response's result.
fn reply_of<C: Command>(response: TenantResponse) -> Result<C::Reply, ApiError> {
    let raw = response.result?;
    // The error's kind and position only: a reply may carry a value.
    decode_reply::<C>(&raw).map_err(|e| {
        console_error!(
            "tenant object: undecodable reply: {:?} at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        );
        ApiError::internal()
    })
}

/// Sends a command of a channel without a caller credential (operator routes, public routes,
/// approval links) and answers its reply. A caller's command cannot be sent this way: its
/// channel carries the credential ([`Caller::run`]).
pub async fn call_tenant<C>(
    env: &Env,
    tenant: &TenantId,
    meta: &RequestMeta,
    command: C,
) -> Result<C::Reply, ApiError>
where
    C: Command,
    C::Channel: Into<Channel>,
{
    let request = TenantRequest {
        origin: meta.origin(),
        channel: command.into().into(),
    };
    reply_of::<C>(send(stub(env, &tenant_instance_name(tenant))?, &request).await?)
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

    fn request(&self, command: Option<CallerCommand>) -> TenantRequest {
        TenantRequest {
            origin: self.meta.origin(),
            channel: Channel::Caller {
                credential: self.credential.clone(),
                purpose: self.meta.purpose.clone(),
                command,
            },
        }
    }

    /// The caller's tenant, for commands sent on its behalf without its credential (the
    /// broker's report, which must not count as another use).
    pub fn tenant(&self) -> &TenantId {
        &self.credential.tenant
    }

    /// The caller, its requests marked as coming through `via`.
    pub fn via(mut self, via: latchkey_contract::Via) -> Self {
        self.meta.via = Some(via);
        self
    }

    pub fn meta(&self) -> &RequestMeta {
        &self.meta
    }

    pub fn rate(&self) -> Option<RateState> {
        self.rate.get()
    }

    /// Runs `command` in the caller's tenant object and answers its reply. A command the
    /// handler could not build (bad input) is still sent, as "count only": authentication and
    /// rate-limit errors take precedence over it, and the response carries the rate-limit
    /// state.
    pub async fn run<C>(
        &self,
        env: &Env,
        command: Result<C, ApiError>,
    ) -> Result<C::Reply, ApiError>
    where
        C: Command<Channel = CallerCommand>,
    {
        match command {
            Ok(command) => reply_of::<C>(self.exchange(env, Some(command.into())).await?),
            Err(e) => Err(self.refuse(env, e).await),
        }
    }

    /// [`Caller::run`] for a command whose reply's JSON is the answer as it is: the reply is
    /// passed through undecoded (one instantiation for every such command, instead of a
    /// decode and a re-encode of each reply type in the Worker's wasm). The object still
    /// answers the command's own reply type (`answer` in its dispatch).
    pub async fn run_raw(
        &self,
        env: &Env,
        command: Result<CallerCommand, ApiError>,
    ) -> Result<Box<serde_json::value::RawValue>, ApiError> {
        match command {
            Ok(command) => self.exchange(env, Some(command)).await?.result,
            Err(e) => Err(self.refuse(env, e).await),
        }
    }

    /// Counts a request the handler refused (bad input) and answers its error, unless
    /// authentication or the rate limit answers first.
    pub async fn refuse(&self, env: &Env, error: ApiError) -> ApiError {
        match self
            .exchange(env, None)
            .await
            .map(|response| response.result)
        {
            Ok(Ok(_)) => error,
            Ok(Err(e)) | Err(e) => e,
        }
    }

    /// Forwards an agent's WebSocket upgrade to the tenant object with `command` (issue 23):
    /// the object authenticates it like any command and answers the 101 with the socket, which
    /// this returns as it is; a refusal comes back as a command's answer and is its error.
    pub async fn upgrade(&self, env: &Env, command: CallerCommand) -> Result<Response, ApiError> {
        let unavailable = |context: &str, e: &dyn std::fmt::Display| {
            console_error!("tenant object {context}: {e}");
            ApiError::internal()
        };
        let request = self.request(Some(command));
        let body = serde_json::to_string(&request).map_err(|e| unavailable("encode", &e))?;
        let stub = stub(env, &tenant_instance_name(&self.credential.tenant))?;
        let answer = fetch_upgrade(stub.into_rpc::<JsValue>(), &body)
            .await
            .map_err(|e| unavailable("upgrade", &js_message(&e)))?;
        let text = match answer {
            Upgraded::Socket(response) => return Ok(Response::from(response)),
            Upgraded::Refused(text) => text,
        };
        let answer = serde_json::from_str::<TenantResponse>(&text)
            .map_err(|e| unavailable("upgrade answer", &format!("{:?}", e.classify())))?;
        self.rate.set(answer.rate);
        match answer.result {
            Err(e) => Err(e),
            Ok(_) => Err(unavailable("upgrade", &"answered without a socket")),
        }
    }

    async fn exchange(
        &self,
        env: &Env,
        command: Option<CallerCommand>,
    ) -> Result<TenantResponse, ApiError> {
        let request = self.request(command);
        let response = send(
            stub(env, &tenant_instance_name(&self.credential.tenant))?,
            &request,
        )
        .await?;
        self.rate.set(response.rate);
        Ok(response)
    }
}

/// Pings the probe instance: proves Durable Objects answer, touches no tenant.
pub async fn ping(env: &Env) -> Result<(), ApiError> {
    let request = TenantRequest {
        origin: RequestOrigin::default(),
        channel: Channel::from(latchkey_contract::ProbeCommand::from(Ping)),
    };
    reply_of::<Ping>(send(stub(env, PROBE_INSTANCE_NAME)?, &request).await?)
}

/// `response` with the tenant's rate-limit state after the request, when there is one.
pub fn rate_headers(mut response: Response, caller: Option<&Caller>) -> Response {
    if let Some(rate) = caller.and_then(Caller::rate) {
        let headers = response.headers_mut();
        for (name, value) in rate.headers() {
            let _ = headers.set(name, &value);
        }
    }
    response
}
