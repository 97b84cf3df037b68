//! Telling approvers: Slack, signed webhook and email deliveries to a loopback sink, and
//! decisions through the signed, single-use links they carry.

use crate::Ctx;
use crate::tokens::mint;
use latchkey_e2e::client::Body;
use latchkey_e2e::sink::{Received, link_in, path_of};
use latchkey_e2e::unique;
use serde_json::{Value, json};
use std::time::Duration;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "links::every_channel_gets_a_signed_single_use_link",
        every_channel_gets_a_signed_single_use_link,
    ),
    (
        "links::failed_deliveries_are_retried_and_visible",
        failed_deliveries_are_retried_and_visible,
    ),
    ("links::channels_are_validated", channels_are_validated),
];

const WEBHOOK_SECRET: &str = "whsec-0123456789abcdef";

fn put_notifications(ctx: &Ctx, key: &str, body: &Value) -> latchkey_e2e::Reply {
    ctx.api()
        .send("PUT", "/v1/notifications", Some(key), &[], Body::Json(body))
}

/// A tenant with an agent token, a sensitive secret, and channels pointing at the sink under
/// a prefix of its own. Returns `(master key, agent token, prefix)`.
fn setup(ctx: &Ctx, channels: impl Fn(&str) -> Value) -> (String, String, String) {
    let (_, key) = ctx.new_tenant();
    let prefix = format!("/{}", unique("t"));
    let (agent, _) = mint(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "secrets:read:prod/*"], "description": "nightly report"}),
    );
    let reply = put_notifications(
        ctx,
        &key,
        &channels(&format!("{}{prefix}", ctx.sink.base_url)),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let created = ctx.api().create_secret(
        &key,
        &json!({"path": "prod/db", "value": "do-not-show-me", "tier": "sensitive"}),
    );
    assert_eq!(created.status, 201);
    (key, agent, prefix)
}

fn form(ctx: &Ctx, link: &str, decision: &str) -> latchkey_e2e::Reply {
    let path = path_of(link);
    let (page, query) = path.split_once('?').unwrap();
    let token = query.strip_prefix("t=").unwrap();
    let body = format!("t={token}&decision={decision}&note=looks+fine");
    ctx.api().send(
        "POST",
        page,
        None,
        &[],
        Body::Raw(Some("application/x-www-form-urlencoded"), body.as_bytes()),
    )
}

