//! The schemas of what the API answers: the error body and every success body.

use crate::json::Json;
use crate::schema::{
    REQUIRE_PURPOSE_TEXT, allowed_host, allowed_hosts_view, array, boolean, bounded,
    bounded_described, enumeration, field_name, glob, id_of, integer, nullable, object,
    open_object, record, schema_ref, scope, scopes, secret_path, string, string_map, text, tier,
    time, value,
};
use crate::{arr, obj};
use latchkey_core::ErrorCode;
use latchkey_core::access_request::AccessRequestId;
use latchkey_core::agent::discovery::{MAX_KEY_BITS, MAX_TEXT_BYTES};
use latchkey_core::agent::{
    AgentId, AgentSettings, BootstrapId, CommandId, CommandKind, GrantId, PasswordRequestId,
};
use latchkey_core::approval::{
    APPROVAL_HEX_DIGITS, APPROVAL_PREFIX, MAX_APPROVALS, MAX_CANCEL_WINDOW_SECONDS,
};
use latchkey_core::generate::{MAX_LENGTH, MIN_LENGTH};
use latchkey_core::people::UserId;
use latchkey_core::role::{RoleId, UserRoleId};
use latchkey_core::secret::{MAX_MAX_VERSIONS, SecretId};
use latchkey_core::tenant::{Plan, TENANT_HEX_LEN, TENANT_PREFIX};
use latchkey_core::token::{TOKEN_ID_HEX, TOKEN_ID_PREFIX};
use latchkey_core::wrap::WrapId;

pub fn tenant_id() -> Json {
    id_of(TENANT_PREFIX, TENANT_HEX_LEN, "A tenant")
}

pub fn token_id() -> Json {
    id_of(TOKEN_ID_PREFIX, TOKEN_ID_HEX, "A token")
}

pub fn approval_id() -> Json {
    id_of(APPROVAL_PREFIX, APPROVAL_HEX_DIGITS, "An approval")
}

/// The ids of the `prefixed_id!` types: a prefix and 24 hex digits.
macro_rules! prefixed {
    ($($f:ident: $t:ty, $what:literal;)*) => {
        $(pub fn $f() -> Json {
            id_of(<$t>::PREFIX, <$t>::HEX_DIGITS, $what)
        })*
    };
}

prefixed! {
    agent_id: AgentId, "An agent";
    bootstrap_id: BootstrapId, "A bootstrap token";
    command_id: CommandId, "A command";
    grant_id: GrantId, "A grant";
    password_request_id: PasswordRequestId, "A password request";
    user_id: UserId, "A user";
    role_id: RoleId, "A role";
    user_role_id: UserRoleId, "A role assignment";
    access_request_id: AccessRequestId, "An access request";
    wrap_id: WrapId, "A wrap";
    secret_id: SecretId, "A secret (stable: kept through updates, rotations and a restore)";
}

pub fn plan() -> Json {
    enumeration(Plan::ALL.map(Plan::as_str))
}

pub fn command_kind() -> Json {
    enumeration(CommandKind::ALL.iter().map(|(name, _)| *name))
}

/// The actions a grant may give.
pub fn grant_action() -> Json {
    enumeration(["read", "write", "delete", "rotate", "use"])
}

pub fn ssh_key_kind() -> Json {
    enumeration(["authorized", "host", "identity"])
}

fn hash() -> Json {
    string().with("pattern", "^[0-9a-f]{64}$")
}

