//! Registers the tenant Durable Object class; its logic lives in `latchkey-durable-objects`.

use latchkey_durable_objects::object::TenantHost;
use worker::{
    DurableObject, Env, Request, Response, State, WebSocket, WebSocketIncomingMessage,
    durable_object,
};

/// The class named in `wrangler.toml` (`class_name = "TenantObject"`).
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
