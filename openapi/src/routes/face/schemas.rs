//! The schemas only the `/api/v1` face answers or takes (seeds 000 and 001, issues 23 and 24).
//! Bodies refuse unknown members (`additionalProperties: false`) exactly where the core's
//! parser does; every limit is the core's constant.

use crate::components::{access_request_id, agent_id, user_id};
use crate::json::Json;
use crate::schema::{
    NO_CONTROL_BUT_NEWLINE, array, boolean, bounded_string_map, enumeration, id_of, integer,
    nullable, object, record, schema_ref, secret_path, string, string_map, text, text_with, time,
};
use crate::{arr, obj};
use latchkey_core::agent::discovered::{
    DiscoveredSecretId, MAX_BULK_ITEMS, MAX_CLUSTER_BYTES as MAX_DISCOVERED_CLUSTER_BYTES,
    MAX_KEY_NAME_BYTES, MAX_KEY_NAMES, MAX_LABEL_KEY_BYTES, MAX_LABEL_VALUE_BYTES,
    MAX_LABELS as MAX_DISCOVERED_LABELS, MAX_PROVIDER_BYTES, MAX_REF_BYTES,
};
use latchkey_core::agent::envelope::{ALGORITHM, DekId};
use latchkey_core::agent::jobs::{JobId, MAX_JOB_ERROR_BYTES, MAX_JOB_TYPE_BYTES};
use latchkey_core::agent::{
    MAX_HOSTNAME_BYTES, MAX_LABEL_BYTES, MAX_LABELS, MAX_NAME_BYTES, MAX_OS_TYPE_BYTES,
};
use latchkey_core::approval::MAX_COMMENT_BYTES;
use latchkey_core::carried::{AgentWrapId, MAX_AGENT_POST_BYTES};
use latchkey_core::gitops::{
    AppMappingId, ArgoEndpointId, MAX_APP_NAME_BYTES, MAX_ENDPOINT_NAME_BYTES, MAX_MAPPING_TARGETS,
    MAX_TOKEN_BYTES, MAX_URL_BYTES,
};
use latchkey_core::people::{MAX_EMAIL_BYTES, MAX_PASSWORD_BYTES};
use latchkey_core::project::{
    EnvironmentId, MAX_CLUSTER_BYTES, MAX_CLUSTERS, MAX_DESCRIPTION_BYTES, MAX_ENVIRONMENT_AGENTS,
    MAX_NAME_BYTES as MAX_PROJECT_NAME_BYTES, ProjectId,
};

macro_rules! ids {
    ($($f:ident: $t:ty, $what:literal;)*) => {
        $(pub fn $f() -> Json {
            id_of(<$t>::PREFIX, <$t>::HEX_DIGITS, $what)
        })*
    };
}

ids! {
    job_id: JobId, "A job";
    dek_id: DekId, "A data key";
    discovered_id: DiscoveredSecretId, "A discovered secret";
    agent_wrap_id: AgentWrapId, "An agent wrap";
    endpoint_id: ArgoEndpointId, "An Argo CD endpoint";
    mapping_id: AppMappingId, "A GitOps app mapping";
    project_id: ProjectId, "A project";
    environment_id: EnvironmentId, "An environment";
}

/// Standard base64 with its padding, as the parsers decode it.
const PADDED_BASE64: &str = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$";

fn base64() -> Json {
    string()
        .with("pattern", "^[A-Za-z0-9+/]*={0,2}$")
        .describe("Standard base64")
}

/// A job's type as `JobRequest::parse` takes it.
fn job_type() -> Json {
    string()
        .with("minLength", 1)
        .with("maxLength", MAX_JOB_TYPE_BYTES)
        .with("pattern", "^[a-z0-9_.-]+$")
}

fn discovered_status() -> Json {
    enumeration(["active", "missing", "error"])
}

fn discovered_labels() -> Json {
    obj! {
        "type" => "object",
        "additionalProperties" => text(None, Some(MAX_LABEL_VALUE_BYTES)),
        "propertyNames" => string()
            .with("minLength", 1)
            .with("maxLength", MAX_LABEL_KEY_BYTES)
            .with("pattern", "^[A-Za-z0-9._/-]+$"),
        "maxProperties" => MAX_DISCOVERED_LABELS,
    }
}

