use crate::Ctx;
use latchkey_e2e::client::Body;
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "tenants::create_returns_master_key_once",
        create_returns_master_key_once,
    ),
    (
        "tenants::create_without_operator_key_is_unauthorized",
        create_without_operator_key_is_unauthorized,
    ),
    (
        "tenants::create_with_bad_input_names_the_field",
        create_with_bad_input_names_the_field,
    ),
];

fn create_returns_master_key_once(ctx: &Ctx) {
    let reply = ctx.api().create_tenant(
        &ctx.runtime.operator_key,
        &json!({"name": "Acme Robotics", "plan": "enterprise"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let tenant_id = reply.body["tenant_id"].as_str().expect("tenant_id");
    assert!(
        tenant_id.starts_with("tn_") && tenant_id.len() == 19,
        "{tenant_id}"
    );
    assert_eq!(reply.body["name"], "Acme Robotics");
    assert_eq!(reply.body["plan"], "enterprise");
    assert!(
        reply.body["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let key = reply.body["master_key"].as_str().expect("master_key");
    assert!(key.starts_with(&format!("lk_live_{tenant_id}_")), "{key}");
    // The key works, and a second tenant gets a different one.
    let created = ctx
        .api()
        .create_secret(key, &json!({"path": "a/b", "value": "v"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let (_, other_key) = ctx.new_tenant();
    assert_ne!(other_key, key);
    // Default plan is free.
    let free = ctx
        .api()
        .create_tenant(&ctx.runtime.operator_key, &json!({"name": "Free Co"}));
    assert_eq!(free.status, 201, "{}", free.text);
    assert_eq!(free.body["plan"], "free");
}

fn create_without_operator_key_is_unauthorized(ctx: &Ctx) {
    let api = ctx.api();
    let body = json!({"name": "x", "plan": "free"});
    api.send("POST", "/v1/admin/tenants", None, &[], Body::Json(&body))
        .assert_error(401, "unauthorized");
    api.create_tenant("wrong-operator-key", &body)
        .assert_error(401, "unauthorized");
    // A tenant's master key is not an operator key either.
    let (_, master) = ctx.new_tenant();
    api.create_tenant(&master, &body)
        .assert_error(401, "unauthorized");
}

fn create_with_bad_input_names_the_field(ctx: &Ctx) {
    let api = ctx.api();
    let op = ctx.runtime.operator_key.as_str();
    let cases = [
        (json!({"plan": "free"}), "name"),
        (json!({"name": "", "plan": "free"}), "name"),
        (json!({"name": "x", "plan": "platinum"}), "plan"),
        (json!({"name": 7}), "name"),
        (json!({"name": "x", "extra": true}), "extra"),
    ];
    for (body, field) in cases {
        let reply = api.create_tenant(op, &body);
        reply.assert_error(422, "validation_error");
        assert_eq!(reply.error_field(), Some(field), "{body}");
    }
    api.send(
        "POST",
        "/v1/admin/tenants",
        Some(op),
        &[],
        Body::Raw(Some("application/json"), b"{nope"),
    )
    .assert_error(400, "invalid_request");
    api.send(
        "POST",
        "/v1/admin/tenants",
        Some(op),
        &[],
        Body::Raw(Some("text/plain"), b"{}"),
    )
    .assert_error(400, "invalid_request");
}
