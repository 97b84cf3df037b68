//! The agent socket on the wire (issue 23, seed 000's `GET /api/v1/agents/me/connect`): a real
//! WebSocket client against the local runtime. Pushes arrive within a second, a reconnect
//! catches up, revocation closes the socket, bad frames close it with a reason, and the limits
//! hold. The protocol is README's "The agent socket".

use crate::Ctx;
use crate::agent_plane::{admin, as_agent, mint, queue_job};
use crate::people::call;
use serde_json::{Value, json};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "agent_socket::pushed_job_command_and_notice_arrive_within_a_second",
        pushed_job_command_and_notice_arrive_within_a_second,
    ),
    (
        "agent_socket::reconnect_catches_up_on_what_was_missed",
        reconnect_catches_up_on_what_was_missed,
    ),
    (
        "agent_socket::revocation_closes_the_socket_both_ways_in",
        revocation_closes_the_socket_both_ways_in,
    ),
    (
        "agent_socket::bad_frames_close_the_socket_with_a_reason",
        bad_frames_close_the_socket_with_a_reason,
    ),
    (
        "agent_socket::limits_close_the_oldest_and_refuse_without_upgrade",
        limits_close_the_oldest_and_refuse_without_upgrade,
    ),
    (
        "agent_socket::heartbeat_over_the_socket_moves_last_seen_at",
        heartbeat_over_the_socket_moves_last_seen_at,
    ),
    (
        "agent_socket::the_tenants_socket_limit_refuses_before_the_upgrade",
        the_tenants_socket_limit_refuses_before_the_upgrade,
    ),
];

pub type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// How long a push may take.
const PUSH_WITHIN: Duration = Duration::from_secs(1);

/// Opens `path` (`/api/v1/agents/…/connect`) with `headers`: the socket, or the refusal's
/// status and JSON body.
pub fn open(ctx: &Ctx, path: &str, headers: &[(&str, &str)]) -> Result<Socket, (u16, Value)> {
    let url = format!("{}{path}", ctx.api().base.replacen("http", "ws", 1));
    let mut request = url.into_client_request().expect("a request");
    for (name, value) in headers {
        request.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            value.parse().expect("a header value"),
        );
    }
    match tungstenite::connect(request) {
        Ok((socket, response)) => {
            assert_eq!(response.status(), 101);
            Ok(socket)
        }
        Err(tungstenite::Error::Http(response)) => {
            let body = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Err((response.status().as_u16(), body))
        }
        Err(e) => panic!("connect {path}: {e}"),
    }
}

/// An upgrade the server refuses, sent with a plain HTTP client: `tungstenite` does not always
/// read a refusal's body, this does.
pub fn refused_upgrade(ctx: &Ctx, path: &str, headers: &[(&str, &str)]) -> latchkey_e2e::Reply {
    let mut all = vec![
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
    ];
    all.extend_from_slice(headers);
    ctx.api()
        .send("GET", path, None, &all, latchkey_e2e::client::Body::None)
}

/// A seed-001 agent's socket: `X-Agent-Secret`.
pub fn open_as(ctx: &Ctx, id: &str, secret: &str) -> Socket {
    let mut socket = open(
        ctx,
        &format!("/api/v1/agents/{id}/connect"),
        &[("X-Agent-Secret", secret)],
    )
    .unwrap_or_else(|(status, body)| panic!("connect: {status} {body}"));
    assert_eq!(next(&mut socket)["type"], "hello");
    assert_eq!(next(&mut socket)["type"], "resync");
    socket
}

fn set_timeout(socket: &mut Socket, timeout: Duration) {
    if let MaybeTlsStream::Plain(stream) = socket.get_mut() {
        stream.set_read_timeout(Some(timeout)).expect("a timeout");
    }
}

/// The next text frame within [`PUSH_WITHIN`] (twice that for a slow first frame).
pub fn next(socket: &mut Socket) -> Value {
    next_within(socket, PUSH_WITHIN * 2).unwrap_or_else(|| panic!("no frame in time"))
}

