//! The copy of the audit trail in D1 (operator-wide search, retention beyond the object): how a
//! batch of events becomes statements. The alarm runs them (`tenant::background`).
//!
//! A batch goes as a few statements, each inserting many events from one JSON array through
//! `json_each`, not one statement per event: every statement costs D1 (and, locally, the D1
//! object in the same process) a round of binding, execution and result bookkeeping, and the
//! copy runs for every audited request.

use latchkey_core::audit::AuditEvent;
use serde::Serialize;

/// Inserts the events of the JSON array bound as `?2` for the tenant bound as `?1`. `INSERT OR
/// IGNORE` makes a batch that is copied twice (the alarm failed after D1 took it) harmless.
pub const INSERT_EVENTS: &str = "INSERT OR IGNORE INTO audit_events (tenant_id, seq, id, type, \
    path, actor, actor_description, ip, user_agent, timestamp, success, correlation_id, reason, \
    details, prev_hash, hash)
    SELECT ?1, json_extract(value, '$.seq'), json_extract(value, '$.id'),
        json_extract(value, '$.type'), json_extract(value, '$.path'),
        json_extract(value, '$.actor'), json_extract(value, '$.actor_description'),
        json_extract(value, '$.ip'), json_extract(value, '$.user_agent'),
        json_extract(value, '$.timestamp'), json_extract(value, '$.success'),
        json_extract(value, '$.correlation_id'), json_extract(value, '$.reason'),
        json_extract(value, '$.details'), json_extract(value, '$.prev_hash'),
        json_extract(value, '$.hash')
    FROM json_each(?2) ORDER BY key";

/// The most JSON one statement binds. D1 takes strings up to 2 MB; a quarter of that leaves
/// room for anything a future event carries.
pub const MAX_CHUNK_BYTES: usize = 512 * 1024;

/// One event as the D1 copy stores it: `details` as its JSON text, `success` as 0 or 1, the
/// time in RFC 3339.
#[derive(Serialize)]
struct CopiedEvent<'a> {
    seq: u64,
    id: &'a str,
    #[serde(rename = "type")]
    event_type: &'a str,
    path: Option<&'a str>,
    actor: &'a str,
    actor_description: Option<&'a str>,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    timestamp: String,
    success: u8,
    correlation_id: Option<&'a str>,
    reason: Option<&'a str>,
    details: String,
    prev_hash: &'a str,
    hash: &'a str,
}

/// The events as JSON arrays for [`INSERT_EVENTS`], in order, each at most [`MAX_CHUNK_BYTES`]
/// unless a single event is larger (it then goes alone).
pub fn chunks(events: &[AuditEvent]) -> Result<Vec<String>, serde_json::Error> {
    let mut chunks = Vec::new();
    let mut current = String::from("[");
    for event in events {
        let row = serde_json::to_string(&CopiedEvent {
            seq: event.seq,
            id: &event.id,
            event_type: &event.event_type,
            path: event.path.as_deref(),
            actor: &event.actor,
            actor_description: event.actor_description.as_deref(),
            ip: event.ip.as_deref(),
            user_agent: event.user_agent.as_deref(),
            timestamp: event.timestamp.to_string(),
            success: u8::from(event.success),
            correlation_id: event.correlation_id.as_deref(),
            reason: event.reason.as_deref(),
            details: serde_json::to_string(&event.details)?,
            prev_hash: &event.prev_hash,
            hash: &event.hash,
        })?;
        // The comma before the row and the closing bracket after it.
        if current.len() > 1 && current.len() + 1 + row.len() + 1 > MAX_CHUNK_BYTES {
            current.push(']');
            chunks.push(std::mem::replace(&mut current, String::from("[")));
        }
        if current.len() > 1 {
            current.push(',');
        }
        current.push_str(&row);
    }
    if current.len() > 1 {
        current.push(']');
        chunks.push(current);
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_core::Timestamp;
    use serde_json::{Map, Value, json};

    fn event(seq: u64, details: Map<String, Value>) -> AuditEvent {
        AuditEvent {
            id: latchkey_core::audit::event_id(seq),
            seq,
            event_type: "secret.read".into(),
            path: Some("app/db \"main\"".into()),
            actor: "tok_1".into(),
            actor_description: None,
            ip: Some("203.0.113.9".into()),
            user_agent: None,
            timestamp: Timestamp::from_unix_ms_f64(1_764_633_600_000.0),
            success: seq.is_multiple_of(2),
            correlation_id: Some("req_1".into()),
            reason: None,
            details,
            prev_hash: "a".repeat(64),
            hash: "b".repeat(64),
        }
    }

    #[test]
    fn an_event_becomes_the_columns_d1_stores() {
        let mut details = Map::new();
        details.insert("version".into(), json!(3));
        let chunks = chunks(&[event(2, details)]).unwrap_or_default();
        assert_eq!(chunks.len(), 1);
        let rows: Value = serde_json::from_str(&chunks[0]).unwrap_or(Value::Null);
        assert_eq!(
            rows,
            json!([{
                "seq": 2, "id": "evt_0000000000000002", "type": "secret.read",
                "path": "app/db \"main\"", "actor": "tok_1", "actor_description": null,
                "ip": "203.0.113.9", "user_agent": null, "timestamp": "2025-12-02T00:00:00Z",
                "success": 1, "correlation_id": "req_1", "reason": null,
                "details": "{\"version\":3}", "prev_hash": "a".repeat(64), "hash": "b".repeat(64),
            }])
        );
    }

    #[test]
    fn a_large_batch_is_split_in_order_and_within_the_limit() {
        let mut details = Map::new();
        details.insert("note".into(), json!("x".repeat(4000)));
        let events: Vec<AuditEvent> = (1..=300).map(|seq| event(seq, details.clone())).collect();
        let chunks = chunks(&events).unwrap_or_default();
        assert!(chunks.len() > 1, "{} chunks", chunks.len());
        let mut seqs = Vec::new();
        for chunk in &chunks {
            assert!(chunk.len() <= MAX_CHUNK_BYTES);
            let rows: Vec<Value> = serde_json::from_str(chunk).unwrap_or_default();
            seqs.extend(rows.iter().filter_map(|row| row["seq"].as_u64()));
        }
        assert_eq!(seqs, (1..=300).collect::<Vec<u64>>());
    }

    #[test]
    fn an_event_larger_than_a_chunk_goes_alone_and_nothing_is_empty() {
        let mut big = Map::new();
        big.insert("note".into(), json!("x".repeat(MAX_CHUNK_BYTES)));
        let chunks = chunks(&[event(1, Map::new()), event(2, big), event(3, Map::new())])
            .unwrap_or_default();
        assert_eq!(chunks.len(), 3);
        assert!(
            chunks
                .iter()
                .all(|c| c.starts_with("[{") && c.ends_with("}]"))
        );
        assert!(super::chunks(&[]).unwrap_or_default().is_empty());
    }
}
