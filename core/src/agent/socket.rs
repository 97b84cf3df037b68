//! The agent socket's frame protocol (issue 23, seed 000's `GET /agents/me/connect`): JSON
//! text frames with a `type` member, both ways, the limits and the close codes. Pure: the
//! tenant object parses what an agent sends with [`parse_client_frame`] and builds what it
//! pushes with the `*_frame` functions; the wire is documented in ARCHITECTURE ("The agent
//! socket") and README.

use super::jobs::Job;
use super::{AgentCommand, AgentId};
use crate::{ApiError, Timestamp};
use serde_json::{Map, Value, json};

/// The largest frame an agent may send, in bytes.
pub const MAX_FRAME_BYTES: usize = 4096;

/// Open sockets per agent: one more closes the agent's oldest ([`CLOSE_REPLACED`]), so an agent
/// that reconnects is never locked out by its own half-dead socket.
pub const MAX_SOCKETS_PER_AGENT: usize = 2;

/// Open sockets per tenant: one more is refused before the upgrade (503).
pub const MAX_SOCKETS_PER_TENANT: usize = 100;

/// The tag a socket carries in the tenant object: the platform finds an agent's sockets by it
/// after hibernation.
pub fn socket_tag(agent: &AgentId) -> String {
    format!("agent:{agent}")
}

/// A binary frame.
pub const CLOSE_UNSUPPORTED: u16 = 1003;
/// A frame that is not a JSON object, lacks `type`, or carries a member its type does not take.
pub const CLOSE_INVALID: u16 = 1007;
/// A frame of an unknown type.
pub const CLOSE_POLICY: u16 = 1008;
/// A frame over [`MAX_FRAME_BYTES`].
pub const CLOSE_TOO_BIG: u16 = 1009;
/// The object failed.
pub const CLOSE_INTERNAL: u16 = 1011;
/// The agent was revoked or suspended: its credential is dead, so it must not reconnect.
pub const CLOSE_REVOKED: u16 = 4001;
/// A newer socket of the same agent took this one's place ([`MAX_SOCKETS_PER_AGENT`]).
pub const CLOSE_REPLACED: u16 = 4002;

/// Why a socket is closed: the code and a reason of at most 123 bytes (the protocol's limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: String,
}

impl Close {
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        let mut reason: String = reason.into();
        if reason.len() > 123 {
            let mut end = 120;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
            reason.push_str("...");
        }
        Close { code, reason }
    }

    pub fn revoked() -> Self {
        Close::new(CLOSE_REVOKED, "agent revoked")
    }

    /// Suspended by a cascading revocation: the credential is dead until an admin
    /// reinstates the agent.
    pub fn suspended() -> Self {
        Close::new(CLOSE_REVOKED, "agent suspended")
    }

    pub fn replaced() -> Self {
        Close::new(CLOSE_REPLACED, "replaced by a newer connection")
    }

    pub fn binary() -> Self {
        Close::new(
            CLOSE_UNSUPPORTED,
            "binary frames are not accepted; send JSON text",
        )
    }

    pub fn internal() -> Self {
        Close::new(CLOSE_INTERNAL, "internal error")
    }
}

/// What an agent may send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    /// Moves the agent's `last_seen_at`; answered with `heartbeat_ack`.
    Heartbeat,
    /// Answered with `pong`.
    Ping,
}

/// Parses one text frame: the frame, or the close that refuses it.
pub fn parse_client_frame(text: &str) -> Result<ClientFrame, Close> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(Close::new(
            CLOSE_TOO_BIG,
            format!("frame of {} bytes; at most {MAX_FRAME_BYTES}", text.len()),
        ));
    }
    // The error's kind only: serde_json quotes the text, which is the agent's.
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Close::new(
            CLOSE_INVALID,
            format!(
                "frame is not JSON ({:?} at column {})",
                e.classify(),
                e.column()
            ),
        )
    })?;
    let Value::Object(members) = value else {
        return Err(Close::new(CLOSE_INVALID, "frame is not a JSON object"));
    };
    let kind = match members.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => return Err(Close::new(CLOSE_INVALID, "frame's type is not a string")),
        None => return Err(Close::new(CLOSE_INVALID, "frame has no type")),
    };
    let frame = match kind {
        "heartbeat" => ClientFrame::Heartbeat,
        "ping" => ClientFrame::Ping,
        other => {
            let shown: String = other.chars().take(40).collect();
            return Err(Close::new(
                CLOSE_POLICY,
                format!("unknown frame type '{shown}'; known: heartbeat, ping"),
            ));
        }
    };
    if let Some(member) = members.keys().find(|k| k.as_str() != "type") {
        let shown: String = member.chars().take(40).collect();
        return Err(Close::new(
            CLOSE_INVALID,
            format!("unknown member '{shown}' in a {kind} frame"),
        ));
    }
    Ok(frame)
}