fn error() -> Json {
    record(obj! {
        "error" => open_object(
            obj! {
                "code" => enumeration(ErrorCode::ALL.map(ErrorCode::as_str))
                    .describe("What went wrong; the HTTP status follows from it"),
                "message" => string().describe("For people; do not parse"),
            },
            obj! {
                "field" => string().describe("The request member (body, query or URL part) at fault"),
                "path" => string().describe("The secret path concerned"),
                "id" => string().describe("The id concerned"),
                "required_scope" => string().describe("The scope that would allow the request"),
                "retry_after" => integer(0).describe("Seconds until a retry can succeed (429)"),
                "allow" => string().describe("The methods the URL takes (405; also the Allow header)"),
                "header" => string().describe("The request header at fault"),
                "tier" => tier(),
                "version" => integer(0),
                "current_version" => integer(0),
                "status" => string(),
                "ip" => string().describe("The client address refused by a token's allowed_ips"),
                "link" => enumeration(["used", "expired", "forged", "wrong_request"]),
                "checks" => string_map().describe("Readiness: each dependency's state"),
                "reason" => string().describe(
                    "Why the secrets broker refused a destination: `insecure_scheme`, \
                     `private_address`, `host_not_allowed`, `path_not_allowed`, \
                     `method_not_allowed` or `no_allowed_hosts` (403)",
                ),
                "limit_bytes" => integer(0).describe("The size limit exceeded"),
            },
        ),
    })
    .describe("The one error body of the API")
}

fn secrets() -> Json {
    obj! {
        "SecretCreated" => record(obj! {
            "id" => secret_id(),
            "path" => secret_path(), "version" => integer(0), "tier" => tier(), "created_at" => time(),
        }),
        "Secret" => object(
            obj! {
                "id" => secret_id(),
                "path" => secret_path(),
                "version" => integer(0).describe("0 for a secret made of fields only"),
                "tier" => tier(),
                "description" => nullable(string()),
                "tags" => string_map(),
                "created_at" => time(),
                "updated_at" => time(),
                "accessed_at" => nullable(time()),
                "expires_at" => nullable(time()),
            },
            obj! {
                "value" => value(),
                "fields" => string_map().describe("Field names and values"),
                "field_count" => integer(0),
                "allowed_hosts" => allowed_hosts_view(),
            },
        ),
        "SecretUpdated" => record(obj! {
            "path" => secret_path(), "version" => integer(1), "updated_at" => time(),
        }),
        "SecretRotated" => record(obj! {
            "path" => secret_path(),
            "old_version" => integer(0),
            "new_version" => integer(1),
            "old_expires_at" => time(),
        }),
        "SecretSummary" => object(
            obj! {
                "id" => secret_id(),
                "path" => secret_path(),
                "version" => integer(0),
                "tier" => tier(),
                "description" => nullable(string()),
                "tags" => string_map(),
                "created_at" => time(),
                "updated_at" => time(),
                "expires_at" => nullable(time()),
                "max_versions" => bounded(1, MAX_MAX_VERSIONS),
                "field_count" => integer(0),
            },
            obj! { "deleted_at" => time(), "allowed_hosts" => allowed_hosts_view() },
        )
        .describe("A secret's metadata, never its value"),
        "SecretPage" => record(obj! {
            "items" => array(schema_ref("SecretSummary")),
            "total" => integer(0).describe("How many secrets match (that the caller may read)"),
            "next_cursor" => nullable(string().describe("Pass as ?cursor= for the next page")),
        }),
        "Version" => record(obj! {
            "version" => integer(1),
            "created_at" => time(),
            "state" => enumeration(["current", "previous", "grace", "expired", "destroyed"]),
            "expires_at" => nullable(time()),
        }),
        "Versions" => record(obj! { "path" => secret_path(), "versions" => array(schema_ref("Version")) }),
        "FieldStored" => record(obj! {
            "status" => string(), "path" => secret_path(), "field" => field_name(), "secret_created" => boolean(),
        }),
        "FieldsStored" => record(obj! {
            "status" => string(),
            "path" => secret_path(),
            "field_count" => integer(0),
            "secret_created" => boolean(),
        }),
        "Field" => record(obj! { "path" => secret_path(), "field" => field_name(), "value" => value() }),
        "FieldDeleted" => record(obj! {
            "status" => enumeration(["deleted"]), "path" => secret_path(), "field" => field_name(),
        }),
        "GeneratedPassword" => object(
            obj! {
                "password" => string().with("minLength", MIN_LENGTH).with("maxLength", MAX_LENGTH),
                "path" => nullable(secret_path()),
                "stored" => boolean(),
            },
            obj! { "version" => integer(1) },
        ),
        "TenantInfo" => record(obj! {
            "tenant_id" => tenant_id(),
            "plan" => plan(),
            "secret_count" => integer(0),
            "deleted_count" => integer(0),
            "version_count" => integer(0),
            "field_count" => integer(0),
            "storage_bytes" => integer(0),
        }),
    }
}

