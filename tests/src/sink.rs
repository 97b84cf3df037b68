//! A loopback HTTP server that stands in for Slack, a webhook receiver and an email API: it
//! records every request it gets. A path containing `/fail-N/` answers 500 to its first N
//! requests, to exercise retries.

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    failures: HashMap<String, u32>,
}

pub struct Sink {
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

impl Sink {
    /// Starts on a free loopback port; the server thread lives as long as the process.
    pub fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind sink");
        let port = listener.local_addr().expect("sink address").port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        Sink {
            base_url: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    /// Every request whose path starts with `prefix`.
    pub fn received(&self, prefix: &str) -> Vec<Received> {
        self.state
            .lock()
            .map(|s| {
                s.received
                    .iter()
                    .filter(|r| r.path.starts_with(prefix))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until `count` requests matching `filter` arrived (or panics after `timeout`).
    pub fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
        filter: impl Fn(&Received) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let found: Vec<Received> = self
                .state
                .lock()
                .map(|s| s.received.iter().filter(|r| filter(r)).cloned().collect())
                .unwrap_or_default();
            if found.len() >= count {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "the sink got {} of {count} expected requests in {timeout:?}",
                found.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Sink {
    /// Waits for the email about `approval` (to `to`, when given) and returns the review link
    /// in its text.
    pub fn emailed_link(&self, approval: &str, to: Option<&str>) -> String {
        let email = self
            .wait_for(1, Duration::from_secs(20), |r| {
                r.path == "/email"
                    && r.body.contains(approval)
                    && to.is_none_or(|to| r.json()["to"] == serde_json::json!([to]))
            })
            .remove(0);
        link_in(email.json()["text"].as_str().unwrap_or(""))
    }
}

/// The first `http://` link in a message text.
pub fn link_in(text: &str) -> String {
    let start = text.find("http://").unwrap_or(text.len());
    text.get(start..)
        .unwrap_or("")
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap_or("")
        .to_owned()
}

/// The path and query of a link (what the test client sends).
pub fn path_of(link: &str) -> String {
    let rest = link.split_once("://").map_or(link, |(_, rest)| rest);
    format!("/{}", rest.split_once('/').map_or("", |(_, path)| path))
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let crate::echo::RawRequest {
        method,
        target: path,
        headers,
        body,
    } = crate::echo::read_request(&mut reader)?;
    let status = {
        let mut state = state
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        let fail_first: u32 = path
            .split('/')
            .find_map(|segment| segment.strip_prefix("fail-").and_then(|n| n.parse().ok()))
            .unwrap_or(0);
        let seen = state.failures.entry(path.clone()).or_insert(0);
        *seen += 1;
        let status = if *seen <= fail_first { 500 } else { 200 };
        state.received.push(Received {
            method,
            path,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        status
    };
    let reason = if status == 200 {
        "OK"
    } else {
        "Internal Server Error"
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    )?;
    stream.flush()
}
