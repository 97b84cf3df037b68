//! `latchkey proxy --secret NAME=path[#field] … URL`: the server's broker makes the HTTP call
//! (`POST /v1/proxy`) with each `{{NAME}}` placeholder replaced by its secret, so the values
//! never come to this machine; the upstream's answer comes back with every occurrence of a
//! value replaced by `[REDACTED]`. The options read like curl's (`-X`, `-H`, `-d`, `-i`).
//!
//! Output: the upstream's body on stdout, exactly (raw bytes when it is not UTF-8); `-i` puts
//! its status line and headers first; `--json` prints the broker's whole answer instead. The
//! exit code says how the upstream answered: 0 for 2xx and 3xx, 1 for 4xx and 5xx (with a
//! note on stderr). Latchkey's own refusals are errors with hints, as everywhere in the CLI.

use crate::args::ProxyArgs;
use crate::ctx::Ctx;
use crate::error::{CliError, EXIT_FAILED};
use crate::output::{self, clean, note};
use crate::parse::check_unique;
use base64::Engine as _;
use serde_json::{Map, Value, json};
use std::io::Read as _;
use std::time::Duration;

/// The broker waits this long for the upstream unless `--timeout` says less.
const DEFAULT_TIMEOUT_SECONDS: u64 = 30;
/// How long the CLI waits for the broker beyond the upstream's timeout.
const MARGIN: Duration = Duration::from_secs(15);
/// The longest `X-Latchkey-Purpose` the server records.
const MAX_PURPOSE_BYTES: usize = 256;

pub fn proxy(ctx: &Ctx, args: ProxyArgs) -> Result<u8, CliError> {
    check_purpose(args.purpose.as_deref())?;
    let data = read_data(&args)?;
    let body = request_body(&args, data)?;
    let headers: Vec<(&str, &str)> = args
        .purpose
        .as_deref()
        .map(|purpose| ("X-Latchkey-Purpose", purpose))
        .into_iter()
        .collect();
    let timeout =
        Duration::from_secs(args.timeout.unwrap_or(DEFAULT_TIMEOUT_SECONDS)).saturating_add(MARGIN);
    let reply =
        ctx.client()?
            .send_within("POST", "/v1/proxy", Some(&body), &headers, Some(timeout))?;
    let upstream = Upstream::read(&reply.body)?;
    if ctx.json {
        output::json(&reply.body)?;
    } else {
        if args.include {
            output::out(&upstream.head())?;
        }
        output::out_bytes(&upstream.body)?;
    }
    if let Some(text) = status_note(upstream.status) {
        note(&text);
    }
    Ok(exit_code(upstream.status))
}

/// The `POST /v1/proxy` body: the method (GET, or POST with a body, like curl), the URL, the
/// headers, the body, the secrets by name and the timeout.
pub fn request_body(args: &ProxyArgs, data: Option<String>) -> Result<Value, CliError> {
    check_unique(&args.secrets).map_err(CliError::usage)?;
    check_url(&args.url)?;
    let mut headers = Map::new();
    for (name, value) in &args.headers {
        if headers.keys().any(|seen| seen.eq_ignore_ascii_case(name)) {
            return Err(CliError::usage_hint(
                format!("header {name} is given twice"),
                "give it once, with the values joined by ', '",
            ));
        }
        headers.insert(name.clone(), json!(value));
    }
    let method = match (&args.method, &data) {
        (Some(method), _) => method.clone(),
        (None, Some(_)) => "POST".to_owned(),
        (None, None) => "GET".to_owned(),
    };
    let secrets: Map<String, Value> = args
        .secrets
        .iter()
        .map(|binding| (binding.name.clone(), json!(binding.source())))
        .collect();
    let mut body = Map::new();
    body.insert("method".into(), json!(method));
    body.insert("url".into(), json!(args.url));
    if !headers.is_empty() {
        body.insert("headers".into(), Value::Object(headers));
    }
    if let Some(data) = data {
        body.insert("body".into(), json!(data));
    }
    body.insert("secrets".into(), Value::Object(secrets));
    if let Some(timeout) = args.timeout {
        body.insert("timeout_seconds".into(), json!(timeout));
    }
    Ok(Value::Object(body))
}

