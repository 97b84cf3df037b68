//! The tenant object's SQLite schema, as a list of migrations. `init` applies all of them in
//! the same transaction as the tenant row, so an object either has all of it or none of it;
//! an object created by an older build is brought up to date, in one transaction, the first
//! time it is loaded.

/// Migration `i` takes the schema from version `i` to version `i + 1`.
pub const MIGRATIONS: &[&[&str]] = &[
    // 1: the tenant, its secrets and their versions.
    &[
        // One row: who this object is, and the keys it needs.
        "CREATE TABLE IF NOT EXISTS tenant (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            tenant_id TEXT NOT NULL,
            name TEXT NOT NULL,
            plan TEXT NOT NULL,
            master_key_hash TEXT NOT NULL,
            wrapped_tenant_key BLOB NOT NULL,
            root_key_id TEXT NOT NULL,
            schema_version INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        )",
        // One row per secret path: metadata and the current version (0 while the secret has
        // fields only). Never a value.
        "CREATE TABLE IF NOT EXISTS secrets (
            path TEXT PRIMARY KEY,
            current_version INTEGER NOT NULL,
            tier TEXT NOT NULL,
            description TEXT,
            tags TEXT NOT NULL,
            max_versions INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            accessed_at INTEGER,
            expires_at INTEGER,
            deleted_at INTEGER
        )",
        // One row per kept version: the sealed value. `expires_at` is set by a rotation (the
        // end of the grace period); `destroyed_at` when the ciphertext was erased.
        "CREATE TABLE IF NOT EXISTS secret_versions (
            path TEXT NOT NULL,
            version INTEGER NOT NULL,
            wrapped_data_key BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER,
            destroyed_at INTEGER,
            PRIMARY KEY (path, version)
        )",
    ],
    // 2: fields, each sealed on its own; the maintenance alarm's lookups.
    &[
        "CREATE TABLE IF NOT EXISTS secret_fields (
            path TEXT NOT NULL,
            name TEXT NOT NULL,
            wrapped_data_key BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (path, name)
        )",
        "CREATE INDEX IF NOT EXISTS secrets_deleted_at ON secrets (deleted_at)
            WHERE deleted_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS secret_versions_expires_at ON secret_versions (expires_at)
            WHERE expires_at IS NOT NULL",
    ],
    // 3: scoped tokens, the rate-limit window, a per-tenant rate limit set by the operator.
    &[
        // One row per token: only the SHA-256 of its value. `created_by` is `master` or the
        // minting token's id.
        "CREATE TABLE IF NOT EXISTS tokens (
            id TEXT PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            scopes TEXT NOT NULL,
            description TEXT,
            allowed_ips TEXT NOT NULL,
            max_uses INTEGER,
            uses INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked_at INTEGER,
            created_by TEXT NOT NULL
        )",
        // The current one-minute window: persisted so an evicted object still counts exactly.
        "CREATE TABLE IF NOT EXISTS rate_window (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            start_ms INTEGER NOT NULL,
            count INTEGER NOT NULL
        )",
        "ALTER TABLE tenant ADD COLUMN rate_limit_per_minute INTEGER",
    ],
    // 4: approval requests, their decisions, and the tenant's approval policies.
    &[
        // The token request waits here (scopes, TTL, IPs: no secret). The token itself is
        // minted only when the requester polls after approval; only its id is kept here.
        "CREATE TABLE IF NOT EXISTS approvals (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            requester TEXT NOT NULL,
            required INTEGER NOT NULL,
            cancel_window_seconds INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            approved_at INTEGER,
            released INTEGER NOT NULL,
            requester_description TEXT,
            token_request TEXT NOT NULL,
            tier TEXT NOT NULL,
            secrets_reached INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            token_id TEXT,
            token_expires_at INTEGER
        )",
        "CREATE INDEX IF NOT EXISTS approvals_pending ON approvals (expires_at)
            WHERE status = 'pending'",
        "CREATE TABLE IF NOT EXISTS approval_decisions (
            approval_id TEXT NOT NULL,
            approver TEXT NOT NULL,
            decision TEXT NOT NULL,
            note TEXT,
            at INTEGER NOT NULL
        )",
        "CREATE INDEX IF NOT EXISTS approval_decisions_by_request
            ON approval_decisions (approval_id)",
        "CREATE TABLE IF NOT EXISTS policies (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            rules TEXT NOT NULL
        )",
    ],
    // 5: notification channels (sealed), the delivery outbox, used approval links.
    &[
        "CREATE TABLE IF NOT EXISTS notification_config (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            wrapped_data_key BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            updated_at INTEGER NOT NULL
        )",
        // One row per message to send. The link is not stored: it is signed again from
        // (request, approver, expiry, nonce) when the message is sent.
        "CREATE TABLE IF NOT EXISTS deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            approval_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            recipient TEXT NOT NULL,
            nonce TEXT NOT NULL UNIQUE,
            link_expires_at INTEGER NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt_at INTEGER,
            last_error TEXT,
            sent_at INTEGER
        )",
        "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at)
            WHERE status = 'pending'",
        "CREATE INDEX IF NOT EXISTS deliveries_by_request ON deliveries (approval_id)",
        "CREATE TABLE IF NOT EXISTS used_links (
            nonce TEXT PRIMARY KEY,
            approval_id TEXT NOT NULL,
            approver TEXT NOT NULL,
            used_at INTEGER NOT NULL
        )",
        // Refused link uses, until the audit trail recorded them (dropped by migration 8).
        "CREATE TABLE IF NOT EXISTS link_refusals (
            approval_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            at INTEGER NOT NULL
        )",
        "ALTER TABLE approvals ADD COLUMN origin TEXT NOT NULL DEFAULT ''",
    ],
    // 6: the tier each token was cleared for; tokens from before default to the lowest.
    &[
        "ALTER TABLE tokens ADD COLUMN cleared_tier TEXT NOT NULL DEFAULT 'standard'",
        "CREATE INDEX IF NOT EXISTS tokens_created_by ON tokens (created_by)",
    ],
    // 7: the audit trail, a hash chain (`latchkey_core::audit`), and how far D1 has a copy.
    &[
        "CREATE TABLE IF NOT EXISTS audit_events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            path TEXT,
            actor TEXT NOT NULL,
            actor_description TEXT,
            ip TEXT,
            user_agent TEXT,
            timestamp INTEGER NOT NULL,
            success INTEGER NOT NULL,
            correlation_id TEXT,
            reason TEXT,
            details TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )",
        "CREATE INDEX IF NOT EXISTS audit_by_correlation ON audit_events (correlation_id)",
        "CREATE INDEX IF NOT EXISTS audit_by_type ON audit_events (type, seq)",
        "CREATE TABLE IF NOT EXISTS audit_export (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            exported_seq INTEGER NOT NULL
        )",
    ],
    // 8: refused link uses are audit events now (`link.refused`).
    &["DROP TABLE IF EXISTS link_refusals"],
    // 9: agents: bootstrap tokens (hashed), agents, their queued commands, the
    // tenant's heartbeat interval, and grants.
    &[
        "CREATE TABLE IF NOT EXISTS agent_bootstrap_tokens (
            id TEXT PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            labels TEXT NOT NULL,
            max_registrations INTEGER NOT NULL,
            registrations INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            created_by TEXT NOT NULL
        )",
        "CREATE TABLE IF NOT EXISTS agents (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            hostname TEXT,
            os_type TEXT,
            labels TEXT NOT NULL,
            bootstrap_id TEXT NOT NULL,
            registered_at INTEGER NOT NULL,
            last_heartbeat INTEGER,
            report TEXT,
            revoked_at INTEGER
        )",
        "CREATE TABLE IF NOT EXISTS agent_commands (
            id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL,
            type TEXT NOT NULL,
            params TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            delivered_at INTEGER
        )",
        "CREATE INDEX IF NOT EXISTS agent_commands_pending ON agent_commands (agent_id, created_at)
            WHERE delivered_at IS NULL",
        "CREATE TABLE IF NOT EXISTS agent_settings (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            heartbeat_interval_seconds INTEGER NOT NULL
        )",
        "CREATE TABLE IF NOT EXISTS grants (
            id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL,
            path TEXT NOT NULL,
            actions TEXT NOT NULL,
            cleared_tier TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL
        )",
        "CREATE INDEX IF NOT EXISTS grants_by_agent ON grants (agent_id)",
        "CREATE INDEX IF NOT EXISTS grants_by_path ON grants (path)",
    ],
    // 10: what agents discover (one row per agent and fingerprint: re-reports update it), and
    // agents' password requests (no password is stored here: approval writes a version).
    &[
        "CREATE TABLE IF NOT EXISTS discovered_certificates (
            agent_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            item TEXT NOT NULL,
            not_after INTEGER NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            PRIMARY KEY (agent_id, fingerprint)
        )",
        "CREATE TABLE IF NOT EXISTS discovered_ssh_keys (
            agent_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            item TEXT NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            PRIMARY KEY (agent_id, fingerprint)
        )",
        "CREATE TABLE IF NOT EXISTS password_requests (
            id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL,
            path TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            decided_at INTEGER,
            decided_by TEXT,
            decision_reason TEXT,
            version INTEGER,
            delivered_at INTEGER
        )",
        "CREATE INDEX IF NOT EXISTS password_requests_by_agent
            ON password_requests (agent_id, created_at)",
    ],
    // 11: people: users (a PBKDF2 hash, never a password), custom roles (the
    // built-in ones live in code) and who holds which, the failed-login throttle, access
    // requests (a patch's value sealed while it waits) with their decisions, and wraps.
    &[
        "CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kdf_salt TEXT NOT NULL,
            kdf_iterations INTEGER NOT NULL,
            password_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            last_login_at INTEGER
        )",
        "CREATE TABLE IF NOT EXISTS roles (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT,
            permissions TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL
        )",
        "CREATE TABLE IF NOT EXISTS user_roles (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            role_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            UNIQUE (user_id, role_id)
        )",
        "CREATE INDEX IF NOT EXISTS user_roles_by_role ON user_roles (role_id)",
        "CREATE TABLE IF NOT EXISTS login_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            window_start INTEGER NOT NULL,
            locked_until INTEGER
        )",
        "CREATE TABLE IF NOT EXISTS access_requests (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            reason TEXT NOT NULL,
            requester TEXT NOT NULL,
            tier TEXT NOT NULL,
            state TEXT NOT NULL,
            status TEXT NOT NULL,
            ttl_seconds INTEGER,
            wrapped_data_key BLOB,
            ciphertext BLOB,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            decided_at INTEGER,
            wrap_id TEXT,
            applied_version INTEGER
        )",
        "CREATE INDEX IF NOT EXISTS access_requests_by_requester
            ON access_requests (requester, created_at)",
        "CREATE INDEX IF NOT EXISTS access_requests_by_status
            ON access_requests (status, expires_at)",
        "CREATE TABLE IF NOT EXISTS access_request_decisions (
            request_id TEXT NOT NULL,
            approver TEXT NOT NULL,
            decision TEXT NOT NULL,
            note TEXT,
            at INTEGER NOT NULL
        )",
        "CREATE INDEX IF NOT EXISTS access_request_decisions_by_request
            ON access_request_decisions (request_id)",
        "CREATE TABLE IF NOT EXISTS wraps (
            id TEXT PRIMARY KEY,
            token_hash TEXT UNIQUE,
            request_id TEXT,
            owner TEXT NOT NULL,
            path TEXT,
            version INTEGER,
            wrapped_data_key BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            retrieved_at INTEGER
        )",
        "CREATE INDEX IF NOT EXISTS wraps_by_request ON wraps (request_id)",
    ],
    // 12: Vault KV v2's per-version soft delete (`latchkey_core::vault`).
    &["ALTER TABLE secret_versions ADD COLUMN deleted_at INTEGER"],
    // 13: the broker (`latchkey_core::broker`): where each secret may be sent (JSON rules,
    // NULL for none), and the calls whose values are out but whose outcome the Worker has
    // not reported yet (the sweep records them as unfinished).
    &[
        "ALTER TABLE secrets ADD COLUMN allowed_hosts TEXT",
        "CREATE TABLE IF NOT EXISTS broker_calls (
            id TEXT PRIMARY KEY,
            actor TEXT NOT NULL,
            origin TEXT NOT NULL,
            events TEXT NOT NULL,
            released_at INTEGER NOT NULL
        )",
    ],
    // 14: security (issue 11). How many approvals cleared a token (NULL: minted before this
    // was recorded; the tier alone decides). Revocation cascades down the provenance chain:
    // bootstrap tokens are revoked, agents and users suspended (with the reason, until an
    // admin reinstates them), grants made by a revoked credential suspended. Access requests
    // filed for a path the requester could not see keep their tier from the requester.
    &[
        "ALTER TABLE tokens ADD COLUMN cleared_approvals INTEGER",
        "ALTER TABLE agent_bootstrap_tokens ADD COLUMN revoked_at INTEGER",
        "ALTER TABLE agents ADD COLUMN suspended_at INTEGER",
        "ALTER TABLE agents ADD COLUMN suspended_reason TEXT",
        "ALTER TABLE users ADD COLUMN suspended_at INTEGER",
        "ALTER TABLE users ADD COLUMN suspended_reason TEXT",
        "ALTER TABLE grants ADD COLUMN suspended_at INTEGER",
        "ALTER TABLE access_requests ADD COLUMN blind INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX IF NOT EXISTS bootstrap_by_creator ON agent_bootstrap_tokens (created_by)",
        "CREATE INDEX IF NOT EXISTS agents_by_bootstrap ON agents (bootstrap_id)",
        "CREATE INDEX IF NOT EXISTS users_by_creator ON users (created_by)",
        "CREATE INDEX IF NOT EXISTS grants_by_creator ON grants (created_by)",
    ],
    // 15: the MaestroVault face (seed 003): tokens with no expiry (`expires_at` NULL; SQLite
    // cannot drop a NOT NULL, so the table is rebuilt with the same rows), and the tenant's
    // setting that allows them (1, the default) or forbids them (0), set by the operator.
    &[
        "CREATE TABLE tokens_v15 (
            id TEXT PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            scopes TEXT NOT NULL,
            description TEXT,
            allowed_ips TEXT NOT NULL,
            max_uses INTEGER,
            uses INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            expires_at INTEGER,
            last_used_at INTEGER,
            revoked_at INTEGER,
            created_by TEXT NOT NULL,
            cleared_tier TEXT NOT NULL DEFAULT 'standard',
            cleared_approvals INTEGER
        )",
        "INSERT INTO tokens_v15 (id, hash, scopes, description, allowed_ips, max_uses, uses,
            created_at, expires_at, last_used_at, revoked_at, created_by, cleared_tier,
            cleared_approvals)
         SELECT id, hash, scopes, description, allowed_ips, max_uses, uses, created_at,
            expires_at, last_used_at, revoked_at, created_by, cleared_tier, cleared_approvals
         FROM tokens",
        "DROP TABLE tokens",
        "ALTER TABLE tokens_v15 RENAME TO tokens",
        "CREATE INDEX IF NOT EXISTS tokens_created_by ON tokens (created_by)",
        "ALTER TABLE tenant ADD COLUMN non_expiring_tokens INTEGER NOT NULL DEFAULT 1",
    ],
    // 16: the seed-002 Vault face (issue 21, `latchkey_core::faces::vault002`). Every secret
    // gets a stable id (`sec_` and 24 hex digits; existing secrets get one here, new ones when
    // they are created). Agents are found by name: a name is unique among agents not revoked
    // from now on (registration refuses a taken one); duplicates from before stay, and naming
    // one of them answers 409.
    &[
        "ALTER TABLE secrets ADD COLUMN id TEXT",
        "UPDATE secrets SET id = 'sec_' || lower(hex(randomblob(12))) WHERE id IS NULL",
        "CREATE UNIQUE INDEX IF NOT EXISTS secrets_by_id ON secrets (id)",
        "CREATE INDEX IF NOT EXISTS agents_by_name ON agents (name)",
    ],
    // 17: OAuth for /mcp (issue 22, `latchkey_core::oauth`). A grant is a token row with an
    // audience (the MCP resource; such a token works nowhere else), the client it was granted
    // to, and its rotating refresh token (by hash; the previous one is kept to detect its
    // reuse, which ends the grant). Codes are single-use: redeemed ones stay, with the token
    // they became, until they expire, so a replayed code can revoke that token. Which MCP
    // clients may use value-returning tools is the tenant's (`McpValueTools`: bearer clients
    // only by default).
    &[
        "ALTER TABLE tokens ADD COLUMN audience TEXT",
        "ALTER TABLE tokens ADD COLUMN oauth_client TEXT",
        "ALTER TABLE tokens ADD COLUMN refresh_hash TEXT",
        "ALTER TABLE tokens ADD COLUMN previous_refresh_hash TEXT",
        "ALTER TABLE tokens ADD COLUMN refresh_expires_at INTEGER",
        "CREATE UNIQUE INDEX IF NOT EXISTS tokens_by_refresh ON tokens (refresh_hash)",
        "CREATE INDEX IF NOT EXISTS tokens_by_previous_refresh ON tokens (previous_refresh_hash)",
        "CREATE TABLE oauth_codes (
            hash TEXT PRIMARY KEY,
            client_id TEXT NOT NULL,
            client_name TEXT NOT NULL,
            redirect_uri TEXT NOT NULL,
            code_challenge TEXT NOT NULL,
            resource TEXT NOT NULL,
            user_id TEXT NOT NULL,
            scopes TEXT NOT NULL,
            cleared_tier TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            token_id TEXT
        )",
        "ALTER TABLE tenant ADD COLUMN mcp_value_tools TEXT NOT NULL DEFAULT 'bearer'",
    ],
    // 18: the agent plane, issue 23, seed 001's agents and jobs (`durable-objects/src/agents/
    // plane.rs`, `jobs.rs`). A minted agent is an `agents` row with the SHA-256 of its
    // `X-Agent-Secret` (its maker in `bootstrap_id`, as a registered agent's bootstrap token
    // is). Jobs are queued per agent; a claim leases one until `lease_expires_at`.
    &[
        "ALTER TABLE agents ADD COLUMN secret_hash TEXT",
        "CREATE UNIQUE INDEX IF NOT EXISTS agents_by_secret ON agents (secret_hash)",
        "CREATE TABLE IF NOT EXISTS agent_jobs (
            id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL,
            type TEXT NOT NULL,
            params TEXT NOT NULL,
            status TEXT NOT NULL,
            source TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_expires_at INTEGER,
            completed_at INTEGER,
            error TEXT
        )",
        "CREATE INDEX IF NOT EXISTS agent_jobs_open ON agent_jobs (agent_id, created_at)
            WHERE status IN ('queued', 'claimed')",
    ],
    // 19: issue 23, wire envelopes and discovered secrets.
    // An agent's X25519 public key (one, replaced on re-registration); the data keys issued to
    // it, kept only wrapped under the tenant key (the agent got its copy sealed to its key);
    // and the discovered secrets its agents report: metadata only, keyed by cluster, provider
    // and reference, with no column that could hold a value.
    &[
        "CREATE TABLE agent_public_keys (
            agent_id TEXT PRIMARY KEY,
            public_key BLOB NOT NULL,
            registered_at INTEGER NOT NULL
        )",
        "CREATE TABLE agent_deks (
            id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL,
            wrapped_key BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            created_at INTEGER NOT NULL
        )",
        "CREATE INDEX agent_deks_by_agent ON agent_deks (agent_id, created_at)",
        "CREATE TABLE discovered_secrets (
            id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL,
            cluster_name TEXT NOT NULL,
            provider TEXT NOT NULL,
            ref TEXT NOT NULL,
            key_names TEXT NOT NULL,
            labels TEXT NOT NULL,
            status TEXT NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            UNIQUE (cluster_name, provider, ref)
        )",
    ],
    // 20: issue 23, requests that agents carry out (`durable-objects/src/agents/carried.rs`).
    // A request on a discovered secret is an `access_requests` row with `secret_id` (and path
    // ''), and the job its approval queued. A patch's data is kept only sealed to the holding
    // agent's X25519 key (`agent_wraps`: the base64 text of the ciphertext), until the agent
    // retrieves it once or the request ends; then it is zeroed.
    &[
        "ALTER TABLE access_requests ADD COLUMN secret_id TEXT",
        "ALTER TABLE access_requests ADD COLUMN job_id TEXT",
        "CREATE TABLE agent_wraps (
            id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL,
            request_id TEXT NOT NULL UNIQUE,
            ephemeral_public_key TEXT NOT NULL,
            nonce TEXT NOT NULL,
            ciphertext BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            retrieved_at INTEGER
        )",
    ],
    // 21: issue 24, GitOps observation through Argo CD (`durable-objects/src/gitops.rs`). The
    // tenant's gate (off until the operator turns it on, as seed 001's `SB_GITOPS_ENABLED`);
    // the Argo CD endpoints, each API token only sealed under the tenant key (its data key
    // wrapped, as a secret's value); the mappings from an application to what it uses
    // (discovered secret ids and stored paths, JSON lists), deleted with their endpoint.
    &[
        "ALTER TABLE tenant ADD COLUMN gitops_enabled INTEGER NOT NULL DEFAULT 0",
        "CREATE TABLE argocd_endpoints (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            url TEXT NOT NULL,
            token_wrapped_key BLOB NOT NULL,
            token_ciphertext BLOB NOT NULL,
            enabled INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            created_by TEXT NOT NULL
        )",
        "CREATE TABLE gitops_app_mappings (
            id TEXT PRIMARY KEY,
            endpoint_id TEXT NOT NULL,
            app_name TEXT NOT NULL,
            secret_ids TEXT NOT NULL,
            paths TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE (endpoint_id, app_name)
        )",
    ],
    // 22: issue 24 (projects and environments, `durable-objects/src/projects.rs`). An
    // environment scopes stored secrets by a path prefix (unique, so the longest one that
    // holds a path decides) and discovered secrets by cluster (a cluster is in one environment
    // at most). No row here holds or points from a secret: deleting one removes only a scope.
    &[
        "CREATE TABLE projects (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        )",
        "CREATE TABLE environments (
            id TEXT PRIMARY KEY,
            project_id TEXT NOT NULL,
            name TEXT NOT NULL,
            path_prefix TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            UNIQUE (project_id, name)
        )",
        "CREATE TABLE environment_clusters (
            cluster_name TEXT PRIMARY KEY,
            environment_id TEXT NOT NULL
        )",
        "CREATE INDEX environment_clusters_by_environment ON environment_clusters (environment_id)",
    ],
    // 23: issue 24, an environment also scopes the discovered secrets of the agents it names
    // (those whose cluster no environment names). An agent is in one environment at most.
    &[
        "CREATE TABLE environment_agents (
            agent_id TEXT PRIMARY KEY,
            environment_id TEXT NOT NULL
        )",
        "CREATE INDEX environment_agents_by_environment ON environment_agents (environment_id)",
    ],
    // 24: issue 25 (the web console, `durable-objects/src/console.rs`). A console session
    // is kept only as its credential's hash, with its person and its clocks (the idle timeout
    // runs from `last_seen_at`); logging out or ending deletes the row.
    &[
        "CREATE TABLE console_sessions (
            hash TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        )",
        "CREATE INDEX console_sessions_by_user ON console_sessions (user_id)",
    ],
    // 25: issue 24, workflows and policies (`durable-objects/src/workflows.rs`). A workflow's
    // stages are one JSON list (read whole, never queried into). A policy's criteria are one
    // JSON object written in one member order, so the UNIQUE refuses two policies with exactly
    // the same criteria. Requests in flight keep the stages they opened with: `progress`
    // (JSON, `latchkey_core::workflow::progress::Progress`) on each kind of request, NULL for
    // rows from before, which run as they always did. A token cleared through explicit
    // workflows records them with their revisions (`cleared_workflows`, JSON).
    &[
        "CREATE TABLE workflows (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT,
            stages TEXT NOT NULL,
            cancel_window_seconds INTEGER NOT NULL,
            revision INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        )",
        "CREATE TABLE workflow_policies (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT,
            workflow_id TEXT NOT NULL,
            criteria TEXT NOT NULL UNIQUE,
            enabled INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        )",
        "CREATE INDEX workflow_policies_by_workflow ON workflow_policies (workflow_id)",
        "ALTER TABLE approvals ADD COLUMN progress TEXT",
        "ALTER TABLE access_requests ADD COLUMN progress TEXT",
        "ALTER TABLE password_requests ADD COLUMN progress TEXT",
        "ALTER TABLE tokens ADD COLUMN cleared_workflows TEXT",
        // The stage a message was sent for: its link decides that stage only.
        "ALTER TABLE deliveries ADD COLUMN stage INTEGER",
    ],
    // 26: issue 24, every kind of request tells its stages' approvers (token, read, patch and
    // password requests): a message's row names the request by its id, whatever its kind
    // (`apr_`, `req_`, `pwr_`).
    &["ALTER TABLE deliveries RENAME COLUMN approval_id TO request_id"],
    // 27: issue 25, a discovered certificate or SSH key taken under management by a person
    // (`agents/discovery.rs`, `import`): when and by whom, beside the agent's report, which
    // later reports replace without touching these.
    &[
        "ALTER TABLE discovered_certificates ADD COLUMN imported_at INTEGER",
        "ALTER TABLE discovered_certificates ADD COLUMN imported_by TEXT",
        "ALTER TABLE discovered_ssh_keys ADD COLUMN imported_at INTEGER",
        "ALTER TABLE discovered_ssh_keys ADD COLUMN imported_by TEXT",
    ],
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The statements that take a schema from `from` to [`SCHEMA_VERSION`].
pub fn pending(from: i64) -> impl Iterator<Item = &'static str> {
    let skip = usize::try_from(from).unwrap_or(0);
    MIGRATIONS.iter().skip(skip).flat_map(|m| m.iter().copied())
}