/// The next text frame within `timeout`, or `None`.
pub fn next_within(socket: &mut Socket, timeout: Duration) -> Option<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        set_timeout(socket, left);
        match socket.read() {
            Ok(Message::Text(text)) => {
                return Some(serde_json::from_str(text.as_str()).expect("a JSON frame"));
            }
            Ok(Message::Close(close)) => panic!("closed: {close:?}"),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// Reads until the server closes the socket: its code and reason.
pub fn closed(socket: &mut Socket) -> (u16, String) {
    let deadline = Instant::now() + PUSH_WITHIN * 2;
    loop {
        set_timeout(
            socket,
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        );
        match socket.read() {
            Ok(Message::Close(Some(frame))) => {
                return (u16::from(frame.code), frame.reason.to_string());
            }
            Ok(Message::Close(None)) => return (1005, String::new()),
            Ok(_) => {}
            Err(e) => {
                assert!(Instant::now() < deadline, "not closed in time: {e}");
                panic!("read before the close: {e}");
            }
        }
    }
}

fn send(socket: &mut Socket, text: &str) {
    socket
        .send(Message::text(text.to_owned()))
        .expect("send a frame");
}

fn grant(ctx: &Ctx, key: &str, agent: &str, glob: &str) {
    let reply = call(
        ctx,
        "POST",
        "/v1/grants",
        Some(key),
        Some(json!({"agent_id": agent, "path": glob})),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
}

fn pushed_job_command_and_notice_arrive_within_a_second(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, secret) = mint(ctx, &key, json!({"name": "listener"}));
    grant(ctx, &key, &id, "prod/*");
    let mut socket = open_as(ctx, &id, &secret);

    let started = Instant::now();
    let job = queue_job(ctx, &key, &id);
    let frame = next_within(&mut socket, PUSH_WITHIN).expect("the job within a second");
    assert!(started.elapsed() <= PUSH_WITHIN + Duration::from_millis(500));
    assert_eq!(frame["type"], "job", "{frame}");
    assert_eq!(frame["job"]["id"], job.as_str());
    assert_eq!(frame["job"]["status"], "queued");

    let value = latchkey_e2e::secret_value("socket-notice");
    let created = ctx
        .api()
        .create_secret(&key, &json!({"path": "prod/db", "value": value}));
    assert_eq!(created.status, 201, "{}", created.text);
    let notice = next_within(&mut socket, PUSH_WITHIN).expect("the notice within a second");
    assert!(notice["cursor"].as_u64().is_some(), "{notice}");
    assert_eq!(
        notice,
        json!({"type": "secret_changed", "path": "prod/db", "version": 1,
               "event": "secret.created", "cursor": notice["cursor"]})
    );
    let updated = ctx.api().update_secret(
        &key,
        "prod/db",
        &json!({"value": value.clone() + "2"}),
        None,
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    let notice = next_within(&mut socket, PUSH_WITHIN).expect("the notice within a second");
    assert_eq!(notice["version"], 2, "{notice}");
    assert!(
        !notice.to_string().contains(&value),
        "a notice carries no value"
    );
    // A secret the grants do not cover is not noticed.
    let other = ctx
        .api()
        .create_secret(&key, &json!({"path": "dev/db", "value": "x"}));
    assert_eq!(other.status, 201);
    assert_eq!(next_within(&mut socket, Duration::from_millis(700)), None);

    // Seed 000's agent, by its JWT on `me/connect`: a queued command is pushed and delivered.
    let (jwt_agent, jwt) = crate::agents::new_agent(ctx, &key, "jwt-listener");
    let mut socket = open(
        ctx,
        "/api/v1/agents/me/connect",
        &[("Authorization", &format!("Bearer {jwt}"))],
    )
    .unwrap_or_else(|(status, body)| panic!("connect: {status} {body}"));
    let hello = next(&mut socket);
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["agent_id"], jwt_agent.as_str());
    assert_eq!(next(&mut socket)["type"], "resync");
    let queued = call(
        ctx,
        "POST",
        &format!("/v1/agents/{jwt_agent}/commands"),
        Some(&key),
        Some(json!({"type": "force_sync"})),
    );
    assert_eq!(queued.status, 201, "{}", queued.text);
    let command = next_within(&mut socket, PUSH_WITHIN).expect("the command within a second");
    assert_eq!(command["type"], "command");
    assert_eq!(command["command"]["id"], queued.body["id"]);
    assert_eq!(command["command"]["type"], "force_sync");
    let health = call(
        ctx,
        "POST",
        "/api/v1/agents/me/health",
        Some(&jwt),
        Some(json!({"status": "healthy"})),
    );
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(health.body["commands"], json!([]), "delivered once");
}

fn reconnect_catches_up_on_what_was_missed(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, jwt) = crate::agents::new_agent(ctx, &key, "offline");
    let bearer = format!("Bearer {jwt}");
    let headers = [("Authorization", bearer.as_str())];
    let path = "/api/v1/agents/me/connect";
    let mut socket = open(ctx, path, &headers).unwrap();
    assert_eq!(next(&mut socket)["type"], "hello");
    socket.close(None).ok();
    drop(socket);
    // Offline: a job and a command.
    let job = queue_job(ctx, &key, &id);
    let queued = call(
        ctx,
        "POST",
        &format!("/v1/agents/{id}/commands"),
        Some(&key),
        Some(json!({"type": "rotate", "params": {"path": "prod/db"}})),
    );
    assert_eq!(queued.status, 201, "{}", queued.text);
    let mut socket = open(ctx, path, &headers).unwrap();
    let frames: Vec<Value> = (0..4).map(|_| next(&mut socket)).collect();
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["hello", "resync", "command", "job"], "{frames:?}");
    assert_eq!(frames[0]["agent_id"], id.as_str());
    assert!(frames[0]["heartbeat_interval_seconds"].as_u64().is_some());
    assert_eq!(frames[2]["command"]["id"], queued.body["id"]);
    assert_eq!(frames[3]["job"]["id"], job.as_str());
    // The command was handed over; the job stays until claimed.
    drop(socket);
    let mut socket = open(ctx, path, &headers).unwrap();
    let frames: Vec<Value> = (0..3).map(|_| next(&mut socket)).collect();
    assert_eq!(frames[2]["type"], "job", "{frames:?}");
    assert_eq!(next_within(&mut socket, Duration::from_millis(500)), None);
    let cursor = frames[0]["cursor"]
        .as_u64()
        .expect("hello carries a cursor");
    drop(socket);

    // Offline again: secrets its grant covers change, one twice, and one it may not read.
    grant(ctx, &key, &id, "prod/*");
    for (path, value) in [("prod/a", "one"), ("prod/b", "two"), ("dev/c", "three")] {
        let created = ctx
            .api()
            .create_secret(&key, &json!({"path": path, "value": value}));
        assert_eq!(created.status, 201, "{}", created.text);
    }
    let updated = ctx
        .api()
        .update_secret(&key, "prod/a", &json!({"value": "four"}), None);
    assert_eq!(updated.status, 200, "{}", updated.text);
    // Back with the cursor it kept: one notice per covered path, at its last change.
    let mut socket = open(ctx, &format!("{path}?since={cursor}"), &headers).unwrap();
    let frames: Vec<Value> = (0..4).map(|_| next(&mut socket)).collect();
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["hello", "secret_changed", "secret_changed", "job"],
        "{frames:?}"
    );
    assert_eq!(
        (
            &frames[1]["path"],
            &frames[1]["version"],
            &frames[1]["event"]
        ),
        (&json!("prod/b"), &json!(1), &json!("secret.created"))
    );
    assert_eq!(
        (
            &frames[2]["path"],
            &frames[2]["version"],
            &frames[2]["event"]
        ),
        (&json!("prod/a"), &json!(2), &json!("secret.updated"))
    );
    assert_eq!(next_within(&mut socket, Duration::from_millis(500)), None);
    // A cursor from nowhere (past this tenant's chain) gets a resync instead.
    drop(socket);
    let mut socket = open(ctx, &format!("{path}?since=999999999"), &headers).unwrap();
    assert_eq!(next(&mut socket)["type"], "hello");
    let resync = next(&mut socket);
    assert_eq!(
        (&resync["type"], &resync["reason"]),
        (&json!("resync"), &json!("unknown_cursor"))
    );
}

