//! Schema building blocks, and the schemas many others share (a secret path, a scope, a time).
//! Every limit comes from the core constant the code enforces.

use crate::json::Json;
use crate::{arr, obj};
use latchkey_core::broker::MAX_PURPOSE_BYTES;
use latchkey_core::broker::hosts::{HttpMethod, MAX_HOST_BYTES, MAX_HOST_RULES};
use latchkey_core::field::MAX_FIELD_NAME_BYTES;
use latchkey_core::path::{MAX_PATH_BYTES, MAX_PATH_SEGMENTS};
use latchkey_core::scope::MAX_SCOPES;
use latchkey_core::secret::Tier;
use latchkey_core::value::MAX_VALUE_BYTES;

// ------------------------------------------------------------------------ building blocks

/// `#/components/schemas/<name>`.
pub fn schema_ref(name: &str) -> Json {
    obj! { "$ref" => format!("#/components/schemas/{name}") }
}

/// The schema, or null: a reference becomes `oneOf` with null; otherwise `null` joins the
/// type (and the enum, when there is one).
pub fn nullable(schema: Json) -> Json {
    if schema.get("$ref").is_some() {
        return obj! { "oneOf" => arr![schema, obj! { "type" => "null" }] };
    }
    let mut out = schema;
    match out.get("type").cloned() {
        Some(Json::Arr(mut kinds)) => {
            kinds.push(Json::from("null"));
            out.set("type", kinds);
        }
        Some(kind) => out.set("type", arr![kind, "null"]),
        None => {}
    }
    if let Some(Json::Arr(mut values)) = out.get("enum").cloned() {
        values.push(Json::Null);
        out.set("enum", values);
    }
    out
}

/// An object whose `required` members are all present and whose `optional` ones may be
/// absent; no other member is allowed. Both are objects of member → schema.
pub fn object(required: Json, optional: Json) -> Json {
    open_object(required, optional).with("additionalProperties", false)
}

/// [`object`] that tolerates members it does not name.
pub fn open_object(required: Json, optional: Json) -> Json {
    let names: Vec<Json> = required.keys().into_iter().map(Json::from).collect();
    obj! {
        "type" => "object",
        "properties" => required.merge(optional),
        "required" => names,
    }
}

/// An object with required members only.
pub fn record(required: Json) -> Json {
    object(required, obj! {})
}

pub fn array(items: Json) -> Json {
    obj! { "type" => "array", "items" => items }
}

pub fn string() -> Json {
    obj! { "type" => "string" }
}

pub fn boolean() -> Json {
    obj! { "type" => "boolean" }
}

/// An integer from `minimum` up.
pub fn integer(minimum: u64) -> Json {
    obj! { "type" => "integer", "minimum" => minimum }
}

/// An integer from `minimum` to `maximum`.
pub fn bounded(minimum: u64, maximum: u64) -> Json {
    integer(minimum).with("maximum", maximum)
}

/// [`bounded`] with a description (written between the two bounds, as it always was).
pub fn bounded_described(minimum: u64, maximum: u64, description: &str) -> Json {
    integer(minimum)
        .describe(description)
        .with("maximum", maximum)
}

/// One of these strings.
pub fn enumeration<'a>(values: impl IntoIterator<Item = &'a str>) -> Json {
    let values: Vec<Json> = values.into_iter().map(Json::from).collect();
    obj! { "type" => "string", "enum" => values }
}

/// An object of strings.
pub fn string_map() -> Json {
    obj! { "type" => "object", "additionalProperties" => string() }
}

/// An object of at most `max_pairs` strings whose keys are 1..=`max_bytes` bytes and values
/// at most `max_bytes`, none with control characters (tags, labels, metadata).
pub fn bounded_string_map(max_pairs: usize, max_bytes: usize) -> Json {
    obj! {
        "type" => "object",
        "additionalProperties" => text(None, Some(max_bytes)),
        "propertyNames" => text(Some(1), Some(max_bytes)),
        "maxProperties" => max_pairs,
    }
}

/// RFC 3339 in UTC, as every time is written.
pub fn time() -> Json {
    string()
        .with("format", "date-time")
        .describe("RFC 3339, UTC, seconds precision")
}

/// No control characters (Unicode Cc).
pub const NO_CONTROL: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";
/// No control characters but newline.
pub const NO_CONTROL_BUT_NEWLINE: &str = "^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*$";
/// No control characters but newline and tab.
pub const NO_CONTROL_BUT_NEWLINE_TAB: &str = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$";

