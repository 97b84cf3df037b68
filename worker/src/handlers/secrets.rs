//! `/v1/secrets`: create, read, update, rotate, versions, delete, restore.

use super::now;
use crate::http::{Reply, json, json_text, no_content, query_pairs, query_param, read_json_body};
use crate::tenant_client::Caller;
use latchkey_contract::caller::secrets::{
    CreateSecret, DeleteSecret, GetSecret, ListSecrets, ListVersions, RestoreSecret, RotateSecret,
    UpdateSecret,
};
use latchkey_core::listing::ListQuery;
use latchkey_core::secret::{MAX_VERSION_PARAM, NewSecret, Rotation, SecretUpdate};
use latchkey_core::{ApiError, SecretPath};
use serde_json::json;
use worker::{Env, Request};

/// `POST /v1/secrets` → 201 `{path, version, tier, created_at}`.
pub async fn create(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let secret = NewSecret::parse(&read_json_body(request).await?, now())?;
        Ok(CreateSecret { secret })
    }
    .await;
    let created = caller.run(env, command).await?;
    json(201, &created)
}

/// `GET /v1/secrets/{path}[?version=N]` → 200 with the value.
pub async fn get(request: &mut Request, env: &Env, caller: &Caller, path: SecretPath) -> Reply {
    let command = version_param(request).map(|version| GetSecret { path, version });
    let secret = caller.run(env, command).await?;
    json_text(200, secret.body)
}

/// `GET /v1/secrets?namespace=&tag=&tier=&q=&expiring_within=&include_deleted=&limit=&cursor=`
/// → 200 `{items, total, next_cursor}`: metadata only, of the secrets the caller may read.
pub async fn list(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = query_pairs(request)
        .and_then(|pairs| ListQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
        .map(|query| ListSecrets { query });
    let page = caller.run(env, command).await?;
    json(200, &page)
}

/// `PUT /v1/secrets/{path}` (optional `If-Match: <version>`) → 200 `{path, version, updated_at}`.
pub async fn update(request: &mut Request, env: &Env, caller: &Caller, path: SecretPath) -> Reply {
    update_with(request, env, caller, path, SecretUpdate::parse).await
}

/// `PATCH /v1/secrets/{path}` `{value?, tier?, description?, tags?, expires_at?, max_versions?,
/// allowed_hosts?}` [`If-Match`] → 200: what is given changes; without a value, no new
/// version. The same command as `PUT`, so the same rules.
pub async fn patch(request: &mut Request, env: &Env, caller: &Caller, path: SecretPath) -> Reply {
    update_with(request, env, caller, path, SecretUpdate::parse_patch).await
}

async fn update_with(
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    path: SecretPath,
    parse: fn(&[u8], latchkey_core::Timestamp) -> Result<SecretUpdate, ApiError>,
) -> Reply {
    let command = async {
        let if_match = request
            .headers()
            .get("If-Match")
            .ok()
            .flatten()
            .map(|text| parse_if_match(&text))
            .transpose()?;
        let update = parse(&read_json_body(request).await?, now())?;
        Ok(UpdateSecret {
            path,
            update,
            if_match,
        })
    }
    .await;
    let updated = caller.run(env, command).await?;
    json(200, &updated)
}

/// `POST /v1/secrets/{path}/rotate` `{new_value, grace_period_seconds}` → 200.
pub async fn rotate(request: &mut Request, env: &Env, caller: &Caller, path: SecretPath) -> Reply {
    let command = async {
        let rotation = Rotation::parse(&read_json_body(request).await?)?;
        Ok(RotateSecret { path, rotation })
    }
    .await;
    let rotated = caller.run(env, command).await?;
    json(200, &rotated)
}

/// `GET /v1/secrets/{path}/versions` → 200 `{path, versions: [...]}`, newest first.
pub async fn versions(env: &Env, caller: &Caller, path: SecretPath) -> Reply {
    let command = Ok(ListVersions { path: path.clone() });
    let versions = caller.run(env, command).await?;
    json(200, &json!({"path": path, "versions": versions}))
}

/// `DELETE /v1/secrets/{path}[?permanent=true]` → 204.
pub async fn delete(request: &mut Request, env: &Env, caller: &Caller, path: SecretPath) -> Reply {
    let command =
        bool_param(request, "permanent").map(|permanent| DeleteSecret { path, permanent });
    caller.run(env, command).await?;
    no_content()
}

/// `POST /v1/secrets/{path}/restore` → 200 with the secret's metadata.
pub async fn restore(env: &Env, caller: &Caller, path: SecretPath) -> Reply {
    let summary = caller.run(env, Ok(RestoreSecret { path })).await?;
    json(200, &summary)
}

/// `If-Match: 3` or the entity-tag form `If-Match: "3"`.
fn parse_if_match(text: &str) -> Result<u64, ApiError> {
    let trimmed = text.trim();
    let bare = trimmed
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(trimmed);
    match bare.parse::<u64>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(ApiError::invalid_request(
            "If-Match must be the version number the update expects, e.g. If-Match: 3",
        )
        .with("header", "If-Match")),
    }
}

fn bool_param(request: &Request, name: &str) -> Result<bool, ApiError> {
    match query_param(request, name)?.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(
            ApiError::invalid_request(format!("'{name}' must be true or false"))
                .with("field", name),
        ),
    }
}

fn version_param(request: &Request) -> Result<Option<u64>, ApiError> {
    let Some(text) = query_param(request, "version")? else {
        return Ok(None);
    };
    match text.parse::<u64>() {
        Ok(v) if (1..=MAX_VERSION_PARAM).contains(&v) => Ok(Some(v)),
        _ => Err(
            ApiError::invalid_request("'version' must be a positive integer")
                .with("field", "version"),
        ),
    }
}