fn tokens_and_approvals() -> Json {
    obj! {
        "TokenCreated" => record(obj! {
            "value" => string().describe("The token, shown this once (lk_tok_…)"),
            "id" => token_id(),
            "scope" => scopes(),
            "ttl_seconds" => integer(1),
            "expires_at" => time(),
            "approval_status" => string(),
            "approval_request_id" => nullable(string()),
        }),
        "ApprovalPending" => record(obj! {
            "approval_status" => enumeration(["pending"]),
            "approval_request_id" => approval_id(),
            "message" => string(),
            "approve_url" => string(),
            "required_approvals" => integer(1),
            "expires_at" => time(),
        }),
        "TokenSummary" => object(
            obj! {
                "id" => token_id(),
                "description" => nullable(string()),
                "scope" => scopes(),
                "allowed_ips" => array(string()),
                "created_at" => time(),
                "expires_at" => nullable(time())
                    .describe("null: never (a token minted through the MaestroVault face)"),
                "last_used_at" => nullable(time()),
                "uses" => integer(0),
                "max_uses" => nullable(integer(1)),
                "revoked" => boolean(),
                "created_by" => string(),
            },
            obj! {
                "revoked_at" => time(),
                "audience" => string().describe("An OAuth grant's resource (/mcp): the token works only there"),
                "oauth_client" => string().describe("The OAuth client the grant was made to"),
            },
        ),
        "Revoked" => record(obj! { "status" => enumeration(["revoked"]), "id" => string() }),
        "Reinstated" => record(obj! { "status" => enumeration(["reinstated"]), "id" => string() }),
        "TokenRequestEcho" => record(obj! {
            "scope" => scopes(),
            "ttl_seconds" => nullable(integer(0)),
            "description" => nullable(string()),
            "allowed_ips" => array(string()),
            "max_uses" => nullable(integer(0)),
        })
        .describe("The token request being decided"),
        "Delivery" => record(obj! {
            "channel" => enumeration(["email", "slack", "webhook"]),
            "recipient" => string(),
            "status" => string(),
            "attempts" => integer(0),
            "last_error" => nullable(string()),
            "sent_at" => nullable(time()),
            "next_attempt_at" => nullable(time()),
        }),
        "Approval" => object(
            obj! {
            "id" => approval_id(),
            "status" => enumeration(["pending", "approved", "denied", "expired", "cancelled"]),
            "requester" => string(),
            "requester_description" => nullable(string()),
            "request" => schema_ref("TokenRequestEcho"),
            "tier" => tier(),
            "secrets_reached" => integer(0),
            "required_approvals" => integer(0),
            "approvers" => array(string()),
            "cancel_window_seconds" => integer(0),
            "created_at" => time(),
            "expires_at" => time(),
            "approved_at" => nullable(time()),
            "releases_at" => nullable(time()),
            "decisions" => array(record(obj! {
                "approver" => string(),
                "decision" => string(),
                "note" => nullable(string()),
                "at" => time(),
            })),
            "token" => nullable(object(
                obj! { "id" => token_id(), "expires_at" => time() },
                obj! {
                    "value" => string().describe("Once, to the requester, on the first poll after release"),
                },
            )),
            "notifications" => array(schema_ref("Delivery")),
            },
            stage_members(),
        ),
        "PolicyRule" => object(
            obj! {
                "glob" => glob(),
                "standard" => bounded(0, MAX_APPROVALS),
                "sensitive" => bounded(1, MAX_APPROVALS),
                "critical" => bounded(1, MAX_APPROVALS),
                "cancel_window_seconds" => bounded(0, MAX_CANCEL_WINDOW_SECONDS),
            },
            obj! { "require_purpose" => boolean().describe(REQUIRE_PURPOSE_TEXT) },
        ),
        "Policies" => record(obj! {
            "policies" => array(schema_ref("PolicyRule")),
            "defaults" => record(obj! {
                "standard" => integer(0),
                "sensitive" => integer(0),
                "critical" => integer(0),
                "cancel_window_seconds" => integer(0),
            }),
        }),
        "Notifications" => record(obj! {
            "slack" => nullable(record(obj! { "configured" => boolean(), "host" => string() })),
            "webhook" => nullable(record(obj! { "url" => string(), "secret_set" => boolean() })),
            "email" => nullable(record(obj! { "to" => array(string()) })),
        })
        .describe("The channels, without their secrets"),
    }
}

