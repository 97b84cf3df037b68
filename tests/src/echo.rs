//! A loopback upstream for the secrets broker (`POST /v1/proxy`): it records every request it
//! gets and answers by path, so a test sees both what reached the upstream (the substituted
//! value, in plain) and what the broker gave back to the agent (which must be redacted).
//!
//! | path            | answer                                                              |
//! |-----------------|---------------------------------------------------------------------|
//! | `/echo…`        | 200 JSON `{method, path, query, headers, body}` of the request      |
//! | `/echo-b64…`    | 200 text: the `authorization` value base64- and percent-encoded     |
//! | `/echo-html…`   | 200 HTML: the `authorization` value as HTML character references    |
//! | `/echo-name…`   | 200 with the `authorization` value in response header *names*       |
//! | `/redirect…`    | 302 to `/landing…` (the same rest and query)                        |
//! | `/landing…`     | 200 `landed`                                                        |
//! | `/big…`         | 200 with a body of 1 MiB + 1 byte                                   |
//! | `/slow…`        | 200 after 5 s                                                       |
//! | `/binary…`      | 200 with bytes that are not UTF-8                                   |
//! | `/status/NNN…`  | status NNN with a small JSON body                                   |
//! | `/oauth-client…` | 200 JSON: an OAuth client metadata document whose `client_id` is its own URL and whose redirect URI is `/callback` + its path |
//! | `/oauth-client-other…` | the same, with a `client_id` that is not its URL             |
//! | anything else   | 404                                                                 |
//!
//! One thread per connection; every response closes its connection.

use crate::client::NON_UNRESERVED;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use percent_encoding::{percent_decode_str, utf8_percent_encode};
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The size of the `/big` body: one byte over the broker's 1 MiB response limit.
pub const BIG_BODY_BYTES: usize = 1024 * 1024 + 1;

/// How long `/slow` waits before it answers.
pub const SLOW_DELAY: Duration = Duration::from_secs(5);

/// The bytes `/binary` answers (not valid UTF-8).
pub const BINARY_BODY: &[u8] = &[0xff, 0xfe, 0x00, 0x01, 0x80];

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// The path without the query, as sent (not decoded).
    pub path: String,
    /// The raw query after `?` (empty when there was none), as sent (not decoded).
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The decoded value of query parameter `name` (`application/x-www-form-urlencoded`:
    /// `+` is a space), or `None` when it is absent.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Every query parameter, decoded, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k, true), percent_decode(v, true))
            })
            .collect()
    }
}

