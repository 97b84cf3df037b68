//! `/maestro/v1/…`: the MaestroVault face (seed 003). Its clients change only the base URL.
//! Each route parses (`latchkey_core::faces::maestro`), sends the tenant command(s) with the
//! caller's credential (`Authorization: Bearer`), and answers in the seed's shapes; errors are
//! `{"error": "…"}` with the seed's statuses. Bodies are read as JSON whatever their
//! `Content-Type` (the seed's curl examples send none, so curl says form-urlencoded).

use crate::handlers::now;
use crate::http::{Reply, error_with_body, json, query_pairs, read_body};
use crate::tenant_client::Caller;
use latchkey_contract::caller::fields::{DeleteField, GetField, GetFields, SetField, SetFields};
use latchkey_contract::caller::maestro::{MintToken, SetMode, SetSecret};
use latchkey_contract::caller::secrets::{DeleteSecret, GetSecret, ListSecrets};
use latchkey_contract::caller::tenant::{Info, Touch};
use latchkey_contract::caller::tokens::{ListTokens, RevokeToken, TokenMinted};
use latchkey_core::crypto::fill_random;
use latchkey_core::faces::maestro::{
    self as face, EditRequest, GenerateRequest, MaestroRoute, Query, SecretEntry, SetRequest,
};
use latchkey_core::field::{FieldValue, parse_field_set};
use latchkey_core::listing::{ListQuery, MAX_LIMIT};
use latchkey_core::secret::SecretRead;
use latchkey_core::{ApiError, SecretPath};
use serde_json::{Value, json};
use worker::{Env, Request, Response, console_error};

/// Answers one request under `/maestro`.
pub async fn handle(request: &mut Request, env: &Env, method: &str, request_id: &str) -> Response {
    let url_path = request.path();
    let route = match MaestroRoute::resolve(method, &url_path) {
        Ok(route) => route,
        Err(e) => return error_response(&e),
    };
    let pairs = query_pairs(request).unwrap_or_default();
    if route.is_public() {
        return match route.query(&pairs) {
            Ok(_) => json(200, &json!({"status": "ok", "time": now()}))
                .unwrap_or_else(|e| error_response(&e)),
            Err(e) => error_response(&e),
        };
    }
    let caller = match Caller::from_request(request, request_id) {
        Ok(caller) => caller,
        Err(e) => return error_response(&e),
    };
    let query = route.query(&pairs);
    let reply = run(route, query, request, env, &caller).await;
    let mut response = reply.unwrap_or_else(|e| error_response(&e));
    if let Some(rate) = caller.rate() {
        let headers = response.headers_mut();
        for (name, value) in rate.headers() {
            let _ = headers.set(name, &value);
        }
    }
    response
}

/// The seed's error: `{"error": "…"}`, `Allow` on 405, `Retry-After` on 429.
pub fn error_response(error: &ApiError) -> Response {
    let mut response = error_with_body(error, face::status_of(error), &face::error_body(error));
    if error.status() == 401 {
        let _ = response.headers_mut().set("WWW-Authenticate", "Bearer");
    }
    response
}

/// The native path of the route's name in the query's environment.
fn path_of(query: &Result<Query, ApiError>, name: &str) -> Result<SecretPath, ApiError> {
    query
        .as_ref()
        .map_err(Clone::clone)?
        .environment()
        .path_of(name)
}

async fn body(request: &mut Request) -> Result<Vec<u8>, ApiError> {
    read_body(request).await
}

fn stored(status: u16, body: Value) -> Reply {
    json(status, &body)
}

async fn run(
    route: MaestroRoute,
    query: Result<Query, ApiError>,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
) -> Reply {
    use MaestroRoute as R;
    match route {
        R::Health => Err(ApiError::internal()),
        R::ListSecrets | R::Search => list(query, env, caller).await,
        R::GetSecret(name) => {
            let command = path_of(&query, &name).map(|path| GetSecret {
                path,
                version: None,
            });
            let read = caller.run(env, command).await?;
            let read: SecretRead = serde_json::from_str(&read.body).map_err(|e| {
                console_error!("maestro: decode a read: {:?}", e.classify());
                ApiError::internal()
            })?;
            json(200, &SecretEntry::of_read(read))
        }
        R::SetSecret(name) => set(name, true, query, request, env, caller).await,
        R::EditSecret(name) => set(name, false, query, request, env, caller).await,
        R::DeleteSecret(name) => {
            // Permanent, as MaestroVault deletes: the name can be set again at once.
            let command = path_of(&query, &name).map(|path| DeleteSecret {
                path,
                permanent: true,
            });
            caller.run(env, command).await?;
            stored(200, json!({"status": "deleted", "name": name}))
        }
        R::GetFields(name) => {
            let fields = caller
                .run(env, path_of(&query, &name).map(|path| GetFields { path }))
                .await?;
            let map: serde_json::Map<String, Value> = fields
                .0
                .into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), Value::String(v)))
                .collect();
            json(200, &map)
        }
        R::SetFields(name) => {
            let command = async {
                let path = path_of(&query, &name)?;
                let fields = parse_field_set(&body(request).await?)?;
                Ok(SetFields { path, fields })
            }
            .await;
            let done = caller.run(env, command).await?;
            stored(
                201,
                json!({"status": "stored", "name": name, "field_count": done.field_count}),
            )
        }
        R::GetField(name, field) => {
            let command = path_of(&query, &name).map(|path| GetField { path, field });
            let read = caller.run(env, command).await?;
            json(
                200,
                &json!({"name": name, "field": read.field.as_str(), "value": read.value}),
            )
        }
        R::SetField(name, field) => {
            let command = async {
                let path = path_of(&query, &name)?;
                let value = FieldValue::parse(&body(request).await?)?;
                Ok(SetField {
                    path,
                    field: field.clone(),
                    value,
                })
            }
            .await;
            caller.run(env, command).await?;
            stored(
                201,
                json!({"status": "stored", "name": name, "field": field.as_str()}),
            )
        }
        R::DeleteField(name, field) => {
            let command = path_of(&query, &name).map(|path| DeleteField {
                path,
                field: field.clone(),
            });
            caller.run(env, command).await?;
            stored(
                200,
                json!({"status": "deleted", "name": name, "field": field.as_str()}),
            )
        }
        R::Generate => generate(query, request, env, caller).await,
        R::Info => {
            let info = caller.run(env, query.map(|_| Info)).await?;
            json(
                200,
                &json!({
                    "dir": "",
                    "db_path": "",
                    "db_size_bytes": info.storage_bytes,
                    "secret_count": info.secret_count,
                }),
            )
        }
        R::ListTokens => {
            let tokens = caller.run(env, query.map(|_| ListTokens)).await?;
            // A revoked MaestroVault token is gone from its list.
            let listed: Vec<Value> = tokens
                .iter()
                .filter(|t| !t.revoked)
                .map(face::token_entry)
                .collect();
            json(200, &listed)
        }
        R::CreateToken => {
            let command = async {
                query?;
                Ok(MintToken {
                    request: face::parse_token_request(&body(request).await?)?,
                })
            }
            .await;
            let name = command
                .as_ref()
                .ok()
                .and_then(|c| c.request.description.clone())
                .unwrap_or_default();
            match caller.run(env, command).await? {
                TokenMinted::Created(created) => json(201, &face::token_created(&created, &name)),
                TokenMinted::Pending(view) => json(
                    202,
                    &json!({
                        "status": "pending_approval",
                        "approval_id": view.id.as_str(),
                        "required_approvals": view.required_approvals,
                        "expires_at": view.expires_at,
                    }),
                ),
            }
        }
        R::RevokeToken(id) => {
            caller
                .run(env, query.map(|_| RevokeToken { id: id.clone() }))
                .await?;
            stored(200, json!({"status": "revoked", "id": id.as_str()}))
        }
    }
}

