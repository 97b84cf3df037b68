//! What can go wrong, the exit code of each kind, and the hint that says what to do next.

use serde_json::{Map, Value};
use std::fmt::Write as _;

/// Exit codes: 0 ok, 1 the API or the server refused or failed, 2 usage (arguments, input,
/// configuration).
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug)]
pub enum CliError {
    /// Bad arguments, input or configuration: the user can fix the invocation.
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// The API answered with an error.
    Api(Box<ApiFailure>),
    /// No answer at all from the server.
    Network {
        url: String,
        detail: String,
        /// Where the URL came from (`LATCHKEY_URL`, a profile), for the hint.
        url_source: String,
    },
    /// Anything else that did not work out (a denied approval, a timeout, a local file).
    Failed {
        message: String,
        hint: Option<String>,
    },
    /// Standard output was closed by the reader (`latchkey list | head -1`): stop quietly.
    BrokenPipe,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage {
            message: message.into(),
            hint: None,
        }
    }

    pub fn usage_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        CliError::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        CliError::Failed {
            message: message.into(),
            hint: None,
        }
    }

    pub fn failed_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        CliError::Failed {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage { .. } => EXIT_USAGE,
            CliError::BrokenPipe => 0,
            _ => EXIT_FAILED,
        }
    }

    /// `error: …` and, when there is one, `hint: …`; empty for a closed pipe.
    pub fn report(&self) -> String {
        let (message, hint) = match self {
            CliError::Usage { message, hint } | CliError::Failed { message, hint } => {
                (message.clone(), hint.clone())
            }
            CliError::Api(failure) => (failure.summary(), api_hint(failure)),
            CliError::Network {
                url,
                detail,
                url_source,
            } => (
                format!("could not reach {url}: {detail}"),
                Some(format!(
                    "is the URL right (it comes from {url_source}) and is the server up? \
                     `latchkey login --profile NAME --url URL` stores another one"
                )),
            ),
            CliError::BrokenPipe => return String::new(),
        };
        let mut text = format!("error: {message}\n");
        if let Some(hint) = hint {
            let _ = writeln!(text, "hint: {hint}");
        }
        text
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CliError::BrokenPipe
        } else {
            CliError::failed(e.to_string())
        }
    }
}

/// An error answer of the API: `{"error": {"code", "message", …}}` plus what the response
/// said around it.
#[derive(Debug, Clone, Default)]
pub struct ApiFailure {
    /// The API's code (`not_found`, …), or `http_<status>` when the body was not an API error.
    pub code: String,
    pub message: String,
    /// The error object's other members: `field`, `path`, `required_scope`, `retry_after`, …
    pub details: Map<String, Value>,
    /// `X-Request-Id`, to quote to the operator.
    pub request_id: Option<String>,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
    /// Where the token came from, for the hint of a refused one.
    pub token_source: String,
}

impl ApiFailure {
    /// Reads an error response. A body that is not the API's error object (a proxy's HTML
    /// page, a wrong URL) becomes `http_<status>` with a message that says so.
    pub fn from_response(status: u16, body: &str, url: &str) -> ApiFailure {
        let parsed: Option<Map<String, Value>> = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_object).cloned());
        match parsed {
            Some(mut error) => {
                let code = take_str(&mut error, "code").unwrap_or_else(|| format!("http_{status}"));
                let message = take_str(&mut error, "message")
                    .unwrap_or_else(|| format!("the server answered HTTP {status}"));
                ApiFailure {
                    code,
                    message,
                    details: error,
                    ..ApiFailure::default()
                }
            }
            None => ApiFailure {
                code: format!("http_{status}"),
                message: format!(
                    "unexpected answer from {url}: HTTP {status}, not a Latchkey API error"
                ),
                ..ApiFailure::default()
            },
        }
    }

    pub fn detail_str(&self, name: &str) -> Option<&str> {
        self.details.get(name).and_then(Value::as_str)
    }

    pub fn summary(&self) -> String {
        self.message.clone()
    }
}

