//! The audit trail: `GET /v1/audit` (JSON pages, or a streamed JSONL/CSV export),
//! `GET /v1/audit/verify`, the live stream `GET /v1/events` (server-sent events) and the
//! operator's search of the D1 copy, `GET /v1/admin/audit`.

use crate::config::Config;
use crate::credentials::require_operator;
use crate::http::{Reply, json, query_pairs};
use crate::registry::Registry;
use crate::tenant_client::Caller;
use futures_util::stream;
use latchkey_contract::caller::audit::{
    OpenStream, PollStream, ReadAudit, StreamEvents, VerifyAudit,
};
use latchkey_core::ApiError;
use latchkey_core::audit::{
    AuditEvent, AuditPage, AuditQuery, CSV_HEADER, ExportFormat, csv_line, decode_cursor,
};
use serde_json::json;
use std::collections::VecDeque;
use std::time::Duration;
use worker::{Date, Delay, Env, Request, Response, console_error};

fn parse(request: &Request) -> Result<(AuditQuery, ExportFormat), ApiError> {
    let pairs = query_pairs(request)?;
    AuditQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

fn render(events: &[AuditEvent], format: ExportFormat) -> Vec<u8> {
    let mut out = String::new();
    for event in events {
        match format {
            ExportFormat::Csv => out.push_str(&csv_line(event)),
            _ => {
                out.push_str(&serde_json::to_string(event).unwrap_or_default());
                out.push('\n');
            }
        }
    }
    out.into_bytes()
}

async fn page(env: &Env, caller: &Caller, query: AuditQuery) -> Result<AuditPage, ApiError> {
    caller.run(env, Ok(ReadAudit { query })).await
}

/// `GET /v1/audit?namespace=&actor=&type=&since=&until=&success=&correlation_id=&limit=&cursor=`
/// → `{events, next_cursor}`, newest first; needs `audit:read`. With `format=jsonl|csv`, the
/// whole selection streams as an export, page after page (`limit` is the page size).
pub async fn read(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let (query, format) = match parse(request) {
        Ok(parsed) => parsed,
        // Counted like any refused request; the answer is the auth error or this one.
        Err(e) => return Err(caller.refuse(env, e).await),
    };
    let first = page(env, caller, query.clone()).await?;
    if format == ExportFormat::Json {
        return json(200, &first);
    }
    let (content_type, header) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", CSV_HEADER.as_bytes().to_vec()),
        _ => ("application/x-ndjson", Vec::new()),
    };
    let mut body = header;
    body.extend(render(&first.events, format));
    // Later pages are fetched as the client reads; each counts as a request.
    let state = (
        Some(body),
        first.next_cursor,
        env.clone(),
        caller.clone(),
        query,
    );
    let chunks = stream::unfold(
        state,
        move |(pending, cursor, env, caller, query)| async move {
            if let Some(chunk) = pending {
                return Some((
                    Ok::<Vec<u8>, worker::Error>(chunk),
                    (None, cursor, env, caller, query),
                ));
            }
            let cursor = cursor?;
            let mut next = query.clone();
            next.before_seq = decode_cursor(&cursor);
            match page(&env, &caller, next).await {
                Ok(page) => Some((
                    Ok(render(&page.events, format)),
                    (None, page.next_cursor, env, caller, query),
                )),
                Err(e) => {
                    console_error!("audit export stopped: {}", e.message);
                    None
                }
            }
        },
    );
    let mut response = Response::from_stream(chunks).map_err(|_| ApiError::internal())?;
    let _ = response.headers_mut().set("Content-Type", content_type);
    Ok(response)
}

/// `GET /v1/audit/verify` → `{ok, events_checked, head_hash, first_bad_event_id}`.
pub async fn verify(env: &Env, caller: &Caller) -> Reply {
    let report = caller.run(env, Ok(VerifyAudit)).await?;
    json(200, &report)
}

/// How often an open stream asks the tenant object for new events.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// A comment line this often keeps proxies from closing an idle stream.
const KEEPALIVE_MS: f64 = 15_000.0;
/// Streams end after this long; clients reconnect with `Last-Event-ID` and lose nothing.
const MAX_STREAM_MS: f64 = 10.0 * 60_000.0;

fn sse(event: &AuditEvent) -> Vec<u8> {
    format!(
        "id: {}\nevent: {}\ndata: {}\n\n",
        event.seq,
        event.stream_name(),
        serde_json::to_string(event).unwrap_or_default()
    )
    .into_bytes()
}

