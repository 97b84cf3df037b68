//! People against the real runtime: users and login, the failed-login lockout,
//! roles and the permission catalog, and a 403 naming the permission on every admin route.

use crate::Ctx;
use latchkey_e2e::Reply;
use latchkey_e2e::client::Body;
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "people::users_log_in_and_roles_decide_what_they_may_do",
        users_log_in_and_roles_decide_what_they_may_do,
    ),
    (
        "people::every_admin_route_needs_its_permission",
        every_admin_route_needs_its_permission,
    ),
    (
        "people::failed_logins_lock_out_without_revealing_accounts",
        failed_logins_lock_out_without_revealing_accounts,
    ),
    (
        "people::approvers_decide_token_requests",
        approvers_decide_token_requests,
    ),
    ("people::input_is_validated", input_is_validated),
    (
        "people::other_tenants_see_nothing",
        other_tenants_see_nothing,
    ),
];

pub const PASSWORD: &str = "correct horse battery staple";
pub const ADMIN_ROLE: &str = "rol_000000000000000000000001";
pub const APPROVER_ROLE: &str = "rol_000000000000000000000002";
pub const READER_ROLE: &str = "rol_000000000000000000000003";

pub fn call(
    ctx: &Ctx,
    method: &str,
    url: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> Reply {
    call_from(ctx, method, url, bearer, body, "203.0.113.7")
}

fn call_from(
    ctx: &Ctx,
    method: &str,
    url: &str,
    bearer: Option<&str>,
    body: Option<Value>,
    ip: &str,
) -> Reply {
    let headers = [("CF-Connecting-IP", ip)];
    match &body {
        Some(body) => ctx
            .api()
            .send(method, url, bearer, &headers, Body::Json(body)),
        None => ctx.api().send(method, url, bearer, &headers, Body::None),
    }
}

/// A user made by `admin` with `roles`: `(user id, login JWT)`.
pub fn person(
    ctx: &Ctx,
    tenant: &str,
    admin: &str,
    label: &str,
    roles: &[&str],
) -> (String, String) {
    let email = format!("{}@example.com", latchkey_e2e::unique(label));
    let created = call(
        ctx,
        "POST",
        "/v1/users",
        Some(admin),
        Some(json!({"email": email, "password": PASSWORD, "name": label})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("id").to_owned();
    for role in roles {
        let assigned = call(
            ctx,
            "POST",
            "/v1/user-roles",
            Some(admin),
            Some(json!({"user_id": id, "role_id": role})),
        );
        assert_eq!(assigned.status, 201, "{}", assigned.text);
    }
    (id, login(ctx, tenant, &email))
}

pub fn login(ctx: &Ctx, tenant: &str, email: &str) -> String {
    let reply = call(
        ctx,
        "POST",
        "/v1/auth/login",
        None,
        Some(json!({"tenant": tenant, "email": email, "password": PASSWORD})),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["token"].as_str().expect("token").to_owned()
}

fn users_log_in_and_roles_decide_what_they_may_do(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    assert_eq!(
        api.create_secret(&key, &json!({"path": "app/db", "value": "standard-value"}))
            .status,
        201
    );
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "app/root", "value": "critical-value", "tier": "critical"})
        )
        .status,
        201
    );
    let email = format!("{}@Example.com", latchkey_e2e::unique("ada"));
    let created = call(
        ctx,
        "POST",
        "/v1/users",
        Some(&key),
        Some(json!({"email": email, "password": PASSWORD, "name": "Ada"})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(!created.text.contains(PASSWORD) && !created.text.contains("hash"));
    let user_id = created.body["id"].as_str().unwrap().to_owned();
    assert!(user_id.starts_with("usr_"));
    assert_eq!(created.body["email"], email.to_lowercase());
    let listed = call(ctx, "GET", "/v1/users", Some(&key), None);
    assert_eq!(listed.status, 200);
    assert!(listed.text.contains(&user_id) && !listed.text.contains(PASSWORD));

    // Login: the email is matched case-insensitively; the answer is `{token, expires_at, user}`.
    let reply = call(
        ctx,
        "POST",
        "/v1/auth/login",
        None,
        Some(json!({"tenant": tenant, "email": email.to_uppercase(), "password": PASSWORD})),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["user"]["id"], user_id.as_str());
    assert!(reply.body["expires_at"].is_string());
    assert!(reply.header("X-RateLimit-Limit").is_none());
    let jwt = reply.body["token"].as_str().unwrap().to_owned();

    // No role: authenticated, but no reach.
    let catalog = call(ctx, "GET", "/v1/permissions", Some(&jwt), None);
    assert_eq!(catalog.status, 200, "{}", catalog.text);
    let names: Vec<&str> = catalog.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["permission"].as_str().unwrap())
        .collect();
    for wanted in [
        "users:admin",
        "roles:admin",
        "approvals:decide",
        "secrets:read:<glob>",
    ] {
        assert!(names.contains(&wanted), "{names:?}");
    }
    let denied = api.get_secret(&jwt, "app/db");
    denied.assert_error(403, "permission_denied");
    assert_eq!(denied.body["error"]["required_scope"], "secrets:read:app/*");

    // The built-in reader role: standard secrets directly, critical ones only by request.
    let roles = call(ctx, "GET", "/v1/roles", Some(&jwt), None);
    assert_eq!(roles.status, 200);
    let built_in: Vec<&str> = roles.body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["built_in"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(built_in, ["admin", "approver", "reader"]);
    let assigned = call(
        ctx,
        "POST",
        "/v1/user-roles",
        Some(&key),
        Some(json!({"user_id": user_id, "role_id": READER_ROLE})),
    );
    assert_eq!(assigned.status, 201, "{}", assigned.text);
    let assignment = assigned.body["id"].as_str().unwrap().to_owned();
    assert_eq!(assigned.body["role_name"], "reader");
    let again = call(
        ctx,
        "POST",
        "/v1/user-roles",
        Some(&key),
        Some(json!({"user_id": user_id, "role_id": READER_ROLE})),
    );
    again.assert_error(409, "conflict");
    assert_eq!(
        api.get_secret(&jwt, "app/db").body["value"],
        "standard-value"
    );
    let critical = api.get_secret(&jwt, "app/root");
    critical.assert_error(403, "permission_denied");
    assert!(
        critical.text.contains("/v1/requests/read"),
        "{}",
        critical.text
    );
    let mine = call(
        ctx,
        "GET",
        &format!("/v1/users/{user_id}/roles"),
        Some(&jwt),
        None,
    );
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.body["roles"][0]["name"], "reader");

    // A custom role, changed while held: the change counts from the next request.
    let role = call(
        ctx,
        "POST",
        "/v1/roles",
        Some(&key),
        Some(json!({"name": "app-writers", "permissions": ["secrets:write:app/*"]})),
    );
    assert_eq!(role.status, 201, "{}", role.text);
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    let given = call(
        ctx,
        "POST",
        "/v1/user-roles",
        Some(&key),
        Some(json!({"user_id": user_id, "role_id": role_id})),
    );
    assert_eq!(given.status, 201);
    let written = api.update_secret(&jwt, "app/db", &json!({"value": "by-ada"}), None);
    assert_eq!(written.status, 200, "{}", written.text);
    let narrowed = call(
        ctx,
        "PUT",
        &format!("/v1/roles/{role_id}/permissions"),
        Some(&key),
        Some(json!({"permissions": ["secrets:write:other/*"]})),
    );
    assert_eq!(narrowed.status, 200, "{}", narrowed.text);
    api.update_secret(&jwt, "app/db", &json!({"value": "again"}), None)
        .assert_error(403, "permission_denied");
    let got = call(
        ctx,
        "GET",
        &format!("/v1/roles/{role_id}"),
        Some(&jwt),
        None,
    );
    assert_eq!(got.body["permissions"], json!(["secrets:write:other/*"]));
    let filtered = call(
        ctx,
        "GET",
        &format!("/v1/user-roles?user_id={user_id}"),
        Some(&key),
        None,
    );
    assert_eq!(filtered.body["user_roles"].as_array().unwrap().len(), 2);
    // Built-in roles do not change.
    call(
        ctx,
        "DELETE",
        &format!("/v1/roles/{ADMIN_ROLE}"),
        Some(&key),
        None,
    )
    .assert_error(409, "conflict");
    assert_eq!(
        call(
            ctx,
            "DELETE",
            &format!("/v1/roles/{role_id}"),
            Some(&key),
            None
        )
        .status,
        204
    );
    // Taking the reader role away closes the standard secret again.
    assert_eq!(
        call(
            ctx,
            "DELETE",
            &format!("/v1/user-roles/{assignment}"),
            Some(&key),
            None
        )
        .status,
        204
    );
    api.get_secret(&jwt, "app/db")
        .assert_error(403, "permission_denied");

    // Tokens a person minted go with them; their JWT fails from the next request.
    let admin_role = call(
        ctx,
        "POST",
        "/v1/user-roles",
        Some(&key),
        Some(json!({"user_id": user_id, "role_id": ADMIN_ROLE})),
    );
    assert_eq!(admin_role.status, 201);
    let token = api.create_token(&jwt, &json!({"scope": "secrets:read:app/db"}));
    assert_eq!(token.status, 201, "{}", token.text);
    let token = token.body["value"].as_str().unwrap().to_owned();
    assert_eq!(api.get_secret(&token, "app/db").status, 200);
    assert_eq!(
        call(
            ctx,
            "DELETE",
            &format!("/v1/users/{user_id}"),
            Some(&key),
            None
        )
        .status,
        204
    );
    api.get_secret(&jwt, "app/db")
        .assert_error(401, "unauthorized");
    api.get_secret(&token, "app/db")
        .assert_error(401, "unauthorized");
    // A login JWT is not an agent's, and a changed one fails.
    let forged = format!("{}x", jwt);
    api.get_secret(&forged, "app/db")
        .assert_error(401, "unauthorized");
    // The trail names the person, never the password.
    let trail = api.get("/v1/audit?limit=1000", Some(&key));
    assert!(trail.text.contains("user.login") && trail.text.contains(&format!("user:{user_id}")));
    assert!(!trail.text.contains(PASSWORD));
}

fn every_admin_route_needs_its_permission(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let (_, nobody) = person(ctx, &tenant, &key, "nobody", &[]);
    let (target, _) = person(ctx, &tenant, &key, "target", &[]);
    let role = call(
        ctx,
        "POST",
        "/v1/roles",
        Some(&key),
        Some(json!({"name": "ops", "permissions": ["audit:read"]})),
    );
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    let assignment = call(
        ctx,
        "POST",
        "/v1/user-roles",
        Some(&key),
        Some(json!({"user_id": target, "role_id": role_id})),
    );
    let assignment = assignment.body["id"].as_str().unwrap().to_owned();
    let routes: Vec<(&str, String, Option<Value>, &str)> = vec![
        ("GET", "/v1/users".into(), None, "users:admin"),
        ("GET", "/v1/user-roles".into(), None, "users:admin"),
        (
            "POST",
            "/v1/users".into(),
            Some(json!({"email": "x@example.com", "password": PASSWORD})),
            "users:admin",
        ),
        ("DELETE", format!("/v1/users/{target}"), None, "users:admin"),
        (
            "GET",
            format!("/v1/users/{target}/roles"),
            None,
            "users:admin",
        ),
        (
            "POST",
            "/v1/roles".into(),
            Some(json!({"name": "mine", "permissions": ["audit:read"]})),
            "roles:admin",
        ),
        (
            "PUT",
            format!("/v1/roles/{role_id}/permissions"),
            Some(json!({"permissions": ["admin"]})),
            "roles:admin",
        ),
        (
            "DELETE",
            format!("/v1/roles/{role_id}"),
            None,
            "roles:admin",
        ),
        (
            "POST",
            "/v1/user-roles".into(),
            Some(json!({"user_id": target, "role_id": ADMIN_ROLE})),
            "users:admin",
        ),
        (
            "DELETE",
            format!("/v1/user-roles/{assignment}"),
            None,
            "users:admin",
        ),
        ("GET", "/v1/approvals".into(), None, "approvals:decide"),
        ("GET", "/v1/audit".into(), None, "audit:read"),
        ("GET", "/v1/policies".into(), None, "policies:write"),
        ("GET", "/v1/tokens".into(), None, "admin"),
        (
            "POST",
            "/v1/tokens".into(),
            Some(json!({"scope": "audit:read"})),
            "tokens:create",
        ),
        (
            "POST",
            "/v1/agents/bootstrap".into(),
            Some(json!({})),
            "agents:admin",
        ),
    ];
    for (method, url, body, permission) in &routes {
        let reply = call(ctx, method, url, Some(&nobody), body.clone());
        assert_eq!(reply.status, 403, "{method} {url}: {}", reply.text);
        assert_eq!(
            reply.body["error"]["required_scope"], *permission,
            "{method} {url}: {}",
            reply.text
        );
    }
    // Holding users:admin is not holding admin, and approvers are made by admins only.
    let manager_role = call(
        ctx,
        "POST",
        "/v1/roles",
        Some(&key),
        Some(json!({
            "name": "user-managers",
            "permissions": ["users:admin", "approvals:decide", "audit:read"]
        })),
    );
    let manager_role = manager_role.body["id"].as_str().unwrap().to_owned();
    let (manager_id, manager) = person(ctx, &tenant, &key, "manager", &[&manager_role]);
    for role in [ADMIN_ROLE, APPROVER_ROLE] {
        let escalate = call(
            ctx,
            "POST",
            "/v1/user-roles",
            Some(&manager),
            Some(json!({"user_id": target, "role_id": role})),
        );
        escalate.assert_error(403, "permission_denied");
        assert_eq!(escalate.body["error"]["required_scope"], "admin", "{role}");
    }
    let allowed = call(
        ctx,
        "POST",
        "/v1/user-roles",
        Some(&manager),
        Some(json!({"user_id": manager_id, "role_id": role_id})),
    );
    assert_eq!(allowed.status, 201, "{}", allowed.text);
    // A person lists their own roles' assignments without users:admin.
    let own = call(
        ctx,
        "GET",
        &format!("/v1/user-roles?user_id={manager_id}"),
        Some(&manager),
        None,
    );
    assert_eq!(own.status, 200, "{}", own.text);
    // Deleting a person takes their roles away: only with every permission they hold.
    call(
        ctx,
        "DELETE",
        &format!("/v1/users/{manager_id}"),
        Some(&manager),
        None,
    )
    .assert_error(403, "permission_denied");
    // A token without users:admin is refused the same way.
    let token = ctx
        .api()
        .create_token(&key, &json!({"scope": "audit:read"}));
    let token = token.body["value"].as_str().unwrap().to_owned();
    let reply = call(ctx, "GET", "/v1/users", Some(&token), None);
    reply.assert_error(403, "permission_denied");
    assert_eq!(reply.body["error"]["required_scope"], "users:admin");
}

fn failed_logins_lock_out_without_revealing_accounts(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let email = format!("{}@example.com", latchkey_e2e::unique("locked"));
    let created = call(
        ctx,
        "POST",
        "/v1/users",
        Some(&key),
        Some(json!({"email": email, "password": PASSWORD})),
    );
    assert_eq!(created.status, 201);
    let ghost = format!("{}@example.com", latchkey_e2e::unique("ghost"));
    let attempt = |email: &str, password: &str, ip: &str| {
        call_from(
            ctx,
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"tenant": tenant, "email": email, "password": password})),
            ip,
        )
    };
    // A wrong password and an unknown email get the same answer, five times each.
    for i in 0..5 {
        let wrong = attempt(&email, "wrong password!", &format!("198.51.100.{i}"));
        let unknown = attempt(&ghost, "wrong password!", &format!("198.51.100.{}", 10 + i));
        wrong.assert_error(401, "unauthorized");
        unknown.assert_error(401, "unauthorized");
        assert_eq!(wrong.body, unknown.body);
    }
    // Both accounts are now locked, the real one even for its right password.
    let locked = attempt(&email, PASSWORD, "198.51.100.99");
    locked.assert_error(429, "rate_limited");
    let ghost_locked = attempt(&ghost, "wrong password!", "198.51.100.98");
    ghost_locked.assert_error(429, "rate_limited");
    // The same words; the seconds to wait may differ by one when the two lockouts began in
    // different seconds (a loaded machine).
    let words = |reply: &latchkey_e2e::Reply| {
        reply.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .replace(|c: char| c.is_ascii_digit(), "")
    };
    assert_eq!(words(&locked), words(&ghost_locked));
    assert!(locked.body["error"]["retry_after"].as_u64().unwrap() > 800);
    // Every 429 says when to come back, in the header too.
    assert_eq!(
        locked.header("Retry-After"),
        Some(locked.body["error"]["retry_after"].to_string().as_str())
    );
    assert!(ghost_locked.header("Retry-After").is_some());

    // Per address: 20 failures from one address lock it out of every account.
    let other = format!("{}@example.com", latchkey_e2e::unique("other"));
    let made = call(
        ctx,
        "POST",
        "/v1/users",
        Some(&key),
        Some(json!({"email": other, "password": PASSWORD})),
    );
    assert_eq!(made.status, 201);
    for i in 0..20 {
        let sprayed = format!("spray{i}@example.com");
        attempt(&sprayed, "wrong password!", "192.0.2.50").assert_error(401, "unauthorized");
    }
    attempt(&other, PASSWORD, "192.0.2.50").assert_error(429, "rate_limited");
    assert_eq!(attempt(&other, PASSWORD, "192.0.2.51").status, 200);
    // The trail records the failures, never a password.
    let trail = ctx
        .api()
        .get("/v1/audit?type=user.login&limit=1000", Some(&key));
    assert!(
        trail.body["events"].as_array().unwrap().len() >= 25,
        "{}",
        trail.text
    );
    assert!(!trail.text.contains(PASSWORD) && !trail.text.contains("wrong password!"));
}

