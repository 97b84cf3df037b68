//! Token requests that need approval: the policy lookup, the stored state machine
//! (`latchkey_core::approval`), decisions, and the release of the token to its requester.

pub mod notifications;

use crate::authorization::access::{self, Principal};
use crate::policies::Reach;
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::sql::{Storage, Value as V};
use crate::store::{
    Failure, SecretContext, in_transaction, internal, opt_ts, read_count, read_opt_ts, read_ts, ts,
};
use latchkey_core::approval::{
    ApprovalId, ApprovalState, ApprovalStatus, ApprovalView, DecisionRecord, ReleasedToken,
};
use latchkey_core::scope::Scope;
use latchkey_core::secret::Tier;
use latchkey_core::token::{TokenCreated, TokenId, TokenRequest};
use latchkey_core::workflow::plan::Plan;
use latchkey_core::workflow::progress::{Advance, Progress};
use latchkey_core::{ApiError, Timestamp};

/// A stored request.
struct Stored {
    id: ApprovalId,
    state: ApprovalState,
    requester_description: Option<String>,
    request: TokenRequest,
    tier: Tier,
    secrets_reached: u64,
    created_at: Timestamp,
    token_id: Option<TokenId>,
    token_expires_at: Option<Timestamp>,
    /// The stages it runs (issue 24); `None` for a request opened before workflows.
    progress: Option<Progress>,
}

const COLUMNS: &str = "id, status, requester, required, cancel_window_seconds, expires_at, \
    approved_at, released, requester_description, token_request, tier, secrets_reached, \
    created_at, token_id, token_expires_at, progress";

/// A stored progress column.
pub fn read_progress(row: &Row, column: usize) -> Result<Option<Progress>, StorageError> {
    row.opt_text(column)?
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|e| StorageError(format!("progress: {e}")))
}

/// A progress for its column.
pub fn progress_json(progress: Option<&Progress>) -> Result<V, StorageError> {
    Ok(match progress {
        Some(p) => serde_json::to_string(p)
            .map_err(|e| StorageError(e.to_string()))?
            .into(),
        None => V::Null,
    })
}