/// A string the API checks for control characters, within these lengths.
pub fn text(min_length: Option<usize>, max_length: Option<usize>) -> Json {
    text_with(NO_CONTROL, obj! {}, min_length, max_length)
}

/// [`text`] with another `pattern` and more members (written before the lengths).
pub fn text_with(
    pattern: &str,
    more: Json,
    min_length: Option<usize>,
    max_length: Option<usize>,
) -> Json {
    let mut out = string().with("pattern", pattern).merge(more);
    if let Some(min) = min_length {
        out.set("minLength", min);
    }
    if let Some(max) = max_length {
        out.set("maxLength", max);
    }
    out
}

/// An id: `prefix` and `hex_digits` lowercase hex digits. `what` starts the description
/// ("A token").
pub fn id_of(prefix: &str, hex_digits: usize, what: &str) -> Json {
    let example: String = format!("{prefix}{}", "0123456789abcdef".repeat(2))
        .chars()
        .take(prefix.len() + hex_digits)
        .collect();
    string()
        .with("pattern", format!("^{prefix}[0-9a-f]{{{hex_digits}}}$"))
        .describe(format!(
            "{what} id: `{prefix}` and {hex_digits} lowercase hex digits"
        ))
        .example(example)
}

// ------------------------------------------------------------------------ shared schemas

/// A path segment: A-Z a-z 0-9 . _ -, but not '.' or '..'.
pub const SEGMENT: &str =
    r"(?:[A-Za-z0-9_-][A-Za-z0-9._-]*|\.[A-Za-z0-9_-][A-Za-z0-9._-]*|\.\.[A-Za-z0-9._-]+)";

/// `SEGMENT(/SEGMENT)*`, as many segments as a path may have.
pub fn path_pattern() -> String {
    format!(
        "{SEGMENT}(?:/{SEGMENT}){{0,{}}}",
        MAX_PATH_SEGMENTS.saturating_sub(1)
    )
}

pub fn secret_path() -> Json {
    string()
        .with("minLength", 1)
        .with("maxLength", MAX_PATH_BYTES)
        .with("pattern", format!("^{}$", path_pattern()))
        .describe(format!(
            "A secret path: 1 to {MAX_PATH_SEGMENTS} segments of A-Z a-z 0-9 . _ - joined by '/'; \
             '.' and '..' are not segments; at most {MAX_PATH_BYTES} bytes"
        ))
        .example("production/openai/api-key")
}

fn glob_text() -> String {
    format!(
        "(?:{SEGMENT}|\\*)(?:/(?:{SEGMENT}|\\*)){{0,{}}}",
        MAX_PATH_SEGMENTS.saturating_sub(1)
    )
}

pub fn glob() -> Json {
    string()
        .with("minLength", 1)
        .with("maxLength", MAX_PATH_BYTES)
        .with("pattern", format!("^{}$", glob_text()))
        .describe(
            "A path glob: segments of a secret path, any of which may be '*' (a middle \
             '*' is one segment, a final '*' one or more)",
        )
        .example("production/db/*")
}

/// The longest scope the document admits. The code has no such limit of its own: a scope's
/// glob is at most `MAX_PATH_BYTES`, which keeps every valid scope well below this.
const SCOPE_MAX_LENGTH: usize = 600;

pub fn scope() -> Json {
    string()
        .with("minLength", 1)
        .with("maxLength", SCOPE_MAX_LENGTH)
        .with(
            "pattern",
            format!(
                "^(?:secrets:(?:read|write|delete|rotate|use|\\*):{}|tokens:create|approvals:decide\
                 |audit:read|policies:write|agents:admin|users:admin|roles:admin|namespaces:read|projects:admin|workflow\\.edit\
                 |integration\\.edit|admin|agent:admin|agent\\.mint|agent\\.revoke|role\\.edit\
                 |user_role\\.edit|policy\\.edit|audit\\.read)$",
                glob_text()
            ),
        )
        .describe(
            "`secrets:<read|write|delete|rotate|use|*>:<glob>`, `tokens:create`, \
             `approvals:decide`, `audit:read`, `policies:write`, `agents:admin`, `users:admin`, \
             `roles:admin`, `namespaces:read`, `projects:admin`, `workflow.edit` (approval workflows), `integration.edit` (Argo CD endpoints and GitOps mappings) or \
             `admin`; seeds 000/001's names `agent:admin`, `agent.mint`, `agent.revoke` \
             (`agents:admin`), `role.edit`, `user_role.edit`, `policy.edit` and `audit.read` are \
             accepted as the scope each names. `use` lets the secrets broker (POST /v1/proxy) send a secret \
             without reading it; `read` does not imply `use` nor `use` `read`; `*` and `admin` cover both",
        )
        .example("secrets:read:staging/*")
}

