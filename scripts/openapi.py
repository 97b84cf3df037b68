"""Writes worker/openapi.json, the OpenAPI 3.1 document of every route, from the compact
description below. The Worker embeds the JSON and serves it at GET /v1/openapi.json.

    python3 scripts/openapi.py          # rewrite worker/openapi.json
    python3 scripts/openapi.py --check  # exit 1 when worker/openapi.json is stale

The route table is core/src/route.rs; core/tests/openapi.rs checks that every documented
operation resolves there and that every route is documented, and runs --check.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "worker/openapi.json"

# ---------------------------------------------------------------- schema helpers


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema):
    """The schema, or null."""
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    out = dict(schema)
    kind = out.get("type")
    if isinstance(kind, list):
        out["type"] = kind + ["null"]
    elif kind is not None:
        out["type"] = [kind, "null"]
    if "enum" in out:
        out["enum"] = out["enum"] + [None]
    return out


def obj(required, optional=None, extra=False, description=None):
    """An object whose members are `required` (all present) and `optional` (maybe absent)."""
    properties = dict(required)
    properties.update(optional or {})
    out = {"type": "object", "properties": properties, "required": list(required)}
    if not extra:
        out["additionalProperties"] = False
    if description:
        out["description"] = description
    return out


def arr(items, **more):
    return {"type": "array", "items": items, **more}


def string(**more):
    return {"type": "string", **more}


def integer(minimum=0, maximum=None, **more):
    out = {"type": "integer", "minimum": minimum, **more}
    if maximum is not None:
        out["maximum"] = maximum
    return out


def boolean(**more):
    return {"type": "boolean", **more}


def enum(*values):
    return {"type": "string", "enum": list(values)}


def string_map(max_pairs=None, max_bytes=None, description=None):
    out = {"type": "object", "additionalProperties": {"type": "string"}}
    if max_bytes:
        out["additionalProperties"] = text(max_length=max_bytes)
        out["propertyNames"] = text(min_length=1, max_length=max_bytes)
    if max_pairs:
        out["maxProperties"] = max_pairs
    if description:
        out["description"] = description
    return out


TIME = string(format="date-time", description="RFC 3339, UTC, seconds precision")
# No control characters (Unicode Cc); the second and third forms let newlines (and tabs) through.
NO_CONTROL = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
NO_CONTROL_BUT_NEWLINE = "^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*$"
NO_CONTROL_BUT_NEWLINE_TAB = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$"


def text(min_length=None, max_length=None, pattern=NO_CONTROL, **more):
    """A string the API checks for control characters."""
    out = string(pattern=pattern, **more)
    if min_length is not None:
        out["minLength"] = min_length
    if max_length is not None:
        out["maxLength"] = max_length
    return out


def id_of(prefix, hex_digits=24, what=None):
    return string(
        pattern=f"^{prefix}[0-9a-f]{{{hex_digits}}}$",
        description=f"{what or 'An'} id: `{prefix}` and {hex_digits} lowercase hex digits",
        example=f"{prefix}{'0123456789abcdef' * 2}"[: len(prefix) + hex_digits],
    )


# A path segment: A-Z a-z 0-9 . _ -, but not '.' or '..'.
SEGMENT = r"(?:[A-Za-z0-9_-][A-Za-z0-9._-]*|\.[A-Za-z0-9_-][A-Za-z0-9._-]*|\.\.[A-Za-z0-9._-]+)"
SECRET_PATH = string(
    minLength=1,
    maxLength=512,
    pattern=f"^{SEGMENT}(?:/{SEGMENT}){{0,31}}$",
    description="A secret path: 1 to 32 segments of A-Z a-z 0-9 . _ - joined by '/'; "
    "'.' and '..' are not segments; at most 512 bytes",
    example="production/openai/api-key",
)
GLOB = string(
    minLength=1,
    maxLength=512,
    pattern=f"^(?:{SEGMENT}|\\*)(?:/(?:{SEGMENT}|\\*)){{0,31}}$",
    description="A path glob: segments of a secret path, any of which may be '*' (a middle "
    "'*' is one segment, a final '*' one or more)",
    example="production/db/*",
)
GLOB_TEXT = f"(?:{SEGMENT}|\\*)(?:/(?:{SEGMENT}|\\*)){{0,31}}"
SCOPE = string(
    minLength=1,
    maxLength=600,
    pattern=f"^(?:secrets:(?:read|write|delete|rotate|use|\\*):{GLOB_TEXT}|tokens:create|approvals:decide"
    "|audit:read|policies:write|agents:admin|users:admin|roles:admin|admin)$",
    description="`secrets:<read|write|delete|rotate|use|*>:<glob>`, `tokens:create`, "
    "`approvals:decide`, `audit:read`, `policies:write`, `agents:admin`, `users:admin`, "
    "`roles:admin` or `admin`. `use` lets the secrets broker (POST /v1/proxy) send a secret "
    "without reading it; `read` does not imply `use` nor `use` `read`; `*` and `admin` cover both",
    example="secrets:read:staging/*",
)
SCOPES = {
    "oneOf": [SCOPE, arr(SCOPE, minItems=1, maxItems=20)],
    "description": "One scope, or a list of 1 to 20 (a single scope is answered as a string)",
}
TIER = enum("standard", "sensitive", "critical")
VALUE = string(maxLength=65536, description="A secret value: at most 64 KiB")
FIELD_NAME = string(
    minLength=1, maxLength=64, pattern="^[A-Za-z0-9._-]{1,64}$", example="host"
)
HTTP_METHOD = enum("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DNS_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ALLOWED_HOST = obj(
    {
        "host": {
            "anyOf": [
                string(maxLength=253, pattern=f"^(?:\\*\\.)?{DNS_LABEL}(?:\\.{DNS_LABEL})*$"),
                string(format="ipv6"),
            ],
            "description": "A DNS name (stored lower-cased); `*.` and a DNS name, matching exactly "
            "one more label (`*.example.com` matches `a.example.com`, not `example.com` nor "
            "`a.b.example.com`); or an IP literal (`127.0.0.1`, `::1`, no brackets). The port "
            "is a member of its own",
            "example": "api.openai.com",
        }
    },
    {
        "port": {
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "description": "The one port the rule allows. Absent: the scheme's default port only "
            "(hosts the deployment lists in PROXY_INSECURE_HOSTS, local development, take any port)",
            "example": 8443,
        },
        "path_prefix": string(
            pattern="^/",
            description="Starts with '/'; matches the URL's path on a segment boundary (`/v1` "
            "matches `/v1` and `/v1/x`, not `/v1beta`; `/v1/` matches `/v1/x`). Absent: any path",
            example="/v1/",
        ),
        "methods": arr(HTTP_METHOD, description="Upper-case HTTP methods; absent: any"),
    },
    description="One destination the secrets broker may send the secret to",
)
ALLOWED_HOSTS_TEXT = (
    "Where the secrets broker (POST /v1/proxy) may send the secret: at most 20 rules. A secret "
    "without them cannot be used through the broker"
)
# The views leave the member out when there are no rules.
ALLOWED_HOSTS_VIEW = arr(ref("AllowedHost"), minItems=1, maxItems=20, description=ALLOWED_HOSTS_TEXT)
ALLOWED_HOSTS = arr(ref("AllowedHost"), maxItems=20, description=ALLOWED_HOSTS_TEXT)
PURPOSE = {
    "name": "X-Latchkey-Purpose",
    "in": "header",
    "required": False,
    "description": "Why the secret is needed (at most 256 bytes), recorded in the audit event as "
    "`details.purpose`. Required for `critical` secrets under a policy rule with "
    "`require_purpose` (a 400 naming the header when missing)",
    "schema": string(maxLength=256, pattern=NO_CONTROL, example="deploy #42"),
}
ERROR_CODES = [
    "invalid_request",
    "unauthorized",
    "permission_denied",
    "not_found",
    "conflict",
    "validation_error",
    "rate_limited",
    "internal_error",
    "method_not_allowed",
    "unavailable",
    "gone",
    "upstream_error",
    "upstream_timeout",
]

REQUIRE_PURPOSE_TEXT = (
    "Reads and broker calls of the `critical` secrets matching the rule need X-Latchkey-Purpose "
    "(default false)"
)

# ---------------------------------------------------------------- components

SCHEMAS = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": {**enum(*ERROR_CODES), "description": "What went wrong; the HTTP status follows from it"},
                    "message": string(description="For people; do not parse"),
                },
                {
                    "field": string(description="The request member (body, query or URL part) at fault"),
                    "path": string(description="The secret path concerned"),
                    "id": string(description="The id concerned"),
                    "required_scope": string(description="The scope that would allow the request"),
                    "retry_after": integer(description="Seconds until a retry can succeed (429)"),
                    "allow": string(description="The methods the URL takes (405; also the Allow header)"),
                    "header": string(description="The request header at fault"),
                    "tier": TIER,
                    "version": integer(),
                    "current_version": integer(),
                    "status": string(),
                    "ip": string(description="The client address refused by a token's allowed_ips"),
                    "link": enum("used", "expired", "forged", "wrong_request"),
                    "checks": string_map(description="Readiness: each dependency's state"),
                    "reason": string(
                        description="Why the secrets broker refused a destination: `insecure_scheme`, "
                        "`private_address`, `host_not_allowed`, `path_not_allowed`, "
                        "`method_not_allowed` or `no_allowed_hosts` (403)"
                    ),
                    "limit_bytes": integer(description="The size limit exceeded"),
                },
                extra=True,
            )
        },
        description="The one error body of the API",
    ),
    "SecretCreated": obj(
        {"path": SECRET_PATH, "version": integer(), "tier": TIER, "created_at": TIME}
    ),
    "Secret": obj(
        {
            "path": SECRET_PATH,
            "version": integer(description="0 for a secret made of fields only"),
            "tier": TIER,
            "description": nullable(string()),
            "tags": string_map(),
            "created_at": TIME,
            "updated_at": TIME,
            "accessed_at": nullable(TIME),
            "expires_at": nullable(TIME),
        },
        {
            "value": VALUE,
            "fields": {**string_map(), "description": "Field names and values"},
            "field_count": integer(),
            "allowed_hosts": ALLOWED_HOSTS_VIEW,
        },
    ),
    "SecretUpdated": obj({"path": SECRET_PATH, "version": integer(minimum=1), "updated_at": TIME}),
    "SecretRotated": obj(
        {
            "path": SECRET_PATH,
            "old_version": integer(),
            "new_version": integer(minimum=1),
            "old_expires_at": TIME,
        }
    ),
    "SecretSummary": obj(
        {
            "path": SECRET_PATH,
            "version": integer(),
            "tier": TIER,
            "description": nullable(string()),
            "tags": string_map(),
            "created_at": TIME,
            "updated_at": TIME,
            "expires_at": nullable(TIME),
            "max_versions": integer(minimum=1, maximum=100),
            "field_count": integer(),
        },
        {"deleted_at": TIME, "allowed_hosts": ALLOWED_HOSTS_VIEW},
        description="A secret's metadata, never its value",
    ),
    "SecretPage": obj(
        {
            "items": arr(ref("SecretSummary")),
            "total": integer(description="How many secrets match (that the caller may read)"),
            "next_cursor": nullable(string(description="Pass as ?cursor= for the next page")),
        }
    ),
    "Version": obj(
        {
            "version": integer(minimum=1),
            "created_at": TIME,
            "state": enum("current", "previous", "grace", "expired", "destroyed"),
            "expires_at": nullable(TIME),
        }
    ),
    "Versions": obj({"path": SECRET_PATH, "versions": arr(ref("Version"))}),
    "FieldStored": obj(
        {"status": string(), "path": SECRET_PATH, "field": FIELD_NAME, "secret_created": boolean()}
    ),
    "FieldsStored": obj(
        {
            "status": string(),
            "path": SECRET_PATH,
            "field_count": integer(),
            "secret_created": boolean(),
        }
    ),
    "Field": obj({"path": SECRET_PATH, "field": FIELD_NAME, "value": VALUE}),
    "FieldDeleted": obj({"status": enum("deleted"), "path": SECRET_PATH, "field": FIELD_NAME}),
    "GeneratedPassword": obj(
        {
            "password": string(minLength=8, maxLength=256),
            "path": nullable(SECRET_PATH),
            "stored": boolean(),
        },
        {"version": integer(minimum=1)},
    ),
    "TenantInfo": obj(
        {
            "tenant_id": id_of("tn_", 16, "A tenant"),
            "plan": enum("free", "pro", "enterprise"),
            "secret_count": integer(),
            "deleted_count": integer(),
            "version_count": integer(),
            "field_count": integer(),
            "storage_bytes": integer(),
        }
    ),
    "TokenCreated": obj(
        {
            "value": string(description="The token, shown this once (lk_tok_…)"),
            "id": id_of("tok_", 16, "A token"),
            "scope": SCOPES,
            "ttl_seconds": integer(minimum=1),
            "expires_at": TIME,
            "approval_status": string(),
            "approval_request_id": nullable(string()),
        }
    ),
    "ApprovalPending": obj(
        {
            "approval_status": enum("pending"),
            "approval_request_id": id_of("apr_", 32, "An approval"),
            "message": string(),
            "approve_url": string(),
            "required_approvals": integer(minimum=1),
            "expires_at": TIME,
        }
    ),
    "TokenSummary": obj(
        {
            "id": id_of("tok_", 16, "A token"),
            "description": nullable(string()),
            "scope": SCOPES,
            "allowed_ips": arr(string()),
            "created_at": TIME,
            "expires_at": TIME,
            "last_used_at": nullable(TIME),
            "uses": integer(),
            "max_uses": nullable(integer(minimum=1)),
            "revoked": boolean(),
            "created_by": string(),
        },
        {"revoked_at": TIME},
    ),
    "Revoked": obj({"status": enum("revoked"), "id": string()}),
    "Reinstated": obj({"status": enum("reinstated"), "id": string()}),
    "TokenRequestEcho": obj(
        {
            "scope": SCOPES,
            "ttl_seconds": nullable(integer()),
            "description": nullable(string()),
            "allowed_ips": arr(string()),
            "max_uses": nullable(integer()),
        },
        description="The token request being decided",
    ),
    "Delivery": obj(
        {
            "channel": enum("email", "slack", "webhook"),
            "recipient": string(),
            "status": string(),
            "attempts": integer(),
            "last_error": nullable(string()),
            "sent_at": nullable(TIME),
            "next_attempt_at": nullable(TIME),
        }
    ),
    "Approval": obj(
        {
            "id": id_of("apr_", 32, "An approval"),
            "status": enum("pending", "approved", "denied", "expired", "cancelled"),
            "requester": string(),
            "requester_description": nullable(string()),
            "request": ref("TokenRequestEcho"),
            "tier": TIER,
            "secrets_reached": integer(),
            "required_approvals": integer(),
            "approvers": arr(string()),
            "cancel_window_seconds": integer(),
            "created_at": TIME,
            "expires_at": TIME,
            "approved_at": nullable(TIME),
            "releases_at": nullable(TIME),
            "decisions": arr(
                obj(
                    {
                        "approver": string(),
                        "decision": string(),
                        "note": nullable(string()),
                        "at": TIME,
                    }
                )
            ),
            "token": nullable(
                obj(
                    {"id": id_of("tok_", 16, "A token"), "expires_at": TIME},
                    {"value": string(description="Once, to the requester, on the first poll after release")},
                )
            ),
            "notifications": arr(ref("Delivery")),
        }
    ),
    "PolicyRule": obj(
        {
            "glob": GLOB,
            "standard": integer(maximum=5),
            "sensitive": integer(minimum=1, maximum=5),
            "critical": integer(minimum=1, maximum=5),
            "cancel_window_seconds": integer(maximum=86400),
        },
        {"require_purpose": boolean(description=REQUIRE_PURPOSE_TEXT)},
    ),
    "Policies": obj(
        {
            "policies": arr(ref("PolicyRule")),
            "defaults": obj(
                {
                    "standard": integer(),
                    "sensitive": integer(),
                    "critical": integer(),
                    "cancel_window_seconds": integer(),
                }
            ),
        }
    ),
    "Notifications": obj(
        {
            "slack": nullable(obj({"configured": boolean(), "host": string()})),
            "webhook": nullable(obj({"url": string(), "secret_set": boolean()})),
            "email": nullable(obj({"to": arr(string())})),
        },
        description="The channels, without their secrets",
    ),
    "AuditEvent": obj(
        {
            "id": string(pattern="^evt_[0-9a-f]{16}$"),
            "seq": integer(minimum=1),
            "type": string(example="secret.read"),
            "path": nullable(string()),
            "actor": string(),
            "actor_description": nullable(string()),
            "ip": nullable(string()),
            "user_agent": nullable(string()),
            "timestamp": TIME,
            "success": boolean(),
            "correlation_id": nullable(string()),
            "reason": nullable(string()),
            "details": {"type": "object"},
            "prev_hash": string(pattern="^[0-9a-f]{64}$"),
            "hash": string(pattern="^[0-9a-f]{64}$"),
        },
        description="One hash-chained audit event",
    ),
    "AuditPage": obj(
        {"events": arr(ref("AuditEvent")), "next_cursor": nullable(string())}
    ),
    "AuditVerify": obj(
        {
            "ok": boolean(),
            "events_checked": integer(),
            "head_hash": string(),
            "first_bad_event_id": nullable(string()),
        }
    ),
    "AdminAuditPage": obj(
        {
            "events": arr(
                {
                    "type": "object",
                    "description": "An event of the D1 copy: the tenant's event and its tenant_id",
                    "properties": {
                        "tenant_id": string(),
                        "id": string(),
                        "seq": integer(),
                        "type": string(),
                        "success": boolean(),
                        "details": {"type": ["object", "null"]},
                    },
                }
            ),
            "next_cursor": nullable(string()),
        }
    ),
    "Health": obj({"status": enum("ok"), "time": TIME}),
    "Liveness": obj({"status": enum("ok")}),
    "Readiness": obj({"status": enum("ready"), "checks": string_map()}),
    "TenantCreated": obj(
        {
            "tenant_id": id_of("tn_", 16, "A tenant"),
            "name": string(),
            "plan": enum("free", "pro", "enterprise"),
            "master_key": string(description="Shown this once (lk_live_…)"),
            "created_at": TIME,
        }
    ),
    "TenantUpdated": obj(
        {
            "tenant_id": id_of("tn_", 16, "A tenant"),
            "plan": enum("free", "pro", "enterprise"),
            "rate_limit_per_minute": nullable(integer(minimum=1)),
            "effective_rate_limit_per_minute": integer(minimum=1),
        }
    ),
    "BootstrapCreated": obj(
        {
            "token": string(description="Shown this once (lk_boot_…)"),
            "id": id_of("bst_", 24, "A bootstrap token"),
            "expires_at": TIME,
            "max_registrations": integer(minimum=1),
            "labels": string_map(),
        }
    ),
    "AgentRegistered": obj(
        {
            "id": id_of("agt_", 24, "An agent"),
            "token": string(description="The agent's JWT (one hour)"),
            "expires_at": TIME,
            "mtls_template_id": string(),
        }
    ),
    "AgentJwt": obj({"token": string(), "expires_at": TIME}),
    "AgentCommand": obj(
        {
            "id": id_of("cmd_", 24, "A command"),
            "type": enum("force_sync", "rotate", "renew_certificate", "update"),
            "params": {"type": "object"},
            "created_at": TIME,
        },
        {"delivered_at": TIME},
    ),
    "AgentCommands": obj({"commands": arr(ref("AgentCommand"))}),
    "Grant": obj(
        {
            "grant_id": id_of("grt_", 24, "A grant"),
            "agent_id": id_of("agt_", 24, "An agent"),
            "path": GLOB,
            "actions": arr(enum("read", "write", "delete", "rotate", "use")),
            "cleared_tier": TIER,
            "created_at": TIME,
            "created_by": string(),
        },
        {"suspended_at": TIME},
    ),
    "Grants": obj({"grants": arr(ref("Grant"))}),
    "AgentSecrets": obj({"grants": arr(ref("Grant")), "secrets": arr(ref("SecretSummary"))}),
    "Agent": obj(
        {
            "id": id_of("agt_", 24, "An agent"),
            "name": string(),
            "hostname": nullable(string()),
            "status": enum("online", "degraded", "offline"),
            "status_reason": string(),
            "platform": nullable(string()),
            "agent_version": nullable(string()),
            "labels": string_map(),
            "last_heartbeat": nullable(TIME),
            "managed_secrets": integer(),
            "managed_certificates": integer(),
            "registered_at": TIME,
            "revoked": boolean(),
        },
        {
            "suspended_at": TIME,
            "suspended_reason": string(description="Why a cascading revocation suspended it"),
        },
    ),
    "AgentList": obj(
        {
            "data": arr(ref("Agent")),
            "pagination": obj({"page": integer(minimum=1), "per_page": integer(minimum=1), "total": integer()}),
        }
    ),
    "AgentSettings": obj({"heartbeat_interval_seconds": integer(minimum=1, maximum=86400)}),
    "Certificate": obj(
        {
            "subject": text(min_length=1, max_length=1024),
            "serial_number": nullable(string()),
            "issuer": nullable(string()),
            "not_before": TIME,
            "not_after": TIME,
            "location": nullable(string()),
            "fingerprint": text(min_length=1, max_length=1024),
            "dns_names": arr(string()),
            "ip_addresses": arr(string()),
            "source": nullable(string()),
            "is_managed": boolean(),
            "first_seen": TIME,
            "last_seen": TIME,
        }
    ),
    "SshKey": obj(
        {
            "fingerprint": string(),
            "key_type": string(),
            "bits": nullable(integer(minimum=1, maximum=16384)),
            "comment": nullable(string()),
            "location": nullable(string()),
            "user": nullable(string()),
            "kind": nullable(enum("authorized", "host", "identity")),
            "first_seen": TIME,
            "last_seen": TIME,
        }
    ),
    "DiscoveryStored": obj({"received": integer(), "created": integer(), "updated": integer()}),
    "Discovery": obj(
        {
            "agent_id": id_of("agt_", 24, "An agent"),
            "certificates": arr(ref("Certificate")),
            "ssh_keys": arr(ref("SshKey")),
        }
    ),
    "Certificates": obj({"certificates": arr(ref("Certificate"))}),
    "PasswordRequest": obj(
        {
            "id": id_of("pwr_", 24, "A password request"),
            "agent_id": id_of("agt_", 24, "An agent"),
            "path": SECRET_PATH,
            "reason": string(),
            "status": enum("pending", "approved", "rejected"),
            "created_at": TIME,
            "decided_at": nullable(TIME),
            "decided_by": nullable(string()),
            "decision_reason": nullable(string()),
            "version": nullable(integer(minimum=1)),
            "delivered_at": nullable(TIME),
        },
        {
            "password": string(description="The generated password, once, to the agent"),
            "withheld": string(
                description="Why an approved password was not handed over this time (it stays for a later collection)"
            ),
        },
    ),
    "PasswordRequests": obj({"data": arr(ref("PasswordRequest"))}),
    "User": obj(
        {
            "id": id_of("usr_", 24, "A user"),
            "email": string(),
            "name": string(),
            "created_at": TIME,
            "last_login_at": nullable(TIME),
        },
        {
            "suspended_at": TIME,
            "suspended_reason": string(description="Why a cascading revocation suspended them"),
        },
    ),
    "Users": obj({"users": arr(ref("User"))}),
    "LoggedIn": obj(
        {"token": string(description="The user's JWT (12 hours)"), "expires_at": TIME, "user": ref("User")}
    ),
    "Permissions": obj(
        {"permissions": arr(obj({"permission": string(), "description": string()}))}
    ),
    "Role": obj(
        {
            "id": id_of("rol_", 24, "A role"),
            "name": string(),
            "description": nullable(string()),
            "permissions": arr(SCOPE),
            "built_in": boolean(),
            "created_at": TIME,
        }
    ),
    "Roles": obj({"roles": arr(ref("Role"))}),
    "UserRole": obj(
        {
            "id": id_of("urs_", 24, "A role assignment"),
            "user_id": id_of("usr_", 24, "A user"),
            "role_id": id_of("rol_", 24, "A role"),
            "role_name": string(),
            "created_at": TIME,
            "created_by": string(),
        }
    ),
    "UserRoles": obj({"user_roles": arr(ref("UserRole"))}),
    "AccessRequest": obj(
        {
            "id": id_of("req_", 24, "An access request"),
            "kind": enum("read", "patch"),
            "path": SECRET_PATH,
            "reason": string(),
            "status": enum("pending", "approved", "rejected", "expired", "cancelled"),
            "requester_id": string(),
            "tier": nullable(TIER),
            "required_approvals": nullable(integer()),
            "approvals": arr(
                obj(
                    {
                        "approver_id": string(),
                        "decision": string(),
                        "comment": nullable(string()),
                        "created_at": TIME,
                    }
                )
            ),
            "created_at": TIME,
            "expires_at": TIME,
            "decided_at": nullable(TIME),
        },
        {
            "ttl_seconds": integer(minimum=1),
            "wrap_id": id_of("wrp_", 24, "A wrap"),
            "applied_version": integer(minimum=1),
        },
    ),
    "AccessRequests": obj({"requests": arr(ref("AccessRequest"))}),
    "WrapCreated": obj(
        {
            "wrap_token": string(description="The single-use wrap token (lk_wrap_…)"),
            "id": id_of("wrp_", 24, "A wrap"),
            "expires_at": TIME,
            "path": nullable(SECRET_PATH),
            "version": nullable(integer(minimum=1)),
        }
    ),
    "Unwrapped": obj(
        {
            "id": id_of("wrp_", 24, "A wrap"),
            "value": VALUE,
            "path": nullable(SECRET_PATH),
            "version": nullable(integer(minimum=1)),
            "created_at": TIME,
        }
    ),
    "WrapSummary": obj(
        {
            "id": id_of("wrp_", 24, "A wrap"),
            "request_id": nullable(id_of("req_", 24, "An access request")),
            "path": nullable(SECRET_PATH),
            "version": nullable(integer(minimum=1)),
            "status": enum("available", "retrieved", "expired"),
            "created_at": TIME,
            "expires_at": TIME,
            "retrieved_at": nullable(TIME),
        }
    ),
    "Wraps": obj({"wraps": arr(ref("WrapSummary"))}),
    "AllowedHost": ALLOWED_HOST,
    "ProxyResponse": obj(
        {
            "status": integer(minimum=100, maximum=599, description="The upstream's status (a 3xx is not followed)"),
            "headers": string_map(
                description="The upstream's headers: lower-case names, repeated ones joined with ', ', "
                "values redacted"
            ),
            "body": string(description="The upstream's body, redacted (base64 when body_encoding says so)"),
            "body_encoding": {**enum("utf-8", "base64"), "description": "`base64` when the body is not valid UTF-8"},
            "redacted": integer(description="How many occurrences of substituted values were replaced by `[REDACTED]`"),
            "duration_ms": integer(description="The upstream call's duration"),
        },
        description="The upstream's answer, whatever its status, with every substituted value redacted",
    ),
}

# Request bodies (JSON objects; unknown members are a 422 naming them).
METADATA = {
    "tier": nullable(TIER),
    "description": nullable(text(max_length=1024, pattern=NO_CONTROL_BUT_NEWLINE_TAB, description="At most 1 KiB, no control characters but newline and tab")),
    "tags": nullable(string_map(50, 128, "At most 50 tags; keys 1..=128 bytes, values ≤ 128 bytes")),
    "expires_at": nullable({**TIME, "description": "RFC 3339, in the future"}),
    "max_versions": nullable(integer(minimum=1, maximum=100, description="Versions kept (default 10)")),
}
FIELD_MAP = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 100,
    "propertyNames": FIELD_NAME,
    "additionalProperties": VALUE,
}
NOTE = lambda member: obj({}, {member: nullable(text(max_length=1024, pattern=NO_CONTROL_BUT_NEWLINE))})  # noqa: E731

BODIES = {
    "NewSecret": {
        **obj(
            {"path": SECRET_PATH},
            {"value": nullable(VALUE), "fields": nullable(FIELD_MAP), **METADATA, "allowed_hosts": ALLOWED_HOSTS},
            description="'value' or 'fields' (or both) is required",
        ),
        "anyOf": [{"required": ["value"]}, {"required": ["fields"]}],
    },
    "SecretUpdate": obj(
        {"value": VALUE},
        {**METADATA, "allowed_hosts": nullable({**ALLOWED_HOSTS, "description": ALLOWED_HOSTS_TEXT + "; absent keeps them, null or [] clears them"})},
    ),
    "Rotation": obj(
        {"new_value": VALUE},
        {"grace_period_seconds": nullable(integer(maximum=604800, description="How long the old version stays readable (default 0)"))},
    ),
    "FieldSet": obj({"fields": FIELD_MAP}),
    "FieldValue": obj({"value": VALUE}),
    "Generate": obj(
        {},
        {
            "length": nullable(integer(minimum=8, maximum=256, description="Default 32")),
            "uppercase": nullable(boolean()),
            "lowercase": nullable(boolean()),
            "digits": nullable(boolean()),
            "symbols": nullable(boolean()),
            "path": nullable({**SECRET_PATH, "description": "Store the password as a new secret here"}),
            **METADATA,
            "allowed_hosts": ALLOWED_HOSTS,
        },
        description="At least one class must stay enabled; the metadata members need 'path'",
    ),
    "TokenRequest": obj(
        {"scope": SCOPES},
        {
            "ttl_seconds": nullable(integer(minimum=60, maximum=86400, description="Default 3600, never beyond the minting token")),
            "description": nullable(text(max_length=256)),
            "allowed_ips": nullable(arr(string(example="10.0.0.0/8"), minItems=1, maxItems=50, description="Addresses or CIDR ranges")),
            "max_uses": nullable(integer(minimum=1, maximum=4294967295)),
        },
    ),
    "ApproveBody": NOTE("comment"),
    "DenyBody": NOTE("reason"),
    "Policies": obj(
        {
            "policies": arr(
                obj(
                    {"glob": GLOB},
                    {
                        "standard": nullable(integer(maximum=5)),
                        "sensitive": nullable(integer(minimum=1, maximum=5)),
                        "critical": nullable(integer(minimum=1, maximum=5)),
                        "cancel_window_seconds": nullable(integer(maximum=86400)),
                        "require_purpose": nullable(boolean(description=REQUIRE_PURPOSE_TEXT)),
                    },
                ),
                maxItems=100,
            )
        }
    ),
    "Notifications": obj(
        {},
        {
            "slack_webhook_url": nullable(string(format="uri", description="https (http to loopback only in local development)")),
            "webhook": nullable(obj({"url": string(format="uri"), "secret": string(minLength=16, maxLength=256)})),
            "email": nullable(obj({"to": arr(string(format="email"), minItems=1, maxItems=20)})),
        },
    ),
    "NewTenant": obj(
        {"name": text(min_length=1, max_length=100, description="Not blank")},
        {"plan": nullable(enum("free", "pro", "enterprise"))},
    ),
    "TenantUpdate": {
        **obj(
            {},
            {
                "plan": nullable(enum("free", "pro", "enterprise")),
                "rate_limit_per_minute": nullable(integer(minimum=1, maximum=1000000, description="null clears a custom limit")),
            },
            description="'plan', 'rate_limit_per_minute' or both",
        ),
        "anyOf": [{"required": ["plan"]}, {"required": ["rate_limit_per_minute"]}],
    },
    "Bootstrap": obj(
        {},
        {
            "ttl_seconds": nullable(integer(minimum=1, maximum=2592000, description="Default 86400")),
            "max_registrations": nullable(integer(minimum=1, maximum=10000, description="Default 1")),
            "labels": nullable(string_map(32, 128)),
        },
    ),
    "Registration": obj(
        {"token": string(pattern="^lk_boot_tn_[0-9a-f]{16}_", description="A bootstrap token (lk_boot_…)"),
         "name": text(min_length=1, max_length=128)},
        {
            "hostname": nullable(text(min_length=1, max_length=253)),
            "os_type": nullable(text(min_length=1, max_length=32)),
            "metadata": nullable(string_map(32, 128)),
        },
    ),
    "HealthReport": obj(
        {"status": enum("healthy", "degraded", "unhealthy")},
        {
            "uptime_seconds": nullable(integer(maximum=4294967295)),
            "metrics": nullable(
                obj(
                    {},
                    {
                        name: nullable({"type": "number", "minimum": 0, "maximum": 100})
                        for name in ("cpu_percent", "memory_percent", "disk_percent")
                    },
                )
            ),
            "managed_secrets": nullable(integer(maximum=1000000)),
            "managed_certificates": nullable(integer(maximum=1000000)),
            "last_sync": nullable({**TIME, "description": "Not in the future"}),
            "agent_version": nullable(text(min_length=1, max_length=64)),
        },
    ),
    "AgentSettings": obj({"heartbeat_interval_seconds": integer(minimum=1, maximum=86400)}),
    "Command": obj(
        {"type": enum("force_sync", "rotate", "renew_certificate", "update")},
        {"params": nullable({"type": "object", "description": "At most 4 KiB as JSON"})},
    ),
    "NewGrant": obj(
        {"agent_id": id_of("agt_", 24, "An agent"), "path": GLOB},
        {"actions": nullable(arr(enum("read", "write", "delete", "rotate", "use"), minItems=1, maxItems=5, description="Default [\"read\"]"))},
    ),
    "CertificateReport": obj(
        {
            "certificates": arr(
                obj(
                    {
                        "subject": text(min_length=1, max_length=1024),
                        "fingerprint": text(min_length=1, max_length=1024),
                        "not_before": TIME,
                        "not_after": {**TIME, "description": "Not before not_before"},
                    },
                    {
                        "serial_number": nullable(text(min_length=1, max_length=1024)),
                        "issuer": nullable(text(min_length=1, max_length=1024)),
                        "location": nullable(text(min_length=1, max_length=1024)),
                        "dns_names": nullable(arr(string(minLength=1, maxLength=253), maxItems=100)),
                        "ip_addresses": nullable(arr(string(format="ip"), maxItems=100)),
                        "source": nullable(text(min_length=1, max_length=1024)),
                        "is_managed": nullable(boolean()),
                    },
                ),
                maxItems=1000,
            )
        }
    ),
    "SshReport": obj(
        {
            "keys": arr(
                obj(
                    {
                        "fingerprint": text(min_length=1, max_length=1024),
                        "key_type": text(min_length=1, max_length=1024),
                    },
                    {
                        "bits": nullable(integer(minimum=1, maximum=16384)),
                        "comment": nullable(text(min_length=1, max_length=1024)),
                        "location": nullable(text(min_length=1, max_length=1024)),
                        "user": nullable(text(min_length=1, max_length=1024)),
                        "kind": nullable(enum("authorized", "host", "identity")),
                    },
                ),
                maxItems=1000,
            )
        }
    ),
    "NewPasswordRequest": obj({"path": SECRET_PATH, "reason": text(min_length=1, max_length=1024)}),
    "Rejection": obj({}, {"reason": nullable(text(min_length=1, max_length=1024))}),
    "Login": obj(
        {
            "tenant": id_of("tn_", 16, "A tenant"),
            "email": string(maxLength=254, format="email"),
            "password": text(min_length=1, max_length=1024),
        }
    ),
    "NewUser": obj(
        {"email": string(maxLength=254, format="email"), "password": text(min_length=12, max_length=1024)},
        {"name": nullable(text(min_length=1, max_length=128))},
    ),
    "NewRole": obj(
        {"name": string(minLength=1, maxLength=64, pattern="^[a-z0-9_-]{1,64}$"), "permissions": SCOPES},
        {"description": nullable(text(min_length=1, max_length=512))},
    ),
    "RolePermissions": obj({"permissions": SCOPES}),
    "NewUserRole": obj({"user_id": id_of("usr_", 24, "A user"), "role_id": id_of("rol_", 24, "A role")}),
    "ReadRequest": obj(
        {"path": SECRET_PATH, "reason": text(min_length=1, max_length=1024, pattern=NO_CONTROL_BUT_NEWLINE)},
        {"ttl_seconds": nullable(integer(minimum=1, maximum=86400, description="The wrap's lifetime (default 3600)"))},
    ),
    "PatchRequest": obj(
        {"path": SECRET_PATH, "value": VALUE, "reason": text(min_length=1, max_length=1024, pattern=NO_CONTROL_BUT_NEWLINE)}
    ),
    "NewWrap": {
        **obj(
            {},
            {
                "path": {**SECRET_PATH, "description": "Wrap this secret's current value"},
                "value": VALUE,
                "ttl_seconds": nullable(integer(minimum=1, maximum=86400, description="Default 300")),
            },
            description="Exactly one of 'path' and 'value'",
        ),
        "oneOf": [{"required": ["path"]}, {"required": ["value"]}],
    },
    "Unwrap": obj({"wrap_token": string(pattern="^lk_wrap_tn_[0-9a-f]{16}_", description="lk_wrap_…")}),
    "ProxyRequest": obj(
        {
            "method": HTTP_METHOD,
            "url": string(
                format="uri",
                description="Absolute; `https` (plain `http` and private, loopback or local hosts only "
                "when the Worker var PROXY_INSECURE_HOSTS lists them). `{{NAME}}` placeholders only in "
                "the query, where the value is percent-encoded",
                example="https://api.example.com/v1/things?key={{API_KEY}}",
            ),
            "secrets": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 5,
                "propertyNames": string(pattern="^[A-Za-z_][A-Za-z0-9_]{0,63}$"),
                "additionalProperties": string(
                    minLength=1,
                    maxLength=512 + 65,
                    pattern=f"^{SEGMENT}(?:/{SEGMENT}){{0,31}}(?:#[A-Za-z0-9._-]{{1,64}})?$",
                    description="A secret path, or `path#field` for one field of the secret",
                ),
                "description": "1 to 5 placeholder names and the secrets they stand for; each must be "
                "used by some `{{NAME}}`",
                "example": {"API_KEY": "production/example/api-key"},
            },
        },
        {
            "headers": nullable(
                string_map(
                    max_pairs=50,
                    description="At most 50, each value ≤ 8 KiB and all values ≤ 64 KiB together as written; "
                    "`{{NAME}}` placeholders allowed in values (a value with CR, "
                    "LF or NUL after substitution is a 422). Refused (422 `headers`): Host, "
                    "Content-Length, Transfer-Encoding, Connection, Upgrade, TE, Trailer, Keep-Alive, "
                    "Proxy-*, CF-*, X-Forwarded-*, X-Real-IP, X-Latchkey-*",
                )
            ),
            "body": nullable(
                string(
                    maxLength=1048576,
                    description="UTF-8 text with `{{NAME}}` placeholders; at most 1 MiB as written "
                    "(422 `body`, `limit_bytes`), whatever the values' sizes; at most 16 placeholders "
                    "in a call (url, headers and body together)",
                )
            ),
            "timeout_seconds": nullable(integer(minimum=1, maximum=30, description="Default 30")),
        },
        description="`{{NAME}}` placeholders are replaced in one pass (a value is never re-scanned). "
        "A placeholder naming no declared secret, or a declared secret no placeholder uses, is a 422",
    ),
}
for name, schema in BODIES.items():
    SCHEMAS[f"{name}Body" if name in SCHEMAS else name] = schema


def body_ref(name):
    return ref(f"{name}Body" if f"{name}Body" in SCHEMAS else name)


# ---------------------------------------------------------------- responses

ERROR_TEXT = {
    400: "Malformed request: not JSON, not an object, wrong Content-Type, body over 1 MiB, or a bad query parameter (invalid_request)",
    401: "Missing, malformed, unknown, expired or revoked credential (unauthorized; WWW-Authenticate: Bearer)",
    403: "The credential may not do this (permission_denied; `required_scope` names what would; a broker destination refusal carries `reason`)",
    404: "No such resource, or a malformed id in the URL (not_found)",
    409: "Conflicts with the current state (conflict)",
    410: "Used up or expired (gone)",
    422: "A member failed validation (validation_error; `field` names it)",
    429: "Over the tenant's rate limit, or a login lockout (rate_limited; Retry-After)",
    502: "The secrets broker could not reach the upstream (upstream_error)",
    503: "A dependency does not answer (unavailable)",
    504: "The upstream did not answer within timeout_seconds (upstream_timeout)",
}

REQUEST_ID = {
    "description": "The request's correlation id (the caller's X-Request-Id when sane)",
    "required": True,
    "schema": string(minLength=1, maxLength=128),
}
RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests allowed per minute", "required": True, "schema": string(pattern="^[0-9]+$")},
    "X-RateLimit-Remaining": {"description": "Requests left in this minute", "required": True, "schema": string(pattern="^[0-9]+$")},
    "X-RateLimit-Reset": {"description": "When the window resets (Unix seconds)", "required": True, "schema": string(pattern="^[0-9]+$")},
    "RateLimit-Policy": {"description": "IETF draft: `\"tenant\";q=<limit>;w=60`", "required": True, "schema": string()},
    "RateLimit": {"description": "IETF draft: `\"tenant\";r=<left>;t=<seconds>`", "required": True, "schema": string()},
}
HEADERS = {"X-Request-Id": REQUEST_ID, **RATE_HEADERS}


def header(name):
    return {"$ref": f"#/components/headers/{name}"}


RESPONSES = {}
for status, text in ERROR_TEXT.items():
    headers = {"X-Request-Id": header("X-Request-Id")}
    if status == 401:
        headers["WWW-Authenticate"] = {"required": True, "schema": enum("Bearer")}
    if status == 429:
        headers["Retry-After"] = {"description": "Seconds to wait", "required": False, "schema": string(pattern="^[0-9]+$")}
    RESPONSES[f"E{status}"] = {
        "description": text,
        "headers": headers,
        "content": {"application/json": {"schema": ref("Error")}},
    }


def ok(schema_name, description, rate=True, content_type="application/json", schema=None):
    headers = {"X-Request-Id": header("X-Request-Id")}
    if rate:
        headers.update({name: header(name) for name in RATE_HEADERS})
    out = {"description": description, "headers": headers}
    if schema_name is not None or schema is not None:
        out["content"] = {content_type: {"schema": schema if schema is not None else ref(schema_name)}}
    return out


# ---------------------------------------------------------------- operations

TENANT = [{"tenantBearer": []}]
AGENT = [{"agentJwt": []}]
OPERATOR = [{"operatorKey": []}]
PUBLIC = []

PATH_PARAM = {
    "name": "path",
    "in": "path",
    "required": True,
    "description": "The secret path as ONE URL segment: percent-encode it, '/' as %2F "
    "(`production%2Fopenai%2Fapi-key`). A raw '/' answers 404 pointing at the encoded form.",
    "schema": SECRET_PATH,
}
FIELD_PARAM = {"name": "field", "in": "path", "required": True, "description": "A field name", "schema": FIELD_NAME}


PARAMETERS = {"path": PATH_PARAM, "field": FIELD_PARAM}


def param(name):
    return {"$ref": f"#/components/parameters/{name}"}


def id_param(name, prefix, digits=24, what=None):
    """A path parameter holding an id, kept once in components.parameters."""
    key = f"{prefix.rstrip('_')}_{name}"
    PARAMETERS[key] = {
        "name": name,
        "in": "path",
        "required": True,
        "description": "A malformed id names nothing: 404",
        "schema": id_of(prefix, digits, what),
    }
    return param(key)


def query(name, schema, description=None):
    out = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        out["description"] = description
    return out


def html_pages(pages):
    """A review route's answers: HTML pages, except the router's JSON 404 for a malformed id."""
    out = {}
    for status, description in pages:
        content = {"text/html": {"schema": string()}}
        if status == 404:
            description += "; a malformed id is refused by the router with the JSON error"
            content["application/json"] = {"schema": ref("Error")}
        out[status] = {"description": description, "content": content}
    return out


OPERATIONS = []
PATH_PARAM = param("path")
FIELD_PARAM = param("field")


def op(method, path, op_id, summary, security, statuses, *, params=(), body=None,
       body_required=True, responses=None, tag=None, description=None, form=None):
    """statuses: the error statuses the operation really answers; responses: its successes."""
    OPERATIONS.append(
        dict(method=method, path=path, op_id=op_id, summary=summary, security=security,
             statuses=statuses, params=list(params), body=body, body_required=body_required,
             responses=responses or {}, tag=tag, description=description, form=form)
    )


# Errors every authenticated tenant route can answer: bad input, credentials, scope, rate.
AUTH = [400, 401, 403, 429]

# Probes and this document.
op("get", "/v1/health", "health", "Liveness with the server's time (seed 003)", PUBLIC, [],
   responses={200: ok("Health", "Up", rate=False)}, tag="probes")
op("get", "/healthz", "liveness", "The process answers", PUBLIC, [],
   responses={200: ok("Liveness", "Up", rate=False)}, tag="probes")
op("get", "/readyz", "readiness", "D1 and the Durable Objects answer", PUBLIC, [503],
   responses={200: ok("Readiness", "Ready", rate=False)}, tag="probes")
op("get", "/v1/openapi.json", "openapi", "This document (OpenAPI 3.1)", PUBLIC, [],
   responses={200: ok(None, "The document, cached for 5 minutes", rate=False, schema={"type": "object"})},
   tag="probes")

# Operator.
op("post", "/v1/admin/tenants", "createTenant", "Create a tenant; the master key is shown once", OPERATOR,
   [400, 401, 422], body="NewTenant", responses={201: ok("TenantCreated", "Created", rate=False)}, tag="operator")
op("patch", "/v1/admin/tenants/{id}", "updateTenant", "Set a tenant's plan and/or custom rate limit", OPERATOR,
   [400, 401, 404, 422], params=[id_param("id", "tn_", 16, "A tenant")], body="TenantUpdate",
   responses={200: ok("TenantUpdated", "Updated", rate=False)}, tag="operator")
op("get", "/v1/admin/audit", "adminAudit", "Search the D1 copy of every tenant's audit events", OPERATOR,
   [400, 401, 422],
   params=[query("tenant", id_of("tn_", 16, "A tenant"))] + [
       query(n, string(minLength=1, maxLength=512)) for n in ("type", "actor", "correlation_id")
   ] + [query("success", enum("true", "false")), query("since", TIME), query("until", TIME),
        query("limit", integer(minimum=1, maximum=1000)), query("cursor", string())],
   responses={200: ok("AdminAuditPage", "Newest first", rate=False)}, tag="operator")

# Secrets.
op("post", "/v1/secrets", "createSecret", "Store a new secret (version 1)", TENANT, AUTH + [409, 422],
   body="NewSecret", responses={201: ok("SecretCreated", "Created")}, tag="secrets")
op("get", "/v1/secrets", "listSecrets", "List metadata of the secrets the caller may read", TENANT, AUTH + [422],
   params=[
       query("namespace", {**SECRET_PATH, "description": "Only paths under this prefix"}),
       query("tag", string(pattern="^[^:]+:.*$"), "key:value; repeatable (up to 20)"),
       query("tier", TIER),
       query("q", string(maxLength=256), "Substring of the path or description"),
       query("expiring_within", integer(maximum=315360000), "Seconds"),
       query("include_deleted", enum("true", "false")),
       query("limit", integer(minimum=1, maximum=200), "Default 50"),
       query("cursor", string(), "next_cursor of the previous page"),
   ], responses={200: ok("SecretPage", "A page")}, tag="secrets")
op("get", "/v1/secrets/{path}", "getSecret", "Read a secret's value (or ?version=N)",
   [{"tenantBearer": []}, {"agentJwt": []}], AUTH + [404, 422],
   params=[PATH_PARAM, query("version", integer(minimum=1, maximum=2**53)), PURPOSE],
   responses={200: ok("Secret", "The secret")}, tag="secrets")
op("put", "/v1/secrets/{path}", "updateSecret", "Write a new version (If-Match makes it conditional)", TENANT,
   AUTH + [404, 409, 422],
   params=[PATH_PARAM, {"name": "If-Match", "in": "header", "required": False,
                        "description": "The version the update expects (`3` or `\"3\"`); otherwise 409",
                        "schema": string(pattern="^\"?[1-9][0-9]{0,15}\"?$")}],
   body="SecretUpdate", responses={200: ok("SecretUpdated", "Updated")}, tag="secrets")
op("delete", "/v1/secrets/{path}", "deleteSecret", "Soft delete (30 days), or ?permanent=true", TENANT,
   AUTH + [404, 422], params=[PATH_PARAM, query("permanent", enum("true", "false"))],
   responses={204: ok(None, "Deleted")}, tag="secrets")
op("get", "/v1/secrets/{path}/versions", "listVersions", "Every kept version, newest first", TENANT,
   AUTH + [404, 422], params=[PATH_PARAM], responses={200: ok("Versions", "Versions")}, tag="secrets")
op("post", "/v1/secrets/{path}/rotate", "rotateSecret", "A new version; the old one readable for a grace period",
   TENANT, AUTH + [404, 409, 422], params=[PATH_PARAM], body="Rotation",
   responses={200: ok("SecretRotated", "Rotated")}, tag="secrets")
op("post", "/v1/secrets/{path}/restore", "restoreSecret", "Undo a soft delete", TENANT, AUTH + [404, 409, 422],
   params=[PATH_PARAM], responses={200: ok("SecretSummary", "Restored")}, tag="secrets")
op("get", "/v1/secrets/{path}/fields", "getFields", "Every field's value", TENANT, AUTH + [404, 422],
   params=[PATH_PARAM, PURPOSE],
   responses={200: ok(None, "Field names and values ({} when none)", schema=string_map())}, tag="fields")
op("put", "/v1/secrets/{path}/fields", "setFields", "Set several fields (creates a fields-only secret)", TENANT,
   AUTH + [404, 409, 422], params=[PATH_PARAM], body="FieldSet",
   responses={201: ok("FieldsStored", "Stored")}, tag="fields")
op("get", "/v1/secrets/{path}/fields/{field}", "getField", "One field's value", TENANT, AUTH + [404, 422],
   params=[PATH_PARAM, FIELD_PARAM, PURPOSE], responses={200: ok("Field", "The field")}, tag="fields")
op("put", "/v1/secrets/{path}/fields/{field}", "setField", "Set one field (creates a fields-only secret)", TENANT,
   AUTH + [404, 409, 422], params=[PATH_PARAM, FIELD_PARAM], body="FieldValue",
   responses={201: ok("FieldStored", "Stored")}, tag="fields")
op("delete", "/v1/secrets/{path}/fields/{field}", "deleteField", "Delete one field", TENANT, AUTH + [404, 422],
   params=[PATH_PARAM, FIELD_PARAM], responses={200: ok("FieldDeleted", "Deleted")}, tag="fields")
op("post", "/v1/generate", "generatePassword", "A random password; stored as a new secret when 'path' is given",
   TENANT, AUTH + [409, 422], body="Generate",
   responses={200: ok("GeneratedPassword", "Generated, not stored"),
              201: ok("GeneratedPassword", "Generated and stored")}, tag="secrets")
op("get", "/v1/info", "info", "Counts and storage of the tenant, never names or values", TENANT, AUTH,
   responses={200: ok("TenantInfo", "Counts")}, tag="secrets")

# The secrets broker.
op("post", "/v1/proxy", "proxy", "Call an upstream API with secrets substituted in, without reading them",
   [{"tenantBearer": []}, {"agentJwt": []}], AUTH + [404, 422, 502, 504], params=[PURPOSE], body="ProxyRequest",
   responses={200: ok("ProxyResponse", "The upstream answered (its own status inside)")}, tag="broker",
   description="Needs `secrets:use:<path>` for every secret named (403 `required_scope`), and each "
   "secret's `allowed_hosts` must admit the URL's host, path and method; plain `http` and "
   "private, loopback or local destinations are refused unless the Worker var "
   "PROXY_INSECURE_HOSTS lists them (403 with `reason`). Redirects are never followed: a 3xx "
   "comes back as the answer, its Location redacted. Every occurrence of a substituted value in "
   "the answer (plain, JSON-escaped, base64, percent-encoded) becomes `[REDACTED]`. An upstream "
   "body over 1 MiB is a 400 (`limit_bytes`). Each call counts as one use (rate limit, a token's "
   "max_uses) and records one `secret.used` audit event per secret, never the value or the query "
   "string.")

# Tokens, approvals, policies, notifications.
op("post", "/v1/tokens", "createToken", "Mint a scoped token (202 when its reach needs approval)", TENANT,
   AUTH + [409, 422], body="TokenRequest",
   responses={201: ok("TokenCreated", "The token, shown once"),
              202: ok("ApprovalPending", "Approval required; poll the approval")}, tag="tokens")
op("get", "/v1/tokens", "listTokens", "Tokens' metadata", TENANT, AUTH,
   responses={200: ok(None, "Tokens", schema=obj({"tokens": arr(ref("TokenSummary"))}))}, tag="tokens")
op("delete", "/v1/tokens/{id}", "revokeToken", "Revoke a token (and every token minted from it)", TENANT,
   AUTH + [404], params=[id_param("id", "tok_", 16, "A token")],
   responses={200: ok("Revoked", "Revoked")}, tag="tokens")
op("get", "/v1/approvals", "listApprovals", "Token approval requests", TENANT, AUTH,
   params=[query("status", enum("pending", "approved", "denied", "expired", "cancelled"))],
   responses={200: ok(None, "Approvals", schema=obj({"approvals": arr(ref("Approval"))}))}, tag="approvals")
APR = id_param("id", "apr_", 32, "An approval")
op("get", "/v1/approvals/{id}", "getApproval", "An approval request; the requester's first poll after release carries the token",
   TENANT, AUTH + [404], params=[APR], responses={200: ok("Approval", "The request")}, tag="approvals")
op("post", "/v1/approvals/{id}/approve", "approveApproval", "Approve (needs approvals:decide; never one's own)",
   TENANT, AUTH + [404, 409, 422], params=[APR], body="ApproveBody", body_required=False,
   responses={200: ok("Approval", "Recorded")}, tag="approvals")
op("post", "/v1/approvals/{id}/deny", "denyApproval", "Deny", TENANT, AUTH + [404, 409, 422], params=[APR],
   body="DenyBody", body_required=False, responses={200: ok("Approval", "Denied")}, tag="approvals")
op("post", "/v1/approvals/{id}/cancel", "cancelApproval", "Cancel (the requester, or an approver in the cancel window)",
   TENANT, AUTH + [404, 409], params=[APR], responses={200: ok("Approval", "Cancelled")}, tag="approvals")
op("get", "/v1/policies", "getPolicies", "Approval policies and their defaults", TENANT, AUTH,
   responses={200: ok("Policies", "Policies")}, tag="approvals")
op("put", "/v1/policies", "setPolicies", "Replace the per-namespace approval policies", TENANT, AUTH + [422],
   body="Policies", responses={200: ok("Policies", "Policies")}, tag="approvals")
op("get", "/v1/notifications", "getNotifications", "Approval channels, without their secrets", TENANT, AUTH,
   responses={200: ok("Notifications", "Channels")}, tag="approvals")
op("put", "/v1/notifications", "setNotifications", "Replace the approval channels", TENANT, AUTH + [422],
   body="Notifications", responses={200: ok("Notifications", "Channels")}, tag="approvals")
op("get", "/approvals/{id}/review", "reviewPage", "The approver's page (HTML) behind a signed link", PUBLIC,
   [], params=[APR, query("t", string(), "The link's token")],
   responses=html_pages([(200, "The review page (or a page asking for a link)"), (400, "Refusal page"),
                         (403, "Refusal page: forged or wrong link"), (404, "Refusal page: no such request"),
                         (409, "Refusal page: already decided"), (410, "Refusal page: link used or expired")]),
   tag="approvals",
   description="For people, not programs: every answer is an HTML page. GET never uses the link up.")
op("post", "/approvals/{id}/review", "reviewDecision", "The approver's decision from the page (HTML)", PUBLIC,
   [], params=[APR],
   form=obj({"t": string(), "decision": enum("approve", "deny")}, {"note": string(maxLength=1024)}),
   responses=html_pages([(200, "Decision recorded"), (400, "Refusal page: bad form"),
                         (403, "Refusal page: forged or wrong link"), (404, "Refusal page: no such request"),
                         (409, "Refusal page: already decided"), (410, "Refusal page: link used or expired"),
                         (429, "Refusal page: rate limited")]),
   tag="approvals")

# Audit.
SSE_EVENT = {
    "type": "object",
    "description": "One server-sent event: `id` is the audit event's seq, `event` its type (or "
    "`end`, `error`), `data` the AuditEvent (or the reason) as JSON; the stream opens with "
    "`retry: 1000` and sends `: keepalive` comments when idle",
    "properties": {
        "id": string(pattern="^[0-9]+$"),
        "event": string(),
        "data": string(contentMediaType="application/json"),
        "retry": integer(),
    },
}
AUDIT_QUERY = [query(n, string(minLength=1, maxLength=512)) for n in ("namespace", "actor", "type", "correlation_id")] + [
    query("since", TIME), query("until", TIME), query("success", enum("true", "false")),
    query("limit", integer(minimum=1, maximum=1000), "Default 100; the page size of an export"),
    query("cursor", string()),
]
op("get", "/v1/audit", "readAudit", "Audit events, newest first; format=jsonl|csv streams an export", TENANT, AUTH,
   params=AUDIT_QUERY + [query("format", enum("json", "jsonl", "csv"))],
   responses={200: {**ok("AuditPage", "A page (JSON) or the whole selection (JSONL, CSV)"),
                    "content": {"application/json": {"schema": ref("AuditPage")},
                                "application/x-ndjson": {"schema": string()},
                                "text/csv": {"schema": string()}}}}, tag="audit")
op("get", "/v1/audit/verify", "verifyAudit", "Check the hash chain", TENANT, AUTH,
   responses={200: ok("AuditVerify", "The report")}, tag="audit")
op("get", "/v1/events", "eventStream", "New audit events as server-sent events (resume with Last-Event-ID)", TENANT,
   AUTH,
   params=[{"name": "Last-Event-ID", "in": "header", "required": False,
            "schema": string(pattern="^([0-9]{1,19}|evt_[0-9a-f]{16})$")}],
   responses={200: ok(None, "An event stream (ends after 10 minutes); the schema is that of one event",
                      content_type="text/event-stream", schema=SSE_EVENT)},
   tag="audit")

# Agents and grants.
AGT = id_param("id", "agt_", 24, "An agent")
op("post", "/v1/agents/bootstrap", "createBootstrap", "A bootstrap token for registering agents", TENANT,
   AUTH + [422], body="Bootstrap", responses={201: ok("BootstrapCreated", "The token, shown once")}, tag="agents")
op("post", "/v1/agents/register", "registerAgent", "Register with a bootstrap token (the body is the credential)",
   PUBLIC, [400, 401, 403, 409, 422, 429], body="Registration",
   responses={201: ok("AgentRegistered", "Registered")}, tag="agents")
op("post", "/v1/agents/me/refresh-token", "refreshAgentToken", "A fresh JWT for a valid one", AGENT, AUTH,
   responses={200: ok("AgentJwt", "A new JWT")}, tag="agents")
op("post", "/v1/agents/me/health", "reportHealth", "Heartbeat; answers the commands queued for the agent", AGENT,
   AUTH + [422], body="HealthReport", responses={200: ok("AgentCommands", "Queued commands, each once")}, tag="agents")
op("get", "/v1/agents/me/secrets", "agentSecrets", "The agent's grants and the secrets they reach", AGENT, AUTH,
   responses={200: ok("AgentSecrets", "Grants and secrets")}, tag="agents")
op("post", "/v1/agents/me/discovery/certificates", "reportCertificates", "Report certificates (≤ 1,000)", AGENT,
   AUTH + [422], body="CertificateReport", responses={200: ok("DiscoveryStored", "Stored")}, tag="agents")
op("post", "/v1/agents/me/ssh-discovery", "reportSshKeys", "Report SSH keys (≤ 1,000)", AGENT, AUTH + [422],
   body="SshReport", responses={200: ok("DiscoveryStored", "Stored")}, tag="agents")
op("get", "/v1/agents/me/certificates", "agentCertificates", "Certificates the agent manages", AGENT, AUTH,
   responses={200: ok("Certificates", "Certificates")}, tag="agents")
op("post", "/v1/agents/me/password-requests", "createPasswordRequest", "Ask for a new password for a granted path",
   AGENT, AUTH + [404, 409, 422], body="NewPasswordRequest",
   responses={201: ok("PasswordRequest", "Pending")}, tag="agents")
op("get", "/v1/agents/me/password-requests", "collectPasswordRequests", "The agent's requests; approved passwords once",
   AGENT, AUTH, responses={200: ok("PasswordRequests", "Requests")}, tag="agents")
op("get", "/v1/agents", "listAgents", "The fleet, with derived status", TENANT, AUTH + [422],
   params=[query("status", enum("online", "degraded", "offline")),
           query("label", string(pattern="^[^=]+=.*$"), "key=value"),
           query("search", string(maxLength=253), "Substring of the name or hostname"),
           query("page", integer(minimum=1, maximum=1000000)),
           query("per_page", integer(minimum=1, maximum=100), "Default 25")],
   responses={200: ok("AgentList", "A page")}, tag="agents")
op("get", "/v1/agents/settings", "getAgentSettings", "The heartbeat interval", TENANT, AUTH,
   responses={200: ok("AgentSettings", "Settings")}, tag="agents")
op("put", "/v1/agents/settings", "setAgentSettings", "Set the heartbeat interval", TENANT, AUTH + [422],
   body="AgentSettings", responses={200: ok("AgentSettings", "Settings")}, tag="agents")
op("post", "/v1/agents/{id}/revoke", "revokeAgent", "Revoke an agent", TENANT, AUTH + [404], params=[AGT],
   responses={200: ok("Revoked", "Revoked")}, tag="agents")
op("post", "/v1/agents/{id}/reinstate", "reinstateAgent",
   "Reinstate an agent a cascading revocation suspended (admin)", TENANT, AUTH + [404, 409], params=[AGT],
   responses={200: ok("Reinstated", "Reinstated")}, tag="agents")
op("post", "/v1/agents/{id}/commands", "queueAgentCommand", "Queue a command for the agent's next heartbeat",
   TENANT, AUTH + [404, 409, 422], params=[AGT], body="Command",
   responses={201: ok("AgentCommand", "Queued")}, tag="agents")
op("get", "/v1/agents/{id}/discovery", "agentDiscovery", "What the agent reported", TENANT, AUTH + [404],
   params=[AGT], responses={200: ok("Discovery", "Certificates and SSH keys")}, tag="agents")
op("get", "/v1/admin/password-requests", "listPasswordRequests", "Agents' password requests (agents:admin)",
   TENANT, AUTH + [422], params=[query("status", enum("pending", "approved", "rejected"))],
   responses={200: ok("PasswordRequests", "Requests")}, tag="agents")
PWR = id_param("id", "pwr_", 24, "A password request")
op("post", "/v1/admin/password-requests/{id}/approve", "approvePasswordRequest",
   "Approve: a generated password becomes the path's next version", TENANT, AUTH + [404, 409],
   params=[PWR], responses={200: ok("PasswordRequest", "Approved")}, tag="agents")
op("post", "/v1/admin/password-requests/{id}/reject", "rejectPasswordRequest", "Reject", TENANT,
   AUTH + [404, 409, 422], params=[PWR], body="Rejection",
   responses={200: ok("PasswordRequest", "Rejected")}, tag="agents")
op("post", "/v1/grants", "createGrant", "Grant an agent a path for some actions", TENANT, AUTH + [404, 409, 422],
   body="NewGrant", responses={201: ok("Grant", "Granted")}, tag="agents")
op("get", "/v1/grants", "listGrants", "Grants, of one agent or all", TENANT, AUTH + [422],
   params=[query("agent_id", id_of("agt_", 24, "An agent"))], responses={200: ok("Grants", "Grants")}, tag="agents")
op("delete", "/v1/grants/{id}", "deleteGrant", "Delete a grant", TENANT, AUTH + [404],
   params=[id_param("id", "grt_", 24, "A grant")], responses={204: ok(None, "Deleted")}, tag="agents")

# People.
USR = id_param("id", "usr_", 24, "A user")
ROL = id_param("id", "rol_", 24, "A role")
REQ = id_param("id", "req_", 24, "An access request")
op("post", "/v1/auth/login", "login", "Log in as a user: a 12-hour JWT", PUBLIC, [400, 401, 422, 429],
   body="Login", responses={200: ok("LoggedIn", "Logged in", rate=False)}, tag="people")
op("post", "/v1/users", "createUser", "Create a user (users:admin)", TENANT, AUTH + [409, 422], body="NewUser",
   responses={201: ok("User", "Created")}, tag="people")
op("get", "/v1/users", "listUsers", "Users", TENANT, AUTH, responses={200: ok("Users", "Users")}, tag="people")
op("delete", "/v1/users/{id}", "deleteUser", "Delete a user", TENANT, AUTH + [404, 409], params=[USR],
   responses={204: ok(None, "Deleted")}, tag="people")
op("post", "/v1/users/{id}/reinstate", "reinstateUser",
   "Reinstate a user a cascading revocation suspended (admin)", TENANT, AUTH + [404, 409], params=[USR],
   responses={200: ok("User", "Reinstated")}, tag="people")
op("get", "/v1/users/{id}/roles", "userRoles", "A user's roles (one's own, or users:admin)", TENANT, AUTH + [404],
   params=[USR], responses={200: ok("Roles", "Roles")}, tag="people")
op("get", "/v1/permissions", "permissions", "The permission catalog", TENANT, AUTH,
   responses={200: ok("Permissions", "The catalog")}, tag="people")
op("post", "/v1/roles", "createRole", "Create a role (roles:admin)", TENANT, AUTH + [409, 422], body="NewRole",
   responses={201: ok("Role", "Created")}, tag="people")
op("get", "/v1/roles", "listRoles", "Roles, built-in ones first", TENANT, AUTH,
   responses={200: ok("Roles", "Roles")}, tag="people")
op("get", "/v1/roles/{id}", "getRole", "A role", TENANT, AUTH + [404], params=[ROL],
   responses={200: ok("Role", "The role")}, tag="people")
op("delete", "/v1/roles/{id}", "deleteRole", "Delete a role (not a built-in one)", TENANT, AUTH + [404, 409],
   params=[ROL], responses={204: ok(None, "Deleted")}, tag="people")
op("put", "/v1/roles/{id}/permissions", "setRolePermissions", "Replace a role's permissions", TENANT,
   AUTH + [404, 409, 422], params=[ROL], body="RolePermissions", responses={200: ok("Role", "The role")},
   tag="people")
op("post", "/v1/user-roles", "createUserRole", "Assign a role to a user (users:admin)", TENANT,
   AUTH + [404, 409, 422], body="NewUserRole", responses={201: ok("UserRole", "Assigned")}, tag="people")
op("get", "/v1/user-roles", "listUserRoles", "Role assignments", TENANT, AUTH + [422],
   params=[query("user_id", id_of("usr_", 24, "A user")), query("role_id", id_of("rol_", 24, "A role"))],
   responses={200: ok("UserRoles", "Assignments")}, tag="people")
op("delete", "/v1/user-roles/{id}", "deleteUserRole", "Remove a role assignment", TENANT, AUTH + [404],
   params=[id_param("id", "urs_", 24, "A role assignment")], responses={204: ok(None, "Removed")}, tag="people")
op("post", "/v1/requests/read", "createReadRequest", "Ask to read a secret; approved reads become a wrap", TENANT,
   AUTH + [404, 409, 422], body="ReadRequest", responses={201: ok("AccessRequest", "Pending")}, tag="requests")
op("post", "/v1/requests", "createPatchRequest", "Propose a new value for a secret", TENANT,
   AUTH + [404, 409, 422], body="PatchRequest", responses={201: ok("AccessRequest", "Pending")}, tag="requests")
op("get", "/v1/requests", "listRequests", "Access requests", TENANT, AUTH + [422],
   params=[query("requester_id", string(minLength=1, maxLength=64)),
           query("status", enum("pending", "approved", "rejected", "expired", "cancelled"))],
   responses={200: ok("AccessRequests", "Requests")}, tag="requests")
op("get", "/v1/requests/{id}", "getRequest", "An access request with its approvals", TENANT, AUTH + [404],
   params=[REQ], responses={200: ok("AccessRequest", "The request")}, tag="requests")
op("post", "/v1/requests/{id}/approve", "approveRequest", "Approve an access request", TENANT,
   AUTH + [404, 409, 422], params=[REQ], body="ApproveBody", body_required=False,
   responses={200: ok("AccessRequest", "Recorded")}, tag="requests")
op("post", "/v1/requests/{id}/reject", "rejectRequest", "Reject an access request", TENANT,
   AUTH + [404, 409, 422], params=[REQ], body="DenyBody", body_required=False,
   responses={200: ok("AccessRequest", "Rejected")}, tag="requests")
op("post", "/v1/requests/{id}/cancel", "cancelRequest", "Cancel one's own access request", TENANT,
   AUTH + [404, 409], params=[REQ], responses={200: ok("AccessRequest", "Cancelled")}, tag="requests")
op("get", "/v1/requests/{id}/wraps", "requestWraps", "The request's wraps (summaries)", TENANT, AUTH + [404],
   params=[REQ], responses={200: ok("Wraps", "Wraps")}, tag="requests")
op("get", "/v1/requests/{id}/wraps/{wrap_id}", "requestWrap", "The wrapped value, once", TENANT,
   AUTH + [404, 410], params=[REQ, id_param("wrap_id", "wrp_", 24, "A wrap")],
   responses={200: ok("Unwrapped", "The value")}, tag="requests")
op("post", "/v1/wraps", "createWrap", "Wrap a value or a secret's current value in a single-use token", TENANT,
   AUTH + [404, 409, 422], body="NewWrap", responses={201: ok("WrapCreated", "Wrapped")}, tag="requests")
op("post", "/v1/wraps/unwrap", "unwrap", "Unwrap, exactly once (the wrap token is the credential)", PUBLIC,
   [400, 404, 410, 422], body="Unwrap", responses={200: ok("Unwrapped", "The value", rate=False)}, tag="requests")

# Vault KV v2 compatibility (`/v1/secret/…`, mount `secret`): Vault's shapes, not Latchkey's.
# Errors are `{"errors": [...]}` (a missing secret: an empty list). The credential is a Latchkey
# token in X-Vault-Token (or the bearer). PUT is accepted wherever POST is, and LIST wherever
# `GET …?list=true` is, as in Vault; OpenAPI cannot describe LIST, and the PUT aliases are left
# out so that each route has one operation.
SCHEMAS["VaultErrors"] = obj({"errors": arr(string())}, description="Vault's error body")
SCHEMAS["VaultEnvelope"] = obj(
    {
        "request_id": string(),
        "lease_id": string(),
        "renewable": boolean(),
        "lease_duration": integer(),
        "data": {"description": "The answer: a version's data and metadata, a secret's metadata, or `keys`"},
        "wrap_info": {"type": "null"},
        "warnings": {"type": "null"},
        "auth": {"type": "null"},
        "mount_type": string(),
    },
    description="Vault's response envelope",
)
SCHEMAS["KvWrite"] = obj(
    {"data": string_map(max_pairs=100, description="The secret's fields: names [A-Za-z0-9._-], string values")},
    {"options": obj({}, {"cas": integer(description="0: only if new; N: only over version N")}, extra=True),
     "version": integer()},
)
SCHEMAS["KvVersions"] = obj({"versions": arr(integer(minimum=1), minItems=1, maxItems=100)})
KVPATH = {
    "name": "kvpath",
    "in": "path",
    "required": True,
    "description": "The secret path with its slashes kept (`production/db`); each segment may be percent-encoded, but not '/' itself",
    "schema": {**SECRET_PATH, "example": "app-db"},
}
VAULT = [{"vaultToken": []}, {"tenantBearer": []}]


def vault_errors(*statuses):
    out = {}
    for status in statuses:
        out[status] = {
            "description": f"Vault's error body ({status})",
            "content": {"application/json": {"schema": ref("VaultErrors")}},
        }
    return out


def vault_ok(description, status=200):
    if status == 204:
        return {status: ok(None, description)}
    return {status: ok("VaultEnvelope", description)}


KV_ERRORS = (400, 401, 403, 404, 429)
op("get", "/v1/secret/data/{kvpath}", "kvReadData", "Vault KV v2: read the current version, or ?version=N",
   VAULT, [], params=[KVPATH, query("version", integer()), PURPOSE],
   responses={**vault_errors(*KV_ERRORS), **vault_ok("The version's data and metadata"),
              404: {"description": "No such secret or version (`errors: []`); a deleted or destroyed version answers the envelope with `data.data: null`",
                    "content": {"application/json": {"schema": {"anyOf": [ref("VaultErrors"), ref("VaultEnvelope")]}}}}},
   tag="vault")
op("post", "/v1/secret/data/{kvpath}", "kvWriteData", "Vault KV v2: write a new version (options.cas checks the current one); PUT too",
   VAULT, [], params=[KVPATH], body="KvWrite",
   responses={**vault_errors(*KV_ERRORS), **vault_ok("The new version's metadata")}, tag="vault")
op("delete", "/v1/secret/data/{kvpath}", "kvDeleteLatest", "Vault KV v2: soft-delete the current version",
   VAULT, [], params=[KVPATH], responses={**vault_errors(*KV_ERRORS), **vault_ok("Deleted", 204)}, tag="vault")
op("get", "/v1/secret/metadata/{kvpath}", "kvReadMetadata", "Vault KV v2: a secret's metadata and versions, or with ?list=true the keys under a folder",
   VAULT, [], params=[KVPATH, query("list", enum("true", "false"))],
   responses={**vault_errors(*KV_ERRORS), **vault_ok("Metadata, or `keys`")}, tag="vault")
op("delete", "/v1/secret/metadata/{kvpath}", "kvDeleteMetadata", "Vault KV v2: erase every version and the metadata",
   VAULT, [], params=[KVPATH], responses={**vault_errors(*KV_ERRORS), **vault_ok("Erased", 204)}, tag="vault")
for action, op_id, summary in [
    ("delete", "kvDeleteVersions", "soft-delete versions"),
    ("undelete", "kvUndeleteVersions", "undelete versions"),
    ("destroy", "kvDestroyVersions", "destroy versions (their ciphertext is erased for good)"),
]:
    op("post", f"/v1/secret/{action}/{{kvpath}}", op_id, f"Vault KV v2: {summary}; PUT too", VAULT, [],
       params=[KVPATH], body="KvVersions",
       responses={**vault_errors(*KV_ERRORS), **vault_ok("Done", 204)}, tag="vault")
op("get", "/v1/sys/internal/ui/mounts/{mountpath}", "kvMountInfo",
   "The `vault kv` CLI's preflight: the `secret/` mount is KV version 2", PUBLIC, [],
   params=[{"name": "mountpath", "in": "path", "required": True, "description": "`secret` and what follows it",
            "schema": string(example="secret")}],
   responses={**vault_errors(404, 405), 200: ok("VaultEnvelope", "The mount", rate=False)}, tag="vault")

# POST /v1/bench/baseline is not documented: it exists only on runtimes started with
# BENCH=true (scripts/bench) and answers 404 everywhere else.

# ---------------------------------------------------------------- assembly


def operation(o):
    responses = {}
    for status, response in sorted(o["responses"].items()):
        responses[str(status)] = response
    for status in sorted(set(o["statuses"])):
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    out = {
        "operationId": o["op_id"],
        "summary": o["summary"],
        "tags": [o["tag"]],
        "security": o["security"],
        "responses": responses,
    }
    if o["description"]:
        out["description"] = o["description"]
    if o["params"]:
        out["parameters"] = o["params"]
    if o["body"]:
        out["requestBody"] = {
            "required": o["body_required"],
            "content": {"application/json": {"schema": body_ref(o["body"])}},
        }
    if o["form"]:
        out["requestBody"] = {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": o["form"]}},
        }
    return out


def document():
    paths = {}
    for o in OPERATIONS:
        paths.setdefault(o["path"], {})[o["method"]] = operation(o)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Latchkey",
            "version": "1",
            "description": "A hosted, multi-tenant secret store for AI agents. Every error is "
            "`{\"error\": {\"code\", \"message\", …}}` (components.schemas.Error). Request bodies "
            "are JSON objects (Content-Type: application/json, at most 1 MiB); an unknown member "
            "is a 422 naming it. Secret paths in URLs are one percent-encoded segment. A known "
            "URL with another method is a 405 with Allow. Every response carries X-Request-Id; "
            "every authenticated tenant response carries the rate-limit headers.",
        },
        "servers": [{"url": "/", "description": "The origin serving this document"}],
        "tags": [{"name": t} for t in dict.fromkeys(o["tag"] for o in OPERATIONS)],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "tenantBearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A tenant credential: the master key (lk_live_…), a scoped "
                    "token (lk_tok_…) or a user's login JWT",
                },
                "agentJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An agent's JWT from /v1/agents/register or refresh-token",
                },
                "vaultToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Vault-Token",
                    "description": "A Latchkey tenant credential, as Vault clients send their token (the Vault KV v2 routes)",
                },
                "operatorKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The operator key (the Worker secret OPERATOR_KEY), for /v1/admin/tenants and /v1/admin/audit",
                },
            },
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "headers": HEADERS,
            "parameters": PARAMETERS,
        },
    }


def render():
    return json.dumps(document(), indent=1, ensure_ascii=False) + "\n"


def main():
    text = render()
    if sys.argv[1:] == ["--check"]:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            sys.exit(f"{OUT.relative_to(ROOT)} is stale: run python3 scripts/openapi.py")
        return
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(OPERATIONS)} operations, {len(text)} bytes")


if __name__ == "__main__":
    main()
