//! The web console (issue 25): its session on the wire (the cookie, the CSRF token, the Origin
//! check, logout), its headers, and its journeys in headless Chromium
//! (`tests/browser/console.mjs`).

use crate::Ctx;
use crate::people::{ADMIN_ROLE, APPROVER_ROLE, PASSWORD, READER_ROLE};
use latchkey_e2e::client::{Body, Reply};
use latchkey_e2e::runtime::repo_root;
use serde_json::{Value, json};
use std::process::Command;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "console::console_page_has_a_strict_csp_and_refuses_framing",
        console_page_has_a_strict_csp_and_refuses_framing,
    ),
    (
        "console::console_login_sets_a_cookie_page_script_cannot_read",
        console_login_sets_a_cookie_page_script_cannot_read,
    ),
    (
        "console::console_cookie_without_the_csrf_token_is_refused",
        console_cookie_without_the_csrf_token_is_refused,
    ),
    (
        "console::console_cookie_from_a_foreign_origin_is_refused",
        console_cookie_from_a_foreign_origin_is_refused,
    ),
    (
        "console::console_login_from_a_foreign_origin_is_refused",
        console_login_from_a_foreign_origin_is_refused,
    ),
    (
        "console::console_logout_revokes_the_session_server_side",
        console_logout_revokes_the_session_server_side,
    ),
    (
        "console::console_session_gets_only_the_persons_rights",
        console_session_gets_only_the_persons_rights,
    ),
    (
        "console::console_journeys_pass_in_chromium",
        console_journeys_pass_in_chromium,
    ),
    (
        "console::console_lighthouse_mobile_scores_at_least_90",
        console_lighthouse_mobile_scores_at_least_90,
    ),
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A person with `roles` in a new tenant: `(tenant, master key, email)`.
pub(crate) fn tenant_with_person(ctx: &Ctx, roles: &[&str]) -> (String, String, String) {
    let (tenant, key) = ctx.new_tenant();
    let email = add_person(ctx, &key, roles);
    (tenant, key, email)
}

