//! Clocks, on a runtime of its own where they run fast (3-second restore window and approval
//! lifetime, 1-second minimum token TTL): the maintenance alarm purges soft-deleted secrets,
//! drops rotated versions' ciphertexts and expires approval requests with no request to
//! trigger it; tokens and approval links expire.

use crate::Ctx;
use latchkey_e2e::Runtime;
use serde_json::json;
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, crate::Test)] = &[(
    "maintenance::alarm_purges_and_clocks_expire",
    alarm_purges_and_clocks_expire,
)];

const RETENTION_SECONDS: u64 = 3;

fn alarm_purges_and_clocks_expire(ctx: &Ctx) {
    let email_api = format!("{}/email", ctx.sink.base_url);
    let runtime = Runtime::start_with_vars(
        &ctx.run_dir,
        "maintenance",
        &[
            (
                "SOFT_DELETE_RETENTION_SECONDS",
                &RETENTION_SECONDS.to_string(),
            ),
            ("APPROVAL_TTL_SECONDS", "3"),
            ("TOKEN_MIN_TTL_SECONDS", "1"),
            ("ALLOW_HTTP_LOOPBACK", "true"),
            ("EMAIL_API_URL", &email_api),
        ],
    );
    let api = runtime.api();
    let (_, key) = crate::new_tenant(&api, &runtime.operator_key);
    // An approval request nobody decides expires (APPROVAL_TTL_SECONDS = 3).
    let (agent, approver) = {
        let agent = api.create_token(
            &key,
            &json!({"scope": ["tokens:create", "secrets:read:s/*"]}),
        );
        let approver = api.create_token(&key, &json!({"scope": "approvals:decide"}));
        (
            agent.body["value"].as_str().expect("agent").to_owned(),
            approver.body["value"]
                .as_str()
                .expect("approver")
                .to_owned(),
        )
    };
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "s/x", "value": "v", "tier": "sensitive"})
        )
        .status,
        201
    );
    let channels = api.send(
        "PUT",
        "/v1/notifications",
        Some(&key),
        &[],
        latchkey_e2e::client::Body::Json(&json!({"email": {"to": ["late@example.com"]}})),
    );
    assert_eq!(channels.status, 200, "{}", channels.text);
    let requested = api.create_token(&agent, &json!({"scope": "secrets:read:s/*"}));
    assert_eq!(requested.status, 202, "{}", requested.text);
    let approval = requested.body["approval_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link_path = latchkey_e2e::sink::path_of(&ctx.sink.emailed_link(&approval, None));
    // A token that lives 1 second.
    let short = api.create_token(
        &key,
        &json!({"scope": "secrets:read:keep/*", "ttl_seconds": 1}),
    );
    assert_eq!(short.status, 201, "{}", short.text);
    let short = short.body["value"].as_str().unwrap().to_owned();
    for path in ["purge/a", "purge/b", "keep/c", "rot/d"] {
        let reply = api.create_secret(&key, &json!({"path": path, "value": "v1"}));
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    assert_eq!(api.set_field(&key, "purge/a", "f", "x").status, 201);
    assert_eq!(api.delete_secret(&key, "purge/a", false).status, 204);
    assert_eq!(api.delete_secret(&key, "purge/b", false).status, 204);
    let rotated = api.rotate_secret(
        &key,
        "rot/d",
        &json!({"new_value": "v2", "grace_period_seconds": 2}),
    );
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let before = api.info(&key);
    assert_eq!(before.body["deleted_count"], 2, "{}", before.text);
    assert_eq!(before.body["version_count"], 6, "{}", before.text);
    // Within the window, restore works (and takes b out of the purge).
    assert_eq!(api.restore_secret(&key, "purge/b").status, 200);
    assert_eq!(api.delete_secret(&key, "purge/b", false).status, 204);

    // Nothing but the alarm touches this tenant from here on.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let info = api.info(&key);
        assert_eq!(info.status, 200, "{}", info.text);
        if info.body["deleted_count"] == 0 && info.body["version_count"] == 3 {
            assert_eq!(info.body["field_count"], 0, "{}", info.text);
            assert_eq!(info.body["secret_count"], 3, "{}", info.text);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the alarm did not purge within 60 s: {}\n{}",
            info.text,
            runtime.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let token_expired = api.get_secret(&short, "keep/c");
    token_expired.assert_error(401, "unauthorized");
    assert!(
        token_expired.text.contains("expired"),
        "{}",
        token_expired.text
    );
    let link_page = api.get(&link_path, None);
    assert_eq!(link_page.status, 403, "{}", link_page.text);
    assert!(link_page.text.contains("expired"), "{}", link_page.text);
    let expired = api.get(&format!("/v1/approvals/{approval}"), Some(&agent));
    assert_eq!(expired.body["status"], "expired", "{}", expired.text);
    let listed = api.get("/v1/approvals?status=expired", Some(&approver));
    assert_eq!(
        listed.body["approvals"][0]["id"],
        approval.as_str(),
        "{}",
        listed.text
    );
    api.send(
        "POST",
        &format!("/v1/approvals/{approval}/approve"),
        Some(&approver),
        &[],
        latchkey_e2e::client::Body::None,
    )
    .assert_error(409, "conflict");
    // Purged means gone: not restorable, and the path is free again.
    api.restore_secret(&key, "purge/a")
        .assert_error(404, "not_found");
    let again = api.create_secret(&key, &json!({"path": "purge/a", "value": "new"}));
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(api.get_fields(&key, "purge/a").body, json!({}));
    assert_eq!(api.get_secret(&key, "keep/c").body["value"], "v1");
    let versions = api.secret_versions(&key, "rot/d");
    assert_eq!(
        versions.body["versions"][1]["state"], "expired",
        "{}",
        versions.text
    );
    assert_eq!(api.get_secret(&key, "rot/d").body["value"], "v2");
}
