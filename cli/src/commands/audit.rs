//! `audit tail` (the live stream, `GET /v1/events`, reconnecting with `Last-Event-ID` so
//! nothing is lost), `audit list` and `audit verify`.

use super::Ctx;
use crate::args::{AuditFilter, AuditListArgs, TailArgs};
use crate::client::Query;
use crate::error::CliError;
use crate::output::{self, Table, clean, note, text};
use crate::sse;
use serde_json::Value;
use std::io::BufRead as _;
use std::time::Duration;

/// Consecutive failed connection attempts before `tail` gives up.
const MAX_RECONNECTS: u32 = 10;

fn filter_query(filter: &AuditFilter) -> Query {
    Query::new()
        .opt("type", filter.event_type.as_deref())
        .opt("namespace", filter.namespace.as_deref())
        .opt("actor", filter.actor.as_deref())
}

/// The stream carries every event: the filters apply here.
fn matches(filter: &AuditFilter, event: &Value) -> bool {
    let field = |key: &str| event.get(key).and_then(Value::as_str);
    let type_ok = filter
        .event_type
        .as_deref()
        .is_none_or(|t| field("type") == Some(t));
    let ns_ok = filter.namespace.as_deref().is_none_or(|ns| {
        let ns = ns.trim_end_matches('/');
        field("path").is_some_and(|p| p == ns || p.starts_with(&format!("{ns}/")))
    });
    let actor_ok = filter
        .actor
        .as_deref()
        .is_none_or(|a| field("actor") == Some(a));
    type_ok && ns_ok && actor_ok
}

/// `2025-01-15T10:30:00.123Z` → `2025-01-15 10:30:00` (UTC): audit times keep seconds.
fn seconds(ts: &str) -> String {
    clean(ts.get(..19).unwrap_or(ts)).replacen('T', " ", 1)
}

/// One event as one line: time, type, outcome, actor, path, reason.
pub fn event_line(event: &Value) -> String {
    let time = event
        .get("timestamp")
        .and_then(Value::as_str)
        .map(seconds)
        .unwrap_or_else(|| "-".into());
    let ok = event.get("success").and_then(Value::as_bool) != Some(false);
    let actor = match event.get("actor_description").and_then(Value::as_str) {
        Some(d) => format!("{} ({})", text(event, "actor"), clean(d)),
        None => text(event, "actor"),
    };
    let mut line = format!(
        "{time}  {:<24}  {:<6}  {actor}  {}",
        text(event, "type"),
        if ok { "ok" } else { "DENIED" },
        text(event, "path"),
    );
    if let Some(reason) = event.get("reason").and_then(Value::as_str) {
        line.push_str(&format!("  ({})", clean(reason)));
    }
    line
}

fn print_event(ctx: &Ctx, event: &Value) -> Result<(), CliError> {
    if ctx.json {
        output::line(&event.to_string())
    } else {
        output::line(&event_line(event))
    }
}

pub fn tail(ctx: &Ctx, args: &TailArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let mut last_id: Option<String> = None;
    if args.lines > 0 {
        let query = filter_query(&args.filter)
            .push("limit", args.lines)
            .finish();
        let page = client.get(&format!("/v1/audit{query}"))?;
        let events = page
            .get("events")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // Newest first from the API; oldest first on screen, like a log.
        for event in events.iter().rev() {
            print_event(ctx, event)?;
        }
        last_id = events
            .first()
            .and_then(|e| e.get("seq"))
            .and_then(Value::as_u64)
            .map(|seq| seq.to_string());
    }
    let mut failures = 0u32;
    let mut announced = false;
    loop {
        let reader = match client.open_stream("/v1/events", last_id.as_deref()) {
            Ok(reader) => {
                failures = 0;
                reader
            }
            Err(CliError::Network { .. }) if failures < MAX_RECONNECTS => {
                failures += 1;
                std::thread::sleep(Duration::from_secs(u64::from(failures.min(5))));
                continue;
            }
            Err(CliError::Api(f)) if f.code == "rate_limited" && failures < MAX_RECONNECTS => {
                failures += 1;
                std::thread::sleep(Duration::from_secs(f.retry_after.unwrap_or(5).min(300)));
                continue;
            }
            Err(CliError::Api(f))
                if matches!(f.code.as_str(), "internal_error" | "unavailable")
                    && failures < MAX_RECONNECTS =>
            {
                failures += 1;
                std::thread::sleep(Duration::from_secs(u64::from(failures.min(5))));
                continue;
            }
            Err(e) => return Err(e),
        };
        if !announced && !ctx.json {
            note(&format!(
                "Following the audit trail of {} (Ctrl-C to stop)",
                client.base()
            ));
            announced = true;
        }
        let mut parser = sse::Parser::default();
        let mut reader = std::io::BufReader::new(reader);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let Some(event) = parser.line(&line) else {
                continue;
            };
            match event.name.as_deref() {
                // The server ends streams after a while; resume where this one stopped.
                Some("end") => break,
                Some("error") => {
                    let message = serde_json::from_str::<Value>(&event.data)
                        .ok()
                        .and_then(|v| {
                            v.get("error")
                                .and_then(|e| e.get("message"))
                                .and_then(Value::as_str)
                                .map(clean)
                        })
                        .unwrap_or_else(|| "the stream failed".into());
                    return Err(CliError::failed_hint(
                        format!("audit stream: {message}"),
                        "the token may have been revoked; check it with `latchkey audit list`",
                    ));
                }
                _ => {}
            }
            if let Some(id) = event.id {
                last_id = Some(id);
            }
            if let Ok(data) = serde_json::from_str::<Value>(&event.data)
                && matches(&args.filter, &data)
            {
                print_event(ctx, &data)?;
            }
        }
        // The server asks for a second between connections (`retry: 1000`).
        std::thread::sleep(Duration::from_secs(1));
    }
}

