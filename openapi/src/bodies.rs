//! The schemas of the request bodies: JSON objects whose unknown members are a 422 naming
//! them. Each describes the core's wire struct of that body (`NewSecretBody`, …, read by
//! `latchkey_core::body`), and each limit is the constant the core's parser enforces;
//! `tests/bodies.rs` checks every schema's members, their order and the required ones against
//! the struct and its parser.

use crate::components::{
    agent_id, agent_settings, command_kind, grant_action, plan, role_id, ssh_key_kind, tenant_id,
    user_id,
};
use crate::json::Json;
use crate::schema::{
    NO_CONTROL_BUT_NEWLINE, NO_CONTROL_BUT_NEWLINE_TAB, REQUIRE_PURPOSE_TEXT, allowed_hosts,
    allowed_hosts_text, array, boolean, bounded, bounded_described, bounded_string_map,
    enumeration, glob, http_method, nullable, object, record, scopes, secret_path, string, text,
    text_with, tier, time, value,
};
use crate::{arr, obj};
use latchkey_core::access_request::{
    DEFAULT_READ_TTL_SECONDS, MAX_REASON_BYTES as MAX_REQUEST_REASON_BYTES,
};
use latchkey_core::agent::discovery::{
    MAX_DNS_NAME_BYTES, MAX_NAMES, MAX_REPORT_ITEMS, MAX_TEXT_BYTES,
};
use latchkey_core::agent::password::MAX_REASON_BYTES as MAX_PASSWORD_REASON_BYTES;
use latchkey_core::agent::{
    DEFAULT_BOOTSTRAP_TTL_SECONDS, DEFAULT_MAX_REGISTRATIONS, HealthReport,
    MAX_AGENT_VERSION_BYTES, MAX_BOOTSTRAP_TTL_SECONDS, MAX_COMMAND_PARAMS_BYTES,
    MAX_HOSTNAME_BYTES, MAX_LABEL_BYTES, MAX_LABELS, MAX_NAME_BYTES, MAX_OS_TYPE_BYTES,
    MAX_REGISTRATIONS, Metrics,
};
use latchkey_core::approval::{
    MAX_APPROVALS, MAX_CANCEL_WINDOW_SECONDS, MAX_COMMENT_BYTES, MAX_POLICY_RULES,
};
use latchkey_core::broker::substitute::MAX_NAME_BYTES as MAX_PLACEHOLDER_NAME_BYTES;
use latchkey_core::broker::{
    DEFAULT_TIMEOUT_SECONDS, MAX_BODY_BYTES, MAX_HEADER_VALUE_BYTES, MAX_HEADERS,
    MAX_HEADERS_BYTES, MAX_PLACEHOLDERS, MAX_SECRETS,
};
use latchkey_core::credential::{BOOTSTRAP_PREFIX, WRAP_PREFIX};
use latchkey_core::field::{MAX_FIELD_NAME_BYTES, MAX_FIELDS_PER_SECRET};
use latchkey_core::generate::{DEFAULT_LENGTH, MAX_LENGTH, MIN_LENGTH};
use latchkey_core::netaddr::MAX_IP_RULES;
use latchkey_core::notification::{
    MAX_EMAIL_RECIPIENTS, MAX_WEBHOOK_SECRET_BYTES, MIN_WEBHOOK_SECRET_BYTES,
};
use latchkey_core::path::MAX_PATH_BYTES;
use latchkey_core::people::{
    MAX_EMAIL_BYTES, MAX_PASSWORD_BYTES, MAX_USER_NAME_BYTES, MIN_PASSWORD_CHARS,
};
use latchkey_core::role::{MAX_ROLE_DESCRIPTION_BYTES, MAX_ROLE_NAME_BYTES};
use latchkey_core::scope::SecretAction;
use latchkey_core::secret::{
    DEFAULT_MAX_VERSIONS, MAX_DESCRIPTION_BYTES, MAX_GRACE_SECONDS, MAX_MAX_VERSIONS,
    MAX_TAG_BYTES, MAX_TAGS,
};
use latchkey_core::tenant::{
    MAX_CUSTOM_RATE_LIMIT, MAX_TENANT_NAME_CHARS, TENANT_HEX_LEN, TENANT_PREFIX,
};
use latchkey_core::token::{
    DEFAULT_TTL_SECONDS, MAX_TOKEN_DESCRIPTION_BYTES, MAX_TTL_SECONDS, MAX_USES, MIN_TTL_SECONDS,
};
use latchkey_core::wrap::{DEFAULT_WRAP_TTL_SECONDS, MAX_WRAP_TTL_SECONDS};

