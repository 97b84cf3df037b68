//! The broker: `UseSecrets` releases values to the Worker for a call to an allowed host, and
//! `FinishUse` records the `secret.used` events with the upstream's outcome.

use crate::support::Object;
use latchkey_contract::caller::agents::{CreateBootstrap, CreateGrant, RegisterAgent};
use latchkey_contract::caller::approvals::SetPolicies;
use latchkey_contract::caller::broker::UseSecrets;
use latchkey_contract::public::FinishUse;
use latchkey_core::agent::{BootstrapRequest, Labels, Registration};
use latchkey_core::approval::Policies;
use latchkey_core::broker::hosts::InsecureHosts;
use latchkey_core::broker::{ProxyRequest, Released, UseOutcome, UseReport};
use latchkey_core::grant::GrantRequest;
use latchkey_core::{ApiError, ErrorCode};
use serde_json::{Value, json};

/// A call to `url` with each named secret in a header of its own.
fn call(method: &str, url: &str, secrets: &[(&str, &str)]) -> UseSecrets {
    let mut headers = serde_json::Map::new();
    let mut named = serde_json::Map::new();
    for (name, target) in secrets {
        headers.insert(format!("X-{name}"), json!(format!("{{{{{name}}}}}")));
        named.insert((*name).to_owned(), json!(target));
    }
    let body = json!({"method": method, "url": url, "headers": headers, "secrets": named});
    let request = ProxyRequest::parse(body.to_string().as_bytes()).unwrap();
    UseSecrets {
        secrets: request.secrets.clone(),
        target: request.target(),
    }
}

fn api_call(secrets: &[(&str, &str)]) -> UseSecrets {
    call("GET", "https://api.example.com/v1/things", secrets)
}

fn use_secrets(object: &Object, key: &str, command: UseSecrets) -> Result<Released, ApiError> {
    object.call(key, command)
}

fn finish(
    object: &Object,
    call_id: &str,
    outcome: UseOutcome,
    status: Option<u16>,
) -> Result<(), ApiError> {
    object.operator(FinishUse {
        call_id: call_id.to_owned(),
        report: UseReport {
            outcome,
            upstream_status: status,
            duration_ms: 42,
        },
    })
}

/// A secret the broker may send to `api.example.com`.
fn api_secret(object: &Object, path: &str, value: &str, extra: &str) {
    object.secret(&format!(
        r#"{{"path": "{path}", "value": "{value}", "allowed_hosts": [{{"host": "api.example.com"}}]{extra}}}"#
    ));
}

fn user(object: &Object) -> String {
    object.token_with("secrets:use:prod/*")
}

fn used_events(object: &Object) -> Vec<(Option<String>, String, bool, Value)> {
    object
        .rows("SELECT path, actor, success, details FROM audit_events WHERE type = 'secret.used' ORDER BY seq")
        .iter()
        .map(|row| {
            (
                row.opt_text(0).unwrap(),
                row.text(1).unwrap(),
                row.int(2).unwrap() == 1,
                serde_json::from_str(&row.text(3).unwrap()).unwrap(),
            )
        })
        .collect()
}

fn token_actor(object: &Object, token: &str) -> String {
    let hash = Object::hash_of(token).to_hex();
    let id = object.rows(&format!("SELECT id FROM tokens WHERE hash = '{hash}'"))[0]
        .text(0)
        .unwrap();
    format!("token:{id}")
}

fn refused_with(err: &ApiError, reason: &str) {
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    assert_eq!(err.details["reason"], reason, "{}", err.message);
}

// --- UseSecrets and FinishUse ----------------------------------------------------------------