pub fn list(ctx: &Ctx, args: &AuditListArgs) -> Result<(), CliError> {
    let query = filter_query(&args.filter)
        .opt("since", args.since.as_deref())
        .opt("until", args.until.as_deref())
        .opt("success", args.failed.then_some("false"))
        .push("limit", args.limit)
        .finish();
    let page = ctx.client()?.get(&format!("/v1/audit{query}"))?;
    if ctx.json {
        return output::json(&page);
    }
    let mut table =
        Table::new(&["TIME", "TYPE", "RESULT", "ACTOR", "PATH", "REASON"]).flex(&[5, 4, 3]);
    for event in page
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ok = event.get("success").and_then(Value::as_bool) != Some(false);
        table.row(vec![
            event
                .get("timestamp")
                .and_then(Value::as_str)
                .map(seconds)
                .unwrap_or_else(|| "-".into()),
            text(event, "type"),
            (if ok { "ok" } else { "DENIED" }).to_owned(),
            text(event, "actor"),
            text(event, "path"),
            text(event, "reason"),
        ]);
    }
    if table.is_empty() {
        note("No events match.");
        return Ok(());
    }
    output::out(&table.render(crate::term::width()))?;
    if page.get("next_cursor").is_some_and(Value::is_string) {
        note("More events match: narrow with --since/--until, or raise --limit.");
    }
    Ok(())
}

pub fn verify(ctx: &Ctx) -> Result<(), CliError> {
    let report = ctx.client()?.get("/v1/audit/verify")?;
    if ctx.json {
        output::json(&report)?;
    }
    if report.get("ok").and_then(Value::as_bool) == Some(true) {
        if !ctx.json {
            output::line(&format!(
                "ok: {} events checked; head {}",
                text(&report, "events_checked"),
                text(&report, "head_hash")
            ))?;
        }
        Ok(())
    } else {
        Err(CliError::failed_hint(
            format!(
                "the audit chain is broken at event {}",
                text(&report, "first_bad_event_id")
            ),
            "events were changed, removed or reordered: report it to the operator",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(t: Option<&str>, ns: Option<&str>, actor: Option<&str>) -> AuditFilter {
        AuditFilter {
            event_type: t.map(str::to_owned),
            namespace: ns.map(str::to_owned),
            actor: actor.map(str::to_owned),
        }
    }

    #[test]
    fn stream_filters() {
        let e = json!({"type": "secret.read", "path": "prod/db", "actor": "master"});
        assert!(matches(&filter(None, None, None), &e));
        assert!(matches(
            &filter(Some("secret.read"), Some("prod/"), Some("master")),
            &e
        ));
        assert!(!matches(&filter(Some("secret.created"), None, None), &e));
        assert!(!matches(&filter(None, Some("pro"), None), &e));
        assert!(!matches(&filter(None, None, Some("token:tok_1")), &e));
    }

    #[test]
    fn one_line_per_event() {
        let e = json!({
            "timestamp": "2025-01-15T10:30:00.123Z", "type": "secret.read", "success": false,
            "actor": "token:tok_1", "actor_description": "agent\u{1b}[31m", "path": "prod/db",
            "reason": "scope"
        });
        let line = event_line(&e);
        assert!(
            line.starts_with("2025-01-15 10:30:00  secret.read"),
            "{line}"
        );
        assert!(
            line.contains("DENIED  token:tok_1 (agent?[31m)  prod/db  (scope)"),
            "{line}"
        );
    }
}
