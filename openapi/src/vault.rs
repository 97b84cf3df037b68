//! Vault KV v2 compatibility (`/v1/secret/…`, mount `secret`): Vault's shapes, not Latchkey's.
//!
//! Errors are `{"errors": [...]}` (a missing secret: an empty list). The credential is a
//! Latchkey token in X-Vault-Token (or the bearer). PUT is accepted wherever POST is, and LIST
//! wherever `GET …?list=true` is, as in Vault; OpenAPI cannot describe LIST, and the PUT
//! aliases are left out so that each route has one operation.

use crate::json::Json;
use crate::obj;
use crate::operation::{Operation, ok, ok_empty, ok_unlimited, query};
use crate::routes::body;
use crate::schema::{
    array, boolean, enumeration, integer, object, open_object, purpose, record, schema_ref,
    secret_path, string,
};
use latchkey_core::field::MAX_FIELDS_PER_SECRET;
use latchkey_core::vault::MAX_VERSIONS_PER_CALL;

/// The Vault schemas, appended after every other.
pub fn schemas() -> Json {
    obj! {
        "VaultErrors" => record(obj! { "errors" => array(string()) }).describe("Vault's error body"),
        "VaultEnvelope" => record(obj! {
            "request_id" => string(),
            "lease_id" => string(),
            "renewable" => boolean(),
            "lease_duration" => integer(0),
            "data" => obj! {
                "description" => "The answer: a version's data and metadata, a secret's metadata, or `keys`",
            },
            "wrap_info" => obj! { "type" => "null" },
            "warnings" => obj! { "type" => "null" },
            "auth" => obj! { "type" => "null" },
            "mount_type" => string(),
        })
        .describe("Vault's response envelope"),
        "KvWrite" => object(
            obj! {
                "data" => obj! {
                    "type" => "object",
                    "additionalProperties" => string(),
                    "maxProperties" => MAX_FIELDS_PER_SECRET,
                    "description" => "The secret's fields: names [A-Za-z0-9._-], string values",
                },
            },
            obj! {
                "options" => open_object(
                    obj! {},
                    obj! { "cas" => integer(0).describe("0: only if new; N: only over version N") },
                ),
                "version" => integer(0),
            },
        ),
        "KvVersions" => record(obj! {
            "versions" => array(integer(1))
                .with("minItems", 1)
                .with("maxItems", MAX_VERSIONS_PER_CALL),
        }),
    }
}

/// The `kvpath` parameter, kept in each operation.
fn kvpath() -> Json {
    obj! {
        "name" => "kvpath",
        "in" => "path",
        "required" => true,
        "description" => "The secret path with its slashes kept (`production/db`); each segment may be percent-encoded, but not '/' itself",
        "schema" => secret_path().example("app-db"),
    }
}

const VAULT: &[&str] = &["vaultToken", "tenantBearer"];
const KV_ERRORS: [u16; 5] = [400, 401, 403, 404, 429];

/// Vault's error body, for each status.
fn vault_errors(statuses: &[u16]) -> Vec<(u16, Json)> {
    statuses
        .iter()
        .map(|status| {
            (
                *status,
                obj! {
                    "description" => format!("Vault's error body ({status})"),
                    "content" => obj! { "application/json" => obj! { "schema" => schema_ref("VaultErrors") } },
                },
            )
        })
        .collect()
}

fn kv(method: &'static str, path: &'static str, id: &'static str, summary: &str) -> Operation {
    Operation::new(method, path, id, summary, "vault")
        .security(VAULT)
        .respond_all(vault_errors(&KV_ERRORS))
}

pub fn operations() -> Vec<Operation> {
    let mut out = vec![
        kv(
            "get",
            "/v1/secret/data/{kvpath}",
            "kvReadData",
            "Vault KV v2: read the current version, or ?version=N",
        )
        .params(vec![kvpath(), query("version", integer(0)), purpose()])
        .respond(200, ok("VaultEnvelope", "The version's data and metadata"))
        .respond(
            404,
            obj! {
                "description" => "No such secret or version (`errors: []`); a deleted or destroyed version answers the envelope with `data.data: null`",
                "content" => obj! {
                    "application/json" => obj! {
                        "schema" => obj! {
                            "anyOf" => crate::arr![schema_ref("VaultErrors"), schema_ref("VaultEnvelope")],
                        },
                    },
                },
            },
        ),
        kv(
            "post",
            "/v1/secret/data/{kvpath}",
            "kvWriteData",
            "Vault KV v2: write a new version (options.cas checks the current one); PUT too",
        )
        .params(vec![kvpath()])
        .body(body("KvWrite"))
        .respond(200, ok("VaultEnvelope", "The new version's metadata")),
        kv(
            "delete",
            "/v1/secret/data/{kvpath}",
            "kvDeleteLatest",
            "Vault KV v2: soft-delete the current version",
        )
        .params(vec![kvpath()])
        .respond(204, ok_empty("Deleted")),
        kv(
            "get",
            "/v1/secret/metadata/{kvpath}",
            "kvReadMetadata",
            "Vault KV v2: a secret's metadata and versions, or with ?list=true the keys under a folder",
        )
        .params(vec![kvpath(), query("list", enumeration(["true", "false"]))])
        .respond(200, ok("VaultEnvelope", "Metadata, or `keys`")),
        kv(
            "delete",
            "/v1/secret/metadata/{kvpath}",
            "kvDeleteMetadata",
            "Vault KV v2: erase every version and the metadata",
        )
        .params(vec![kvpath()])
        .respond(204, ok_empty("Erased")),
    ];
    for (path, id, summary) in [
        (
            "/v1/secret/delete/{kvpath}",
            "kvDeleteVersions",
            "soft-delete versions",
        ),
        (
            "/v1/secret/undelete/{kvpath}",
            "kvUndeleteVersions",
            "undelete versions",
        ),
        (
            "/v1/secret/destroy/{kvpath}",
            "kvDestroyVersions",
            "destroy versions (their ciphertext is erased for good)",
        ),
    ] {
        out.push(
            kv(
                "post",
                path,
                id,
                &format!("Vault KV v2: {summary}; PUT too"),
            )
            .params(vec![kvpath()])
            .body(body("KvVersions"))
            .respond(204, ok_empty("Done")),
        );
    }
    out.push(
        Operation::new(
            "get",
            "/v1/sys/internal/ui/mounts/{mountpath}",
            "kvMountInfo",
            "The `vault kv` CLI's preflight: the `secret/` mount is KV version 2",
            "vault",
        )
        .params(vec![obj! {
            "name" => "mountpath",
            "in" => "path",
            "required" => true,
            "description" => "`secret` and what follows it",
            "schema" => string().example("secret"),
        }])
        .respond_all(vault_errors(&[404, 405]))
        .respond(200, ok_unlimited("VaultEnvelope", "The mount")),
    );
    out
}
