//! Agents' password requests: pending until an admin decides; approval generates a password
//! and stores it as a new version of the path (or creates the secret); the agent collects it
//! once, read back from that version, so no password is ever kept on the request.

use super::{AgentPrincipal, require_agent};
use crate::authorization::access::Principal;
use crate::authorization::gate::{self, Party};
use crate::secrets;
use crate::sql::Value as V;
use crate::sql::{Row, Storage, StorageError, execute, query, query_one};
use crate::store::{Failure, SecretContext, in_transaction, internal, read_opt_ts, read_ts, ts};
use latchkey_core::agent::password::{
    GENERATED_LENGTH, NewPasswordRequest, PasswordRequestStatus, PasswordRequestView,
};
use latchkey_core::agent::{AgentId, PasswordRequestId};
use latchkey_core::approval::{
    ApprovalState, ApprovalStatus, DEFAULT_APPROVAL_TTL_SECONDS, Requirement,
};
use latchkey_core::crypto::fill_random;
use latchkey_core::gate::Flow;
use latchkey_core::generate::PasswordRequest as Generator;
use latchkey_core::notification::RequestSummary;
use latchkey_core::notification::message::Asked;
use latchkey_core::scope::{Scope, SecretAction};
use latchkey_core::secret::{MetadataChange, NewSecret, SecretMetadata, SecretUpdate, Tier};
use latchkey_core::workflow::plan::plan;
use latchkey_core::workflow::policy::RequestKind;
use latchkey_core::workflow::progress::{Advance, Progress};
use latchkey_core::{ApiError, ErrorCode, SecretPath, Timestamp};

const COLUMNS: &str = "id, agent_id, path, reason, status, created_at, decided_at, decided_by, \
    decision_reason, version, delivered_at, progress";

fn parse(row: &Row) -> Result<PasswordRequestView, StorageError> {
    let status = row.text(4)?;
    Ok(PasswordRequestView {
        id: PasswordRequestId::parse(&row.text(0)?).map_err(StorageError)?,
        agent_id: AgentId::parse(&row.text(1)?).map_err(StorageError)?,
        path: SecretPath::parse(&row.text(2)?).map_err(StorageError)?,
        reason: row.text(3)?,
        status: PasswordRequestStatus::parse(&status)
            .ok_or_else(|| StorageError(format!("stored status '{status}'")))?,
        created_at: read_ts(row, 5)?,
        decided_at: read_opt_ts(row, 6)?,
        decided_by: row.opt_text(7)?,
        decision_reason: row.opt_text(8)?,
        version: row.opt_int(9)?.map(|v| u64::try_from(v).unwrap_or(0)),
        delivered_at: read_opt_ts(row, 10)?,
        password: None,
        withheld: None,
        workflow: None,
        stage: None,
        stages: None,
    })
    .map(|mut view| {
        if let Ok(progress) = crate::approvals::read_progress(row, 11) {
            show_stages(&mut view, progress.as_ref());
        }
        view
    })
}

fn show_stages(view: &mut PasswordRequestView, progress: Option<&Progress>) {
    view.workflow = progress.and_then(Progress::workflow);
    view.stage = progress.and_then(Progress::view);
    view.stages = progress.map(|p| p.stages.clone());
}

/// Issue 24: the stages a policy of kind `password` (or matching the path, its environment or
/// project) sends the request through; none keeps the single `agents:admin` decision, the
/// password request's default workflow. Its target has no tier: a tier criterion never
/// matches it.
fn progress_for(ctx: &SecretContext<'_>, path: &SecretPath) -> Result<Option<Progress>, ApiError> {
    let loaded = crate::workflow_rules::Loaded::load(ctx.storage)
        .map_err(|e| internal("password request workflow", e))?;
    let item = loaded.item(path, None, None, RequestKind::Password);
    let ttl = DEFAULT_APPROVAL_TTL_SECONDS;
    let stages = plan(
        &loaded.rules(),
        [(item, Requirement::NONE)],
        0,
        u64::try_from(ttl).unwrap_or(0),
    )
    .stages;
    Ok(Progress::start(stages, ctx.now, ctx.now.plus_seconds(ttl)))
}

