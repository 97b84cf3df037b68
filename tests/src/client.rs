//! A blocking client with one method per endpoint. It never fails on an HTTP status: tests
//! assert on the [`Reply`].

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use std::time::Duration;
use ureq::Agent;
use ureq::http::Request;

pub fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A response: status, headers and body (parsed as JSON when it is JSON, else `Null`).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn error_code(&self) -> Option<&str> {
        self.body["error"]["code"].as_str()
    }

    pub fn error_field(&self) -> Option<&str> {
        self.body["error"]["field"].as_str()
    }

    /// Asserts the error contract: this status, a JSON error body with this code and a message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status, status, "status; body: {}", self.text);
        assert_eq!(self.error_code(), Some(code), "code; body: {}", self.text);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "message; body: {}",
            self.text
        );
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "content type; headers: {:?}",
            self.headers
        );
        self
    }
}

/// A request body: JSON, or raw bytes with an optional content type (for malformed input).
pub enum Body<'a> {
    None,
    Json(&'a Value),
    Raw(Option<&'a str>, &'a [u8]),
}

pub struct Api {
    agent: Agent,
    pub base: String,
}

/// What the tests percent-encode: every byte but RFC 3986's unreserved characters
/// `A-Z a-z 0-9 - . _ ~` (non-ASCII bytes always are).
pub const NON_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A secret path as one URL segment, in upper-case hex: `prod/db` → `prod%2Fdb`.
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, NON_UNRESERVED).to_string()
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            agent: agent(),
            base: base.to_owned(),
        }
    }

    /// Sends any request; `url` is appended to the base as given (no encoding). Panics when
    /// the exchange itself fails (no answer at all).
    pub fn send(
        &self,
        method: &str,
        url: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Body<'_>,
    ) -> Reply {
        self.try_send(method, url, bearer, headers, body)
            .expect("HTTP exchange")
    }

    /// Like [`Api::send`], with a failed exchange (connection refused or cut) as an error:
    /// for tests that crash the runtime on purpose.
    pub fn try_send(
        &self,
        method: &str,
        url: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<Reply, ureq::Error> {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{url}", self.base));
        if let Some(token) = bearer {
            builder = builder.header("Authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let bytes: Vec<u8> = match body {
            Body::None => Vec::new(),
            Body::Json(value) => {
                builder = builder.header("Content-Type", "application/json");
                value.to_string().into_bytes()
            }
            Body::Raw(content_type, bytes) => {
                if let Some(ct) = content_type {
                    builder = builder.header("Content-Type", ct);
                }
                bytes.to_vec()
            }
        };
        let request = builder.body(bytes).expect("request");
        let mut response = self.agent.run(request)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let text = response
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            headers,
            text,
            body,
        })
    }

    pub fn get(&self, url: &str, bearer: Option<&str>) -> Reply {
        self.send("GET", url, bearer, &[], Body::None)
    }

    pub fn create_tenant(&self, operator_key: &str, body: &Value) -> Reply {
        self.send(
            "POST",
            "/v1/admin/tenants",
            Some(operator_key),
            &[],
            Body::Json(body),
        )
    }

    pub fn create_secret(&self, key: &str, body: &Value) -> Reply {
        self.send("POST", "/v1/secrets", Some(key), &[], Body::Json(body))
    }

    pub fn get_secret(&self, key: &str, path: &str) -> Reply {
        self.get(&format!("/v1/secrets/{}", encode_path(path)), Some(key))
    }

    pub fn get_secret_version(&self, key: &str, path: &str, version: u64) -> Reply {
        self.get(
            &format!("/v1/secrets/{}?version={version}", encode_path(path)),
            Some(key),
        )
    }

    pub fn update_secret(
        &self,
        key: &str,
        path: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Reply {
        let headers: Vec<(&str, &str)> = if_match.map(|v| ("If-Match", v)).into_iter().collect();
        self.send(
            "PUT",
            &format!("/v1/secrets/{}", encode_path(path)),
            Some(key),
            &headers,
            Body::Json(body),
        )
    }

    pub fn rotate_secret(&self, key: &str, path: &str, body: &Value) -> Reply {
        self.send(
            "POST",
            &format!("/v1/secrets/{}/rotate", encode_path(path)),
            Some(key),
            &[],
            Body::Json(body),
        )
    }

    pub fn secret_versions(&self, key: &str, path: &str) -> Reply {
        self.get(
            &format!("/v1/secrets/{}/versions", encode_path(path)),
            Some(key),
        )
    }

    pub fn delete_secret(&self, key: &str, path: &str, permanent: bool) -> Reply {
        let query = if permanent { "?permanent=true" } else { "" };
        self.send(
            "DELETE",
            &format!("/v1/secrets/{}{query}", encode_path(path)),
            Some(key),
            &[],
            Body::None,
        )
    }

    pub fn restore_secret(&self, key: &str, path: &str) -> Reply {
        self.send(
            "POST",
            &format!("/v1/secrets/{}/restore", encode_path(path)),
            Some(key),
            &[],
            Body::None,
        )
    }

    fn fields_url(path: &str, field: Option<&str>) -> String {
        match field {
            Some(field) => format!("/v1/secrets/{}/fields/{field}", encode_path(path)),
            None => format!("/v1/secrets/{}/fields", encode_path(path)),
        }
    }

    pub fn set_field(&self, key: &str, path: &str, field: &str, value: &str) -> Reply {
        self.send(
            "PUT",
            &Self::fields_url(path, Some(field)),
            Some(key),
            &[],
            Body::Json(&serde_json::json!({ "value": value })),
        )
    }

    pub fn set_fields(&self, key: &str, path: &str, body: &Value) -> Reply {
        self.send(
            "PUT",
            &Self::fields_url(path, None),
            Some(key),
            &[],
            Body::Json(body),
        )
    }

    pub fn get_field(&self, key: &str, path: &str, field: &str) -> Reply {
        self.get(&Self::fields_url(path, Some(field)), Some(key))
    }

    pub fn get_fields(&self, key: &str, path: &str) -> Reply {
        self.get(&Self::fields_url(path, None), Some(key))
    }

    pub fn delete_field(&self, key: &str, path: &str, field: &str) -> Reply {
        self.send(
            "DELETE",
            &Self::fields_url(path, Some(field)),
            Some(key),
            &[],
            Body::None,
        )
    }

    pub fn generate(&self, key: &str, body: &Value) -> Reply {
        self.send("POST", "/v1/generate", Some(key), &[], Body::Json(body))
    }

    pub fn info(&self, key: &str) -> Reply {
        self.get("/v1/info", Some(key))
    }

    pub fn create_token(&self, key: &str, body: &Value) -> Reply {
        self.send("POST", "/v1/tokens", Some(key), &[], Body::Json(body))
    }

    pub fn list_tokens(&self, key: &str) -> Reply {
        self.get("/v1/tokens", Some(key))
    }

    pub fn revoke_token(&self, key: &str, id: &str) -> Reply {
        self.send(
            "DELETE",
            &format!("/v1/tokens/{id}"),
            Some(key),
            &[],
            Body::None,
        )
    }

    /// `GET /v1/secrets/{path}` as seen from `ip` (`CF-Connecting-IP`).
    pub fn get_secret_from(&self, key: &str, path: &str, ip: &str) -> Reply {
        self.send(
            "GET",
            &format!("/v1/secrets/{}", encode_path(path)),
            Some(key),
            &[("CF-Connecting-IP", ip)],
            Body::None,
        )
    }

    /// Opens `GET /v1/events` and returns the status and a line reader over the stream.
    pub fn open_stream(
        &self,
        key: &str,
        last_event_id: Option<&str>,
    ) -> (u16, Box<dyn std::io::BufRead + Send>) {
        let mut builder = Request::builder()
            .method("GET")
            .uri(format!("{}/v1/events", self.base))
            .header("Authorization", format!("Bearer {key}"))
            .header("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            builder = builder.header("Last-Event-ID", id);
        }
        let request = builder.body(Vec::new()).expect("request");
        let response = self.agent.run(request).expect("HTTP exchange");
        let status = response.status().as_u16();
        let reader = response.into_body().into_reader();
        (status, Box::new(std::io::BufReader::new(reader)))
    }
}
