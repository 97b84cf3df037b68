//! The tenant object's own deployable script (`wrangler.tenant.toml`): it registers the class
//! (`TenantObject`) and forwards to [`TenantHost`]. The front Worker (`worker/`) reaches the
//! class through a Durable Object binding with `script_name`, so neither module carries the
//! other's code, and only this script holds the root key.

use crate::object::TenantHost;
use worker::{
    Context, DurableObject, Env, Request, Response, State, WebSocket, WebSocketIncomingMessage,
    durable_object, event,
};

/// The class named in `wrangler.tenant.toml` (`class_name = "TenantObject"`).
#[durable_object]
pub struct TenantObject {
    host: TenantHost,
}

impl DurableObject for TenantObject {
    fn new(state: State, env: Env) -> Self {
        TenantObject {
            host: TenantHost::new(state, env),
        }
    }

    async fn fetch(&self, request: Request) -> worker::Result<Response> {
        self.host.fetch(request).await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.host.alarm().await
    }

    // Agent sockets (issue 23), accepted with the hibernation API: these run when a frame
    // arrives, the object woken for it if it was evicted.
    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        self.host.websocket_message(ws, message).await
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> worker::Result<()> {
        self.host.websocket_close(ws, code).await
    }

    async fn websocket_error(&self, _ws: WebSocket, error: worker::Error) -> worker::Result<()> {
        worker::console_error!("tenant object: agent socket error: {error}");
        Ok(())
    }
}

/// The script has no public routes (`workers_dev = false`, no `routes`): anything that reaches
/// its own fetch handler is answered `not_found` in the one error body.
#[event(fetch)]
async fn fetch(_request: Request, _env: Env, _ctx: Context) -> worker::Result<Response> {
    let body = serde_json::json!({"error": {
        "code": "not_found",
        "message": "this script serves only the tenant object",
    }});
    Response::from_json(&body).map(|r| r.with_status(404))
}
