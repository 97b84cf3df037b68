//! The tenant object's command dispatch: each command to its module, token creation with
//! its approval check, and the rule that lowering a tier needs an admin.

use super::*;
use crate::contract::SecretJson;
use crate::requests::Decision as AccessDecision;

impl Tenant {
    pub(super) fn execute(
        &self,
        command: TenantCommand,
        principal: &Principal,
        ctx: &SecretContext<'_>,
    ) -> TenantResult {
        use TenantCommand as C;
        use TenantReply as R;
        match command {
            C::CreateSecret { secret } => secrets::create(ctx, secret).map(R::SecretCreated),
            C::GetSecret { path, version } => secrets::read(ctx, &path, version).and_then(|read| {
                SecretJson::of(&read)
                    .map(R::Secret)
                    .map_err(|e| internal("encode a read", e))
            }),
            C::UpdateSecret {
                path,
                update,
                if_match,
            } => secrets::update(ctx, &path, update, if_match).map(R::SecretUpdated),
            C::RotateSecret { path, rotation } => {
                secrets::rotate(ctx, &path, rotation).map(R::SecretRotated)
            }
            C::ListVersions { path } => {
                secrets::versions(ctx, &path).map(|versions| R::Versions { versions })
            }
            C::DeleteSecret { path, permanent } => {
                secrets::delete(ctx, &path, permanent).map(|()| R::Deleted)
            }
            C::RestoreSecret { path } => secrets::restore(ctx, &path).map(R::SecretRestored),
            C::ListSecrets { query } => {
                listing::list(ctx, &query, &principal.scopes()).map(R::SecretList)
            }
            C::SetField { path, field, value } => {
                fields::set_one(ctx, &path, field, value).map(R::FieldStored)
            }
            C::SetFields { path, fields } => {
                fields::set_many(ctx, &path, fields).map(R::FieldsStored)
            }
            C::GetField { path, field } => fields::get_one(ctx, &path, field).map(R::Field),
            C::GetFields { path } => fields::get_all(ctx, &path).map(R::Fields),
            C::DeleteField { path, field } => {
                fields::delete_one(ctx, &path, &field).map(|()| R::Deleted)
            }
            C::Info => self.info(ctx),
            C::Touch => Ok(R::Counted),
            C::CreateToken { request } => self.create_token(ctx, principal, request),
            C::GetNotifications => notifications::load_config(ctx)
                .map(|config| R::Notifications {
                    view: config.public_view(),
                })
                .map_err(|f| match f {
                    crate::store::Failure::Client(e) => e,
                    crate::store::Failure::Storage(e) => internal("notifications", e),
                }),
            C::SetNotifications { config } => {
                notifications::save_config(ctx, &config).map(|()| R::Notifications {
                    view: config.public_view(),
                })
            }
            C::GetApproval { id } => approvals::get(ctx, principal, &id).map(R::Approval),
            C::ListApprovals { status } => {
                approvals::list(ctx, status).map(|approvals| R::Approvals { approvals })
            }
            C::ApproveRequest { id, comment } => approvals::decide(
                ctx,
                &principal.actor(),
                true,
                &id,
                Decision::Approve(comment),
            )
            .map(R::Approval),
            C::DenyRequest { id, reason } => {
                approvals::decide(ctx, &principal.actor(), true, &id, Decision::Deny(reason))
                    .map(R::Approval)
            }
            C::CancelRequest { id } => {
                let may_decide = principal.scopes().covers(&Scope::ApprovalsDecide);
                approvals::decide(ctx, &principal.actor(), may_decide, &id, Decision::Cancel)
                    .map(R::Approval)
            }
            C::GetPolicies => approvals::load_policies(ctx.storage)
                .map(R::Policies)
                .map_err(|e| internal("load policies", e)),
            C::SetPolicies { policies } => {
                approvals::save_policies(ctx.storage, &policies).map(|()| R::Policies(policies))
            }
            C::ListTokens => access::list(ctx.storage).map(|tokens| R::Tokens { tokens }),
            C::ReadAudit { query } => audit::page(ctx.storage, &query)
                .map(R::AuditPage)
                .map_err(|e| internal("audit page", e)),
            C::VerifyAudit => audit::verify(ctx.storage, ctx.tenant_id)
                .map(R::AuditVerified)
                .map_err(|e| internal("audit verify", e)),
            C::OpenStream { after } => self.stream(ctx, after),
            C::RevokeToken { id } => {
                access::revoke(ctx.storage, principal, &id, ctx.now).map(|cascaded| {
                    cascaded
                        .into_iter()
                        .for_each(|event| ctx.record_also(event));
                    R::TokenRevoked { id }
                })
            }
            C::CreateBootstrap { request } => {
                agents::create_bootstrap(ctx, principal, request).map(R::BootstrapCreated)
            }
            C::RegisterAgent { registration } => match principal {
                Principal::Bootstrap(bootstrap) => {
                    agents::register(ctx, bootstrap, registration).map(R::AgentRegistered)
                }
                _ => Err(internal("register", "not a bootstrap token")),
            },
            C::RefreshAgentToken => {
                as_agent(principal).and_then(|agent| agents::refresh(ctx, agent).map(R::AgentJwt))
            }
            C::ReportHealth { report } => as_agent(principal).and_then(|agent| {
                agents::report_health(ctx, agent, &report)
                    .map(|commands| R::AgentCommands { commands })
            }),
            C::AgentSecrets => as_agent(principal).and_then(|agent| {
                let everything = ListQuery::parse([("limit", "200")])?;
                let page = listing::list(ctx, &everything, &agent.scopes())?;
                Ok(R::AgentSecrets {
                    grants: agent.grants.clone(),
                    secrets: page.items,
                })
            }),
            C::ListAgents { query } => {
                agents::list(ctx, &query).map(|(data, pagination)| R::Agents { data, pagination })
            }
            C::RevokeAgent { id } => agents::revoke(ctx, &id).map(|()| R::AgentRevoked { id }),
            C::ReinstateAgent { id } => {
                agents::reinstate(ctx, &id).map(|()| R::AgentReinstated { id })
            }
            C::ReinstateUser { id } => people::reinstate(ctx, &id).map(R::User),
            C::QueueAgentCommand { id, command } => {
                agents::queue_command(ctx, principal, &id, command).map(R::AgentCommandQueued)
            }
            C::GetAgentSettings => agents::load_settings(ctx.storage)
                .map(R::AgentSettings)
                .map_err(|e| internal("agent settings", e)),
            C::SetAgentSettings { settings } => {
                agents::save_settings(ctx.storage, settings).map(R::AgentSettings)
            }
            C::CreateGrant { request } => {
                agents::create_grant(ctx, principal, request).map(R::GrantCreated)
            }
            C::ListGrants { agent_id } => agents::grants_of(ctx.storage, agent_id.as_ref())
                .map(|grants| R::Grants { grants })
                .map_err(|e| internal("list grants", e)),
            C::DeleteGrant { id } => agents::delete_grant(ctx.storage, &id).map(|()| R::Deleted),
            C::ReportCertificates { certificates } => as_agent(principal).and_then(|agent| {
                agents::discovery::report_certificates(ctx, agent, &certificates)
                    .map(R::DiscoveryStored)
            }),
            C::ReportSshKeys { keys } => as_agent(principal).and_then(|agent| {
                agents::discovery::report_ssh_keys(ctx, agent, &keys).map(R::DiscoveryStored)
            }),
            C::AgentDiscovery { id } => {
                agents::discovery::of_agent(ctx, &id).map(|(certificates, ssh_keys)| R::Discovery {
                    agent_id: id,
                    certificates,
                    ssh_keys,
                })
            }
            C::AgentCertificates => as_agent(principal).and_then(|agent| {
                agents::discovery::managed_certificates(ctx, agent)
                    .map(|certificates| R::AgentCertificates { certificates })
            }),
            C::CreatePasswordRequest { request } => as_agent(principal).and_then(|agent| {
                agents::passwords::create(ctx, principal, agent, request).map(R::PasswordRequest)
            }),
            C::CollectPasswordRequests => as_agent(principal).and_then(|agent| {
                agents::passwords::collect(ctx, principal, agent)
                    .map(|data| R::PasswordRequests { data })
            }),
            C::ListPasswordRequests { status } => {
                agents::passwords::list(ctx, status).map(|data| R::PasswordRequests { data })
            }
            C::ApprovePasswordRequest { id } => {
                agents::passwords::approve(ctx, principal, &id).map(R::PasswordRequest)
            }
            C::RejectPasswordRequest { id, reason } => {
                agents::passwords::reject(ctx, principal, &id, reason).map(R::PasswordRequest)
            }
            C::CreateUser { user } => people::create(ctx, principal, user).map(R::User),
            C::ListUsers => people::list(ctx.storage).map(|users| R::Users { users }),
            C::DeleteUser { id } => people::delete(ctx, principal, &id).map(|()| R::Deleted),
            C::UserRoles { id } => {
                people::roles::of_user(ctx.storage, principal, &id).map(|roles| R::Roles { roles })
            }
            C::Permissions => Ok(R::Counted),
            C::CreateRole { role } => people::roles::create(ctx, principal, role).map(R::Role),
            C::ListRoles => people::roles::list(ctx.storage).map(|roles| R::Roles { roles }),
            C::GetRole { id } => people::roles::get(ctx.storage, &id).map(R::Role),
            C::SetRolePermissions { id, permissions } => {
                people::roles::set_permissions(ctx, principal, &id, permissions).map(R::Role)
            }
            C::DeleteRole { id } => people::roles::delete(ctx, principal, &id).map(|()| R::Deleted),
            C::CreateUserRole { request } => {
                people::roles::assign(ctx, principal, request).map(R::UserRole)
            }
            C::ListUserRoles { user_id, role_id } => people::roles::assignments(
                ctx.storage,
                principal,
                user_id.as_ref(),
                role_id.as_ref(),
            )
            .map(|user_roles| R::UserRoles { user_roles }),
            C::DeleteUserRole { id } => {
                people::roles::unassign(ctx, principal, &id).map(|()| R::Deleted)
            }
            C::CreateAccessRequest { request } => requests::create(ctx, principal, request)
                .map(|request| R::AccessRequest { request }),
            C::ListAccessRequests { query } => requests::list(ctx, principal, &query)
                .map(|requests| R::AccessRequests { requests }),
            C::GetAccessRequest { id } => {
                requests::get(ctx, principal, &id).map(|request| R::AccessRequest { request })
            }
            C::ApproveAccess { id, comment } => {
                requests::decide(ctx, principal, &id, AccessDecision::Approve(comment))
                    .map(|request| R::AccessRequest { request })
            }
            C::RejectAccess { id, reason } => {
                requests::decide(ctx, principal, &id, AccessDecision::Reject(reason))
                    .map(|request| R::AccessRequest { request })
            }
            C::CancelAccess { id } => requests::decide(ctx, principal, &id, AccessDecision::Cancel)
                .map(|request| R::AccessRequest { request }),
            C::RequestWraps { id } => {
                requests::wraps_of(ctx, principal, &id).map(|wraps| R::Wraps { wraps })
            }
            C::RequestWrap { id, wrap_id } => {
                requests::retrieve(ctx, principal, &id, &wrap_id).map(R::Unwrapped)
            }
            C::CreateWrap { wrap } => wraps::create(ctx, principal, wrap).map(R::WrapCreated),
            C::KvRead { path, version } => kv::read(ctx, &path, version).map(R::KvRead),
            C::KvWrite { path, write } => kv::write(ctx, &path, write).map(R::KvWritten),
            C::KvMetadata { path } => kv::metadata(ctx, &path).map(R::KvMetadata),
            C::KvList { prefix } => {
                kv::list(ctx, prefix.as_ref(), &principal.scopes()).map(|keys| R::KvKeys { keys })
            }
            C::KvDelete { path, versions } => {
                kv::change_versions(ctx, &path, versions, kv::VersionChange::Delete)
                    .map(|()| R::Deleted)
            }
            C::KvUndelete { path, versions } => {
                kv::change_versions(ctx, &path, Some(versions), kv::VersionChange::Undelete)
                    .map(|()| R::Deleted)
            }
            C::KvDestroy { path, versions } => {
                kv::change_versions(ctx, &path, Some(versions), kv::VersionChange::Destroy)
                    .map(|()| R::Deleted)
            }
            C::UseSecrets { secrets, target } => {
                self.release_secrets(ctx, principal, &secrets, &target)
            }
            C::Ping
            | C::FinishUse { .. }
            | C::LoginChallenge { .. }
            | C::Login { .. }
            | C::Unwrap { .. }
            | C::Init { .. }
            | C::SetPlan { .. }
            | C::PollStream { .. }
            | C::BenchBaseline
            | C::ReviewLink { .. }
            | C::DecideByLink { .. } => Err(internal(
                "dispatch",
                "command without a caller on the tenant path",
            )),
        }
    }