fn input_is_validated(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let cases: Vec<(&str, &str, Value, u16, &str)> = vec![
        (
            "POST",
            "/v1/users",
            json!({"email": "nope", "password": PASSWORD}),
            422,
            "email",
        ),
        (
            "POST",
            "/v1/users",
            json!({"email": "a@b.co", "password": "short"}),
            422,
            "password",
        ),
        (
            "POST",
            "/v1/users",
            json!({"email": "a@b.co"}),
            422,
            "password",
        ),
        (
            "POST",
            "/v1/users",
            json!({"email": "a@b.co", "password": PASSWORD, "role": "admin"}),
            422,
            "role",
        ),
        (
            "POST",
            "/v1/roles",
            json!({"name": "Bad Name", "permissions": ["audit:read"]}),
            422,
            "name",
        ),
        (
            "POST",
            "/v1/roles",
            json!({"name": "ok", "permissions": ["secrets:fly:*"]}),
            422,
            "permissions",
        ),
        (
            "POST",
            "/v1/roles",
            json!({"name": "admin", "permissions": ["audit:read"]}),
            409,
            "name",
        ),
        (
            "POST",
            "/v1/user-roles",
            json!({"user_id": "usr_1", "role_id": READER_ROLE}),
            422,
            "user_id",
        ),
        (
            "POST",
            "/v1/user-roles",
            json!({"user_id": "usr_0123456789abcdef01234567", "role_id": READER_ROLE}),
            404,
            "",
        ),
    ];
    for (method, url, body, status, field) in cases {
        let reply = call(ctx, method, url, Some(&key), Some(body.clone()));
        assert_eq!(reply.status, status, "{url} {body}: {}", reply.text);
        if !field.is_empty() {
            assert_eq!(
                reply.error_field(),
                Some(field),
                "{url} {body}: {}",
                reply.text
            );
        }
    }
    let email = format!("{}@example.com", latchkey_e2e::unique("dup"));
    let body = json!({"email": email, "password": PASSWORD});
    assert_eq!(
        call(ctx, "POST", "/v1/users", Some(&key), Some(body.clone())).status,
        201
    );
    call(ctx, "POST", "/v1/users", Some(&key), Some(body)).assert_error(409, "conflict");
    for (body, field) in [
        (json!({"email": email, "password": PASSWORD}), "tenant"),
        (
            json!({"tenant": "tn_nope", "email": email, "password": PASSWORD}),
            "tenant",
        ),
        (
            json!({"tenant": tenant, "email": "x", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"tenant": tenant, "email": email, "password": ""}),
            "password",
        ),
    ] {
        let reply = call(ctx, "POST", "/v1/auth/login", None, Some(body.clone()));
        assert_eq!(reply.status, 422, "{body}: {}", reply.text);
        assert_eq!(reply.error_field(), Some(field), "{body}: {}", reply.text);
    }
    // Malformed ids in URLs name nothing.
    call(ctx, "DELETE", "/v1/users/usr_x", Some(&key), None).assert_error(404, "not_found");
    call(ctx, "GET", "/v1/roles/rol_x", Some(&key), None).assert_error(404, "not_found");
}