/// Until when a request stands for its messages: its run's deadline, or (with no workflow)
/// the default approval lifetime from `created_at`.
fn expiry_of(created_at: Timestamp, progress: Option<&Progress>) -> Timestamp {
    progress.map_or_else(
        || created_at.plus_seconds(DEFAULT_APPROVAL_TTL_SECONDS),
        Progress::expires_at,
    )
}

/// What a message about a password request says, for the message sent for `stage`
/// (issue 24); `None` once the request is gone.
pub fn summary(
    storage: &Storage,
    id: &PasswordRequestId,
    stage: Option<usize>,
) -> Result<Option<RequestSummary>, Failure> {
    let Some(row) = query_one(
        storage,
        &format!("SELECT {COLUMNS} FROM password_requests WHERE id = ?"),
        vec![id.as_str().into()],
    )?
    else {
        return Ok(None);
    };
    let view = parse(&row)?;
    let progress = crate::approvals::read_progress(&row, 11)?;
    Ok(Some(RequestSummary {
        asked: Asked::Password {
            request: id.clone(),
            path: view.path.to_string(),
        },
        requester_description: crate::people::describe_actor(storage, view.agent_id.as_str())?,
        requester: view.agent_id.to_string(),
        tier: None,
        required_approvals: progress.as_ref().map_or(1, Progress::total_required),
        expires_at: expiry_of(view.created_at, progress.as_ref()),
        stage: progress
            .as_ref()
            .zip(stage)
            .and_then(|(p, index)| p.describe_stage(index)),
    }))
}

/// The approval state a staged password request runs (it keeps only its progress).
fn state_of(view: &PasswordRequestView, progress: &Progress) -> ApprovalState {
    let mut state = ApprovalState {
        status: ApprovalStatus::Pending,
        requester: view.agent_id.to_string(),
        required: 0,
        cancel_window_seconds: 0,
        approvers: progress.approved.iter().flatten().cloned().collect(),
        expires_at: progress.expires_at(),
        approved_at: None,
        released: false,
    };
    progress.sync(&mut state);
    state
}

fn read_stages(
    ctx: &SecretContext<'_>,
    id: &PasswordRequestId,
) -> Result<Option<Progress>, Failure> {
    match query_one(
        ctx.storage,
        "SELECT progress FROM password_requests WHERE id = ?",
        vec![id.as_str().into()],
    )? {
        Some(row) => Ok(crate::approvals::read_progress(&row, 0)?),
        None => Ok(None),
    }
}

/// Nobody approves a request of an agent they made (directly or through what they made), nor
/// one of whoever made them: the staged approval and the single admin decision alike.
fn refuse_same_hand(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    agent: &AgentId,
) -> Result<(), Failure> {
    if crate::authorization::provenance::same_hand(ctx.storage, &principal.actor(), agent.as_str())?
    {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            "nobody approves a request of an agent they made (directly or through what they made), nor one of whoever made them",
        )
        .into());
    }
    Ok(())
}

fn agents_admin_missing() -> ApiError {
    ApiError::new(
        ErrorCode::PermissionDenied,
        "deciding this password request needs agents:admin (no workflow governs it)",
    )
    .with("required_scope", "agents:admin")
}