const KIB: usize = 1024;

/// The metadata members of a body that creates or updates a secret.
fn metadata() -> Json {
    obj! {
        "tier" => nullable(tier()),
        "description" => nullable(text_with(
            NO_CONTROL_BUT_NEWLINE_TAB,
            obj! {
                "description" => format!(
                    "At most {} KiB, no control characters but newline and tab",
                    MAX_DESCRIPTION_BYTES / KIB
                ),
            },
            None,
            Some(MAX_DESCRIPTION_BYTES),
        )),
        "tags" => nullable(bounded_string_map(MAX_TAGS, MAX_TAG_BYTES).describe(format!(
            "At most {MAX_TAGS} tags; keys 1..={MAX_TAG_BYTES} bytes, values ≤ {MAX_TAG_BYTES} bytes"
        ))),
        "expires_at" => nullable(time().describe("RFC 3339, in the future")),
        "max_versions" => nullable(bounded_described(
            1,
            MAX_MAX_VERSIONS,
            &format!("Versions kept (default {DEFAULT_MAX_VERSIONS})"),
        )),
    }
}

/// A secret's fields: 1..=100 names and their values.
fn field_map() -> Json {
    obj! {
        "type" => "object",
        "minProperties" => 1,
        "maxProperties" => MAX_FIELDS_PER_SECRET,
        "propertyNames" => crate::schema::field_name(),
        "additionalProperties" => value(),
    }
}

/// An approve (`comment`) or deny (`reason`) body: one optional note.
fn note(member: &str) -> Json {
    object(
        obj! {},
        obj! {
            member => nullable(text_with(NO_CONTROL_BUT_NEWLINE, obj! {}, None, Some(MAX_COMMENT_BYTES))),
        },
    )
}

fn read_ttl() -> Json {
    nullable(bounded_described(
        1,
        MAX_WRAP_TTL_SECONDS,
        &format!("The wrap's lifetime (default {DEFAULT_READ_TTL_SECONDS})"),
    ))
}

fn discovered_secret_id() -> Json {
    string()
        .with("pattern", "^dsc_[0-9a-f]{24}$")
        .describe("A discovered secret's id (GET /api/v1/secrets)")
}

/// A patch of a discovered secret: the keys to set (others are left alone).
fn patch_data() -> Json {
    use latchkey_core::agent::discovered::MAX_KEY_NAME_BYTES;
    use latchkey_core::carried::{MAX_PATCH_KEYS, MAX_PATCH_VALUE_BYTES};
    obj! {
        "type" => "object",
        "minProperties" => 1,
        "maxProperties" => MAX_PATCH_KEYS,
        "propertyNames" => obj! { "minLength" => 1, "maxLength" => MAX_KEY_NAME_BYTES },
        "additionalProperties" => string().with("maxLength", MAX_PATCH_VALUE_BYTES),
        "description" => "The keys to set, as the discovered secret's key names, and their values",
    }
}

/// `allOf`-free "one of these members is required": the body's schema with `key` set to
/// `[{"required": [a]}, {"required": [b]}]`.
fn requiring_one_of<'a>(
    schema: Json,
    key: &str,
    members: impl IntoIterator<Item = &'a str>,
) -> Json {
    let alternatives: Vec<Json> = members
        .into_iter()
        .map(|m| obj! { "required" => arr![m] })
        .collect();
    schema.with(key, alternatives)
}