#[test]
fn use_via_mcp_records_api_mcp_on_the_finished_use() {
    use latchkey_contract::{CallerCommand, Channel, Via};
    let object = Object::new();
    api_secret(&object, "prod/api", "api-key-value", "");
    let token = user(&object);
    let response = object.send_via(
        Some(Via::Mcp),
        Channel::Caller {
            credential: latchkey_core::credential::parse_bearer(&token).unwrap(),
            purpose: None,
            command: Some(CallerCommand::from(api_call(&[("API", "prod/api")]))),
        },
    );
    let released: Released = serde_json::from_str(response.result.unwrap().get()).unwrap();
    finish(&object, &released.call_id, UseOutcome::Completed, Some(200)).unwrap();
    let events = used_events(&object);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].3["api"], "mcp");
    // Without it: no `api`.
    let released = use_secrets(&object, &token, api_call(&[("API", "prod/api")])).unwrap();
    finish(&object, &released.call_id, UseOutcome::Completed, Some(200)).unwrap();
    assert!(used_events(&object)[1].3.get("api").is_none());
}

#[test]
fn use_releases_the_values_and_records_the_use_only_when_finished() {
    let object = Object::new();
    api_secret(&object, "prod/api", "api-key-value", "");
    let token = user(&object);
    let released = use_secrets(&object, &token, api_call(&[("API", "prod/api")])).unwrap();
    assert!(
        released.call_id.starts_with("call_"),
        "{}",
        released.call_id
    );
    assert_eq!(released.values.len(), 1);
    assert_eq!(released.values[0].name, "API");
    assert_eq!(released.values[0].value, "api-key-value");
    assert!(used_events(&object).is_empty(), "not before the report");
    let calls = object.rows("SELECT id, events, released_at FROM broker_calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].text(0).unwrap(), released.call_id);
    assert!(!calls[0].text(1).unwrap().contains("api-key-value"));
    assert_eq!(calls[0].int(2).unwrap(), object.now().unix_ms());
    object.advance(1);
    finish(&object, &released.call_id, UseOutcome::Completed, Some(200)).unwrap();
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
    let events = used_events(&object);
    assert_eq!(events.len(), 1);
    let (path, actor, success, details) = &events[0];
    assert_eq!(path.as_deref(), Some("prod/api"));
    assert_eq!(actor, &token_actor(&object, &token));
    assert!(success);
    assert_eq!(details["call_id"], released.call_id.as_str());
    assert_eq!(details["outcome"], "completed");
    assert_eq!(details["upstream_status"], 200);
    assert_eq!(details["duration_ms"], 42);
    assert_eq!(details["host"], "api.example.com");
    assert_eq!(details["method"], "GET");
    assert_eq!(details["url_path"], "/v1/things");
    assert_eq!(details["name"], "API");
    assert_eq!(details["version"], 1);
    assert!(!details.to_string().contains("api-key-value"));
}

#[test]
fn a_call_naming_several_secrets_records_one_use_each() {
    let object = Object::new();
    api_secret(&object, "prod/api", "api-value", "");
    api_secret(&object, "prod/db", "db-value", "");
    let released = use_secrets(
        &object,
        &user(&object),
        api_call(&[("API", "prod/api"), ("DB", "prod/db")]),
    )
    .unwrap();
    assert_eq!(released.values.len(), 2);
    finish(&object, &released.call_id, UseOutcome::Completed, Some(204)).unwrap();
    let paths: Vec<Option<String>> = used_events(&object).into_iter().map(|e| e.0).collect();
    assert_eq!(
        paths,
        vec![Some("prod/api".to_owned()), Some("prod/db".to_owned())]
    );
}

#[test]
fn a_failed_upstream_is_recorded_as_a_failed_use() {
    let object = Object::new();
    api_secret(&object, "prod/api", "api-value", "");
    let released = use_secrets(&object, &user(&object), api_call(&[("API", "prod/api")])).unwrap();
    finish(&object, &released.call_id, UseOutcome::Timeout, None).unwrap();
    let events = used_events(&object);
    assert!(!events[0].2);
    assert_eq!(events[0].3["outcome"], "timeout");
    assert_eq!(events[0].3["upstream_status"], Value::Null);
    let reason = object.rows("SELECT reason FROM audit_events WHERE type = 'secret.used'")[0]
        .text(0)
        .unwrap();
    assert_eq!(reason, "the call ended timeout");
}

#[test]
fn finish_of_an_unknown_or_finished_call_is_not_found() {
    let object = Object::new();
    api_secret(&object, "prod/api", "api-value", "");
    let released = use_secrets(&object, &user(&object), api_call(&[("API", "prod/api")])).unwrap();
    finish(&object, &released.call_id, UseOutcome::Completed, Some(200)).unwrap();
    let twice = finish(&object, &released.call_id, UseOutcome::Completed, Some(200)).unwrap_err();
    assert_eq!(twice.code, ErrorCode::NotFound);
    let unknown = finish(
        &object,
        "call_00000000000000000000000000000000",
        UseOutcome::Completed,
        None,
    )
    .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
    assert_eq!(used_events(&object).len(), 1, "recorded once");
}

#[test]
fn a_field_is_released_by_its_name() {
    let object = Object::new();
    object.secret(
        r#"{"path": "prod/db", "fields": {"password": "field-value"}, "allowed_hosts": [{"host": "api.example.com"}]}"#,
    );
    let token = user(&object);
    let released = use_secrets(&object, &token, api_call(&[("PW", "prod/db#password")])).unwrap();
    assert_eq!(released.values[0].value, "field-value");
    finish(&object, &released.call_id, UseOutcome::Completed, Some(200)).unwrap();
    let details = &used_events(&object)[0].3;
    assert_eq!(details["field"], "password");
    assert!(details.get("version").is_none());
    // Naming the secret alone, with no main value, is refused.
    let err = use_secrets(&object, &token, api_call(&[("DB", "prod/db")])).unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(err.details["field"], "secrets");
}

#[test]
fn an_agent_uses_what_its_grant_allows() {
    let object = Object::new();
    api_secret(&object, "prod/api", "api-value", "");
    let boot = object
        .master(CreateBootstrap {
            request: BootstrapRequest::parse(b"{}").unwrap(),
        })
        .unwrap();
    let agent = object
        .call(
            &boot.token,
            RegisterAgent {
                registration: Registration {
                    name: "caller".to_owned(),
                    hostname: None,
                    os_type: None,
                    metadata: Labels::new(),
                },
            },
        )
        .unwrap();
    let refused = use_secrets(&object, &agent.token, api_call(&[("API", "prod/api")])).unwrap_err();
    assert_eq!(refused.code, ErrorCode::PermissionDenied);
    let body = format!(
        r#"{{"agent_id": "{}", "path": "prod/*", "actions": ["use"]}}"#,
        agent.id
    );
    object
        .master(CreateGrant {
            request: GrantRequest::parse(body.as_bytes()).unwrap(),
        })
        .unwrap();
    let released = use_secrets(&object, &agent.token, api_call(&[("API", "prod/api")])).unwrap();
    finish(&object, &released.call_id, UseOutcome::Completed, Some(200)).unwrap();
    let events = used_events(&object);
    let last = events.last().unwrap();
    assert!(last.2);
    assert_eq!(last.1, format!("agent:{}", agent.id));
}

// --- Refusals --------------------------------------------------------------------------------

#[test]
fn a_host_outside_allowed_hosts_is_refused_at_once_and_releases_nothing() {
    let object = Object::new();
    api_secret(&object, "prod/api", "api-value", "");
    let err = use_secrets(
        &object,
        &user(&object),
        call(
            "GET",
            "https://evil.example.net/steal",
            &[("API", "prod/api")],
        ),
    )
    .unwrap_err();
    refused_with(&err, "host_not_allowed");
    assert_eq!(err.details["path"], "prod/api");
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
    let events = used_events(&object);
    assert_eq!(events.len(), 1, "a refusal is recorded at once");
    let (path, _, success, details) = &events[0];
    assert_eq!(path.as_deref(), Some("prod/api"));
    assert!(!success);
    assert_eq!(details["refusal"], "host_not_allowed");
    assert_eq!(details["host"], "evil.example.net");
}

#[test]
fn a_secret_without_allowed_hosts_never_goes() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/api", "value": "api-value"}"#);
    let err = use_secrets(&object, &user(&object), api_call(&[("API", "prod/api")])).unwrap_err();
    refused_with(&err, "no_allowed_hosts");
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
}