fn every_channel_gets_a_signed_single_use_link(ctx: &Ctx) {
    let (key, agent, prefix) = setup(ctx, |base| {
        json!({
            "slack_webhook_url": format!("{base}/slack"),
            "webhook": {"url": format!("{base}/hook"), "secret": WEBHOOK_SECRET},
            "email": {"to": ["alice@example.com", "bob@example.com"]}
        })
    });
    let api = ctx.api();
    let shown = api.get("/v1/notifications", Some(&key));
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert!(
        !shown.text.contains(WEBHOOK_SECRET) && !shown.text.contains("/slack"),
        "{}",
        shown.text
    );
    assert_eq!(
        shown.body["email"]["to"],
        json!(["alice@example.com", "bob@example.com"])
    );

    let requested = api.create_token(&agent, &json!({"scope": "secrets:read:prod/*"}));
    assert_eq!(requested.status, 202, "{}", requested.text);
    assert!(
        requested.body["message"]
            .as_str()
            .unwrap()
            .contains("Notified 4 approver(s)")
    );
    let id = requested.body["approval_request_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Slack and the webhook arrive under the tenant's prefix; the email API is shared.
    let direct = ctx
        .sink
        .wait_for(2, Duration::from_secs(20), |r| r.path.starts_with(&prefix));
    let emails = ctx.sink.wait_for(2, Duration::from_secs(20), |r| {
        r.path == "/email" && r.body.contains(&id)
    });
    let slack = direct
        .iter()
        .find(|r| r.path.ends_with("/slack"))
        .expect("slack");
    let hook = direct
        .iter()
        .find(|r| r.path.ends_with("/hook"))
        .expect("webhook");
    for message in direct.iter().chain(&emails) {
        assert!(
            !message.body.contains("do-not-show-me"),
            "no secret value in messages"
        );
        assert_eq!(message.method, "POST");
    }
    let slack_link = slack.json()["blocks"][1]["elements"][0]["url"]
        .as_str()
        .expect("slack button")
        .to_owned();
    assert!(
        slack_link.contains(&format!("/approvals/{id}/review?t=")),
        "{slack_link}"
    );
    assert!(
        slack.json()["text"]
            .as_str()
            .unwrap()
            .contains("nightly report")
    );
    check_webhook_signature(hook);
    assert_eq!(hook.json()["type"], "approval.requested");
    assert_eq!(hook.json()["approval_request_id"], id.as_str());
    let alice = emails
        .iter()
        .find(|r| r.json()["to"] == json!(["alice@example.com"]))
        .expect("alice's email");
    assert_eq!(alice.json()["from"], "latchkey@test.example");
    assert!(
        alice.json()["html"]
            .as_str()
            .unwrap()
            .contains("Review request")
    );
    let alice_link = link_in(alice.json()["text"].as_str().unwrap());
    let bob = emails
        .iter()
        .find(|r| r.json()["to"] == json!(["bob@example.com"]))
        .expect("bob's email");
    let bob_link = link_in(bob.json()["text"].as_str().unwrap());
    assert_ne!(
        alice_link, bob_link,
        "each approver has a link of their own"
    );

    // The page: who asks for what, no secret, no external assets, safe headers.
    let page = api.get(&path_of(&alice_link), None);
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(page.text.contains("nightly report") && page.text.contains("secrets:read:prod/*"));
    assert!(page.text.contains("email:alice@example.com"));
    assert!(!page.text.contains("do-not-show-me"));
    // Opening the page twice does not use the link up (mail scanners open links).
    assert_eq!(api.get(&path_of(&alice_link), None).status, 200);

    let decided = form(ctx, &alice_link, "approve");
    assert_eq!(decided.status, 200, "{}", decided.text);
    assert!(
        decided.text.contains("Your approval is recorded"),
        "{}",
        decided.text
    );
    let view = api.get(&format!("/v1/approvals/{id}"), Some(&agent));
    assert_eq!(view.body["status"], "approved", "{}", view.text);
    assert_eq!(view.body["approvers"], json!(["email:alice@example.com"]));
    assert_eq!(view.body["decisions"][0]["note"], "looks fine");
    assert!(
        view.body["token"]["value"].is_string(),
        "released to the agent"
    );
    // Approvers (here the master key) see the deliveries; the requester does not.
    assert_eq!(view.body["notifications"], json!([]));
    let view = api.get(&format!("/v1/approvals/{id}"), Some(&key));
    let sent: Vec<&str> = view.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["status"].as_str().unwrap())
        .collect();
    assert_eq!(sent, ["sent", "sent", "sent", "sent"], "{}", view.text);

    // Used links are refused, and change nothing.
    let reused = form(ctx, &alice_link, "deny");
    assert_eq!(reused.status, 409, "{}", reused.text);
    assert!(reused.text.contains("already been used"));
    let reopened = api.get(&path_of(&alice_link), None);
    assert_eq!(reopened.status, 409);
    let refusals = api.get("/v1/audit?type=link.refused", Some(&key));
    let refusal = &refusals.body["events"][0];
    assert_eq!(refusal["details"]["link"], "used", "{}", refusals.text);
    assert_eq!(refusal["details"]["approval_id"], id.as_str());
    assert_eq!(refusal["success"], false);
    assert_eq!(
        api.get(&format!("/v1/approvals/{id}"), Some(&key)).body["status"],
        "approved"
    );
    // Bob's link still opens, but the request is decided: no buttons.
    let late = api.get(&path_of(&bob_link), None);
    assert_eq!(late.status, 200);
    assert!(!late.text.contains("<form"), "{}", late.text);
    // A forged link and the requester's own URL grant nothing.
    let mut forged = bob_link.clone();
    forged.push('x');
    let forged_page = api.get(&path_of(&forged), None);
    assert_eq!(forged_page.status, 403, "{}", forged_page.text);
    let plain = api.get(&format!("/approvals/{id}/review"), None);
    assert_eq!(plain.status, 200);
    assert!(plain.text.contains("personal link") && !plain.text.contains("<form"));
}

