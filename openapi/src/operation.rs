//! An operation as the document lists it, the responses operations share, and the registry of
//! path parameters that several operations refer to.

use crate::json::Json;
use crate::schema::{enumeration, id_of, schema_ref, string};
use crate::{arr, obj};
use std::collections::BTreeMap;

/// Who may call an operation: one security requirement per scheme that is accepted.
pub fn security(schemes: &[&str]) -> Json {
    Json::Arr(
        schemes
            .iter()
            .map(|scheme| obj! { *scheme => arr![] })
            .collect(),
    )
}

/// Errors every authenticated tenant route can answer: bad input, credentials, scope, rate.
pub const AUTH: [u16; 4] = [400, 401, 403, 429];

/// `AUTH` and more.
pub fn auth_and(more: &[u16]) -> Vec<u16> {
    AUTH.iter().chain(more).copied().collect()
}

/// One operation: a method on a path template.
#[derive(Clone)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    id: &'static str,
    summary: String,
    pub tag: &'static str,
    security: Json,
    /// The error statuses it really answers, each a reference to `components.responses`.
    errors: Vec<u16>,
    /// Its own answers (successes, and whole error answers of the Vault routes).
    responses: BTreeMap<u16, Json>,
    params: Vec<Json>,
    body: Option<(Json, bool)>,
    form: Option<Json>,
    description: Option<String>,
}

impl Operation {
    pub fn new(
        method: &'static str,
        path: &'static str,
        id: &'static str,
        summary: impl Into<String>,
        tag: &'static str,
    ) -> Self {
        Operation {
            method,
            path,
            id,
            summary: summary.into(),
            tag,
            security: security(&[]),
            errors: Vec::new(),
            responses: BTreeMap::new(),
            params: Vec::new(),
            body: None,
            form: None,
            description: None,
        }
    }

    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The same operation served at another path under another id (a face's copy of a
    /// native route).
    pub fn rehome(mut self, path: &'static str, id: &'static str, tag: &'static str) -> Self {
        self.path = path;
        self.id = id;
        self.tag = tag;
        self
    }

    pub fn security(mut self, schemes: &[&str]) -> Self {
        self.security = security(schemes);
        self
    }

    pub fn errors(mut self, statuses: &[u16]) -> Self {
        self.errors = statuses.to_vec();
        self
    }

    pub fn respond(mut self, status: u16, response: Json) -> Self {
        self.responses.insert(status, response);
        self
    }

    /// Several answers at once (a later one replaces an earlier one of the same status).
    pub fn respond_all(mut self, responses: Vec<(u16, Json)>) -> Self {
        self.responses.extend(responses);
        self
    }

    pub fn params(mut self, params: Vec<Json>) -> Self {
        self.params = params;
        self
    }

    /// A JSON body, by its schema's name in `components.schemas`.
    pub fn body(mut self, schema: Json) -> Self {
        self.body = Some((schema, true));
        self
    }

    /// A JSON body that may be left out.
    pub fn optional_body(mut self, schema: Json) -> Self {
        self.body = Some((schema, false));
        self
    }

    /// A form body (the review page's).
    pub fn form(mut self, schema: Json) -> Self {
        self.form = Some(schema);
        self
    }

    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The operation object.
    pub fn to_json(&self) -> Json {
        let mut responses = obj! {};
        for (status, response) in &self.responses {
            responses.set(&status.to_string(), response.clone());
        }
        let errors: std::collections::BTreeSet<u16> = self.errors.iter().copied().collect();
        for status in errors {
            responses.set(
                &status.to_string(),
                obj! { "$ref" => format!("#/components/responses/E{status}") },
            );
        }
        let mut out = obj! {
            "operationId" => self.id,
            "summary" => self.summary.as_str(),
            "tags" => arr![self.tag],
            "security" => self.security.clone(),
            "responses" => responses,
        };
        if let Some(description) = &self.description {
            out.set("description", description.as_str());
        }
        if !self.params.is_empty() {
            out.set("parameters", self.params.clone());
        }
        if let Some((schema, required)) = &self.body {
            out.set(
                "requestBody",
                obj! {
                    "required" => *required,
                    "content" => obj! { "application/json" => obj! { "schema" => schema.clone() } },
                },
            );
        }
        if let Some(schema) = &self.form {
            out.set(
                "requestBody",
                obj! {
                    "required" => true,
                    "content" => obj! {
                        "application/x-www-form-urlencoded" => obj! { "schema" => schema.clone() },
                    },
                },
            );
        }
        out
    }
}

// ------------------------------------------------------------------------ responses

/// `#/components/headers/<name>`.
fn header(name: &str) -> Json {
    obj! { "$ref" => format!("#/components/headers/{name}") }
}

pub const RATE_HEADERS: [&str; 5] = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit-Policy",
    "RateLimit",
];