fn audit_and_operator() -> Json {
    obj! {
        "AuditEvent" => record(obj! {
            "id" => string().with("pattern", "^evt_[0-9a-f]{16}$"),
            "seq" => integer(1),
            "type" => string().example("secret.read"),
            "path" => nullable(string()),
            "actor" => string(),
            "actor_description" => nullable(string()),
            "ip" => nullable(string()),
            "user_agent" => nullable(string()),
            "timestamp" => time(),
            "success" => boolean(),
            "correlation_id" => nullable(string()),
            "reason" => nullable(string()),
            "details" => obj! { "type" => "object" },
            "prev_hash" => hash(),
            "hash" => hash(),
        })
        .describe("One hash-chained audit event"),
        "AuditPage" => record(obj! {
            "events" => array(schema_ref("AuditEvent")), "next_cursor" => nullable(string()),
        }),
        "AuditVerify" => record(obj! {
            "ok" => boolean(),
            "events_checked" => integer(0),
            "head_hash" => string(),
            "first_bad_event_id" => nullable(string()),
        }),
        "AdminAuditPage" => record(obj! {
            "events" => array(obj! {
                "type" => "object",
                "description" => "An event of the D1 copy: the tenant's event and its tenant_id",
                "properties" => obj! {
                    "tenant_id" => string(),
                    "id" => string(),
                    "seq" => integer(0),
                    "type" => string(),
                    "success" => boolean(),
                    "details" => obj! { "type" => arr!["object", "null"] },
                },
            }),
            "next_cursor" => nullable(string()),
        }),
        "Health" => record(obj! { "status" => enumeration(["ok"]), "time" => time() }),
        "Liveness" => record(obj! { "status" => enumeration(["ok"]) }),
        "Readiness" => record(obj! { "status" => enumeration(["ready"]), "checks" => string_map() }),
        "TenantCreated" => record(obj! {
            "tenant_id" => tenant_id(),
            "name" => string(),
            "plan" => plan(),
            "master_key" => string().describe("Shown this once (lk_live_…)"),
            "created_at" => time(),
        }),
        "AgentReleasePublished" => record(obj! {
            "platform" => string(),
            "version" => string(),
            "url" => string(),
            "sha256" => string(),
            "published_at" => time(),
        }),
        "TenantUpdated" => record(obj! {
            "tenant_id" => tenant_id(),
            "plan" => plan(),
            "rate_limit_per_minute" => nullable(integer(1)),
            "effective_rate_limit_per_minute" => integer(1),
            "non_expiring_tokens" => nullable(boolean()),
            "mcp_value_tools" => nullable(enumeration(["off", "bearer", "all"])),
            "gitops_enabled" => nullable(boolean()),
            "hostnames" => array(string()),
        }),
    }
}

