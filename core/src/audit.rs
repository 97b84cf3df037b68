//! The audit trail: one event per action or denial, chained per tenant so that changing,
//! deleting, reordering or inserting an event is detectable.
//!
//! ```text
//! genesis = SHA-256("latchkey/audit/v1/genesis" ‖ tenant id)
//! hash_n  = SHA-256(hash_{n-1} ‖ canonical(event_n))      (hash_0's predecessor is genesis)
//! ```
//! `canonical` is a length-prefixed encoding of every field but the hashes, in a fixed order,
//! with `details` as JSON with sorted keys: one event has exactly one encoding.

use crate::crypto::sha256;
use crate::error::ApiError;
use crate::time::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;
/// A text filter (`namespace`, `actor`, `type`, `correlation_id`).
pub const MAX_FILTER_BYTES: usize = 512;
/// A caller's `X-Request-Id` is kept as the correlation id when it is at most this long.
pub const MAX_CORRELATION_ID_BYTES: usize = 128;

/// One audit event, as stored and as shown (the documented event shape plus `seq`,
/// `correlation_id`, `reason`, `details` and the chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub seq: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub path: Option<String>,
    pub actor: String,
    pub actor_description: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub timestamp: Timestamp,
    pub success: bool,
    pub correlation_id: Option<String>,
    pub reason: Option<String>,
    /// Extra facts (a version, a token id, an approval id). Never a value.
    pub details: Map<String, Value>,
    pub prev_hash: String,
    pub hash: String,
}

/// The id of the event at `seq`.
pub fn event_id(seq: u64) -> String {
    format!("evt_{seq:016x}")
}

fn hex(bytes: &[u8]) -> String {
    crate::hex::encode(bytes)
}

/// The chain's starting point for one tenant, so no tenant's chain can be spliced into
/// another's.
pub fn genesis(tenant_id: &str) -> String {
    let mut input = b"latchkey/audit/v1/genesis".to_vec();
    input.extend_from_slice(tenant_id.as_bytes());
    hex(&sha256(&input))
}

fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn push_optional(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.push(0),
        Some(text) => {
            out.push(1);
            push_field(out, text.as_bytes());
        }
    }
}

impl AuditEvent {
    /// The bytes the hash covers: every field but `prev_hash` and `hash`.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = b"latchkey/audit/v1/event".to_vec();
        out.extend_from_slice(&self.seq.to_be_bytes());
        push_field(&mut out, self.id.as_bytes());
        push_field(&mut out, self.event_type.as_bytes());
        push_optional(&mut out, self.path.as_deref());
        push_field(&mut out, self.actor.as_bytes());
        push_optional(&mut out, self.actor_description.as_deref());
        push_optional(&mut out, self.ip.as_deref());
        push_optional(&mut out, self.user_agent.as_deref());
        out.extend_from_slice(&self.timestamp.unix_ms().to_be_bytes());
        out.push(u8::from(self.success));
        push_optional(&mut out, self.correlation_id.as_deref());
        push_optional(&mut out, self.reason.as_deref());
        // serde_json's Map is ordered by key: one map, one encoding.
        let details = serde_json::to_vec(&self.details).unwrap_or_default();
        push_field(&mut out, &details);
        out
    }

    /// `SHA-256(prev_hash ‖ canonical bytes)`, hex.
    pub fn compute_hash(&self, prev_hash: &str) -> String {
        let mut input = prev_hash.as_bytes().to_vec();
        input.extend_from_slice(&self.canonical_bytes());
        hex(&sha256(&input))
    }

    /// Sets `prev_hash` and `hash` for an event that follows `prev_hash`.
    pub fn seal(&mut self, prev_hash: &str) {
        self.prev_hash = prev_hash.to_owned();
        self.hash = self.compute_hash(prev_hash);
    }

    /// The event name on the live stream: `vault.accessed` / `vault.denied` for
    /// reads of values, the type otherwise.
    pub fn stream_name(&self) -> &str {
        match (self.event_type.as_str(), self.success) {
            ("secret.read" | "field.read", true) => "vault.accessed",
            ("secret.read" | "field.read", false) => "vault.denied",
            (other, _) => other,
        }
    }
}