fn secrets() -> Json {
    obj! {
        "NewSecret" => requiring_one_of(
            object(
                obj! { "path" => secret_path() },
                obj! {
                    "value" => nullable(value()),
                    "fields" => nullable(field_map()),
                }
                .merge(metadata())
                .with("allowed_hosts", allowed_hosts()),
            )
            .describe("'value' or 'fields' (or both) is required"),
            "anyOf",
            ["value", "fields"],
        ),
        "SecretUpdate" => object(
            obj! { "value" => value() },
            metadata().with(
                "allowed_hosts",
                nullable(allowed_hosts().describe(format!(
                    "{}; absent keeps them, null or [] clears them",
                    allowed_hosts_text()
                ))),
            ),
        ),
        "SecretPatch" => requiring_one_of(
            object(
                obj! {},
                obj! { "value" => nullable(value().describe("A new version; absent or null writes none")) }
                    .merge(metadata())
                    .with(
                        "allowed_hosts",
                        nullable(allowed_hosts().describe(format!(
                            "{}; absent keeps them, null or [] clears them",
                            allowed_hosts_text()
                        ))),
                    ),
            )
            .describe("What is given changes, what is left out stays; a body that changes nothing is 422"),
            "anyOf",
            [
                "value",
                "tier",
                "description",
                "tags",
                "expires_at",
                "max_versions",
                "allowed_hosts",
            ],
        ),
        "Rotation" => object(
            obj! { "new_value" => value() },
            obj! {
                "grace_period_seconds" => nullable(bounded_described(
                    0,
                    MAX_GRACE_SECONDS,
                    "How long the old version stays readable (default 0)",
                )),
            },
        ),
        "FieldSet" => record(obj! { "fields" => field_map() }),
        "FieldValue" => record(obj! { "value" => value() }),
        "Generate" => object(
            obj! {},
            obj! {
                "length" => nullable(bounded_described(
                    MIN_LENGTH,
                    MAX_LENGTH,
                    &format!("Default {DEFAULT_LENGTH}"),
                )),
                "uppercase" => nullable(boolean()),
                "lowercase" => nullable(boolean()),
                "digits" => nullable(boolean()),
                "symbols" => nullable(boolean()),
                "path" => nullable(secret_path().describe("Store the password as a new secret here")),
            }
            .merge(metadata())
            .with("allowed_hosts", allowed_hosts()),
        )
        .describe("At least one class must stay enabled; the metadata members need 'path'"),
    }
}

fn tokens_and_approvals() -> Json {
    obj! {
        "TokenRequest" => object(
            obj! { "scope" => scopes() },
            obj! {
                "ttl_seconds" => nullable(bounded_described(
                    MIN_TTL_SECONDS,
                    MAX_TTL_SECONDS,
                    &format!("Default {DEFAULT_TTL_SECONDS}, never beyond the minting token"),
                )),
                "description" => nullable(text(None, Some(MAX_TOKEN_DESCRIPTION_BYTES))),
                "allowed_ips" => nullable(
                    array(string().example("10.0.0.0/8"))
                        .with("minItems", 1)
                        .with("maxItems", MAX_IP_RULES)
                        .describe("Addresses or CIDR ranges"),
                ),
                "max_uses" => nullable(bounded(1, MAX_USES)),
            },
        ),
        "ApproveBody" => note("comment"),
        "DenyBody" => note("reason"),
        "Policies" => record(obj! {
            "policies" => array(object(
                obj! { "glob" => glob() },
                obj! {
                    "standard" => nullable(bounded(0, MAX_APPROVALS)),
                    "sensitive" => nullable(bounded(1, MAX_APPROVALS)),
                    "critical" => nullable(bounded(1, MAX_APPROVALS)),
                    "cancel_window_seconds" => nullable(bounded(0, MAX_CANCEL_WINDOW_SECONDS)),
                    "require_purpose" => nullable(boolean().describe(REQUIRE_PURPOSE_TEXT)),
                },
            ))
            .with("maxItems", MAX_POLICY_RULES),
        }),
        "Notifications" => object(
            obj! {},
            obj! {
                "slack_webhook_url" => nullable(
                    string()
                        .with("format", "uri")
                        .describe("https (http to loopback only in local development)"),
                ),
                "webhook" => nullable(record(obj! {
                    "url" => string().with("format", "uri"),
                    "secret" => string()
                        .with("minLength", MIN_WEBHOOK_SECRET_BYTES)
                        .with("maxLength", MAX_WEBHOOK_SECRET_BYTES),
                })),
                "email" => nullable(record(obj! {
                    "to" => array(string().with("format", "email"))
                        .with("minItems", 1)
                        .with("maxItems", MAX_EMAIL_RECIPIENTS),
                })),
            },
        ),
    }
}