fn agents() -> Json {
    obj! {
        "BootstrapCreated" => record(obj! {
            "token" => string().describe("Shown this once (lk_boot_…)"),
            "id" => bootstrap_id(),
            "expires_at" => time(),
            "max_registrations" => integer(1),
            "labels" => string_map(),
        }),
        "AgentRegistered" => record(obj! {
            "id" => agent_id(),
            "token" => string().describe("The agent's JWT (one hour)"),
            "expires_at" => time(),
            "mtls_template_id" => string(),
        }),
        "AgentJwt" => record(obj! { "token" => string(), "expires_at" => time() }),
        "AgentCommand" => object(
            obj! {
                "id" => command_id(),
                "type" => command_kind(),
                "params" => obj! { "type" => "object" },
                "created_at" => time(),
            },
            obj! { "delivered_at" => time() },
        ),
        "AgentCommands" => record(obj! { "commands" => array(schema_ref("AgentCommand")) }),
        "AgentActivity" => record(obj! {
            "agent_id" => agent_id(),
            "commands" => array(schema_ref("AgentCommand")),
            "jobs" => array(schema_ref("Job")),
        }),
        "Grant" => object(
            obj! {
                "grant_id" => grant_id(),
                "agent_id" => agent_id(),
                "path" => glob(),
                "actions" => array(grant_action()),
                "cleared_tier" => tier(),
                "created_at" => time(),
                "created_by" => string(),
            },
            obj! { "suspended_at" => time() },
        ),
        "Grants" => record(obj! { "grants" => array(schema_ref("Grant")) }),
        "AgentSecrets" => record(obj! {
            "grants" => array(schema_ref("Grant")), "secrets" => array(schema_ref("SecretSummary")),
        }),
        "Agent" => object(
            obj! {
                "id" => agent_id(),
                "name" => string(),
                "hostname" => nullable(string()),
                "status" => enumeration(["online", "degraded", "offline", "revoked"]),
                "status_reason" => string(),
                "platform" => nullable(string()),
                "agent_version" => nullable(string()),
                "labels" => string_map(),
                "last_heartbeat" => nullable(time()),
                "last_seen_at" => nullable(time())
                    .describe("Seed 001's name for last_heartbeat (the same moment)"),
                "managed_secrets" => integer(0),
                "managed_certificates" => integer(0),
                "registered_at" => time(),
                "revoked" => boolean(),
            },
            obj! {
                "suspended_at" => time(),
                "suspended_reason" => string().describe("Why a cascading revocation suspended it"),
            },
        ),
        "AgentList" => record(obj! {
            "data" => array(schema_ref("Agent")),
            "pagination" => record(obj! {
                "page" => integer(1), "per_page" => integer(1), "total" => integer(0),
            }),
        }),
        "AgentSettings" => agent_settings(),
        "Certificate" => object(
            obj! {
                "subject" => text(Some(1), Some(MAX_TEXT_BYTES)),
                "serial_number" => nullable(string()),
                "issuer" => nullable(string()),
                "not_before" => time(),
                "not_after" => time(),
                "location" => nullable(string()),
                "fingerprint" => text(Some(1), Some(MAX_TEXT_BYTES)),
                "dns_names" => array(string()),
                "ip_addresses" => array(string()),
                "source" => nullable(string()),
                "is_managed" => boolean(),
                "first_seen" => time(),
                "last_seen" => time(),
            },
            imported(),
        ),
        "SshKey" => object(ssh_key_members(), imported()),
        "DiscoveryImported" => record(obj! {
            "agent_id" => agent_id(),
            "kind" => discovered_kind(),
            "fingerprint" => string(),
            "imported_at" => time(),
            "imported_by" => string(),
        }),
        "DiscoveryStored" => record(obj! {
            "received" => integer(0), "created" => integer(0), "updated" => integer(0),
        }),
        "Discovery" => record(obj! {
            "agent_id" => agent_id(),
            "certificates" => array(schema_ref("Certificate")),
            "ssh_keys" => array(schema_ref("SshKey")),
        }),
        "Certificates" => record(obj! { "certificates" => array(schema_ref("Certificate")) }),
        "FleetSshKey" => object(
            obj! { "agent_id" => agent_id() }.merge(ssh_key_members()),
            imported(),
        ),
        "SshKeyPage" => record(obj! {
            "ssh_keys" => array(schema_ref("FleetSshKey")),
            "next_cursor" => nullable(string()),
        }),
        "PasswordRequest" => object(
            obj! {
                "id" => password_request_id(),
                "agent_id" => agent_id(),
                "path" => secret_path(),
                "reason" => string(),
                "status" => enumeration(["pending", "approved", "rejected"]),
                "created_at" => time(),
                "decided_at" => nullable(time()),
                "decided_by" => nullable(string()),
                "decision_reason" => nullable(string()),
                "version" => nullable(integer(1)),
                "delivered_at" => nullable(time()),
            },
            obj! {
                "password" => string().describe("The generated password, once, to the agent"),
                "withheld" => string().describe(
                    "Why an approved password was not handed over this time (it stays for a later collection)",
                ),
            }
            .merge(stage_members()),
        ),
        "PasswordRequests" => record(obj! { "data" => array(schema_ref("PasswordRequest")) }),
    }
}

