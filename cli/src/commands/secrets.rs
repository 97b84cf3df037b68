//! `get`, `set`, `list`, `versions`, `rotate`, `delete`, `restore`, `generate`.

use super::Ctx;
use crate::args::{
    Charset, DeleteArgs, GenerateArgs, GetArgs, ListArgs, Metadata, RotateArgs, SetArgs,
    ValueSource,
};
use crate::client::{Client, Query, encode, secret_url};
use crate::error::CliError;
use crate::output::{self, Table, note, text, when};
use crate::parse::AllowedHost;
use crate::secret::Secret;
use crate::term;
use serde_json::{Map, Value, json};

/// Prints the value only (or one field's), so `$(latchkey get …)` is the value.
pub fn get(ctx: &Ctx, args: &GetArgs) -> Result<(), CliError> {
    let url = match (&args.field, args.version) {
        (Some(_), Some(_)) => {
            return Err(CliError::usage(
                "--field and --version cannot be combined: fields are not versioned",
            ));
        }
        (Some(field), None) => secret_url(&args.path, &format!("/fields/{}", encode(field))),
        (None, version) => secret_url(&args.path, &Query::new().opt("version", version).finish()),
    };
    let body = ctx.client()?.get(&url)?;
    if ctx.json {
        return output::json(&body);
    }
    let Some(value) = body.get("value").and_then(Value::as_str) else {
        let names: Vec<&str> = body
            .get("fields")
            .and_then(Value::as_object)
            .map(|f| f.keys().map(String::as_str).collect())
            .unwrap_or_default();
        return Err(CliError::usage_hint(
            format!(
                "secret '{}' has no main value, only fields: {}",
                args.path,
                names.join(", ")
            ),
            format!("read one with `latchkey get {} --field NAME`", args.path),
        ));
    };
    let value = Secret::new(value.to_owned());
    drop(body);
    if args.no_newline {
        output::out(value.expose())
    } else {
        output::out(&format!("{}\n", value.expose()))
    }
}

/// The generator's body members.
fn charset_body(charset: &Charset) -> Map<String, Value> {
    let mut body = Map::new();
    if let Some(length) = charset.length {
        body.insert("length".into(), json!(length));
    }
    for (off, name) in [
        (charset.no_uppercase, "uppercase"),
        (charset.no_lowercase, "lowercase"),
        (charset.no_digits, "digits"),
        (charset.no_symbols, "symbols"),
    ] {
        if off {
            body.insert(name.into(), json!(false));
        }
    }
    body
}

/// The metadata members of a create or update body.
fn metadata_body(metadata: &Metadata, body: &mut Map<String, Value>) {
    if let Some(tier) = &metadata.tier {
        body.insert("tier".into(), json!(tier));
    }
    if let Some(description) = &metadata.description {
        body.insert("description".into(), json!(description));
    }
    if !metadata.tags.is_empty() {
        let tags: Map<String, Value> = metadata
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        body.insert("tags".into(), Value::Object(tags));
    }
    if let Some(at) = &metadata.expires_at {
        body.insert("expires_at".into(), json!(at));
    }
    if let Some(n) = metadata.max_versions {
        body.insert("max_versions".into(), json!(n));
    }
    if metadata.clear_allowed_hosts {
        body.insert("allowed_hosts".into(), json!([]));
    } else if !metadata.allowed_hosts.is_empty() {
        let rules: Vec<Value> = metadata.allowed_hosts.iter().map(allowed_host).collect();
        body.insert("allowed_hosts".into(), Value::Array(rules));
    }
}

/// One `allowed_hosts` rule: `{"host", "path_prefix"?, "methods"?}`.
fn allowed_host(rule: &AllowedHost) -> Value {
    let mut member = Map::new();
    member.insert("host".into(), json!(rule.host));
    if let Some(prefix) = &rule.path_prefix {
        member.insert("path_prefix".into(), json!(prefix));
    }
    if !rule.methods.is_empty() {
        member.insert("methods".into(), json!(rule.methods));
    }
    Value::Object(member)
}

/// A password from the server's generator, not stored.
fn generated(client: &Client, charset: &Charset) -> Result<Secret, CliError> {
    let reply = client.post("/v1/generate", &Value::Object(charset_body(charset)))?;
    reply
        .body
        .get("password")
        .and_then(Value::as_str)
        .map(|p| Secret::new(p.to_owned()))
        .ok_or_else(|| CliError::failed("the generator's answer has no password"))
}

/// The new value: `--value-file` (exactly), `--generate`, else stdin or a hidden prompt.
fn new_value(client: &Client, source: &ValueSource, path: &str) -> Result<Secret, CliError> {
    if !source.generate && !source.charset.is_default() {
        return Err(CliError::usage(
            "--length and --no-* choose how a password is generated: add --generate",
        ));
    }
    if source.generate {
        return generated(client, &source.charset);
    }
    if let Some(file) = &source.value_file {
        let bytes = zeroize::Zeroizing::new(
            std::fs::read(file)
                .map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?,
        );
        return term::value_from_bytes(&bytes, false, "value file");
    }
    term::read_value(&format!("value for {path}"))
}

