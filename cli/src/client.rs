//! The HTTP side: one blocking client per invocation, the bearer token on every request, error
//! bodies turned into [`ApiFailure`]s, and the URL encoding the API expects.

use crate::config::Settings;
use crate::error::{ApiFailure, CliError};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use std::time::Duration;
use ureq::Agent;
use ureq::http::Request;
use zeroize::Zeroizing;

/// Responses larger than this are refused (a secret value is at most 64 KiB; an audit page
/// of 1,000 events is well under it).
const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

pub struct Client {
    agent: Agent,
    stream_agent: Agent,
    settings: Settings,
    /// Sends the token in this header instead of `Authorization: Bearer` (a minted agent's
    /// `X-Agent-Secret`, `latchkey agent`).
    secret_header: Option<&'static str>,
}

/// A successful answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

fn agent(global_timeout: Option<Duration>, direct: bool) -> Agent {
    let builder = Agent::config_builder();
    // Plain http is allowed only to this machine: a proxy from the environment would carry
    // the token in the clear to another host (and reach its own localhost, not ours).
    let builder = if direct { builder.proxy(None) } else { builder };
    builder
        .http_status_as_error(false)
        // The API never redirects; a redirect is a wrong URL, and following it could carry
        // the token somewhere else.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(global_timeout)
        .user_agent(concat!("latchkey-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

impl Client {
    pub fn new(settings: Settings) -> Client {
        let direct = settings.url.starts_with("http://");
        Client {
            agent: agent(Some(Duration::from_secs(30)), direct),
            // The server ends every event stream after 10 minutes; a connection silent past
            // that is half-open, and the tail reconnects.
            stream_agent: agent(Some(Duration::from_secs(11 * 60)), direct),
            settings,
            secret_header: None,
        }
    }

    /// A client that sends its token as `header` (e.g. `X-Agent-Secret`), not as a bearer.
    pub fn with_secret_header(settings: Settings, header: &'static str) -> Client {
        Client {
            secret_header: Some(header),
            ..Client::new(settings)
        }
    }

    pub fn base(&self) -> &str {
        &self.settings.url
    }

    pub fn get(&self, url: &str) -> Result<Value, CliError> {
        self.send("GET", url, None, &[]).map(|r| r.body)
    }

    pub fn post(&self, url: &str, body: &Value) -> Result<Reply, CliError> {
        self.send("POST", url, Some(body), &[])
    }

    pub fn put(&self, url: &str, body: &Value, if_match: Option<u64>) -> Result<Reply, CliError> {
        let header = if_match.map(|v| v.to_string());
        let headers: Vec<(&str, &str)> = header
            .as_deref()
            .map(|v| ("If-Match", v))
            .into_iter()
            .collect();
        self.send("PUT", url, Some(body), &headers)
    }

    pub fn delete(&self, url: &str) -> Result<Reply, CliError> {
        self.send("DELETE", url, None, &[])
    }

    /// Sends a request; a 2xx answer is `Ok`, anything else the API's error.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, CliError> {
        self.send_within(method, url, body, headers, None)
    }

    /// Like [`Client::send`], allowed `timeout` instead of 30 s (a broker call waits for the
    /// upstream for up to 30 s, then answers).
    pub fn send_within(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        timeout: Option<Duration>,
    ) -> Result<Reply, CliError> {
        let full = format!("{}{url}", self.settings.url);
        let mut builder = self.request(method, &full, headers);
        // The body may hold a value; it goes to ureq, whose buffers are not wiped (the
        // process is short-lived), so no copy of it is kept here.
        let bytes = match body {
            Some(value) => {
                builder = builder.header("Content-Type", "application/json");
                serde_json::to_vec(value)
                    .map_err(|e| CliError::failed(format!("cannot encode the request: {e}")))?
            }
            None => Vec::new(),
        };
        let mut request = builder
            .body(bytes)
            .map_err(|e| CliError::usage(format!("cannot build a request for {full}: {e}")))?;
        if let Some(timeout) = timeout {
            request = self
                .agent
                .configure_request(request)
                .timeout_global(Some(timeout))
                .build();
        }
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| self.network_error(&full, &e))?;
        let status = response.status().as_u16();
        let request_id = header(&response, "x-request-id");
        let retry_after = header(&response, "retry-after").and_then(|v| v.trim().parse().ok());
        let text = Zeroizing::new(
            response
                .body_mut()
                .with_config()
                .limit(MAX_BODY_BYTES)
                .read_to_string()
                .map_err(|e| self.network_error(&full, &e))?,
        );
        if (200..300).contains(&status) {
            let body = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).map_err(|_| {
                    CliError::failed_hint(
                        format!("{full} answered HTTP {status} with a body that is not JSON"),
                        "is the URL the Latchkey API's origin (e.g. https://latchkey.example.com)?",
                    )
                })?
            };
            return Ok(Reply { status, body });
        }
        if (300..400).contains(&status) {
            let location = header(&response, "location").unwrap_or_default();
            return Err(CliError::usage_hint(
                format!("{full} redirects to {location}"),
                format!(
                    "use the API's own origin as the URL (it comes from {})",
                    self.settings.url_source
                ),
            ));
        }
        let mut failure = ApiFailure::from_response(status, &text, &full);
        failure.request_id = request_id;
        failure.retry_after = retry_after;
        failure.token_source = self.settings.token_source.clone();
        Err(CliError::Api(Box::new(failure)))
    }

    /// Opens `GET url` as a stream (server-sent events): the answer's body, unread.
    pub fn open_stream(
        &self,
        url: &str,
        last_event_id: Option<&str>,
    ) -> Result<ureq::BodyReader<'static>, CliError> {
        let full = format!("{}{url}", self.settings.url);
        let mut builder = self
            .request("GET", &full, &[])
            .header("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            builder = builder.header("Last-Event-ID", id);
        }
        let request = builder
            .body(())
            .map_err(|e| CliError::usage(format!("cannot build a request for {full}: {e}")))?;
        let mut response = self
            .stream_agent
            .run(request)
            .map_err(|e| self.network_error(&full, &e))?;
        let status = response.status().as_u16();
        if status == 200 {
            return Ok(response.into_body().into_reader());
        }
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_string()
            .unwrap_or_default();
        let mut failure = ApiFailure::from_response(status, &text, &full);
        failure.request_id = header(&response, "x-request-id");
        failure.retry_after = header(&response, "retry-after").and_then(|v| v.trim().parse().ok());
        failure.token_source = self.settings.token_source.clone();
        Err(CliError::Api(Box::new(failure)))
    }

    fn request(
        &self,
        method: &str,
        full: &str,
        headers: &[(&str, &str)],
    ) -> ureq::http::request::Builder {
        let builder = Request::builder().method(method).uri(full);
        // An empty token sends no credential (an agent's registration carries its bootstrap
        // token in the body).
        let mut builder = match self.secret_header {
            _ if self.settings.token.is_empty() => builder,
            Some(name) => builder.header(name, self.settings.token.expose()),
            None => builder.header(
                "Authorization",
                format!("Bearer {}", self.settings.token.expose()),
            ),
        };
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder
    }

    pub fn network_error(&self, url: &str, error: &ureq::Error) -> CliError {
        let detail = match error {
            ureq::Error::Io(e) => e.to_string(),
            ureq::Error::HostNotFound => "host not found".to_owned(),
            ureq::Error::ConnectionFailed => "connection failed".to_owned(),
            ureq::Error::Timeout(which) => format!("timed out ({which})"),
            ureq::Error::Tls(why) => format!("TLS failed: {why}"),
            other => other.to_string(),
        };
        CliError::Network {
            url: url.to_owned(),
            detail,
            url_source: self.settings.url_source.clone(),
        }
    }
}