fn revocation_closes_the_socket_both_ways_in(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    // Seed 001's agent, revoked on seed 001's route.
    let (id, secret) = mint(ctx, &key, json!({"name": "doomed"}));
    let mut socket = open_as(ctx, &id, &secret);
    let started = Instant::now();
    let revoked = admin(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/revoke"),
        &key,
        None,
    );
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(closed(&mut socket), (4001, "agent revoked".to_owned()));
    assert!(started.elapsed() <= PUSH_WITHIN * 2);
    let (status, body) = open(
        ctx,
        &format!("/api/v1/agents/{id}/connect"),
        &[("X-Agent-Secret", &secret)],
    )
    .expect_err("a revoked agent cannot connect");
    assert_eq!(status, 401, "{body}");
    refused_upgrade(
        ctx,
        &format!("/api/v1/agents/{id}/connect"),
        &[("X-Agent-Secret", &secret)],
    )
    .assert_error(401, "unauthorized");

    // Seed 000's agent, revoked on the native route.
    let (id, jwt) = crate::agents::new_agent(ctx, &key, "doomed-jwt");
    let bearer = format!("Bearer {jwt}");
    let mut socket = open(
        ctx,
        "/api/v1/agents/me/connect",
        &[("Authorization", &bearer)],
    )
    .unwrap();
    assert_eq!(next(&mut socket)["type"], "hello");
    let revoked = call(
        ctx,
        "POST",
        &format!("/v1/agents/{id}/revoke"),
        Some(&key),
        None,
    );
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(closed(&mut socket).0, 4001);
    let (status, _) = open(
        ctx,
        "/api/v1/agents/me/connect",
        &[("Authorization", &bearer)],
    )
    .expect_err("a revoked agent cannot connect");
    assert_eq!(status, 401);

    // An agent minted by a token is suspended when that token is revoked (the cascade).
    let token = ctx.api().create_token(
        &key,
        &json!({"scope": ["agents:admin"], "ttl_seconds": 600}),
    );
    assert_eq!(token.status, 201, "{}", token.text);
    let minter = token.body["value"].as_str().unwrap().to_owned();
    let (id, secret) = mint(ctx, &minter, json!({"name": "child"}));
    let mut socket = open_as(ctx, &id, &secret);
    let token_id = token.body["id"].as_str().unwrap();
    let revoked = ctx.api().revoke_token(&key, token_id);
    assert_eq!(revoked.status / 100, 2, "{}", revoked.text);
    assert_eq!(closed(&mut socket), (4001, "agent suspended".to_owned()));
}

