use crate::Ctx;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "probes::health_is_public_and_reports_time",
        health_is_public_and_reports_time,
    ),
    (
        "probes::healthz_and_readyz_answer_ok",
        healthz_and_readyz_answer_ok,
    ),
    (
        "probes::request_id_is_echoed_or_generated",
        request_id_is_echoed_or_generated,
    ),
    (
        "probes::bench_route_is_off_outside_benchmarks",
        bench_route_is_off_outside_benchmarks,
    ),
    (
        "probes::openapi_document_is_public_and_cacheable",
        openapi_document_is_public_and_cacheable,
    ),
];

fn openapi_document_is_public_and_cacheable(ctx: &Ctx) {
    let api = ctx.api();
    let reply = api.get("/v1/openapi.json", None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("cache-control"), Some("public, max-age=300"));
    assert!(reply.header("x-request-id").is_some());
    // Served verbatim: the committed file, byte for byte.
    let committed =
        std::fs::read_to_string(latchkey_e2e::runtime::repo_root().join("worker/openapi.json"))
            .expect("worker/openapi.json");
    assert_eq!(reply.text, committed);
    assert_eq!(reply.body["openapi"], "3.1.0");
    // Other methods are 405 with Allow, like every route.
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let refused = api.send(
            method,
            "/v1/openapi.json",
            None,
            &[],
            latchkey_e2e::client::Body::None,
        );
        refused.assert_error(405, "method_not_allowed");
        assert_eq!(refused.header("allow"), Some("GET"), "{method}");
        assert_eq!(refused.header("cache-control"), Some("no-store"));
    }
}

fn bench_route_is_off_outside_benchmarks(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    ctx.api()
        .send(
            "POST",
            "/v1/bench/baseline",
            Some(&key),
            &[],
            latchkey_e2e::client::Body::None,
        )
        .assert_error(404, "not_found");
}

fn health_is_public_and_reports_time(ctx: &Ctx) {
    let reply = ctx.api().get("/v1/health", None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["status"], "ok");
    let time = reply.body["time"].as_str().expect("time");
    assert!(time.ends_with('Z') && time.len() == 20, "{time}");
}

fn healthz_and_readyz_answer_ok(ctx: &Ctx) {
    assert_eq!(ctx.api().get("/healthz", None).status, 200);
    let ready = ctx.api().get("/readyz", None);
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.body["checks"]["d1"], "ok");
    assert_eq!(ready.body["checks"]["durable_objects"], "ok");
}

fn request_id_is_echoed_or_generated(ctx: &Ctx) {
    let api = ctx.api();
    let given = api.send(
        "GET",
        "/v1/health",
        None,
        &[("X-Request-Id", "trace-abc-123")],
        latchkey_e2e::client::Body::None,
    );
    assert_eq!(given.header("x-request-id"), Some("trace-abc-123"));
    let made = api.get("/v1/nowhere", None);
    assert!(
        made.header("x-request-id")
            .is_some_and(|id| id.starts_with("req_"))
    );
    assert_eq!(made.header("cache-control"), Some("no-store"));
}
