//! Tokens, approvals, policies, notifications, the review page and the audit trail.

use crate::json::Json;
use crate::obj;
use crate::operation::{
    AUTH, Operation, Parameters, auth_and, html_pages, ok, ok_schema, ok_with, query,
    query_described,
};
use crate::schema::{
    array, bounded, enumeration, integer, object, record, schema_ref, string, time,
};
use latchkey_core::approval::{APPROVAL_HEX_DIGITS, APPROVAL_PREFIX, MAX_COMMENT_BYTES};
use latchkey_core::audit::{DEFAULT_LIMIT as AUDIT_DEFAULT_LIMIT, MAX_LIMIT as AUDIT_MAX_LIMIT};
use latchkey_core::token::{TOKEN_ID_HEX, TOKEN_ID_PREFIX};

use super::{TENANT, body, short_filter, true_or_false};

pub(super) fn tokens_and_approvals(params: &mut Parameters) -> Vec<Operation> {
    let approval_status = || enumeration(["pending", "approved", "denied", "expired", "cancelled"]);
    let mut out = vec![
        Operation::new(
            "post",
            "/v1/tokens",
            "createToken",
            "Mint a scoped token (202 when its reach needs approval)",
            "tokens",
        )
        .security(TENANT)
        .errors(&auth_and(&[409, 422]))
        .body(body("TokenRequest"))
        .respond(201, ok("TokenCreated", "The token, shown once"))
        .respond(
            202,
            ok("ApprovalPending", "Approval required; poll the approval"),
        ),
        Operation::new(
            "get",
            "/v1/tokens",
            "listTokens",
            "Tokens' metadata",
            "tokens",
        )
        .security(TENANT)
        .errors(&AUTH)
        .respond(
            200,
            ok_schema(
                record(obj! { "tokens" => array(schema_ref("TokenSummary")) }),
                "Tokens",
            ),
        ),
        Operation::new(
            "delete",
            "/v1/tokens/{id}",
            "revokeToken",
            "Revoke a token (and every token minted from it)",
            "tokens",
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![params.id(
            "id",
            TOKEN_ID_PREFIX,
            TOKEN_ID_HEX,
            "A token",
        )])
        .respond(200, ok("Revoked", "Revoked")),
        Operation::new(
            "get",
            "/v1/approvals",
            "listApprovals",
            "Token approval requests",
            "approvals",
        )
        .security(TENANT)
        .errors(&AUTH)
        .params(vec![query("status", approval_status())])
        .respond(
            200,
            ok_schema(
                record(obj! { "approvals" => array(schema_ref("Approval")) }),
                "Approvals",
            ),
        ),
    ];
    let apr = params.id("id", APPROVAL_PREFIX, APPROVAL_HEX_DIGITS, "An approval");
    out.extend([
        Operation::new(
            "get",
            "/v1/approvals/{id}",
            "getApproval",
            "An approval request; the requester's first poll after release carries the token",
            "approvals",
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![apr.clone()])
        .respond(200, ok("Approval", "The request")),
        Operation::new(
            "post",
            "/v1/approvals/{id}/approve",
            "approveApproval",
            "Approve (needs approvals:decide; never one's own)",
            "approvals",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![apr.clone()])
        .optional_body(body("ApproveBody"))
        .respond(200, ok("Approval", "Recorded")),
        Operation::new(
            "post",
            "/v1/approvals/{id}/deny",
            "denyApproval",
            "Deny",
            "approvals",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![apr.clone()])
        .optional_body(body("DenyBody"))
        .respond(200, ok("Approval", "Denied")),
        Operation::new(
            "post",
            "/v1/approvals/{id}/cancel",
            "cancelApproval",
            "Cancel (the requester, or an approver in the cancel window)",
            "approvals",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409]))
        .params(vec![apr.clone()])
        .respond(200, ok("Approval", "Cancelled")),
        Operation::new(
            "get",
            "/v1/policies",
            "getPolicies",
            "Approval policies and their defaults",
            "approvals",
        )
        .security(TENANT)
        .errors(&AUTH)
        .respond(200, ok("Policies", "Policies")),
        Operation::new(
            "put",
            "/v1/policies",
            "setPolicies",
            "Replace the per-namespace approval policies",
            "approvals",
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .body(body("PoliciesBody"))
        .respond(200, ok("Policies", "Policies")),
        Operation::new(
            "get",
            "/v1/notifications",
            "getNotifications",
            "Approval channels, without their secrets",
            "approvals",
        )
        .security(TENANT)
        .errors(&AUTH)
        .respond(200, ok("Notifications", "Channels")),
        Operation::new(
            "put",
            "/v1/notifications",
            "setNotifications",
            "Replace the approval channels",
            "approvals",
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .body(body("NotificationsBody"))
        .respond(200, ok("Notifications", "Channels")),
        Operation::new(
            "get",
            "/approvals/{id}/review",
            "reviewPage",
            "The approver's page (HTML) behind a signed link",
            "approvals",
        )
        .params(vec![
            apr.clone(),
            query_described("t", string(), "The link's token"),
        ])
        .respond_all(html_pages(&[
            (200, "The review page (or a page asking for a link)"),
            (400, "Refusal page"),
            (403, "Refusal page: forged or wrong link"),
            (404, "Refusal page: no such request"),
            (409, "Refusal page: already decided"),
            (410, "Refusal page: link used or expired"),
        ]))
        .describe(
            "For people, not programs: every answer is an HTML page. GET never uses the link up.",
        ),
        Operation::new(
            "post",
            "/approvals/{id}/review",
            "reviewDecision",
            "The approver's decision from the page (HTML)",
            "approvals",
        )
        .params(vec![apr])
        .form(object(
            obj! { "t" => string(), "decision" => enumeration(["approve", "deny"]) },
            obj! { "note" => string().with("maxLength", MAX_COMMENT_BYTES) },
        ))
        .respond_all(html_pages(&[
            (200, "Decision recorded"),
            (400, "Refusal page: bad form"),
            (403, "Refusal page: forged or wrong link"),
            (404, "Refusal page: no such request"),
            (409, "Refusal page: already decided"),
            (410, "Refusal page: link used or expired"),
            (429, "Refusal page: rate limited"),
        ])),
    ]);
    out
}