fn frame(kind: &str, members: Value) -> String {
    let mut object = match members {
        Value::Object(object) => object,
        _ => Map::new(),
    };
    object.insert("type".into(), Value::from(kind));
    Value::Object(object).to_string()
}

/// The audit events that owe agents a `secret_changed` notice, when they succeed and name a
/// path: a stored secret or one of its fields or versions was written, rotated, deleted or
/// restored. The live push and a reconnect's catch-up both read events by this list (the
/// catch-up from the audit chain), so they cannot disagree; the object's tests check that
/// every command writing a stored secret records one of these.
pub const SECRET_CHANGE_EVENTS: &[&str] = &[
    "secret.created",
    "secret.updated",
    "secret.rotated",
    "secret.deleted",
    "secret.restored",
    "secret.versions_deleted",
    "secret.versions_destroyed",
    "secret.versions_undeleted",
    "field.set",
    "field.deleted",
];

/// At most this many notices are replayed on a reconnect; beyond it the agent gets `resync`.
pub const MAX_REPLAYED_NOTICES: usize = 500;

/// The first frame on a new socket. `cursor` is the tenant's audit chain head: an agent that
/// reconnects with `?since=<cursor>` gets the notices it missed after it.
pub fn hello_frame(agent: &AgentId, heartbeat_interval_seconds: u64, cursor: u64) -> String {
    frame(
        "hello",
        json!({
            "agent_id": agent.as_str(),
            "heartbeat_interval_seconds": heartbeat_interval_seconds,
            "max_frame_bytes": MAX_FRAME_BYTES,
            "cursor": cursor,
        }),
    )
}

/// Why a connect cannot replay what the agent missed, so it re-reads what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResyncReason {
    /// No `since`: a first connect, or an agent that keeps no cursor.
    Connected,
    /// More than [`MAX_REPLAYED_NOTICES`] changes since the cursor.
    TooManyChanges,
    /// The cursor is past the chain's head (not this tenant's, or from a reset).
    UnknownCursor,
}

impl ResyncReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ResyncReason::Connected => "connected",
            ResyncReason::TooManyChanges => "too_many_changes",
            ResyncReason::UnknownCursor => "unknown_cursor",
        }
    }
}

/// Sent after `hello` when the notices the agent missed are not replayed: it re-reads what it
/// holds.
pub fn resync_frame(reason: ResyncReason) -> String {
    frame("resync", json!({ "reason": reason.as_str() }))
}

/// Parses `since` of `GET …/connect?since=<cursor>`: the `cursor` of the last `hello` or
/// `secret_changed` frame the agent saw.
pub fn parse_since(text: &str) -> Result<u64, ApiError> {
    text.parse::<u64>()
        .ok()
        .filter(|n| i64::try_from(*n).is_ok())
        .ok_or_else(|| {
            ApiError::invalid_request(
                "'since' must be the cursor of a hello or secret_changed frame (a whole number)",
            )
            .with("field", "since")
        })
}

/// A seed-000 command, in the shape the health reply's `commands` carries.
pub fn command_frame(command: &AgentCommand) -> String {
    frame("command", json!({ "command": command }))
}

/// A queued job, in the shape a claim answers; the agent still claims it.
pub fn job_frame(job: &Job) -> String {
    frame("job", json!({ "job": job }))
}

/// A stored secret the agent's grants cover changed: its path and current version (`None`
/// once deleted), never a value; `cursor` is the change's audit event (`seq`).
pub fn secret_changed_frame(path: &str, version: Option<u64>, event: &str, cursor: u64) -> String {
    frame(
        "secret_changed",
        json!({ "path": path, "version": version, "event": event, "cursor": cursor }),
    )
}

pub fn heartbeat_ack_frame(at: Timestamp) -> String {
    frame("heartbeat_ack", json!({ "last_seen_at": at }))
}

pub fn pong_frame() -> String {
    frame("pong", json!({}))
}

/// Which of an agent's sockets, oldest first by when they connected, must close so that
/// [`MAX_SOCKETS_PER_AGENT`] remain: the indexes into `connected_at`.
pub fn sockets_to_replace(connected_at: &[i64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..connected_at.len()).collect();
    order.sort_by_key(|&i| connected_at.get(i).copied().unwrap_or(i64::MAX));
    let excess = connected_at.len().saturating_sub(MAX_SOCKETS_PER_AGENT);
    order.into_iter().take(excess).collect()
}

