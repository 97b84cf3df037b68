//! Agents, their reports, password requests and grants.

use crate::components::agent_id;
use crate::operation::{
    AUTH, Operation, Parameters, auth_and, ok, ok_empty, query, query_described,
};
use crate::schema::{bounded, enumeration, string};
use latchkey_core::agent::{
    AgentId, DEFAULT_ACTIVITY_LIMIT, DEFAULT_PER_PAGE, GrantId, MAX_ACTIVITY_LIMIT,
    MAX_AGENT_SEARCH_BYTES, MAX_PAGE, MAX_PER_PAGE, PasswordRequestId,
};

use latchkey_core::agent::discovery::{DEFAULT_SSH_PAGE, MAX_SSH_PAGE};

use super::{AGENT, TENANT, body};

pub(super) fn agents(params: &mut Parameters) -> Vec<Operation> {
    let agt = params.id("id", AgentId::PREFIX, AgentId::HEX_DIGITS, "An agent");
    let mut out = vec![
        Operation::new(
            "post",
            "/v1/agents/bootstrap",
            "createBootstrap",
            "A bootstrap token for registering agents",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .body(body("Bootstrap"))
        .respond(201, ok("BootstrapCreated", "The token, shown once")),
        Operation::new(
            "post",
            "/v1/agents/register",
            "registerAgent",
            "Register with a bootstrap token (the body is the credential)",
            "agents",
        )
        .errors(&[400, 401, 403, 409, 422, 429])
        .body(body("Registration"))
        .respond(201, ok("AgentRegistered", "Registered")),
        Operation::new(
            "post",
            "/v1/agents/me/refresh-token",
            "refreshAgentToken",
            "A fresh JWT for a valid one",
            "agents",
        )
        .security(AGENT)
        .errors(&AUTH)
        .respond(200, ok("AgentJwt", "A new JWT")),
        Operation::new(
            "post",
            "/v1/agents/me/health",
            "reportHealth",
            "Heartbeat; answers the commands queued for the agent",
            "agents",
        )
        .security(AGENT)
        .errors(&auth_and(&[422]))
        .body(body("HealthReport"))
        .respond(200, ok("AgentCommands", "Queued commands, each once")),
        Operation::new(
            "get",
            "/v1/agents/me/secrets",
            "agentSecrets",
            "The agent's grants and the secrets they reach",
            "agents",
        )
        .security(AGENT)
        .errors(&AUTH)
        .respond(200, ok("AgentSecrets", "Grants and secrets")),
        Operation::new(
            "post",
            "/v1/agents/me/discovery/certificates",
            "reportCertificates",
            "Report certificates (≤ 1,000)",
            "agents",
        )
        .security(AGENT)
        .errors(&auth_and(&[422]))
        .body(body("CertificateReport"))
        .respond(200, ok("DiscoveryStored", "Stored")),
        Operation::new(
            "post",
            "/v1/agents/me/ssh-discovery",
            "reportSshKeys",
            "Report SSH keys (≤ 1,000)",
            "agents",
        )
        .security(AGENT)
        .errors(&auth_and(&[422]))
        .body(body("SshReport"))
        .respond(200, ok("DiscoveryStored", "Stored")),
        Operation::new(
            "get",
            "/v1/agents/me/certificates",
            "agentCertificates",
            "Certificates the agent manages",
            "agents",
        )
        .security(AGENT)
        .errors(&AUTH)
        .respond(200, ok("Certificates", "Certificates")),
        Operation::new(
            "post",
            "/v1/agents/me/password-requests",
            "createPasswordRequest",
            "Ask for a new password for a granted path",
            "agents",
        )
        .security(AGENT)
        .errors(&auth_and(&[404, 409, 422]))
        .body(body("NewPasswordRequest"))
        .respond(201, ok("PasswordRequest", "Pending")),
        Operation::new(
            "get",
            "/v1/agents/me/password-requests",
            "collectPasswordRequests",
            "The agent's requests; approved passwords once",
            "agents",
        )
        .security(AGENT)
        .errors(&AUTH)
        .respond(200, ok("PasswordRequests", "Requests")),
        Operation::new(
            "get",
            "/v1/agents",
            "listAgents",
            "The fleet, with derived status",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .params(vec![
            query(
                "status",
                enumeration(["online", "degraded", "offline", "revoked"]),
            ),
            query_described("label", string().with("pattern", "^[^=]+=.*$"), "key=value"),
            query_described(
                "search",
                string().with("maxLength", MAX_AGENT_SEARCH_BYTES),
                "Substring of the name or hostname",
            ),
            query("page", bounded(1, MAX_PAGE)),
            query_described(
                "per_page",
                bounded(1, MAX_PER_PAGE),
                &format!("Default {DEFAULT_PER_PAGE}"),
            ),
        ])
        .respond(200, ok("AgentList", "A page")),
        Operation::new(
            "get",
            "/v1/agents/settings",
            "getAgentSettings",
            "The heartbeat interval",
            "agents",
        )
        .security(TENANT)
        .errors(&AUTH)
        .respond(200, ok("AgentSettings", "Settings")),
        Operation::new(
            "put",
            "/v1/agents/settings",
            "setAgentSettings",
            "Set the heartbeat interval",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .body(body("AgentSettingsBody"))
        .respond(200, ok("AgentSettings", "Settings")),
        Operation::new(
            "post",
            "/v1/agents/{id}/revoke",
            "revokeAgent",
            "Revoke an agent",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![agt.clone()])
        .respond(200, ok("Revoked", "Revoked")),
        Operation::new(
            "post",
            "/v1/agents/{id}/reinstate",
            "reinstateAgent",
            "Reinstate an agent a cascading revocation suspended (admin)",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409]))
        .params(vec![agt.clone()])
        .respond(200, ok("Reinstated", "Reinstated")),
        Operation::new(
            "post",
            "/v1/agents/{id}/commands",
            "queueAgentCommand",
            "Queue a command for the agent's next heartbeat",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![agt.clone()])
        .body(body("Command"))
        .respond(201, ok("AgentCommand", "Queued")),
        Operation::new(
            "get",
            "/v1/agents/{id}/commands",
            "listAgentCommands",
            "The agent's newest commands (delivered_at once its heartbeat took them) and jobs, with their status",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 422]))
        .params(vec![
            agt.clone(),
            query_described(
                "limit",
                bounded(1, MAX_ACTIVITY_LIMIT),
                &format!("Of each list; default {DEFAULT_ACTIVITY_LIMIT}"),
            ),
        ])
        .respond(200, ok("AgentActivity", "Newest first")),
        Operation::new(
            "get",
            "/v1/agents/{id}/discovery",
            "agentDiscovery",
            "What the agent reported",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![agt.clone()])
        .respond(200, ok("Discovery", "Certificates and SSH keys")),
        Operation::new(
            "post",
            "/v1/agents/{id}/discovery/import",
            "importDiscovered",
            "Take a reported certificate or SSH key under management (agents:admin; the first import stands; an imported certificate is one of the agent's assigned certificates)",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 422]))
        .params(vec![agt])
        .body(body("DiscoveryImport"))
        .respond(200, ok("DiscoveryImported", "Imported")),
        Operation::new(
            "get",
            "/v1/ssh/discovery",
            "sshDiscovery",
            "Every agent's reported SSH keys (ssh:discover, which agents:admin covers; seed 000's /api/v1/ssh/discovery)",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .params(vec![
            query("agent_id", agent_id()),
            query_described(
                "limit",
                bounded(1, MAX_SSH_PAGE),
                &format!("Default {DEFAULT_SSH_PAGE}"),
            ),
            query_described(
                "cursor",
                string().with("pattern", "^[0-9]+$"),
                "next_cursor of the previous page",
            ),
        ])
        .respond(200, ok("SshKeyPage", "A page, oldest report first")),
        Operation::new(
            "get",
            "/v1/admin/password-requests",
            "listPasswordRequests",
            "Agents' password requests: every one for agents:admin; for a person or approvals:decide holder, those a workflow stage admits them to",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .params(vec![query(
            "status",
            enumeration(["pending", "approved", "rejected"]),
        )])
        .respond(200, ok("PasswordRequests", "Requests")),
    ];
    let pwr = params.id(
        "id",
        PasswordRequestId::PREFIX,
        PasswordRequestId::HEX_DIGITS,
        "A password request",
    );
    out.extend([
        Operation::new(
            "post",
            "/v1/admin/password-requests/{id}/approve",
            "approvePasswordRequest",
            "Approve: a generated password becomes the path's next version",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409]))
        .params(vec![pwr.clone()])
        .respond(200, ok("PasswordRequest", "Approved")),
        Operation::new(
            "post",
            "/v1/admin/password-requests/{id}/reject",
            "rejectPasswordRequest",
            "Reject",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![pwr])
        .body(body("Rejection"))
        .respond(200, ok("PasswordRequest", "Rejected")),
        Operation::new(
            "post",
            "/v1/grants",
            "createGrant",
            "Grant an agent a path for some actions",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .body(body("NewGrant"))
        .respond(201, ok("Grant", "Granted")),
        Operation::new(
            "get",
            "/v1/grants",
            "listGrants",
            "Grants, of one agent or all",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .params(vec![query("agent_id", agent_id())])
        .respond(200, ok("Grants", "Grants")),
        Operation::new(
            "delete",
            "/v1/grants/{id}",
            "deleteGrant",
            "Delete a grant",
            "agents",
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![params.id(
            "id",
            GrantId::PREFIX,
            GrantId::HEX_DIGITS,
            "A grant",
        )])
        .respond(204, ok_empty("Deleted")),
    ]);
    out
}