#[test]
fn path_prefix_and_methods_of_the_rule_are_enforced() {
    let object = Object::new();
    object.secret(
        r#"{"path": "prod/api", "value": "api-value", "allowed_hosts": [{"host": "api.example.com", "path_prefix": "/v1", "methods": ["GET"]}]}"#,
    );
    let token = user(&object);
    let path = use_secrets(
        &object,
        &token,
        call(
            "GET",
            "https://api.example.com/v2/things",
            &[("API", "prod/api")],
        ),
    )
    .unwrap_err();
    refused_with(&path, "path_not_allowed");
    let method = use_secrets(
        &object,
        &token,
        call(
            "DELETE",
            "https://api.example.com/v1/things",
            &[("API", "prod/api")],
        ),
    )
    .unwrap_err();
    refused_with(&method, "method_not_allowed");
    let port = use_secrets(
        &object,
        &token,
        call(
            "GET",
            "https://api.example.com:8443/v1/things",
            &[("API", "prod/api")],
        ),
    )
    .unwrap_err();
    refused_with(&port, "host_not_allowed");
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
    use_secrets(&object, &token, api_call(&[("API", "prod/api")])).unwrap();
}

#[test]
fn plain_http_and_private_addresses_are_refused() {
    let object = Object::new();
    object.secret(
        r#"{"path": "prod/api", "value": "api-value", "allowed_hosts": [{"host": "api.example.com"}, {"host": "10.0.0.5"}]}"#,
    );
    let token = user(&object);
    let http = use_secrets(
        &object,
        &token,
        call("GET", "http://api.example.com/v1", &[("API", "prod/api")]),
    )
    .unwrap_err();
    refused_with(&http, "insecure_scheme");
    let private = use_secrets(
        &object,
        &token,
        call("GET", "https://10.0.0.5/v1", &[("API", "prod/api")]),
    )
    .unwrap_err();
    refused_with(&private, "private_address");
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
    assert!(used_events(&object).iter().all(|e| !e.2));
}

