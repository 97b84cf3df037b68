//! Nothing in a query string is silently ignored (issue 21): every route refuses a parameter
//! it does not read, and one given twice, before anything runs. Once, `?env=prod` on a single
//! secret was ignored, so a client that kept `prod` and `dev` apart by it read and wrote one
//! shared secret.

use crate::Ctx;
use latchkey_core::route::{Route, SAMPLES};
use latchkey_e2e::client::Body;
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "queries::every_route_refuses_an_unknown_parameter_naming_it",
        every_route_refuses_an_unknown_parameter_naming_it,
    ),
    (
        "queries::env_on_a_single_secret_is_refused_and_changes_nothing",
        env_on_a_single_secret_is_refused_and_changes_nothing,
    ),
    (
        "queries::a_parameter_given_twice_is_refused",
        a_parameter_given_twice_is_refused,
    ),
];

/// The walk: every sample of the route table, with the tenant's master key and a JSON body,
/// plus `?env=prod`. The Vault routes answer in Vault's shape, the rest in Latchkey's.
fn every_route_refuses_an_unknown_parameter_naming_it(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let body = json!({});
    for (method, url) in SAMPLES {
        // workerd refuses the `LIST` method before the Worker sees it (tests/e2e/vault.rs);
        // the core's test walks that route's table entry.
        if *method == "LIST" {
            continue;
        }
        let route = Route::resolve(method, url).unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let body = match *method {
            "POST" | "PUT" | "PATCH" => Body::Json(&body),
            _ => Body::None,
        };
        let reply = api.send(method, &format!("{url}?env=prod"), Some(&key), &[], body);
        assert_eq!(reply.status, 400, "{method} {url}?env=prod: {}", reply.text);
        if matches!(route, Route::ReviewPage(_) | Route::ReviewDecision(_)) {
            // People open these links: the refusal is a page.
            assert!(
                reply
                    .header("content-type")
                    .is_some_and(|c| c.starts_with("text/html")),
                "{method} {url}: {:?}",
                reply.headers
            );
            assert!(reply.text.contains("env"), "{method} {url}: {}", reply.text);
        } else if matches!(route, Route::Vault(_)) {
            let errors = reply.body["errors"][0].as_str().unwrap_or_default();
            assert!(errors.contains("'env'"), "{method} {url}: {}", reply.text);
        } else {
            reply.assert_error(400, "invalid_request");
            assert_eq!(
                reply.body["error"]["field"], "env",
                "{method} {url}: {}",
                reply.text
            );
        }
    }
}

fn env_on_a_single_secret_is_refused_and_changes_nothing(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let value = latchkey_e2e::secret_value("env-prod");
    let created = api.create_secret(
        &key,
        &json!({"path": "db", "value": value, "fields": {"host": "prod.db"}}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let other = latchkey_e2e::secret_value("env-dev");
    let writes = [
        ("PUT", "/v1/secrets/db?env=dev", json!({"value": other})),
        (
            "PUT",
            "/v1/secrets/db/fields?env=dev",
            json!({"fields": {"host": "dev.db"}}),
        ),
        (
            "PUT",
            "/v1/secrets/db/fields/host?env=dev",
            json!({"value": "dev.db"}),
        ),
        ("DELETE", "/v1/secrets/db/fields/host?env=dev", json!(null)),
        ("DELETE", "/v1/secrets/db?env=dev", json!(null)),
        ("GET", "/v1/secrets/db?env=dev", json!(null)),
        ("GET", "/v1/secrets/db/fields/host?env=dev", json!(null)),
    ];
    for (method, url, body) in writes {
        let body = match method {
            "PUT" => Body::Json(&body),
            _ => Body::None,
        };
        let reply = api.send(method, url, Some(&key), &[], body);
        reply.assert_error(400, "invalid_request");
        assert_eq!(reply.body["error"]["field"], "env", "{method} {url}");
    }
    let read = api.get_secret(&key, "db");
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["value"], value.as_str());
    assert_eq!(read.body["version"], 1);
    let host = api.get_field(&key, "db", "host");
    assert_eq!(host.body["value"], "prod.db", "{}", host.text);
}

fn a_parameter_given_twice_is_refused(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    for url in [
        "/v1/secrets?tier=standard&tier=critical",
        "/v1/audit?limit=1&limit=2",
        "/v1/agents?status=online&status=offline",
    ] {
        let reply = api.get(url, Some(&key));
        reply.assert_error(400, "invalid_request");
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("more than once")),
            "{url}: {}",
            reply.text
        );
    }
}