fn operator() -> Json {
    obj! {
        "NewTenant" => object(
            obj! {
                "name" => crate::schema::text_with(
                    crate::schema::NO_CONTROL,
                    obj! { "description" => "Not blank" },
                    Some(1),
                    Some(MAX_TENANT_NAME_CHARS),
                ),
            },
            obj! { "plan" => nullable(plan()) },
        ),
        "TenantUpdate" => requiring_one_of(
            object(
                obj! {},
                obj! {
                    "plan" => nullable(plan()),
                    "rate_limit_per_minute" => nullable(bounded_described(
                        1,
                        MAX_CUSTOM_RATE_LIMIT,
                        "null clears a custom limit",
                    )),
                    "non_expiring_tokens" => boolean().describe(
                        "whether tokens with no expiry may be minted (MaestroVault face); default true",
                    ),
                    "mcp_value_tools" => enumeration(["off", "bearer", "all"]).describe(
                        "which MCP clients may use value-returning tools (get_secret): none, bearer clients only (the default: never an OAuth-connected client), or all",
                    ),
                    "gitops_enabled" => boolean().describe(
                        "whether the tenant's GitOps routes (Argo CD endpoints, app mappings, request observation) answer; off (404) until set",
                    ),
                    "hostnames" => nullable(
                        array(string().example("vault.example.com"))
                            .with("maxItems", latchkey_core::tenant::MAX_HOSTNAMES)
                            .describe("The tenant's whole set of hostnames (lowercase DNS names, no port), replacing the stored one; the /api/v1 face's login finds its tenant by the request's Host"),
                    ),
                },
            )
            .describe("'plan', 'rate_limit_per_minute', 'non_expiring_tokens', 'hostnames' or several"),
            "anyOf",
            ["plan", "rate_limit_per_minute", "non_expiring_tokens", "mcp_value_tools", "gitops_enabled", "hostnames"],
        ),
        "AgentRelease" => object(
            obj! {
                "platform" => crate::schema::text_with(
                    "^[A-Za-z0-9._/-]*$",
                    obj! { "description" => "As agents report it in os_type, e.g. linux/amd64 (stored lowercase)" },
                    Some(1),
                    Some(latchkey_core::agent::MAX_OS_TYPE_BYTES),
                ),
                "version" => crate::schema::text_with(
                    "^[A-Za-z0-9._+-]*$",
                    obj! {},
                    Some(1),
                    Some(latchkey_core::agent::mint::MAX_RELEASE_VERSION_BYTES),
                ),
                "url" => crate::schema::text_with(
                    "^https://",
                    obj! { "description" => "Where agents download it" },
                    Some(9),
                    Some(latchkey_core::agent::mint::MAX_RELEASE_URL_BYTES),
                ),
                "sha256" => crate::schema::text_with(
                    "^[0-9A-Fa-f]{64}$",
                    obj! { "description" => "The download's SHA-256, hex" },
                    Some(64),
                    Some(64),
                ),
            },
            obj! {},
        ),
    }
}

