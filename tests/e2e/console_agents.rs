//! The console's agents pages (issue 25): what the agents discovered (certificates with their
//! expiry, SSH keys, inventoried secrets) reviewed in the browser, grants made and revoked
//! there, and a command sent to an agent, each checked through the API afterwards
//! (`tests/browser/console-agents.mjs`).

use crate::Ctx;
use crate::agent_envelopes::send;
use crate::agent_requests::{Agent, seal_post};
use crate::agents::new_agent;
use crate::console::{console_call, log_in, origin, tenant_with_person};
use crate::people::{ADMIN_ROLE, APPROVER_ROLE, PASSWORD, READER_ROLE, call, person};
use latchkey_core::time::Timestamp;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "console_agents::console_cookie_reads_discovered_secrets_with_its_token_only",
        console_cookie_reads_discovered_secrets_with_its_token_only,
    ),
    (
        "console_agents::console_agents_pages_pass_in_chromium",
        console_agents_pages_pass_in_chromium,
    ),
    (
        "console_agents::console_imports_a_discovered_secret_after_approval",
        console_imports_a_discovered_secret_after_approval,
    ),
];

/// The moment `days` from now, as RFC 3339.
fn days_from_now(days: i64) -> String {
    let now = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("milliseconds");
    Timestamp::from_unix_ms(now + days * 86_400_000)
        .expect("timestamp")
        .to_rfc3339()
}

fn certificate(subject: &str, fingerprint: &str, not_after: &str) -> Value {
    json!({
        "subject": format!("CN={subject}"),
        "issuer": "CN=Internal CA",
        "serial_number": "AB:CD:01",
        "not_before": days_from_now(-800),
        "not_after": not_after,
        "location": format!("/etc/ssl/certs/{subject}.pem"),
        "fingerprint": fingerprint,
        "dns_names": [subject],
        "source": "filesystem",
        "is_managed": false,
    })
}

/// A registered agent that reported three certificates (expired, expiring in 10 days, in 400),
/// an SSH key and an inventoried secret: `(id, name, jwt)`.
fn agent_with_discoveries(ctx: &Ctx, key: &str) -> (String, String, String) {
    let name = latchkey_e2e::unique("web");
    let (id, jwt) = new_agent(ctx, key, &name);
    let certificates = json!({"certificates": [
        certificate("soon.example", "SHA256:soon", &days_from_now(10)),
        certificate("later.example", "SHA256:later", &days_from_now(400)),
        certificate("old.example", "SHA256:old", &days_from_now(-5)),
    ]});
    let reported = send(
        ctx,
        "POST",
        "/v1/agents/me/discovery/certificates",
        &jwt,
        Some(&certificates),
    );
    assert_eq!(reported.status, 200, "{}", reported.text);
    let keys = json!({"keys": [{"fingerprint": "SHA256:console-key", "key_type": "ssh-ed25519",
        "bits": 256, "user": "deploy", "location": "/home/deploy/.ssh/authorized_keys",
        "kind": "authorized"}]});
    let reported = send(
        ctx,
        "POST",
        "/v1/agents/me/ssh-discovery",
        &jwt,
        Some(&keys),
    );
    assert_eq!(reported.status, 200, "{}", reported.text);
    let inventory = json!({"secrets": [{"cluster_name": "prod-eu", "provider": "kubernetes",
        "ref": "payments/db-creds", "key_names": ["username", "password"]}]});
    let uploaded = send(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/secrets/bulk"),
        &jwt,
        Some(&inventory),
    );
    assert_eq!(uploaded.status, 200, "{}", uploaded.text);
    (id, name, jwt)
}