/// `X-Latchkey-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`.
fn check_webhook_signature(hook: &Received) {
    let header = hook
        .header("x-latchkey-signature")
        .expect("signature header");
    let (t, v1) = header.split_once(",v1=").expect("t=…,v1=…");
    let t = t.strip_prefix("t=").expect("t=");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - t.parse::<i64>().unwrap()).abs() < 300,
        "fresh timestamp"
    );
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(hook.body.as_bytes());
    let expected = latchkey_core::hex::encode(&latchkey_core::crypto::hmac_sha256(
        WEBHOOK_SECRET.as_bytes(),
        &signed,
    ));
    assert_eq!(
        v1, expected,
        "the signature verifies with the shared secret"
    );
    // A receiver that checks the signature rejects a changed body.
    let mut tampered = format!("{t}.").into_bytes();
    tampered.extend_from_slice(hook.body.replace("nightly", "hourly").as_bytes());
    let forged = latchkey_core::hex::encode(&latchkey_core::crypto::hmac_sha256(
        WEBHOOK_SECRET.as_bytes(),
        &tampered,
    ));
    assert_ne!(v1, forged);
}

fn failed_deliveries_are_retried_and_visible(ctx: &Ctx) {
    let (key, agent, prefix) = setup(
        ctx,
        |base| json!({"webhook": {"url": format!("{base}/fail-2/hook"), "secret": WEBHOOK_SECRET}}),
    );
    let requested = ctx
        .api()
        .create_token(&agent, &json!({"scope": "secrets:read:prod/*"}));
    assert_eq!(requested.status, 202, "{}", requested.text);
    let id = requested.body["approval_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let attempts = ctx
        .sink
        .wait_for(3, Duration::from_secs(30), |r| r.path.starts_with(&prefix));
    assert_eq!(attempts.len(), 3);
    // The third attempt succeeded; the request shows it.
    let mut shown = Value::Null;
    for _ in 0..50 {
        shown = ctx
            .api()
            .get(&format!("/v1/approvals/{id}"), Some(&key))
            .body;
        if shown["notifications"][0]["status"] == "sent" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let entry = &shown["notifications"][0];
    assert_eq!(entry["status"], "sent", "{shown}");
    assert_eq!(entry["attempts"], 3);
    assert_eq!(entry["channel"], "webhook");
}

fn channels_are_validated(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    for (body, field) in [
        (
            json!({"slack_webhook_url": "http://hooks.slack.com/x"}),
            "slack_webhook_url",
        ),
        (
            json!({"webhook": {"url": "ftp://x.example", "secret": WEBHOOK_SECRET}}),
            "webhook",
        ),
        (
            json!({"webhook": {"url": "https://x.example", "secret": "short"}}),
            "webhook",
        ),
        (json!({"email": {"to": ["nobody"]}}), "email"),
        (json!({"pager": "x"}), "pager"),
    ] {
        let reply = put_notifications(ctx, &key, &body);
        reply.assert_error(422, "validation_error");
        assert_eq!(reply.error_field(), Some(field), "{body}");
    }
    let (reader, _) = mint(ctx, &key, json!({"scope": "secrets:read:*"}));
    ctx.api()
        .get("/v1/notifications", Some(&reader))
        .assert_error(403, "permission_denied");
    // Nothing configured: GET shows every channel off.
    let empty = ctx.api().get("/v1/notifications", Some(&key));
    assert_eq!(
        empty.body,
        json!({"slack": null, "webhook": null, "email": null})
    );
}