fn bad_frames_close_the_socket_with_a_reason(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, secret) = mint(ctx, &key, json!({"name": "clumsy"}));
    let too_big = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(5000));
    for (frame, code, says) in [
        (Message::text("not json"), 1007, "not JSON"),
        (
            Message::text(r#"{"type":"launch"}"#),
            1008,
            "unknown frame type 'launch'",
        ),
        (
            Message::text(r#"{"type":"heartbeat","status":"ok"}"#),
            1007,
            "unknown member 'status'",
        ),
        (Message::text(r#"{"kind":"heartbeat"}"#), 1007, "no type"),
        (Message::text(too_big), 1009, "at most 4096"),
        (Message::binary(vec![1u8, 2, 3]), 1003, "binary frames"),
    ] {
        let mut socket = open_as(ctx, &id, &secret);
        socket.send(frame).expect("send");
        let (got, reason) = closed(&mut socket);
        assert_eq!(got, code, "{reason}");
        assert!(reason.contains(says), "{code}: {reason}");
    }
    // A good frame keeps the socket open.
    let mut socket = open_as(ctx, &id, &secret);
    send(&mut socket, r#"{"type":"ping"}"#);
    assert_eq!(next(&mut socket), json!({"type": "pong"}));
}

fn limits_close_the_oldest_and_refuse_without_upgrade(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, secret) = mint(ctx, &key, json!({"name": "many"}));
    let mut first = open_as(ctx, &id, &secret);
    let mut second = open_as(ctx, &id, &secret);
    let mut third = open_as(ctx, &id, &secret);
    assert_eq!(
        closed(&mut first),
        (4002, "replaced by a newer connection".to_owned())
    );
    for socket in [&mut second, &mut third] {
        send(socket, r#"{"type":"ping"}"#);
        assert_eq!(next(socket)["type"], "pong");
    }
    // Not an upgrade: a JSON 400 naming the header. A query parameter is refused.
    let plain = as_agent(
        ctx,
        "GET",
        &format!("/api/v1/agents/{id}/connect"),
        &secret,
        None,
    );
    plain.assert_error(400, "invalid_request");
    assert_eq!(plain.error_field(), Some("Upgrade"));
    let (status, body) = open(
        ctx,
        &format!("/api/v1/agents/{id}/connect?after=1"),
        &[("X-Agent-Secret", &secret)],
    )
    .expect_err("refused");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "after", "{body}");
    let (status, body) = open(
        ctx,
        &format!("/api/v1/agents/{id}/connect?since=-1"),
        &[("X-Agent-Secret", &secret)],
    )
    .expect_err("refused");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "since", "{body}");
    // No credential, another agent's id, a malformed id.
    let (status, _) = open(ctx, "/api/v1/agents/me/connect", &[]).expect_err("refused");
    assert_eq!(status, 401);
    let (other, _) = mint(ctx, &key, json!({"name": "other"}));
    let (status, _) = open(
        ctx,
        &format!("/api/v1/agents/{other}/connect"),
        &[("X-Agent-Secret", &secret)],
    )
    .expect_err("refused");
    assert_eq!(status, 404);
    // An admin's key is no agent.
    let (status, _) = open(
        ctx,
        "/api/v1/agents/me/connect",
        &[("Authorization", &format!("Bearer {key}"))],
    )
    .expect_err("refused");
    assert_eq!(status, 403);
}

fn heartbeat_over_the_socket_moves_last_seen_at(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let (id, secret) = mint(ctx, &key, json!({"name": "beater"}));
    let seen = || {
        let reply = admin(ctx, "GET", "/api/v1/agents", &key, None);
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id.as_str())
            .map(|a| a["last_seen_at"].clone())
            .unwrap()
    };
    assert_eq!(seen(), Value::Null);
    let mut socket = open_as(ctx, &id, &secret);
    send(&mut socket, r#"{"type":"heartbeat"}"#);
    let ack = next(&mut socket);
    assert_eq!(ack["type"], "heartbeat_ack", "{ack}");
    assert!(ack["last_seen_at"].is_string());
    assert_eq!(seen(), ack["last_seen_at"]);
}

fn the_tenants_socket_limit_refuses_before_the_upgrade(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let limit = latchkey_core::agent::socket::MAX_SOCKETS_PER_TENANT;
    let per_agent = latchkey_core::agent::socket::MAX_SOCKETS_PER_AGENT;
    let mut open_sockets = Vec::new();
    let mut last = None;
    for n in 0..limit / per_agent {
        let (id, secret) = mint(ctx, &key, json!({"name": format!("fleet-{n}")}));
        for _ in 0..per_agent {
            open_sockets.push(open_as(ctx, &id, &secret));
        }
        last = Some((id, secret));
    }
    assert_eq!(open_sockets.len(), limit);
    let (_, secret) = mint(ctx, &key, json!({"name": "one-too-many"}));
    let (status, body) = open(
        ctx,
        "/api/v1/agents/me/connect",
        &[("X-Agent-Secret", &secret)],
    )
    .expect_err("over the tenant's limit");
    assert_eq!(status, 503, "{body}");
    let refused = refused_upgrade(
        ctx,
        "/api/v1/agents/me/connect",
        &[("X-Agent-Secret", &secret)],
    );
    refused.assert_error(503, "unavailable");
    assert_eq!(refused.body["error"]["limit"], limit);
    // The open sockets are unharmed.
    let (id, _) = last.expect("an agent");
    let socket = open_sockets.last_mut().expect("a socket");
    send(socket, r#"{"type":"heartbeat"}"#);
    assert_eq!(next(socket)["type"], "heartbeat_ack", "{id}");
}
