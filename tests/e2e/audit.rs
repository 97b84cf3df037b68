//! The audit trail: one event per action and per denial, filters and cursors, exports, the
//! chain's verification, the live stream and the copy in D1.

use crate::Ctx;
use crate::tokens::mint;
use latchkey_e2e::client::Body;
use latchkey_e2e::runtime::files_containing;
use latchkey_e2e::{Reply, unique};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::BufRead;
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "audit::each_action_records_exactly_one_event",
        each_action_records_exactly_one_event,
    ),
    ("audit::denials_are_recorded", denials_are_recorded),
    (
        "audit::a_thousand_events_walk_export_and_verify",
        a_thousand_events_walk_export_and_verify,
    ),
    (
        "audit::the_stream_delivers_new_events_and_resumes",
        the_stream_delivers_new_events_and_resumes,
    ),
    ("audit::events_are_copied_to_d1", events_are_copied_to_d1),
];

const AGENT: &str = "latchkey-e2e/1.0";
const IP: &str = "10.9.9.9";

/// Sends a request with its own correlation id; returns the reply and the id.
fn act(ctx: &Ctx, key: &str, method: &str, url: &str, body: Option<Value>) -> (Reply, String) {
    let id = unique("req");
    let headers = [
        ("X-Request-Id", id.as_str()),
        ("User-Agent", AGENT),
        ("CF-Connecting-IP", IP),
    ];
    let reply = match &body {
        Some(body) => ctx
            .api()
            .send(method, url, Some(key), &headers, Body::Json(body)),
        None => ctx.api().send(method, url, Some(key), &headers, Body::None),
    };
    assert_eq!(reply.header("x-request-id"), Some(id.as_str()), "echoed");
    (reply, id)
}

