//! The seed-002 Vault API at `/v1/vault/…` (`latchkey_core::faces::vault002`): the seed's own
//! examples replayed as it writes them (method, path, body; the seed shows no headers, so
//! none but the bearer every tenant route needs), then what the seed implies: a delete takes
//! the secret's grants, grants name agents by name or id, ids are per tenant, the native API
//! shows the same ids, and bad input is a 4xx that changes nothing.

use crate::Ctx;
use latchkey_e2e::client::{Body, Reply};
use latchkey_e2e::secret_value;
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "faces_vault002::seed_examples_answer_as_written",
        seed_examples_answer_as_written,
    ),
    (
        "faces_vault002::delete_by_id_removes_the_secret_and_its_grants",
        delete_by_id_removes_the_secret_and_its_grants,
    ),
    (
        "faces_vault002::grants_name_an_agent_by_name_or_id",
        grants_name_an_agent_by_name_or_id,
    ),
    (
        "faces_vault002::registration_with_a_taken_name_is_409",
        registration_with_a_taken_name_is_409,
    ),
    (
        "faces_vault002::native_answers_show_the_stable_id",
        native_answers_show_the_stable_id,
    ),
    (
        "faces_vault002::another_tenants_ids_are_not_found",
        another_tenants_ids_are_not_found,
    ),
    (
        "faces_vault002::bad_input_is_refused_and_changes_nothing",
        bad_input_is_refused_and_changes_nothing,
    ),
    (
        "faces_vault002::scopes_and_audit_are_the_native_ones",
        scopes_and_audit_are_the_native_ones,
    ),
];

/// A request with a raw JSON body and no Content-Type, as the seed shows its bodies.
fn seed(ctx: &Ctx, method: &str, url: &str, key: Option<&str>, body: Option<&str>) -> Reply {
    let body = match body {
        Some(text) => Body::Raw(None, text.as_bytes()),
        None => Body::None,
    };
    ctx.api().send(method, url, key, &[], body)
}

