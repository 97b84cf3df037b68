//! Secrets, fields, generation and the broker.

use crate::obj;
use crate::operation::{
    AUTH, Operation, auth_and, ok, ok_empty, ok_schema, query, query_described,
};
use crate::schema::{bounded, purpose, secret_path, string, tier};
use latchkey_core::listing::{
    DEFAULT_LIMIT, MAX_EXPIRING_WITHIN_SECONDS, MAX_LIMIT, MAX_Q_BYTES, MAX_TAG_FILTERS,
};
use latchkey_core::secret::MAX_VERSION_PARAM;

use super::{TENANT, body, field_param, path_param, true_or_false};

pub(super) fn secrets() -> Vec<Operation> {
    vec![
        Operation::new("post", "/v1/secrets", "createSecret", "Store a new secret (version 1)", "secrets")
            .security(TENANT)
            .errors(&auth_and(&[409, 422]))
            .body(body("NewSecret"))
            .respond(201, ok("SecretCreated", "Created")),
        Operation::new(
            "get",
            "/v1/secrets",
            "listSecrets",
            "List metadata of the secrets the caller may read",
            "secrets",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 422]))
        .params(vec![
            query("namespace", secret_path().describe("Only paths under this prefix")),
            query_described(
                "environment",
                string().with("pattern", "^env_[0-9a-f]{24}$"),
                "Only the secrets this environment holds: its path prefix, unless a longer prefix of another environment holds the path (POST /api/v1/environments); 404 when there is no such environment",
            ),
            query_described(
                "tag",
                string().with("pattern", "^[^:]+:.*$"),
                &format!("key:value; repeatable (up to {MAX_TAG_FILTERS})"),
            ),
            query("tier", tier()),
            query_described(
                "q",
                string().with("maxLength", MAX_Q_BYTES),
                "Substring of the path or description",
            ),
            query_described(
                "expiring_within",
                bounded(0, MAX_EXPIRING_WITHIN_SECONDS),
                "Seconds",
            ),
            query("include_deleted", true_or_false()),
            query_described(
                "limit",
                bounded(1, u64::from(MAX_LIMIT)),
                &format!("Default {DEFAULT_LIMIT}"),
            ),
            query_described("cursor", string(), "next_cursor of the previous page"),
        ])
        .respond(200, ok("SecretPage", "A page")),
        Operation::new(
            "get",
            "/v1/secrets/{path}",
            "getSecret",
            "Read a secret's value (or ?version=N)",
            "secrets",
        )
        .security(&["tenantBearer", "agentJwt"])
        .errors(&auth_and(&[404, 422]))
        .params(vec![
            path_param(),
            query("version", bounded(1, MAX_VERSION_PARAM)),
            purpose(),
        ])
        .respond(200, ok("Secret", "The secret")),
        Operation::new(
            "put",
            "/v1/secrets/{path}",
            "updateSecret",
            "Write a new version (If-Match makes it conditional)",
            "secrets",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![
            path_param(),
            if_match(),
        ])
        .body(body("SecretUpdate"))
        .respond(200, ok("SecretUpdated", "Updated")),
        Operation::new(
            "patch",
            "/v1/secrets/{path}",
            "patchSecret",
            "Change metadata (and optionally the value) in part; without a value, no new version",
            "secrets",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![path_param(), if_match()])
        .body(body("SecretPatch"))
        .respond(200, ok("SecretUpdated", "Updated")),
        Operation::new(
            "delete",
            "/v1/secrets/{path}",
            "deleteSecret",
            "Soft delete (30 days), or ?permanent=true",
            "secrets",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 422]))
        .params(vec![path_param(), query("permanent", true_or_false())])
        .respond(204, ok_empty("Deleted")),
        Operation::new(
            "get",
            "/v1/secrets/{path}/versions",
            "listVersions",
            "Every kept version, newest first",
            "secrets",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 422]))
        .params(vec![path_param()])
        .respond(200, ok("Versions", "Versions")),
        Operation::new(
            "post",
            "/v1/secrets/{path}/rotate",
            "rotateSecret",
            "A new version; the old one readable for a grace period",
            "secrets",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![path_param()])
        .body(body("Rotation"))
        .respond(200, ok("SecretRotated", "Rotated")),
        Operation::new(
            "post",
            "/v1/secrets/{path}/restore",
            "restoreSecret",
            "Undo a soft delete",
            "secrets",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![path_param()])
        .respond(200, ok("SecretSummary", "Restored")),
        Operation::new("get", "/v1/secrets/{path}/fields", "getFields", "Every field's value", "fields")
            .security(TENANT)
            .errors(&auth_and(&[404, 422]))
            .params(vec![path_param(), purpose()])
            .respond(
                200,
                ok_schema(
                    crate::schema::string_map(),
                    "Field names and values ({} when none)",
                ),
            ),
        Operation::new(
            "put",
            "/v1/secrets/{path}/fields",
            "setFields",
            "Set several fields (creates a fields-only secret)",
            "fields",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![path_param()])
        .body(body("FieldSet"))
        .respond(201, ok("FieldsStored", "Stored")),
        Operation::new(
            "get",
            "/v1/secrets/{path}/fields/{field}",
            "getField",
            "One field's value",
            "fields",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 422]))
        .params(vec![path_param(), field_param(), purpose()])
        .respond(200, ok("Field", "The field")),
        Operation::new(
            "put",
            "/v1/secrets/{path}/fields/{field}",
            "setField",
            "Set one field (creates a fields-only secret)",
            "fields",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![path_param(), field_param()])
        .body(body("FieldValue"))
        .respond(201, ok("FieldStored", "Stored")),
        Operation::new(
            "delete",
            "/v1/secrets/{path}/fields/{field}",
            "deleteField",
            "Delete one field",
            "fields",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 422]))
        .params(vec![path_param(), field_param()])
        .respond(200, ok("FieldDeleted", "Deleted")),
        Operation::new(
            "post",
            "/v1/generate",
            "generatePassword",
            "A random password; stored as a new secret when 'path' is given",
            "secrets",
        )
        .security(TENANT)
        .errors(&auth_and(&[409, 422]))
        .body(body("Generate"))
        .respond(200, ok("GeneratedPassword", "Generated, not stored"))
        .respond(201, ok("GeneratedPassword", "Generated and stored")),
        Operation::new(
            "get",
            "/v1/info",
            "info",
            "Counts and storage of the tenant, never names or values",
            "secrets",
        )
        .security(TENANT)
        .errors(&AUTH)
        .respond(200, ok("TenantInfo", "Counts")),
        Operation::new(
            "post",
            "/v1/proxy",
            "proxy",
            "Call an upstream API with secrets substituted in, without reading them",
            "broker",
        )
        .security(&["tenantBearer", "agentJwt"])
        .errors(&auth_and(&[404, 422, 502, 504]))
        .params(vec![purpose()])
        .body(body("ProxyRequest"))
        .respond(
            200,
            ok("ProxyResponse", "The upstream answered (its own status inside)"),
        )
        .describe(
            "Needs `secrets:use:<path>` for every secret named (403 `required_scope`), and each \
             secret's `allowed_hosts` must admit the URL's host, path and method; plain `http` and \
             private, loopback or local destinations are refused unless the Worker var \
             PROXY_INSECURE_HOSTS lists them (403 with `reason`). Redirects are never followed: a 3xx \
             comes back as the answer, its Location redacted. Every occurrence of a substituted value in \
             the answer (plain, JSON-escaped, base64, percent-encoded) becomes `[REDACTED]`. An upstream \
             body over 1 MiB is a 400 (`limit_bytes`). Each call counts as one use (rate limit, a token's \
             max_uses) and records one `secret.used` audit event per secret, never the value or the query \
             string.",
        ),
    ]
}

/// `If-Match: <version>` on a secret's update.
fn if_match() -> crate::json::Json {
    obj! {
        "name" => "If-Match",
        "in" => "header",
        "required" => false,
        "description" => "The version the update expects (`3` or `\"3\"`); otherwise 409",
        "schema" => string().with("pattern", "^\"?[1-9][0-9]{0,15}\"?$"),
    }
}