/// Updates the secret (a new version), or creates it when the path is new.
pub fn set(ctx: &Ctx, args: &SetArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let value = new_value(&client, &args.value, &args.path)?;
    let mut body = Map::new();
    body.insert("value".into(), json!(value.expose()));
    metadata_body(&args.metadata, &mut body);
    let update = client.put(
        &secret_url(&args.path, ""),
        &Value::Object(body.clone()),
        args.if_match,
    );
    let (reply, created) = match update {
        Ok(reply) => (reply, false),
        // A new path: create it. (A deleted one answers the create with a 409 that says how
        // to restore it.)
        Err(CliError::Api(failure)) if failure.code == "not_found" && args.if_match.is_none() => {
            body.insert("path".into(), json!(args.path));
            (client.post("/v1/secrets", &Value::Object(body))?, true)
        }
        Err(e) => return Err(e),
    };
    if ctx.json {
        return output::json(&reply.body);
    }
    let version = text(&reply.body, "version");
    if created {
        output::line(&format!(
            "Created {} (version {version}, {})",
            args.path,
            text(&reply.body, "tier")
        ))
    } else {
        output::line(&format!("Updated {}: now version {version}", args.path))
    }
}

pub fn list(ctx: &Ctx, args: &ListArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let mut base = Query::new()
        .opt("namespace", args.namespace.as_deref())
        .opt("tier", args.tier.as_deref())
        .opt("q", args.search.as_deref())
        .opt("expiring_within", args.expiring_within)
        .flag("include_deleted", args.deleted)
        .opt("limit", args.limit);
    for (key, value) in &args.tags {
        base = base.push("tag", format!("{key}:{value}"));
    }
    let mut cursor = args.cursor.clone();
    let mut items: Vec<Value> = Vec::new();
    let (total, next) = loop {
        let url = format!(
            "/v1/secrets{}",
            base.clone().opt("cursor", cursor.as_deref()).finish()
        );
        let page = client.get(&url)?;
        if ctx.json && !args.all {
            return output::json(&page);
        }
        if let Some(page_items) = page.get("items").and_then(Value::as_array) {
            items.extend(page_items.iter().cloned());
        }
        let next = page
            .get("next_cursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let total = page.get("total").and_then(Value::as_u64);
        match next {
            Some(next) if args.all => cursor = Some(next),
            next => break (total, next),
        }
    };
    if ctx.json {
        return output::json(&json!({"items": items, "total": total, "next_cursor": next}));
    }
    if items.is_empty() {
        note("No secrets match.");
        return Ok(());
    }
    let mut headers = vec!["PATH", "VERSION", "TIER", "UPDATED", "TAGS", "DESCRIPTION"];
    if args.deleted {
        headers.push("DELETED");
    }
    let mut table = Table::new(&headers).flex(&[5, 4]);
    for item in &items {
        let tags = item
            .get("tags")
            .and_then(Value::as_object)
            .map(|t| {
                t.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "-".into());
        let mut row = vec![
            text(item, "path"),
            text(item, "version"),
            text(item, "tier"),
            when(item, "updated_at"),
            tags,
            text(item, "description"),
        ];
        if args.deleted {
            row.push(when(item, "deleted_at"));
        }
        table.row(row);
    }
    output::out(&table.render(term::width()))?;
    if let Some(next) = next {
        note(&format!(
            "{} of {} shown; next page: latchkey list --cursor {next} (or --all)",
            items.len(),
            total.map_or_else(|| "more".to_owned(), |t| t.to_string())
        ));
    }
    Ok(())
}

pub fn versions(ctx: &Ctx, path: &str) -> Result<(), CliError> {
    let body = ctx.client()?.get(&secret_url(path, "/versions"))?;
    if ctx.json {
        return output::json(&body);
    }
    let mut table = Table::new(&["VERSION", "STATE", "CREATED", "READABLE UNTIL"]);
    for v in body
        .get("versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        table.row(vec![
            text(v, "version"),
            text(v, "state"),
            when(v, "created_at"),
            when(v, "expires_at"),
        ]);
    }
    if table.is_empty() {
        note(&format!("{path} has no versions (fields only)."));
        return Ok(());
    }
    output::out(&table.render(term::width()))
}

pub fn rotate(ctx: &Ctx, args: &RotateArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let value = new_value(&client, &args.value, &args.path)?;
    let mut body = json!({"new_value": value.expose()});
    if let (Some(grace), Some(map)) = (args.grace, body.as_object_mut()) {
        map.insert("grace_period_seconds".into(), json!(grace));
    }
    let reply = client.post(&secret_url(&args.path, "/rotate"), &body)?;
    drop(body);
    if ctx.json {
        return output::json(&reply.body);
    }
    let b = &reply.body;
    let old = text(b, "old_version");
    let grace_note = if args.grace.unwrap_or(0) > 0 {
        format!(
            "version {old} stays readable with --version {old} until {}",
            when(b, "old_expires_at")
        )
    } else {
        format!("version {old} is no longer readable")
    };
    output::line(&format!(
        "Rotated {}: now version {}; {grace_note}",
        args.path,
        text(b, "new_version")
    ))
}

