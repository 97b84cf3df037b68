//! `/v1/secrets/{path}/fields[/{field}]` (seed 003): named values, each sealed on its own.

use crate::http::{Reply, json, read_json_body};
use crate::tenant_client::{Caller, unexpected};
use latchkey_core::SecretPath;
use latchkey_core::field::{FieldName, FieldValue, parse_field_set};
use latchkey_durable_objects::contract::{TenantCommand, TenantReply};
use serde_json::json;
use worker::{Env, Request};

/// `PUT /v1/secrets/{path}/fields/{field}` `{value}` → 201 `{status, path, field}`; creates a
/// fields-only secret when there is none.
pub async fn set_one(
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    path: SecretPath,
    field: FieldName,
) -> Reply {
    let command = async {
        let value = FieldValue::parse(&read_json_body(request).await?)?;
        Ok(TenantCommand::SetField { path, field, value })
    }
    .await;
    match caller.run(env, command).await? {
        TenantReply::FieldStored(stored) => json(201, &stored),
        other => Err(unexpected(&other)),
    }
}

/// `PUT /v1/secrets/{path}/fields` `{fields: {...}}` → 201 `{status, path, field_count}`.
pub async fn set_many(
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    path: SecretPath,
) -> Reply {
    let command = async {
        let fields = parse_field_set(&read_json_body(request).await?)?;
        Ok(TenantCommand::SetFields { path, fields })
    }
    .await;
    match caller.run(env, command).await? {
        TenantReply::FieldsStored(stored) => json(201, &stored),
        other => Err(unexpected(&other)),
    }
}

/// `GET /v1/secrets/{path}/fields/{field}` → 200 `{path, field, value}`.
pub async fn get_one(env: &Env, caller: &Caller, path: SecretPath, field: FieldName) -> Reply {
    match caller
        .run(env, Ok(TenantCommand::GetField { path, field }))
        .await?
    {
        TenantReply::Field(read) => json(200, &read),
        other => Err(unexpected(&other)),
    }
}

/// `GET /v1/secrets/{path}/fields` → 200 `{name: value, …}` (`{}` when there are none).
pub async fn get_all(env: &Env, caller: &Caller, path: SecretPath) -> Reply {
    match caller
        .run(env, Ok(TenantCommand::GetFields { path }))
        .await?
    {
        TenantReply::Fields(fields) => json(200, &fields),
        other => Err(unexpected(&other)),
    }
}

/// `DELETE /v1/secrets/{path}/fields/{field}` → 200 `{status: "deleted", path, field}`.
pub async fn delete_one(env: &Env, caller: &Caller, path: SecretPath, field: FieldName) -> Reply {
    let command = TenantCommand::DeleteField {
        path: path.clone(),
        field: field.clone(),
    };
    match caller.run(env, Ok(command)).await? {
        TenantReply::Deleted => json(
            200,
            &json!({"status": "deleted", "path": path, "field": field}),
        ),
        other => Err(unexpected(&other)),
    }
}