/// `GET /v1/secrets` and `GET /v1/search?q=`: every matching secret, as a bare array (the
/// native list is walked page by page; each page is one counted request).
async fn list(query: Result<Query, ApiError>, env: &Env, caller: &Caller) -> Reply {
    let native = query.clone().and_then(|query| {
        let namespace = match &query.env {
            Some(env) if !env.as_str().is_empty() => {
                Some(SecretPath::parse(env.as_str()).map_err(ApiError::invalid_request)?)
            }
            _ => None,
        };
        let tags = match (&query.metadata_key, &query.metadata_value) {
            (Some(key), Some(value)) => vec![(key.clone(), value.clone())],
            _ => Vec::new(),
        };
        Ok(ListQuery {
            namespace,
            tags,
            q: query.q.clone(),
            limit: MAX_LIMIT,
            ..ListQuery::default()
        })
    });
    let mut entries = Vec::new();
    let mut next = native;
    loop {
        let command = next.clone().map(|query| ListSecrets { query });
        let page = caller.run(env, command).await?;
        if let Ok(query) = &query {
            entries.extend(
                page.items
                    .iter()
                    .filter(|s| face::list_keeps(query, s))
                    .map(SecretEntry::of_summary),
            );
        }
        match (page.next_cursor, page.items.last(), next) {
            (Some(_), Some(last), Ok(mut native)) => {
                native.after = Some(last.path.clone());
                next = Ok(native);
            }
            _ => break,
        }
    }
    json(200, &entries)
}

async fn generate(
    query: Result<Query, ApiError>,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
) -> Reply {
    let spec = async {
        query?;
        GenerateRequest::parse(&body(request).await?)
    }
    .await;
    let password = match &spec {
        Ok(spec) => Some(spec.password.generate(&mut fill_random).map_err(|e| {
            console_error!("generate: {e}");
            ApiError::internal()
        })?),
        Err(_) => None,
    };
    match (spec, password) {
        (
            Ok(GenerateRequest {
                store: Some((path, tags)),
                ..
            }),
            Some(password),
        ) => {
            let name = face::split(&path).1.to_owned();
            let command = SetSecret {
                path,
                value: Some(password.clone()),
                tags,
                mode: SetMode::Upsert,
            };
            caller.run(env, Ok(command)).await?;
            json(
                200,
                &json!({"password": password, "name": name, "stored": true}),
            )
        }
        (spec, password) => {
            caller.run(env, spec.map(|_| Touch)).await?;
            let password = password.ok_or_else(ApiError::internal)?;
            json(200, &json!({"password": password, "stored": false}))
        }
    }
}

/// `PUT` (upsert → 201 stored) or `PATCH` (edit → 200 updated) of one secret.
async fn set(
    name: String,
    upsert: bool,
    query: Result<Query, ApiError>,
    request: &mut Request,
    env: &Env,
    caller: &Caller,
) -> Reply {
    let command = async {
        let path = path_of(&query, &name)?;
        let bytes = body(request).await?;
        Ok(if upsert {
            let set = SetRequest::parse(&bytes)?;
            SetSecret {
                path,
                value: Some(set.value),
                tags: set.metadata,
                mode: SetMode::Upsert,
            }
        } else {
            let edit = EditRequest::parse(&bytes)?;
            SetSecret {
                path,
                value: edit.value,
                tags: edit.metadata,
                mode: SetMode::Edit,
            }
        })
    }
    .await;
    caller.run(env, command).await?;
    if upsert {
        stored(201, json!({"status": "stored", "name": name}))
    } else {
        stored(200, json!({"status": "updated", "name": name}))
    }
}