fn parse_row(storage: &Storage, row: &Row) -> Result<Stored, StorageError> {
    let id = ApprovalId::parse(&row.text(0)?).map_err(StorageError)?;
    let status_text = row.text(1)?;
    let status = ApprovalStatus::parse(&status_text)
        .ok_or_else(|| StorageError(format!("unknown status {status_text}")))?;
    let approvers = query(
        storage,
        "SELECT approver FROM approval_decisions WHERE approval_id = ? AND decision = 'approve'
         ORDER BY at, rowid",
        vec![id.as_str().into()],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect::<Result<Vec<_>, _>>()?;
    Ok(Stored {
        state: ApprovalState {
            status,
            requester: row.text(2)?,
            required: read_count(row, 3)?,
            cancel_window_seconds: read_count(row, 4)?,
            approvers,
            expires_at: read_ts(row, 5)?,
            approved_at: read_opt_ts(row, 6)?,
            released: row.int(7)? != 0,
        },
        requester_description: row.opt_text(8)?,
        request: serde_json::from_str(&row.text(9)?).map_err(|e| StorageError(e.to_string()))?,
        tier: Tier::parse(&row.text(10)?).unwrap_or(Tier::Critical),
        secrets_reached: read_count(row, 11)?,
        created_at: read_ts(row, 12)?,
        token_id: row
            .opt_text(13)?
            .map(|t| TokenId::parse(&t))
            .transpose()
            .map_err(StorageError)?,
        token_expires_at: read_opt_ts(row, 14)?,
        progress: read_progress(row, 15)?,
        id,
    })
}

fn load(storage: &Storage, id: &ApprovalId) -> Result<Stored, Failure> {
    let row = query_one(
        storage,
        &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?"),
        vec![id.as_str().into()],
    )?
    .ok_or_else(|| {
        ApiError::not_found(format!("approval request '{id}' not found")).with("id", id.as_str())
    })?;
    Ok(parse_row(storage, &row)?)
}

fn decisions(storage: &Storage, id: &ApprovalId) -> Result<Vec<DecisionRecord>, StorageError> {
    query(
        storage,
        "SELECT approver, decision, note, at FROM approval_decisions WHERE approval_id = ?
         ORDER BY at, rowid",
        vec![id.as_str().into()],
    )?
    .iter()
    .map(|row| {
        Ok(DecisionRecord {
            approver: row.text(0)?,
            decision: row.text(1)?,
            note: row.opt_text(2)?,
            at: read_ts(row, 3)?,
        })
    })
    .collect()
}

fn view(
    storage: &Storage,
    stored: &Stored,
    now: Timestamp,
    released: Option<&TokenCreated>,
) -> Result<ApprovalView, StorageError> {
    let token = match (released, &stored.token_id, stored.token_expires_at) {
        (Some(created), _, _) => Some(ReleasedToken {
            id: created.id.clone(),
            value: Some(created.value.clone()),
            expires_at: created.expires_at,
        }),
        (None, Some(id), expires_at) => Some(ReleasedToken {
            id: id.clone(),
            value: None,
            expires_at,
        }),
        _ => None,
    };
    Ok(ApprovalView {
        id: stored.id.clone(),
        status: stored.state.status_at(now),
        requester: stored.state.requester.clone(),
        requester_description: stored.requester_description.clone(),
        request: stored.request.clone(),
        tier: stored.tier,
        secrets_reached: stored.secrets_reached,
        required_approvals: stored.state.required,
        approvers: stored.state.approvers.clone(),
        cancel_window_seconds: stored.state.cancel_window_seconds,
        created_at: stored.created_at,
        expires_at: stored.state.expires_at,
        approved_at: stored.state.approved_at,
        releases_at: stored.state.releases_at(),
        decisions: decisions(storage, &stored.id)?,
        token,
        notifications: crate::approvals::notifications::statuses(storage, stored.id.as_str())?,
        workflow: stored.progress.as_ref().and_then(Progress::workflow),
        stage: stored.progress.as_ref().and_then(Progress::view),
        stages: stored.progress.as_ref().map(|p| p.stages.clone()),
    })
}

/// A request's view, for its review page.
pub fn view_by_id(ctx: &SecretContext<'_>, id: &ApprovalId) -> Result<ApprovalView, ApiError> {
    in_transaction(ctx.storage, "read approval", || {
        let stored = load(ctx.storage, id)?;
        Ok(view(ctx.storage, &stored, ctx.now, None)?)
    })
}

/// The stage a pending request with stages is at (`None`: no stages, or no longer pending).
pub fn current_stage(storage: &Storage, id: &ApprovalId) -> Result<Option<usize>, StorageError> {
    let Some(row) = query_one(
        storage,
        "SELECT progress FROM approvals WHERE id = ? AND status = 'pending'",
        vec![id.as_str().into()],
    )?
    else {
        return Ok(None);
    };
    Ok(read_progress(&row, 0)?.map(|p| p.current))
}

/// What messages about a request say, for the message sent for `stage` (it names the stage
/// and who decides it). (Where their links point is `PUBLIC_URL`'s alone.)
pub fn summary(
    storage: &Storage,
    id: &ApprovalId,
    stage: Option<usize>,
) -> Result<Option<latchkey_core::notification::RequestSummary>, Failure> {
    let Some(row) = query_one(
        storage,
        &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?"),
        vec![id.as_str().into()],
    )?
    else {
        return Ok(None);
    };
    let stored = parse_row(storage, &row)?;
    let view = view(storage, &stored, stored.created_at, None)?;
    let mut summary = crate::approvals::notifications::summary_of(&view);
    summary.stage = stored
        .progress
        .as_ref()
        .zip(stage)
        .and_then(|(p, index)| p.describe_stage(index));
    Ok(Some(summary))
}

/// Writes a state (and its run through the stages) back after a transition.
fn save_state(storage: &Storage, stored: &Stored) -> Result<(), StorageError> {
    let state = &stored.state;
    execute(
        storage,
        "UPDATE approvals SET status = ?, approved_at = ?, released = ?, expires_at = ?,
            required = ?, progress = ? WHERE id = ?",
        vec![
            state.status.as_str().into(),
            state.approved_at.map(|t| t.unix_ms()).into(),
            V::Integer(i64::from(state.released)),
            ts(state.expires_at),
            V::Integer(i64::try_from(state.required).unwrap_or(i64::MAX)),
            progress_json(stored.progress.as_ref())?,
            stored.id.as_str().into(),
        ],
    )
}

fn record(
    storage: &Storage,
    id: &ApprovalId,
    approver: &str,
    decision: &str,
    note: Option<String>,
    now: Timestamp,
) -> Result<(), StorageError> {
    execute(
        storage,
        "INSERT INTO approval_decisions (approval_id, approver, decision, note, at)
         VALUES (?, ?, ?, ?, ?)",
        vec![
            id.as_str().into(),
            approver.into(),
            decision.into(),
            note.into(),
            ts(now),
        ],
    )
}

/// Opens a request for a token whose scope reaches secrets that need approval, running the
/// stages of `plan` (issue 24: its workflows, then the default's count).
pub fn open(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    request: TokenRequest,
    reach: &Reach,
    plan: Plan,
    ttl_seconds: i64,
) -> Result<ApprovalView, ApiError> {
    let id = ApprovalId::generate(ctx.tenant_id).map_err(|e| internal("approval id", e))?;
    let json = serde_json::to_string(&request).map_err(|e| internal("token request", e))?;
    let progress = Progress::start(plan.stages, ctx.now, ctx.now.plus_seconds(ttl_seconds))
        .ok_or_else(|| internal("open approval", "no stage to run"))?;
    let expires_at = progress.expires_at();
    let required = progress.total_required();
    let progress_column = progress_json(Some(&progress)).map_err(|e| internal("progress", e))?;
    in_transaction(ctx.storage, "open approval", || {
        execute(
            ctx.storage,
            "INSERT INTO approvals (id, status, requester, required, cancel_window_seconds,
                expires_at, approved_at, released, requester_description, token_request, tier,
                secrets_reached, created_at, token_id, token_expires_at, origin, progress)
             VALUES (?, 'pending', ?, ?, ?, ?, NULL, 0, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
            vec![
                id.as_str().into(),
                principal.actor().into(),
                V::Integer(i64::try_from(required).unwrap_or(i64::MAX)),
                V::Integer(i64::try_from(plan.cancel_window_seconds).unwrap_or(i64::MAX)),
                ts(expires_at),
                principal.description().into(),
                json.clone().into(),
                reach.tier.as_str().into(),
                V::Integer(i64::try_from(reach.secrets).unwrap_or(i64::MAX)),
                ts(ctx.now),
                // The `origin` column is no longer written: links point at PUBLIC_URL only,
                // never at the host a request named.
                "".into(),
                progress_column.clone(),
            ],
        )?;
        crate::approvals::notifications::enqueue_stage(
            ctx,
            id.as_str(),
            Some(&progress),
            expires_at,
        )?;
        let stored = load(ctx.storage, &id)?;
        Ok(view(ctx.storage, &stored, ctx.now, None)?)
    })
}

/// `GET /v1/approvals/{id}`: the requester or an approver. The requester's first poll after
/// approval (and after any cancel window) mints the token and carries its value, once.
pub fn get(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &ApprovalId,
) -> Result<ApprovalView, ApiError> {
    in_transaction(ctx.storage, "read approval", || {
        let mut stored = load(ctx.storage, id)?;
        let actor = principal.actor();
        let may_decide = principal.scopes().covers(&Scope::ApprovalsDecide);
        // Someone a stage admits (a role's holder, a listed user) sees it too.
        let eligible = match &stored.progress {
            Some(progress) if !may_decide => {
                let roles = roles_of(ctx.storage, &actor)?;
                let user = latchkey_core::people::UserId::parse(&actor).ok();
                progress.involves(&approver(&actor, user.as_ref(), &roles, may_decide))
            }
            _ => false,
        };
        let may_decide = may_decide || eligible;
        if actor != stored.state.requester && !may_decide {
            // Another caller's request does not exist for this one.
            return Err(
                ApiError::not_found(format!("approval request '{id}' not found"))
                    .with("id", id.as_str())
                    .into(),
            );
        }
        let mut released = None;
        if stored.state.take_release(&actor, ctx.now) {
            // The approvals given are what cleared it: a secret whose rule needs more stays
            // closed to it. With workflows, the default stage's count, and the explicit
            // workflows (with their revisions) recorded beside it.
            let cleared = stored
                .progress
                .as_ref()
                .map_or(stored.state.required, Progress::default_count);
            let created = access::mint(
                ctx.storage,
                ctx.tenant_id,
                &actor,
                &stored.request,
                latchkey_core::gate::Clearance {
                    tier: stored.tier,
                    approvals: Some(cleared),
                },
                ctx.now,
                access::not_after(principal),
            )?;
            if let Some(progress) = &stored.progress {
                crate::workflow_rules::record_cleared(
                    ctx.storage,
                    &created.id,
                    &progress.explicit_workflows(),
                )?;
            }
            save_state(ctx.storage, &stored)?;
            execute(
                ctx.storage,
                "UPDATE approvals SET token_id = ?, token_expires_at = ? WHERE id = ?",
                vec![
                    created.id.as_str().into(),
                    opt_ts(created.expires_at),
                    id.as_str().into(),
                ],
            )?;
            stored.token_id = Some(created.id.clone());
            stored.token_expires_at = created.expires_at;
            released = Some(created);
        }
        let mut shown = view(ctx.storage, &stored, ctx.now, released.as_ref())?;
        if !may_decide {
            // Who the approvers are (their addresses) is for approvers to see.
            shown.notifications.clear();
        }
        Ok(shown)
    })
}

/// `GET /v1/approvals?status=`: newest first.
pub fn list(
    ctx: &SecretContext<'_>,
    status: Option<ApprovalStatus>,
) -> Result<Vec<ApprovalView>, ApiError> {
    in_transaction(ctx.storage, "list approvals", || {
        // Expiry is derived at read time, so `pending` and `expired` look at the clock.
        let (filter, bindings): (&str, Vec<V>) = match status {
            None => ("1 = 1", vec![]),
            Some(ApprovalStatus::Pending) => {
                ("status = 'pending' AND expires_at > ?", vec![ts(ctx.now)])
            }
            Some(ApprovalStatus::Expired) => (
                "(status = 'expired' OR (status = 'pending' AND expires_at <= ?))",
                vec![ts(ctx.now)],
            ),
            Some(other) => ("status = ?", vec![other.as_str().into()]),
        };
        let rows = query(
            ctx.storage,
            &format!(
                "SELECT {COLUMNS} FROM approvals WHERE {filter} ORDER BY created_at DESC, id LIMIT 500"
            ),
            bindings,
        )?;
        let mut views = Vec::with_capacity(rows.len());
        for row in &rows {
            let stored = parse_row(ctx.storage, row)?;
            views.push(view(ctx.storage, &stored, ctx.now, None)?);
        }
        Ok(views)
    })
}

/// What a decision does.
pub enum Decision {
    Approve(Option<String>),
    Deny(Option<String>),
    Cancel,
}

/// Applies one decision by `approver` (an actor id, or the approver a link names).
pub fn decide(
    ctx: &SecretContext<'_>,
    approver: &str,
    may_decide: bool,
    id: &ApprovalId,
    decision: Decision,
) -> Result<ApprovalView, ApiError> {
    decide_inner(ctx, approver, may_decide, id, decision, |_| Ok(()))
}

/// [`decide`] for a link's approver, with `also` (using the link up) in the same transaction.
pub fn decide_with(
    ctx: &SecretContext<'_>,
    approver: &str,
    id: &ApprovalId,
    decision: Decision,
    also: impl FnOnce(&Storage) -> Result<(), StorageError>,
) -> Result<ApprovalView, ApiError> {
    decide_inner(ctx, approver, true, id, decision, also)
}

fn decide_inner(
    ctx: &SecretContext<'_>,
    approver: &str,
    may_decide: bool,
    id: &ApprovalId,
    decision: Decision,
    also: impl FnOnce(&Storage) -> Result<(), StorageError>,
) -> Result<ApprovalView, ApiError> {
    in_transaction(ctx.storage, "decide approval", || {
        let mut stored = load(ctx.storage, id)?;
        let deciding = matches!(decision, Decision::Approve(_) | Decision::Deny(_));
        let roles = roles_of(ctx.storage, approver)?;
        let user = latchkey_core::people::UserId::parse(approver).ok();
        let who = self::approver(approver, user.as_ref(), &roles, may_decide);
        // Who may decide comes first, as the scope check did before stages: a caller the
        // current stage does not admit learns who may, and nothing else.
        if deciding && !may_decide {
            match &stored.progress {
                Some(progress) => progress.check_eligible(&who)?,
                None => return Err(decide_scope_missing().into()),
            }
        }
        if deciding
            && crate::authorization::provenance::same_hand(
                ctx.storage,
                approver,
                &stored.state.requester,
            )?
        {
            return Err(ApiError::new(
                latchkey_core::ErrorCode::PermissionDenied,
                "neither the requester, nor a token minted by the requester, nor whoever minted the requester's token may decide this request",
            )
            .into());
        }
        let mut advanced = None;
        let (kind, note) = match (decision, stored.progress.as_mut()) {
            (Decision::Approve(note), Some(progress)) => {
                advanced = Some(progress.approve(&mut stored.state, &who, ctx.now)?);
                ("approve", note)
            }
            (Decision::Approve(note), None) => {
                stored.state.approve(approver, ctx.now)?;
                ("approve", note)
            }
            (Decision::Deny(note), Some(progress)) => {
                progress.deny(&mut stored.state, &who, ctx.now)?;
                ("deny", note)
            }
            (Decision::Deny(note), None) => {
                stored.state.deny(approver, ctx.now)?;
                ("deny", note)
            }
            (Decision::Cancel, progress) => {
                let may_cancel = may_decide || progress.is_some_and(|p| p.admits(&who));
                stored.state.cancel(approver, may_cancel, ctx.now)?;
                ("cancel", None)
            }
        };
        record(ctx.storage, id, approver, kind, note, ctx.now)?;
        save_state(ctx.storage, &stored)?;
        if let (Some(Advance::NextStage(index)), Some(progress)) =
            (advanced, stored.progress.as_ref())
        {
            // The next stage starts: its approvers are told, and the trail says so.
            crate::approvals::notifications::enqueue_stage(
                ctx,
                id.as_str(),
                Some(progress),
                stored.state.expires_at,
            )?;
            ctx.record_also(stage_started(id.as_str(), progress, index));
        }
        also(ctx.storage)?;
        Ok(view(ctx.storage, &stored, ctx.now, None)?)
    })
}

/// Marks pending requests past their expiry as expired (the maintenance alarm).
/// Returns the ids it expired, for their audit events.
pub fn expire(storage: &Storage, now: Timestamp) -> Result<Vec<String>, StorageError> {
    let ids = query(
        storage,
        "SELECT id FROM approvals WHERE status = 'pending' AND expires_at <= ?",
        vec![ts(now)],
    )?
    .iter()
    .map(|row| row.text(0))
    .collect::<Result<Vec<_>, _>>()?;
    execute(
        storage,
        "UPDATE approvals SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?",
        vec![ts(now)],
    )?;
    Ok(ids)
}

/// The earliest expiry of a pending request, for the alarm.
pub fn next_expiry(storage: &Storage) -> Result<Option<Timestamp>, StorageError> {
    match query_one(
        storage,
        "SELECT min(expires_at) FROM approvals WHERE status = 'pending'",
        vec![],
    )? {
        Some(row) => read_opt_ts(&row, 0),
        None => Ok(None),
    }
}

fn decide_scope_missing() -> ApiError {
    ApiError::new(
        latchkey_core::ErrorCode::PermissionDenied,
        "deciding this request needs approvals:decide",
    )
    .with("required_scope", "approvals:decide")
}

/// The roles a deciding user holds now (none for any other approver).
pub fn roles_of(
    storage: &Storage,
    approver: &str,
) -> Result<Vec<latchkey_core::role::RoleId>, StorageError> {
    if latchkey_core::people::UserId::parse(approver).is_err() {
        return Ok(Vec::new());
    }
    query(
        storage,
        "SELECT role_id FROM user_roles WHERE user_id = ?",
        vec![approver.into()],
    )?
    .iter()
    .filter_map(|row| {
        row.text(0)
            .map(|text| latchkey_core::role::RoleId::parse(&text).ok())
            .transpose()
    })
    .collect()
}

/// Someone deciding, as a stage sees them: a user id is a person (with `roles`).
pub fn approver<'a>(
    id: &'a str,
    user: Option<&'a latchkey_core::people::UserId>,
    roles: &'a [latchkey_core::role::RoleId],
    may_decide: bool,
) -> latchkey_core::workflow::Approver<'a> {
    latchkey_core::workflow::Approver {
        id,
        user,
        roles,
        may_decide,
    }
}