fn call(ctx: &Ctx, method: &str, url: &str, key: Option<&str>, body: Option<Value>) -> Reply {
    match &body {
        Some(body) => ctx.api().send(method, url, key, &[], Body::Json(body)),
        None => ctx.api().send(method, url, key, &[], Body::None),
    }
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

fn is_id(value: &Value, prefix: &str) -> bool {
    value.as_str().is_some_and(|id| {
        id.strip_prefix(prefix)
            .is_some_and(|hex| hex.len() == 24 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

fn is_time(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t.len() >= 20 && t.ends_with('Z') && t.as_bytes().get(10) == Some(&b'T'))
}

/// A secret created through the face: its id.
fn create(ctx: &Ctx, key: &str, name: &str) -> String {
    let reply = call(
        ctx,
        "POST",
        "/v1/vault/secrets",
        Some(key),
        Some(json!({"name": name, "value": secret_value("v2")})),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().expect("id").to_owned()
}

fn listed(ctx: &Ctx, key: &str) -> Vec<Value> {
    let reply = call(ctx, "GET", "/v1/vault/secrets", Some(key), None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body.as_array().expect("a bare array").clone()
}

fn native_grants(ctx: &Ctx, key: &str) -> Vec<Value> {
    let reply = call(ctx, "GET", "/v1/grants", Some(key), None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["grants"].as_array().expect("grants").clone()
}

fn seed_examples_answer_as_written(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (_, _) = crate::agents::new_agent(ctx, &key, "researcher");

    // Create Secret: the request exactly as the seed writes it.
    let created = seed(
        ctx,
        "POST",
        "/v1/vault/secrets",
        Some(&key),
        Some("{\n  \"name\": \"OPENAI_API_KEY\",\n  \"value\": \"sk-xxxxxxxxxxxx\"\n}"),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        keys(&created.body),
        ["created_at", "id", "name"],
        "{}",
        created.text
    );
    assert!(is_id(&created.body["id"], "sec_"), "{}", created.text);
    assert_eq!(created.body["name"], "OPENAI_API_KEY");
    assert!(is_time(&created.body["created_at"]), "{}", created.text);
    assert!(
        !created.text.contains("sk-xxxxxxxxxxxx"),
        "the value came back"
    );
    let openai = created.body["id"].as_str().unwrap().to_owned();
    let telegram = seed(
        ctx,
        "POST",
        "/v1/vault/secrets",
        Some(&key),
        Some(r#"{"name": "TELEGRAM_BOT_TOKEN", "value": "123456:telegram"}"#),
    );
    assert_eq!(telegram.status, 201, "{}", telegram.text);

    // List Secrets: a bare array of {id, name, created_at}, values never included.
    let list = seed(ctx, "GET", "/v1/vault/secrets", Some(&key), None);
    assert_eq!(list.status, 200, "{}", list.text);
    let items = list.body.as_array().expect("a bare JSON array");
    assert_eq!(items.len(), 2, "{}", list.text);
    for item in items {
        assert_eq!(keys(item), ["created_at", "id", "name"], "{}", list.text);
        assert!(is_id(&item["id"], "sec_") && is_time(&item["created_at"]));
    }
    assert_eq!(items[0]["name"], "OPENAI_API_KEY");
    assert_eq!(items[0]["id"], openai.as_str());
    assert_eq!(items[1]["name"], "TELEGRAM_BOT_TOKEN");
    assert!(!list.text.contains("sk-xxxxxxxxxxxx") && !list.text.contains("telegram\""));

    // Grant Agent Access: the seed's body, with the id the create answered for its
    // placeholder `sec_abc123`.
    let grant = seed(
        ctx,
        "POST",
        "/v1/vault/grants",
        Some(&key),
        Some(&format!(
            "{{\n  \"agent_id\": \"researcher\",\n  \"secret_id\": \"{openai}\"\n}}"
        )),
    );
    assert_eq!(grant.status, 201, "{}", grant.text);
    assert_eq!(
        keys(&grant.body),
        ["agent_id", "created_at", "grant_id", "secret_id"],
        "{}",
        grant.text
    );
    assert!(is_id(&grant.body["grant_id"], "grt_"), "{}", grant.text);
    assert_eq!(grant.body["agent_id"], "researcher");
    assert_eq!(grant.body["secret_id"], openai.as_str());
    assert!(is_time(&grant.body["created_at"]));

    // Delete Secret: the seed's curl, with the id (and the bearer every route needs).
    let deleted = seed(
        ctx,
        "DELETE",
        &format!("/v1/vault/secrets/{openai}"),
        Some(&key),
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert!(
        deleted.text.is_empty(),
        "204 has no content: {}",
        deleted.text
    );
    // The seed's placeholder id names nothing here.
    seed(
        ctx,
        "DELETE",
        "/v1/vault/secrets/sec_abc123",
        Some(&key),
        None,
    )
    .assert_error(404, "not_found");
    let after = listed(ctx, &key);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["name"], "TELEGRAM_BOT_TOKEN");

    // The same bodies with Content-Type: application/json are taken too.
    let typed = call(
        ctx,
        "POST",
        "/v1/vault/secrets",
        Some(&key),
        Some(json!({"name": "OPENAI_API_KEY", "value": "sk-again"})),
    );
    assert_eq!(typed.status, 201, "{}", typed.text);
    assert_ne!(
        typed.body["id"],
        openai.as_str(),
        "a recreated name is a new secret"
    );
}

fn delete_by_id_removes_the_secret_and_its_grants(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (agent, jwt) = crate::agents::new_agent(ctx, &key, "reader-1");
    let id = create(ctx, &key, "DB_PASSWORD");
    let kept = create(ctx, &key, "KEPT");
    for secret in [&id, &kept] {
        let grant = call(
            ctx,
            "POST",
            "/v1/vault/grants",
            Some(&key),
            Some(json!({"agent_id": agent, "secret_id": secret})),
        );
        assert_eq!(grant.status, 201, "{}", grant.text);
    }
    // The grant is the native one: read on exactly the path.
    let grants = native_grants(ctx, &key);
    assert_eq!(grants.len(), 2, "{grants:?}");
    assert!(
        grants
            .iter()
            .any(|g| g["path"] == "DB_PASSWORD" && g["actions"] == json!(["read"]))
    );
    assert_eq!(
        call(ctx, "GET", "/v1/secrets/DB_PASSWORD", Some(&jwt), None).status,
        200
    );

    let deleted = call(
        ctx,
        "DELETE",
        &format!("/v1/vault/secrets/{id}"),
        Some(&key),
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let grants = native_grants(ctx, &key);
    assert_eq!(
        grants.len(),
        1,
        "the deleted secret's grant is gone: {grants:?}"
    );
    assert_eq!(grants[0]["path"], "KEPT");
    // Gone for good (not soft-deleted: nothing to restore), and the agent's read is refused.
    call(ctx, "GET", "/v1/secrets/DB_PASSWORD", Some(&key), None).assert_error(404, "not_found");
    let restore = call(
        ctx,
        "POST",
        "/v1/secrets/DB_PASSWORD/restore",
        Some(&key),
        None,
    );
    assert_eq!(restore.status, 404, "{}", restore.text);
    let read = call(ctx, "GET", "/v1/secrets/DB_PASSWORD", Some(&jwt), None);
    assert!(read.status == 403 || read.status == 404, "{}", read.text);
    // A second delete of the same id: 404.
    call(
        ctx,
        "DELETE",
        &format!("/v1/vault/secrets/{id}"),
        Some(&key),
        None,
    )
    .assert_error(404, "not_found");
}

fn grants_name_an_agent_by_name_or_id(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (agent, jwt) = crate::agents::new_agent(ctx, &key, "researcher");
    let a = create(ctx, &key, "A");
    let b = create(ctx, &key, "B");
    let by_name = call(
        ctx,
        "POST",
        "/v1/vault/grants",
        Some(&key),
        Some(json!({"agent_id": "researcher", "secret_id": a})),
    );
    assert_eq!(by_name.status, 201, "{}", by_name.text);
    assert_eq!(by_name.body["agent_id"], "researcher");
    let by_id = call(
        ctx,
        "POST",
        "/v1/vault/grants",
        Some(&key),
        Some(json!({"agent_id": agent, "secret_id": b})),
    );
    assert_eq!(by_id.status, 201, "{}", by_id.text);
    assert_eq!(by_id.body["agent_id"], agent.as_str());
    // Both are grants of the one agent.
    let grants = native_grants(ctx, &key);
    assert_eq!(grants.len(), 2);
    assert!(
        grants.iter().all(|g| g["agent_id"] == agent.as_str()),
        "{grants:?}"
    );
    assert_eq!(
        call(ctx, "GET", "/v1/secrets/A", Some(&jwt), None).status,
        200
    );
    assert_eq!(
        call(ctx, "GET", "/v1/secrets/B", Some(&jwt), None).status,
        200
    );

    // No such agent, by name or by id: 404 naming agent_id; nothing granted.
    for agent_id in ["nobody", "agt_0123456789abcdef01234567"] {
        let reply = call(
            ctx,
            "POST",
            "/v1/vault/grants",
            Some(&key),
            Some(json!({"agent_id": agent_id, "secret_id": a})),
        );
        reply.assert_error(404, "not_found");
        assert_eq!(reply.error_field(), Some("agent_id"), "{}", reply.text);
    }
    // No such secret: 404 naming secret_id.
    let reply = call(
        ctx,
        "POST",
        "/v1/vault/grants",
        Some(&key),
        Some(json!({"agent_id": "researcher", "secret_id": "sec_0123456789abcdef01234567"})),
    );
    reply.assert_error(404, "not_found");
    assert_eq!(reply.error_field(), Some("secret_id"), "{}", reply.text);
    // A revoked agent keeps its name for the grant's answer: 409.
    let revoked = call(
        ctx,
        "POST",
        &format!("/v1/agents/{agent}/revoke"),
        Some(&key),
        None,
    );
    assert!(revoked.status < 300, "{}", revoked.text);
    call(
        ctx,
        "POST",
        "/v1/vault/grants",
        Some(&key),
        Some(json!({"agent_id": "researcher", "secret_id": a})),
    )
    .assert_error(409, "conflict");
    assert_eq!(native_grants(ctx, &key).len(), 2);
}

fn registration_with_a_taken_name_is_409(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (first, _) = crate::agents::new_agent(ctx, &key, "researcher");
    let boot = call(
        ctx,
        "POST",
        "/v1/agents/bootstrap",
        Some(&key),
        Some(json!({"max_registrations": 10})),
    );
    assert_eq!(boot.status, 201, "{}", boot.text);
    let token = boot.body["token"].as_str().unwrap().to_owned();
    let again = call(
        ctx,
        "POST",
        "/v1/agents/register",
        None,
        Some(json!({"token": token, "name": "researcher"})),
    );
    again.assert_error(409, "conflict");
    assert_eq!(again.error_field(), Some("name"), "{}", again.text);
    // Another name registers; once the first is revoked its name is free again.
    let other = call(
        ctx,
        "POST",
        "/v1/agents/register",
        None,
        Some(json!({"token": token, "name": "researcher-2"})),
    );
    assert_eq!(other.status, 201, "{}", other.text);
    let revoked = call(
        ctx,
        "POST",
        &format!("/v1/agents/{first}/revoke"),
        Some(&key),
        None,
    );
    assert!(revoked.status < 300, "{}", revoked.text);
    let reuse = call(
        ctx,
        "POST",
        "/v1/agents/register",
        None,
        Some(json!({"token": token, "name": "researcher"})),
    );
    assert_eq!(reuse.status, 201, "{}", reuse.text);
}

fn native_answers_show_the_stable_id(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let created = api.create_secret(
        &key,
        &json!({"path": "svc/api", "value": secret_value("n")}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert!(is_id(&created.body["id"], "sec_"), "{}", created.text);
    let read = api.get_secret(&key, "svc/api");
    assert_eq!(read.body["id"], id.as_str(), "{}", read.text);
    let list = call(ctx, "GET", "/v1/secrets", Some(&key), None);
    assert_eq!(list.body["items"][0]["id"], id.as_str(), "{}", list.text);
    // Updates and rotations keep it.
    let updated = call(
        ctx,
        "PUT",
        "/v1/secrets/svc%2Fapi",
        Some(&key),
        Some(json!({"value": secret_value("n2")})),
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    let rotated = api.rotate_secret(&key, "svc/api", &json!({"new_value": secret_value("n3")}));
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_eq!(api.get_secret(&key, "svc/api").body["id"], id.as_str());
    // The face shows the same id, the path as the name.
    let face = listed(ctx, &key);
    assert_eq!(
        face,
        vec![json!({"id": id, "name": "svc/api", "created_at": created.body["created_at"]})]
    );
    // A soft delete and restore keep it; erased and created again, it is a new secret.
    assert_eq!(api.delete_secret(&key, "svc/api", false).status, 204);
    let restored = api.restore_secret(&key, "svc/api");
    assert_eq!(restored.body["id"], id.as_str(), "{}", restored.text);
    assert_eq!(api.delete_secret(&key, "svc/api", true).status, 204);
    let again = api.create_secret(&key, &json!({"path": "svc/api", "value": "x"}));
    assert_eq!(again.status, 201, "{}", again.text);
    assert!(is_id(&again.body["id"], "sec_"));
    assert_ne!(again.body["id"], id.as_str());
}

fn another_tenants_ids_are_not_found(ctx: &Ctx) {
    let (_, key_a) = ctx.new_tenant();
    let (_, key_b) = ctx.new_tenant();
    let id = create(ctx, &key_a, "A_ONLY");
    crate::agents::new_agent(ctx, &key_b, "researcher");
    call(
        ctx,
        "DELETE",
        &format!("/v1/vault/secrets/{id}"),
        Some(&key_b),
        None,
    )
    .assert_error(404, "not_found");
    let grant = call(
        ctx,
        "POST",
        "/v1/vault/grants",
        Some(&key_b),
        Some(json!({"agent_id": "researcher", "secret_id": id})),
    );
    grant.assert_error(404, "not_found");
    assert_eq!(grant.error_field(), Some("secret_id"));
    assert!(listed(ctx, &key_b).is_empty());
    assert_eq!(listed(ctx, &key_a).len(), 1, "A's secret is untouched");
}

/// Method, URL, content type, body, then the status, code and field expected.
type Case<'a> = (
    &'a str,
    String,
    Option<&'a str>,
    Option<&'a str>,
    u16,
    &'a str,
    Option<&'a str>,
);

fn bad_input_is_refused_and_changes_nothing(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    crate::agents::new_agent(ctx, &key, "researcher");
    let id = create(ctx, &key, "KEEP");
    let body = |text: &'static str| Some(text);
    let cases: Vec<Case> = vec![
        // Query parameters the seed does not define: 400 naming them.
        (
            "GET",
            "/v1/vault/secrets?limit=10".into(),
            None,
            None,
            400,
            "invalid_request",
            Some("limit"),
        ),
        (
            "GET",
            "/v1/vault/secrets?env=prod".into(),
            None,
            None,
            400,
            "invalid_request",
            Some("env"),
        ),
        (
            "DELETE",
            format!("/v1/vault/secrets/{id}?permanent=false"),
            None,
            None,
            400,
            "invalid_request",
            Some("permanent"),
        ),
        (
            "POST",
            "/v1/vault/secrets?env=prod".into(),
            None,
            body(r#"{"name": "N", "value": "v"}"#),
            400,
            "invalid_request",
            Some("env"),
        ),
        (
            "POST",
            "/v1/vault/grants?x=1".into(),
            None,
            body(r#"{"agent_id": "researcher", "secret_id": "sec_0123456789abcdef01234567"}"#),
            400,
            "invalid_request",
            Some("x"),
        ),
        // Bodies.
        (
            "POST",
            "/v1/vault/secrets".into(),
            None,
            body(r#"{"name": "N", "value": "v", "tier": "critical"}"#),
            422,
            "validation_error",
            Some("tier"),
        ),
        (
            "POST",
            "/v1/vault/secrets".into(),
            None,
            body(r#"{"name": "N"}"#),
            422,
            "validation_error",
            Some("value"),
        ),
        (
            "POST",
            "/v1/vault/secrets".into(),
            None,
            body(r#"{"value": "v"}"#),
            422,
            "validation_error",
            Some("name"),
        ),
        (
            "POST",
            "/v1/vault/secrets".into(),
            None,
            body(r#"{"name": "a//b", "value": "v"}"#),
            422,
            "validation_error",
            Some("name"),
        ),
        (
            "POST",
            "/v1/vault/secrets".into(),
            None,
            body(r#"{"name": "KEEP", "value": "v"}"#),
            409,
            "conflict",
            None,
        ),
        (
            "POST",
            "/v1/vault/secrets".into(),
            None,
            body(r#"{"name": 7, "value": "v"}"#),
            422,
            "validation_error",
            Some("name"),
        ),
        (
            "POST",
            "/v1/vault/secrets".into(),
            None,
            body("[1]"),
            400,
            "invalid_request",
            None,
        ),
        (
            "POST",
            "/v1/vault/secrets".into(),
            None,
            body("{"),
            400,
            "invalid_request",
            None,
        ),
        (
            "POST",
            "/v1/vault/secrets".into(),
            Some("text/plain"),
            body(r#"{"name": "N", "value": "v"}"#),
            400,
            "invalid_request",
            None,
        ),
        (
            "POST",
            "/v1/vault/grants".into(),
            None,
            body(r#"{"agent_id": "researcher", "secret_id": "sec_abc123"}"#),
            422,
            "validation_error",
            Some("secret_id"),
        ),
        (
            "POST",
            "/v1/vault/grants".into(),
            None,
            body(r#"{"agent_id": "", "secret_id": "sec_0123456789abcdef01234567"}"#),
            422,
            "validation_error",
            Some("agent_id"),
        ),
        (
            "POST",
            "/v1/vault/grants".into(),
            None,
            body(
                r#"{"agent_id": "researcher", "secret_id": "sec_0123456789abcdef01234567", "actions": ["write"]}"#,
            ),
            422,
            "validation_error",
            Some("actions"),
        ),
        // Routes and methods.
        (
            "PUT",
            "/v1/vault/secrets".into(),
            None,
            None,
            405,
            "method_not_allowed",
            None,
        ),
        (
            "GET",
            format!("/v1/vault/secrets/{id}"),
            None,
            None,
            405,
            "method_not_allowed",
            None,
        ),
        (
            "GET",
            "/v1/vault/grants".into(),
            None,
            None,
            405,
            "method_not_allowed",
            None,
        ),
        (
            "GET",
            "/v1/vault".into(),
            None,
            None,
            404,
            "not_found",
            None,
        ),
        (
            "GET",
            "/v1/vault/other".into(),
            None,
            None,
            404,
            "not_found",
            None,
        ),
    ];
    for (method, url, content_type, text, status, code, field) in cases {
        let reply = ctx.api().send(
            method,
            &url,
            Some(&key),
            &[],
            match text {
                Some(text) => Body::Raw(content_type, text.as_bytes()),
                None => Body::None,
            },
        );
        reply.assert_error(status, code);
        if let Some(field) = field {
            assert_eq!(
                reply.error_field(),
                Some(field),
                "{method} {url}: {}",
                reply.text
            );
        }
        if status == 405 {
            assert!(reply.header("allow").is_some(), "{method} {url}: Allow");
        }
    }
    // No credential: 401, as every tenant route.
    seed(ctx, "GET", "/v1/vault/secrets", None, None).assert_error(401, "unauthorized");
    // Nothing changed.
    let after = listed(ctx, &key);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["id"], id.as_str());
    assert!(native_grants(ctx, &key).is_empty());
}

fn scopes_and_audit_are_the_native_ones(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    crate::agents::new_agent(ctx, &key, "researcher");
    let id = create(ctx, &key, "SCOPED");
    let other = create(ctx, &key, "OTHER");
    let token = |scope: &[&str]| -> String {
        let reply = api.create_token(&key, &json!({"scope": scope, "ttl_seconds": 600}));
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.body["value"].as_str().unwrap().to_owned()
    };
    // A reader lists what it may read, cannot delete it, cannot grant.
    let reader = token(&["secrets:read:SCOPED"]);
    let seen = listed(ctx, &reader);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["id"], id.as_str());
    let refused = call(
        ctx,
        "DELETE",
        &format!("/v1/vault/secrets/{id}"),
        Some(&reader),
        None,
    );
    refused.assert_error(403, "permission_denied");
    call(
        ctx,
        "POST",
        "/v1/vault/grants",
        Some(&reader),
        Some(json!({"agent_id": "researcher", "secret_id": id})),
    )
    .assert_error(403, "permission_denied");
    let writer = token(&["secrets:write:NEW/*"]);
    call(
        ctx,
        "POST",
        "/v1/vault/secrets",
        Some(&writer),
        Some(json!({"name": "ELSEWHERE", "value": "v"})),
    )
    .assert_error(403, "permission_denied");
    // A deleter of one path deletes that one only.
    let deleter = token(&["secrets:delete:OTHER"]);
    call(
        ctx,
        "DELETE",
        &format!("/v1/vault/secrets/{id}"),
        Some(&deleter),
        None,
    )
    .assert_error(403, "permission_denied");
    let gone = call(
        ctx,
        "DELETE",
        &format!("/v1/vault/secrets/{other}"),
        Some(&deleter),
        None,
    );
    assert_eq!(gone.status, 204, "{}", gone.text);
    assert_eq!(listed(ctx, &key).len(), 1);
    // The trail has the native events, with the paths.
    let audit = call(ctx, "GET", "/v1/audit?limit=200", Some(&key), None);
    assert_eq!(audit.status, 200, "{}", audit.text);
    let events = audit.body["events"].as_array().expect("events").clone();
    let has = |kind: &str, path: &str, ok: bool| {
        events
            .iter()
            .any(|e| e["type"] == kind && e["path"] == path && e["success"] == ok)
    };
    assert!(has("secret.created", "SCOPED", true), "{}", audit.text);
    assert!(has("secret.destroyed", "OTHER", true), "{}", audit.text);
    assert!(has("secret.destroyed", "SCOPED", false), "{}", audit.text);
    assert!(
        !audit.text.contains(latchkey_e2e::SECRET_MARKER),
        "no value in the trail"
    );
}
