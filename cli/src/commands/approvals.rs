//! `approvals list|show|approve|deny|cancel|wait`, and the wait of a token request that
//! answered 202: a spinner on standard error while polling `GET /v1/approvals/{id}`.

use super::Ctx;
use super::tokens::print_token;
use crate::args::WaitArgs;
use crate::client::{Client, encode};
use crate::error::CliError;
use crate::output::{self, Table, clean, note, scopes, text, when};
use crate::term::Spinner;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How often the request is polled (each poll counts against the plan's rate limit).
const POLL_EVERY: Duration = Duration::from_secs(2);
/// How often the spinner moves.
const TICK: Duration = Duration::from_millis(100);

fn approval_url(id: &str) -> String {
    format!("/v1/approvals/{}", encode(id))
}

/// Tells the requester what happens now (standard error).
pub fn announce(pending: &Value, id: &str) {
    let mut lines = vec![format!(
        "Approval required: request {id} needs {} approval(s); it stands until {}.",
        text(pending, "required_approvals"),
        when(pending, "expires_at")
    )];
    if let Some(url) = pending.get("approve_url").and_then(Value::as_str) {
        lines.push(format!("Approvers can review it at {}", clean(url)));
    }
    lines.push(format!(
        "An approver decides with `latchkey approvals approve {id}` (or deny); \
         if this stops waiting, `latchkey approvals wait {id}` resumes."
    ));
    note(&lines.join("\n"));
}

fn approvals_count(view: &Value) -> String {
    let got = view
        .get("approvers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    format!("{got}/{}", text(view, "required_approvals"))
}

/// The last denial's note and author.
fn denial(view: &Value) -> String {
    let last = view
        .get("decisions")
        .and_then(Value::as_array)
        .and_then(|d| {
            d.iter()
                .rev()
                .find(|d| d.get("decision").and_then(Value::as_str) == Some("deny"))
        });
    match last {
        Some(d) => {
            let by = text(d, "approver");
            match d.get("note").and_then(Value::as_str) {
                Some(reason) => format!("denied by {by}: {}", clean(reason)),
                None => format!("denied by {by} (no reason given)"),
            }
        }
        None => "denied".to_owned(),
    }
}

/// What a poll showed.
enum Poll {
    Waiting(String),
    Released(Value),
    Over(CliError),
}

/// Reads one poll of the requester's view.
fn judge(id: &str, view: &Value) -> Poll {
    let status = view.get("status").and_then(Value::as_str).unwrap_or("");
    match status {
        "pending" => Poll::Waiting(format!(
            "Waiting for approval of {id}: {} approvals so far",
            approvals_count(view)
        )),
        "approved" => match view.get("token") {
            Some(token) if token.get("value").is_some_and(Value::is_string) => {
                let mut token = token.clone();
                if let Some(map) = token.as_object_mut() {
                    map.insert("approval_status".into(), json!("approved"));
                    map.insert("approval_request_id".into(), json!(id));
                    if let Some(scope) = view.get("request").and_then(|r| r.get("scope")) {
                        map.insert("scope".into(), scope.clone());
                    }
                }
                Poll::Released(token)
            }
            Some(token) if token.is_object() => Poll::Over(CliError::failed_hint(
                format!(
                    "{id} was approved and its token {} was already released to an earlier poll",
                    text(token, "id")
                ),
                "a released token is shown once; if it was lost, revoke it and request a new one",
            )),
            _ => Poll::Waiting(format!(
                "Approved; the token is released at {} (cancel window)",
                when(view, "releases_at")
            )),
        },
        "denied" => Poll::Over(CliError::failed_hint(
            format!("request {id} was {}", denial(view)),
            "ask an approver what would be acceptable, then request a narrower scope",
        )),
        "expired" => Poll::Over(CliError::failed_hint(
            format!("request {id} expired before enough approvals"),
            "request the token again, and make sure approvers are notified",
        )),
        "cancelled" => Poll::Over(CliError::failed(format!("request {id} was cancelled"))),
        other => Poll::Over(CliError::failed(format!(
            "request {id} has an unknown status '{}'",
            clean(other)
        ))),
    }
}

/// Polls until the request is decided or `timeout` passes; returns the released token in
/// the shape of a `201 POST /v1/tokens` answer.
pub fn wait_for_token(client: &Client, id: &str, timeout: Duration) -> Result<Value, CliError> {
    let mut spinner = Spinner::new();
    // `checked_add`: `--wait` can be any number; past what the clock holds, wait forever.
    let deadline = Instant::now().checked_add(timeout);
    let mut next_poll = Instant::now();
    let mut status = format!("Waiting for approval of {id}");
    loop {
        let now = Instant::now();
        if now >= next_poll {
            next_poll = now + POLL_EVERY;
            match client.get(&approval_url(id)) {
                Ok(view) => match judge(id, &view) {
                    Poll::Waiting(line) => status = line,
                    Poll::Released(token) => {
                        spinner.clear();
                        return Ok(token);
                    }
                    Poll::Over(error) => {
                        spinner.clear();
                        return Err(error);
                    }
                },
                Err(CliError::Api(f)) if f.code == "rate_limited" => {
                    let wait = f.retry_after.unwrap_or(5).min(300);
                    next_poll = now + Duration::from_secs(wait);
                    status = format!("Rate limited; polling {id} again in {wait} s");
                }
                // A passing server error must not end a long wait.
                Err(CliError::Api(f))
                    if matches!(f.code.as_str(), "internal_error" | "unavailable") =>
                {
                    next_poll = now + Duration::from_secs(5);
                    status = format!("Server error ({}); retrying", f.code);
                }
                Err(CliError::Network { detail, .. }) => {
                    next_poll = now + Duration::from_secs(5);
                    status = format!("Connection problem ({detail}); retrying");
                }
                Err(e) => {
                    spinner.clear();
                    return Err(e);
                }
            }
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            spinner.clear();
            return Err(CliError::failed_hint(
                format!(
                    "request {id} is still undecided after {} s",
                    timeout.as_secs()
                ),
                format!(
                    "`latchkey approvals wait {id}` waits again (the request stays open until it expires)"
                ),
            ));
        }
        spinner.tick(&status);
        std::thread::sleep(TICK);
    }
}

pub fn wait(ctx: &Ctx, id: &str, args: &WaitArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let released = wait_for_token(&client, id, args.timeout)?;
    print_token(ctx, &released)
}

pub fn list(ctx: &Ctx, status: Option<&str>) -> Result<(), CliError> {
    let query = crate::client::Query::new().opt("status", status).finish();
    let body = ctx.client()?.get(&format!("/v1/approvals{query}"))?;
    if ctx.json {
        return output::json(&body);
    }
    let mut table = Table::new(&[
        "ID",
        "STATUS",
        "APPROVALS",
        "TIER",
        "EXPIRES",
        "REQUESTER",
        "SCOPE",
    ])
    .flex(&[6, 5]);
    for view in body
        .get("approvals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        table.row(vec![
            text(view, "id"),
            text(view, "status"),
            approvals_count(view),
            text(view, "tier"),
            when(view, "expires_at"),
            requester(view),
            view.get("request")
                .and_then(|r| r.get("scope"))
                .map(scopes)
                .unwrap_or_default(),
        ]);
    }
    if table.is_empty() {
        note("No approval requests.");
        return Ok(());
    }
    output::out(&table.render(crate::term::width()))
}