/// Another person with `roles` in the master key's tenant: their email.
pub(crate) fn add_person(ctx: &Ctx, key: &str, roles: &[&str]) -> String {
    let email = format!("{}@example.com", latchkey_e2e::unique("console"));
    let created = ctx.api().send(
        "POST",
        "/v1/users",
        Some(key),
        &[],
        Body::Json(&json!({"email": email, "password": PASSWORD, "name": "Console"})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    for role in roles {
        let assigned = ctx.api().send(
            "POST",
            "/v1/user-roles",
            Some(key),
            &[],
            Body::Json(&json!({"user_id": id, "role_id": role})),
        );
        assert_eq!(assigned.status, 201, "{}", assigned.text);
    }
    email
}

/// The console's session: the cookie header to send back and the CSRF token.
pub(crate) struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// Runs `tests/browser/<script>` against the console as `email` of `tenant`, with `vars`
/// besides, and answers its one-line report, after checking that it exited 0 and that axe-core
/// found no serious or critical violation on any page it checked. Screenshots go to
/// `.tmp/screenshots/`.
pub(crate) fn browse(
    ctx: &Ctx,
    script: &str,
    tenant: &str,
    email: &str,
    vars: &[(&str, &str)],
) -> Value {
    let shots = repo_root().join(".tmp/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    let output = Command::new(repo_root().join("node_modules/.bin/node"))
        .current_dir(repo_root())
        .arg(format!("tests/browser/{script}"))
        .env("CONSOLE_URL", format!("{}/console/", origin(ctx)))
        .env("CONSOLE_TENANT", tenant)
        .env("CONSOLE_EMAIL", email)
        .env("CONSOLE_PASSWORD", PASSWORD)
        .env("CONSOLE_SHOTS", &shots)
        .envs(vars.iter().copied())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} failed (scripts/setup installs Chromium, playwright-core and axe-core):\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("")).expect("one JSON line");
    for (page, found) in report["axe_serious_or_critical"]
        .as_object()
        .expect("axe results")
    {
        assert_eq!(found, &json!([]), "axe on {page}: {report}");
    }
    report
}

pub(crate) fn origin(ctx: &Ctx) -> String {
    ctx.runtime.base_url.trim_end_matches('/').to_owned()
}

pub(crate) fn log_in(ctx: &Ctx, tenant: &str, email: &str) -> (Reply, Session) {
    let reply = ctx.api().send(
        "POST",
        "/console/session",
        None,
        &[("Origin", &origin(ctx))],
        Body::Json(&json!({"tenant": tenant, "email": email, "password": PASSWORD})),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let set = reply.header("set-cookie").expect("Set-Cookie").to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let csrf = reply.body["csrf_token"]
        .as_str()
        .expect("csrf_token")
        .to_owned();
    (reply, Session { cookie, csrf })
}

/// A request as the console page sends it, with the proofs given.
pub(crate) fn console_call(
    ctx: &Ctx,
    method: &str,
    url: &str,
    cookie: &str,
    csrf: Option<&str>,
    from: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut headers: Vec<(&str, &str)> = vec![("Cookie", cookie)];
    if let Some(token) = csrf {
        headers.push(("X-Latchkey-CSRF", token));
    }
    if let Some(origin) = from {
        headers.push(("Origin", origin));
    }
    let body = body.as_ref().map_or(Body::None, Body::Json);
    ctx.api().send(method, url, None, &headers, body)
}

fn console_page_has_a_strict_csp_and_refuses_framing(ctx: &Ctx) {
    let api = ctx.api();
    for url in [
        "/console/",
        "/console/app.js",
        "/console/app.css",
        "/console/session",
    ] {
        let reply = api.get(url, None);
        assert_eq!(reply.header("content-security-policy"), Some(CSP), "{url}");
        assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{url}");
        assert_eq!(
            reply.header("referrer-policy"),
            Some("no-referrer"),
            "{url}"
        );
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{url}"
        );
    }
    let page = api.get("/console/", None);
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text.contains("/console/app.js"));
    // No inline script or style on the page: the CSP would block them.
    assert!(!page.text.contains("<script>") && !page.text.contains("style="));
    let script = api.get("/console/app.js", None);
    assert_eq!(script.status, 200);
    assert!(
        script
            .header("content-type")
            .unwrap()
            .contains("javascript")
    );
    // Not logged in: the session answers 401 (and is never cached).
    let session = api.get("/console/session", None);
    assert_eq!(session.status, 401, "{}", session.text);
    assert_eq!(session.header("cache-control"), Some("no-store"));
    assert_eq!(api.get("/console/nope.js", None).status, 404);
    // `/console` redirects to the page (the client follows it).
    let redirected = api.get("/console", None);
    assert_eq!(redirected.status, 200);
    assert!(redirected.text.contains("/console/app.js"));
}

fn console_login_sets_a_cookie_page_script_cannot_read(ctx: &Ctx) {
    let (tenant, _, email) = tenant_with_person(ctx, &[READER_ROLE]);
    let (reply, session) = log_in(ctx, &tenant, &email);
    let set = reply.header("set-cookie").unwrap();
    for part in [
        "__Host-latchkey_console=lk_cs_",
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
    ] {
        assert!(set.contains(part), "{part} in {set}");
    }
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.body["email"], email.as_str());
    // The body never carries the session itself, nor a JWT.
    assert!(
        !reply.text.contains("lk_cs_") && !reply.text.contains("eyJ"),
        "{}",
        reply.text
    );
    // A reload: the cookie alone describes the session, with the same token.
    let again = console_call(
        ctx,
        "GET",
        "/console/session",
        &session.cookie,
        None,
        None,
        None,
    );
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["csrf_token"], session.csrf.as_str());
}

fn console_cookie_without_the_csrf_token_is_refused(ctx: &Ctx) {
    let (tenant, key, email) = tenant_with_person(ctx, &[ADMIN_ROLE]);
    let (_, session) = log_in(ctx, &tenant, &email);
    let from = origin(ctx);
    let body = json!({"path": "console/no-token", "value": "v"});
    let refused = console_call(
        ctx,
        "POST",
        "/v1/secrets",
        &session.cookie,
        None,
        Some(&from),
        Some(body.clone()),
    );
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(refused.text.contains("X-Latchkey-CSRF"), "{}", refused.text);
    let wrong = console_call(
        ctx,
        "POST",
        "/v1/secrets",
        &session.cookie,
        Some("forged"),
        Some(&from),
        Some(body.clone()),
    );
    assert_eq!(wrong.status, 403, "{}", wrong.text);
    // Reads need it too: a cookie alone reads nothing.
    let read = console_call(ctx, "GET", "/v1/secrets", &session.cookie, None, None, None);
    assert_eq!(read.status, 403, "{}", read.text);
    assert_eq!(ctx.api().get("/v1/secrets", Some(&key)).body["total"], 0);
    let created = console_call(
        ctx,
        "POST",
        "/v1/secrets",
        &session.cookie,
        Some(&session.csrf),
        Some(&from),
        Some(body),
    );
    assert_eq!(created.status, 201, "{}", created.text);
}