/// What a request running through a workflow (issue 24) shows: the workflow, the current
/// stage and every stage it took (`StageView`, `StageSnapshot`: the face's workflow schemas).
fn stage_members() -> Json {
    obj! {
        "workflow" => schema_ref("WorkflowStamp"),
        "stage" => schema_ref("StageView"),
        "stages" => array(schema_ref("StageSnapshot")),
    }
}

/// `PUT /v1/agents/settings`: the answer, and (as `AgentSettingsBody`) the request.
pub fn agent_settings() -> Json {
    record(obj! {
        "heartbeat_interval_seconds" => bounded(1, AgentSettings::MAX_INTERVAL_SECONDS),
    })
}

fn people() -> Json {
    obj! {
        "User" => object(
            obj! {
                "id" => user_id(),
                "email" => string(),
                "name" => string(),
                "created_at" => time(),
                "last_login_at" => nullable(time()),
            },
            obj! {
                "suspended_at" => time(),
                "suspended_reason" => string().describe("Why a cascading revocation suspended them"),
            },
        ),
        "Users" => record(obj! { "users" => array(schema_ref("User")) }),
        "LoggedIn" => record(obj! {
            "token" => string().describe("The user's JWT (12 hours)"),
            "expires_at" => time(),
            "user" => schema_ref("User"),
        }),
        "Permissions" => record(obj! {
            "permissions" => array(record(obj! { "permission" => string(), "description" => string() })),
        }),
        "Role" => record(obj! {
            "id" => role_id(),
            "name" => string(),
            "description" => nullable(string()),
            "permissions" => array(scope()),
            "built_in" => boolean(),
            "created_at" => time(),
        }),
        "Roles" => record(obj! { "roles" => array(schema_ref("Role")) }),
        "UserRole" => record(obj! {
            "id" => user_role_id(),
            "user_id" => user_id(),
            "role_id" => role_id(),
            "role_name" => string(),
            "created_at" => time(),
            "created_by" => string(),
        }),
        "UserRoles" => record(obj! { "user_roles" => array(schema_ref("UserRole")) }),
        "AccessRequest" => object(
            obj! {
                "id" => access_request_id(),
                "kind" => enumeration(["read", "patch"]),
                "reason" => string(),
                "status" => enumeration(["pending", "approved", "rejected", "expired", "cancelled"]),
                "requester_id" => string(),
                "tier" => nullable(tier()),
                "required_approvals" => nullable(integer(0)),
                "approvals" => array(record(obj! {
                    "approver_id" => string(),
                    "decision" => string(),
                    "comment" => nullable(string()),
                    "created_at" => time(),
                })),
                "created_at" => time(),
                "expires_at" => time(),
                "decided_at" => nullable(time()),
            },
            obj! {
                "path" => secret_path().describe("A stored secret's (absent for a discovered secret)"),
                "secret_id" => string().describe("A discovered secret's id (issue 23)"),
                "ttl_seconds" => integer(1),
                "wrap_id" => wrap_id(),
                "applied_version" => integer(1),
                "execution" => enumeration(["pending", "queued", "claimed", "applied", "failed"])
                    .describe("A discovered secret's request: how its agent's job stands"),
                "execution_error" => string().describe("execution failed: what the agent said"),
            }
            .merge(stage_members()),
        ),
        "AccessRequests" => record(obj! { "requests" => array(schema_ref("AccessRequest")) }),
        "WrapCreated" => record(obj! {
            "wrap_token" => string().describe("The single-use wrap token (lk_wrap_…)"),
            "id" => wrap_id(),
            "expires_at" => time(),
            "path" => nullable(secret_path()),
            "version" => nullable(integer(1)),
        }),
        "Unwrapped" => record(obj! {
            "id" => wrap_id(),
            "value" => value(),
            "path" => nullable(secret_path()),
            "version" => nullable(integer(1)),
            "created_at" => time(),
        }),
        "WrapSummary" => record(obj! {
            "id" => wrap_id(),
            "request_id" => nullable(access_request_id()),
            "path" => nullable(secret_path()),
            "version" => nullable(integer(1)),
            "status" => enumeration(["available", "retrieved", "expired"]),
            "created_at" => time(),
            "expires_at" => time(),
            "retrieved_at" => nullable(time()),
        }),
        "Wraps" => record(obj! { "wraps" => array(schema_ref("WrapSummary")) }),
    }
}

