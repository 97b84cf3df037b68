//! The tenant object's side of the broker (`POST /v1/proxy`): it decides whether each named
//! secret may go where the call goes, releases the values to the Worker (never to the caller)
//! and records every use.
//!
//! A call is two commands. `UseSecrets` checks and releases, inside the request's transaction,
//! and leaves a `broker_calls` row holding the events to write; `FinishUse` (sent by the Worker
//! once the upstream answered, failed or timed out) writes them with the upstream's status and
//! the duration, and deletes the row. If the Worker never reports (its isolate died), the
//! maintenance sweep writes them as `unfinished`: a released value is never left unaudited.

use crate::audit::{self, Actor, Draft, Origin};
use crate::sql::{StorageError, execute, query};
use crate::store::{Failure, SecretContext, in_transaction, readable_secret, ts};
use latchkey_core::broker::hosts::{InsecureHosts, check_destination};
use latchkey_core::broker::{Released, ReleasedValue, SecretRef, Target, UseOutcome, UseReport};
use latchkey_core::crypto::random_bytes;
use latchkey_core::hex;
use latchkey_core::{ApiError, TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How long the Worker has to report a call's outcome before the sweep records it as
/// unfinished: the longest upstream timeout and then some.
pub const UNFINISHED_AFTER_SECONDS: i64 = 120;

/// One event waiting in `broker_calls`.
#[derive(Serialize, Deserialize)]
struct PendingEvent {
    path: String,
    details: Map<String, Value>,
}

#[derive(Serialize, Deserialize)]
struct StoredActor {
    id: String,
    description: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredOrigin {
    ip: Option<String>,
    user_agent: Option<String>,
    correlation_id: Option<String>,
}

/// The details every event of a call carries (refusals too): where it went, never the query
/// string, which may hold the value.
pub fn call_details(target: &Target, secrets: &[SecretRef]) -> Map<String, Value> {
    let mut details = Map::new();
    details.insert("method".into(), target.method.as_str().into());
    details.insert("scheme".into(), target.scheme.clone().into());
    details.insert("host".into(), target.host.to_string().into());
    details.insert("url_path".into(), target.path.clone().into());
    details.insert(
        "secrets".into(),
        secrets
            .iter()
            .map(|s| Value::from(s.name.clone()))
            .collect::<Vec<_>>()
            .into(),
    );
    details
}

/// `UseSecrets`: the destination rules, then per secret its `allowed_hosts`, then the values.
/// Scopes and tiers were checked before (`access`). Nothing is written unless every secret
/// may go.
#[allow(clippy::too_many_arguments)]
pub fn release(
    ctx: &SecretContext<'_>,
    secrets: &[SecretRef],
    target: &Target,
    insecure: &InsecureHosts,
    purpose: Option<&str>,
    actor: &Actor,
    origin: &Origin,
) -> Result<Released, ApiError> {
    check_destination(&target.scheme, &target.host, insecure)?;
    in_transaction(ctx.storage, "release secrets", || {
        let mut values = Vec::with_capacity(secrets.len());
        let mut events = Vec::with_capacity(secrets.len());
        let mut shared = call_details(target, secrets);
        if let Some(api) = ctx.api {
            shared.insert("api".into(), api.into());
        }
        for secret in secrets {
            let path = &secret.path;
            let row = readable_secret(ctx.storage, path, ctx.now)?;
            row.metadata
                .allowed_hosts
                .check(
                    path.as_str(),
                    target.method,
                    &target.host,
                    target.port,
                    insecure.contains(&target.host),
                    &target.path,
                )
                .map_err(|e| e.with("path", path.as_str()))?;
            let (value, version) = match &secret.field {
                Some(field) => (
                    crate::fields::get_one(ctx, path, field.clone())?.value,
                    None,
                ),
                None => {
                    let read = crate::secrets::read(ctx, path, None)?;
                    match read.value {
                        Some(value) => (value, Some(read.version)),
                        None => {
                            return Err(ApiError::validation(
                                "secrets",
                                format!("secret '{path}' has fields but no main value; name one as '{path}#<field>'"),
                            )
                            .with("path", path.as_str())
                            .into());
                        }
                    }
                }
            };
            if secret.in_header && value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(ApiError::validation(
                    "headers",
                    format!(
                        "the value of '{path}' holds CR, LF or NUL, so it cannot go in a header"
                    ),
                )
                .with("path", path.as_str())
                .into());
            }
            let mut details = shared.clone();
            details.insert("name".into(), secret.name.clone().into());
            if let Some(field) = &secret.field {
                details.insert("field".into(), field.as_str().into());
            }
            if let Some(version) = version {
                details.insert("version".into(), version.into());
            }
            if let Some(purpose) = purpose {
                details.insert("purpose".into(), purpose.into());
            }
            events.push(PendingEvent {
                path: path.to_string(),
                details,
            });
            values.push(ReleasedValue {
                name: secret.name.clone(),
                value,
            });
        }
        let call_id = random_bytes::<16>()
            .map(|b| format!("call_{}", hex::encode(&b)))
            .map_err(|e| Failure::Client(crate::store::internal("call id", e)))?;
        execute(
            ctx.storage,
            "INSERT INTO broker_calls (id, actor, origin, events, released_at) VALUES (?, ?, ?, ?, ?)",
            vec![
                call_id.clone().into(),
                to_json(&StoredActor {
                    id: actor.id.clone(),
                    description: actor.description.clone(),
                })?
                .into(),
                to_json(&StoredOrigin {
                    ip: origin.ip.clone(),
                    user_agent: origin.user_agent.clone(),
                    correlation_id: origin.correlation_id.clone(),
                })?
                .into(),
                to_json(&events)?.into(),
                ts(ctx.now),
            ],
        )?;
        Ok(Released { call_id, values })
    })
}

/// JSON for a stored column; a failure is an internal error.
fn to_json<T: Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string(value)
        .map_err(|e| Failure::Client(crate::store::internal("broker call", e)))
}

