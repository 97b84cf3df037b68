//! The audit trail: reading it (filters, cursor), verifying its chain (intact and tampered),
//! and the live stream (opened and recorded; polled without being recorded or counted).

use crate::support::{Object, detail, path};
use latchkey_contract::caller::audit::{OpenStream, PollStream, ReadAudit, VerifyAudit};
use latchkey_contract::caller::secrets::GetSecret;
use latchkey_contract::caller::tenant::Touch;
use latchkey_contract::operator::SetPlan;
use latchkey_core::audit::{AuditEvent, AuditPage, AuditQuery, decode_cursor, event_id};
use latchkey_core::{ErrorCode, Plan};
use serde_json::Value;

fn query() -> AuditQuery {
    AuditQuery {
        limit: 100,
        ..AuditQuery::default()
    }
}

fn read(object: &Object, query: AuditQuery) -> AuditPage {
    object.master(ReadAudit { query }).unwrap()
}

fn types(events: &[AuditEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

fn seqs(events: &[AuditEvent]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

fn stored(object: &Object) -> i64 {
    object.count("SELECT count(*) FROM audit_events")
}

fn miss(object: &Object, key: &str, at: &str) {
    let read = object.call(
        key,
        GetSecret {
            path: path(at),
            version: None,
        },
    );
    assert!(read.is_err());
}

/// A trail of a few kinds: two secrets written, one read, one read refused.
fn workload(object: &Object) {
    object.secret(r#"{"path": "prod/db", "value": "hunter2-value"}"#);
    object.secret(r#"{"path": "dev/cache", "value": "v"}"#);
    object
        .master(GetSecret {
            path: path("prod/db"),
            version: None,
        })
        .unwrap();
    miss(object, &object.master.clone(), "prod/missing");
}

#[test]
fn read_audit_returns_events_newest_first() {
    let object = Object::new();
    workload(&object);
    let page = read(&object, query());
    assert_eq!(
        types(&page.events),
        [
            "secret.read",
            "secret.read",
            "secret.created",
            "secret.created",
            "tenant.created"
        ]
    );
    assert_eq!(seqs(&page.events), [5, 4, 3, 2, 1]);
    assert_eq!(page.next_cursor, None);
    let newest = page.events.first().unwrap();
    assert_eq!(newest.id, event_id(5));
    assert_eq!(newest.path.as_deref(), Some("prod/missing"));
    assert_eq!(newest.actor, "master");
    assert_eq!(newest.actor_description.as_deref(), Some("master key"));
    assert_eq!(newest.ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(newest.user_agent.as_deref(), Some("native-test"));
    assert_eq!(newest.correlation_id.as_deref(), Some("req-native"));
    assert_eq!(newest.timestamp, object.now());
    assert!(!newest.success);
    assert!(newest.reason.as_deref().unwrap().starts_with("not_found: "));
    let created = page.events.get(3).unwrap();
    assert_eq!(created.details.get("version"), Some(&Value::from(1)));
    let genesis = page.events.last().unwrap();
    assert_eq!(genesis.actor, "operator");
    // The read is recorded after it is answered.
    assert_eq!(object.last_event(), ("audit.read".to_owned(), true));
    assert_eq!(stored(&object), 6);
}

#[test]
fn read_audit_never_shows_a_value() {
    let object = Object::new();
    workload(&object);
    let shown = serde_json::to_string(&read(&object, query())).unwrap();
    assert!(!shown.contains("hunter2-value"));
}

#[test]
fn read_audit_pages_with_a_cursor() {
    let object = Object::new();
    for i in 0..6 {
        object.secret(&format!(r#"{{"path": "a/s{i}", "value": "v"}}"#));
    }
    // Seven events: the tenant and six secrets.
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = read(
            &object,
            AuditQuery {
                limit: 3,
                before_seq: cursor,
                ..query()
            },
        );
        pages += 1;
        // The reads the paging records are newer than any cursor: no page shows them.
        seen.extend(seqs(&page.events));
        match page.next_cursor {
            Some(next) => cursor = Some(decode_cursor(&next).unwrap()),
            None => break,
        }
    }
    assert_eq!(seen, [7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(pages, 3);
}

#[test]
fn read_audit_cursor_points_below_the_last_event_returned() {
    let object = Object::new();
    workload(&object);
    let first = read(
        &object,
        AuditQuery {
            limit: 2,
            ..query()
        },
    );
    assert_eq!(seqs(&first.events), [5, 4]);
    let cursor = decode_cursor(first.next_cursor.as_deref().unwrap()).unwrap();
    assert_eq!(cursor, 4);
    let second = read(
        &object,
        AuditQuery {
            limit: 2,
            before_seq: Some(cursor),
            ..query()
        },
    );
    assert_eq!(seqs(&second.events), [3, 2]);
    let last = read(
        &object,
        AuditQuery {
            limit: 2,
            before_seq: Some(2),
            ..query()
        },
    );
    assert_eq!(seqs(&last.events), [1]);
    assert_eq!(last.next_cursor, None);
}

#[test]
fn read_audit_filters_by_type_actor_success_namespace_and_time() {
    let object = Object::new();
    workload(&object);
    let start = object.now();
    object.advance(10);
    let token = object.token_with("secrets:read:dev/*");
    miss(&object, &token, "dev/nothing");
    let later = object.now();

    let by_type = read(
        &object,
        AuditQuery {
            event_type: Some("secret.created".into()),
            ..query()
        },
    );
    assert_eq!(seqs(&by_type.events), [3, 2]);

    let refused = read(
        &object,
        AuditQuery {
            success: Some(false),
            ..query()
        },
    );
    let refused_paths: Vec<Option<&str>> =
        refused.events.iter().map(|e| e.path.as_deref()).collect();
    assert_eq!(refused_paths, [Some("dev/nothing"), Some("prod/missing")]);

    let prod = read(
        &object,
        AuditQuery {
            namespace: Some("prod".into()),
            ..query()
        },
    );
    assert!(!prod.events.is_empty());
    assert!(
        prod.events
            .iter()
            .all(|e| e.path.as_deref().unwrap().starts_with("prod/"))
    );
    // A namespace is whole segments: "pro" is not "prod".
    let partial = read(
        &object,
        AuditQuery {
            namespace: Some("pro".into()),
            ..query()
        },
    );
    assert!(partial.events.is_empty());

    let token_id = refused.events.first().unwrap().actor.clone();
    assert!(token_id.starts_with("token:tok_"), "{token_id}");
    let by_actor = read(
        &object,
        AuditQuery {
            actor: Some(token_id.clone()),
            ..query()
        },
    );
    assert_eq!(types(&by_actor.events), ["secret.read"]);

    let before = read(
        &object,
        AuditQuery {
            until: Some(start),
            ..query()
        },
    );
    assert_eq!(seqs(&before.events), [5, 4, 3, 2, 1]);
    let after = read(
        &object,
        AuditQuery {
            since: Some(later),
            event_type: Some("secret.read".into()),
            ..query()
        },
    );
    assert_eq!(after.events.len(), 1);
    assert_eq!(after.events.first().unwrap().actor, token_id);

    let correlated = read(
        &object,
        AuditQuery {
            correlation_id: Some("req-native".into()),
            limit: 1000,
            ..query()
        },
    );
    // Every event of these requests: they all carried this id (the read itself comes after).
    assert_eq!(
        correlated.events.len() as i64,
        object.count("SELECT count(*) FROM audit_events") - 1
    );
    let nobody = read(
        &object,
        AuditQuery {
            correlation_id: Some("req-elsewhere".into()),
            ..query()
        },
    );
    assert!(nobody.events.is_empty());
}

#[test]
fn read_audit_needs_audit_read() {
    let object = Object::new();
    let reader = object.token_with("secrets:read:*");
    let err = object
        .call(&reader, ReadAudit { query: query() })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("audit:read")
    );
    assert_eq!(object.last_event(), ("audit.read".to_owned(), false));
    let auditor = object.token_with("audit:read");
    let page = object.call(&auditor, ReadAudit { query: query() }).unwrap();
    let refusal = page
        .events
        .iter()
        .find(|e| e.event_type == "audit.read")
        .unwrap();
    assert!(!refusal.success);
    assert!(refusal.actor.starts_with("token:tok_"), "{}", refusal.actor);
}

#[test]
fn verify_audit_on_an_intact_chain_is_ok() {
    let object = Object::new();
    workload(&object);
    let head = object.rows("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1");
    let head = head.first().unwrap().text(0).unwrap();
    let report = object.master(VerifyAudit).unwrap();
    assert!(report.ok);
    assert_eq!(report.events_checked, 5);
    assert_eq!(report.head_hash, head);
    assert_eq!(report.first_bad_event_id, None);
    assert_eq!(object.last_event(), ("audit.verified".to_owned(), true));
    // Its own event extends the chain, which still holds.
    let again = object.master(VerifyAudit).unwrap();
    assert!(again.ok);
    assert_eq!(again.events_checked, 6);
}

#[test]
fn verify_audit_reports_an_event_changed_in_storage() {
    let object = Object::new();
    workload(&object);
    object.rows("UPDATE audit_events SET path = 'prod/elsewhere' WHERE seq = 2");
    let report = object.master(VerifyAudit).unwrap();
    assert!(!report.ok);
    assert_eq!(
        report.first_bad_event_id.as_deref(),
        Some(event_id(2).as_str())
    );
    assert_eq!(report.events_checked, 5, "the rest are still counted");
    // The verification is recorded; it changed nothing.
    assert_eq!(object.last_event(), ("audit.verified".to_owned(), true));
    assert_eq!(
        object.count("SELECT count(*) FROM audit_events WHERE path = 'prod/elsewhere'"),
        1
    );
}

#[test]
fn verify_audit_reports_a_changed_outcome_or_reason() {
    let object = Object::new();
    workload(&object);
    object.rows("UPDATE audit_events SET success = 1, reason = NULL WHERE seq = 5");
    let report = object.master(VerifyAudit).unwrap();
    assert!(!report.ok);
    assert_eq!(
        report.first_bad_event_id.as_deref(),
        Some(event_id(5).as_str())
    );
}

#[test]
fn verify_audit_reports_a_deleted_event() {
    let object = Object::new();
    workload(&object);
    object.rows("DELETE FROM audit_events WHERE seq = 3");
    let report = object.master(VerifyAudit).unwrap();
    assert!(!report.ok);
    assert_eq!(
        report.first_bad_event_id.as_deref(),
        Some(event_id(4).as_str())
    );
    assert_eq!(report.events_checked, 4);
}

#[test]
fn verify_audit_needs_audit_read() {
    let object = Object::new();
    let token = object.token_with("tokens:create");
    let err = object.call(&token, VerifyAudit).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("audit:read")
    );
    assert_eq!(object.last_event(), ("audit.verified".to_owned(), false));
}

#[test]
fn open_stream_without_a_position_starts_after_the_newest_event() {
    let object = Object::new();
    workload(&object);
    let opened = object.master(OpenStream { after: None }).unwrap();
    assert!(opened.events.is_empty());
    assert_eq!(opened.last_seq, 5);
    assert_eq!(object.last_event(), ("audit.streamed".to_owned(), true));
    // The next poll sees what came after, its own opening included.
    let polled = object
        .master(PollStream {
            after: opened.last_seq,
        })
        .unwrap();
    assert_eq!(types(&polled.events), ["audit.streamed"]);
    assert_eq!(polled.last_seq, 6);
}

#[test]
fn open_stream_after_a_position_replays_what_came_after_it() {
    let object = Object::new();
    workload(&object);
    let opened = object.master(OpenStream { after: Some(2) }).unwrap();
    assert_eq!(seqs(&opened.events), [3, 4, 5]);
    assert_eq!(opened.last_seq, 5);
}

#[test]
fn open_stream_needs_audit_read() {
    let object = Object::new();
    let token = object.token_with("secrets:read:*");
    let err = object.call(&token, OpenStream { after: None }).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("audit:read")
    );
    assert_eq!(object.last_event(), ("audit.streamed".to_owned(), false));
}

#[test]
fn poll_stream_answers_events_after_the_position_oldest_first() {
    let object = Object::new();
    workload(&object);
    let polled = object.master(PollStream { after: 1 }).unwrap();
    assert_eq!(seqs(&polled.events), [2, 3, 4, 5]);
    assert_eq!(polled.last_seq, 5);
    let nothing = object.master(PollStream { after: 5 }).unwrap();
    assert!(nothing.events.is_empty());
    assert_eq!(nothing.last_seq, 5, "the position stays where it was");
}

#[test]
fn poll_stream_answers_at_most_a_hundred_events() {
    let object = Object::new();
    for _ in 0..120 {
        object.master(Touch).unwrap();
    }
    let polled = object.master(PollStream { after: 0 }).unwrap();
    assert_eq!(polled.events.len(), 100);
    assert_eq!(polled.last_seq, 100);
}

#[test]
fn poll_stream_is_not_recorded() {
    let object = Object::new();
    workload(&object);
    let before = stored(&object);
    for _ in 0..5 {
        object.master(PollStream { after: 0 }).unwrap();
    }
    assert_eq!(stored(&object), before);
}

#[test]
fn poll_stream_is_not_counted_against_the_rate_limit() {
    let object = Object::new();
    object
        .operator(SetPlan {
            plan: Plan::Enterprise,
            rate_limit_per_minute: Some(2),
            non_expiring_tokens: None,
            mcp_value_tools: None,
            gitops_enabled: None,
        })
        .unwrap();
    object.master(Touch).unwrap();
    for _ in 0..10 {
        object.master(PollStream { after: 0 }).unwrap();
    }
    object.master(Touch).unwrap();
    let limited = object.master(Touch).unwrap_err();
    assert_eq!(limited.code, ErrorCode::RateLimited);
    // Still answered once the window is spent.
    assert!(object.master(PollStream { after: 0 }).is_ok());
}

#[test]
fn poll_stream_needs_audit_read_and_its_refusal_is_not_recorded() {
    let object = Object::new();
    let token = object.token_with("secrets:read:*");
    let before = stored(&object);
    let err = object.call(&token, PollStream { after: 0 }).unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert_eq!(
        detail(&err, "required_scope").as_deref(),
        Some("audit:read")
    );
    assert_eq!(stored(&object), before);
}

#[test]
fn audit_command_via_mcp_details_say_api_mcp() {
    use latchkey_contract::caller::secrets::CreateSecret;
    use latchkey_contract::{CallerCommand, Channel, Via};
    use latchkey_core::secret::NewSecret;
    let object = Object::new();
    let credential = latchkey_core::credential::parse_bearer(&object.master.clone()).unwrap();
    let secret =
        NewSecret::parse(br#"{"path":"prod/mcp","value":"v-mcp-1"}"#, object.now()).unwrap();
    let response = object.send_via(
        Some(Via::Mcp),
        Channel::Caller {
            credential,
            purpose: None,
            command: Some(CallerCommand::from(CreateSecret { secret })),
        },
    );
    assert!(response.result.is_ok());
    let rows = object.rows(
        "SELECT details FROM audit_events WHERE type = 'secret.created' ORDER BY seq DESC LIMIT 1",
    );
    let details: Value = serde_json::from_str(&rows.first().unwrap().text(0).unwrap()).unwrap();
    assert_eq!(details["api"], "mcp");
    assert!(!details.to_string().contains("v-mcp-1"));
    // Without it, no `api`.
    object
        .master(CreateSecret {
            secret: NewSecret::parse(br#"{"path":"prod/rest","value":"v"}"#, object.now()).unwrap(),
        })
        .unwrap();
    let rows = object.rows(
        "SELECT details FROM audit_events WHERE type = 'secret.created' ORDER BY seq DESC LIMIT 1",
    );
    let details: Value = serde_json::from_str(&rows.first().unwrap().text(0).unwrap()).unwrap();
    assert!(details.get("api").is_none());
}
