//! `ReadMetrics` (issue 24): the tenant's figures for `GET /v1/metrics`.

use crate::support::{Object, detail};
use latchkey_contract::caller::metrics::ReadMetrics;
use latchkey_contract::caller::secrets::{DeleteSecret, RotateSecret};
use latchkey_core::ErrorCode;
use latchkey_core::metrics::WindowCount;
use latchkey_core::secret::Rotation;

fn window(metrics: &latchkey_core::metrics::TenantMetrics, group: &str, class: &str) -> u64 {
    metrics
        .window_requests
        .iter()
        .find(|c: &&WindowCount| c.group == group && c.class == class)
        .map_or(0, |c| c.value)
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
    let metrics = object.master(ReadMetrics).unwrap();
    assert_eq!(metrics.secrets, 2);
    // prod/a 1, prod/b 2 (the old one in its grace period); deleted prod/c not counted.
    assert_eq!(metrics.versions, 3);
    assert_eq!(metrics.fields, 2);
    assert_eq!(metrics.pending_approvals, 0);
    assert_eq!(metrics.pending_requests, 0);
    assert!(metrics.agents.is_empty());
    assert!(metrics.broker_uses.is_empty());
}

#[test]
fn metrics_report_rate_use_window_requests_and_chain_length() {
    let object = Object::new();
    object.secret(r#"{"path": "a", "value": "v"}"#);
    object.secret(r#"{"path": "b", "value": "v"}"#);
    let events = object.count("SELECT COUNT(*) FROM audit_events");
    let metrics = object.master(ReadMetrics).unwrap();
    assert_eq!(metrics.audit_events, u64::try_from(events).unwrap());
    assert!(metrics.rate_limit > 0);
    // The two creations and this read.
    assert_eq!(metrics.rate_used, 3);
    assert_eq!(window(&metrics, "secrets", "2xx"), 2);
    assert_eq!(window(&metrics, "metrics", "2xx"), 0);
    let again = object.master(ReadMetrics).unwrap();
    assert_eq!(window(&again, "metrics", "2xx"), 1);
}

#[test]
fn metrics_window_requests_restart_with_a_new_window() {
    let object = Object::new();
    object.secret(r#"{"path": "a", "value": "v"}"#);
    object.advance(61);
    let metrics = object.master(ReadMetrics).unwrap();
    assert_eq!(window(&metrics, "secrets", "2xx"), 0);
    assert_eq!(metrics.rate_used, 1);
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
    let metrics = object.master(ReadMetrics).unwrap();
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