#[test]
fn hosts_the_deployment_lists_as_insecure_take_plain_http() {
    let object = Object::with_config(|c| c.insecure_hosts = InsecureHosts::parse("localhost"));
    object.secret(
        r#"{"path": "prod/api", "value": "api-value", "allowed_hosts": [{"host": "localhost"}]}"#,
    );
    let released = use_secrets(
        &object,
        &user(&object),
        call("GET", "http://localhost:8080/echo", &[("API", "prod/api")]),
    )
    .unwrap();
    assert_eq!(released.values[0].value, "api-value");
}

#[test]
fn a_value_that_would_forge_headers_is_refused() {
    let object = Object::new();
    object.secret(
        r#"{"path": "prod/api", "value": "line\r\nX-Injected: 1", "allowed_hosts": [{"host": "api.example.com"}]}"#,
    );
    let err = use_secrets(&object, &user(&object), api_call(&[("API", "prod/api")])).unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(err.details["field"], "headers");
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
}

#[test]
fn use_needs_the_use_scope_on_every_secret_named() {
    let object = Object::new();
    api_secret(&object, "prod/api", "api-value", "");
    api_secret(&object, "staging/api", "staging-value", "");
    let reader = object.token_with("secrets:read:prod/*");
    let err = use_secrets(&object, &reader, api_call(&[("API", "prod/api")])).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["required_scope"], "secrets:use:prod/*");
    // One secret out of reach refuses the whole call, recorded under that secret.
    let err = use_secrets(
        &object,
        &user(&object),
        api_call(&[("API", "prod/api"), ("STAGING", "staging/api")]),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["path"], "staging/api");
    let events = used_events(&object);
    assert_eq!(events.last().unwrap().0.as_deref(), Some("staging/api"));
    assert!(!events.last().unwrap().2);
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
}

