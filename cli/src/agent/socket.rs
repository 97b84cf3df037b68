//! The agent's live socket (/work/agent-socket-protocol.md): `GET /api/v1/agents/me/connect`
//! upgraded to a WebSocket, authenticated once at the upgrade like every agent request.
//!
//! It runs on a thread of its own and only tells the main loop things: a `job` frame (and the
//! `resync` after every connect, when queued jobs are replayed) makes the loop claim now,
//! instead of at its next poll; a close with 4001 means the agent was revoked. Polling goes on
//! while the socket is down, and the thread reconnects with backoff (1 s doubling to 60 s).
//! `ws://` for `http://` origins (this machine only, as the API), `wss://` through rustls.

use super::log;
use crate::secret::Secret;
use serde_json::Value;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tungstenite::client::IntoClientRequest as _;
use tungstenite::http::HeaderValue;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// The close code of a revoked agent.
const CLOSE_REVOKED: u16 = 4001;
/// A `ping` frame this often keeps the connection's intermediaries from dropping it.
const PING_EVERY: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What the socket thread and the main loop share.
pub struct Link {
    /// A job may be waiting: claim now.
    pub poke: AtomicBool,
    pub connected: AtomicBool,
    /// The server closed the socket with 4001: the credential is dead.
    pub revoked: AtomicBool,
    /// The header and credential to connect with (renewed JWTs are put here).
    credential: Mutex<(Option<&'static str>, Secret)>,
}

impl Link {
    pub fn new(header: Option<&'static str>, token: Secret) -> Arc<Link> {
        Arc::new(Link {
            poke: AtomicBool::new(false),
            connected: AtomicBool::new(false),
            revoked: AtomicBool::new(false),
            credential: Mutex::new((header, token)),
        })
    }

    pub fn set_credential(&self, header: Option<&'static str>, token: Secret) {
        if let Ok(mut guard) = self.credential.lock() {
            *guard = (header, token);
        }
    }

    fn credential(&self) -> Option<(Option<&'static str>, Secret)> {
        self.credential.lock().ok().map(|g| (g.0, g.1.clone()))
    }
}

/// `http(s)://host` → `ws(s)://host/api/v1/agents/me/connect`.
pub fn socket_url(base: &str) -> Option<String> {
    let rest = base
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| base.strip_prefix("http://").map(|r| format!("ws://{r}")))?;
    Some(format!("{rest}/api/v1/agents/me/connect"))
}

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