/// The `/api/v1` face's own routes take the console's cookie as `/v1` does: with its CSRF
/// token, and only with it.
fn console_cookie_reads_discovered_secrets_with_its_token_only(ctx: &Ctx) {
    let (tenant, key, email) = tenant_with_person(ctx, &[ADMIN_ROLE]);
    let (id, _, _) = agent_with_discoveries(ctx, &key);
    let (_, session) = log_in(ctx, &tenant, &email);
    let bare = console_call(
        ctx,
        "GET",
        "/api/v1/secrets",
        &session.cookie,
        None,
        None,
        None,
    );
    assert_eq!(bare.status, 403, "{}", bare.text);
    assert!(!bare.text.contains("payments/db-creds"), "{}", bare.text);
    let foreign = console_call(
        ctx,
        "GET",
        "/api/v1/secrets",
        &session.cookie,
        Some(&session.csrf),
        Some("https://evil.example"),
        None,
    );
    assert_eq!(foreign.status, 403, "{}", foreign.text);
    let listed = console_call(
        ctx,
        "GET",
        "/api/v1/secrets",
        &session.cookie,
        Some(&session.csrf),
        Some(&origin(ctx)),
        None,
    );
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(
        listed.body["secrets"][0]["ref"], "payments/db-creds",
        "{}",
        listed.text
    );
    // A reader's session gets the reader's rights there too, and on the agents pages' routes.
    let reader = add_reader(ctx, &key);
    let (_, theirs) = log_in(ctx, &tenant, &reader);
    for url in [
        "/api/v1/secrets".to_owned(),
        format!("/v1/agents/{id}/commands"),
        format!("/v1/agents/{id}/discovery"),
        "/v1/grants".to_owned(),
    ] {
        let refused = console_call(
            ctx,
            "GET",
            &url,
            &theirs.cookie,
            Some(&theirs.csrf),
            None,
            None,
        );
        assert_eq!(refused.status, 403, "{url}: {}", refused.text);
    }
}