fn requester(view: &Value) -> String {
    match view.get("requester_description").and_then(Value::as_str) {
        Some(d) => format!("{} ({})", text(view, "requester"), clean(d)),
        None => text(view, "requester"),
    }
}

/// The view as `key: value` lines.
fn describe(view: &Value) -> String {
    let request = view.get("request").cloned().unwrap_or(Value::Null);
    let ips = request
        .get("allowed_ips")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .map_or_else(|| "any".to_owned(), |a| scopes(&Value::Array(a.clone())));
    let mut lines = vec![
        format!("id:              {}", text(view, "id")),
        format!("status:          {}", text(view, "status")),
        format!("requester:       {}", requester(view)),
        format!(
            "scope:           {}",
            request.get("scope").map(scopes).unwrap_or_default()
        ),
        format!("ttl seconds:     {}", text(&request, "ttl_seconds")),
        format!("max uses:        {}", text(&request, "max_uses")),
        format!("allowed ips:     {ips}"),
        format!("description:     {}", text(&request, "description")),
        format!(
            "reaches:         {} secret(s), highest tier {}",
            text(view, "secrets_reached"),
            text(view, "tier")
        ),
        format!("approvals:       {}", approvals_count(view)),
        format!("created:         {}", when(view, "created_at")),
        format!("expires:         {}", when(view, "expires_at")),
    ];
    if view.get("releases_at").is_some_and(Value::is_string) {
        lines.push(format!("releases:        {}", when(view, "releases_at")));
    }
    for d in view
        .get("decisions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        lines.push(format!(
            "decision:        {} by {} at {}{}",
            text(d, "decision"),
            text(d, "approver"),
            when(d, "at"),
            d.get("note")
                .and_then(Value::as_str)
                .map(|n| format!(": {}", clean(n)))
                .unwrap_or_default()
        ));
    }
    lines.join("\n")
}