/// `POST /v1/agents/me/password-requests`: the agent must be able to receive the password: a
/// grant that reads the path, cleared for the tier of the secret there (the one gate).
pub fn create(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    agent: &AgentPrincipal,
    request: NewPasswordRequest,
) -> Result<PasswordRequestView, ApiError> {
    gate::admit(
        ctx,
        Flow::Reserve,
        SecretAction::Read,
        &request.path,
        Party::Caller(principal),
    )?;
    let id = PasswordRequestId::generate().map_err(|e| internal("password request id", e))?;
    let progress = progress_for(ctx, &request.path)?;
    in_transaction(ctx.storage, "store password request", || {
        execute(
            ctx.storage,
            &format!(
                "INSERT INTO password_requests ({COLUMNS})
                 VALUES (?, ?, ?, ?, 'pending', ?, NULL, NULL, NULL, NULL, NULL, ?)"
            ),
            vec![
                id.as_str().into(),
                agent.id.as_str().into(),
                request.path.as_str().into(),
                request.reason.as_str().into(),
                ts(ctx.now),
                crate::approvals::progress_json(progress.as_ref())?,
            ],
        )?;
        // Its approvers hear of it (issue 24): the first stage's, or with no workflow the
        // tenant's channels (an agents:admin holder decides).
        crate::approvals::notifications::enqueue_stage(
            ctx,
            id.as_str(),
            progress.as_ref(),
            expiry_of(ctx.now, progress.as_ref()),
        )?;
        Ok::<_, Failure>(())
    })?;
    let mut view = PasswordRequestView {
        id,
        agent_id: agent.id.clone(),
        path: request.path,
        reason: request.reason,
        status: PasswordRequestStatus::Pending,
        created_at: ctx.now,
        decided_at: None,
        decided_by: None,
        decision_reason: None,
        version: None,
        delivered_at: None,
        password: None,
        withheld: None,
        workflow: None,
        stage: None,
        stages: None,
    };
    show_stages(&mut view, progress.as_ref());
    Ok(view)
}

/// `GET /v1/admin/password-requests[?status=]`: newest first, at most 500. An `agents:admin`
/// holder sees every request; a person (or an `approvals:decide` holder) the ones a stage of
/// their workflow admits them to (issue 24: a stage's approver is told, then finds it here);
/// anyone else is refused by the command's access rule before this runs.
pub fn list(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    status: Option<PasswordRequestStatus>,
) -> Result<Vec<PasswordRequestView>, ApiError> {
    let fail = |e: StorageError| internal("list password requests", e);
    // `None`: an agents:admin holder, who sees every request.
    let caller = if principal.scopes().covers(&Scope::AgentsAdmin) {
        None
    } else {
        Some(crate::approvals::StageCaller::of(ctx, principal).map_err(fail)?)
    };
    let (filter, bindings) = match status {
        Some(s) => ("WHERE status = ?", vec![V::from(s.as_str())]),
        None => ("", vec![]),
    };
    let rows = query(
        ctx.storage,
        &format!("SELECT {COLUMNS} FROM password_requests {filter} ORDER BY created_at DESC, id LIMIT 500"),
        bindings,
    )
    .map_err(fail)?;
    let mut shown = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(caller) = &caller {
            let progress = crate::approvals::read_progress(row, 11).map_err(fail)?;
            if !caller.admitted_by(progress.as_ref()) {
                continue;
            }
        }
        shown.push(parse(row).map_err(fail)?);
    }
    Ok(shown)
}

fn load(ctx: &SecretContext<'_>, id: &PasswordRequestId) -> Result<PasswordRequestView, Failure> {
    let row = query_one(
        ctx.storage,
        &format!("SELECT {COLUMNS} FROM password_requests WHERE id = ?"),
        vec![id.as_str().into()],
    )?
    .ok_or_else(|| {
        ApiError::not_found(format!("password request '{id}' not found")).with("id", id.as_str())
    })?;
    let view = parse(&row)?;
    if view.status != PasswordRequestStatus::Pending {
        return Err(ApiError::conflict(format!(
            "password request '{id}' was already {}",
            view.status.as_str()
        ))
        .with("status", view.status.as_str())
        .into());
    }
    Ok(view)
}

