//! `GET /v1/openapi.json`: the OpenAPI 3.1 document of every route, served verbatim.
//!
//! `worker/openapi.json` is generated on the host by `cargo run -p latchkey-openapi`; that
//! crate's tests fail when it is stale or when it and the route table disagree.

use crate::http::Reply;
use latchkey_core::ApiError;
use worker::Response;

/// The document, embedded at build time.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

/// → 200 `application/json`, public, cacheable for five minutes (it changes only with a
/// deployment).
pub fn document() -> Reply {
    let mut response = Response::ok(DOCUMENT).map_err(|_| ApiError::internal())?;
    let headers = response.headers_mut();
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set("Cache-Control", "public, max-age=300");
    Ok(response)
}
