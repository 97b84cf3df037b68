//! The reliability suite: durability under a crash, no lost updates, a corpus of malformed
//! requests, and tenant isolation on every route.

use crate::Ctx;
use crate::tokens::mint;
use latchkey_e2e::Runtime;
use latchkey_e2e::client::Body;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

mod face_corpus;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "reliability::acknowledged_writes_survive_a_crash",
        acknowledged_writes_survive_a_crash,
    ),
    (
        "reliability::concurrent_lifecycle_operations_lose_nothing",
        concurrent_lifecycle_operations_lose_nothing,
    ),
    (
        "reliability::malformed_requests_get_4xx_and_change_nothing",
        malformed_requests_get_4xx_and_change_nothing,
    ),
    (
        "reliability::another_tenant_sees_nothing_on_any_route",
        another_tenant_sees_nothing_on_any_route,
    ),
];

fn acknowledged_writes_survive_a_crash(ctx: &Ctx) {
    let mut runtime = Runtime::start_fresh(&ctx.run_dir, "crash");
    let (tenant, key) = crate::new_tenant(&runtime.api(), &runtime.operator_key);
    let api = runtime.api();
    // The writes and the checks after the crash exceed a pro tenant's 1,000 a minute.
    let raised = api.send(
        "PATCH",
        &format!("/v1/admin/tenants/{tenant}"),
        Some(&runtime.operator_key),
        &[],
        Body::Json(&json!({"rate_limit_per_minute": 100000})),
    );
    assert_eq!(raised.status, 200, "{}", raised.text);
    for w in 0..8 {
        let created = api.create_secret(
            &key,
            &json!({"path": format!("crash/w{w}"), "value": "v1", "max_versions": 100}),
        );
        assert_eq!(created.status, 201, "{}", created.text);
    }
    let stop = AtomicBool::new(false);
    let base = runtime.base_url.clone();
    let acknowledged: Vec<Vec<(u64, String)>> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let (key, base, stop) = (key.clone(), base.clone(), &stop);
                scope.spawn(move || {
                    let api = latchkey_e2e::Api::new(&base);
                    let mut acked = vec![(1u64, "v1".to_owned())];
                    for n in 2..95 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let value = latchkey_e2e::secret_value(&format!("w{w}-n{n}"));
                        let body = json!({ "value": value });
                        let Ok(reply) = api.try_send(
                            "PUT",
                            &format!("/v1/secrets/crash%2Fw{w}"),
                            Some(&key),
                            &[],
                            Body::Json(&body),
                        ) else {
                            break;
                        };
                        // A 200 whose body was cut by the kill is not an acknowledgement.
                        let Some(version) = reply.body["version"].as_u64() else {
                            break;
                        };
                        if reply.status != 200 {
                            break;
                        }
                        acked.push((version, value));
                    }
                    acked
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        runtime.kill();
        stop.store(true, Ordering::Relaxed);
        writers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    runtime.relaunch();
    let api = runtime.api();
    let mut total = 0;
    for (w, acked) in acknowledged.iter().enumerate() {
        let path = format!("crash/w{w}");
        assert!(acked.len() > 1, "writer {w} wrote nothing before the crash");
        for (version, value) in acked {
            let read = api.get_secret_version(&key, &path, *version);
            assert_eq!(
                read.status, 200,
                "{path} v{version} after the crash: {}",
                read.text
            );
            assert_eq!(read.body["value"], value.as_str(), "{path} v{version}");
            total += 1;
        }
        let versions = api.secret_versions(&key, &path);
        let mut numbers: Vec<u64> = versions.body["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_u64().unwrap())
            .collect();
        numbers.sort_unstable();
        assert!(
            numbers.windows(2).all(|p| p[1] == p[0] + 1),
            "versions stay contiguous: {numbers:?}"
        );
        assert!(numbers.last().unwrap() >= &acked.last().unwrap().0);
    }
    assert!(total > 16, "the crash came after some writes: {total}");
    // The chain survived too.
    let verified = api.get("/v1/audit/verify", Some(&key));
    assert_eq!(verified.body["ok"], true, "{}", verified.text);
}

fn concurrent_lifecycle_operations_lose_nothing(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "race/x", "value": "v1", "max_versions": 100})
        )
        .status,
        201
    );
    // Writers, rotators, deleters and restorers on one path, all at once.
    let outcomes: Vec<(String, u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let key = key.clone();
                scope.spawn(move || {
                    let api = ctx.api();
                    let (op, reply) = match i % 4 {
                        0 => ("put", api.update_secret(&key, "race/x", &json!({"value": format!("put-{i}")}), None)),
                        1 => ("rotate", api.rotate_secret(&key, "race/x", &json!({"new_value": format!("rot-{i}"), "grace_period_seconds": 60}))),
                        2 => ("delete", api.delete_secret(&key, "race/x", false)),
                        _ => ("restore", api.restore_secret(&key, "race/x")),
                    };
                    (op.to_owned(), reply.status, reply.body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (op, status, body) in &outcomes {
        assert!(
            matches!(status, 200 | 204 | 404 | 409),
            "{op}: {status} {body}"
        );
    }
    // Every acknowledged write made exactly one version, and each reads back as written.
    let mut written: BTreeMap<u64, String> = BTreeMap::new();
    for (op, status, body) in &outcomes {
        if *status != 200 {
            continue;
        }
        let version = match op.as_str() {
            "put" => body["version"].as_u64(),
            "rotate" => body["new_version"].as_u64(),
            _ => None,
        };
        if let Some(version) = version {
            assert!(
                written.insert(version, op.clone()).is_none(),
                "version {version} twice"
            );
        }
    }
    let restored = api.restore_secret(&key, "race/x");
    assert!(matches!(restored.status, 200 | 409), "{}", restored.text);
    let current = api.get_secret(&key, "race/x");
    assert_eq!(current.status, 200, "{}", current.text);
    let head = current.body["version"].as_u64().unwrap();
    assert_eq!(
        head,
        1 + written.len() as u64,
        "one version per acknowledged write"
    );
    assert_eq!(
        written.keys().copied().collect::<Vec<_>>(),
        (2..=head).collect::<Vec<_>>()
    );
    // A serial order exists: the audit trail lists the acknowledged changes one by one.
    let audit = api.get(
        "/v1/audit?namespace=race&success=true&limit=1000",
        Some(&key),
    );
    let changes = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            matches!(
                e["type"].as_str(),
                Some("secret.updated" | "secret.rotated")
            )
        })
        .count();
    assert_eq!(changes, written.len());
}

/// A malformed request: method, URL, headers, body, content type.
struct Bad {
    method: &'static str,
    url: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    content_type: Option<&'static str>,
}

fn bad(method: &'static str, url: impl Into<String>, body: impl Into<Vec<u8>>) -> Bad {
    Bad {
        method,
        url: url.into(),
        headers: vec![],
        body: body.into(),
        content_type: Some("application/json"),
    }
}

/// The bodies every JSON route must refuse.
fn malformed_bodies() -> Vec<Vec<u8>> {
    let nested = "[".repeat(100_000);
    let huge = format!(
        "{{\"path\": \"a\", \"value\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        b"42".to_vec(),
        b"\"text\"".to_vec(),
        b"{\"a\":".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        b"{\"path\": \"\xc3\x28\"}".to_vec(),
        nested.into_bytes(),
        huge.into_bytes(),
        b"{\"path\": 1, \"value\": 2}".to_vec(),
        b"{\"value\": {\"nested\": true}}".to_vec(),
        b"{\"scope\": [1, 2]}".to_vec(),
        b"{\"fields\": \"no\"}".to_vec(),
        b"{\"policies\": [{\"glob\": \"*\", \"sensitive\": -1}]}".to_vec(),
        b"{\"value\": \"a\\u0000b\", \"unexpected\": 1}".to_vec(),
        b"{\"length\": 1e309}".to_vec(),
        b"\xef\xbb\xbf{}".to_vec(),
        b"{} {}".to_vec(),
    ]
}

fn corpus() -> Vec<Bad> {
    let json_routes: Vec<(&str, String)> = vec![
        ("POST", "/v1/secrets".into()),
        ("PUT", "/v1/secrets/keep%2Fme".into()),
        ("POST", "/v1/secrets/keep%2Fme/rotate".into()),
        ("PUT", "/v1/secrets/keep%2Fme/fields/f".into()),
        ("PUT", "/v1/secrets/keep%2Fme/fields".into()),
        ("POST", "/v1/tokens".into()),
        ("PUT", "/v1/policies".into()),
        ("PUT", "/v1/notifications".into()),
        ("POST", "/v1/generate".into()),
        (
            "POST",
            "/v1/approvals/apr_00000000000000000000000000000000/deny".into(),
        ),
        ("POST", "/v1/agents/bootstrap".into()),
        ("POST", "/v1/agents/register".into()),
        ("PUT", "/v1/agents/settings".into()),
        (
            "POST",
            "/v1/agents/agt_0123456789abcdef01234567/commands".into(),
        ),
        ("POST", "/v1/grants".into()),
        ("POST", "/v1/agents/me/discovery/certificates".into()),
        ("POST", "/v1/agents/me/ssh-discovery".into()),
        ("POST", "/v1/agents/me/password-requests".into()),
        (
            "POST",
            "/v1/admin/password-requests/pwr_0123456789abcdef01234567/reject".into(),
        ),
        ("POST", "/v1/auth/login".into()),
        ("POST", "/v1/users".into()),
        ("POST", "/v1/roles".into()),
        (
            "PUT",
            "/v1/roles/rol_0123456789abcdef01234567/permissions".into(),
        ),
        ("POST", "/v1/user-roles".into()),
        ("POST", "/v1/requests".into()),
        ("POST", "/v1/requests/read".into()),
        (
            "POST",
            "/v1/requests/req_0123456789abcdef01234567/reject".into(),
        ),
        ("POST", "/v1/wraps".into()),
        ("POST", "/v1/wraps/unwrap".into()),
        // Issue 24's GitOps bodies (the tenant's gate is on, so they reach the parsers).
        ("POST", "/api/v1/argocd-endpoints".into()),
        (
            "PUT",
            "/api/v1/argocd-endpoints/argo_0123456789abcdef01234567/enabled".into(),
        ),
        ("POST", "/api/v1/gitops-app-mappings".into()),
    ];
    let bodies = malformed_bodies();
    let mut out = Vec::new();
    for (method, url) in &json_routes {
        for body in &bodies {
            out.push(bad(method, url.clone(), body.clone()));
        }
        // Wrong and missing content types.
        let mut plain = bad(method, url.clone(), b"{\"value\": \"v\"}".to_vec());
        plain.content_type = Some("text/plain");
        out.push(plain);
        let mut none = bad(method, url.clone(), b"{\"value\": \"v\"}".to_vec());
        none.content_type = None;
        out.push(none);
    }
    // Paths and their encodings.
    for segment in [
        "%ZZ",
        "%",
        "%0",
        "%00",
        "..%2F..",
        "a%2F%2Fb",
        "%2Fa",
        "a%2F",
        "%2E%2E",
        "%C3",
        "%C3%A9",
        "a%20b",
        "a%09b",
        "%E2%80%AE",
        "a%2Fb%2F..%2Fc",
    ] {
        for (method, suffix) in [
            ("GET", ""),
            ("PUT", ""),
            ("DELETE", ""),
            ("GET", "/versions"),
        ] {
            out.push(bad(
                method,
                format!("/v1/secrets/{segment}{suffix}"),
                b"{\"value\": \"v\"}".to_vec(),
            ));
        }
    }
    out.push(bad(
        "GET",
        format!("/v1/secrets/{}", "a".repeat(600)),
        Vec::new(),
    ));
    out.push(bad(
        "GET",
        format!("/v1/secrets/{}", vec!["s"; 40].join("%2F")),
        Vec::new(),
    ));
    out.push(bad("GET", "/v1/secrets/a/fields/b%2Fc", Vec::new()));
    out.push(bad("GET", "/v1/secrets/keep%2Fme/fields/..", Vec::new()));
    // Query abuse.
    for query in [
        "limit=0",
        "limit=-1",
        "limit=abc",
        "limit=201",
        "cursor=garbage",
        "tier=secret",
        "tag=nocolon",
        "expiring_within=-5",
        "include_deleted=maybe",
        "namespace=a%2F%2Fb",
        "unknown=1",
    ] {
        out.push(bad("GET", format!("/v1/secrets?{query}"), Vec::new()));
    }
    for query in [
        "version=0",
        "version=abc",
        "version=-1",
        "version=99999999999999999999",
    ] {
        out.push(bad(
            "GET",
            format!("/v1/secrets/keep%2Fme?{query}"),
            Vec::new(),
        ));
    }
    for query in [
        "limit=0",
        "limit=5000",
        "since=yesterday",
        "success=maybe",
        "cursor=x",
        "format=xml",
        "colour=red",
    ] {
        out.push(bad("GET", format!("/v1/audit?{query}"), Vec::new()));
    }
    out.push(bad("GET", "/v1/approvals?status=maybe", Vec::new()));
    for query in [
        "limit=0",
        "limit=501",
        "cursor=x",
        "agent_id=nope",
        "fingerprint=SHA256:x",
        "limit=1&limit=2",
    ] {
        out.push(bad(
            "GET",
            format!("/api/v1/ssh/discovery?{query}"),
            Vec::new(),
        ));
    }
    out.push(bad(
        "DELETE",
        "/v1/secrets/keep%2Fme?permanent=maybe",
        Vec::new(),
    ));
    // Wrong methods on every route.
    for (method, url) in [
        ("PATCH", "/v1/secrets"),
        ("DELETE", "/v1/secrets"),
        ("POST", "/v1/secrets/keep%2Fme"),
        ("PATCH", "/v1/secrets/keep%2Fme"),
        ("PUT", "/v1/secrets/keep%2Fme/versions"),
        ("GET", "/v1/secrets/keep%2Fme/rotate"),
        ("GET", "/v1/secrets/keep%2Fme/restore"),
        ("POST", "/v1/secrets/keep%2Fme/fields"),
        ("POST", "/v1/secrets/keep%2Fme/fields/f"),
        ("GET", "/v1/generate"),
        ("POST", "/v1/info"),
        ("PUT", "/v1/tokens"),
        ("GET", "/v1/tokens/tok_0000000000000000"),
        ("POST", "/v1/approvals"),
        (
            "DELETE",
            "/v1/approvals/apr_00000000000000000000000000000000",
        ),
        (
            "GET",
            "/v1/approvals/apr_00000000000000000000000000000000/approve",
        ),
        ("POST", "/v1/policies"),
        ("DELETE", "/v1/notifications"),
        ("POST", "/v1/audit"),
        ("POST", "/v1/audit/verify"),
        ("POST", "/v1/events"),
        ("DELETE", "/v1/health"),
        (
            "PUT",
            "/approvals/apr_00000000000000000000000000000000/review",
        ),
        ("GET", "/v1/admin/tenants"),
        ("GET", "/v1/bench/baseline"),
        ("GET", "/v1/agents/bootstrap"),
        ("GET", "/v1/agents/register"),
        ("DELETE", "/v1/agents"),
        ("POST", "/v1/agents/settings"),
        ("GET", "/v1/agents/me/health"),
        ("GET", "/v1/agents/me/refresh-token"),
        ("POST", "/v1/agents/me/secrets"),
        ("GET", "/v1/agents/agt_0123456789abcdef01234567/revoke"),
        ("PUT", "/v1/grants"),
        ("GET", "/v1/grants/grt_0123456789abcdef01234567"),
        ("GET", "/v1/agents/me/ssh-discovery"),
        ("POST", "/v1/ssh/discovery"),
        ("DELETE", "/api/v1/ssh/discovery"),
        ("PUT", "/v1/agents/me/password-requests"),
        ("GET", "/v1/auth/login"),
        ("PUT", "/v1/users"),
        ("GET", "/v1/users/usr_0123456789abcdef01234567"),
        ("POST", "/v1/permissions"),
        ("PATCH", "/v1/roles/rol_000000000000000000000001"),
        ("GET", "/v1/requests/read"),
        ("DELETE", "/v1/requests/req_0123456789abcdef01234567"),
        ("GET", "/v1/wraps"),
        ("GET", "/v1/wraps/unwrap"),
        ("POST", "/v1/admin/password-requests"),
        (
            "GET",
            "/v1/admin/password-requests/pwr_0123456789abcdef01234567/approve",
        ),
        ("POST", "/v1/agents/agt_0123456789abcdef01234567/discovery"),
        // Integers a JS number cannot hold (found by schemathesis: a 500).
        ("GET", "/v1/secrets/keep%2Fme?version=9007199254740992"),
    ] {
        out.push(bad(method, url, Vec::new()));
    }
    // Header abuse.
    let with = |name: &'static str, value: String| {
        let mut b = bad(
            "PUT",
            "/v1/secrets/keep%2Fme",
            b"{\"value\": \"changed\"}".to_vec(),
        );
        b.headers.push((name, value));
        b
    };
    out.push(with("If-Match", "latest".into()));
    out.push(with("If-Match", "0".into()));
    out.push(with("If-Match", "\"\"".into()));
    out.push(with("If-Match", "99999999999999999999999".into()));
    out.push(with("If-Match", "1".into()));
    out.push(with("If-Match", "9007199254740993".into()));
    let mut stream = bad("GET", "/v1/events", Vec::new());
    stream.headers.push(("Last-Event-ID", "not-an-id".into()));
    out.push(stream);
    out.extend(face_corpus::corpus());
    out
}