fn agents() -> Json {
    let percent = || nullable(obj! { "type" => "number", "minimum" => 0, "maximum" => 100 });
    let metrics = Metrics::NAMES
        .iter()
        .fold(obj! {}, |out, name| out.with(name, percent()));
    let item_text = || text(Some(1), Some(MAX_TEXT_BYTES));
    obj! {
        "Bootstrap" => object(
            obj! {},
            obj! {
                "ttl_seconds" => nullable(bounded_described(
                    1,
                    MAX_BOOTSTRAP_TTL_SECONDS,
                    &format!("Default {DEFAULT_BOOTSTRAP_TTL_SECONDS}"),
                )),
                "max_registrations" => nullable(bounded_described(
                    1,
                    MAX_REGISTRATIONS,
                    &format!("Default {DEFAULT_MAX_REGISTRATIONS}"),
                )),
                "labels" => nullable(bounded_string_map(MAX_LABELS, MAX_LABEL_BYTES)),
            },
        ),
        "Registration" => object(
            obj! {
                "token" => string()
                    .with(
                        "pattern",
                        format!("^{BOOTSTRAP_PREFIX}{TENANT_PREFIX}[0-9a-f]{{{TENANT_HEX_LEN}}}_"),
                    )
                    .describe("A bootstrap token (lk_boot_…)"),
                "name" => text(Some(1), Some(MAX_NAME_BYTES)),
            },
            obj! {
                "hostname" => nullable(text(Some(1), Some(MAX_HOSTNAME_BYTES))),
                "os_type" => nullable(text(Some(1), Some(MAX_OS_TYPE_BYTES))),
                "metadata" => nullable(bounded_string_map(MAX_LABELS, MAX_LABEL_BYTES)),
            },
        ),
        "HealthReport" => object(
            obj! { "status" => crate::schema::enumeration(["healthy", "degraded", "unhealthy"]) },
            obj! {
                "uptime_seconds" => nullable(bounded(0, HealthReport::MAX_UPTIME_SECONDS)),
                "metrics" => nullable(object(obj! {}, metrics)),
                "managed_secrets" => nullable(bounded(0, HealthReport::MAX_MANAGED)),
                "managed_certificates" => nullable(bounded(0, HealthReport::MAX_MANAGED)),
                "last_sync" => nullable(time().describe("Not in the future")),
                "agent_version" => nullable(text(Some(1), Some(MAX_AGENT_VERSION_BYTES))),
            },
        ),
        "AgentSettings" => agent_settings(),
        "Command" => object(
            obj! { "type" => command_kind() },
            obj! {
                "params" => nullable(obj! {
                    "type" => "object",
                    "description" => format!(
                        "At most {} KiB as JSON",
                        MAX_COMMAND_PARAMS_BYTES / KIB
                    ),
                }),
            },
        ),
        "NewGrant" => object(
            obj! { "agent_id" => agent_id(), "path" => glob() },
            obj! {
                "actions" => nullable(
                    array(grant_action())
                        .with("minItems", 1)
                        .with("maxItems", SecretAction::GRANTABLE.len())
                        .describe("Default [\"read\"]"),
                ),
            },
        ),
        "CertificateReport" => record(obj! {
            "certificates" => array(object(
                obj! {
                    "subject" => item_text(),
                    "fingerprint" => item_text(),
                    "not_before" => time(),
                    "not_after" => time().describe("Not before not_before"),
                },
                obj! {
                    "serial_number" => nullable(item_text()),
                    "issuer" => nullable(item_text()),
                    "location" => nullable(item_text()),
                    "dns_names" => nullable(
                        array(string().with("minLength", 1).with("maxLength", MAX_DNS_NAME_BYTES))
                            .with("maxItems", MAX_NAMES),
                    ),
                    "ip_addresses" => nullable(
                        array(string().with("format", "ip")).with("maxItems", MAX_NAMES),
                    ),
                    "source" => nullable(item_text()),
                    "is_managed" => nullable(boolean()),
                },
            ))
            .with("maxItems", MAX_REPORT_ITEMS),
        }),
        "SshReport" => record(obj! {
            "keys" => array(object(
                obj! { "fingerprint" => item_text(), "key_type" => item_text() },
                obj! {
                    "bits" => nullable(bounded(1, latchkey_core::agent::discovery::MAX_KEY_BITS)),
                    "comment" => nullable(item_text()),
                    "location" => nullable(item_text()),
                    "user" => nullable(item_text()),
                    "kind" => nullable(ssh_key_kind()),
                },
            ))
            .with("maxItems", MAX_REPORT_ITEMS),
        }),
        "DiscoveryImport" => record(obj! {
            "kind" => string().with("enum", arr!["certificate", "ssh_key"]),
            "fingerprint" => item_text().describe("As the agent reported it"),
        }),
        "NewPasswordRequest" => record(obj! {
            "path" => secret_path(),
            "reason" => text(Some(1), Some(MAX_PASSWORD_REASON_BYTES)),
        }),
        "Rejection" => object(
            obj! {},
            obj! { "reason" => nullable(text(Some(1), Some(MAX_PASSWORD_REASON_BYTES))) },
        ),
    }
}