/// `Last-Event-ID: 42` (a `seq`) or `evt_000000000000002a`.
fn last_event_id(request: &Request) -> Result<Option<u64>, ApiError> {
    let Some(text) = request.headers().get("Last-Event-ID").ok().flatten() else {
        return Ok(None);
    };
    let text = text.trim();
    let parsed = match text.strip_prefix("evt_") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse::<u64>().ok(),
    };
    parsed.map(Some).ok_or_else(|| {
        ApiError::invalid_request("Last-Event-ID must be an event id this stream sent")
            .with("header", "Last-Event-ID")
    })
}

struct Stream {
    env: Env,
    caller: Caller,
    after: u64,
    queue: VecDeque<Vec<u8>>,
    started: f64,
    last_sent: f64,
    done: bool,
}

fn now_ms() -> f64 {
    Date::now().as_millis() as f64
}

/// `GET /v1/events`: the tenant's new audit events as server-sent events (agents'
/// reads are `vault.accessed` / `vault.denied`), resuming after `Last-Event-ID`; needs
/// `audit:read`. A revoked token's stream ends at its next poll.
pub async fn stream(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = last_event_id(request).map(|after| OpenStream { after });
    let StreamEvents {
        events,
        last_seq: after,
    } = caller.run(env, command).await?;
    let mut queue: VecDeque<Vec<u8>> = VecDeque::new();
    queue.push_back(b"retry: 1000\n\n".to_vec());
    queue.extend(events.iter().map(sse));
    let now = now_ms();
    let state = Stream {
        env: env.clone(),
        caller: caller.clone(),
        after,
        queue,
        started: now,
        last_sent: now,
        done: false,
    };
    let chunks = stream::unfold(state, |mut st| async move {
        loop {
            if let Some(chunk) = st.queue.pop_front() {
                st.last_sent = now_ms();
                return Some((Ok::<Vec<u8>, worker::Error>(chunk), st));
            }
            if st.done {
                return None;
            }
            if now_ms() - st.started > MAX_STREAM_MS {
                st.done = true;
                st.queue.push_back(
                    b"event: end\ndata: {\"reason\":\"reconnect with Last-Event-ID\"}\n\n".to_vec(),
                );
                continue;
            }
            Delay::from(POLL_INTERVAL).await;
            let polled = st
                .caller
                .run(&st.env, Ok(PollStream { after: st.after }))
                .await;
            match polled {
                Ok(StreamEvents { events, last_seq }) => {
                    st.after = last_seq;
                    st.queue.extend(events.iter().map(sse));
                    if st.queue.is_empty() && now_ms() - st.last_sent > KEEPALIVE_MS {
                        st.queue.push_back(b": keepalive\n\n".to_vec());
                    }
                }
                Err(e) => {
                    st.done = true;
                    let body = json!({"error": {"code": e.code, "message": e.message}});
                    st.queue
                        .push_back(format!("event: error\ndata: {body}\n\n").into_bytes());
                }
            }
        }
    });
    let mut response = Response::from_stream(chunks).map_err(|_| ApiError::internal())?;
    let headers = response.headers_mut();
    let _ = headers.set("Content-Type", "text/event-stream");
    let _ = headers.set("X-Accel-Buffering", "no");
    Ok(response)
}

/// `GET /v1/admin/audit?tenant=&type=&actor=&success=&correlation_id=&since=&until=&limit=&cursor=`
/// (operator key): the D1 copy, newest first, across tenants or for one.
pub async fn operator_search(request: &mut Request, env: &Env, config: &Config) -> Reply {
    require_operator(request, config)?;
    let pairs = query_pairs(request)?;
    // `tenant` is the operator's own filter; the rest are the audit filters.
    let (query, _) = AuditQuery::parse(
        pairs
            .iter()
            .filter(|(k, _)| k != "tenant")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )?;
    let tenant = pairs
        .iter()
        .find(|(k, _)| k == "tenant")
        .map(|(_, v)| {
            latchkey_core::TenantId::parse(v)
                .map_err(|why| ApiError::invalid_request(why).with("field", "tenant"))
        })
        .transpose()?;
    let page = Registry::open(env)?
        .search_audit(tenant.as_ref(), &query)
        .await?;
    json(
        200,
        &json!({"events": page.events, "next_cursor": page.next_cursor}),
    )
}
