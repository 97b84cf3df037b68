//! `ReadMetrics` (issue 24): the tenant's figures for `GET /v1/metrics`.

use crate::support::{Object, detail};
use latchkey_contract::caller::metrics::ReadMetrics;
use latchkey_contract::caller::secrets::{DeleteSecret, RotateSecret};
use latchkey_core::ErrorCode;
use latchkey_core::secret::Rotation;

/// The value of the sample written exactly as `sample` (name and labels), if any.
fn figure(text: &str, sample: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
}

fn window(text: &str, group: &str, class: &str) -> u64 {
    figure(
        text,
        &format!("latchkey_window_requests{{group=\"{group}\",class=\"{class}\"}}"),
    )
    .unwrap_or(0)
}

fn read(object: &Object) -> String {
    object.master(ReadMetrics).unwrap().0
}

#[test]
fn metrics_count_live_secrets_versions_and_fields() {
    let object = Object::new();
    object.secret(r#"{"path": "prod/a", "value": "v", "fields": {"x": "1", "y": "2"}}"#);
    object.secret(r#"{"path": "prod/b", "value": "v"}"#);
    object.secret(r#"{"path": "prod/c", "value": "v"}"#);
    object
        .master(RotateSecret {
            path: crate::support::path("prod/b"),
            rotation: Rotation::parse(br#"{"new_value": "w", "grace_period_seconds": 60}"#)
                .unwrap(),
        })
        .unwrap();
    object
        .master(DeleteSecret {
            path: crate::support::path("prod/c"),
            permanent: false,
        })
        .unwrap();
    let metrics = read(&object);
    assert_eq!(figure(&metrics, "latchkey_secrets"), Some(2));
    // prod/a 1, prod/b 2 (the old one in its grace period); deleted prod/c not counted.
    assert_eq!(figure(&metrics, "latchkey_secret_versions"), Some(3));
    assert_eq!(figure(&metrics, "latchkey_secret_fields"), Some(2));
    assert_eq!(figure(&metrics, "latchkey_pending_approvals"), Some(0));
    assert_eq!(figure(&metrics, "latchkey_pending_requests"), Some(0));
    assert_eq!(
        figure(&metrics, "latchkey_agents{status=\"online\"}"),
        Some(0)
    );
    assert!(!metrics.contains("latchkey_broker_uses_total{"));
}

#[test]
fn metrics_report_rate_use_window_requests_and_chain_length() {
    let object = Object::new();
    object.secret(r#"{"path": "a", "value": "v"}"#);
    object.secret(r#"{"path": "b", "value": "v"}"#);
    let events = object.count("SELECT COUNT(*) FROM audit_events");
    let metrics = read(&object);
    assert_eq!(
        figure(&metrics, "latchkey_audit_events"),
        Some(u64::try_from(events).unwrap())
    );
    assert!(figure(&metrics, "latchkey_rate_limit").unwrap() > 0);
    // The two creations and this read.
    assert_eq!(figure(&metrics, "latchkey_rate_limit_used"), Some(3));
    assert_eq!(window(&metrics, "secrets", "2xx"), 2);
    assert_eq!(window(&metrics, "metrics", "2xx"), 0);
    let again = read(&object);
    assert_eq!(window(&again, "metrics", "2xx"), 1);
}

#[test]
fn metrics_window_requests_restart_with_a_new_window() {
    let object = Object::new();
    object.secret(r#"{"path": "a", "value": "v"}"#);
    object.advance(61);
    let metrics = read(&object);
    assert_eq!(window(&metrics, "secrets", "2xx"), 0);
    assert_eq!(figure(&metrics, "latchkey_rate_limit_used"), Some(1));
}

#[test]
fn metrics_without_audit_read_are_refused_naming_it_and_recorded() {
    let object = Object::new();
    let token = object.token_with("secrets:read:*");
    let err = object.call(&token, ReadMetrics).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("audit:read")
    );
    assert_eq!(object.last_event(), ("metrics.read".to_owned(), false));
    let metrics = read(&object);
    assert_eq!(window(&metrics, "metrics", "4xx"), 1);
}

#[test]
fn metrics_read_records_no_event() {
    let object = Object::new();
    let before = object.count("SELECT COUNT(*) FROM audit_events");
    let token = object.token_with("audit:read");
    let after_token = object.count("SELECT COUNT(*) FROM audit_events");
    assert!(after_token >= before);
    object.call(&token, ReadMetrics).unwrap();
    assert_eq!(
        object.count("SELECT COUNT(*) FROM audit_events"),
        after_token
    );
}