fn people() -> Json {
    let email = || {
        string()
            .with("maxLength", MAX_EMAIL_BYTES)
            .with("format", "email")
    };
    let reason = || {
        text_with(
            NO_CONTROL_BUT_NEWLINE,
            obj! {},
            Some(1),
            Some(MAX_REQUEST_REASON_BYTES),
        )
    };
    obj! {
        "Login" => record(obj! {
            "tenant" => tenant_id(),
            "email" => email(),
            "password" => text(Some(1), Some(MAX_PASSWORD_BYTES)),
        }),
        "NewUser" => object(
            obj! {
                "email" => email(),
                "password" => text(Some(MIN_PASSWORD_CHARS), Some(MAX_PASSWORD_BYTES)),
            },
            obj! { "name" => nullable(text(Some(1), Some(MAX_USER_NAME_BYTES))) },
        ),
        "NewRole" => object(
            obj! {
                "name" => string()
                    .with("minLength", 1)
                    .with("maxLength", MAX_ROLE_NAME_BYTES)
                    .with("pattern", format!("^[a-z0-9_-]{{1,{MAX_ROLE_NAME_BYTES}}}$")),
                "permissions" => scopes(),
            },
            obj! { "description" => nullable(text(Some(1), Some(MAX_ROLE_DESCRIPTION_BYTES))) },
        ),
        "RolePermissions" => record(obj! { "permissions" => scopes() }),
        "NewUserRole" => record(obj! { "user_id" => user_id(), "role_id" => role_id() }),
        "ReadRequest" => object(
            obj! { "path" => secret_path(), "reason" => reason() },
            obj! { "ttl_seconds" => read_ttl() },
        ),
        "PatchRequest" => record(obj! {
            "path" => secret_path(), "value" => value(), "reason" => reason(),
        }),
        "CarriedReadRequest" => object(
            obj! { "secret_id" => discovered_secret_id(), "reason" => reason() },
            obj! { "ttl_seconds" => read_ttl() },
        )
        .describe("A read of a discovered secret (issue 23): the agent that holds it reads it once approved and posts it in a wire envelope; the requester collects it as a wrap"),
        "CarriedPatchRequest" => record(obj! {
            "secret_id" => discovered_secret_id(),
            "data" => patch_data(),
            "reason" => reason(),
        })
        .describe("A patch of a discovered secret (issue 23): the data is sealed at once to the holding agent's X25519 key (409 naming public_key when it has none); the agent applies it once approved"),
        "NewWrap" => requiring_one_of(
            object(
                obj! {},
                obj! {
                    "path" => secret_path().describe("Wrap this secret's current value"),
                    "value" => value(),
                    "ttl_seconds" => nullable(bounded_described(
                        1,
                        MAX_WRAP_TTL_SECONDS,
                        &format!("Default {DEFAULT_WRAP_TTL_SECONDS}"),
                    )),
                },
            )
            .describe("Exactly one of 'path' and 'value'"),
            "oneOf",
            ["path", "value"],
        ),
        "Unwrap" => record(obj! {
            "wrap_token" => string()
                .with(
                    "pattern",
                    format!("^{WRAP_PREFIX}{TENANT_PREFIX}[0-9a-f]{{{TENANT_HEX_LEN}}}_"),
                )
                .describe("lk_wrap_…"),
        }),
    }
}