fn malformed_requests_get_4xx_and_change_nothing(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    let keep = api.create_secret(&key, &json!({"path": "keep/me", "value": "original"}));
    assert_eq!(keep.status, 201);
    assert_eq!(
        api.update_secret(&key, "keep/me", &json!({"value": "second"}), None)
            .status,
        200
    );
    let raised = api.send(
        "PATCH",
        &format!("/v1/admin/tenants/{tenant}"),
        Some(&ctx.runtime.operator_key),
        &[],
        Body::Json(&json!({"rate_limit_per_minute": 100000, "gitops_enabled": true})),
    );
    assert_eq!(raised.status, 200);
    let corpus = corpus();
    assert!(corpus.len() >= 300, "a corpus of {} requests", corpus.len());
    let mut failures = Vec::new();
    for (i, request) in corpus.iter().enumerate() {
        // Every request is tried with the tenant's key, a third without or with a broken one.
        let auth = match i % 3 {
            0 | 1 => Some(key.clone()),
            _ => None,
        };
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let reply = api.send(
            request.method,
            &request.url,
            auth.as_deref(),
            &headers,
            Body::Raw(request.content_type, &request.body),
        );
        let json_error =
            reply.body["error"]["code"].is_string() && reply.body["error"]["message"].is_string();
        if !(400..500).contains(&reply.status) || !json_error {
            failures.push(format!(
                "{} {} → {} {}",
                request.method,
                request.url.chars().take(80).collect::<String>(),
                reply.status,
                reply.text.chars().take(200).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} bad answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Still up, and nothing changed.
    assert_eq!(api.get("/healthz", None).status, 200);
    let read = api.get_secret(&key, "keep/me");
    assert_eq!(read.body["value"], "second");
    assert_eq!(read.body["version"], 2);
    assert_eq!(api.get_fields(&key, "keep/me").body, json!({}));
    assert_eq!(api.list_tokens(&key).body["tokens"], json!([]));
    let endpoints = api.get("/api/v1/argocd-endpoints", Some(&key));
    assert_eq!(endpoints.body["endpoints"], json!([]), "{}", endpoints.text);
    let mappings = api.get("/api/v1/gitops-app-mappings", Some(&key));
    assert_eq!(mappings.body["mappings"], json!([]), "{}", mappings.text);
    // Nothing of the /api/v1 corpus was made: no agent, project, environment or secret row.
    for (url, member) in [
        ("/api/v1/agents", "data"),
        ("/api/v1/projects", "projects"),
        ("/api/v1/environments", "environments"),
        ("/api/v1/secrets", "secrets"),
    ] {
        let listed = api.get(url, Some(&key));
        assert_eq!(listed.body[member], json!([]), "{url}: {}", listed.text);
    }
}

fn another_tenant_sees_nothing_on_any_route(ctx: &Ctx) {
    let (_, a) = ctx.new_tenant();
    let (_, b) = ctx.new_tenant();
    let api = ctx.api();
    // Minted while A has no sensitive secret yet: no approval needed for the token itself.
    let (a_token, a_token_id) = mint(
        ctx,
        &a,
        json!({"scope": ["tokens:create", "secrets:read:iso/*"]}),
    );
    assert_eq!(
        api.create_secret(
            &a,
            &json!({"path": "iso/x", "value": "a-only", "tier": "sensitive"})
        )
        .status,
        201
    );
    assert_eq!(api.set_field(&a, "iso/x", "f", "a-field").status, 201);
    let requested = api.create_token(&a_token, &json!({"scope": "secrets:read:iso/*"}));
    assert_eq!(requested.status, 202);
    let approval = requested.body["approval_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let not_found: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/v1/secrets/iso%2Fx".into(), None),
        (
            "PUT",
            "/v1/secrets/iso%2Fx".into(),
            Some(json!({"value": "b"})),
        ),
        ("DELETE", "/v1/secrets/iso%2Fx".into(), None),
        ("DELETE", "/v1/secrets/iso%2Fx?permanent=true".into(), None),
        (
            "POST",
            "/v1/secrets/iso%2Fx/rotate".into(),
            Some(json!({"new_value": "b"})),
        ),
        ("POST", "/v1/secrets/iso%2Fx/restore".into(), None),
        ("GET", "/v1/secrets/iso%2Fx/versions".into(), None),
        ("GET", "/v1/secrets/iso%2Fx/fields".into(), None),
        ("GET", "/v1/secrets/iso%2Fx/fields/f".into(), None),
        ("DELETE", "/v1/secrets/iso%2Fx/fields/f".into(), None),
        ("DELETE", format!("/v1/tokens/{a_token_id}"), None),
        ("GET", format!("/v1/approvals/{approval}"), None),
        (
            "POST",
            format!("/v1/approvals/{approval}/approve"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/v1/approvals/{approval}/deny"),
            Some(json!({})),
        ),
        ("POST", format!("/v1/approvals/{approval}/cancel"), None),
    ];
    for (method, url, body) in not_found {
        let reply = match &body {
            Some(body) => api.send(method, &url, Some(&b), &[], Body::Json(body)),
            None => api.send(method, &url, Some(&b), &[], Body::None),
        };
        reply.assert_error(404, "not_found");
        assert!(!reply.text.contains("a-only") && !reply.text.contains("a-field"));
    }
    // Lists, searches and counts of B show nothing of A.
    for url in [
        "/v1/secrets?include_deleted=true",
        "/v1/tokens",
        "/v1/approvals",
        "/v1/policies",
        "/v1/notifications",
        "/v1/info",
    ] {
        let reply = api.get(url, Some(&b));
        assert_eq!(reply.status, 200, "{url}: {}", reply.text);
        for leak in ["iso/x", a_token_id.as_str(), approval.as_str()] {
            assert!(
                !reply.text.contains(leak),
                "{url} shows {leak}: {}",
                reply.text
            );
        }
    }
    // B's own trail holds only B's own (failed) attempts, none of A's events.
    let trail = api.get("/v1/audit?limit=1000", Some(&b));
    for event in trail.body["events"].as_array().unwrap() {
        assert!(
            matches!(event["actor"].as_str(), Some("master" | "operator")),
            "{event}"
        );
        assert!(
            event["success"] == false || event["path"] != "iso/x",
            "{event}"
        );
    }
    // B can write the same path for itself; A's credentials still reach only A's.
    assert_eq!(
        api.create_secret(&b, &json!({"path": "iso/x", "value": "b-own"}))
            .status,
        201
    );
    assert_eq!(api.get_secret(&a, "iso/x").body["value"], "a-only");
    let through_a_token = api.get_secret(&a_token, "iso/x");
    assert!(
        !through_a_token.text.contains("b-own"),
        "{}",
        through_a_token.text
    );
    assert_eq!(api.get_secret(&b, "iso/x").body["value"], "b-own");
}