/// `POST /v1/admin/password-requests/{id}/approve`: generates the password and stores it as
/// a new version of the path (creating the secret when there is none). Through the one gate
/// twice: the approver writes the path (approving is writing: scope and tier clearance), and
/// the agent will receive the value (its grants and their clearance). Nobody approves a
/// request of an agent they made, directly or not (same hand).
pub fn approve(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &PasswordRequestId,
) -> Result<PasswordRequestView, ApiError> {
    in_transaction(ctx.storage, "approve password request", || {
        let mut view = load(ctx, id)?;
        let staged = read_stages(ctx, id)?;
        if staged.is_none() && !principal.scopes().covers(&Scope::AgentsAdmin) {
            return Err(agents_admin_missing().into());
        }
        if let Some(mut progress) = staged {
            // Issue 24: the stages' approvers decide; the last approval grants it.
            refuse_same_hand(ctx, principal, &view.agent_id)?;
            let actor = principal.actor();
            let roles = crate::approvals::roles_of(ctx.storage, &actor)?;
            let user = latchkey_core::people::UserId::parse(&actor).ok();
            let who = crate::approvals::approver(
                &actor,
                user.as_ref(),
                &roles,
                principal.scopes().covers(&Scope::ApprovalsDecide),
            );
            let mut state = state_of(&view, &progress);
            let advance = progress.approve(&mut state, &who, ctx.now)?;
            execute(
                ctx.storage,
                "UPDATE password_requests SET progress = ? WHERE id = ?",
                vec![
                    crate::approvals::progress_json(Some(&progress))?,
                    id.as_str().into(),
                ],
            )?;
            show_stages(&mut view, Some(&progress));
            match advance {
                // The approvals stand in for the approver's scope and clearance; the value
                // moves through the one gate all the same.
                Advance::Approved => gate::admit(
                    ctx,
                    Flow::Write,
                    SecretAction::Write,
                    &view.path,
                    Party::Approved,
                )?,
                Advance::NextStage(index) => {
                    crate::approvals::notifications::enqueue_stage(
                        ctx,
                        id.as_str(),
                        Some(&progress),
                        progress.expires_at(),
                    )?;
                    ctx.record_also(crate::approvals::stage_started(
                        id.as_str(),
                        &progress,
                        index,
                    ));
                    return Ok(view);
                }
                Advance::Counted => return Ok(view),
            }
        } else {
            gate::admit(
                ctx,
                Flow::Write,
                SecretAction::Write,
                &view.path,
                Party::Caller(principal),
            )?;
        }
        // The agent that asked may have been revoked or suspended since.
        require_agent(ctx.storage, &view.agent_id, "agent_id", true)?;
        let agent = crate::agents::live_agent(ctx.storage, &view.agent_id)?.ok_or_else(|| {
            ApiError::conflict(format!("agent '{}' may no longer act", view.agent_id))
        })?;
        let recipient = Principal::Agent(agent);
        gate::admit(
            ctx,
            Flow::Reserve,
            SecretAction::Read,
            &view.path,
            Party::Recipient(&recipient),
        )?;
        refuse_same_hand(ctx, principal, &view.agent_id)?;
        let password = Generator {
            length: GENERATED_LENGTH,
            uppercase: true,
            lowercase: true,
            digits: true,
            symbols: true,
            store: None,
        }
        .generate(&mut fill_random)
        .map_err(|e| Failure::Storage(StorageError(e.to_string())))?;
        let exists = query_one(
            ctx.storage,
            "SELECT 1 FROM secrets WHERE path = ?",
            vec![view.path.as_str().into()],
        )?
        .is_some();
        let version = if exists {
            secrets::update(
                ctx,
                &view.path,
                SecretUpdate {
                    value: Some(password),
                    change: MetadataChange::default(),
                },
                None,
            )?
            .version
        } else {
            secrets::create(
                ctx,
                NewSecret {
                    path: view.path.clone(),
                    value: Some(password),
                    fields: Default::default(),
                    metadata: SecretMetadata {
                        tier: Tier::Standard,
                        description: Some(format!("generated for agent {}", view.agent_id)),
                        tags: Default::default(),
                        expires_at: None,
                        max_versions: latchkey_core::secret::DEFAULT_MAX_VERSIONS,
                        allowed_hosts: Default::default(),
                    },
                },
            )?
            .version
        };
        execute(
            ctx.storage,
            "UPDATE password_requests SET status = 'approved', decided_at = ?, decided_by = ?,
                version = ? WHERE id = ?",
            vec![
                ts(ctx.now),
                principal.actor().into(),
                V::Integer(i64::try_from(version).unwrap_or(i64::MAX)),
                id.as_str().into(),
            ],
        )?;
        view.status = PasswordRequestStatus::Approved;
        view.decided_at = Some(ctx.now);
        view.decided_by = Some(principal.actor());
        view.version = Some(version);
        Ok::<_, Failure>(view)
    })
}