pub struct Echo {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Echo {
    /// Starts on a free loopback port; the server thread lives as long as the process.
    pub fn start() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind echo");
        let port = listener.local_addr().expect("echo address").port();
        let base_url = format!("http://127.0.0.1:{port}");
        let received = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&received);
        let base = base_url.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let received = Arc::clone(&shared);
                let base = base.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &received, &base);
                });
            }
        });
        Echo {
            base_url,
            port,
            received,
        }
    }

    /// `http://<host>:<port><path>`: the same server under another name (`localhost`).
    pub fn url_on(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
    }

    /// Every request whose path starts with `prefix`.
    pub fn received(&self, prefix: &str) -> Vec<Received> {
        self.received
            .lock()
            .map(|r| {
                r.iter()
                    .filter(|r| r.path.starts_with(prefix))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `%XX`-encodes every byte but the unreserved ones (`A-Z a-z 0-9 - _ . ~`), in upper- or
/// lower-case hex; with `plus_for_space`, a space is `+` instead of `%20`.
pub fn percent_encode(text: &str, upper: bool, plus_for_space: bool) -> String {
    // The crate yields each encoded byte as its own `%XX` piece (upper case), and runs of
    // bytes kept as they are (which never start with `%`: it is always encoded).
    utf8_percent_encode(text, NON_UNRESERVED)
        .map(|piece| match piece {
            "%20" if plus_for_space => "+".to_owned(),
            escape if !upper && escape.starts_with('%') => escape.to_ascii_lowercase(),
            kept => kept.to_owned(),
        })
        .collect()
}

/// Decodes `%XX` (either case); with `plus_is_space`, `+` is a space. Bad escapes stay as
/// they are; bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let text = if plus_is_space {
        Cow::Owned(text.replace('+', " "))
    } else {
        Cow::Borrowed(text)
    };
    percent_decode_str(&text).decode_utf8_lossy().into_owned()
}

/// The `/echo-b64` body for a received `authorization` value: one encoded form a line.
pub fn encoded_forms(value: &str) -> Vec<(&'static str, String)> {
    vec![
        ("std", STANDARD.encode(value)),
        ("url", URL_SAFE_NO_PAD.encode(value)),
        // The value at an odd offset (1 and 2 bytes in) inside a longer base64 string.
        ("odd-std", STANDARD.encode(format!("x{value}y"))),
        ("odd-url", URL_SAFE_NO_PAD.encode(format!("xy{value}z"))),
        ("pct-upper", percent_encode(value, true, false)),
        ("pct-lower-plus", percent_encode(value, false, true)),
    ]
}

/// The `/echo-html` body for a received `authorization` value: one HTML spelling a line.
pub fn html_forms(value: &str) -> Vec<(&'static str, String)> {
    let each = |f: &dyn Fn(char) -> String| value.chars().map(f).collect::<String>();
    let escaped = value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    vec![
        ("dec", each(&|c| format!("&#{};", u32::from(c)))),
        ("hex", each(&|c| format!("&#x{:x};", u32::from(c)))),
        (
            "hex-upper-zeros",
            each(&|c| format!("&#X00{:X};", u32::from(c))),
        ),
        ("named", escaped.clone()),
        ("named-twice", escaped.replace('&', "&amp;")),
        (
            "mixed",
            value
                .chars()
                .enumerate()
                .map(|(i, c)| match i % 3 {
                    0 => format!("&#{:04};", u32::from(c)),
                    1 => c.to_string(),
                    _ => format!("&#x{:X};", u32::from(c)),
                })
                .collect(),
        ),
    ]
}

/// The response header names `/echo-name` answers with for a received `authorization` value
/// (each with the value `1`): the value percent-encoded and in base64url (always tokens), and
/// as is when it is a token.
pub fn header_name_forms(value: &str) -> Vec<String> {
    let mut names = vec![
        format!("X-Pct-{}", percent_encode(value, true, false)),
        format!("X-B64-{}", URL_SAFE_NO_PAD.encode(value)),
    ];
    if ureq::http::HeaderName::from_bytes(value.as_bytes()).is_ok() {
        names.push(format!("X-Echo-{value}"));
    }
    names
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status,
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }
}