fn events_for(ctx: &Ctx, key: &str, correlation_id: &str) -> Vec<Value> {
    let reply = ctx.api().get(
        &format!("/v1/audit?correlation_id={correlation_id}"),
        Some(key),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["events"].as_array().expect("events").clone()
}

fn one_event(ctx: &Ctx, key: &str, correlation_id: &str) -> Value {
    let events = events_for(ctx, key, correlation_id);
    assert_eq!(
        events.len(),
        1,
        "exactly one event for {correlation_id}: {events:?}"
    );
    events.into_iter().next().unwrap_or(Value::Null)
}

fn each_action_records_exactly_one_event(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let value = latchkey_e2e::secret_value("audit-secret-value");
    let enc = "a%2Fb";
    // (method, url, body, event type, path, success)
    type Action<'a> = (
        &'a str,
        String,
        Option<Value>,
        &'a str,
        Option<&'a str>,
        bool,
    );
    let actions: Vec<Action> = vec![
        (
            "POST",
            "/v1/secrets".into(),
            Some(json!({"path": "a/b", "value": value})),
            "secret.created",
            Some("a/b"),
            true,
        ),
        (
            "GET",
            format!("/v1/secrets/{enc}"),
            None,
            "secret.read",
            Some("a/b"),
            true,
        ),
        (
            "PUT",
            format!("/v1/secrets/{enc}"),
            Some(json!({"value": format!("{value}-2")})),
            "secret.updated",
            Some("a/b"),
            true,
        ),
        (
            "POST",
            format!("/v1/secrets/{enc}/rotate"),
            Some(json!({"new_value": format!("{value}-3")})),
            "secret.rotated",
            Some("a/b"),
            true,
        ),
        (
            "GET",
            format!("/v1/secrets/{enc}/versions"),
            None,
            "secret.versions_listed",
            Some("a/b"),
            true,
        ),
        (
            "GET",
            "/v1/secrets?namespace=a".into(),
            None,
            "secret.listed",
            Some("a"),
            true,
        ),
        (
            "PUT",
            format!("/v1/secrets/{enc}/fields/user"),
            Some(json!({"value": format!("{value}-f")})),
            "field.set",
            Some("a/b"),
            true,
        ),
        (
            "GET",
            format!("/v1/secrets/{enc}/fields/user"),
            None,
            "field.read",
            Some("a/b"),
            true,
        ),
        (
            "DELETE",
            format!("/v1/secrets/{enc}/fields/user"),
            None,
            "field.deleted",
            Some("a/b"),
            true,
        ),
        (
            "DELETE",
            format!("/v1/secrets/{enc}"),
            None,
            "secret.deleted",
            Some("a/b"),
            true,
        ),
        (
            "POST",
            format!("/v1/secrets/{enc}/restore"),
            None,
            "secret.restored",
            Some("a/b"),
            true,
        ),
        (
            "DELETE",
            format!("/v1/secrets/{enc}?permanent=true"),
            None,
            "secret.destroyed",
            Some("a/b"),
            true,
        ),
        (
            "GET",
            "/v1/secrets/missing".into(),
            None,
            "secret.read",
            Some("missing"),
            false,
        ),
        (
            "POST",
            "/v1/tokens".into(),
            Some(json!({"scope": "secrets:read:a/*"})),
            "token.created",
            None,
            true,
        ),
        ("GET", "/v1/tokens".into(), None, "token.listed", None, true),
        (
            "GET",
            "/v1/info".into(),
            None,
            "tenant.info_read",
            None,
            true,
        ),
        (
            "POST",
            "/v1/generate".into(),
            Some(json!({})),
            "password.generated",
            None,
            true,
        ),
        (
            "PUT",
            "/v1/policies".into(),
            Some(json!({"policies": [{"glob": "a/*", "sensitive": 2}]})),
            "policy.updated",
            None,
            true,
        ),
        (
            "GET",
            "/v1/policies".into(),
            None,
            "policy.read",
            None,
            true,
        ),
        (
            "PUT",
            "/v1/notifications".into(),
            Some(json!({"email": {"to": ["x@example.com"]}})),
            "notifications.updated",
            None,
            true,
        ),
        (
            "GET",
            "/v1/notifications".into(),
            None,
            "notifications.read",
            None,
            true,
        ),
    ];
    let mut token_id = String::new();
    for (method, url, body, event_type, path, success) in actions {
        let (reply, id) = act(ctx, &key, method, &url, body);
        assert_eq!(
            reply.status < 400,
            success,
            "{method} {url}: {}",
            reply.text
        );
        if event_type == "token.created" {
            token_id = reply.body["id"].as_str().unwrap().to_owned();
        }
        let event = one_event(ctx, &key, &id);
        assert_eq!(event["type"], event_type, "{method} {url}: {event}");
        assert_eq!(event["path"].as_str(), path, "{event}");
        assert_eq!(event["success"], success, "{event}");
        assert_eq!(event["actor"], "master");
        assert_eq!(event["actor_description"], "master key");
        assert_eq!(event["ip"], IP);
        assert_eq!(event["user_agent"], AGENT);
        assert_eq!(event["correlation_id"], id.as_str());
        assert!(event["id"].as_str().unwrap().starts_with("evt_"));
        assert!(event["timestamp"].is_string());
        assert_eq!(event["hash"].as_str().unwrap().len(), 64);
        if !success {
            assert!(
                event["reason"].as_str().unwrap().starts_with("not_found"),
                "{event}"
            );
        }
    }
    let (revoked, id) = act(ctx, &key, "DELETE", &format!("/v1/tokens/{token_id}"), None);
    assert_eq!(revoked.status, 200);
    let event = one_event(ctx, &key, &id);
    assert_eq!(event["type"], "token.revoked");
    assert_eq!(event["details"]["token_id"], token_id.as_str());
    // Versions are in the details; values never are, anywhere.
    let all = ctx.api().get("/v1/audit?limit=1000", Some(&key));
    assert!(!all.text.contains(&value), "no value in the audit trail");
    let created = all.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "secret.rotated")
        .unwrap()
        .clone();
    assert_eq!(created["details"]["new_version"], 3);
    let hits = files_containing(&ctx.runtime.state_dir, value.as_bytes());
    assert!(hits.is_empty(), "a value reached the disk: {hits:?}");
}