fn console_cookie_from_a_foreign_origin_is_refused(ctx: &Ctx) {
    let (tenant, key, email) = tenant_with_person(ctx, &[ADMIN_ROLE]);
    let (_, session) = log_in(ctx, &tenant, &email);
    let body = json!({"path": "console/forged", "value": "v"});
    for from in [Some("https://evil.example"), Some("null"), None] {
        let refused = console_call(
            ctx,
            "POST",
            "/v1/secrets",
            &session.cookie,
            Some(&session.csrf),
            from,
            Some(body.clone()),
        );
        assert_eq!(refused.status, 403, "{from:?}: {}", refused.text);
    }
    let logout = console_call(
        ctx,
        "DELETE",
        "/console/session",
        &session.cookie,
        Some(&session.csrf),
        Some("https://evil.example"),
        None,
    );
    assert_eq!(logout.status, 403, "{}", logout.text);
    assert_eq!(ctx.api().get("/v1/secrets", Some(&key)).body["total"], 0);
    // The session still works from the console itself.
    let listed = console_call(
        ctx,
        "GET",
        "/v1/secrets",
        &session.cookie,
        Some(&session.csrf),
        None,
        None,
    );
    assert_eq!(listed.status, 200, "{}", listed.text);
}

fn console_login_from_a_foreign_origin_is_refused(ctx: &Ctx) {
    let (tenant, _, email) = tenant_with_person(ctx, &[READER_ROLE]);
    let reply = ctx.api().send(
        "POST",
        "/console/session",
        None,
        &[("Origin", "https://evil.example")],
        Body::Json(&json!({"tenant": tenant, "email": email, "password": PASSWORD})),
    );
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert!(reply.header("set-cookie").is_none());
    let wrong = ctx.api().send(
        "POST",
        "/console/session",
        None,
        &[("Origin", &origin(ctx))],
        Body::Json(&json!({"tenant": tenant, "email": email, "password": "not the password"})),
    );
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert!(wrong.header("set-cookie").is_none());
}

fn console_logout_revokes_the_session_server_side(ctx: &Ctx) {
    let (tenant, key, email) = tenant_with_person(ctx, &[READER_ROLE]);
    let (_, session) = log_in(ctx, &tenant, &email);
    let from = origin(ctx);
    let out = console_call(
        ctx,
        "DELETE",
        "/console/session",
        &session.cookie,
        Some(&session.csrf),
        Some(&from),
        None,
    );
    assert_eq!(out.status, 204, "{}", out.text);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    // The old cookie, replayed, authenticates nothing.
    let replayed = console_call(
        ctx,
        "GET",
        "/v1/secrets",
        &session.cookie,
        Some(&session.csrf),
        None,
        None,
    );
    assert_eq!(replayed.status, 401, "{}", replayed.text);
    let described = console_call(
        ctx,
        "GET",
        "/console/session",
        &session.cookie,
        None,
        None,
        None,
    );
    assert_eq!(described.status, 401, "{}", described.text);
    let events = ctx
        .api()
        .get("/v1/audit?type=console.session_closed", Some(&key));
    assert_eq!(
        events.body["events"].as_array().unwrap().len(),
        1,
        "{}",
        events.text
    );
    let opened = ctx
        .api()
        .get("/v1/audit?type=console.session_opened", Some(&key));
    assert_eq!(
        opened.body["events"].as_array().unwrap().len(),
        1,
        "{}",
        opened.text
    );
}

