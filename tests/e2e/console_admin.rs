//! The web console's administration pages (issue 25): projects and environments, workflows
//! and policies, notification channels, and connected OAuth apps on the tokens page, in
//! headless Chromium (`tests/browser/admin.mjs`), each checked afterwards through the API; and
//! the console's cookie on the `/api/v1` face those pages call, with the same CSRF and Origin
//! proofs as on `/v1`.

use crate::Ctx;
use crate::console::{add_person, browse, console_call, log_in, origin, tenant_with_person};
use crate::oauth::{grant, mcp_status, person};
use crate::people::{ADMIN_ROLE, APPROVER_ROLE};
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "console_admin::console_cookie_reaches_the_face_with_its_proofs",
        console_cookie_reaches_the_face_with_its_proofs,
    ),
    (
        "console_admin::console_admin_pages_pass_in_chromium",
        console_admin_pages_pass_in_chromium,
    ),
];

fn console_cookie_reaches_the_face_with_its_proofs(ctx: &Ctx) {
    let (tenant, key, email) = tenant_with_person(ctx, &[ADMIN_ROLE]);
    let (_, session) = log_in(ctx, &tenant, &email);
    let from = origin(ctx);
    let get = |csrf| {
        console_call(
            ctx,
            "GET",
            "/api/v1/workflows",
            &session.cookie,
            csrf,
            None,
            None,
        )
    };
    let listed = get(Some(&session.csrf));
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["workflows"][0]["id"], "default");
    assert_eq!(get(None).status, 403);
    let project = json!({"name": "console-face"});
    let forged = console_call(
        ctx,
        "POST",
        "/api/v1/projects",
        &session.cookie,
        Some(&session.csrf),
        Some("https://evil.example"),
        Some(project.clone()),
    );
    assert_eq!(forged.status, 403, "{}", forged.text);
    let created = console_call(
        ctx,
        "POST",
        "/api/v1/projects",
        &session.cookie,
        Some(&session.csrf),
        Some(&from),
        Some(project),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let projects = ctx.api().get("/api/v1/projects", Some(&key));
    assert_eq!(projects.body["projects"].as_array().map(Vec::len), Some(1));
    // A person without `projects:admin` is refused by the API, whatever the page shows.
    let approver = add_person(ctx, &key, &[APPROVER_ROLE]);
    let (_, theirs) = log_in(ctx, &tenant, &approver);
    let refused = console_call(
        ctx,
        "POST",
        "/api/v1/projects",
        &theirs.cookie,
        Some(&theirs.csrf),
        Some(&from),
        Some(json!({"name": "not-theirs"})),
    );
    assert_eq!(refused.status, 403, "{}", refused.text);
}