/// Whether a tenant with `open` sockets may accept one more.
pub fn tenant_has_room(open: usize) -> bool {
    open < MAX_SOCKETS_PER_TENANT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Close {
        parse_client_frame(text).unwrap_err()
    }

    #[test]
    fn parse_client_frame_known_types_are_frames() {
        assert_eq!(
            parse_client_frame(r#"{"type":"heartbeat"}"#),
            Ok(ClientFrame::Heartbeat)
        );
        assert_eq!(
            parse_client_frame(r#" {"type":"ping"} "#),
            Ok(ClientFrame::Ping)
        );
    }

    #[test]
    fn parse_client_frame_malformed_is_closed_with_a_reason() {
        for (text, code, says) in [
            ("not json", CLOSE_INVALID, "not JSON"),
            ("[1,2]", CLOSE_INVALID, "not a JSON object"),
            ("{}", CLOSE_INVALID, "no type"),
            (r#"{"type":7}"#, CLOSE_INVALID, "not a string"),
            (
                r#"{"type":"launch"}"#,
                CLOSE_POLICY,
                "unknown frame type 'launch'",
            ),
            (
                r#"{"type":"heartbeat","status":"ok"}"#,
                CLOSE_INVALID,
                "unknown member 'status'",
            ),
        ] {
            let close = refused(text);
            assert_eq!(close.code, code, "{text}");
            assert!(close.reason.contains(says), "{text}: {}", close.reason);
        }
    }

    #[test]
    fn parse_client_frame_over_the_limit_is_too_big() {
        let text = format!(
            r#"{{"type":"ping","pad":"{}"}}"#,
            "x".repeat(MAX_FRAME_BYTES)
        );
        let close = refused(&text);
        assert_eq!(close.code, CLOSE_TOO_BIG);
        assert!(close.reason.contains("at most 4096"), "{}", close.reason);
    }

    #[test]
    fn parse_client_frame_does_not_echo_long_input() {
        let close = refused(&format!(r#"{{"type":"{}"}}"#, "y".repeat(500)));
        assert!(close.reason.len() <= 123, "{}", close.reason.len());
    }

    #[test]
    fn close_long_reason_is_cut_to_the_protocols_limit() {
        let close = Close::new(CLOSE_INVALID, "é".repeat(100));
        assert!(close.reason.len() <= 123);
        assert!(close.reason.ends_with("..."));
    }

    #[test]
    fn frames_carry_their_type_and_members() {
        let agent = AgentId::parse("agt_0123456789abcdef01234567").unwrap();
        let hello: Value = serde_json::from_str(&hello_frame(&agent, 60, 41)).unwrap();
        assert_eq!(hello["type"], "hello");
        assert_eq!(hello["cursor"], 41);
        assert_eq!(hello["agent_id"], agent.as_str());
        assert_eq!(hello["max_frame_bytes"], MAX_FRAME_BYTES);
        let notice: Value = serde_json::from_str(&secret_changed_frame(
            "db/pw",
            Some(3),
            "secret.updated",
            42,
        ))
        .unwrap();
        assert_eq!(
            notice,
            json!({"type": "secret_changed", "path": "db/pw", "version": 3,
                   "event": "secret.updated", "cursor": 42})
        );
        let gone: Value =
            serde_json::from_str(&secret_changed_frame("db/pw", None, "secret.deleted", 43))
                .unwrap();
        assert_eq!(gone["version"], Value::Null);
        assert_eq!(
            serde_json::from_str::<Value>(&pong_frame()).unwrap(),
            json!({"type": "pong"})
        );
    }

    #[test]
    fn parse_since_takes_a_cursor_and_names_anything_else() {
        assert_eq!(parse_since("0").unwrap(), 0);
        assert_eq!(parse_since("42").unwrap(), 42);
        for bad in ["", "-1", "x", "1.5", "18446744073709551615"] {
            let e = parse_since(bad).unwrap_err();
            assert_eq!(e.details["field"], "since", "{bad}");
        }
    }

    #[test]
    fn resync_frame_says_why() {
        let frame: Value =
            serde_json::from_str(&resync_frame(ResyncReason::TooManyChanges)).unwrap();
        assert_eq!(
            frame,
            json!({"type": "resync", "reason": "too_many_changes"})
        );
    }

    #[test]
    fn sockets_to_replace_closes_the_oldest_beyond_the_limit() {
        assert!(sockets_to_replace(&[5, 1]).is_empty());
        assert_eq!(sockets_to_replace(&[5, 1, 9]), vec![1]);
        assert_eq!(sockets_to_replace(&[5, 1, 9, 3]), vec![1, 3]);
    }

    #[test]
    fn tenant_has_room_refuses_at_the_limit() {
        assert!(tenant_has_room(MAX_SOCKETS_PER_TENANT - 1));
        assert!(!tenant_has_room(MAX_SOCKETS_PER_TENANT));
    }
}