fn denials_are_recorded(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(&key, &json!({"path": "y/z", "value": "v"}))
            .status,
        201
    );
    let (reader, reader_id) = mint(
        ctx,
        &key,
        json!({"scope": "secrets:read:x/*", "description": "narrow reader"}),
    );
    let (denied, id) = act(ctx, &reader, "GET", "/v1/secrets/y%2Fz", None);
    denied.assert_error(403, "permission_denied");
    let event = one_event(ctx, &key, &id);
    assert_eq!(event["type"], "secret.read");
    assert_eq!(event["success"], false);
    assert_eq!(event["actor"], format!("token:{reader_id}"));
    assert_eq!(event["actor_description"], "narrow reader");
    assert!(
        event["reason"]
            .as_str()
            .unwrap()
            .starts_with("permission_denied"),
        "{event}"
    );
    // A wrong key for the tenant.
    let (failed, id) = act(
        ctx,
        &format!("lk_live_{tenant}_{}", "C".repeat(43)),
        "GET",
        "/v1/secrets/y%2Fz",
        None,
    );
    failed.assert_error(401, "unauthorized");
    let event = one_event(ctx, &key, &id);
    assert_eq!(event["type"], "auth.failed");
    assert_eq!(event["actor"], "anonymous");
    assert_eq!(event["details"]["credential"], "master_key");
    // Approvals leave their trail too.
    let (agent, _) = mint(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "secrets:read:s/*"]}),
    );
    let (approver, approver_id) = mint(ctx, &key, json!({"scope": "approvals:decide"}));
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "s/k", "value": "v", "tier": "sensitive"})
        )
        .status,
        201
    );
    let (requested, id) = act(
        ctx,
        &agent,
        "POST",
        "/v1/tokens",
        Some(json!({"scope": "secrets:read:s/*"})),
    );
    assert_eq!(requested.status, 202);
    let approval = requested.body["approval_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = one_event(ctx, &key, &id);
    assert_eq!(event["type"], "approval.requested");
    assert_eq!(event["details"]["approval_id"], approval.as_str());
    let (_, id) = act(
        ctx,
        &approver,
        "POST",
        &format!("/v1/approvals/{approval}/approve"),
        Some(json!({"comment": "ok"})),
    );
    let event = one_event(ctx, &key, &id);
    assert_eq!(event["type"], "approval.approved");
    assert_eq!(event["actor"], format!("token:{approver_id}"));
    let (released, id) = act(
        ctx,
        &agent,
        "GET",
        &format!("/v1/approvals/{approval}"),
        None,
    );
    assert!(released.body["token"]["value"].is_string());
    let event = one_event(ctx, &key, &id);
    assert_eq!(event["type"], "approval.released");
    assert!(
        !event.to_string().contains("lk_tok_"),
        "no token value in the trail"
    );
    // Reading the trail needs audit:read.
    api.get("/v1/audit", Some(&agent))
        .assert_error(403, "permission_denied");
    api.get("/v1/audit?limit=0", Some(&key))
        .assert_error(400, "invalid_request");
}