pub(super) fn audit() -> Vec<Operation> {
    let sse_event = obj! {
        "type" => "object",
        "description" => "One server-sent event: `id` is the audit event's seq, `event` its type (or \
            `end`, `error`), `data` the AuditEvent (or the reason) as JSON; the stream opens with \
            `retry: 1000` and sends `: keepalive` comments when idle",
        "properties" => obj! {
            "id" => string().with("pattern", "^[0-9]+$"),
            "event" => string(),
            "data" => string().with("contentMediaType", "application/json"),
            "retry" => integer(0),
        },
    };
    let mut params: Vec<Json> = ["namespace", "actor", "type", "correlation_id"]
        .into_iter()
        .map(|name| query(name, short_filter()))
        .collect();
    params.extend([
        query("since", time()),
        query("until", time()),
        query("success", true_or_false()),
        query_described(
            "limit",
            bounded(1, u64::from(AUDIT_MAX_LIMIT)),
            &format!("Default {AUDIT_DEFAULT_LIMIT}; the page size of an export"),
        ),
        query("cursor", string()),
        query("format", enumeration(["json", "jsonl", "csv"])),
    ]);
    vec![
        Operation::new(
            "get",
            "/v1/audit",
            "readAudit",
            "Audit events, newest first; format=jsonl|csv streams an export",
            "audit",
        )
        .security(TENANT)
        .errors(&AUTH)
        .params(params)
        .respond(
            200,
            ok(
                "AuditPage",
                "A page (JSON) or the whole selection (JSONL, CSV)",
            )
            .with(
                "content",
                obj! {
                    "application/json" => obj! { "schema" => schema_ref("AuditPage") },
                    "application/x-ndjson" => obj! { "schema" => string() },
                    "text/csv" => obj! { "schema" => string() },
                },
            ),
        ),
        Operation::new(
            "get",
            "/v1/audit/verify",
            "verifyAudit",
            "Check the hash chain",
            "audit",
        )
        .security(TENANT)
        .errors(&AUTH)
        .respond(200, ok("AuditVerify", "The report")),
        Operation::new(
            "get",
            "/v1/metrics",
            "tenantMetrics",
            "Prometheus exposition of the tenant's figures (needs audit:read; scrape with a bearer token)",
            "audit",
        )
        .security(TENANT)
        .errors(&AUTH)
        .respond(
            200,
            ok_with(
                "Prometheus text exposition (format 0.0.4)",
                true,
                Some((latchkey_core::metrics::CONTENT_TYPE, string())),
            ),
        ),
        Operation::new(
            "get",
            "/v1/events",
            "eventStream",
            "New audit events as server-sent events (resume with Last-Event-ID)",
            "audit",
        )
        .security(TENANT)
        .errors(&AUTH)
        .params(vec![obj! {
            "name" => "Last-Event-ID",
            "in" => "header",
            "required" => false,
            "schema" => string().with("pattern", "^([0-9]{1,19}|evt_[0-9a-f]{16})$"),
        }])
        .respond(
            200,
            ok_with(
                "An event stream (ends after 10 minutes); the schema is that of one event",
                true,
                Some(("text/event-stream", sse_event)),
            ),
        ),
    ]
}