fn console_session_gets_only_the_persons_rights(ctx: &Ctx) {
    let (tenant, _, email) = tenant_with_person(ctx, &[READER_ROLE]);
    let (reply, session) = log_in(ctx, &tenant, &email);
    assert!(
        !reply.body["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("admin")),
        "{}",
        reply.text
    );
    let from = origin(ctx);
    let users = console_call(
        ctx,
        "GET",
        "/v1/users",
        &session.cookie,
        Some(&session.csrf),
        None,
        None,
    );
    assert_eq!(users.status, 403, "{}", users.text);
    let created = console_call(
        ctx,
        "POST",
        "/v1/secrets",
        &session.cookie,
        Some(&session.csrf),
        Some(&from),
        Some(json!({"path": "console/reader", "value": "v"})),
    );
    assert_eq!(created.status, 403, "{}", created.text);
}

fn console_journeys_pass_in_chromium(ctx: &Ctx) {
    let (tenant, key, email) = tenant_with_person(ctx, &[ADMIN_ROLE]);
    let approver = add_person(ctx, &key, &[APPROVER_ROLE]);
    // A sensitive secret: a token that reaches it waits for an approver (journey 5).
    let sensitive = latchkey_e2e::secret_value("console-sensitive");
    let stored = ctx.api().create_secret(
        &key,
        &json!({"path": "vault/db", "value": sensitive, "tier": "sensitive"}),
    );
    assert_eq!(stored.status, 201, "{}", stored.text);
    let value = latchkey_e2e::secret_value("console-first");
    let rotated = latchkey_e2e::secret_value("console-rotated");
    let report = browse(
        ctx,
        "console.mjs",
        &tenant,
        &email,
        &[
            ("CONSOLE_VALUE", &value),
            ("CONSOLE_ROTATED", &rotated),
            ("CONSOLE_APPROVER_EMAIL", &approver),
            ("CONSOLE_TOKEN_SCOPE", "secrets:read:vault/*"),
            ("CONSOLE_SENSITIVE", &sensitive),
        ],
    );
    let journeys = &report["journeys"];
    for journey in [
        "1_log_in",
        "2_create",
        "3_reveal_and_audit",
        "4_rotate",
        "5_token_approved",
        "6_token_revoked",
        "edit_allowed_hosts",
        "edit_metadata_only",
        "7_agent_online",
        "people_admin",
        "access_request",
        "delete_restore",
        "8_live_tail",
        "9_verify_chain",
        "log_out",
    ] {
        assert_eq!(journeys[journey], "pass", "journey {journey}: {report}");
    }
    assert_eq!(report["cookie_visible_to_script"], "", "{report}");
    assert_eq!(report["csp_blocked_inline_script"], true, "{report}");
    assert_eq!(report["fetch_without_csrf_status"], 403, "{report}");
    assert_eq!(report["value_left_in_dom_after_hide"], false, "{report}");
    assert_eq!(report["value_left_in_dom_after_timeout"], false, "{report}");
    let checked = report["axe_serious_or_critical"]
        .as_object()
        .map_or(0, |pages| pages.len());
    assert!(checked >= 4, "axe ran on every page: {report}");
    assert!(
        report["agent_row"]
            .as_str()
            .unwrap_or("")
            .contains("environment=test"),
        "{report}"
    );
    // Journeys 5 and 6: the approved token read the sensitive secret until it was revoked.
    assert_eq!(report["approver_sees_tokens_link"], false, "{report}");
    assert_eq!(report["approver_sees_agents_link"], false, "{report}");
    assert_eq!(report["approver_fleet_rows"], 0, "{report}");
    assert_eq!(report["retrieve_buttons_after"], 0, "{report}");
    // The message's console link: tenant filled in, the request focused after login.
    assert_eq!(report["deep_link_tenant"], tenant.as_str(), "{report}");
    assert!(
        report["deep_link_request"]
            .as_str()
            .is_some_and(|id| id.starts_with("req_")),
        "{report}"
    );
    assert_eq!(
        report["deep_link_focused"], report["deep_link_request"],
        "{report}"
    );
    assert_eq!(report["approver_sees_people_link"], false, "{report}");
    assert_eq!(report["approver_people_rows"], 0, "{report}");
    assert!(
        report["approver_people_page"]
            .as_str()
            .unwrap_or("")
            .contains("need the users:admin permission"),
        "{report}"
    );
    // The role made on the People page holds what was saved, and the added person holds it.
    let roles = ctx.api().get("/v1/roles", Some(&key));
    let auditors = roles.body["roles"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["name"] == "auditors"))
        .unwrap_or_else(|| panic!("no auditors role: {}", roles.text));
    assert_eq!(
        auditors["permissions"],
        json!(["audit:read", "secrets:read:console/*"]),
        "{auditors}"
    );
    // The person the admin added on the People page can log in, as a reader (and auditor).
    let added = report["added_person"].as_str().expect("added person");
    let (_, added_session) = log_in(ctx, &tenant, added);
    let reads = console_call(
        ctx,
        "GET",
        "/v1/secrets",
        &added_session.cookie,
        Some(&added_session.csrf),
        None,
        None,
    );
    assert_eq!(reads.status, 200, "{}", reads.text);
    assert!(
        report["approver_agents_page"]
            .as_str()
            .unwrap_or("")
            .contains("needs the agents:admin permission"),
        "{report}"
    );
    let token = report["token_value"].as_str().expect("the released token");
    assert!(token.starts_with("lk_tok_"), "{report}");
    assert_eq!(ctx.api().get_secret(token, "vault/db").status, 401);
    // The API agrees: the secret is at version 3 (rotated, then edited with the broker's
    // allowed host, then its metadata alone), and the reveal was recorded as the person's read.
    // Then the metadata alone (tags, a raised tier): still version 3.
    let read = ctx.api().get_secret(&key, "console/db-password");
    assert_eq!(read.body["version"], 3, "{}", read.text);
    assert_eq!(report["version_after_metadata_edit"], "3", "{report}");
    assert_eq!(read.body["tags"], json!({"team": "core"}), "{}", read.text);
    assert_eq!(read.body["tier"], "critical", "{}", read.text);
    assert_eq!(
        read.body["allowed_hosts"],
        json!([{"host": "api.example.com"}]),
        "{}",
        read.text
    );
    assert!(
        report["exported_events"].as_u64().unwrap_or(0) > 10,
        "{report}"
    );
    assert_eq!(read.body["value"], rotated.as_str());
    let reads = ctx
        .api()
        .get("/v1/audit?type=secret.read&namespace=console", Some(&key));
    let events = reads.body["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["actor"].as_str().unwrap_or("").starts_with("user:")),
        "{}",
        reads.text
    );
}