fn holdings() -> Json {
    record(obj! {
        "stored_secrets" => integer(0),
        "discovered_secrets" => integer(0),
    })
    .describe(
        "What the scope held: stored secrets under its prefix, discovered ones in its clusters",
    )
}

/// The answers.
fn answers() -> Json {
    obj! {
        "AgentMinted" => record(obj! {
            "id" => agent_id(),
            "name" => string(),
            "agent_secret" => string().describe("Shown this once (lk_agt_…); send it as X-Agent-Secret"),
            "platform" => nullable(string()),
            "labels" => string_map(),
            "registered_at" => time(),
        }),
        "Job" => object(
            obj! {
                "id" => job_id(),
                "agent_id" => agent_id(),
                "type" => string(),
                "params" => obj! { "type" => "object" },
                "status" => enumeration(["queued", "claimed", "succeeded", "failed"]),
                "source" => enumeration(["admin", "request"]),
                "created_at" => time(),
                "attempts" => integer(0).describe("How many times it was claimed"),
            },
            obj! {
                "lease_expires_at" => time(),
                "completed_at" => time(),
                "error" => string(),
            },
        ),
        "AgentUpdate" => record(obj! {
            "platform" => string(),
            "version" => string(),
            "url" => string(),
            "sha256" => string(),
            "published_at" => time(),
        }),
        "AgentPublicKeySet" => record(obj! {
            "agent_id" => agent_id(),
            "public_key" => base64().describe("The registered X25519 key, standard base64"),
        }),
        "SealedDek" => record(obj! {
            "key_id" => dek_id(),
            "algorithm" => enumeration([ALGORITHM]),
            "ephemeral_public_key" => base64(),
            "nonce" => base64(),
            "ciphertext" => base64(),
        })
        .describe("A data key sealed to the agent's X25519 key (ARCHITECTURE, 'Wire envelopes to agents')"),
        "DiscoveredSecret" => record(obj! {
            "id" => discovered_id(),
            "agent_id" => agent_id(),
            "cluster_name" => string(),
            "provider" => string(),
            "ref" => string(),
            "key_names" => array(string()),
            "labels" => string_map(),
            "status" => discovered_status(),
            "first_seen_at" => time(),
            "last_seen_at" => time(),
        })
        .describe("Where a secret lives and its key names; never a value"),
        "DiscoveredPage" => record(obj! {
            "secrets" => array(schema_ref("DiscoveredSecret")),
            "next_cursor" => nullable(discovered_id()),
        }),
        "AgentWrapPosted" => record(obj! { "wrap_id" => agent_wrap_id() }),
        "SealedAgentWrap" => record(obj! {
            "wrap_id" => agent_wrap_id(),
            "algorithm" => enumeration([ALGORITHM]),
            "ephemeral_public_key" => base64(),
            "nonce" => base64(),
            "ciphertext" => base64(),
        })
        .describe("A patch job's data sealed to the agent's X25519 key, once"),
        "Project" => record(obj! {
            "id" => project_id(),
            "name" => string(),
            "description" => nullable(string()),
            "status" => enumeration(["active", "archived"]),
            "created_at" => time(),
            "updated_at" => time(),
        }),
        "Projects" => record(obj! { "projects" => array(schema_ref("Project")) }),
        "ProjectStatusChanged" => record(obj! {
            "project" => schema_ref("Project"),
            "holdings" => holdings(),
            "forced" => boolean(),
        }),
        "Environment" => record(obj! {
            "id" => environment_id(),
            "project_id" => project_id(),
            "name" => string(),
            "path_prefix" => string(),
            "clusters" => array(string()),
            "agents" => array(agent_id()),
            "created_at" => time(),
        }),
        "Environments" => record(obj! { "environments" => array(schema_ref("Environment")) }),
        "EnvironmentDeleted" => record(obj! {
            "id" => environment_id(),
            "holdings" => holdings(),
            "forced" => boolean(),
        }),
        "ArgoEndpoint" => record(obj! {
            "id" => endpoint_id(),
            "name" => string(),
            "url" => string(),
            "enabled" => boolean(),
            "created_at" => time(),
        })
        .describe("An Argo CD endpoint; its token is never answered"),
        "ArgoEndpoints" => record(obj! { "endpoints" => array(schema_ref("ArgoEndpoint")) }),
        "ArgoApps" => record(obj! {
            "endpoint_id" => endpoint_id(),
            "apps" => array(record(obj! {
                "name" => string(),
                "sync_status" => string(),
                "health_status" => string(),
            })),
        }),
        "AppMapping" => record(obj! {
            "id" => mapping_id(),
            "endpoint_id" => endpoint_id(),
            "app_name" => string(),
            "secret_ids" => array(discovered_id()),
            "paths" => array(secret_path()),
            "created_at" => time(),
        }),
        "AppMappings" => record(obj! { "mappings" => array(schema_ref("AppMapping")) }),
        "RequestGitops" => record(obj! {
            "request_id" => access_request_id(),
            "applied" => boolean(),
            "observations" => array(record(obj! {
                "mapping_id" => mapping_id(),
                "endpoint_id" => endpoint_id(),
                "app_name" => string(),
                "sync_status" => nullable(string()),
                "health_status" => nullable(string()),
                "error" => nullable(string()).describe("Why the application could not be read"),
                "observed_at" => time(),
            })),
        }),
    }
}

