//! The one error type of the API and its wire body `{"error":{"code","message",…}}`.
//!
//! Codes and statuses are the API's documented error table. Extra detail members (`field`, `path`,
//! `required_scope`, …) sit beside `code` and `message` so an agent can act on them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// The API's error codes (the documented table), each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    Unauthorized,
    PermissionDenied,
    NotFound,
    Conflict,
    ValidationError,
    RateLimited,
    InternalError,
    /// 405, with the allowed methods in `allow`. Not in the documented table, which has no row for
    /// a known path called with the wrong method.
    MethodNotAllowed,
    /// 503: a dependency (D1, a Durable Object) cannot be reached. Not in the documented table,
    /// which has no unavailable row; used only by the readiness probe and the DO transport.
    Unavailable,
    /// 410: a single-use thing (a wrap) was used up or has expired. Not in the documented table;
    /// the people issue asks for it.
    Gone,
    /// 502: the broker's upstream could not be reached (DNS, connection, TLS). Not in the
    /// documented table, which has no upstreams.
    UpstreamError,
    /// 504: the broker's upstream did not answer in time.
    UpstreamTimeout,
}

impl ErrorCode {
    /// Every code, in the order above.
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::InvalidRequest,
        ErrorCode::Unauthorized,
        ErrorCode::PermissionDenied,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::ValidationError,
        ErrorCode::RateLimited,
        ErrorCode::InternalError,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Unavailable,
        ErrorCode::Gone,
        ErrorCode::UpstreamError,
        ErrorCode::UpstreamTimeout,
    ];

    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::PermissionDenied => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::ValidationError => 422,
            ErrorCode::RateLimited => 429,
            ErrorCode::InternalError => 500,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Unavailable => 503,
            ErrorCode::Gone => 410,
            ErrorCode::UpstreamError => 502,
            ErrorCode::UpstreamTimeout => 504,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::ValidationError => "validation_error",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Gone => "gone",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
        }
    }
}

/// An error a client may see. The message is written for the client: internal causes are
/// logged by the caller and replaced with a fixed text (see [`ApiError::internal`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Extra members of the error object, e.g. `field`, `path`, `required_scope`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: Map::new(),
        }
    }

    /// Adds a detail member; `code` and `message` cannot be overwritten.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        if key != "code" && key != "message" {
            self.details.insert(key.to_owned(), value.into());
        }
        self
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    /// A request body member that failed validation; names the member in `field`.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationError, message).with("field", field)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// The one answer to a credential that is not recognized (`credential::unrecognized`
    /// says which ones); here so the JWT verifier words its refusal the same without
    /// depending on the credential module.
    pub const UNRECOGNIZED_CREDENTIAL: &'static str = "credential not recognized";

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// The client sees a fixed message; the cause stays in the server's log.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalError,
            "internal error; retry with exponential backoff",
        )
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The wire body: `{"error":{"code":…,"message":…, …details}}`.
    pub fn to_body(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), Value::from(self.code.as_str()));
        error.insert("message".into(), Value::from(self.message.clone()));
        for (key, value) in &self.details {
            error.insert(key.clone(), value.clone());
        }
        let mut body = Map::new();
        body.insert("error".into(), Value::Object(error));
        Value::Object(body)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_carries_code_message_and_details() {
        let err = ApiError::validation("path", "bad path");
        assert_eq!(
            err.to_body(),
            serde_json::json!({"error": {"code": "validation_error", "message": "bad path", "field": "path"}})
        );
        assert_eq!(err.status(), 422);
    }

    #[test]
    fn details_cannot_overwrite_code_or_message() {
        let err = ApiError::not_found("gone")
            .with("code", "ok")
            .with("message", "x");
        assert_eq!(err.to_body()["error"]["code"], "not_found");
        assert_eq!(err.to_body()["error"]["message"], "gone");
    }

    #[test]
    fn statuses_match_seed_table() {
        let table = [
            (ErrorCode::InvalidRequest, 400, "invalid_request"),
            (ErrorCode::Unauthorized, 401, "unauthorized"),
            (ErrorCode::PermissionDenied, 403, "permission_denied"),
            (ErrorCode::NotFound, 404, "not_found"),
            (ErrorCode::Conflict, 409, "conflict"),
            (ErrorCode::ValidationError, 422, "validation_error"),
            (ErrorCode::RateLimited, 429, "rate_limited"),
            (ErrorCode::InternalError, 500, "internal_error"),
        ];
        for (code, status, name) in table {
            assert_eq!(code.status(), status);
            assert_eq!(code.as_str(), name);
            assert_eq!(serde_json::to_value(code).ok(), Some(Value::from(name)));
        }
    }

    #[test]
    fn round_trips_through_json() {
        let err = ApiError::conflict("exists").with("path", "a/b");
        let json = serde_json::to_string(&err).unwrap_or_default();
        let back: Result<ApiError, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(err));
    }
}