    /// `POST /v1/tokens`: minted at once when the scope reaches nothing that needs approval,
    /// else an approval request (→ 202).
    fn create_token(
        &self,
        ctx: &SecretContext<'_>,
        principal: &Principal,
        request: TokenRequest,
    ) -> TenantResult {
        let request = access::narrow(principal, request, ctx.now)?;
        let reach = approvals::reach(ctx.storage, &request.scope)
            .map_err(|e| internal("approval reach", e))?;
        if reach.requirement.approvals == 0 {
            let created = in_transaction(ctx.storage, "create token", || {
                access::mint(
                    ctx.storage,
                    ctx.tenant_id,
                    &principal.actor(),
                    &request,
                    latchkey_core::gate::Clearance {
                        tier: reach.tier,
                        approvals: Some(reach.requirement.approvals),
                    },
                    ctx.now,
                    access::not_after(principal),
                )
            })?;
            return Ok(TenantReply::TokenCreated(created));
        }
        approvals::open(ctx, principal, request, &reach, self.approval_ttl_seconds)
            .map(TenantReply::ApprovalPending)
    }

    fn info(&self, ctx: &SecretContext<'_>) -> TenantResult {
        let loaded = self
            .load()?
            .ok_or_else(|| internal("info", "tenant not loaded"))?;
        maintenance::info(ctx, &loaded.tenant_id, loaded.plan).map(TenantReply::Info)
    }