fn broker() -> Json {
    let secret_reference = string()
        .with("minLength", 1)
        .with("maxLength", MAX_PATH_BYTES + 1 + MAX_FIELD_NAME_BYTES)
        .with(
            "pattern",
            format!(
                "^{}(?:#[A-Za-z0-9._-]{{1,{MAX_FIELD_NAME_BYTES}}})?$",
                crate::schema::path_pattern()
            ),
        )
        .describe("A secret path, or `path#field` for one field of the secret");
    obj! {
        "ProxyRequest" => object(
            obj! {
                "method" => http_method(),
                "url" => string()
                    .with("format", "uri")
                    .describe(
                        "Absolute; `https` (plain `http` and private, loopback or local hosts only \
                         when the Worker var PROXY_INSECURE_HOSTS lists them). `{{NAME}}` placeholders only in \
                         the query, where the value is percent-encoded",
                    )
                    .example("https://api.example.com/v1/things?key={{API_KEY}}"),
                "secrets" => obj! {
                    "type" => "object",
                    "minProperties" => 1,
                    "maxProperties" => MAX_SECRETS,
                    "propertyNames" => string().with(
                        "pattern",
                        format!(
                            "^[A-Za-z_][A-Za-z0-9_]{{0,{}}}$",
                            MAX_PLACEHOLDER_NAME_BYTES.saturating_sub(1)
                        ),
                    ),
                    "additionalProperties" => secret_reference,
                    "description" => format!(
                        "1 to {MAX_SECRETS} placeholder names and the secrets they stand for; each must be \
                         used by some `{{{{NAME}}}}`"
                    ),
                    "example" => obj! { "API_KEY" => "production/example/api-key" },
                },
            },
            obj! {
                "headers" => nullable(obj! {
                    "type" => "object",
                    "additionalProperties" => string(),
                    "maxProperties" => MAX_HEADERS,
                    "description" => format!(
                        "At most {MAX_HEADERS}, each value ≤ {} KiB and all values ≤ {} KiB together as written; \
                         `{{{{NAME}}}}` placeholders allowed in values (a value with CR, \
                         LF or NUL after substitution is a 422). Refused (422 `headers`): Host, \
                         Content-Length, Transfer-Encoding, Connection, Upgrade, TE, Trailer, Keep-Alive, \
                         Proxy-*, CF-*, X-Forwarded-*, X-Real-IP, X-Latchkey-*",
                        MAX_HEADER_VALUE_BYTES / KIB,
                        MAX_HEADERS_BYTES / KIB
                    ),
                }),
                "body" => nullable(
                    string().with("maxLength", MAX_BODY_BYTES).describe(format!(
                        "UTF-8 text with `{{{{NAME}}}}` placeholders; at most {} MiB as written \
                         (422 `body`, `limit_bytes`), whatever the values' sizes; at most {MAX_PLACEHOLDERS} placeholders \
                         in a call (url, headers and body together)",
                        MAX_BODY_BYTES / (KIB * KIB)
                    )),
                ),
                "timeout_seconds" => nullable(bounded_described(
                    1,
                    DEFAULT_TIMEOUT_SECONDS,
                    &format!("Default {DEFAULT_TIMEOUT_SECONDS}"),
                )),
            },
        )
        .describe(
            "`{{NAME}}` placeholders are replaced in one pass (a value is never re-scanned). \
             A placeholder naming no declared secret, or a declared secret no placeholder uses, is a 422",
        ),
    }
}

/// Every request body's schema, by name, in the document's order.
pub fn bodies() -> Json {
    secrets()
        .merge(tokens_and_approvals())
        .merge(operator())
        .merge(agents())
        .merge(people())
        .merge(broker())
}
