//! `GET /metrics` and `GET /v1/metrics` (issue 24), scraped and parsed with a real exposition
//! parser: `prometheus_client`'s, from the project's venv (tests/metrics/parse.py).

use crate::Ctx;
use latchkey_e2e::Reply;
use latchkey_e2e::runtime::repo_root;
use latchkey_e2e::unique;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "metrics::deployment_metrics_are_public_and_name_no_tenant",
        deployment_metrics_are_public_and_name_no_tenant,
    ),
    (
        "metrics::tenant_metrics_count_what_the_tenant_did",
        tenant_metrics_count_what_the_tenant_did,
    ),
    (
        "metrics::tenant_metrics_need_audit_read",
        tenant_metrics_need_audit_read,
    ),
];

const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The samples of an exposition, as `prometheus_client` parses them.
fn parse(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("content-type"), Some(CONTENT_TYPE));
    let python = repo_root().join(".tmp/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup (it installs prometheus_client)",
        python.display()
    );
    let mut child = Command::new(python)
        .arg(repo_root().join("tests/metrics/parse.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the exposition parser");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(reply.text.as_bytes())
        .expect("write the exposition");
    let output = child.wait_with_output().expect("parser output");
    assert!(
        output.status.success(),
        "prometheus_client refused the exposition: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        reply.text
    );
    serde_json::from_slice::<Vec<Value>>(&output.stdout).expect("parser JSON")
}

/// The value of the sample `name` whose labels include `labels`.
fn value(samples: &[Value], name: &str, labels: &Value) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s["name"] == name
                && labels
                    .as_object()
                    .is_none_or(|want| want.iter().all(|(k, v)| &s["labels"][k] == v))
        })
        .and_then(|s| s["value"].as_f64())
}

fn deployment_metrics_are_public_and_name_no_tenant(ctx: &Ctx) {
    let (tenant_id, key) = ctx.new_tenant();
    let api = ctx.api();
    api.create_secret(&key, &json!({"path": unique("m/a"), "value": "v"}));
    let reply = api.get("/metrics", None);
    let samples = parse(&reply);
    let version = samples
        .iter()
        .find(|s| s["name"] == "latchkey_build_info")
        .expect("build info");
    assert_eq!(version["labels"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(version["value"], 1.0);
    assert_eq!(value(&samples, "latchkey_up", &json!({})), Some(1.0));
    assert_eq!(
        value(&samples, "latchkey_ready", &json!({"check": "d1"})),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "latchkey_ready",
            &json!({"check": "durable_objects"})
        ),
        Some(1.0)
    );
    // Only the deployment's families, and no tenant's id anywhere.
    for sample in &samples {
        let name = sample["name"].as_str().unwrap_or_default();
        assert!(
            ["latchkey_build_info", "latchkey_up", "latchkey_ready"].contains(&name),
            "{name} on the public endpoint"
        );
    }
    assert!(!reply.text.contains(&tenant_id));
    assert!(!reply.text.contains("latchkey_secrets"));
    // A credential changes nothing: the same figures, and still no tenant's.
    let with_key = api.get("/metrics", Some(&key));
    assert!(!with_key.text.contains(&tenant_id));
    assert!(!with_key.text.contains("latchkey_secrets"));
    api.send(
        "POST",
        "/metrics",
        None,
        &[],
        latchkey_e2e::client::Body::None,
    )
    .assert_error(405, "method_not_allowed");
}

fn tenant_metrics_count_what_the_tenant_did(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (_, other) = ctx.new_tenant();
    let api = ctx.api();
    for label in ["m/a", "m/b", "m/c"] {
        let created = api.create_secret(
            &key,
            &json!({"path": unique(label), "value": "v", "fields": {"user": "u"}}),
        );
        assert_eq!(created.status, 201, "{}", created.text);
    }
    // The other tenant's secrets must not show in this tenant's figures.
    for label in ["o/a", "o/b", "o/c", "o/d", "o/e"] {
        api.create_secret(&other, &json!({"path": unique(label), "value": "v"}));
    }
    let refused = api.get("/v1/secrets/%00", Some(&key));
    assert!((400..500).contains(&refused.status), "{}", refused.text);
    let reply = api.get("/v1/metrics", Some(&key));
    assert!(reply.header("x-ratelimit-limit").is_some());
    let samples = parse(&reply);
    assert_eq!(value(&samples, "latchkey_secrets", &json!({})), Some(3.0));
    assert_eq!(
        value(&samples, "latchkey_secret_versions", &json!({})),
        Some(3.0)
    );
    assert_eq!(
        value(&samples, "latchkey_secret_fields", &json!({})),
        Some(3.0)
    );
    for status in ["online", "degraded", "offline", "revoked"] {
        assert_eq!(
            value(&samples, "latchkey_agents", &json!({"status": status})),
            Some(0.0),
            "{status}"
        );
    }
    assert_eq!(
        value(&samples, "latchkey_pending_approvals", &json!({})),
        Some(0.0)
    );
    assert_eq!(
        value(&samples, "latchkey_pending_requests", &json!({})),
        Some(0.0)
    );
    let limit = value(&samples, "latchkey_rate_limit", &json!({})).expect("limit");
    assert_eq!(
        Some(limit),
        reply
            .header("x-ratelimit-limit")
            .and_then(|v| v.parse::<f64>().ok())
    );
    let used = value(&samples, "latchkey_rate_limit_used", &json!({})).expect("used");
    // Three creations and this scrape at least (a new minute may have started between).
    assert!((1.0..=limit).contains(&used), "{used}");
    assert!(value(&samples, "latchkey_audit_events", &json!({})).expect("chain") >= 3.0);
    // Counted per group and class in the window (unless the minute turned in between).
    if let Some(created) = value(
        &samples,
        "latchkey_window_requests",
        &json!({"group": "secrets", "class": "2xx"}),
    ) {
        assert!(created <= 3.0, "{created}");
    }
    // The other tenant sees its own five, never these three.
    let theirs = parse(&api.get("/v1/metrics", Some(&other)));
    assert_eq!(value(&theirs, "latchkey_secrets", &json!({})), Some(5.0));
    // One family per name, each with its type.
    let families: Vec<&str> = samples
        .iter()
        .filter_map(|s| s["family"].as_str())
        .collect();
    assert!(families.contains(&"latchkey_agents"));
    assert!(samples.iter().all(|s| s["type"] != "unknown"));
}

fn tenant_metrics_need_audit_read(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let token = api.create_token(
        &key,
        &json!({"scope": ["secrets:read:*"], "ttl_seconds": 600}),
    );
    assert_eq!(token.status, 201, "{}", token.text);
    let token = token.body["value"].as_str().expect("token").to_owned();
    let refused = api.get("/v1/metrics", Some(&token));
    refused.assert_error(403, "permission_denied");
    assert_eq!(refused.body["error"]["required_scope"], "audit:read");
    api.get("/v1/metrics", None)
        .assert_error(401, "unauthorized");
    let unknown = api.get("/v1/metrics?tenant=x", Some(&key));
    unknown.assert_error(400, "invalid_request");
    let scraper = api.create_token(&key, &json!({"scope": ["audit:read"], "ttl_seconds": 600}));
    let scraper = scraper.body["value"].as_str().expect("token").to_owned();
    let samples = parse(&api.get("/v1/metrics", Some(&scraper)));
    assert_eq!(value(&samples, "latchkey_secrets", &json!({})), Some(0.0));
}