/// The broker calls absolute http(s) URLs (plain http only to hosts the operator allows).
fn check_url(url: &str) -> Result<(), CliError> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Ok(());
    }
    match url.split_once("://") {
        Some((scheme, _)) => Err(CliError::usage(format!(
            "the broker calls https URLs only, not {scheme}://"
        ))),
        None => Err(CliError::usage_hint(
            format!("'{url}' is not an absolute URL"),
            format!("add the scheme: https://{url}"),
        )),
    }
}

/// `X-Latchkey-Purpose` is one header line of at most 256 bytes.
fn check_purpose(purpose: Option<&str>) -> Result<(), CliError> {
    let Some(purpose) = purpose else {
        return Ok(());
    };
    if purpose.trim().is_empty() {
        return Err(CliError::usage(
            "--purpose is empty; say why, or leave it out",
        ));
    }
    if purpose.len() > MAX_PURPOSE_BYTES {
        return Err(CliError::usage(format!(
            "--purpose is {} bytes; at most {MAX_PURPOSE_BYTES}",
            purpose.len()
        )));
    }
    if purpose.chars().any(char::is_control) {
        return Err(CliError::usage(
            "--purpose holds a line break or another control character",
        ));
    }
    Ok(())
}

/// `-d` as given, or `--data-file` (stdin for `-`) exactly as it is; UTF-8 text either way.
fn read_data(args: &ProxyArgs) -> Result<Option<String>, CliError> {
    if let Some(data) = &args.data {
        return Ok(Some(data.clone()));
    }
    let Some(file) = &args.data_file else {
        return Ok(None);
    };
    let (bytes, shown) = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::usage(format!("cannot read the body from stdin: {e}")))?;
        (bytes, "stdin".to_owned())
    } else {
        let bytes = std::fs::read(file)
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?;
        (bytes, file.display().to_string())
    };
    String::from_utf8(bytes).map(Some).map_err(|_| {
        CliError::usage_hint(
            format!("the body in {shown} is not UTF-8 text"),
            "the broker sends text bodies only",
        )
    })
}

/// What the upstream answered, as the broker reports it (values already redacted).
#[derive(Debug, PartialEq, Eq)]
pub struct Upstream {
    pub status: u16,
    /// Lower-case names, repeated headers joined with `, `.
    pub headers: Vec<(String, String)>,
    /// The body's bytes (decoded when the broker sent it as base64).
    pub body: Vec<u8>,
}

