//! `/v1/secrets/{path}/fields[/{field}]`: named values, each sealed on its own.

use crate::http::{Reply, json, read_json_body};
use crate::tenant_client::Caller;
use latchkey_contract::caller::fields::{DeleteField, GetField, GetFields, SetField, SetFields};
use latchkey_core::SecretPath;
use latchkey_core::field::{FieldName, FieldValue, parse_field_set};
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
        Ok(SetField { path, field, value })
    }
    .await;
    let stored = caller.run(env, command).await?;
    json(201, &stored)
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
        Ok(SetFields { path, fields })
    }
    .await;
    let stored = caller.run(env, command).await?;
    json(201, &stored)
}

/// `GET /v1/secrets/{path}/fields/{field}` → 200 `{path, field, value}`.
pub async fn get_one(env: &Env, caller: &Caller, path: SecretPath, field: FieldName) -> Reply {
    let read = caller.run(env, Ok(GetField { path, field })).await?;
    json(200, &read)
}

/// `GET /v1/secrets/{path}/fields` → 200 `{name: value, …}` (`{}` when there are none).
pub async fn get_all(env: &Env, caller: &Caller, path: SecretPath) -> Reply {
    let fields = caller.run(env, Ok(GetFields { path })).await?;
    json(200, &fields)
}

/// `DELETE /v1/secrets/{path}/fields/{field}` → 200 `{status: "deleted", path, field}`.
pub async fn delete_one(env: &Env, caller: &Caller, path: SecretPath, field: FieldName) -> Reply {
    let command = DeleteField {
        path: path.clone(),
        field: field.clone(),
    };
    caller.run(env, Ok(command)).await?;
    json(
        200,
        &json!({"status": "deleted", "path": path, "field": field}),
    )
}
