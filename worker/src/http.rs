//! HTTP plumbing shared by every handler: bodies in, JSON and errors out.

use latchkey_core::ApiError;
use latchkey_core::audit::MAX_CORRELATION_ID_BYTES;
use latchkey_core::crypto::random_bytes;
use serde::Serialize;
use worker::{Request, Response, ResponseBuilder, console_error};

/// Request bodies larger than this are refused before parsing. Secret values are capped at
/// 64 KiB; JSON escaping can grow one several-fold, so the envelope is roomier.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A handler's outcome: a JSON body with its status, or an API error.
pub type Reply = Result<Response, ApiError>;

pub fn json<T: Serialize>(status: u16, body: &T) -> Reply {
    let text = serde_json::to_string(body).map_err(|e| {
        console_error!("serialize response: {e}");
        ApiError::internal()
    })?;
    json_text(status, text)
}

/// A body that is JSON already (serialized in the tenant object).
pub fn json_text(status: u16, body: String) -> Reply {
    ResponseBuilder::new()
        .with_status(status)
        .with_header("Content-Type", "application/json")
        .map(|builder| builder.fixed(body.into_bytes()))
        .map_err(|e| {
            console_error!("response header: {e}");
            ApiError::internal()
        })
}

/// The decoded query string, in order.
pub fn query_pairs(request: &Request) -> Result<Vec<(String, String)>, ApiError> {
    Ok(latchkey_core::route::query_pairs(&request.inner().url()))
}

/// One query parameter's (first) value.
pub fn query_param(request: &Request, name: &str) -> Result<Option<String>, ApiError> {
    Ok(query_pairs(request)?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v))
}

/// 204 with no body.
pub fn no_content() -> Reply {
    Ok(Response::builder().with_status(204).empty())
}

/// The error body, with `Allow` on 405s and `WWW-Authenticate` on 401s.
pub fn error_response(error: &ApiError) -> Response {
    let mut response = error_with_body(error, error.status(), &error.to_body());
    if error.status() == 401 {
        let _ = response.headers_mut().set("WWW-Authenticate", "Bearer");
    }
    response
}

/// `error` answered with `body` and `status` (the Vault routes' shape), `Allow` kept on 405s.
pub fn error_with_body<T: Serialize>(error: &ApiError, status: u16, body: &T) -> Response {
    let mut response = match Response::from_json(body) {
        Ok(r) => r.with_status(status),
        Err(_) => Response::empty()
            .unwrap_or_else(|_| plain_fallback())
            .with_status(500),
    };
    if let Some(allow) = error.details.get("allow").and_then(|v| v.as_str()) {
        let _ = response.headers_mut().set("Allow", allow);
    }
    // Every 429 says when to come back: the rate window, a login lockout, the cap on
    // undecided access requests.
    if status == 429 {
        let seconds = error
            .details
            .get("retry_after")
            .and_then(|v| v.as_u64())
            .unwrap_or(1);
        let _ = response
            .headers_mut()
            .set("Retry-After", &seconds.to_string());
    }
    response
}

/// Only reached if the runtime cannot build a response at all.
fn plain_fallback() -> Response {
    Response::builder().with_status(500).empty()
}

/// Reads a JSON request body: checks the content type and the size before parsing.
pub async fn read_json_body(request: &mut Request) -> Result<Vec<u8>, ApiError> {
    read_json_body_within(request, MAX_BODY_BYTES).await
}

/// [`read_json_body`] with a limit of its own (the broker's envelope carries a body).
pub async fn read_json_body_within(
    request: &mut Request,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    require_json_type(request, false)?;
    read_body_within(request, limit).await
}

/// Refuses a body not declared `application/json`; with `untyped_ok`, a body declared as
/// nothing passes too (faces whose seeds send JSON without a `Content-Type`).
pub fn require_json_type(request: &Request, untyped_ok: bool) -> Result<(), ApiError> {
    let content_type = request
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case("application/json") || (untyped_ok && media_type.is_empty())
    {
        return Ok(());
    }
    Err(ApiError::invalid_request(format!(
        "Content-Type must be application/json (got '{}')",
        if media_type.is_empty() {
            "none"
        } else {
            media_type
        }
    ))
    .with("header", "Content-Type"))
}

/// Reads a request body of any content type (Vault clients may send JSON without one),
/// refusing one over [`MAX_BODY_BYTES`] before and after reading.
pub async fn read_body(request: &mut Request) -> Result<Vec<u8>, ApiError> {
    read_body_within(request, MAX_BODY_BYTES).await
}

/// Reads a body of at most `limit` bytes: a declared `Content-Length` over it is refused before
/// anything is read, and a body that turns out longer after.
pub async fn read_body_within(request: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::invalid_request(format!("request body exceeds {limit} bytes"));
    let declared = request
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    let bytes = request
        .bytes()
        .await
        .map_err(|_| ApiError::invalid_request("request body could not be read"))?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The request's correlation id: the caller's `X-Request-Id` when it is sane, else a new one.
pub fn request_id(request: &Request) -> String {
    let given = request.headers().get("X-Request-Id").ok().flatten();
    match given {
        Some(id)
            if !id.is_empty()
                && id.len() <= MAX_CORRELATION_ID_BYTES
                && id.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            id
        }
        _ => {
            let bytes = random_bytes::<12>().unwrap_or_default();
            format!("req_{}", latchkey_core::hex::encode(&bytes))
        }
    }
}

/// A decision body may be empty; when present it is JSON like any other.
pub async fn read_optional_body(request: &mut Request) -> Result<Vec<u8>, ApiError> {
    let has_body = request
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .is_some_and(|len| len != "0")
        || request
            .headers()
            .get("Content-Type")
            .ok()
            .flatten()
            .is_some();
    if has_body {
        read_json_body(request).await
    } else {
        Ok(Vec::new())
    }
}

/// [`read_optional_body`] for a body the seeds show without one: none (or only whitespace)
/// reads as `{}`.
pub async fn read_body_or_empty_object(request: &mut Request) -> Result<Vec<u8>, ApiError> {
    let body = read_optional_body(request).await?;
    Ok(if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".to_vec()
    } else {
        body
    })
}