impl Upstream {
    /// Reads the broker's `200` answer: `{status, headers, body, body_encoding, …}`.
    pub fn read(envelope: &Value) -> Result<Upstream, CliError> {
        let broken = |what: &str| CliError::failed(format!("the broker's answer {what}"));
        let status = envelope
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| broken("has no upstream status"))?;
        let headers = envelope
            .get("headers")
            .and_then(Value::as_object)
            .map(|headers| {
                headers
                    .iter()
                    .map(|(name, value)| (name.clone(), value.as_str().unwrap_or("").to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let text = envelope.get("body").and_then(Value::as_str).unwrap_or("");
        let body = match envelope.get("body_encoding").and_then(Value::as_str) {
            None | Some("utf-8") => text.as_bytes().to_vec(),
            Some("base64") => base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| broken("has a body_encoding base64 body that is not base64"))?,
            Some(other) => {
                return Err(broken(&format!(
                    "has an unknown body_encoding '{}'",
                    clean(other)
                )));
            }
        };
        Ok(Upstream {
            status,
            headers,
            body,
        })
    }

    /// `-i`: the status line, the headers and a blank line (control characters never reach
    /// the terminal from here).
    pub fn head(&self) -> String {
        let reason = ureq::http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|code| code.canonical_reason())
            .unwrap_or("");
        let mut text = format!("HTTP {} {reason}", self.status)
            .trim_end()
            .to_owned();
        text.push('\n');
        for (name, value) in &self.headers {
            text.push_str(&format!("{}: {}\n", clean(name), clean(value)));
        }
        text.push('\n');
        text
    }
}

/// 0 when the upstream answered 2xx or 3xx, 1 when it answered 4xx or 5xx.
pub fn exit_code(status: u16) -> u8 {
    if status >= 400 { EXIT_FAILED } else { 0 }
}

/// The one line on stderr about an answer that is not a success.
pub fn status_note(status: u16) -> Option<String> {
    match status {
        300..=399 => Some(format!(
            "upstream answered {status} (the broker does not follow redirects)"
        )),
        400.. => Some(format!("upstream answered {status}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser as _;

    fn args(list: &[&str]) -> ProxyArgs {
        let cli = Cli::try_parse_from(["latchkey", "proxy"].iter().chain(list).copied()).unwrap();
        let Command::Proxy(proxy) = cli.command else {
            panic!("not proxy");
        };
        proxy
    }

    #[test]
    fn a_full_request_maps_onto_the_contract() {
        let a = args(&[
            "--secret",
            "API_KEY=production/example/api-key",
            "-s",
            "DB=prod/db#password",
            "-X",
            "post",
            "-H",
            "Authorization: Bearer {{API_KEY}}",
            "-H",
            "Content-Type:application/json",
            "--timeout",
            "10",
            "https://api.example.com/v1/things?key={{API_KEY}}&db={{DB}}",
        ]);
        let body = request_body(&a, Some(r#"{"token": "{{API_KEY}}"}"#.into())).unwrap();
        assert_eq!(
            body,
            json!({
                "method": "POST",
                "url": "https://api.example.com/v1/things?key={{API_KEY}}&db={{DB}}",
                "headers": {
                    "Authorization": "Bearer {{API_KEY}}",
                    "Content-Type": "application/json"
                },
                "body": "{\"token\": \"{{API_KEY}}\"}",
                "secrets": {"API_KEY": "production/example/api-key", "DB": "prod/db#password"},
                "timeout_seconds": 10
            })
        );
    }

    #[test]
    fn the_method_is_get_or_post_with_a_body_like_curl() {
        let plain = args(&["-s", "K=a", "https://x.example/?k={{K}}"]);
        let body = request_body(&plain, None).unwrap();
        assert_eq!(body["method"], "GET");
        // Only what was given is sent.
        assert!(body.get("headers").is_none(), "{body}");
        assert!(body.get("body").is_none(), "{body}");
        assert!(body.get("timeout_seconds").is_none(), "{body}");
        assert_eq!(
            request_body(&plain, Some("x".into())).unwrap()["method"],
            "POST"
        );
        // An empty body is a body.
        let empty = request_body(&plain, Some(String::new())).unwrap();
        assert_eq!(
            (&empty["method"], &empty["body"]),
            (&json!("POST"), &json!(""))
        );
        let put = args(&["-s", "K=a", "-X", "PUT", "https://x.example/"]);
        assert_eq!(request_body(&put, None).unwrap()["method"], "PUT");
        let delete = args(&["-s", "K=a", "--method", "delete", "https://x.example/"]);
        assert_eq!(
            request_body(&delete, Some("{}".into())).unwrap()["method"],
            "DELETE"
        );
    }

    #[test]
    fn a_data_file_is_the_body_exactly() {
        let dir = std::env::temp_dir().join(format!("latchkey-proxy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("body.json");
        std::fs::write(&file, "{\"k\": \"{{K}}\"}\n").unwrap();
        let a = args(&[
            "-s",
            "K=a",
            "--data-file",
            file.to_str().unwrap(),
            "https://x.example/",
        ]);
        let data = read_data(&a).unwrap();
        assert_eq!(data.as_deref(), Some("{\"k\": \"{{K}}\"}\n"));
        assert_eq!(request_body(&a, data).unwrap()["method"], "POST");
        std::fs::write(&file, [0xff, 0xfe]).unwrap();
        let error = read_data(&a).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.report().contains("not UTF-8"), "{}", error.report());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn usage_errors_are_caught_before_any_request() {
        let twice = args(&["-s", "K=a", "-s", "K=b", "https://x.example/"]);
        let error = request_body(&twice, None).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.report().contains("K is bound twice"));
        let headers = args(&[
            "-s",
            "K=a",
            "-H",
            "Accept: a",
            "-H",
            "accept: b",
            "https://x.example/",
        ]);
        let error = request_body(&headers, None).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.report().contains("header accept is given twice"));
        let relative = args(&["-s", "K=a", "api.example.com/v1"]);
        let report = request_body(&relative, None).unwrap_err().report();
        assert!(report.contains("https://api.example.com/v1"), "{report}");
        let ftp = args(&["-s", "K=a", "ftp://files.example.com/"]);
        assert!(
            request_body(&ftp, None)
                .unwrap_err()
                .report()
                .contains("https URLs only")
        );
        assert!(check_url("HTTPS://API.EXAMPLE.COM/").is_ok());
        assert!(check_url("http://127.0.0.1:8080/").is_ok());
    }

    #[test]
    fn purposes_are_one_short_line() {
        assert!(check_purpose(None).is_ok());
        assert!(check_purpose(Some("nightly billing sync")).is_ok());
        assert!(check_purpose(Some(&"x".repeat(256))).is_ok());
        for bad in ["", "  ", "a\nb", &"x".repeat(257)] {
            assert_eq!(
                check_purpose(Some(bad)).unwrap_err().exit_code(),
                2,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_utf8_answer_is_the_body_as_it_is() {
        let upstream = Upstream::read(&json!({
            "status": 201,
            "headers": {"content-type": "application/json", "x-echo": "[REDACTED]"},
            "body": "{\"seen\": \"[REDACTED]\"}",
            "body_encoding": "utf-8",
            "redacted": 2,
            "duration_ms": 41
        }))
        .unwrap();
        assert_eq!(upstream.status, 201);
        assert_eq!(upstream.body, b"{\"seen\": \"[REDACTED]\"}");
        assert_eq!(
            upstream.head(),
            "HTTP 201 Created\ncontent-type: application/json\nx-echo: [REDACTED]\n\n"
        );
        // No encoding named: UTF-8.
        let bare = Upstream::read(&json!({"status": 204, "headers": {}, "body": ""})).unwrap();
        assert!(bare.body.is_empty());
        assert_eq!(bare.head(), "HTTP 204 No Content\n\n");
    }

    #[test]
    fn a_base64_answer_is_decoded_to_its_bytes() {
        let bytes = [0x89_u8, b'P', b'N', b'G', 0x00, 0xff, 0x10];
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        let upstream = Upstream::read(&json!({
            "status": 200,
            "headers": {"content-type": "image/png"},
            "body": encoded,
            "body_encoding": "base64"
        }))
        .unwrap();
        assert_eq!(upstream.body, bytes);
        let broken = Upstream::read(&json!({
            "status": 200, "body": "not base64!", "body_encoding": "base64"
        }))
        .unwrap_err();
        assert_eq!(broken.exit_code(), 1);
        assert!(broken.report().contains("not base64"));
        let unknown = Upstream::read(&json!({"status": 200, "body": "", "body_encoding": "gzip"}));
        assert!(
            unknown
                .unwrap_err()
                .report()
                .contains("unknown body_encoding 'gzip'")
        );
        assert!(Upstream::read(&json!({"body": ""})).is_err());
    }

    #[test]
    fn headers_shown_with_include_cannot_drive_the_terminal() {
        let upstream = Upstream {
            status: 599,
            headers: vec![("x-evil".into(), "a\u{1b}[2Jb".into())],
            body: Vec::new(),
        };
        assert_eq!(upstream.head(), "HTTP 599\nx-evil: a?[2Jb\n\n");
    }

    #[test]
    fn the_exit_code_follows_the_upstream_status() {
        assert_eq!(exit_code(200), 0);
        assert_eq!(exit_code(204), 0);
        assert_eq!(exit_code(302), 0);
        assert_eq!(exit_code(404), 1);
        assert_eq!(exit_code(503), 1);
        assert_eq!(status_note(200), None);
        assert_eq!(status_note(404).as_deref(), Some("upstream answered 404"));
        assert_eq!(status_note(500).as_deref(), Some("upstream answered 500"));
        assert!(
            status_note(301)
                .unwrap()
                .contains("does not follow redirects")
        );
    }
}
