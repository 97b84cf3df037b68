//! `token create|list|revoke`. A created token's value is printed once, alone on standard
//! output (so `TOKEN=$(latchkey token create …)` works); what it is goes to standard error.

use super::Ctx;
use super::approvals;
use crate::args::TokenCreateArgs;
use crate::client::encode;
use crate::error::CliError;
use crate::output::{self, Table, note, scopes, text, when};
use serde_json::{Map, Value, json};

pub fn create(ctx: &Ctx, args: &TokenCreateArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let mut body = Map::new();
    let scope = match args.scopes.as_slice() {
        [one] => json!(one),
        many => json!(many),
    };
    body.insert("scope".into(), scope);
    if let Some(ttl) = args.ttl {
        body.insert("ttl_seconds".into(), json!(ttl));
    }
    if let Some(description) = &args.description {
        body.insert("description".into(), json!(description));
    }
    if let Some(max_uses) = args.max_uses {
        body.insert("max_uses".into(), json!(max_uses));
    }
    if !args.allowed_ips.is_empty() {
        body.insert("allowed_ips".into(), json!(args.allowed_ips));
    }
    let reply = client.post("/v1/tokens", &Value::Object(body))?;
    if reply.status != 202 {
        return print_token(ctx, &reply.body);
    }
    let pending = &reply.body;
    let id = pending
        .get("approval_request_id")
        .and_then(Value::as_str)
        .ok_or_else(|| CliError::failed("the 202 answer has no approval_request_id"))?
        .to_owned();
    // On stderr, so it shows with --json too.
    approvals::announce(pending, &id);
    if args.no_wait {
        return if ctx.json {
            output::json(pending)
        } else {
            output::line(&id)
        };
    }
    let released = approvals::wait_for_token(&client, &id, args.wait.timeout)?;
    print_token(ctx, &released)
}

/// Prints a new token: the value alone on stdout, the rest on stderr; or the JSON.
pub fn print_token(ctx: &Ctx, body: &Value) -> Result<(), CliError> {
    if ctx.json {
        return output::json(body);
    }
    let value = body
        .get("value")
        .and_then(Value::as_str)
        .ok_or_else(|| CliError::failed("the answer carries no token value"))?;
    note(&format!(
        "Token {} created{}; it expires {}. This is the only time its value is shown: store it now.",
        text(body, "id"),
        body.get("scope")
            .map(|s| format!(" for {}", scopes(s)))
            .unwrap_or_default(),
        when(body, "expires_at"),
    ));
    output::line(value)
}

pub fn list(ctx: &Ctx) -> Result<(), CliError> {
    let body = ctx.client()?.get("/v1/tokens")?;
    if ctx.json {
        return output::json(&body);
    }
    let mut table = Table::new(&[
        "ID",
        "STATUS",
        "EXPIRES",
        "USES",
        "LAST USED",
        "CREATED BY",
        "DESCRIPTION",
        "SCOPE",
    ])
    .flex(&[7, 6]);
    for token in body
        .get("tokens")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let status = if token.get("revoked").and_then(Value::as_bool) == Some(true) {
            "revoked"
        } else {
            "active"
        };
        let uses = match token.get("max_uses").and_then(Value::as_u64) {
            Some(max) => format!("{}/{max}", text(token, "uses")),
            None => text(token, "uses"),
        };
        table.row(vec![
            text(token, "id"),
            status.to_owned(),
            when(token, "expires_at"),
            uses,
            when(token, "last_used_at"),
            text(token, "created_by"),
            text(token, "description"),
            token.get("scope").map(scopes).unwrap_or_default(),
        ]);
    }
    if table.is_empty() {
        note("No tokens.");
        return Ok(());
    }
    output::out(&table.render(crate::term::width()))
}

pub fn revoke(ctx: &Ctx, id: &str) -> Result<(), CliError> {
    let reply = ctx
        .client()?
        .delete(&format!("/v1/tokens/{}", encode(id)))?;
    if ctx.json {
        return output::json(&reply.body);
    }
    output::line(&format!(
        "Revoked {id}; it is refused from its next request"
    ))
}
