//! The tenant object's command dispatch: each caller command to its module, answered as the
//! command's own reply type ([`answer`] ties the two), token creation with its approval
//! check, and the rule that lowering a tier needs an admin.

use super::*;
use crate::access_requests::Decision as AccessDecision;
use crate::audit_mapping::{self, Completes};
use latchkey_contract::Command;
use latchkey_contract::caller::access_requests::AccessRequestCommand as Req;
use latchkey_contract::caller::agent_plane::AgentPlaneCommand as Pln;
use latchkey_contract::caller::agents::{AgentPage, AgentReach, AgentsCommand as Agt, Discovery};
use latchkey_contract::caller::approvals::ApprovalCommand as Apr;
use latchkey_contract::caller::ass::AssCommand as Ass;
use latchkey_contract::caller::audit::AuditCommand as Aud;
use latchkey_contract::caller::broker::BrokerCommand;
use latchkey_contract::caller::carried::CarriedCommand as Car;
use latchkey_contract::caller::discovered::DiscoveredCommand as Dsc;
use latchkey_contract::caller::envelopes::EnvelopeCommand as Env;
use latchkey_contract::caller::fields::FieldCommand as Fld;
use latchkey_contract::caller::gitops::GitopsCommand as Git;
use latchkey_contract::caller::maestro::MaestroCommand as Mae;
use latchkey_contract::caller::metrics::MetricsCommand;
use latchkey_contract::caller::notifications::NotificationCommand as Ntf;
use latchkey_contract::caller::passwords::PasswordCommand as Pwd;
use latchkey_contract::caller::people::PeopleCommand as Ppl;
use latchkey_contract::caller::projects::ProjectCommand as Prj;
use latchkey_contract::caller::secrets::{SecretCommand as Sec, SecretJson, UpdateSecret};
use latchkey_contract::caller::socket::SocketCommand;
use latchkey_contract::caller::tenant::TenantCommand as Tnt;
use latchkey_contract::caller::tokens::{TokenCommand as Tok, TokenMinted};
use latchkey_contract::caller::vault::VaultCommand as Kv;
use latchkey_contract::caller::vault002::Vault002Command as V2;
use latchkey_contract::caller::wraps::WrapCommand;

mod workflows;

/// A caller command's encoded reply or error, and its audit event completed from it.
pub(super) struct Outcome {
    pub result: Encoded,
    pub draft: Draft,
}

/// Runs `command` and encodes its reply. The handler must answer the command's own reply
/// type: a mismatch does not compile.
fn answer<C: Command>(
    command: C,
    draft: Draft,
    run: impl FnOnce(C) -> Result<C::Reply, ApiError>,
) -> Outcome
where
    C::Reply: Completes,
{
    let result = run(command);
    let draft = audit_mapping::complete(draft, &result);
    Outcome {
        result: result.and_then(|reply| encode(&reply)),
        draft,
    }
}

fn storage_failure(context: &'static str) -> impl Fn(StorageError) -> ApiError {
    move |e| internal(context, e)
}