pub fn scopes() -> Json {
    obj! {
        "oneOf" => arr![
            scope(),
            array(scope()).with("minItems", 1).with("maxItems", MAX_SCOPES),
        ],
        "description" => format!(
            "One scope, or a list of 1 to {MAX_SCOPES} (a single scope is answered as a string)"
        ),
    }
}

pub fn tier() -> Json {
    enumeration(Tier::ALL.map(Tier::as_str))
}

pub fn value() -> Json {
    string()
        .with("maxLength", MAX_VALUE_BYTES)
        .describe(format!(
            "A secret value: at most {} KiB",
            MAX_VALUE_BYTES / 1024
        ))
}

pub fn field_name() -> Json {
    string()
        .with("minLength", 1)
        .with("maxLength", MAX_FIELD_NAME_BYTES)
        .with(
            "pattern",
            format!("^[A-Za-z0-9._-]{{1,{MAX_FIELD_NAME_BYTES}}}$"),
        )
        .example("host")
}

pub fn http_method() -> Json {
    enumeration(HttpMethod::ALL.map(HttpMethod::as_str))
}

const DNS_LABEL: &str = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";

pub fn allowed_host() -> Json {
    object(
        obj! {
            "host" => obj! {
                "anyOf" => arr![
                    string()
                        .with("maxLength", MAX_HOST_BYTES)
                        .with("pattern", format!("^(?:\\*\\.)?{DNS_LABEL}(?:\\.{DNS_LABEL})*$")),
                    string().with("format", "ipv6"),
                ],
                "description" => "A DNS name (stored lower-cased); `*.` and a DNS name, matching exactly \
                    one more label (`*.example.com` matches `a.example.com`, not `example.com` nor \
                    `a.b.example.com`); or an IP literal (`127.0.0.1`, `::1`, no brackets). The port \
                    is a member of its own",
                "example" => "api.openai.com",
            },
        },
        obj! {
            "port" => obj! {
                "type" => "integer",
                "minimum" => 1,
                "maximum" => u16::MAX,
                "description" => "The one port the rule allows. Absent: the scheme's default port only \
                    (hosts the deployment lists in PROXY_INSECURE_HOSTS, local development, take any port)",
                "example" => 8443,
            },
            "path_prefix" => string()
                .with("pattern", "^/")
                .describe(
                    "Starts with '/'; matches the URL's path on a segment boundary (`/v1` \
                     matches `/v1` and `/v1/x`, not `/v1beta`; `/v1/` matches `/v1/x`). Absent: any path",
                )
                .example("/v1/"),
            "methods" => array(http_method()).describe("Upper-case HTTP methods; absent: any"),
        },
    )
    .describe("One destination the secrets broker may send the secret to")
}

pub fn allowed_hosts_text() -> String {
    format!(
        "Where the secrets broker (POST /v1/proxy) may send the secret: at most {MAX_HOST_RULES} \
         rules. A secret without them cannot be used through the broker"
    )
}

/// A secret's rules as the views show them: left out when there are none.
pub fn allowed_hosts_view() -> Json {
    array(schema_ref("AllowedHost"))
        .with("minItems", 1)
        .with("maxItems", MAX_HOST_RULES)
        .describe(allowed_hosts_text())
}

/// A secret's rules as a request sets them.
pub fn allowed_hosts() -> Json {
    array(schema_ref("AllowedHost"))
        .with("maxItems", MAX_HOST_RULES)
        .describe(allowed_hosts_text())
}

/// The `X-Latchkey-Purpose` header parameter.
pub fn purpose() -> Json {
    obj! {
        "name" => "X-Latchkey-Purpose",
        "in" => "header",
        "required" => false,
        "description" => format!(
            "Why the secret is needed (at most {MAX_PURPOSE_BYTES} bytes), recorded in the audit event as \
             `details.purpose`. Required for `critical` secrets under a policy rule with \
             `require_purpose` (a 400 naming the header when missing)"
        ),
        "schema" => string()
            .with("maxLength", MAX_PURPOSE_BYTES)
            .with("pattern", NO_CONTROL)
            .example("deploy #42"),
    }
}

pub const REQUIRE_PURPOSE_TEXT: &str = "Reads and broker calls of the `critical` secrets matching the rule need X-Latchkey-Purpose \
     (default false)";