fn console_admin_pages_pass_in_chromium(ctx: &Ctx) {
    // A tenant where a person connected an OAuth app (consent in Chromium), and an admin.
    let connector = person(ctx);
    let (client_id, access, _) = grant(ctx, &connector, "Console connector");
    let key = connector.key.clone();
    let email = add_person(ctx, &key, &[ADMIN_ROLE]);
    let approver = add_person(ctx, &key, &[APPROVER_ROLE]);
    // A secret the environment will hold: deleting it, or archiving its project, is refused.
    let stored = ctx
        .api()
        .create_secret(&key, &json!({"path": "shop/prod/db", "value": "v"}));
    assert_eq!(stored.status, 201, "{}", stored.text);
    let webhook_secret = latchkey_e2e::secret_value("console-webhook");
    let report = browse(
        ctx,
        "admin.mjs",
        &connector.tenant,
        &email,
        &[
            ("CONSOLE_APPROVER_EMAIL", &approver),
            ("CONSOLE_APP", "Console connector"),
            ("CONSOLE_WEBHOOK_SECRET", &webhook_secret),
        ],
    );
    for journey in [
        "projects",
        "workflows",
        "policies",
        "channels",
        "connected_app_revoked",
        "refused_without_rights",
    ] {
        assert_eq!(report["journeys"][journey], "pass", "{journey}: {report}");
    }
    let checked = report["axe_serious_or_critical"]
        .as_object()
        .map_or(0, |pages| pages.len());
    assert_eq!(checked, 5, "axe ran on every page: {report}");
    let shown = |name: &str| report[name].as_str().unwrap_or("").to_owned();
    for link in ["workflows", "projects", "channels"] {
        assert_eq!(
            report[format!("approver_sees_{link}_link")],
            false,
            "{report}"
        );
    }
    assert!(
        shown("approver_channels_page").contains("admin permission"),
        "{report}"
    );

    // Projects: the environment is there with its cluster (its deletion was refused, naming
    // what it holds), and the project was archived only when forced.
    assert!(
        shown("environment_refusal").contains("1 stored secret"),
        "{report}"
    );
    assert!(
        shown("archive_refusal").contains("1 stored secret"),
        "{report}"
    );
    let environments = ctx.api().get("/api/v1/environments", Some(&key));
    let prod = &environments.body["environments"][0];
    assert_eq!(prod["name"], "prod", "{}", environments.text);
    assert_eq!(prod["path_prefix"], "shop/prod/");
    assert_eq!(prod["clusters"], json!(["eks-prod"]));
    let projects = ctx.api().get("/api/v1/projects", Some(&key));
    assert_eq!(
        projects.body["projects"][0]["status"], "archived",
        "{}",
        projects.text
    );
    assert_eq!(ctx.api().get_secret(&key, "shop/prod/db").status, 200);

    // Workflows: two stages (a role, then two listed people of whom both approve), at
    // revision 2 after the edit; still there, since the policy names it.
    let workflows = ctx.api().get("/api/v1/workflows", Some(&key));
    let two = workflows.body["workflows"]
        .as_array()
        .and_then(|all| all.iter().find(|w| w["name"] == "two-step"))
        .unwrap_or_else(|| panic!("no two-step: {}", workflows.text));
    assert_eq!(two["revision"], 2, "{two}");
    assert_eq!(two["stages"][0]["name"], "leads");
    assert_eq!(
        two["stages"][0]["approvers"],
        json!({"role": APPROVER_ROLE})
    );
    assert_eq!(two["stages"][0]["timeout_seconds"], 3600);
    assert_eq!(two["stages"][1]["approvals"], 2);
    assert_eq!(two["stages"][1]["timeout_seconds"], 7200);
    assert_eq!(
        two["stages"][1]["approvers"]["users"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{two}"
    );
    assert!(
        shown("workflow_delete_refusal").contains("prod-tokens")
            || shown("workflow_delete_refusal").contains("pol_"),
        "{report}"
    );
    // Policies: on the environment, for token requests, disabled on the page.
    let policies = ctx.api().get("/api/v1/policies", Some(&key));
    let policy = &policies.body["policies"][0];
    assert_eq!(policy["name"], "prod-tokens", "{}", policies.text);
    assert_eq!(policy["workflow_id"], two["id"]);
    assert_eq!(policy["environment_id"], prod["id"]);
    assert_eq!(policy["kind"], "token");
    assert_eq!(policy["enabled"], false);

    // Channels: stored as the page set them; the secret never came back to the page.
    assert_eq!(report["secret_on_page_after_save"], false, "{report}");
    assert!(
        shown("resave_without_secret").contains("secret again"),
        "{report}"
    );
    let channels = ctx.api().get("/v1/notifications", Some(&key));
    assert_eq!(channels.status, 200, "{}", channels.text);
    assert_eq!(
        channels.body["webhook"],
        json!({"url": "https://hooks.example.com/latchkey", "secret_set": true})
    );
    assert_eq!(
        channels.body["email"]["to"],
        json!(["security@example.com"])
    );
    assert!(!channels.text.contains(&webhook_secret));

    // The connected app: listed apart from the tokens, with its client, then revoked: the
    // grant's access token no longer reaches /mcp.
    assert!(shown("connected_row").contains(&client_id), "{report}");
    assert_eq!(report["grant_in_tokens_table"], 0, "{report}");
    assert_eq!(mcp_status(ctx, &access), 401);
}