struct PendingCall {
    id: String,
    actor: Actor,
    origin: Origin,
    events: Vec<PendingEvent>,
}

fn parse_call(row: &crate::sql::Row) -> Result<PendingCall, StorageError> {
    let parse = |index: usize| -> Result<Value, StorageError> {
        serde_json::from_str(&row.text(index)?).map_err(|e| StorageError(e.to_string()))
    };
    let actor: StoredActor =
        serde_json::from_value(parse(1)?).map_err(|e| StorageError(e.to_string()))?;
    let origin: StoredOrigin =
        serde_json::from_value(parse(2)?).map_err(|e| StorageError(e.to_string()))?;
    let events: Vec<PendingEvent> =
        serde_json::from_value(parse(3)?).map_err(|e| StorageError(e.to_string()))?;
    Ok(PendingCall {
        id: row.text(0)?,
        actor: Actor {
            id: actor.id,
            description: actor.description,
        },
        origin: Origin {
            ip: origin.ip,
            user_agent: origin.user_agent,
            correlation_id: origin.correlation_id,
        },
        events,
    })
}

/// Writes a call's events with its outcome and forgets the call.
fn record_call(
    storage: &crate::sql::Storage,
    tenant: &TenantId,
    call: PendingCall,
    report: UseReport,
    now: Timestamp,
) -> Result<(), StorageError> {
    execute(
        storage,
        "DELETE FROM broker_calls WHERE id = ?",
        vec![call.id.clone().into()],
    )?;
    for event in call.events {
        let mut draft = Draft::new("secret.used", Some(event.path));
        draft.details = event.details;
        draft = draft
            .detail("call_id", call.id.clone())
            .detail("outcome", report.outcome.as_str())
            .detail(
                "upstream_status",
                report.upstream_status.map_or(Value::Null, Value::from),
            )
            .detail("duration_ms", report.duration_ms);
        if report.outcome != UseOutcome::Completed {
            draft.success = false;
            draft.reason = Some(format!("the call ended {}", report.outcome.as_str()));
        }
        audit::record(storage, tenant, &call.actor, &call.origin, draft, now)?;
    }
    Ok(())
}

/// `FinishUse`: the Worker's report on a call. Its id is the credential (only the Worker that
/// got the values knows it); an unknown or already finished id is `not_found`.
pub fn finish(ctx: &SecretContext<'_>, call_id: &str, report: UseReport) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "finish broker call", || {
        let rows = query(
            ctx.storage,
            "SELECT id, actor, origin, events FROM broker_calls WHERE id = ?",
            vec![call_id.into()],
        )?;
        let Some(row) = rows.first() else {
            return Err(ApiError::not_found("no open broker call has this id").into());
        };
        let call = parse_call(row)?;
        record_call(ctx.storage, ctx.tenant_id, call, report, ctx.now)?;
        Ok(())
    })
}

/// The sweep: calls released long enough ago that the Worker will never report them.
pub fn sweep_unfinished(
    storage: &crate::sql::Storage,
    tenant: &TenantId,
    now: Timestamp,
) -> Result<u64, StorageError> {
    let rows = query(
        storage,
        "SELECT id, actor, origin, events FROM broker_calls WHERE released_at <= ?",
        vec![ts(now.plus_seconds(-UNFINISHED_AFTER_SECONDS))],
    )?;
    let mut swept = 0;
    for row in &rows {
        let call = parse_call(row)?;
        let report = UseReport {
            outcome: UseOutcome::Unfinished,
            upstream_status: None,
            duration_ms: 0,
        };
        record_call(storage, tenant, call, report, now)?;
        swept += 1;
    }
    Ok(swept)
}

/// When the sweep is next due.
pub fn next_sweep(storage: &crate::sql::Storage) -> Result<Option<Timestamp>, StorageError> {
    let rows = query(storage, "SELECT min(released_at) FROM broker_calls", vec![])?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(crate::store::read_opt_ts(row, 0)?.map(|at| at.plus_seconds(UNFINISHED_AFTER_SECONDS)))
}