fn connect(url: &str, link: &Link) -> Result<Socket, String> {
    let (header, token) = link
        .credential()
        .ok_or_else(|| "no credential".to_owned())?;
    let mut request = url
        .into_client_request()
        .map_err(|e| format!("bad socket URL: {e}"))?;
    let (name, value) = match header {
        Some(name) => (name, token.expose().to_owned()),
        None => ("Authorization", format!("Bearer {}", token.expose())),
    };
    let value = HeaderValue::from_str(&value).map_err(|_| "bad credential".to_owned())?;
    request.headers_mut().insert(name, value);
    match tungstenite::connect(request) {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => Err(format!(
            "the server answered HTTP {}",
            response.status().as_u16()
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn set_read_timeout(socket: &Socket, timeout: Duration) {
    let stream = match socket.get_ref() {
        MaybeTlsStream::Plain(stream) => stream,
        MaybeTlsStream::Rustls(tls) => tls.get_ref(),
        _ => return,
    };
    let _ = stream.set_read_timeout(Some(timeout));
}

/// Reads frames until the socket closes or `stop`; the close code, if any.
fn serve(mut socket: Socket, link: &Link, stop: &AtomicBool) -> Option<u16> {
    set_read_timeout(&socket, Duration::from_millis(500));
    let mut last_ping = Instant::now();
    loop {
        if stop.load(Ordering::Relaxed) {
            let _ = socket.close(None);
            let _ = socket.flush();
            return None;
        }
        if last_ping.elapsed() >= PING_EVERY {
            last_ping = Instant::now();
            if socket.send(Message::text(r#"{"type":"ping"}"#)).is_err() {
                return None;
            }
        }
        match socket.read() {
            Ok(Message::Text(text)) => frame(text.as_str(), link),
            Ok(Message::Close(close)) => return close.map(|c| u16::from(c.code)),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
}

/// One server frame: only what the main loop needs to know.
fn frame(text: &str, link: &Link) {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    match value.get("type").and_then(Value::as_str) {
        Some("job" | "resync") => link.poke.store(true, Ordering::Relaxed),
        Some("secret_changed") => log(&format!(
            "notice: stored secret '{}' changed ({})",
            value.get("path").and_then(Value::as_str).unwrap_or("?"),
            value.get("event").and_then(Value::as_str).unwrap_or("?")
        )),
        Some("command") => log(&format!(
            "a seed-000 command ({}) arrived; this agent carries out jobs, not commands",
            value
                .pointer("/command/type")
                .and_then(Value::as_str)
                .unwrap_or("?")
        )),
        _ => {}
    }
}

/// Keeps a socket open until `stop` (or a revocation), reconnecting with backoff.
pub fn spawn(base: &str, link: Arc<Link>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let url = socket_url(base);
    std::thread::spawn(move || {
        let Some(url) = url else {
            return;
        };
        let mut backoff = Duration::from_secs(1);
        let mut last_failure = String::new();
        while !stop.load(Ordering::Relaxed) {
            match connect(&url, &link) {
                Ok(socket) => {
                    backoff = Duration::from_secs(1);
                    last_failure.clear();
                    link.connected.store(true, Ordering::Relaxed);
                    log("live socket open");
                    let code = serve(socket, &link, &stop);
                    link.connected.store(false, Ordering::Relaxed);
                    if code == Some(CLOSE_REVOKED) {
                        link.revoked.store(true, Ordering::Relaxed);
                        return;
                    }
                    if !stop.load(Ordering::Relaxed) {
                        log("live socket closed; polling until it reconnects");
                    }
                }
                Err(why) => {
                    if why != last_failure {
                        log(&format!("live socket unavailable ({why}); polling"));
                        last_failure = why;
                    }
                }
            }
            let until = Instant::now() + backoff;
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use tungstenite::handshake::server::{ErrorResponse, Request, Response};
    use tungstenite::protocol::CloseFrame;
    use tungstenite::protocol::frame::coding::CloseCode;

    fn wait(flag: &AtomicBool) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if flag.load(Ordering::Relaxed) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn socket_url_maps_http_to_ws_and_https_to_wss() {
        assert_eq!(
            socket_url("http://127.0.0.1:8787").as_deref(),
            Some("ws://127.0.0.1:8787/api/v1/agents/me/connect")
        );
        assert_eq!(
            socket_url("https://lk.example.com").as_deref(),
            Some("wss://lk.example.com/api/v1/agents/me/connect")
        );
        assert_eq!(socket_url("ftp://x"), None);
    }

    #[test]
    #[allow(clippy::result_large_err)] // tungstenite's callback type
    fn socket_job_frame_pokes_the_loop_and_close_4001_marks_revoked() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let checked =
                |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
                    assert_eq!(request.uri().path(), "/api/v1/agents/me/connect");
                    assert_eq!(
                        request.headers().get("X-Agent-Secret").unwrap(),
                        "lk_agt_test"
                    );
                    assert!(request.headers().get("Authorization").is_none());
                    Ok(response)
                };
            let mut ws = tungstenite::accept_hdr(stream, checked).unwrap();
            ws.send(Message::text(
                r#"{"type":"hello","agent_id":"agt_1","heartbeat_interval_seconds":30,"max_frame_bytes":4096}"#,
            ))
            .unwrap();
            ws.send(Message::text(
                r#"{"type":"job","job":{"id":"job_1","type":"sync"}}"#,
            ))
            .unwrap();
            std::thread::sleep(Duration::from_millis(300));
            ws.close(Some(CloseFrame {
                code: CloseCode::from(4001),
                reason: "agent revoked".into(),
            }))
            .unwrap();
            // Let the close handshake finish.
            while ws.read().is_ok() {}
        });
        let link = Link::new(Some("X-Agent-Secret"), Secret::new("lk_agt_test".into()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = spawn(
            &format!("http://127.0.0.1:{port}"),
            Arc::clone(&link),
            Arc::clone(&stop),
        );
        assert!(wait(&link.poke), "a job frame pokes the loop");
        assert!(wait(&link.revoked), "4001 marks the agent revoked");
        thread.join().unwrap();
        server.join().unwrap();
        assert!(!link.connected.load(Ordering::Relaxed));
    }

    #[test]
    fn socket_refused_leaves_polling_and_stops_on_request() {
        // Nothing listens on this port once the listener is dropped.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let link = Link::new(None, Secret::new("jwt".into()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = spawn(
            &format!("http://127.0.0.1:{port}"),
            Arc::clone(&link),
            Arc::clone(&stop),
        );
        std::thread::sleep(Duration::from_millis(300));
        assert!(!link.connected.load(Ordering::Relaxed));
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap();
        assert!(!link.revoked.load(Ordering::Relaxed));
    }
}