/// `GET /v1/audit/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub events_checked: u64,
    pub head_hash: String,
    pub first_bad_event_id: Option<String>,
}

/// Walks events in `seq` order from the start of the chain. An event is bad when its `seq` is
/// not the next one (deletion, insertion, reordering), its `prev_hash` is not the previous
/// event's hash, or its `hash` does not match its contents.
pub struct ChainCheck {
    expected_seq: u64,
    running: String,
    checked: u64,
    first_bad: Option<String>,
}

impl ChainCheck {
    pub fn new(tenant_id: &str) -> Self {
        ChainCheck {
            expected_seq: 1,
            running: genesis(tenant_id),
            checked: 0,
            first_bad: None,
        }
    }

    /// Feeds the next event. After the first bad event the rest are only counted.
    pub fn feed(&mut self, event: &AuditEvent) {
        self.checked += 1;
        if self.first_bad.is_some() {
            return;
        }
        let good = event.seq == self.expected_seq
            && event.id == event_id(event.seq)
            && event.prev_hash == self.running
            && event.compute_hash(&self.running) == event.hash;
        if good {
            self.running = event.hash.clone();
            self.expected_seq += 1;
        } else {
            self.first_bad = Some(event.id.clone());
        }
    }

    /// The report; `head` is the stored head (the last event's hash), which must match the
    /// recomputed chain too (a deleted tail with an untouched head is detected).
    pub fn finish(self, stored_head: Option<&str>) -> VerifyReport {
        let head_matches = stored_head.is_none_or(|head| head == self.running);
        VerifyReport {
            ok: self.first_bad.is_none() && head_matches,
            events_checked: self.checked,
            head_hash: self.running,
            first_bad_event_id: self.first_bad,
        }
    }
}

/// A validated audit query (`GET /v1/audit`, the exports and the operator search).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Whole-segment path prefix.
    pub namespace: Option<String>,
    pub actor: Option<String>,
    pub event_type: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub success: Option<bool>,
    pub correlation_id: Option<String>,
    pub limit: u32,
    /// Events with a `seq` below this one (the cursor: newest first).
    pub before_seq: Option<u64>,
}

/// How an export is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Jsonl,
    Csv,
}

fn bad(field: &str, message: String) -> ApiError {
    ApiError::invalid_request(message).with("field", field)
}

pub fn encode_cursor(seq: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("seq:{seq}"))
}

/// The `seq` a cursor from [`encode_cursor`] points below.
pub fn decode_cursor(text: &str) -> Option<u64> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("seq:")?
        .parse()
        .ok()
}

impl AuditQuery {
    /// Parses the query string's pairs; each bad parameter is a 400 naming it.
    pub fn parse<'a>(
        pairs: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Result<(Self, ExportFormat), ApiError> {
        let mut query = AuditQuery {
            limit: DEFAULT_LIMIT,
            ..AuditQuery::default()
        };
        let mut format = ExportFormat::Json;
        let short = |field: &str, value: &str| -> Result<String, ApiError> {
            if value.is_empty()
                || value.len() > MAX_FILTER_BYTES
                || value.chars().any(char::is_control)
            {
                Err(bad(
                    field,
                    format!("'{field}' must be 1 to {MAX_FILTER_BYTES} printable characters"),
                ))
            } else {
                Ok(value.to_owned())
            }
        };
        let time = |field: &str, value: &str| {
            Timestamp::parse_rfc3339(value)
                .ok_or_else(|| bad(field, format!("'{field}' must be an RFC 3339 date-time")))
        };
        for (key, value) in pairs {
            match key {
                "namespace" => query.namespace = Some(short(key, value.trim_end_matches('/'))?),
                "actor" => query.actor = Some(short(key, value)?),
                "type" => query.event_type = Some(short(key, value)?),
                "correlation_id" => query.correlation_id = Some(short(key, value)?),
                "since" => query.since = Some(time(key, value)?),
                "until" => query.until = Some(time(key, value)?),
                "success" => {
                    query.success = Some(match value {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(key, "'success' must be true or false".into())),
                    })
                }
                "limit" => {
                    query.limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            bad(
                                key,
                                format!("'limit' must be an integer from 1 to {MAX_LIMIT}"),
                            )
                        })?
                }
                "cursor" => {
                    query.before_seq = Some(decode_cursor(value).ok_or_else(|| {
                        bad(key, "'cursor' is not a cursor this API returned".into())
                    })?)
                }
                "format" => {
                    format = match value {
                        "json" => ExportFormat::Json,
                        "jsonl" => ExportFormat::Jsonl,
                        "csv" => ExportFormat::Csv,
                        _ => return Err(bad(key, "'format' must be json, jsonl or csv".into())),
                    }
                }
                other => {
                    return Err(bad(
                        other,
                        format!(
                            "unknown parameter '{other}'; expected namespace, actor, type, since, until, success, correlation_id, limit, cursor, format"
                        ),
                    ));
                }
            }
        }
        if let (Some(since), Some(until)) = (query.since, query.until)
            && since > until
        {
            return Err(bad("since", "'since' is after 'until'".into()));
        }
        Ok((query, format))
    }
}