fn take_str(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.remove(key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

/// The option of this CLI that sets an API body member, for validation errors.
pub fn flag_for_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "scope" => "--scope",
        "ttl_seconds" => "--ttl",
        "description" => "--description",
        "allowed_ips" => "--allowed-ip",
        "max_uses" => "--max-uses",
        "tier" => "--tier",
        "tags" | "tag" => "--tag",
        "expires_at" => "--expires-at",
        "max_versions" => "--max-versions",
        "grace_period_seconds" => "--grace",
        "length" => "--length",
        "uppercase" | "lowercase" | "digits" | "symbols" => "the --no-* character class options",
        "path" => "the PATH argument",
        "value" | "new_value" => "the value (stdin, --value-file or --generate)",
        "version" => "--version",
        "status" => "--status",
        "comment" => "--comment",
        "reason" => "--reason",
        "namespace" => "--namespace",
        "limit" => "--limit",
        "cursor" => "--cursor",
        "q" => "--search",
        "expiring_within" => "--expiring-within",
        "If-Match" => "--if-match",
        "type" => "--type",
        "actor" => "--actor",
        "allowed_hosts" => "--allowed-host",
        "secrets" => "--secret",
        "headers" => "--header",
        "body" => "--data (or --data-file)",
        "url" => "the URL argument",
        "method" => "--method",
        "timeout_seconds" => "--timeout",
        _ => return None,
    })
}

/// The header a broker call or a read states its purpose in.
const PURPOSE_HEADER: &str = "X-Latchkey-Purpose";

/// What to do about a broker refusal, from its `reason`; `None` for other refusals.
fn broker_hint(reason: &str, path: Option<&str>) -> Option<String> {
    let path = path.unwrap_or("PATH");
    Some(match reason {
        "no_allowed_hosts" => format!(
            "{path} has no allowed hosts, so the broker sends it nowhere; an admin stores them \
             with the value: `latchkey set {path} --allowed-host api.example.com` (a new version)"
        ),
        "host_not_allowed" | "path_not_allowed" | "method_not_allowed" => {
            let what = reason.trim_end_matches("_not_allowed");
            format!(
                "the allowed hosts of {path} do not cover this {what}; check the URL and \
                 --method, or have an admin add a rule with `latchkey set {path} --allowed-host \
                 '[METHODS] HOST[/PATH]'` (the rules given replace the stored ones)"
            )
        }
        "insecure_scheme" => "the broker calls https:// URLs only (plain http only to hosts the \
                              operator lists in PROXY_INSECURE_HOSTS, for development)"
            .to_owned(),
        "private_address" => "the broker does not call private, loopback or link-local \
                              addresses, localhost or *.local/*.internal names; use the \
                              service's public https URL"
            .to_owned(),
        _ => return None,
    })
}