fn a_thousand_events_walk_export_and_verify(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let raised = ctx.api().send(
        "PATCH",
        &format!("/v1/admin/tenants/{tenant}"),
        Some(&ctx.runtime.operator_key),
        &[],
        Body::Json(&json!({"rate_limit_per_minute": 100000})),
    );
    assert_eq!(raised.status, 200, "{}", raised.text);
    // A mixed workload: writes, reads, misses.
    std::thread::scope(|scope| {
        for t in 0..8 {
            let key = key.clone();
            scope.spawn(move || {
                let api = ctx.api();
                for i in 0..125 {
                    let path = format!("load/t{t}/s{}", i / 5);
                    match i % 5 {
                        0 => {
                            let _ = api.create_secret(&key, &json!({"path": path, "value": "v"}));
                        }
                        1 | 2 => {
                            let _ = api.get_secret(&key, &path);
                        }
                        3 => {
                            let _ = api.update_secret(&key, &path, &json!({"value": "v2"}), None);
                        }
                        _ => {
                            let _ = api.get_secret(&key, "load/missing");
                        }
                    }
                }
            });
        }
    });
    // Walk everything, 100 at a time, newest first.
    let first = ctx.api().get("/v1/audit?limit=100", Some(&key));
    let top = first.body["events"][0]["seq"].as_u64().unwrap();
    assert!(top >= 1000, "{top}");
    let mut seen: Vec<u64> = Vec::new();
    let mut page = first;
    loop {
        seen.extend(
            page.body["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_u64().unwrap()),
        );
        let Some(cursor) = page.body["next_cursor"].as_str() else {
            break;
        };
        page = ctx
            .api()
            .get(&format!("/v1/audit?limit=100&cursor={cursor}"), Some(&key));
        assert_eq!(page.status, 200, "{}", page.text);
    }
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );
    assert_eq!(seen.len() as u64, top, "every event once");
    assert_eq!(
        seen.iter().copied().collect::<BTreeSet<_>>(),
        (1..=top).collect()
    );
    // Filters.
    let misses = ctx.api().get(
        "/v1/audit?type=secret.read&success=false&limit=1000",
        Some(&key),
    );
    let misses = misses.body["events"].as_array().unwrap().clone();
    assert_eq!(misses.len(), 8 * 25, "the misses");
    assert!(misses.iter().all(|e| e["path"] == "load/missing"));
    let ns = ctx
        .api()
        .get("/v1/audit?namespace=load/t3&limit=1000", Some(&key));
    assert!(
        ns.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["path"].as_str().unwrap().starts_with("load/t3/"))
    );
    let future = ctx
        .api()
        .get("/v1/audit?since=2999-01-01T00:00:00Z", Some(&key));
    assert_eq!(future.body["events"], json!([]));
    // Exports of the same selection, in pages of 64.
    let jsonl = ctx.api().get(
        "/v1/audit?type=secret.read&success=false&format=jsonl&limit=64",
        Some(&key),
    );
    assert_eq!(jsonl.status, 200);
    assert!(
        jsonl
            .header("content-type")
            .unwrap()
            .starts_with("application/x-ndjson")
    );
    let lines: Vec<Value> = jsonl
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 200);
    let csv = ctx.api().get(
        "/v1/audit?type=secret.read&success=false&format=csv&limit=64",
        Some(&key),
    );
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let rows: Vec<&str> = csv.text.lines().collect();
    assert!(rows[0].starts_with("id,seq,timestamp,type"));
    assert_eq!(rows.len(), 201, "header and 200 rows");
    assert!(
        rows[1..]
            .iter()
            .all(|r| r.starts_with("evt_") && r.contains(",secret.read,"))
    );
    // The chain holds.
    let verified = ctx.api().get("/v1/audit/verify", Some(&key));
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.body["ok"], true, "{}", verified.text);
    assert!(verified.body["events_checked"].as_u64().unwrap() >= top);
    assert!(verified.body["first_bad_event_id"].is_null());
    assert_eq!(verified.body["head_hash"].as_str().unwrap().len(), 64);
    // A customer's own check of a full export, with the script the repository ships.
    let export = ctx
        .api()
        .get("/v1/audit?format=jsonl&limit=1000", Some(&key));
    assert_eq!(export.status, 200);
    let (ok, out) = verify_offline(&tenant, &export.text);
    assert!(ok, "{out}");
    assert!(out.starts_with("ok: "), "{out}");
    let tampered = export
        .text
        .replacen("\"actor\":\"master\"", "\"actor\":\"mallory\"", 1);
    let (ok, out) = verify_offline(&tenant, &tampered);
    assert!(!ok && out.starts_with("BAD"), "{out}");
}

/// The D1 copy of the tenant's event with this correlation id, once the alarm has copied it
/// (the operator's search; at most 30 s).
pub(crate) fn d1_copy(ctx: &Ctx, tenant: &str, correlation_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = ctx.api().get(
            &format!("/v1/admin/audit?tenant={tenant}&correlation_id={correlation_id}"),
            Some(&ctx.runtime.operator_key),
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        if let Some(event) = reply.body["events"].as_array().and_then(|e| e.first()) {
            return event.clone();
        }
        assert!(
            Instant::now() < deadline,
            "{correlation_id} not copied to D1 within 30 s"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Runs `scripts/verify-audit` on a JSONL export.
pub(crate) fn verify_offline(tenant: &str, export: &str) -> (bool, String) {
    use std::io::Write as _;
    let mut child = std::process::Command::new("python3")
        .arg(latchkey_e2e::runtime::repo_root().join("scripts/verify-audit"))
        .args(["--tenant", tenant])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(export.as_bytes())
        .expect("write export");
    let output = child.wait_with_output().expect("verify-audit");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// Reads server-sent events from `reader` into `(id, event, data)` until `done` says stop.
fn read_events(reader: Box<dyn BufRead + Send>) -> mpsc::Receiver<(String, String, Value)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if line.is_empty() {
                if !data.is_empty() {
                    let parsed = serde_json::from_str(&data).unwrap_or(Value::Null);
                    if tx.send((id.clone(), event.clone(), parsed)).is_err() {
                        break;
                    }
                }
                id.clear();
                event.clear();
                data.clear();
            } else if let Some(v) = line.strip_prefix("id: ") {
                id = v.to_owned();
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_owned();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push_str(v);
            }
        }
    });
    rx
}