fn broker() -> Json {
    obj! {
        "AllowedHost" => allowed_host(),
        "ProxyResponse" => record(obj! {
            "status" => bounded_described(100, 599, "The upstream's status (a 3xx is not followed)"),
            "headers" => string_map().describe(
                "The upstream's headers: lower-case names, repeated ones joined with ', ', \
                 values redacted",
            ),
            "body" => string().describe("The upstream's body, redacted (base64 when body_encoding says so)"),
            "body_encoding" => enumeration(["utf-8", "base64"])
                .describe("`base64` when the body is not valid UTF-8"),
            "redacted" => integer(0)
                .describe("How many occurrences of substituted values were replaced by `[REDACTED]`"),
            "duration_ms" => integer(0).describe("The upstream call's duration"),
        })
        .describe("The upstream's answer, whatever its status, with every substituted value redacted"),
    }
}

/// Every answer's schema, by name, in the document's order.
pub fn schemas() -> Json {
    obj! { "Error" => error() }
        .merge(secrets())
        .merge(tokens_and_approvals())
        .merge(audit_and_operator())
        .merge(agents())
        .merge(people())
        .merge(broker())
}

/// A reported SSH key's members, as one agent's discovery and the fleet's list show it.
fn ssh_key_members() -> Json {
    obj! {
        "fingerprint" => string(),
        "key_type" => string(),
        "bits" => nullable(bounded(1, MAX_KEY_BITS)),
        "comment" => nullable(string()),
        "location" => nullable(string()),
        "user" => nullable(string()),
        "kind" => nullable(ssh_key_kind()),
        "first_seen" => time(),
        "last_seen" => time(),
    }
}

/// A discovered item's import by a person (absent before one).
fn imported() -> Json {
    obj! {
        "imported_at" => time().describe("When a person took it under management"),
        "imported_by" => string().describe("Who did: the person's id (usr_…), or the credential's"),
    }
}

fn discovered_kind() -> Json {
    string().with("enum", arr!["certificate", "ssh_key"])
}