impl Tenant {
    pub(super) fn execute(
        &self,
        command: CallerCommand,
        principal: &Principal,
        ctx: &SecretContext<'_>,
        draft: Draft,
    ) -> Outcome {
        match command {
            CallerCommand::Secrets(command) => secret_command(command, principal, ctx, draft),
            CallerCommand::Fields(command) => field_command(command, ctx, draft),
            CallerCommand::Tenant(command) => match command {
                Tnt::Info(c) => answer(c, draft, |_| self.info(ctx)),
                Tnt::Touch(c) => answer(c, draft, |_| Ok(())),
                Tnt::CallerReach(c) => answer(c, draft, |_| {
                    Ok(latchkey_contract::caller::tenant::Reach {
                        reads_values: principal
                            .scopes()
                            .allows_somewhere(latchkey_core::scope::SecretAction::Read)
                            && !super::mcp_values_refused(
                                ctx.storage,
                                principal,
                                ctx.api
                                    .filter(|api| *api == latchkey_contract::Via::Mcp.as_str())
                                    .map(|_| latchkey_contract::Via::Mcp),
                            )?,
                    })
                }),
            },
            CallerCommand::Tokens(command) => match command {
                Tok::CreateToken(c) => {
                    answer(c, draft, |c| self.create_token(ctx, principal, c.request))
                }
                Tok::ListTokens(c) => answer(c, draft, |_| access::list(ctx.storage)),
                Tok::OAuthConsentView(c) => {
                    answer(c, draft, |_| crate::oauth::consent_view(principal))
                }
                Tok::GrantOAuthCode(c) => {
                    answer(c, draft, |c| crate::oauth::grant_code(ctx, principal, c))
                }
                Tok::RevokeToken(c) => answer(c, draft, |c| {
                    access::revoke(ctx.storage, principal, &c.id, ctx.now).map(|cascaded| {
                        cascaded
                            .into_iter()
                            .for_each(|event| ctx.record_also(event));
                    })
                }),
            },
            CallerCommand::Approvals(command) => approval_command(command, principal, ctx, draft),
            CallerCommand::Notifications(command) => match command {
                Ntf::GetNotifications(c) => answer(c, draft, |_| {
                    notifications::load_config(ctx)
                        .map(|config| config.public_view())
                        .map_err(|f| match f {
                            crate::store::Failure::Client(e) => e,
                            crate::store::Failure::Storage(e) => internal("notifications", e),
                        })
                }),
                Ntf::SetNotifications(c) => answer(c, draft, |c| {
                    notifications::save_config(ctx, &c.config).map(|()| c.config.public_view())
                }),
            },
            CallerCommand::Audit(command) => match command {
                Aud::ReadAudit(c) => answer(c, draft, |c| {
                    audit::page(ctx.storage, &c.query).map_err(storage_failure("audit page"))
                }),
                Aud::VerifyAudit(c) => answer(c, draft, |_| {
                    audit::verify(ctx.storage, ctx.tenant_id)
                        .map_err(storage_failure("audit verify"))
                }),
                Aud::OpenStream(c) => answer(c, draft, |c| self.stream(ctx, c.after)),
                Aud::PollStream(c) => answer(c, draft, |c| self.stream(ctx, Some(c.after))),
            },
            CallerCommand::Agents(command) => agent_command(command, principal, ctx, draft),
            CallerCommand::Passwords(command) => password_command(command, principal, ctx, draft),
            CallerCommand::People(command) => people_command(command, principal, ctx, draft),
            CallerCommand::AccessRequests(command) => {
                access_request_command(command, principal, ctx, draft)
            }
            CallerCommand::Wraps(WrapCommand::CreateWrap(c)) => {
                answer(c, draft, |c| wraps::create(ctx, principal, c.wrap))
            }
            CallerCommand::Vault(command) => vault_command(command, principal, ctx, draft),
            CallerCommand::Vault002(command) => vault002_command(command, principal, ctx, draft),
            CallerCommand::Broker(BrokerCommand::UseSecrets(c)) => answer(c, draft, |c| {
                self.release_secrets(ctx, principal, &c.secrets, &c.target)
            }),
            CallerCommand::Maestro(command) => match command {
                Mae::SetSecret(c) => answer(c, draft, |c| crate::maestro::set(ctx, c)),
                Mae::MintToken(c) => answer(c, draft, |c| {
                    if c.request.never_expires {
                        self.check_non_expiring_allowed(ctx)?;
                    }
                    self.create_token(ctx, principal, c.request)
                }),
            },
            CallerCommand::Ass(command) => ass_command(command, principal, ctx, draft),
            CallerCommand::AgentPlane(command) => plane_command(command, principal, ctx, draft),
            CallerCommand::Envelopes(command) => envelope_command(command, principal, ctx, draft),
            CallerCommand::Discovered(command) => {
                discovered_command(command, principal, ctx, draft)
            }
            CallerCommand::Carried(command) => carried_command(command, principal, ctx, draft),
            CallerCommand::Projects(command) => project_command(command, ctx, draft),
            CallerCommand::Workflows(command) => {
                workflows::workflow_command(command, ctx, draft, self.config.approval_ttl_seconds)
            }
            CallerCommand::Socket(SocketCommand::ConnectAgent(c)) => answer(c, draft, |c| {
                crate::agents::socket::connect(
                    ctx,
                    principal,
                    c.id.as_ref(),
                    c.since,
                    c.sockets_open,
                )
            }),
            CallerCommand::Gitops(command) => gitops_command(command, principal, ctx, draft),
            CallerCommand::Console(command) => console_command(command, principal, ctx, draft),
            CallerCommand::Metrics(MetricsCommand::ReadMetrics(c)) => answer(c, draft, |_| {
                self.metrics(ctx)
                    .map(|m| latchkey_contract::caller::metrics::Exposition(m.render()))
            }),
        }
    }