/// What to do next about an API error, from its code and details.
pub fn api_hint(f: &ApiFailure) -> Option<String> {
    let path = f.detail_str("path");
    match f.code.as_str() {
        "unauthorized" => Some(format!(
            "the token from {} was refused (wrong, expired, used up or revoked); set \
             LATCHKEY_TOKEN, or store a new one with `latchkey login --profile NAME --url URL`",
            f.token_source
        )),
        "permission_denied" => {
            if let Some(hint) = f.detail_str("reason").and_then(|r| broker_hint(r, path)) {
                return Some(hint);
            }
            Some(match f.detail_str("required_scope") {
                Some(scope) => {
                    let mut hint = format!(
                        "this token lacks the scope `{scope}`; use a token that has it, e.g. one \
                         an admin mints with `latchkey token create --scope '{scope}'`"
                    );
                    if scope.starts_with("secrets:use:") {
                        hint.push_str(" (it lets `latchkey proxy` use the secret, never read it)");
                    }
                    hint
                }
                None => "this token may not do that (its scopes, its allowed addresses or its \
                         role); ask an admin for a token that may"
                    .to_owned(),
            })
        }
        "not_found" => Some(match path {
            Some(path) if f.message.contains("is deleted") => {
                format!("restore it with `latchkey restore {path}`")
            }
            Some(path) if f.details.contains_key("version") => {
                format!("`latchkey versions {path}` lists its readable versions")
            }
            Some(path) => match path.split_once('/') {
                Some((namespace, _)) => format!(
                    "check the path; `latchkey list --namespace {namespace}` shows what this token can see there"
                ),
                None => "check the path; `latchkey list` shows what this token can see".to_owned(),
            },
            None => "check the id or name; `latchkey token list` and `latchkey approvals list` \
                     show what exists"
                .to_owned(),
        }),
        "conflict" => {
            if let Some(current) = f.details.get("current_version").and_then(Value::as_u64) {
                Some(format!(
                    "it changed meanwhile: the current version is {current}; check it and retry \
                     with --if-match {current} if your change still applies"
                ))
            } else if let (Some(path), true) = (path, f.message.contains("is deleted")) {
                Some(format!(
                    "restore it with `latchkey restore {path}`, or erase it first with \
                     `latchkey delete --permanent {path}`"
                ))
            } else {
                path.filter(|_| f.message.contains("already exists"))
                    .map(|path| {
                        format!("`latchkey set {path}` stores a new version of an existing secret")
                    })
            }
        }
        "validation_error" | "invalid_request" => {
            let named = f.detail_str("field").or_else(|| f.detail_str("header"));
            if named.is_some_and(|n| n.eq_ignore_ascii_case(PURPOSE_HEADER))
                || f.message.contains(PURPOSE_HEADER)
            {
                return Some(
                    "a policy asks why this secret is used: say it with --purpose 'TEXT' \
                     (`latchkey proxy`; other clients send the X-Latchkey-Purpose header)"
                        .to_owned(),
                );
            }
            let limit = f.details.get("limit_bytes").and_then(Value::as_u64);
            // The broker's one error of this shape: the upstream's answer is too large.
            if let ("invalid_request", None, Some(limit)) = (f.code.as_str(), named, limit) {
                return Some(format!(
                    "the upstream's answer is over the broker's {limit}-byte limit; ask it for \
                     less (a smaller page or range)"
                ));
            }
            named
                .and_then(flag_for_field)
                .map(|flag| format!("fix {flag} and retry"))
        }
        "upstream_error" => Some(
            "the broker could not reach the upstream (DNS, connection or TLS failed); check \
             the URL's host and that it serves https"
                .into(),
        ),
        "upstream_timeout" => Some(
            "the upstream did not answer in time; retry, or give it longer with --timeout \
             (at most 30 s)"
                .into(),
        ),
        "rate_limited" => {
            let wait = f
                .retry_after
                .or_else(|| f.details.get("retry_after").and_then(Value::as_u64));
            Some(match wait {
                Some(seconds) => format!("too many requests; retry in {seconds} s"),
                None => "too many requests; retry in a minute".to_owned(),
            })
        }
        "internal_error" => Some(match &f.request_id {
            Some(id) => {
                format!("the server failed; retry, and quote request id {id} if it keeps failing")
            }
            None => "the server failed; retry in a moment".to_owned(),
        }),
        "unavailable" => Some("the service is temporarily unavailable; retry in a moment".into()),
        "gone" => None,
        code if code.starts_with("http_") => Some(
            "is the URL the Latchkey API's origin (e.g. https://latchkey.example.com, no path)?"
                .into(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn failure(status: u16, error: Value) -> ApiFailure {
        let mut f =
            ApiFailure::from_response(status, &json!({ "error": error }).to_string(), "http://x");
        f.token_source = "LATCHKEY_TOKEN".into();
        f
    }

    #[test]
    fn a_missing_scope_is_named_with_the_command_that_mints_it() {
        let f = failure(
            403,
            json!({"code": "permission_denied", "message": "no", "required_scope": "secrets:read:prod/db"}),
        );
        let hint = api_hint(&f).unwrap();
        assert!(
            hint.contains("lacks the scope `secrets:read:prod/db`"),
            "{hint}"
        );
        assert!(
            hint.contains("latchkey token create --scope 'secrets:read:prod/db'"),
            "{hint}"
        );
        let report = CliError::Api(Box::new(f)).report();
        assert!(report.starts_with("error: no\nhint: "), "{report}");
    }

    #[test]
    fn a_missing_use_scope_says_what_use_means() {
        let f = failure(
            403,
            json!({"code": "permission_denied", "message": "no", "required_scope": "secrets:use:prod/api", "path": "prod/api"}),
        );
        let hint = api_hint(&f).unwrap();
        assert!(
            hint.contains("latchkey token create --scope 'secrets:use:prod/api'"),
            "{hint}"
        );
        assert!(hint.contains("never read it"), "{hint}");
    }

    #[test]
    fn broker_refusals_say_what_to_change() {
        let refusal = |reason: &str| {
            api_hint(&failure(
                403,
                json!({"code": "permission_denied", "message": "refused", "reason": reason, "path": "prod/api"}),
            ))
            .unwrap()
        };
        let hint = refusal("no_allowed_hosts");
        assert!(
            hint.contains("latchkey set prod/api --allowed-host api.example.com"),
            "{hint}"
        );
        let hint = refusal("host_not_allowed");
        assert!(hint.contains("do not cover this host"), "{hint}");
        assert!(hint.contains("--allowed-host"), "{hint}");
        assert!(refusal("method_not_allowed").contains("this method"));
        assert!(refusal("path_not_allowed").contains("this path"));
        assert!(refusal("insecure_scheme").contains("https:// URLs only"));
        assert!(refusal("private_address").contains("public https URL"));
        // An unknown reason falls back to the scope, then to the generic hint.
        assert!(refusal("something_new").contains("may not do that"));
    }

    #[test]
    fn broker_failures_have_hints() {
        let purpose = failure(
            400,
            json!({"code": "invalid_request", "message": "X-Latchkey-Purpose is required", "header": "X-Latchkey-Purpose"}),
        );
        assert!(api_hint(&purpose).unwrap().contains("--purpose"));
        let named_in_message = failure(
            400,
            json!({"code": "invalid_request", "message": "this secret needs the X-Latchkey-Purpose header"}),
        );
        assert!(api_hint(&named_in_message).unwrap().contains("--purpose"));
        let too_big = failure(
            400,
            json!({"code": "invalid_request", "message": "too large", "limit_bytes": 1_048_576}),
        );
        assert!(
            api_hint(&too_big)
                .unwrap()
                .contains("over the broker's 1048576-byte limit")
        );
        let body = failure(
            422,
            json!({"code": "validation_error", "message": "too large", "field": "body", "limit_bytes": 1_048_576}),
        );
        assert_eq!(
            api_hint(&body).unwrap(),
            "fix --data (or --data-file) and retry"
        );
        let headers = failure(
            422,
            json!({"code": "validation_error", "message": "Host is refused", "field": "headers"}),
        );
        assert_eq!(api_hint(&headers).unwrap(), "fix --header and retry");
        let timeout = failure(504, json!({"code": "upstream_timeout", "message": "slow"}));
        assert!(api_hint(&timeout).unwrap().contains("--timeout"));
        let unreachable = failure(502, json!({"code": "upstream_error", "message": "dns"}));
        assert!(api_hint(&unreachable).unwrap().contains("could not reach"));
    }

    #[test]
    fn unauthorized_names_where_the_token_came_from() {
        let f = failure(401, json!({"code": "unauthorized", "message": "bad"}));
        let hint = api_hint(&f).unwrap();
        assert!(hint.contains("from LATCHKEY_TOKEN"), "{hint}");
        assert!(hint.contains("latchkey login"), "{hint}");
    }

    #[test]
    fn not_found_hints_depend_on_why() {
        let deleted = failure(
            404,
            json!({"code": "not_found", "message": "secret 'a/b' is deleted; restore it", "path": "a/b"}),
        );
        assert_eq!(
            api_hint(&deleted).unwrap(),
            "restore it with `latchkey restore a/b`"
        );
        let version = failure(
            404,
            json!({"code": "not_found", "message": "gone", "path": "a/b", "version": 2}),
        );
        assert!(
            api_hint(&version)
                .unwrap()
                .contains("latchkey versions a/b")
        );
        let missing = failure(
            404,
            json!({"code": "not_found", "message": "x", "path": "a/b"}),
        );
        assert!(
            api_hint(&missing)
                .unwrap()
                .contains("latchkey list --namespace a")
        );
    }

    #[test]
    fn conflicts_say_how_to_proceed() {
        let stale = failure(
            409,
            json!({"code": "conflict", "message": "If-Match", "path": "a", "current_version": 4}),
        );
        assert!(api_hint(&stale).unwrap().contains("--if-match 4"));
        let deleted = failure(
            409,
            json!({"code": "conflict", "message": "secret 'a' exists but is deleted", "path": "a"}),
        );
        assert!(api_hint(&deleted).unwrap().contains("latchkey restore a"));
    }

    #[test]
    fn validation_errors_name_the_option() {
        let f = failure(
            422,
            json!({"code": "validation_error", "message": "bad ttl", "field": "ttl_seconds"}),
        );
        assert_eq!(api_hint(&f).unwrap(), "fix --ttl and retry");
        let unknown = failure(
            422,
            json!({"code": "validation_error", "message": "m", "field": "zzz"}),
        );
        assert_eq!(api_hint(&unknown), None);
    }

    #[test]
    fn rate_limits_say_when_to_retry() {
        let mut f = failure(429, json!({"code": "rate_limited", "message": "slow down"}));
        f.retry_after = Some(12);
        assert_eq!(api_hint(&f).unwrap(), "too many requests; retry in 12 s");
    }

    #[test]
    fn a_body_that_is_not_an_api_error_says_so() {
        let f = ApiFailure::from_response(404, "<html>nope</html>", "http://x/v1/secrets");
        assert_eq!(f.code, "http_404");
        assert!(f.message.contains("not a Latchkey API error"));
        assert!(api_hint(&f).unwrap().contains("origin"));
    }

    #[test]
    fn exit_codes() {
        assert_eq!(CliError::usage("x").exit_code(), 2);
        assert_eq!(CliError::failed("x").exit_code(), 1);
        assert_eq!(CliError::Api(Box::default()).exit_code(), 1);
        assert_eq!(CliError::BrokenPipe.exit_code(), 0);
        assert_eq!(CliError::BrokenPipe.report(), "");
    }
}