/// The request bodies.
fn bodies() -> Json {
    let note = |member: &str| {
        object(
            obj! {},
            obj! {
                "approver_id" => nullable(user_id()).describe("The caller's own user id, or left out (403 otherwise)"),
                member => nullable(text_with(NO_CONTROL_BUT_NEWLINE, obj! {}, None, Some(MAX_COMMENT_BYTES))),
            },
        )
    };
    obj! {
        "ApiLogin" => object(
            obj! {
                "email" => string().with("maxLength", MAX_EMAIL_BYTES).with("format", "email"),
                "password" => text(Some(1), Some(MAX_PASSWORD_BYTES)),
            },
            obj! {
                "tenant" => crate::components::tenant_id()
                    .describe("Needed only where the request's host is not a tenant's hostname"),
            },
        ),
        "ApiApprove" => note("comment"),
        "ApiReject" => note("reason"),
        "ApiCancel" => object(
            obj! {},
            obj! { "actor_id" => nullable(user_id()).describe("The caller's own user id, or left out (403 otherwise)") },
        ),
        "MintAgent" => object(
            obj! {},
            obj! {
                "name" => nullable(text(Some(1), Some(MAX_NAME_BYTES))),
                "hostname" => nullable(text(Some(1), Some(MAX_HOSTNAME_BYTES))),
                "os_type" => nullable(text(Some(1), Some(MAX_OS_TYPE_BYTES)))
                    .describe("The platform the update check answers for (linux/amd64)"),
                "metadata" => nullable(bounded_string_map(MAX_LABELS, MAX_LABEL_BYTES)),
            },
        ),
        "Empty" => object(obj! {}, obj! {}).describe("No member: the route takes no body"),
        "NewJob" => object(
            obj! { "agent_id" => agent_id(), "type" => job_type() },
            obj! {
                "params" => nullable(obj! { "type" => "object" })
                    .describe("At most 4096 bytes as JSON"),
            },
        ),
        "JobCompletion" => object(
            obj! { "status" => enumeration(["succeeded", "failed"]) },
            obj! {
                "error" => nullable(text(Some(1), Some(MAX_JOB_ERROR_BYTES)))
                    .describe("Why it failed; only with status failed"),
            },
        ),
        "AgentPublicKey" => record(obj! {
            "public_key" => string()
                .with("pattern", "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=?$")
                .describe("An X25519 public key: 32 bytes, standard base64 (padding optional); not a low-order point")
                .example("CQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        }),
        "DiscoveredReport" => record(obj! {
            "secrets" => array(object(
                obj! {
                    "cluster_name" => text(Some(1), Some(MAX_DISCOVERED_CLUSTER_BYTES)),
                    "provider" => string()
                        .with("minLength", 1)
                        .with("maxLength", MAX_PROVIDER_BYTES)
                        .with("pattern", "^[A-Za-z0-9._-]+$"),
                    "ref" => text(Some(1), Some(MAX_REF_BYTES)),
                },
                obj! {
                    "key_names" => nullable(
                        array(text(Some(1), Some(MAX_KEY_NAME_BYTES))).with("maxItems", MAX_KEY_NAMES),
                    ),
                    "labels" => nullable(discovered_labels()),
                    "status" => nullable(discovered_status()).describe("Default active"),
                },
            ))
            .with("minItems", 1)
            .with("maxItems", MAX_BULK_ITEMS),
        })
        .describe("Metadata only: a member that could carry a value (value, data, …) refuses the whole report"),
        "AgentWrapPost" => record(obj! {
            "job_id" => job_id(),
            "key_id" => dek_id(),
            "nonce" => string()
                .with("pattern", "^[A-Za-z0-9+/]{16}$")
                .describe("12 bytes, standard base64")
                .example("AAAAAAAAAAAAAAAA"),
            "ciphertext" => string()
                .with("pattern", PADDED_BASE64)
                .with("minLength", 24)
                .with("maxLength", MAX_AGENT_POST_BYTES.div_ceil(3) * 4)
                .describe(format!(
                    "The sealed value with its AES-256-GCM tag: 17 to {MAX_AGENT_POST_BYTES} bytes, standard base64"
                )),
        }),
        "NewProject" => object(
            obj! { "name" => text(Some(1), Some(MAX_PROJECT_NAME_BYTES)) },
            obj! { "description" => nullable(text(Some(1), Some(MAX_DESCRIPTION_BYTES))) },
        ),
        "ProjectStatus" => record(obj! { "status" => enumeration(["active", "archived"]) }),
        "NewEnvironment" => object(
            obj! {
                "project_id" => project_id(),
                "name" => text(Some(1), Some(MAX_PROJECT_NAME_BYTES)),
                "path_prefix" => string()
                    .with("pattern", "/$")
                    .describe("Whole segments of a secret path ending in '/': prod/payments/")
                    .example("prod/payments/"),
            },
            obj! {
                "clusters" => array(text(Some(1), Some(MAX_CLUSTER_BYTES)))
                    .with("maxItems", MAX_CLUSTERS)
                    .with("uniqueItems", true),
                "agents" => array(agent_id())
                    .with("maxItems", MAX_ENVIRONMENT_AGENTS)
                    .with("uniqueItems", true)
                    .describe("Agents whose discovered secrets it scopes when no environment names their cluster"),
            },
        ),
        "NewArgoEndpoint" => object(
            obj! {
                "name" => text(Some(1), Some(MAX_ENDPOINT_NAME_BYTES)),
                "url" => string()
                    .with("maxLength", MAX_URL_BYTES)
                    .describe("The Argo CD server's base URL: https to a public host, no query or fragment")
                    .example("https://argocd.example.com"),
                "token" => string()
                    .with("minLength", 1)
                    .with("maxLength", MAX_TOKEN_BYTES)
                    .with("pattern", "^[!-~]+$")
                    .describe("An Argo CD API token: sealed under the tenant key, never answered"),
            },
            obj! { "enabled" => nullable(boolean()).describe("Default true") },
        ),
        "ArgoEnabled" => record(obj! { "enabled" => boolean() }),
        "NewAppMapping" => object(
            obj! {
                "endpoint_id" => endpoint_id(),
                "app_name" => string()
                    .with("minLength", 1)
                    .with("maxLength", MAX_APP_NAME_BYTES)
                    .with("pattern", "^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$"),
            },
            obj! {
                "secret_ids" => nullable(array(discovered_id()).with("maxItems", MAX_MAPPING_TARGETS)),
                "paths" => nullable(array(secret_path()).with("maxItems", MAX_MAPPING_TARGETS)),
            },
        )
        .describe("Give secret_ids (discovered secrets), paths (stored secrets) or both")
        .with(
            "anyOf",
            arr![
                obj! { "required" => arr!["secret_ids"] },
                obj! { "required" => arr!["paths"] },
            ],
        ),
    }
}

/// Every schema of the face.
pub fn schemas() -> Json {
    answers().merge(bodies()).merge(super::workflows::schemas())
}