fn answer(request: &Received, base: &str) -> Answer {
    let path = request.path.as_str();
    if path.starts_with("/echo-html") {
        let value = request.header("authorization").unwrap_or("");
        let text: String = html_forms(value)
            .into_iter()
            .map(|(name, form)| format!("<p>{name}: {form}</p>\n"))
            .collect();
        Answer::new(200, "text/html; charset=utf-8", text)
    } else if path.starts_with("/echo-name") {
        let value = request.header("authorization").unwrap_or("");
        let mut named = Answer::new(200, "text/plain", "named");
        for name in header_name_forms(value) {
            named.headers.push((name, "1".to_owned()));
        }
        named
            .headers
            .push(("X-Echo-Kept".to_owned(), "kept".to_owned()));
        named
    } else if path.starts_with("/echo-b64") {
        let value = request.header("authorization").unwrap_or("");
        let text: String = encoded_forms(value)
            .into_iter()
            .map(|(name, form)| format!("{name}: {form}\n"))
            .collect();
        Answer::new(200, "text/plain; charset=utf-8", text)
    } else if path.starts_with("/echo") {
        let mut headers = serde_json::Map::new();
        for (name, value) in &request.headers {
            let name = name.to_ascii_lowercase();
            let joined = match headers.get(&name).and_then(|v| v.as_str()) {
                Some(before) => format!("{before}, {value}"),
                None => value.clone(),
            };
            headers.insert(name, joined.into());
        }
        let body = serde_json::json!({
            "method": request.method,
            "path": request.path,
            "query": request.query,
            "headers": headers,
            "body": request.body_text(),
        });
        let mut echo = Answer::new(200, "application/json", body.to_string());
        // The authorization value in a response header too (the broker redacts header values),
        // and a header sent twice (the broker joins repeated headers with ", ").
        echo.headers.push((
            "X-Echo-Authorization".to_owned(),
            request.header("authorization").unwrap_or("").to_owned(),
        ));
        echo.headers
            .push(("X-Echo-Repeat".to_owned(), "one".to_owned()));
        echo.headers
            .push(("X-Echo-Repeat".to_owned(), "two".to_owned()));
        echo
    } else if let Some(rest) = path.strip_prefix("/redirect") {
        let query = if request.query.is_empty() {
            String::new()
        } else {
            format!("?{}", request.query)
        };
        let mut redirect = Answer::new(302, "text/plain", "moved");
        redirect.headers.push((
            "Location".to_owned(),
            format!("{base}/landing{rest}{query}"),
        ));
        redirect
    } else if path.starts_with("/landing") {
        Answer::new(200, "text/plain", "landed")
    } else if path.starts_with("/big") {
        Answer::new(200, "text/plain", vec![b'a'; BIG_BODY_BYTES])
    } else if path.starts_with("/slow") {
        std::thread::sleep(SLOW_DELAY);
        Answer::new(200, "text/plain", "slow")
    } else if path.starts_with("/binary") {
        Answer::new(200, "application/octet-stream", BINARY_BODY)
    } else if path.starts_with("/oauth-client") {
        // A client ID metadata document: Latchkey's authorize step fetches the client_id URL.
        let client_id = if path.starts_with("/oauth-client-other") {
            format!("{base}/oauth-client/someone-else")
        } else {
            format!("{base}{path}")
        };
        let document = serde_json::json!({
            "client_id": client_id,
            "client_name": "Metadata document client",
            "redirect_uris": [format!("{base}/callback{path}")],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        });
        Answer::new(200, "application/json", document.to_string())
    } else if let Some(rest) = path.strip_prefix("/status/") {
        let status = rest
            .split('/')
            .next()
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|s| (200..=599).contains(s))
            .unwrap_or(400);
        Answer::new(
            status,
            "application/json",
            serde_json::json!({"status": status}).to_string(),
        )
    } else {
        Answer::new(404, "text/plain", "no such echo path")
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let size = size.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size, 16).map_err(std::io::Error::other)?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(body.get_mut(start..).unwrap_or_default())?;
        let mut crlf = String::new();
        reader.read_line(&mut crlf)?;
    }
}

/// One HTTP/1.1 request as read off the wire (the sink reads with it too).
pub(crate) struct RawRequest {
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Reads the request line, headers and body (by `Content-Length`, or chunked).
pub(crate) fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<RawRequest> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim().to_owned();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            }
            if name.eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked")
            {
                chunked = true;
            }
            headers.push((name.to_owned(), value));
        }
    }
    let body = if chunked {
        read_chunked(reader)?
    } else {
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        body
    };
    Ok(RawRequest {
        method,
        target,
        headers,
        body,
    })
}

