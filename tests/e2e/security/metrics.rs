//! The cross-tenant sweep over issue 24's metrics: `GET /v1/metrics` counts only the caller's
//! tenant (there is no id in its URL to point at another), and `GET /metrics` counts no tenant.

use crate::Ctx;
use latchkey_e2e::unique;
use serde_json::json;

fn figure(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")).map(str::to_owned))
}

pub(super) fn metrics_count_only_the_callers_tenant(ctx: &Ctx) {
    let (a_tenant, a) = ctx.new_tenant();
    let (b_tenant, b) = ctx.new_tenant();
    let api = ctx.api();
    let b_path = unique("sweep/b");
    for _ in 0..2 {
        api.create_secret(&b, &json!({"path": unique("sweep/b"), "value": "v"}));
    }
    api.create_secret(&b, &json!({"path": b_path, "value": "v"}));
    let a_view = api.get("/v1/metrics", Some(&a));
    assert_eq!(a_view.status, 200, "{}", a_view.text);
    assert_eq!(
        figure(&a_view.text, "latchkey_secrets").as_deref(),
        Some("0")
    );
    let b_view = api.get("/v1/metrics", Some(&b));
    assert_eq!(
        figure(&b_view.text, "latchkey_secrets").as_deref(),
        Some("3")
    );
    for view in [&a_view, &b_view, &api.get("/metrics", None)] {
        assert!(!view.text.contains(&b_path));
    }
    // Neither tenant's id, nor anyone's path, is in any exposition.
    for view in [&a_view, &api.get("/metrics", Some(&a))] {
        assert!(!view.text.contains(&b_tenant));
        assert!(!view.text.contains(&a_tenant));
    }
}
