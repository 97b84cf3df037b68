//! `POST /v1/proxy`: the broker. The tenant object decides and releases the values; this
//! handler puts them into the request, sends it (no redirects followed, a timeout, a size
//! limit on the answer), redacts the answer and reports the outcome for the audit trail.
//! The values live only in this request's memory.

use crate::http::{Reply, json, read_json_body_within};
use crate::tenant_client::{Caller, call_tenant};
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use latchkey_contract::caller::broker::UseSecrets;
use latchkey_contract::public::FinishUse;
use latchkey_core::ApiError;
use latchkey_core::broker::UseReport;
use latchkey_core::broker::redact::Redactor;
use latchkey_core::broker::{
    self, MAX_BODY_BYTES, ProxyRequest, Rendered, UpstreamResponse, UseOutcome,
};
use std::collections::BTreeMap;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::{
    AbortController, Date, Delay, Env, Fetch, Headers, Method, Request, RequestInit,
    RequestRedirect, console_error,
};

/// The JSON envelope may escape a 1 MiB body to several times its size.
const MAX_ENVELOPE_BYTES: usize = 8 * MAX_BODY_BYTES;

/// How a call to the upstream ended, when it did not bring back a usable answer.
pub(crate) enum Failure {
    Timeout,
    TooLarge { status: u16 },
    Network(String),
}

pub async fn proxy(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let parsed = match read_json_body_within(request, MAX_ENVELOPE_BYTES).await {
        Ok(bytes) => ProxyRequest::parse(&bytes),
        Err(e) => Err(e),
    };
    json(200, &broker_call(parsed, env, caller).await?)
}

/// The broker's one code path, for `POST /v1/proxy` and MCP's `call_api`: the object releases
/// the values, the request is sent, the answer comes back redacted (the envelope).
pub async fn broker_call(
    parsed: Result<ProxyRequest, ApiError>,
    env: &Env,
    caller: &Caller,
) -> Result<serde_json::Value, ApiError> {
    let command = match &parsed {
        Ok(call) => Ok(UseSecrets {
            secrets: call.secrets.clone(),
            target: call.target(),
        }),
        Err(e) => Err(e.clone()),
    };
    let released = caller.run(env, command).await?;
    // `run` answers a refused command with its error, so here the parse succeeded.
    let call = parsed?;
    let values: BTreeMap<String, String> = released
        .values
        .into_iter()
        .map(|v| (v.name, v.value))
        .collect();
    let redactor = Redactor::new(values.values().map(String::as_str));
    let started = Date::now().as_millis();
    let rendered = match call.render(&values) {
        Ok(rendered) => rendered,
        Err(e) => {
            report(env, caller, &released.call_id, UseOutcome::NotSent, None, 0).await;
            return Err(e);
        }
    };
    drop(values);
    let outcome = send(rendered, call.timeout_seconds).await;
    let duration_ms = Date::now().as_millis().saturating_sub(started);
    // One report per call, whatever happened: the outcome, and the status when there was one.
    let (outcome, upstream_status, reply) = match outcome {
        Ok(upstream) => {
            let status = Some(upstream.status);
            match broker::envelope(upstream, &redactor, duration_ms) {
                Ok(envelope) => (UseOutcome::Completed, status, Ok(envelope)),
                Err(e) => (UseOutcome::Unreturnable, status, Err(e)),
            }
        }
        Err(Failure::Timeout) => (
            UseOutcome::Timeout,
            None,
            Err(broker::upstream_timeout(call.timeout_seconds)),
        ),
        Err(Failure::TooLarge { status }) => (
            UseOutcome::ResponseTooLarge,
            Some(status),
            Err(broker::response_too_large()),
        ),
        Err(Failure::Network(why)) => {
            // The runtime's message may quote the URL, query (and value) included.
            let why = redactor
                .redact_str(&why)
                .map(|(text, _)| text)
                .unwrap_or_else(|_| "the network error could not be shown".to_owned());
            (
                UseOutcome::UpstreamError,
                None,
                Err(broker::upstream_error(&why)),
            )
        }
    };
    report(
        env,
        caller,
        &released.call_id,
        outcome,
        upstream_status,
        duration_ms,
    )
    .await;
    reply
}

/// Tells the object how the call ended. A failure here is logged, not returned: the answer
/// is already in hand, and the object's sweep records a call nobody finished.
async fn report(
    env: &Env,
    caller: &Caller,
    call_id: &str,
    outcome: UseOutcome,
    upstream_status: Option<u16>,
    duration_ms: u64,
) {
    // Without the caller's credential: the report must not count as another use.
    let command = FinishUse {
        call_id: call_id.to_owned(),
        report: UseReport {
            outcome,
            upstream_status,
            duration_ms,
        },
    };
    if let Err(e) = call_tenant(env, caller.tenant(), caller.meta(), command).await {
        console_error!("broker: finish call: {e}");
    }
}

fn method_of(method: broker::hosts::HttpMethod) -> Method {
    use broker::hosts::HttpMethod as M;
    match method {
        M::Get => Method::Get,
        M::Head => Method::Head,
        M::Post => Method::Post,
        M::Put => Method::Put,
        M::Patch => Method::Patch,
        M::Delete => Method::Delete,
        M::Options => Method::Options,
    }
}

/// Sends the request and reads the answer, within `timeout_seconds` for both.
pub(crate) async fn send(
    rendered: Rendered,
    timeout_seconds: u64,
) -> Result<UpstreamResponse, Failure> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = async {
        let headers = Headers::new();
        for (name, value) in &rendered.headers {
            headers
                .set(name, value)
                .map_err(|_| Failure::Network(format!("header '{name}' was refused")))?;
        }
        let mut init = RequestInit::new();
        init.with_method(method_of(rendered.method))
            .with_headers(headers)
            .with_redirect(RequestRedirect::Manual);
        if let Some(body) = &rendered.body {
            init.with_body(Some(JsValue::from_str(body)));
        }
        let request = Request::new_with_init(&rendered.url, &init)
            .map_err(|e| Failure::Network(e.to_string()))?;
        let mut response = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(|e| Failure::Network(e.to_string()))?;
        let status = response.status_code();
        let headers: Vec<(String, String)> = response.headers().entries().collect();
        let declared = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
            return Err(Failure::TooLarge { status });
        }
        let mut body = Vec::new();
        // An answer without a body (204, HEAD) has no stream.
        if let Ok(mut stream) = response.stream() {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| Failure::Network(e.to_string()))?;
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(Failure::TooLarge { status });
                }
                body.extend_from_slice(&chunk);
            }
        }
        Ok(UpstreamResponse {
            status,
            headers,
            body,
        })
    };
    let timeout = Delay::from(Duration::from_secs(timeout_seconds));
    futures_util::pin_mut!(exchange);
    match select(exchange, timeout).await {
        Either::Left((result, _)) => {
            if result.is_err() {
                controller.abort();
            }
            result
        }
        Either::Right(_) => {
            controller.abort();
            Err(Failure::Timeout)
        }
    }
}