fn wait_for(
    rx: &mpsc::Receiver<(String, String, Value)>,
    correlation_id: &str,
) -> (String, String, Value) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (id, event, data) = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no stream event for {correlation_id} in 15 s"));
        if data["correlation_id"] == correlation_id {
            return (id, event, data);
        }
    }
}

fn the_stream_delivers_new_events_and_resumes(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    assert_eq!(
        ctx.api()
            .create_secret(&key, &json!({"path": "live/k", "value": "v"}))
            .status,
        201
    );
    let (watcher, _) = mint(ctx, &key, json!({"scope": "audit:read"}));
    let (reader, _) = mint(ctx, &key, json!({"scope": "secrets:read:live/*"}));
    let (status, stream) = ctx.api().open_stream(&watcher, None);
    assert_eq!(status, 200);
    let rx = read_events(stream);
    std::thread::sleep(Duration::from_millis(300));
    let (_, read_id) = act(ctx, &reader, "GET", "/v1/secrets/live%2Fk", None);
    let (first_id, name, data) = wait_for(&rx, &read_id);
    assert_eq!(name, "vault.accessed");
    assert_eq!(data["type"], "secret.read");
    assert_eq!(data["path"], "live/k");
    let (_, denied_id) = act(ctx, &reader, "GET", "/v1/secrets/other%2Fk", None);
    let (_, name, _) = wait_for(&rx, &denied_id);
    assert_eq!(name, "vault.denied");
    // Resuming after the first event replays what came after it.
    let (status, resumed) = ctx.api().open_stream(&watcher, Some(&first_id));
    assert_eq!(status, 200);
    let rx = read_events(resumed);
    let (_, name, _) = wait_for(&rx, &denied_id);
    assert_eq!(name, "vault.denied");
    // Without audit:read there is no stream.
    let (status, _) = ctx.api().open_stream(&reader, None);
    assert_eq!(status, 403);
}

fn events_are_copied_to_d1(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    // Several kinds in one copy: details, a refusal with its reason, absent optional fields.
    let (_, created) = act(
        ctx,
        &key,
        "POST",
        "/v1/secrets",
        Some(json!({"path": "d1/k", "value": "v", "description": "copied \"quoted\" é"})),
    );
    let (_, read) = act(ctx, &key, "GET", "/v1/secrets/d1%2Fk", None);
    let (_, missing) = act(ctx, &key, "GET", "/v1/secrets/d1%2Fnone", None);
    let (_, updated) = act(
        ctx,
        &key,
        "PUT",
        "/v1/secrets/d1%2Fk",
        Some(json!({"value": "w"})),
    );
    for id in [&created, &read, &missing, &updated] {
        let copied = d1_copy(ctx, &tenant, id);
        assert_eq!(copied["tenant_id"], tenant.as_str());
        // The copy is the tenant's own event, field for field (chain included).
        let own = one_event(ctx, &key, id);
        let fields = own.as_object().map(|o| o.len()).unwrap_or(0);
        assert!(fields >= 15, "{own}");
        for (name, value) in own.as_object().into_iter().flatten() {
            assert_eq!(
                &copied[name], value,
                "{name} of {id}: {copied} against {own}"
            );
        }
    }
    ctx.api()
        .get(&format!("/v1/admin/audit?tenant={tenant}"), Some(&key))
        .assert_error(401, "unauthorized");
}