/// `POST /v1/admin/password-requests/{id}/reject`.
pub fn reject(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &PasswordRequestId,
    reason: Option<String>,
) -> Result<PasswordRequestView, ApiError> {
    in_transaction(ctx.storage, "reject password request", || {
        let mut view = load(ctx, id)?;
        match read_stages(ctx, id)? {
            None if !principal.scopes().covers(&Scope::AgentsAdmin) => {
                return Err(agents_admin_missing().into());
            }
            None => {}
            Some(mut progress) => {
                let actor = principal.actor();
                let roles = crate::approvals::roles_of(ctx.storage, &actor)?;
                let user = latchkey_core::people::UserId::parse(&actor).ok();
                let who = crate::approvals::approver(
                    &actor,
                    user.as_ref(),
                    &roles,
                    principal.scopes().covers(&Scope::ApprovalsDecide)
                        || principal.scopes().covers(&Scope::AgentsAdmin),
                );
                let mut state = state_of(&view, &progress);
                progress.deny(&mut state, &who, ctx.now)?;
            }
        }
        execute(
            ctx.storage,
            "UPDATE password_requests SET status = 'rejected', decided_at = ?, decided_by = ?,
                decision_reason = ? WHERE id = ?",
            vec![
                ts(ctx.now),
                principal.actor().into(),
                reason.as_deref().into(),
                id.as_str().into(),
            ],
        )?;
        view.status = PasswordRequestStatus::Rejected;
        view.decided_at = Some(ctx.now);
        view.decided_by = Some(principal.actor());
        view.decision_reason = reason;
        Ok::<_, Failure>(view)
    })
}

/// `GET /v1/agents/me/password-requests`: the agent's requests, newest first; an approved one
/// carries its password the first time it is listed (read back from the stored version), then
/// never again.
pub fn collect(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    agent: &AgentPrincipal,
) -> Result<Vec<PasswordRequestView>, ApiError> {
    in_transaction(ctx.storage, "collect password requests", || {
        let mut views = query(
            ctx.storage,
            &format!(
                "SELECT {COLUMNS} FROM password_requests WHERE agent_id = ?
                 ORDER BY created_at DESC, id LIMIT 100"
            ),
            vec![agent.id.as_str().into()],
        )?
        .iter()
        .map(parse)
        .collect::<Result<Vec<_>, _>>()?;
        for view in &mut views {
            let (PasswordRequestStatus::Approved, None, Some(version)) =
                (view.status, view.delivered_at, view.version)
            else {
                continue;
            };
            // The value leaves now, to the agent: through the one gate (its grants, their
            // clearance, the purpose). A refusal withholds this password, says why, and keeps
            // it for a later collection that passes.
            if let Err(refused) = gate::admit(
                ctx,
                Flow::Release,
                SecretAction::Read,
                &view.path,
                Party::Caller(principal),
            ) {
                view.withheld = Some(refused.message.clone());
                continue;
            }
            // The approved version may be gone since (the secret deleted, its versions pruned
            // or erased): that password is withheld, saying so, and the rest still listed.
            let read = match secrets::read(ctx, &view.path, Some(version)) {
                Ok(read) => read,
                Err(gone) if gone.code == ErrorCode::NotFound => {
                    view.withheld = Some(format!(
                        "{}; the approved password is no longer stored: ask for a new one",
                        gone.message
                    ));
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            view.password = read.value;
            view.delivered_at = Some(ctx.now);
            execute(
                ctx.storage,
                "UPDATE password_requests SET delivered_at = ? WHERE id = ?",
                vec![ts(ctx.now), view.id.as_str().into()],
            )?;
        }
        Ok::<_, Failure>(views)
    })
}