/// A reader in the master key's tenant: their email.
fn add_reader(ctx: &Ctx, key: &str) -> String {
    let email = format!("{}@example.com", latchkey_e2e::unique("reader"));
    let created = send(
        ctx,
        "POST",
        "/v1/users",
        key,
        Some(&json!({"email": email, "password": PASSWORD, "name": "Reader"})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let assigned = send(
        ctx,
        "POST",
        "/v1/user-roles",
        key,
        Some(&json!({"user_id": created.body["id"], "role_id": READER_ROLE})),
    );
    assert_eq!(assigned.status, 201, "{}", assigned.text);
    email
}

/// `tests/browser/console-agents.mjs` with `vars`: its report (asserted to have passed).
fn browse(ctx: &Ctx, tenant: &str, email: &str, vars: &[(&str, &str)]) -> Value {
    crate::console::browse(ctx, "console-agents.mjs", tenant, email, vars)
}

/// Import: the person asks for an inventoried secret on the Discovered page; someone else
/// approves, the holding agent reads it and posts it; the person stores it at a path from the
/// Requests page without it being shown. The API then holds it there as the secret's fields.
fn console_imports_a_discovered_secret_after_approval(ctx: &Ctx) {
    let (tenant, key, email) = tenant_with_person(ctx, &[ADMIN_ROLE]);
    let (_, approver) = person(ctx, &tenant, &key, "decider", &[APPROVER_ROLE]);
    let holder = Agent::new(ctx, &key, "import-holder");
    let secret_id = holder.discover(ctx, &key);
    let asked = browse(
        ctx,
        &tenant,
        &email,
        &[
            ("CONSOLE_PHASE", "import_ask"),
            ("CONSOLE_IMPORT_REF", "app/.env"),
        ],
    );
    assert_eq!(asked["journeys"]["import_ask"], "pass", "{asked}");
    let said = asked["import_result"].as_str().unwrap_or("");
    let request = said
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .find(|word| word.starts_with("req_"))
        .unwrap_or_else(|| panic!("no request id in {said:?}"))
        .to_owned();
    // Filed by the person, on the discovered secret; an approver decides.
    let listed = send(ctx, "GET", &format!("/v1/requests/{request}"), &key, None);
    assert_eq!(
        listed.body["secret_id"],
        secret_id.as_str(),
        "{}",
        listed.text
    );
    let approved = call(
        ctx,
        "POST",
        &format!("/api/v1/requests/{request}/approve"),
        Some(&approver),
        None,
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    // The holding agent reads it and posts it.
    let job = holder.claim(ctx);
    assert_eq!(job["params"]["request_id"], request.as_str(), "{job}");
    let job_id = job["id"].as_str().expect("job id");
    let value = latchkey_e2e::secret_value("console-import");
    let plaintext = json!({"data": {"USER": "app", "PASSWORD": value}}).to_string();
    let (key_id, dek) = holder.dek(ctx, &tenant);
    let (nonce, ciphertext) = seal_post(&dek, &tenant, &holder.id, job_id, plaintext.as_bytes());
    let posted = holder.send(
        ctx,
        "POST",
        "wraps",
        Some(json!({"job_id": job_id, "key_id": key_id, "nonce": nonce, "ciphertext": ciphertext})),
    );
    assert_eq!(posted.status, 201, "{}", posted.text);
    let done = holder.complete(ctx, job_id, json!({"status": "succeeded"}));
    assert_eq!(done.status, 204, "{}", done.text);

    let stored = browse(
        ctx,
        &tenant,
        &email,
        &[
            ("CONSOLE_PHASE", "import_store"),
            ("CONSOLE_IMPORT_REQUEST", &request),
            ("CONSOLE_IMPORT_PATH", "imported/app-env"),
            ("CONSOLE_IMPORT_VALUE", &value),
        ],
    );
    assert_eq!(stored["journeys"]["import_store"], "pass", "{stored}");
    assert!(
        stored["import_card"]
            .as_str()
            .is_some_and(|card| card.contains("applied")),
        "{stored}"
    );
    assert_eq!(stored["value_on_page"], false, "{stored}");
    assert_eq!(stored["value_on_secret_page"], false, "{stored}");
    let fields = send(
        ctx,
        "GET",
        "/v1/secrets/imported%2Fapp-env/fields",
        &key,
        None,
    );
    assert_eq!(fields.status, 200, "{}", fields.text);
    assert!(fields.text.contains(&value), "{}", fields.text);
    assert!(fields.text.contains("\"USER\""), "{}", fields.text);
    // The person's write, and the wrap retrieved once (a second retrieval is gone).
    let wrap = posted.body["wrap_id"].as_str().expect("wrap id");
    let again = console_session_unwrap(ctx, &tenant, &email, &request, wrap);
    assert_eq!(again, 410);
    let trail = send(ctx, "GET", "/v1/audit?type=secret.created", &key, None);
    assert!(
        trail.text.contains("imported/app-env") && trail.text.contains("user:"),
        "{}",
        trail.text
    );
}

/// The status of the person's retrieval of `wrap` through a console session of their own.
fn console_session_unwrap(ctx: &Ctx, tenant: &str, email: &str, request: &str, wrap: &str) -> u16 {
    let (_, session) = log_in(ctx, tenant, email);
    console_call(
        ctx,
        "GET",
        &format!("/v1/requests/{request}/wraps/{wrap}"),
        &session.cookie,
        Some(&session.csrf),
        None,
        None,
    )
    .status
}

fn console_agents_pages_pass_in_chromium(ctx: &Ctx) {
    let (tenant, key, email) = tenant_with_person(ctx, &[ADMIN_ROLE]);
    let (id, name, jwt) = agent_with_discoveries(ctx, &key);
    let (other_id, _) = new_agent(ctx, &key, &latchkey_e2e::unique("db"));
    let job = send(
        ctx,
        "POST",
        "/api/v1/jobs",
        &key,
        Some(&json!({"agent_id": id, "type": "inventory", "params": {"depth": 2}})),
    );
    assert_eq!(job.status, 201, "{}", job.text);
    let report = browse(
        ctx,
        &tenant,
        &email,
        &[
            ("CONSOLE_AGENT", &id),
            ("CONSOLE_OTHER_AGENT", &other_id),
            ("CONSOLE_AGENT_JWT", &jwt),
        ],
    );
    for journey in [
        "log_in",
        "discovered_review",
        "discovered_filters",
        "grants",
        "command",
    ] {
        assert_eq!(report["journeys"][journey], "pass", "{journey}: {report}");
    }
    let checked = report["axe_serious_or_critical"]
        .as_object()
        .map_or(0, |pages| pages.len());
    assert_eq!(checked, 5, "axe ran on every page: {report}");
    for page in ["discovered", "grants", "commands"] {
        assert_eq!(
            report[format!("{page}_phone_overflow")],
            false,
            "{page}: {report}"
        );
    }
    // The review: every certificate, its expiry in words, the SSH key and the inventory.
    assert_eq!(report["certificates"], 3, "{report}");
    assert_eq!(
        report["expiry"],
        json!({"CN=soon.example": "soon", "CN=later.example": "later", "CN=old.example": "expired"}),
        "{report}"
    );
    assert!(
        report["ssh_rows"][0]
            .as_str()
            .is_some_and(|row| row.contains("SHA256:console-key") && row.contains(&name)),
        "{report}"
    );
    assert!(
        report["secret_rows"][0]
            .as_str()
            .is_some_and(|row| row.contains("payments/db-creds")),
        "{report}"
    );
    let detail = report["detail"].as_str().unwrap_or("");
    for part in [
        "CN=Internal CA",
        "SHA256:soon",
        "/etc/ssl/certs/soon.example.pem",
    ] {
        assert!(detail.contains(part), "{part} in the detail: {report}");
    }
    assert_eq!(report["detail_focused"], "discovery-detail", "{report}");
    assert_eq!(
        report["focus_after_close"], "Details of CN=soon.example",
        "{report}"
    );
    // Imported under management on the page: recorded as the person, kept with the item, and
    // now one of the agent's assigned certificates (and only that one).
    assert_eq!(report["managed_cell"], "imported", "{report}");
    let seen = send(
        ctx,
        "GET",
        &format!("/v1/agents/{id}/discovery"),
        &key,
        None,
    );
    assert_eq!(seen.status, 200, "{}", seen.text);
    let soon = seen.body["certificates"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["fingerprint"] == "SHA256:soon"))
        .unwrap_or_else(|| panic!("no soon.example: {}", seen.text));
    assert!(
        soon["imported_by"]
            .as_str()
            .is_some_and(|by| by.starts_with("usr_")),
        "{soon}"
    );
    let assigned = send(ctx, "GET", "/v1/agents/me/certificates", &jwt, None);
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    let prints: Vec<&str> = assigned.body["certificates"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|c| c["fingerprint"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(prints, ["SHA256:soon"], "{}", assigned.text);
    // Filters: expiring within 30 days (the expired one too); another agent's: none.
    assert_eq!(
        report["within_30"],
        json!(["CN=old.example", "CN=soon.example"]),
        "{report}"
    );
    assert_eq!(report["within_30_ssh_table"], 0, "{report}");
    assert_eq!(report["other_agent_certificates"], 0, "{report}");
    assert_eq!(report["other_agent_secrets_table"], 0, "{report}");

    // The grant made on the page is the agent's; the one revoked there is gone.
    let grants = ctx
        .api()
        .get(&format!("/v1/grants?agent_id={id}"), Some(&key));
    assert_eq!(grants.status, 200, "{}", grants.text);
    let listed = grants.body["grants"].as_array().expect("grants");
    assert_eq!(listed.len(), 1, "{}", grants.text);
    assert_eq!(listed[0]["path"], "console/web/*", "{}", grants.text);
    assert_eq!(
        listed[0]["actions"],
        json!(["read", "rotate"]),
        "{}",
        grants.text
    );
    assert_eq!(report["grant_rows_after_revoke"], 1, "{report}");
    let deleted = ctx.api().get("/v1/audit?type=grant.deleted", Some(&key));
    assert_eq!(
        deleted.body["events"].as_array().map(Vec::len),
        Some(1),
        "{}",
        deleted.text
    );

    // The command sent on the page: listed waiting, taken by the agent's heartbeat, then
    // shown delivered; the API agrees. The job queued through the API is listed too.
    assert!(
        report["command_result"]
            .as_str()
            .is_some_and(|text| text.contains("force_sync")),
        "{report}"
    );
    assert_eq!(
        report["heartbeat_commands"],
        json!(["force_sync"]),
        "{report}"
    );
    assert!(
        report["command_row"]
            .as_str()
            .is_some_and(|row| row.contains("delivered") && row.contains("console")),
        "{report}"
    );
    assert!(
        report["job_rows"][0]
            .as_str()
            .is_some_and(|row| row.contains("inventory") && row.contains("queued")),
        "{report}"
    );
    let activity = ctx
        .api()
        .get(&format!("/v1/agents/{id}/commands"), Some(&key));
    assert_eq!(activity.status, 200, "{}", activity.text);
    let command = &activity.body["commands"][0];
    assert_eq!(command["type"], "force_sync", "{}", activity.text);
    assert_eq!(
        command["params"],
        json!({"reason": "console"}),
        "{}",
        activity.text
    );
    assert!(command["delivered_at"].is_string(), "{}", activity.text);
    // Newest first: the job queued on the page, then the test's.
    let jobs = activity.body["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 2, "{}", activity.text);
    assert_eq!(jobs[0]["type"], "sync", "{}", activity.text);
    assert_eq!(
        jobs[0]["params"],
        json!({"scope": "console"}),
        "{}",
        activity.text
    );
    assert_eq!(jobs[0]["status"], "queued", "{}", activity.text);
    assert_eq!(jobs[1]["id"], job.body["id"], "{}", activity.text);
}