    /// `POST /v1/tokens`: minted at once when the scope reaches nothing that needs approval,
    /// else an approval request (→ 202).
    fn create_token(
        &self,
        ctx: &SecretContext<'_>,
        principal: &Principal,
        request: TokenRequest,
    ) -> Result<TokenMinted, ApiError> {
        let request = access::narrow(principal, request, ctx.now)?;
        let reach = crate::policies::reach(ctx.storage, &request.scope)
            .map_err(|e| internal("approval reach", e))?;
        // Issue 24: what the scope reaches runs through its workflows, then the default's
        // count for whatever no policy governs.
        let document = ctx
            .policy_cache
            .get(ctx.storage)
            .map_err(|e| internal("policies", e))?;
        let plan = crate::workflow_rules::token_plan(
            ctx.storage,
            &request.scope,
            &document,
            u64::try_from(self.config.approval_ttl_seconds).unwrap_or(0),
        )
        .map_err(|e| internal("approval plan", e))?;
        if request.never_expires && !plan.stages.is_empty() {
            // An approved token is released by the approval flow, which gives it an expiry.
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                format!(
                    "a token with no expiry cannot wait for approval, and this scope reaches {} secrets that need {}; give an expiry",
                    reach.tier.as_str(),
                    plan.stages.iter().map(|s| s.stage.approvals).sum::<u64>()
                ),
            ));
        }
        if plan.stages.is_empty() {
            let created = in_transaction(ctx.storage, "create token", || {
                let created = access::mint(
                    ctx.storage,
                    ctx.tenant_id,
                    &principal.actor(),
                    &request,
                    latchkey_core::gate::Clearance {
                        tier: reach.tier,
                        approvals: Some(plan.default.approvals),
                    },
                    ctx.now,
                    access::not_after(principal),
                )?;
                // No workflow cleared it: a secret a workflow governs later asks again.
                crate::workflow_rules::record_cleared(ctx.storage, &created.id, &[])?;
                Ok(created)
            })?;
            return Ok(TokenMinted::Created(created));
        }
        approvals::open(
            ctx,
            principal,
            request,
            &reach,
            plan,
            self.config.approval_ttl_seconds,
        )
        .map(|view| TokenMinted::Pending(Box::new(view)))
    }

    /// Whether the tenant allows tokens with no expiry (the operator's `non_expiring_tokens`,
    /// on by default): 403 when it forbids them.
    fn check_non_expiring_allowed(&self, ctx: &SecretContext<'_>) -> Result<(), ApiError> {
        let allowed = query_one(
            ctx.storage,
            "SELECT non_expiring_tokens FROM tenant",
            vec![],
        )
        .and_then(|row| row.map(|row| row.int(0)).transpose())
        .map_err(|e| internal("non_expiring_tokens", e))?;
        if allowed == Some(0) {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                "this tenant does not allow tokens with no expiry; give expires_in",
            ));
        }
        Ok(())
    }

    fn info(&self, ctx: &SecretContext<'_>) -> Result<TenantInfo, ApiError> {
        let loaded = self
            .load()?
            .ok_or_else(|| internal("info", "tenant not loaded"))?;
        maintenance::info(ctx, &loaded.tenant_id, loaded.plan)
    }

    /// Lowering a secret's tier weakens who must approve access to it, and changing its
    /// `allowed_hosts` changes where it may be sent: only an admin may do either.
    pub(super) fn check_retier(
        &self,
        storage: &Storage,
        principal: &Principal,
        command: &CallerCommand,
    ) -> Result<(), ApiError> {
        let CallerCommand::Secrets(Sec::UpdateSecret(UpdateSecret { path, update, .. })) = command
        else {
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

fn secret_command(
    command: Sec,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    match command {
        Sec::CreateSecret(c) => answer(c, draft, |c| secrets::create(ctx, c.secret)),
        Sec::GetSecret(c) => answer(c, draft, |c| {
            secrets::read(ctx, &c.path, c.version)
                .and_then(|read| SecretJson::of(&read).map_err(|e| internal("encode a read", e)))
        }),
        Sec::UpdateSecret(c) => answer(c, draft, |c| {
            secrets::update(ctx, &c.path, c.update, c.if_match)
        }),
        Sec::RotateSecret(c) => answer(c, draft, |c| secrets::rotate(ctx, &c.path, c.rotation)),
        Sec::ListVersions(c) => answer(c, draft, |c| secrets::versions(ctx, &c.path)),
        Sec::DeleteSecret(c) => answer(c, draft, |c| secrets::delete(ctx, &c.path, c.permanent)),
        Sec::RestoreSecret(c) => answer(c, draft, |c| secrets::restore(ctx, &c.path)),
        Sec::ListSecrets(c) => answer(c, draft, |c| {
            listing::list(ctx, &c.query, &principal.scopes())
        }),
    }
}

fn field_command(command: Fld, ctx: &SecretContext<'_>, draft: Draft) -> Outcome {
    match command {
        Fld::SetField(c) => answer(c, draft, |c| {
            fields::set_one(ctx, &c.path, c.field, c.value)
        }),
        Fld::SetFields(c) => answer(c, draft, |c| fields::set_many(ctx, &c.path, c.fields)),
        Fld::GetField(c) => answer(c, draft, |c| fields::get_one(ctx, &c.path, c.field)),
        Fld::GetFields(c) => answer(c, draft, |c| fields::get_all(ctx, &c.path)),
        Fld::DeleteField(c) => answer(c, draft, |c| fields::delete_one(ctx, &c.path, &c.field)),
    }
}

fn approval_command(
    command: Apr,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    let actor = principal.actor();
    match command {
        Apr::GetApproval(c) => answer(c, draft, |c| approvals::get(ctx, principal, &c.id)),
        Apr::ListApprovals(c) => answer(c, draft, |c| approvals::list(ctx, c.status)),
        Apr::ApproveRequest(c) => answer(c, draft, |c| {
            let may_decide = principal.scopes().covers(&Scope::ApprovalsDecide);
            approvals::decide(ctx, &actor, may_decide, &c.id, Decision::Approve(c.comment))
        }),
        Apr::DenyRequest(c) => answer(c, draft, |c| {
            let may_decide = principal.scopes().covers(&Scope::ApprovalsDecide);
            approvals::decide(ctx, &actor, may_decide, &c.id, Decision::Deny(c.reason))
        }),
        Apr::CancelRequest(c) => answer(c, draft, |c| {
            let may_decide = principal.scopes().covers(&Scope::ApprovalsDecide);
            approvals::decide(ctx, &actor, may_decide, &c.id, Decision::Cancel)
        }),
        Apr::GetPolicies(c) => answer(c, draft, |_| {
            crate::policies::load_policies(ctx.storage).map_err(storage_failure("load policies"))
        }),
        Apr::SetPolicies(c) => answer(c, draft, |c| {
            crate::policies::save_policies(ctx.storage, &c.policies).map(|()| c.policies)
        }),
    }
}

fn agent_command(
    command: Agt,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    match command {
        Agt::CreateBootstrap(c) => answer(c, draft, |c| {
            agents::create_bootstrap(ctx, principal, c.request)
        }),
        Agt::RegisterAgent(c) => answer(c, draft, |c| match principal {
            Principal::Bootstrap(bootstrap) => agents::register(ctx, bootstrap, c.registration),
            _ => Err(internal("register", "not a bootstrap token")),
        }),
        Agt::RefreshAgentToken(c) => answer(c, draft, |_| {
            as_agent(principal).and_then(|agent| agents::refresh(ctx, agent))
        }),
        Agt::ReportHealth(c) => answer(c, draft, |c| {
            as_agent(principal).and_then(|agent| agents::report_health(ctx, agent, &c.report))
        }),
        Agt::AgentSecrets(c) => answer(c, draft, |_| {
            let agent = as_agent(principal)?;
            let everything = ListQuery::parse([("limit", "200")])?;
            let page = listing::list(ctx, &everything, &agent.scopes())?;
            Ok(AgentReach {
                grants: agent.grants.clone(),
                secrets: page.items,
            })
        }),
        Agt::ListAgents(c) => answer(c, draft, |c| {
            agents::list(ctx, &c.query).map(|(data, pagination)| AgentPage { data, pagination })
        }),
        Agt::RevokeAgent(c) => answer(c, draft, |c| agents::revoke(ctx, &c.id)),
        Agt::ReinstateAgent(c) => answer(c, draft, |c| agents::reinstate(ctx, &c.id)),
        Agt::QueueAgentCommand(c) => answer(c, draft, |c| {
            agents::queue_command(ctx, principal, &c.id, c.command)
        }),
        Agt::ListAgentCommands(c) => {
            answer(c, draft, |c| agents::activity(ctx.storage, &c.id, c.limit))
        }
        Agt::GetAgentSettings(c) => answer(c, draft, |_| {
            agents::load_settings(ctx.storage).map_err(storage_failure("agent settings"))
        }),
        Agt::SetAgentSettings(c) => {
            answer(c, draft, |c| agents::save_settings(ctx.storage, c.settings))
        }
        Agt::CreateGrant(c) => answer(c, draft, |c| {
            agents::create_grant(ctx, principal, c.request)
        }),
        Agt::ListGrants(c) => answer(c, draft, |c| {
            agents::grants_of(ctx.storage, c.agent_id.as_ref())
                .map_err(storage_failure("list grants"))
        }),
        Agt::DeleteGrant(c) => answer(c, draft, |c| agents::delete_grant(ctx.storage, &c.id)),
        Agt::ReportCertificates(c) => answer(c, draft, |c| {
            as_agent(principal).and_then(|agent| {
                agents::discovery::report_certificates(ctx, agent, &c.certificates)
            })
        }),
        Agt::ReportSshKeys(c) => answer(c, draft, |c| {
            as_agent(principal)
                .and_then(|agent| agents::discovery::report_ssh_keys(ctx, agent, &c.keys))
        }),
        Agt::ListSshKeys(c) => answer(c, draft, |c| agents::discovery::ssh_keys(ctx, &c.query)),
        Agt::AgentDiscovery(c) => answer(c, draft, |c| {
            agents::discovery::of_agent(ctx, &c.id).map(|(certificates, ssh_keys)| Discovery {
                agent_id: c.id,
                certificates,
                ssh_keys,
            })
        }),
        Agt::AgentCertificates(c) => answer(c, draft, |_| {
            as_agent(principal)
                .and_then(|agent| agents::discovery::managed_certificates(ctx, agent))
        }),
        Agt::ImportDiscovered(c) => answer(c, draft, |c| {
            agents::discovery::import(ctx, principal, &c.id, &c.import)
        }),
    }
}

/// Issue 23's wire envelopes: the path's agent must be the caller ([`agents::envelopes::own`]).
fn envelope_command(
    command: Env,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    use agents::envelopes;
    match command {
        Env::RegisterPublicKey(c) => answer(c, draft, |c| {
            let agent = envelopes::own(as_agent(principal)?, &c.agent_id)?;
            envelopes::register_public_key(ctx, agent, &c.public_key)
        }),
        Env::IssueDek(c) => answer(c, draft, |c| {
            envelopes::issue_dek(ctx, envelopes::own(as_agent(principal)?, &c.agent_id)?)
        }),
    }
}

/// Issue 23's discovered secrets.
fn discovered_command(
    command: Dsc,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    use agents::discovered;
    match command {
        Dsc::UploadDiscovered(c) => answer(c, draft, |c| {
            let agent = agents::envelopes::own(as_agent(principal)?, &c.agent_id)?;
            discovered::upload(ctx, agent, &c.secrets)
        }),
        Dsc::ListDiscovered(c) => answer(c, draft, |c| discovered::list(ctx, &c.query)),
        Dsc::GetDiscovered(c) => answer(c, draft, |c| discovered::get(ctx, &c.id)),
    }
}

/// Issue 24's GitOps observation (each refuses with 404 while the tenant's gate is off).
fn gitops_command(
    command: Git,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    use crate::gitops as g;
    match command {
        Git::GitopsGate(c) => answer(c, draft, |_| g::enabled(ctx.storage)),
        Git::CreateArgoEndpoint(c) => answer(c, draft, |c| {
            g::create_endpoint(ctx, principal, &c.endpoint)
        }),
        Git::ListArgoEndpoints(c) => answer(c, draft, |_| g::list_endpoints(ctx)),
        Git::SetArgoEndpointEnabled(c) => {
            answer(c, draft, |c| g::set_endpoint_enabled(ctx, &c.id, c.enabled))
        }
        Git::DeleteArgoEndpoint(c) => answer(c, draft, |c| g::delete_endpoint(ctx, &c.id)),
        Git::DiscoverArgoApps(c) => answer(c, draft, |c| g::discover(ctx, &c.id)),
        Git::CreateAppMapping(c) => answer(c, draft, |c| g::create_mapping(ctx, &c.mapping)),
        Git::ListAppMappings(c) => answer(c, draft, |_| g::list_mappings(ctx)),
        Git::DeleteAppMapping(c) => answer(c, draft, |c| g::delete_mapping(ctx, &c.id)),
        Git::RequestGitops(c) => answer(c, draft, |c| g::request_plan(ctx, principal, &c.id)),
    }
}

/// Issue 23's requests that agents carry out; the agent routes name the calling agent.
fn carried_command(
    command: Car,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    use agents::carried;
    match command {
        Car::CreateCarriedRequest(c) => answer(c, draft, |c| {
            crate::access_requests::on_discovered::create(ctx, principal, c.request)
        }),
        Car::PostAgentWrap(c) => answer(c, draft, |c| {
            let agent = agents::envelopes::own(as_agent(principal)?, &c.agent_id)?;
            carried::post_wrap(ctx, agent, &c.post)
        }),
        Car::GetAgentWrap(c) => answer(c, draft, |c| {
            let agent = agents::envelopes::own(as_agent(principal)?, &c.agent_id)?;
            carried::get_wrap(ctx, agent, &c.wrap_id)
        }),
    }
}

fn password_command(
    command: Pwd,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    use agents::passwords;
    match command {
        Pwd::CreatePasswordRequest(c) => answer(c, draft, |c| {
            as_agent(principal)
                .and_then(|agent| passwords::create(ctx, principal, agent, c.request))
        }),
        Pwd::CollectPasswordRequests(c) => answer(c, draft, |_| {
            as_agent(principal).and_then(|agent| passwords::collect(ctx, principal, agent))
        }),
        Pwd::ListPasswordRequests(c) => {
            answer(c, draft, |c| passwords::list(ctx, principal, c.status))
        }
        Pwd::ApprovePasswordRequest(c) => {
            answer(c, draft, |c| passwords::approve(ctx, principal, &c.id))
        }
        Pwd::RejectPasswordRequest(c) => answer(c, draft, |c| {
            passwords::reject(ctx, principal, &c.id, c.reason)
        }),
    }
}

fn people_command(
    command: Ppl,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    use people::roles;
    match command {
        Ppl::CreateUser(c) => answer(c, draft, |c| people::create(ctx, principal, c.user)),
        Ppl::ListUsers(c) => answer(c, draft, |_| people::list(ctx.storage)),
        Ppl::DeleteUser(c) => answer(c, draft, |c| people::delete(ctx, principal, &c.id)),
        Ppl::ReinstateUser(c) => answer(c, draft, |c| people::reinstate(ctx, &c.id)),
        Ppl::UserRoles(c) => answer(c, draft, |c| roles::of_user(ctx.storage, principal, &c.id)),
        Ppl::Permissions(c) => answer(c, draft, |_| Ok(())),
        Ppl::CreateRole(c) => answer(c, draft, |c| roles::create(ctx, principal, c.role)),
        Ppl::ListRoles(c) => answer(c, draft, |_| roles::list(ctx.storage)),
        Ppl::GetRole(c) => answer(c, draft, |c| roles::get(ctx.storage, &c.id)),
        Ppl::SetRolePermissions(c) => answer(c, draft, |c| {
            roles::set_permissions(ctx, principal, &c.id, c.permissions)
        }),
        Ppl::DeleteRole(c) => answer(c, draft, |c| roles::delete(ctx, principal, &c.id)),
        Ppl::CreateUserRole(c) => answer(c, draft, |c| roles::assign(ctx, principal, c.request)),
        Ppl::ListUserRoles(c) => answer(c, draft, |c| {
            roles::assignments(
                ctx.storage,
                principal,
                c.user_id.as_ref(),
                c.role_id.as_ref(),
            )
        }),
        Ppl::DeleteUserRole(c) => answer(c, draft, |c| roles::unassign(ctx, principal, &c.id)),
    }
}

fn access_request_command(
    command: Req,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    match command {
        Req::CreateAccessRequest(c) => answer(c, draft, |c| {
            access_requests::create(ctx, principal, c.request)
        }),
        Req::ListAccessRequests(c) => answer(c, draft, |c| {
            access_requests::list(ctx, principal, &c.query)
        }),
        Req::GetAccessRequest(c) => {
            answer(c, draft, |c| access_requests::get(ctx, principal, &c.id))
        }
        Req::ApproveAccess(c) => answer(c, draft, |c| {
            access_requests::decide(ctx, principal, &c.id, AccessDecision::Approve(c.comment))
        }),
        Req::RejectAccess(c) => answer(c, draft, |c| {
            access_requests::decide(ctx, principal, &c.id, AccessDecision::Reject(c.reason))
        }),
        Req::CancelAccess(c) => answer(c, draft, |c| {
            access_requests::decide(ctx, principal, &c.id, AccessDecision::Cancel)
        }),
        Req::RequestWraps(c) => answer(c, draft, |c| {
            access_requests::wraps_of(ctx, principal, &c.id)
        }),
        Req::RequestWrap(c) => answer(c, draft, |c| {
            access_requests::retrieve(ctx, principal, &c.id, &c.wrap_id)
        }),
    }
}

fn vault_command(
    command: Kv,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    use vault::VersionChange;
    match command {
        Kv::ReadKv(c) => answer(c, draft, |c| vault::read(ctx, &c.path, c.version)),
        Kv::WriteKv(c) => answer(c, draft, |c| vault::write(ctx, &c.path, c.write)),
        Kv::ReadKvMetadata(c) => answer(c, draft, |c| vault::metadata(ctx, &c.path)),
        Kv::ListKv(c) => answer(c, draft, |c| {
            vault::list(ctx, c.prefix.as_ref(), &principal.scopes())
        }),
        Kv::DeleteKvVersions(c) => answer(c, draft, |c| {
            vault::change_versions(ctx, &c.path, c.versions, VersionChange::Delete)
        }),
        Kv::UndeleteKvVersions(c) => answer(c, draft, |c| {
            vault::change_versions(ctx, &c.path, Some(c.versions), VersionChange::Undelete)
        }),
        Kv::DestroyKvVersions(c) => answer(c, draft, |c| {
            vault::change_versions(ctx, &c.path, Some(c.versions), VersionChange::Destroy)
        }),
    }
}

/// The seed-002 face: the id (and the agent's name) is resolved first, and the event names
/// the path it resolved to, as the native command's would.
fn vault002_command(
    command: V2,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    let on_path = |draft: Draft, path: &latchkey_core::SecretPath| Draft {
        path: Some(path.to_string()),
        ..draft
    };
    match command {
        V2::ListAllSecrets(c) => answer(c, draft, |_| crate::vault002::list_all(ctx, principal)),
        V2::DestroySecretById(c) => {
            let path = crate::vault002::path_of(ctx, &c.id, false);
            let draft = match &path {
                Ok(path) => on_path(draft, path),
                Err(_) => draft,
            };
            answer(c, draft, |_| {
                crate::vault002::destroy(ctx, principal, &path?)
            })
        }
        V2::GrantSecretById(c) => {
            let resolved = crate::vault002::resolve_grant(ctx, &c.request);
            let draft = match &resolved {
                Ok((agent, path)) => on_path(draft, path)
                    .detail("agent_id", agent.as_str())
                    .detail("grant_path", path.to_string())
                    .detail("actions", serde_json::json!(["read"])),
                Err(_) => draft,
            };
            answer(c, draft, |_| {
                let (agent, path) = resolved?;
                crate::vault002::grant(ctx, principal, agent, &path)
            })
        }
    }
}

fn ass_command(
    command: Ass,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    use crate::faces::ass;
    match command {
        Ass::UpsertSecret(c) => answer(c, draft, |c| {
            ass::upsert(ctx, principal, &c.path, &c.write.value, &c.write.metadata)
        }),
        Ass::ImportSecrets(c) => answer(c, draft, |c| ass::import(ctx, principal, c.import)),
        Ass::ListNamespaces(c) => answer(c, draft, |_| ass::namespaces(ctx)),
    }
}

/// Seed 001's agent plane (issue 23): an agent's own routes act only for the agent the path
/// names, which must be the caller (`plane::own`).
fn plane_command(
    command: Pln,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    use crate::agents::{jobs, plane};
    match command {
        Pln::MintAgent(c) => answer(c, draft, |c| plane::mint(ctx, principal, c.registration)),
        Pln::AgentHeartbeat(c) => answer(c, draft, |c| {
            plane::heartbeat(ctx.storage, plane::own(principal, &c.id)?, ctx.now)
        }),
        Pln::CreateJob(c) => answer(c, draft, |c| jobs::create(ctx, principal, c.request)),
        Pln::ClaimJob(c) => answer(c, draft, |c| {
            jobs::claim(ctx, plane::own(principal, &c.id)?, c.lease_seconds)
        }),
        Pln::CompleteJob(c) => answer(c, draft, |c| {
            jobs::complete(ctx, plane::own(principal, &c.id)?, &c.job_id, &c.completion)
        }),
        Pln::AgentSelf(c) => answer(c, draft, |_| match principal {
            Principal::Agent(agent) => plane::platform(ctx.storage, agent),
            _ => Err(ApiError::internal()),
        }),
    }
}

/// Issue 24's projects and environments ([`crate::projects`]).
fn project_command(command: Prj, ctx: &SecretContext<'_>, draft: Draft) -> Outcome {
    use crate::projects as p;
    match command {
        Prj::CreateProject(c) => answer(c, draft, |c| p::create_project(ctx, &c.project)),
        Prj::ListProjects(c) => answer(c, draft, |_| p::list_projects(ctx)),
        Prj::GetProject(c) => answer(c, draft, |c| p::get_project(ctx, &c.id)),
        Prj::SetProjectStatus(c) => {
            answer(c, draft, |c| p::set_status(ctx, &c.id, c.status, c.force))
        }
        Prj::ProjectEnvironments(c) => answer(c, draft, |c| p::project_environments(ctx, &c.id)),
        Prj::CreateEnvironment(c) => {
            answer(c, draft, |c| p::create_environment(ctx, &c.environment))
        }
        Prj::ListEnvironments(c) => answer(c, draft, |_| p::list_environments(ctx)),
        Prj::DeleteEnvironment(c) => {
            answer(c, draft, |c| p::delete_environment(ctx, &c.id, c.force))
        }
    }
}

/// The web console's sessions (issue 25).
fn console_command(
    command: latchkey_contract::caller::console::ConsoleCommand,
    principal: &Principal,
    ctx: &SecretContext<'_>,
    draft: Draft,
) -> Outcome {
    use latchkey_contract::caller::console::ConsoleCommand as Con;
    match command {
        Con::OpenConsoleSession(c) => answer(c, draft, |_| crate::console::open(ctx, principal)),
        Con::DescribeConsoleSession(c) => answer(c, draft, |c| {
            crate::console::describe(ctx, principal, &c.session)
        }),
        Con::CloseConsoleSession(c) => answer(c, draft, |c| {
            crate::console::close(ctx, principal, &c.session)
        }),
    }
}