pub fn show(ctx: &Ctx, id: &str) -> Result<(), CliError> {
    let view = ctx.client()?.get(&approval_url(id))?;
    // The requester's first look after approval releases the token, once: never drop it.
    if let Poll::Released(token) = judge(id, &view) {
        if !ctx.json {
            note(&describe(&view));
        }
        return print_token(ctx, &token);
    }
    if ctx.json {
        return output::json(&view);
    }
    output::line(&describe(&view))
}

/// `approve` (with a comment), `deny` (with a reason) or `cancel`.
pub fn decide(
    ctx: &Ctx,
    id: &str,
    action: &str,
    note_member: &str,
    note_text: Option<String>,
) -> Result<(), CliError> {
    let body = match note_text {
        Some(text) => json!({ note_member: text }),
        None => json!({}),
    };
    let reply = ctx
        .client()?
        .post(&format!("{}/{action}", approval_url(id)), &body)?;
    if ctx.json {
        return output::json(&reply.body);
    }
    let view = &reply.body;
    let done = match action {
        "approve" => "Approved",
        "deny" => "Denied",
        _ => "Cancelled",
    };
    output::line(&format!(
        "{done} {id}: it is now {} ({} approvals)",
        text(view, "status"),
        approvals_count(view)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_are_judged_by_status() {
        let pending = json!({"status": "pending", "approvers": [], "required_approvals": 1});
        assert!(matches!(judge("apr_1", &pending), Poll::Waiting(s) if s.contains("0/1")));
        let window =
            json!({"status": "approved", "token": null, "releases_at": "2030-01-01T00:00:00Z"});
        assert!(matches!(judge("apr_1", &window), Poll::Waiting(s) if s.contains("cancel window")));
        let released = json!({
            "status": "approved",
            "request": {"scope": "secrets:read:a/*"},
            "token": {"id": "tok_1", "value": "lk_tok_x", "expires_at": "2030-01-01T00:00:00Z"}
        });
        let Poll::Released(token) = judge("apr_1", &released) else {
            panic!("not released");
        };
        assert_eq!(token["value"], "lk_tok_x");
        assert_eq!(token["approval_request_id"], "apr_1");
        assert_eq!(token["scope"], "secrets:read:a/*");
        let taken = json!({"status": "approved", "token": {"id": "tok_1", "expires_at": "x"}});
        let Poll::Over(e) = judge("apr_1", &taken) else {
            panic!("not over");
        };
        assert!(e.report().contains("already released"));
        let denied = json!({"status": "denied", "decisions": [
            {"approver": "tok_a", "decision": "deny", "note": "too broad", "at": "x"}
        ]});
        let Poll::Over(e) = judge("apr_1", &denied) else {
            panic!("not over");
        };
        assert!(
            e.report().contains("denied by tok_a: too broad"),
            "{}",
            e.report()
        );
        assert!(matches!(
            judge("apr_1", &json!({"status": "expired"})),
            Poll::Over(_)
        ));
    }
}