/// One page of events, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

pub const CSV_HEADER: &str = "id,seq,timestamp,type,path,actor,actor_description,ip,user_agent,success,correlation_id,reason,details,prev_hash,hash\n";

/// First characters that make a spreadsheet read a cell as a formula (OWASP's list: `=`, `+`,
/// `-`, `@`, tab, CR; plus LF and the full-width forms some spreadsheets also accept).
const FORMULA_STARTS: [char; 11] = [
    '=', '+', '-', '@', '\t', '\r', '\n', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// Whether a spreadsheet could take `text` for a formula: it starts with one of
/// [`FORMULA_STARTS`], or does after leading spaces (some importers trim them).
fn looks_like_formula(text: &str) -> bool {
    let starts = |t: &str| t.starts_with(FORMULA_STARTS);
    starts(text) || starts(text.trim_start_matches(' '))
}

/// One CSV cell: RFC 4180 quoting, and a cell a spreadsheet would run as a formula is
/// neutralised as OWASP says — a `'` in front, inside the quotes — so an exported audit trail
/// (whose `user_agent`, `path` and `reason` anyone can choose, even without a credential)
/// cannot plant `=HYPERLINK(…)` in whoever opens it.
fn csv_field(text: &str) -> String {
    if looks_like_formula(text) {
        format!("\"'{}\"", text.replace('"', "\"\""))
    } else if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One CSV line (RFC 4180 quoting) in [`CSV_HEADER`]'s column order; every cell goes through
/// [`csv_field`].
pub fn csv_line(event: &AuditEvent) -> String {
    let optional = |v: &Option<String>| v.as_deref().map(csv_field).unwrap_or_default();
    let fields = [
        csv_field(&event.id),
        csv_field(&event.seq.to_string()),
        csv_field(&event.timestamp.to_string()),
        csv_field(&event.event_type),
        optional(&event.path),
        csv_field(&event.actor),
        optional(&event.actor_description),
        optional(&event.ip),
        optional(&event.user_agent),
        csv_field(&event.success.to_string()),
        optional(&event.correlation_id),
        optional(&event.reason),
        csv_field(&serde_json::to_string(&event.details).unwrap_or_default()),
        csv_field(&event.prev_hash),
        csv_field(&event.hash),
    ];
    format!("{}\n", fields.join(","))
}

/// Who acted.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `master`, `token:<id>`, `operator`, `system`, a link's approver, or `anonymous`.
    pub id: String,
    pub description: Option<String>,
}

impl Actor {
    pub fn named(id: &str) -> Self {
        Actor {
            id: id.to_owned(),
            description: None,
        }
    }
}

/// Where the request came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub correlation_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TENANT: &str = "tn_0123456789abcdef";

    fn event(seq: u64, event_type: &str) -> AuditEvent {
        AuditEvent {
            id: event_id(seq),
            seq,
            event_type: event_type.into(),
            path: Some("prod/db".into()),
            actor: "token:tok_0123456789abcdef".into(),
            actor_description: Some("agent".into()),
            ip: Some("10.0.0.1".into()),
            user_agent: Some("curl/8".into()),
            timestamp: Timestamp::from_unix_ms(1_700_000_000_000 + seq as i64).unwrap(),
            success: true,
            correlation_id: Some(format!("req-{seq}")),
            reason: None,
            details: json!({"version": seq}).as_object().unwrap().clone(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn chain(n: u64) -> Vec<AuditEvent> {
        let mut prev = genesis(TENANT);
        (1..=n)
            .map(|seq| {
                let mut e = event(seq, "secret.read");
                e.seal(&prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(events: &[AuditEvent], head: Option<&str>) -> VerifyReport {
        let mut check = ChainCheck::new(TENANT);
        for e in events {
            check.feed(e);
        }
        check.finish(head)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let events = chain(20);
        let head = events.last().unwrap().hash.clone();
        let report = verify(&events, Some(&head));
        assert!(report.ok);
        assert_eq!(report.events_checked, 20);
        assert_eq!(report.head_hash, head);
        assert_eq!(report.first_bad_event_id, None);
        assert!(verify(&[], None).ok);
    }

    #[test]
    fn changing_any_field_is_detected() {
        type Mutation = Box<dyn Fn(&mut AuditEvent)>;
        let mutations: Vec<Mutation> = vec![
            Box::new(|e| e.event_type = "secret.updated".into()),
            Box::new(|e| e.path = None),
            Box::new(|e| e.actor = "master".into()),
            Box::new(|e| e.success = false),
            Box::new(|e| e.ip = Some("10.0.0.2".into())),
            Box::new(|e| e.timestamp = Timestamp::from_unix_ms(0).unwrap()),
            Box::new(|e| e.reason = Some("x".into())),
            Box::new(|e| {
                e.details.insert("version".into(), json!(99));
            }),
            Box::new(|e| e.correlation_id = None),
        ];
        for mutate in mutations {
            let mut events = chain(10);
            mutate(&mut events[4]);
            let report = verify(&events, None);
            assert!(!report.ok);
            assert_eq!(
                report.first_bad_event_id.as_deref(),
                Some(event_id(5).as_str())
            );
        }
    }

    #[test]
    fn rehashing_one_changed_event_breaks_the_next() {
        let mut events = chain(10);
        events[4].actor = "master".into();
        let prev = events[3].hash.clone();
        events[4].seal(&prev);
        let report = verify(&events, None);
        assert_eq!(
            report.first_bad_event_id.as_deref(),
            Some(event_id(6).as_str())
        );
    }

    #[test]
    fn deleting_reordering_or_inserting_is_detected() {
        let events = chain(10);
        let mut deleted = events.clone();
        deleted.remove(3);
        assert_eq!(
            verify(&deleted, None).first_bad_event_id.as_deref(),
            Some(event_id(5).as_str())
        );
        let mut reordered = events.clone();
        reordered.swap(2, 3);
        assert!(!verify(&reordered, None).ok);
        let mut inserted = events.clone();
        let mut extra = event(4, "secret.created");
        extra.seal(&events[2].hash);
        inserted.insert(3, extra);
        assert!(!verify(&inserted, None).ok);
        // Dropping the newest events is caught by the stored head.
        let head = events.last().unwrap().hash.clone();
        let truncated = &events[..8];
        let report = verify(truncated, Some(&head));
        assert!(!report.ok);
        assert_eq!(report.first_bad_event_id, None);
    }

    #[test]
    fn chains_of_different_tenants_do_not_mix() {
        let events = chain(3);
        let mut check = ChainCheck::new("tn_fedcba9876543210");
        for e in &events {
            check.feed(e);
        }
        assert!(!check.finish(None).ok);
    }

    #[test]
    fn queries_parse_and_name_bad_parameters() {
        let (query, format) = AuditQuery::parse(
            [
                ("namespace", "prod/"),
                ("type", "secret.read"),
                ("success", "false"),
                ("limit", "1000"),
                ("since", "2025-01-01T00:00:00Z"),
                ("format", "csv"),
                ("cursor", encode_cursor(42).as_str()),
            ]
            .into_iter(),
        )
        .unwrap();
        assert_eq!(query.namespace.as_deref(), Some("prod"));
        assert_eq!(query.before_seq, Some(42));
        assert_eq!(query.success, Some(false));
        assert_eq!(format, ExportFormat::Csv);
        for (key, value) in [
            ("limit", "0"),
            ("limit", "1001"),
            ("success", "yes"),
            ("since", "yesterday"),
            ("cursor", "nope"),
            ("format", "xml"),
            ("colour", "red"),
        ] {
            let err = AuditQuery::parse([(key, value)].into_iter()).unwrap_err();
            assert_eq!(err.status(), 400, "{key}={value}");
            assert_eq!(err.details.get("field").and_then(Value::as_str), Some(key));
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut e = event(1, "secret.read");
        e.user_agent = Some("agent, \"quoted\"\nnext".into());
        let line = csv_line(&e);
        assert!(line.contains("\"agent, \"\"quoted\"\"\nnext\""));
        assert_eq!(CSV_HEADER.split(',').count(), 15);
        assert!(line.starts_with("evt_0000000000000001,1,"));
        assert!(line.ends_with(&format!(",{}\n", e.hash)));
    }

    /// A minimal RFC 4180 reader, enough to check what a spreadsheet would see in each cell.
    fn parse_csv_line(line: &str) -> Vec<String> {
        let mut cells = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.strip_suffix('\n').unwrap_or(line).chars().peekable();
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    cells.last_mut().unwrap().push('"');
                }
                (true, '"') => quoted = false,
                (false, '"') => quoted = true,
                (false, ',') => cells.push(String::new()),
                (_, c) => cells.last_mut().unwrap().push(c),
            }
        }
        assert!(!quoted, "unterminated quote in {line:?}");
        cells
    }

    #[test]
    fn csv_neutralises_every_formula_start_in_every_text_cell() {
        let starts = [
            "=", "+", "-", "@", "\t", "\r", "\n", "\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}",
            " =", "  @",
        ];
        for start in starts {
            let payload = format!("{start}HYPERLINK(\"http://evil.example\",\"x\")");
            let mut e = event(1, "auth.failed");
            e.path = Some(payload.clone());
            e.actor_description = Some(payload.clone());
            e.ip = Some(payload.clone());
            e.user_agent = Some(payload.clone());
            e.correlation_id = Some(payload.clone());
            e.reason = Some(payload.clone());
            e.actor = payload.clone();
            e.event_type = payload.clone();
            let line = csv_line(&e);
            let cells = parse_csv_line(&line);
            assert_eq!(cells.len(), 15, "{start:?}: {line:?}");
            for i in [3, 4, 5, 6, 7, 8, 10, 11] {
                assert_eq!(cells[i], format!("'{payload}"), "{start:?} cell {i}");
                assert!(!looks_like_formula(&cells[i]));
            }
            // The `'` is inside the quotes, where RFC 4180 readers keep it.
            assert!(line.contains(&format!("\"'{}", payload.replace('"', "\"\""))));
            for cell in &cells {
                assert!(!looks_like_formula(cell), "{start:?}: {cell:?}");
            }
        }
    }

    #[test]
    fn csv_leaves_harmless_cells_alone() {
        assert_eq!(csv_field("curl/8.5.0"), "curl/8.5.0");
        assert_eq!(csv_field("a=b"), "a=b");
        assert_eq!(csv_field("x-1"), "x-1");
        assert_eq!(csv_field("'=already"), "'=already");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field(""), "");
        assert_eq!(csv_field("-"), "\"'-\"");
        assert_eq!(csv_field("@x,\"y\""), "\"'@x,\"\"y\"\"\"");
        // The details cell is JSON, which starts with `{`; numbers and hashes are untouched.
        let e = event(7, "secret.read");
        let cells = parse_csv_line(&csv_line(&e));
        assert_eq!(cells[1], "7");
        assert_eq!(cells[14], e.hash);
    }

    #[test]
    fn reads_have_the_seeds_stream_names() {
        let mut e = event(1, "secret.read");
        assert_eq!(e.stream_name(), "vault.accessed");
        e.success = false;
        assert_eq!(e.stream_name(), "vault.denied");
        assert_eq!(event(1, "token.created").stream_name(), "token.created");
    }
}