fn serve(stream: TcpStream, received: &Mutex<Vec<Received>>, base: &str) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let RawRequest {
        method,
        target,
        headers,
        body,
    } = read_request(&mut reader)?;
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (target, String::new()),
    };
    let request = Received {
        method,
        path,
        query,
        headers,
        body,
    };
    if let Ok(mut all) = received.lock() {
        all.push(request.clone());
    }
    let answer = answer(&request, base);
    let mut head = format!("HTTP/1.1 {} {}\r\n", answer.status, reason(answer.status));
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        answer.body.len()
    ));
    let mut stream = stream;
    stream.write_all(head.as_bytes())?;
    if request.method != "HEAD" {
        stream.write_all(&answer.body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_round_trips() {
        let value = "a b/c+d?e=f&g~h";
        for (upper, plus) in [(true, false), (false, true)] {
            let encoded = percent_encode(value, upper, plus);
            assert!(!encoded.contains(' ') && !encoded.contains('/'));
            assert_eq!(percent_decode(&encoded, true), value);
        }
        assert_eq!(percent_encode("a b", false, true), "a+b");
        assert_eq!(percent_encode("/", false, false), "%2f");
    }

    #[test]
    fn the_query_is_decoded_by_parameter() {
        let received = Received {
            method: "GET".into(),
            path: "/echo".into(),
            query: "a=1&key=x%20y%26z%3D&b=c+d".into(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        assert_eq!(received.query_param("key").as_deref(), Some("x y&z="));
        assert_eq!(received.query_param("b").as_deref(), Some("c d"));
        assert_eq!(received.query_param("nope"), None);
    }

    /// The echo server itself, over real HTTP (no Latchkey involved).
    #[test]
    fn the_echo_answers_by_path() {
        let echo = Echo::start();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let base = &echo.base_url;
        let mut echoed = agent
            .post(format!("{base}/echo/t?a=b%20c"))
            .header("Authorization", "Bearer v")
            .send("hello")
            .expect("echo");
        assert_eq!(echoed.status(), 200);
        assert_eq!(
            echoed
                .headers()
                .get("x-echo-authorization")
                .map(|v| v.as_bytes()),
            Some(&b"Bearer v"[..])
        );
        let body: serde_json::Value =
            serde_json::from_str(&echoed.body_mut().read_to_string().expect("body")).expect("json");
        assert_eq!(body["method"], "POST");
        assert_eq!(body["path"], "/echo/t");
        assert_eq!(body["query"], "a=b%20c");
        assert_eq!(body["headers"]["authorization"], "Bearer v");
        assert_eq!(body["body"], "hello");
        let got = echo.received("/echo/t");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].query_param("a").as_deref(), Some("b c"));

        let mut b64 = agent
            .get(format!("{base}/echo-b64/t"))
            .header("Authorization", "a b/c")
            .call()
            .expect("echo-b64");
        let text = b64.body_mut().read_to_string().expect("body");
        assert!(
            text.contains(&format!("std: {}", STANDARD.encode("a b/c"))),
            "{text}"
        );
        assert!(text.contains("pct-upper: a%20b%2Fc"), "{text}");
        assert!(text.contains("pct-lower-plus: a+b%2fc"), "{text}");

        let redirect = agent
            .get(format!("{base}/redirect/t?k=1"))
            .call()
            .expect("redirect");
        assert_eq!(redirect.status(), 302);
        assert_eq!(
            redirect.headers().get("location").map(|v| v.as_bytes()),
            Some(format!("{base}/landing/t?k=1").as_bytes())
        );
        assert!(echo.received("/landing").is_empty());

        let mut big = agent.get(format!("{base}/big/t")).call().expect("big");
        let bytes = big
            .body_mut()
            .with_config()
            .limit(4 * 1024 * 1024)
            .read_to_vec()
            .expect("big body");
        assert_eq!(bytes.len(), BIG_BODY_BYTES);

        let status = agent
            .get(format!("{base}/status/503/t"))
            .call()
            .expect("status");
        assert_eq!(status.status(), 503);
        let mut binary = agent
            .get(format!("{base}/binary/t"))
            .call()
            .expect("binary");
        assert_eq!(binary.body_mut().read_to_vec().expect("bytes"), BINARY_BODY);
    }
}