/// A success: its description, the headers (the rate-limit ones when `rate`), and the body's
/// schema under `content_type` when there is a body.
pub fn ok_with(description: &str, rate: bool, content: Option<(&str, Json)>) -> Json {
    let mut headers = obj! { "X-Request-Id" => header("X-Request-Id") };
    if rate {
        for name in RATE_HEADERS {
            headers.set(name, header(name));
        }
    }
    let mut out = obj! { "description" => description, "headers" => headers };
    if let Some((content_type, schema)) = content {
        out.set(
            "content",
            obj! { content_type => obj! { "schema" => schema } },
        );
    }
    out
}

/// A JSON success of a tenant route, by its schema's name.
pub fn ok(name: &str, description: &str) -> Json {
    ok_with(
        description,
        true,
        Some(("application/json", schema_ref(name))),
    )
}

/// A JSON success of a route without rate limits (probes, operator, public ones).
pub fn ok_unlimited(name: &str, description: &str) -> Json {
    ok_with(
        description,
        false,
        Some(("application/json", schema_ref(name))),
    )
}

/// A JSON success with an inline schema.
pub fn ok_schema(schema: Json, description: &str) -> Json {
    ok_with(description, true, Some(("application/json", schema)))
}

/// A success without a body.
pub fn ok_empty(description: &str) -> Json {
    ok_with(description, true, None)
}

/// What each error status means, for `components.responses`.
const ERROR_TEXT: [(u16, &str); 11] = [
    (
        400,
        "Malformed request: not JSON, not an object, wrong Content-Type, body over 1 MiB, or a bad query parameter (invalid_request)",
    ),
    (
        401,
        "Missing, malformed, unknown, expired or revoked credential (unauthorized; WWW-Authenticate: Bearer)",
    ),
    (
        403,
        "The credential may not do this (permission_denied; `required_scope` names what would; a broker destination refusal carries `reason`)",
    ),
    (
        404,
        "No such resource, or a malformed id in the URL (not_found)",
    ),
    (409, "Conflicts with the current state (conflict)"),
    (410, "Used up or expired (gone)"),
    (
        422,
        "A member failed validation (validation_error; `field` names it)",
    ),
    (
        429,
        "Over the tenant's rate limit, or a login lockout (rate_limited; Retry-After)",
    ),
    (
        502,
        "The secrets broker could not reach the upstream (upstream_error)",
    ),
    (503, "A dependency does not answer (unavailable)"),
    (
        504,
        "The upstream did not answer within timeout_seconds (upstream_timeout)",
    ),
];

/// `components.responses`: `E<status>` for each error status.
pub fn error_responses() -> Json {
    let mut out = obj! {};
    for (status, text) in ERROR_TEXT {
        let mut headers = obj! { "X-Request-Id" => header("X-Request-Id") };
        if status == 401 {
            headers.set(
                "WWW-Authenticate",
                obj! { "required" => true, "schema" => enumeration(["Bearer"]) },
            );
        }
        if status == 429 {
            headers.set(
                "Retry-After",
                obj! {
                    "description" => "Seconds to wait",
                    "required" => false,
                    "schema" => string().with("pattern", "^[0-9]+$"),
                },
            );
        }
        out.set(
            &format!("E{status}"),
            obj! {
                "description" => text,
                "headers" => headers,
                "content" => obj! { "application/json" => obj! { "schema" => schema_ref("Error") } },
            },
        );
    }
    out
}

/// A review route's answers: HTML pages, except the router's JSON 404 for a malformed id.
pub fn html_pages(pages: &[(u16, &str)]) -> Vec<(u16, Json)> {
    pages
        .iter()
        .map(|(status, description)| {
            let mut description = (*description).to_owned();
            let mut content = obj! { "text/html" => obj! { "schema" => string() } };
            if *status == 404 {
                description
                    .push_str("; a malformed id is refused by the router with the JSON error");
                content.set("application/json", obj! { "schema" => schema_ref("Error") });
            }
            (
                *status,
                obj! { "description" => description, "content" => content },
            )
        })
        .collect()
}

// ------------------------------------------------------------------------ parameters

/// The path parameters operations share, kept once in `components.parameters`.
pub struct Parameters(Json);

impl Parameters {
    pub fn new(initial: Json) -> Self {
        Parameters(initial)
    }

    /// A path parameter holding an id: registered as `<prefix without _>_<name>`, and a
    /// reference to it returned.
    pub fn id(&mut self, name: &str, prefix: &str, digits: usize, what: &str) -> Json {
        let key = format!("{}_{name}", prefix.trim_end_matches('_'));
        self.0.set(
            &key,
            obj! {
                "name" => name,
                "in" => "path",
                "required" => true,
                "description" => "A malformed id names nothing: 404",
                "schema" => id_of(prefix, digits, what),
            },
        );
        parameter_ref(&key)
    }

    pub fn into_json(self) -> Json {
        self.0
    }
}

/// `#/components/parameters/<name>`.
pub fn parameter_ref(name: &str) -> Json {
    obj! { "$ref" => format!("#/components/parameters/{name}") }
}

/// An optional query parameter.
pub fn query(name: &str, schema: Json) -> Json {
    obj! { "name" => name, "in" => "query", "required" => false, "schema" => schema }
}

/// An optional query parameter with a description.
pub fn query_described(name: &str, schema: Json, description: &str) -> Json {
    query(name, schema).describe(description)
}
