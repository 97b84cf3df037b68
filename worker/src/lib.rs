//! The deployable Worker: answers the REST API, resolves the tenant from the credential, and
//! forwards each tenant command to that tenant's Durable Object.
//!
//! Request flow: `fetch` → [`app::handle`] (request id, route, auth) → a handler in
//! [`handlers`] (parse, call the object or D1, map the result) → JSON response.

mod app;
mod config;
mod console;
mod credentials;
mod faces;
mod handlers;
mod http;
mod mcp;
mod oauth;
mod registry;
mod tenant_client;

use worker::{Context, Env, Request, Response, event};

#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    Ok(app::handle(request, &env).await)
}