#[test]
fn a_secret_above_the_tokens_clearance_is_not_released() {
    let object = Object::new();
    let token = user(&object);
    api_secret(
        &object,
        "prod/vault",
        "sensitive-value",
        r#", "tier": "sensitive""#,
    );
    let err = use_secrets(&object, &token, api_call(&[("V", "prod/vault")])).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(err.details["tier"], "sensitive");
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
    // The master key is cleared for every tier.
    let released = use_secrets(
        &object,
        &object.master.clone(),
        api_call(&[("V", "prod/vault")]),
    )
    .unwrap();
    assert_eq!(released.values[0].value, "sensitive-value");
}

#[test]
fn a_missing_secret_is_not_found() {
    let object = Object::new();
    let err = use_secrets(&object, &user(&object), api_call(&[("API", "prod/none")])).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
    assert_eq!(used_events(&object).len(), 1);
}

#[test]
fn a_critical_secret_under_a_purpose_policy_needs_the_purpose() {
    let object = Object::new();
    api_secret(
        &object,
        "prod/root",
        "root-value",
        r#", "tier": "critical""#,
    );
    object
        .master(SetPolicies {
            policies: Policies::parse(
                br#"{"policies": [{"glob": "prod/*", "require_purpose": true}]}"#,
            )
            .unwrap(),
        })
        .unwrap();
    let master = object.master.clone();
    let err = use_secrets(&object, &master, api_call(&[("ROOT", "prod/root")])).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert_eq!(err.details["header"], "X-Latchkey-Purpose");
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
    let released = object
        .call_for(
            &master,
            Some("nightly billing sync"),
            api_call(&[("ROOT", "prod/root")]),
        )
        .unwrap();
    finish(&object, &released.call_id, UseOutcome::Completed, Some(200)).unwrap();
    let events = used_events(&object);
    assert_eq!(events.last().unwrap().3["purpose"], "nightly billing sync");
}

#[test]
fn a_max_uses_token_counts_one_use_per_call() {
    let object = Object::new();
    api_secret(&object, "prod/api", "api-value", "");
    api_secret(&object, "prod/db", "db-value", "");
    let once = object.token(r#"{"scope": "secrets:use:prod/*", "max_uses": 1}"#);
    let released = use_secrets(
        &object,
        &once,
        api_call(&[("API", "prod/api"), ("DB", "prod/db")]),
    )
    .unwrap();
    // The report carries no credential: it does not count.
    finish(&object, &released.call_id, UseOutcome::Completed, Some(200)).unwrap();
    let err = use_secrets(&object, &once, api_call(&[("API", "prod/api")])).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert!(err.message.contains("max_uses"), "{}", err.message);
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 0);
}

#[test]
fn an_unreported_call_stays_open_and_unrecorded() {
    let object = Object::new();
    api_secret(&object, "prod/api", "api-value", "");
    let released = use_secrets(&object, &user(&object), api_call(&[("API", "prod/api")])).unwrap();
    // The maintenance sweep (not reachable from here) records it as unfinished later; until
    // then it waits, and a late report still finishes it.
    object.advance(600);
    assert_eq!(object.count("SELECT count(*) FROM broker_calls"), 1);
    assert!(used_events(&object).is_empty());
    finish(&object, &released.call_id, UseOutcome::Completed, Some(200)).unwrap();
    assert_eq!(used_events(&object).len(), 1);
}