fn other_tenants_see_nothing(ctx: &Ctx) {
    let (tenant_a, a) = ctx.new_tenant();
    let (tenant_b, b) = ctx.new_tenant();
    let (user_a, jwt_a) = person(ctx, &tenant_a, &a, "iso", &[READER_ROLE]);
    let role = call(
        ctx,
        "POST",
        "/v1/roles",
        Some(&a),
        Some(json!({"name": "iso-role", "permissions": ["audit:read"]})),
    );
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    for (method, url) in [
        ("DELETE", format!("/v1/users/{user_a}")),
        ("GET", format!("/v1/users/{user_a}/roles")),
        ("GET", format!("/v1/roles/{role_id}")),
        ("DELETE", format!("/v1/roles/{role_id}")),
    ] {
        call(ctx, method, &url, Some(&b), None).assert_error(404, "not_found");
    }
    let listed = call(ctx, "GET", "/v1/users", Some(&b), None);
    assert!(!listed.text.contains(&user_a));
    let roles = call(ctx, "GET", "/v1/roles", Some(&b), None);
    assert!(!roles.text.contains(&role_id));
    // A's login JWT means nothing to B, and A's email does not log in to B.
    let email = call(ctx, "GET", "/v1/users", Some(&a), None).body["users"][0]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = call(
        ctx,
        "POST",
        "/v1/auth/login",
        None,
        Some(json!({"tenant": tenant_b, "email": email, "password": PASSWORD})),
    );
    reply.assert_error(401, "unauthorized");
    let mut claims_b = jwt_a.clone();
    claims_b.push('x');
    call(ctx, "GET", "/v1/users", Some(&claims_b), None).assert_error(401, "unauthorized");
    assert_eq!(
        call(ctx, "GET", "/v1/permissions", Some(&jwt_a), None).status,
        200
    );
}

