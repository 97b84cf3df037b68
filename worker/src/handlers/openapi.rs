//! `GET /v1/openapi.json`: the OpenAPI 3.1 document of every route, served verbatim.
//!
//! `worker/openapi.json` is generated on the host by `cargo run -p latchkey-openapi`; that
//! crate's tests fail when it is stale or when it and the route table disagree. It is not
//! embedded in the wasm (it would be a fifth of the module): `scripts/build` copies it into
//! the static assets (`worker/build/assets/`, `[assets]` in wrangler.toml), which the Worker
//! reads through the `ASSETS` binding. `run_worker_first` keeps every request, this one
//! included, on the Worker, so the document answers with the same headers as before and
//! other methods still get 405.

use crate::http::Reply;
use latchkey_core::ApiError;
use worker::{Env, Response, console_error};

/// Where `scripts/build` puts the document among the assets. The host is never contacted:
/// the binding serves by path alone.
const ASSET_URL: &str = "https://assets.invalid/v1/openapi.json";

/// → 200 `application/json`, public, cacheable for five minutes (it changes only with a
/// deployment). A deployment without the asset answers 500 (and logs why).
pub async fn document(env: &Env) -> Reply {
    let asset = async {
        let mut fetched = env.assets("ASSETS")?.fetch(ASSET_URL, None).await?;
        match fetched.status_code() {
            200 => fetched.bytes().await,
            status => Err(worker::Error::RustError(format!("asset status {status}"))),
        }
    };
    let body = asset.await.map_err(|e| {
        console_error!("openapi document: {e}");
        ApiError::internal()
    })?;
    let mut response = Response::from_bytes(body).map_err(|_| ApiError::internal())?;
    let headers = response.headers_mut();
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set("Cache-Control", "public, max-age=300");
    Ok(response)
}