pub fn delete(ctx: &Ctx, args: &DeleteArgs) -> Result<(), CliError> {
    if args.permanent && !args.yes {
        confirm_erase(&args.path)?;
    }
    let client = ctx.client()?;
    let query = Query::new().flag("permanent", args.permanent).finish();
    client.delete(&secret_url(&args.path, &query))?;
    if ctx.json {
        return output::json(
            &json!({"path": args.path, "deleted": true, "permanent": args.permanent}),
        );
    }
    if args.permanent {
        output::line(&format!(
            "Erased {} and all its versions for good",
            args.path
        ))
    } else {
        output::line(&format!(
            "Deleted {0}; restore it within 30 days with `latchkey restore {0}`",
            args.path
        ))
    }
}

/// A permanent delete needs the path typed back, or `--yes`.
fn confirm_erase(path: &str) -> Result<(), CliError> {
    if !term::stdin_is_tty() {
        return Err(CliError::usage_hint(
            format!("--permanent erases every version of {path} and cannot be undone"),
            "add --yes to confirm",
        ));
    }
    eprint!("Erase every version of {path} for good? Type the path to confirm: ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CliError::usage(format!("cannot read the confirmation: {e}")))?;
    if answer.trim() != path {
        return Err(CliError::usage("not confirmed; nothing was deleted"));
    }
    Ok(())
}

pub fn restore(ctx: &Ctx, path: &str) -> Result<(), CliError> {
    let reply = ctx
        .client()?
        .post(&secret_url(path, "/restore"), &json!({}))?;
    if ctx.json {
        return output::json(&reply.body);
    }
    output::line(&format!(
        "Restored {path} (version {})",
        text(&reply.body, "version")
    ))
}

/// Prints a password; with `--path` stores it instead and prints where (not the value).
pub fn generate(ctx: &Ctx, args: &GenerateArgs) -> Result<(), CliError> {
    let mut body = charset_body(&args.charset);
    if let Some(path) = &args.path {
        body.insert("path".into(), json!(path));
    }
    let before = body.len();
    metadata_body(&args.metadata, &mut body);
    // The server reads metadata only when it stores the password: silently dropping a
    // --tier would leave the user thinking it was set.
    if args.path.is_none() && body.len() > before {
        return Err(CliError::usage(
            "--tier, --tag, --description and the other metadata options need --path (they describe the stored secret)",
        ));
    }
    let mut reply = ctx.client()?.post("/v1/generate", &Value::Object(body))?;
    let stored = args.path.is_some();
    let password = match reply.body.as_object_mut() {
        Some(map) if stored => {
            map.remove("password");
            None
        }
        Some(map) => map
            .get("password")
            .and_then(Value::as_str)
            .map(|p| Secret::new(p.to_owned())),
        None => None,
    };
    if ctx.json {
        return output::json(&reply.body);
    }
    match (password, &args.path) {
        (_, Some(path)) => output::line(&format!(
            "Stored a generated password at {path} (version {}); read it with `latchkey get {path}`",
            text(&reply.body, "version")
        )),
        (Some(password), None) => output::out(&format!("{}\n", password.expose())),
        (None, None) => Err(CliError::failed("the generator's answer has no password")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_options_become_false_members() {
        let body = charset_body(&Charset {
            length: Some(20),
            no_symbols: true,
            ..Charset::default()
        });
        assert_eq!(Value::Object(body), json!({"length": 20, "symbols": false}));
    }

    fn metadata(args: &[&str]) -> Metadata {
        use crate::args::{Cli, Command};
        use clap::Parser as _;
        let cli =
            Cli::try_parse_from(["latchkey", "set", "p/k"].iter().chain(args).copied()).unwrap();
        let Command::Set(set) = cli.command else {
            panic!("not set");
        };
        set.metadata
    }

    #[test]
    fn allowed_hosts_become_rules() {
        let mut body = Map::new();
        metadata_body(
            &metadata(&[
                "--allowed-host",
                "api.openai.com",
                "--allowed-host",
                "GET,post Api.Stripe.com/v1/",
                "--allowed-host",
                "*.example.com/",
            ]),
            &mut body,
        );
        assert_eq!(
            Value::Object(body),
            json!({"allowed_hosts": [
                {"host": "api.openai.com"},
                {"host": "api.stripe.com", "path_prefix": "/v1/", "methods": ["GET", "POST"]},
                {"host": "*.example.com", "path_prefix": "/"}
            ]})
        );
        let mut cleared = Map::new();
        metadata_body(&metadata(&["--clear-allowed-hosts"]), &mut cleared);
        assert_eq!(Value::Object(cleared), json!({"allowed_hosts": []}));
        // Absent: the stored rules are kept.
        let mut kept = Map::new();
        metadata_body(&metadata(&["--tier", "critical"]), &mut kept);
        assert_eq!(Value::Object(kept), json!({"tier": "critical"}));
    }
}