fn header<B>(response: &ureq::http::Response<B>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// What [`encode`] encodes: every byte but RFC 3986's unreserved characters
/// `A-Z a-z 0-9 - . _ ~` (non-ASCII bytes always are).
const NON_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but unreserved characters (upper-case hex): a secret path
/// becomes one URL segment (`prod/db` → `prod%2Fdb`), a query value stays one value.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_UNRESERVED).to_string()
}

/// `/v1/secrets/{path}` and what follows it.
pub fn secret_url(path: &str, rest: &str) -> String {
    format!("/v1/secrets/{}{rest}", encode(path))
}

/// A query string built from optional parameters: `?a=1&b=x%20y`, or empty.
#[derive(Debug, Clone, Default)]
pub struct Query(Vec<String>);

impl Query {
    pub fn new() -> Self {
        Query::default()
    }

    pub fn push(mut self, name: &str, value: impl ToString) -> Self {
        self.0
            .push(format!("{name}={}", encode(&value.to_string())));
        self
    }

    pub fn opt(self, name: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.push(name, v),
            None => self,
        }
    }

    pub fn flag(self, name: &str, on: bool) -> Self {
        if on { self.push(name, "true") } else { self }
    }

    pub fn finish(&self) -> String {
        if self.0.is_empty() {
            String::new()
        } else {
            format!("?{}", self.0.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_one_segment() {
        assert_eq!(encode("prod/openai/api-key"), "prod%2Fopenai%2Fapi-key");
        assert_eq!(secret_url("a/b", "/versions"), "/v1/secrets/a%2Fb/versions");
        assert_eq!(encode("a b+é~_.-"), "a%20b%2B%C3%A9~_.-");
    }

    #[test]
    fn queries_encode_values() {
        let q = Query::new()
            .push("tag", "team:ml ops")
            .opt("limit", Some(5))
            .opt("cursor", None::<String>)
            .flag("include_deleted", true)
            .flag("permanent", false);
        assert_eq!(
            q.finish(),
            "?tag=team%3Aml%20ops&limit=5&include_deleted=true"
        );
        assert_eq!(Query::new().finish(), "");
    }
}
