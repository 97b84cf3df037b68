//! A real browser: headless Chromium opens an approver's emailed link, clicks Approve, and
//! the API then shows the request approved; the same link opened again is refused.

use crate::Ctx;
use crate::tokens::mint;
use latchkey_e2e::client::Body;
use latchkey_e2e::runtime::repo_root;
use serde_json::{Value, json};
use std::process::Command;

pub const TESTS: &[(&str, crate::Test)] = &[(
    "browser::approver_clicks_approve_in_chromium",
    approver_clicks_approve_in_chromium,
)];

fn approver_clicks_approve_in_chromium(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let (agent, _) = mint(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "secrets:read:ops/*"], "description": "deploy bot"}),
    );
    let channels = api.send(
        "PUT",
        "/v1/notifications",
        Some(&key),
        &[],
        Body::Json(&json!({"email": {"to": ["carol@example.com"]}})),
    );
    assert_eq!(channels.status, 200, "{}", channels.text);
    let secret = api.create_secret(
        &key,
        &json!({"path": "ops/deploy-key", "value": "never-on-the-page", "tier": "sensitive"}),
    );
    assert_eq!(secret.status, 201);
    let requested = api.create_token(&agent, &json!({"scope": "secrets:read:ops/*"}));
    assert_eq!(requested.status, 202, "{}", requested.text);
    let id = requested.body["approval_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = ctx.sink.emailed_link(&id, None);

    let output = Command::new(repo_root().join("node_modules/.bin/node"))
        .current_dir(repo_root())
        .arg("tests/browser/approve.mjs")
        .arg(&link)
        .output()
        .expect("run node");
    assert!(
        output.status.success(),
        "the browser script failed (scripts/setup installs Chromium and playwright-core):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    assert_eq!(report["first_status"], 200, "{report}");
    assert_eq!(report["approve_buttons"], 1, "{report}");
    let shown = report["shown"].as_str().unwrap();
    assert!(
        shown.contains("deploy bot") && shown.contains("secrets:read:ops/*"),
        "{shown}"
    );
    assert!(!shown.contains("never-on-the-page"));
    assert_eq!(report["decided_status"], 200, "{report}");
    assert!(
        report["outcome"]
            .as_str()
            .unwrap()
            .contains("approval is recorded"),
        "{report}"
    );
    assert_eq!(report["second_status"], 409, "{report}");
    assert!(
        report["again"]
            .as_str()
            .unwrap()
            .contains("already been used"),
        "{report}"
    );

    let view = api.get(&format!("/v1/approvals/{id}"), Some(&agent));
    assert_eq!(view.body["status"], "approved", "{}", view.text);
    assert_eq!(view.body["approvers"], json!(["email:carol@example.com"]));
    assert_eq!(view.body["decisions"][0]["note"], "approved in a browser");
    let token = view.body["token"]["value"]
        .as_str()
        .expect("released token");
    assert_eq!(
        api.get_secret(token, "ops/deploy-key").body["value"],
        "never-on-the-page"
    );
}
