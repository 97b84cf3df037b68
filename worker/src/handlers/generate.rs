//! `POST /v1/generate` (seed 003): a random password, stored as a new secret when `path` is
//! given.

use super::now;
use crate::auth::tenant_credential;
use crate::http::{Reply, json, read_json_body};
use crate::tenant_client::{run, unexpected};
use latchkey_core::ApiError;
use latchkey_core::crypto::fill_random;
use latchkey_core::generate::{GeneratedPassword, PasswordRequest};
use latchkey_durable_objects::contract::{TenantCommand, TenantReply};
use worker::{Env, Request, console_error};

/// → 200 `{password, path: null, stored: false}`, or 201 `{password, path, stored: true,
/// version: 1}` when stored (409 if the path is taken).
pub async fn generate(request: &mut Request, env: &Env) -> Reply {
    let credential = tenant_credential(request)?;
    let spec = PasswordRequest::parse(&read_json_body(request).await?, now())?;
    let password = spec.generate(&mut fill_random).map_err(|e| {
        console_error!("generate: {e}");
        ApiError::internal()
    })?;
    let Some(secret) = spec.to_new_secret(password.clone()) else {
        return json(
            200,
            &GeneratedPassword {
                password,
                path: None,
                stored: false,
                version: None,
            },
        );
    };
    match run(env, &credential, TenantCommand::CreateSecret { secret }).await? {
        TenantReply::SecretCreated(created) => json(
            201,
            &GeneratedPassword {
                password,
                path: Some(created.path),
                stored: true,
                version: Some(created.version),
            },
        ),
        other => Err(unexpected(&other)),
    }
}
