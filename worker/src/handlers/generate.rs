//! `POST /v1/generate`: a random password, stored as a new secret when `path` is
//! given.

use super::now;
use crate::http::{Reply, json, read_json_body};
use crate::tenant_client::Caller;
use latchkey_contract::caller::secrets::CreateSecret;
use latchkey_contract::caller::tenant::Touch;
use latchkey_core::ApiError;
use latchkey_core::crypto::fill_random;
use latchkey_core::generate::{GeneratedPassword, PasswordRequest};
use worker::{Env, Request, console_error};

/// → 200 `{password, path: null, stored: false}`, or 201 `{password, path, stored: true,
/// version: 1}` when stored (needs `secrets:write` on the path; 409 if the path is taken).
/// Any authenticated caller may generate without storing.
pub async fn generate(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let spec = async { PasswordRequest::parse(&read_json_body(request).await?, now()) }.await;
    let password = match &spec {
        Ok(spec) => Some(spec.generate(&mut fill_random).map_err(|e| {
            console_error!("generate: {e}");
            ApiError::internal()
        })?),
        Err(_) => None,
    };
    let stored = match (&spec, &password) {
        (Ok(spec), Some(password)) => spec.to_new_secret(password.clone()),
        _ => None,
    };
    match (spec, stored) {
        (Ok(_), Some(secret)) => {
            let created = caller.run(env, Ok(CreateSecret { secret })).await?;
            let password = password.ok_or_else(ApiError::internal)?;
            json(
                201,
                &GeneratedPassword {
                    password,
                    path: Some(created.path),
                    stored: true,
                    version: Some(created.version),
                },
            )
        }
        // Not stored, or refused (then only counted).
        (spec, _) => {
            caller.run(env, spec.map(|_| Touch)).await?;
            let password = password.ok_or_else(ApiError::internal)?;
            json(
                200,
                &GeneratedPassword {
                    password,
                    path: None,
                    stored: false,
                    version: None,
                },
            )
        }
    }
}