/// Who a caller is to a workflow's stages: its id, the person and roles behind it, and whether
/// it holds `approvals:decide`, looked up once (a listing asks it of many requests).
pub struct StageCaller {
    actor: String,
    user: Option<latchkey_core::people::UserId>,
    roles: Vec<latchkey_core::role::RoleId>,
    may_decide: bool,
}

impl StageCaller {
    pub fn of(ctx: &SecretContext<'_>, principal: &Principal) -> Result<Self, StorageError> {
        let actor = principal.actor();
        Ok(StageCaller {
            roles: roles_of(ctx.storage, &actor)?,
            user: latchkey_core::people::UserId::parse(&actor).ok(),
            may_decide: principal.scopes().covers(&Scope::ApprovalsDecide),
            actor,
        })
    }

    /// Whether a stage of the run admits them (a role's holder, a listed user, or an
    /// `approvals:decide` holder for an `any` stage): they may see the request, whatever its
    /// kind. A request that runs no stages admits nobody this way.
    pub fn admitted_by(&self, progress: Option<&Progress>) -> bool {
        progress.is_some_and(|p| {
            p.involves(&approver(
                &self.actor,
                self.user.as_ref(),
                &self.roles,
                self.may_decide,
            ))
        })
    }
}

/// [`StageCaller::admitted_by`] for one request.
pub fn stage_admits(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    progress: Option<&Progress>,
) -> Result<bool, StorageError> {
    Ok(StageCaller::of(ctx, principal)?.admitted_by(progress))
}

/// The audit event of a stage starting (issue 24).
pub fn stage_started(request: &str, progress: &Progress, index: usize) -> crate::audit::Draft {
    let mut draft = crate::audit::Draft::new("approval.stage_started", None)
        .detail("request_id", request)
        .detail("stage", index as u64);
    if let Some(stage) = progress.stages.get(index) {
        draft = draft
            .detail("workflow_id", stage.workflow.id.as_str())
            .detail("revision", stage.workflow.revision);
    }
    draft
}
