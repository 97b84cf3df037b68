//! Exact per-tenant rate limits, with their headers on every response.

use crate::Ctx;
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "ratelimit::free_tenant_admits_exactly_100_of_150",
        free_tenant_admits_exactly_100_of_150,
    ),
    (
        "ratelimit::headers_on_every_tenant_response",
        headers_on_every_tenant_response,
    ),
];

/// Rate windows are whole clock minutes: a test that counts within one waits for a fresh
/// minute when less than 20 s are left of the current one.
pub fn start_of_a_window() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    let into_minute = now.as_millis() % 60_000;
    if into_minute > 40_000 {
        std::thread::sleep(std::time::Duration::from_millis(
            (60_000 - into_minute) as u64 + 500,
        ));
    }
}

fn free_tenant(ctx: &Ctx) -> (String, String) {
    let reply = ctx.api().create_tenant(
        &ctx.runtime.operator_key,
        &json!({"name": "free tenant", "plan": "free"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    (
        reply.body["tenant_id"].as_str().unwrap().to_owned(),
        reply.body["master_key"].as_str().unwrap().to_owned(),
    )
}

fn burst(ctx: &Ctx, key: &str, n: usize) -> Vec<latchkey_e2e::Reply> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let key = key.to_owned();
                scope.spawn(move || ctx.api().get_secret(&key, &format!("missing/{i}")))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn free_tenant_admits_exactly_100_of_150(ctx: &Ctx) {
    start_of_a_window();
    let (tenant, key) = free_tenant(ctx);
    let replies = burst(ctx, &key, 150);
    let admitted = replies.iter().filter(|r| r.status == 404).count();
    let limited: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    assert_eq!(
        admitted,
        100,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(limited.len(), 50);
    for reply in &limited {
        reply.assert_error(429, "rate_limited");
        let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "Retry-After {retry}");
        assert_eq!(reply.header("x-ratelimit-remaining"), Some("0"));
        assert_eq!(reply.header("x-ratelimit-limit"), Some("100"));
    }
    // The operator raises the limit: the same window now has 100 more.
    let patched = ctx.api().send(
        "PATCH",
        &format!("/v1/admin/tenants/{tenant}"),
        Some(&ctx.runtime.operator_key),
        &[],
        latchkey_e2e::client::Body::Json(&json!({"rate_limit_per_minute": 200})),
    );
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["plan"], "free");
    assert_eq!(patched.body["effective_rate_limit_per_minute"], 200);
    // Each refusal is in the audit trail (this read is one more request of the window).
    let limited_events = ctx
        .api()
        .get("/v1/audit?type=rate_limited&limit=1000", Some(&key));
    assert_eq!(limited_events.status, 200, "{}", limited_events.text);
    let limited_events = limited_events.body["events"].as_array().unwrap().clone();
    assert_eq!(limited_events.len(), 50);
    assert!(limited_events.iter().all(
        |e| e["success"] == false && e["reason"].as_str().unwrap().starts_with("rate_limited")
    ));
    let more = burst(ctx, &key, 120);
    let admitted = more.iter().filter(|r| r.status == 404).count();
    assert_eq!(
        admitted,
        99,
        "{:?}",
        more.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        more.iter()
            .all(|r| r.header("x-ratelimit-limit") == Some("200"))
    );
}

fn headers_on_every_tenant_response(ctx: &Ctx) {
    start_of_a_window();
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    let ok = api.create_secret(&key, &json!({"path": "h", "value": "v"}));
    assert_eq!(ok.status, 201);
    let remaining = |r: &latchkey_e2e::Reply| -> u64 {
        r.header("x-ratelimit-remaining")
            .unwrap_or_else(|| panic!("no X-RateLimit-Remaining: {:?}", r.headers))
            .parse()
            .unwrap()
    };
    let first = remaining(&ok);
    assert_eq!(ok.header("x-ratelimit-limit"), Some("1000"));
    assert!(
        ok.header("x-ratelimit-reset")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 1_700_000_000
    );
    assert_eq!(
        ok.header("ratelimit-policy"),
        Some("\"tenant\";q=1000;w=60")
    );
    assert!(
        ok.header("ratelimit")
            .unwrap()
            .starts_with(&format!("\"tenant\";r={first};t="))
    );
    // A refused body is counted too, and says so in its headers.
    let bad = api.create_secret(&key, &json!({"path": "a//b", "value": "v"}));
    bad.assert_error(422, "validation_error");
    assert_eq!(remaining(&bad), first - 1);
    let missing = api.get_secret(&key, "nope");
    missing.assert_error(404, "not_found");
    assert_eq!(remaining(&missing), first - 2);
    // A wrong key for a real tenant is not counted, and learns nothing about the tenant's
    // traffic.
    let wrong = api.get_secret(&format!("lk_live_{tenant}_{}", "B".repeat(43)), "h");
    wrong.assert_error(401, "unauthorized");
    assert_eq!(wrong.header("x-ratelimit-remaining"), None);
    assert_eq!(remaining(&api.get_secret(&key, "h")), first - 3);
    // The operator PATCH validates its input.
    let bad_patch = api.send(
        "PATCH",
        &format!("/v1/admin/tenants/{tenant}"),
        Some(&ctx.runtime.operator_key),
        &[],
        latchkey_e2e::client::Body::Json(&json!({"rate_limit_per_minute": 0})),
    );
    bad_patch.assert_error(422, "validation_error");
    let not_operator = api.send(
        "PATCH",
        &format!("/v1/admin/tenants/{tenant}"),
        Some(&key),
        &[],
        latchkey_e2e::client::Body::Json(&json!({"plan": "enterprise"})),
    );
    not_operator.assert_error(401, "unauthorized");
    let unknown = api.send(
        "PATCH",
        "/v1/admin/tenants/tn_0000000000000000",
        Some(&ctx.runtime.operator_key),
        &[],
        latchkey_e2e::client::Body::Json(&json!({"plan": "pro"})),
    );
    unknown.assert_error(404, "not_found");
}
