//! Registers the tenant Durable Object class; its logic lives in `latchkey-durable-objects`.

use latchkey_durable_objects::object::TenantHost;
use worker::{DurableObject, Env, Request, Response, State, durable_object};

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
}