    /// Lowering a secret's tier weakens who must approve access to it, and changing its
    /// `allowed_hosts` changes where it may be sent: only an admin may do either.
    pub(super) fn check_retier(
        &self,
        storage: &Storage,
        principal: &Principal,
        command: &TenantCommand,
    ) -> Result<(), ApiError> {
        let TenantCommand::UpdateSecret { path, update, .. } = command else {
            return Ok(());
        };
        if update.change.tier.is_none() && update.change.allowed_hosts.is_none() {
            return Ok(());
        }
        if principal.scopes().covers(&Scope::Admin) {
            return Ok(());
        }
        let stored =
            crate::store::load_secret(storage, path).map_err(|e| internal("secret metadata", e))?;
        // Where a secret may be sent decides where its fields (and, through `use`, anyone's
        // use of it) can go: writing a value must not be enough to redirect those.
        if let (Some(new_hosts), Some(row)) = (&update.change.allowed_hosts, &stored)
            && *new_hosts != row.metadata.allowed_hosts
        {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                format!("changing the allowed_hosts of '{path}' needs an admin"),
            )
            .with("path", path.as_str())
            .with("required_scope", "admin"));
        }
        let Some(new_tier) = update.change.tier else {
            return Ok(());
        };
        let current = stored.map(|row| row.metadata.tier);
        match current {
            Some(tier) if new_tier < tier => Err(ApiError::new(
                ErrorCode::PermissionDenied,
                format!(
                    "lowering '{path}' from {} to {} needs an admin",
                    tier.as_str(),
                    new_tier.as_str()
                ),
            )
            .with("path", path.as_str())
            .with("required_scope", "admin")),
            _ => Ok(()),
        }
    }
}

/// The agent behind an agent-only command (access has checked it already).
fn as_agent(principal: &Principal) -> Result<&agents::AgentPrincipal, ApiError> {
    match principal {
        Principal::Agent(agent) => Ok(agent),
        _ => Err(internal("agent command", "not an agent")),
    }
}