fn approvers_decide_token_requests(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    let agent = api.create_token(
        &key,
        &json!({"scope": ["tokens:create", "secrets:read:ops/*"], "ttl_seconds": 3600}),
    );
    let agent = agent.body["value"].as_str().unwrap().to_owned();
    assert_eq!(
        api.create_secret(
            &key,
            &json!({"path": "ops/db", "value": "v", "tier": "sensitive"})
        )
        .status,
        201
    );
    let requested = api.create_token(&agent, &json!({"scope": "secrets:read:ops/*"}));
    assert_eq!(requested.status, 202, "{}", requested.text);
    let id = requested.body["approval_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, reader) = person(ctx, &tenant, &key, "reader", &[READER_ROLE]);
    let refused = call(
        ctx,
        "POST",
        &format!("/v1/approvals/{id}/approve"),
        Some(&reader),
        None,
    );
    refused.assert_error(403, "permission_denied");
    assert_eq!(refused.body["error"]["required_scope"], "approvals:decide");
    let (approver_id, approver) = person(ctx, &tenant, &key, "approver", &[APPROVER_ROLE]);
    let listed = call(ctx, "GET", "/v1/approvals", Some(&approver), None);
    assert!(listed.text.contains(&id), "{}", listed.text);
    let approved = call(
        ctx,
        "POST",
        &format!("/v1/approvals/{id}/approve"),
        Some(&approver),
        Some(json!({"comment": "ok"})),
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["approvers"], json!([approver_id]));
    let released = api.get(&format!("/v1/approvals/{id}"), Some(&agent));
    assert!(
        released.body["token"]["value"].is_string(),
        "{}",
        released.text
    );
}