/// Lighthouse's mobile profile on the main pages (login, secrets, a secret, tokens, audit,
/// approvals, requests): performance and accessibility at least 0.9 each. The figures (and each page's full report) go to `.tmp/screenshots/`.
fn console_lighthouse_mobile_scores_at_least_90(ctx: &Ctx) {
    let (tenant, key, email) = tenant_with_person(ctx, &[ADMIN_ROLE]);
    for i in 0..30 {
        let stored = ctx.api().create_secret(
            &key,
            &json!({"path": format!("team{}/service-{i}", i % 4), "value": "v", "tags": {"team": "ops"}}),
        );
        assert_eq!(stored.status, 201, "{}", stored.text);
    }
    let shots = repo_root().join(".tmp/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    let output = Command::new(repo_root().join("node_modules/.bin/node"))
        .current_dir(repo_root())
        .arg("tests/browser/lighthouse.mjs")
        .env("CONSOLE_URL", format!("{}/console/", origin(ctx)))
        .env("CONSOLE_TENANT", &tenant)
        .env("CONSOLE_EMAIL", &email)
        .env("CONSOLE_PASSWORD", PASSWORD)
        .env("CONSOLE_SECRET", "team1/service-1")
        .env("CONSOLE_SHOTS", &shots)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "lighthouse failed (npm ci installs it; it runs Debian's Chromium):\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("")).expect("one JSON line");
    std::fs::write(shots.join("lighthouse.json"), report.to_string()).expect("write figures");
    let pages = report["pages"].as_object().expect("pages");
    assert_eq!(pages.len(), 7, "{report}");
    for (page, scores) in pages {
        for category in ["performance", "accessibility"] {
            let score = scores[category].as_f64().unwrap_or(0.0);
            assert!(score >= 0.9, "{page} {category} {score}: {report}");
        }
    }
}
