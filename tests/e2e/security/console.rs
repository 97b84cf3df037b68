//! The cross-tenant sweep over the console's session (issue 25): a session routes by the
//! tenant in its own value, so one moved to another tenant is unrecognized there on every
//! console route and every API route, and a person of one tenant cannot log in to another.

use crate::Ctx;
use crate::console::{console_call, log_in, origin, tenant_with_person};
use crate::people::{ADMIN_ROLE, PASSWORD};
use latchkey_e2e::client::Body;
use serde_json::json;

pub fn another_tenants_console_session_is_not_recognized(ctx: &Ctx) {
    let (a, _, a_email) = tenant_with_person(ctx, &[ADMIN_ROLE]);
    let (b, b_key, b_email) = tenant_with_person(ctx, &[ADMIN_ROLE]);
    let (_, session) = log_in(ctx, &a, &a_email);
    // A's session value with B's tenant id: B's object has no such session.
    let moved_cookie = session.cookie.replace(&a, &b);
    assert_ne!(moved_cookie, session.cookie);
    let moved_value = moved_cookie.split_once('=').unwrap().1;
    let moved_csrf = latchkey_core::console::csrf_token(moved_value);
    let from = origin(ctx);
    for (method, url, body) in [
        ("GET", "/console/session", None),
        ("DELETE", "/console/session", None),
        ("GET", "/v1/secrets", None),
        ("GET", "/v1/audit", None),
        (
            "POST",
            "/v1/secrets",
            Some(json!({"path": "moved/x", "value": "v"})),
        ),
    ] {
        let reply = console_call(
            ctx,
            method,
            url,
            &moved_cookie,
            Some(&moved_csrf),
            Some(&from),
            body,
        );
        reply.assert_error(401, "unauthorized");
        assert_eq!(
            reply.body["error"]["message"],
            latchkey_core::credential::UNRECOGNIZED,
            "{method} {url}: {}",
            reply.text
        );
    }
    assert_eq!(ctx.api().get("/v1/secrets", Some(&b_key)).body["total"], 0);
    // B's person cannot log in to A's tenant.
    let login = ctx.api().send(
        "POST",
        "/console/session",
        None,
        &[("Origin", &from)],
        Body::Json(&json!({"tenant": a, "email": b_email, "password": PASSWORD})),
    );
    assert_eq!(login.status, 401, "{}", login.text);
    // A's session still works.
    let mine = console_call(
        ctx,
        "GET",
        "/console/session",
        &session.cookie,
        None,
        None,
        None,
    );
    assert_eq!(mine.status, 200, "{}", mine.text);
}
