//! Access requests in the tenant's storage. The decision state is the token
//! approvals' ([`ApprovalState`], stored as JSON beside a `status` column for filtering); a
//! patch's value is sealed under its own data key, bound to the request, until it is applied
//! or the request ends, then zeroed.

use crate::agents::carried;

pub mod on_discovered;
pub(crate) mod stages;
use crate::authorization::access::Principal;
use crate::authorization::gate::{self, Party};
use crate::secrets;
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::sql::{Storage, Value as V};
use crate::store::{
    Failure, SecretContext, in_transaction, internal, json_column, json_text, live_secret,
    load_secret, read_count, read_opt_ts, read_ts, ts, zero_sealed,
};
use crate::wraps;
use latchkey_core::access_request::{
    AccessKind, AccessRequestId, AccessRequestView, MAX_PENDING_REQUESTS, NewAccessRequest,
    RequestDecision, RequestQuery, status_name,
};
use latchkey_core::agent::discovered::DiscoveredSecretId;
use latchkey_core::approval::{
    ApprovalState, ApprovalStatus, DEFAULT_APPROVAL_TTL_SECONDS, DecisionRecord,
};
use latchkey_core::crypto::Sealed;
use latchkey_core::gate::Flow;
use latchkey_core::scope::Scope;
use latchkey_core::scope::SecretAction;
use latchkey_core::secret::{MetadataChange, SecretUpdate, Tier};
use latchkey_core::wrap::{Unwrapped, WrapId, WrapSummary};
use latchkey_core::{ApiError, ErrorCode, SecretPath, Timestamp};

/// A decision on an access request.
pub enum Decision {
    Approve(Option<String>),
    Reject(Option<String>),
    Cancel,
}

fn purpose(id: &AccessRequestId) -> String {
    format!("request:{id}")
}

const COLUMNS: &str = "id, kind, path, reason, requester, tier, state, ttl_seconds, created_at, \
    decided_at, wrap_id, applied_version, blind, secret_id, job_id, progress";

/// The stored tier of a request for a path with no secret (filed blind).
const NO_SECRET: &str = "none";

struct Stored {
    view: AccessRequestView,
    state: ApprovalState,
    /// The stages it runs (issue 24); `None` for a request from before workflows.
    progress: Option<latchkey_core::workflow::progress::Progress>,
    /// Filed by a requester who could not see the path: its tier is not shown to them.
    blind: bool,
}

fn parse(storage: &Storage, row: &Row, now: Timestamp) -> Result<Stored, StorageError> {
    let id = AccessRequestId::parse(&row.text(0)?).map_err(StorageError)?;
    let kind_text = row.text(1)?;
    let state: ApprovalState = json_column(row, 6)?;
    let approvals = decisions(storage, &id)?
        .into_iter()
        .map(RequestDecision::from)
        .collect();
    let path = row.text(2)?;
    let secret_id = row
        .opt_text(13)?
        .map(|t| DiscoveredSecretId::parse(&t))
        .transpose()
        .map_err(StorageError)?;
    let (execution, execution_error) = match &secret_id {
        Some(_) => {
            let (execution, error) = carried::execution(
                storage,
                row.opt_text(14)?.as_deref(),
                row.opt_text(10)?.is_some(),
            )?;
            (Some(execution.as_str().to_owned()), error)
        }
        None => (None, None),
    };
    let view = AccessRequestView {
        kind: AccessKind::parse(&kind_text)
            .ok_or_else(|| StorageError(format!("stored kind '{kind_text}'")))?,
        // A carried request (on a discovered secret) stores no path: ''.
        path: match path.as_str() {
            "" => None,
            text => Some(SecretPath::parse(text).map_err(StorageError)?),
        },
        secret_id,
        reason: row.text(3)?,
        status: status_name(state.status_at(now)).to_owned(),
        requester_id: row.text(4)?,
        tier: match row.text(5)?.as_str() {
            NO_SECRET => None,
            text => Some(Tier::parse(text).unwrap_or(Tier::Critical)),
        },
        required_approvals: Some(state.required),
        approvals,
        created_at: read_ts(row, 8)?,
        expires_at: state.expires_at,
        decided_at: read_opt_ts(row, 9)?,
        ttl_seconds: row.opt_int(7)?.map(|v| u64::try_from(v).unwrap_or(0)),
        wrap_id: row
            .opt_text(10)?
            .map(|t| WrapId::parse(&t))
            .transpose()
            .map_err(StorageError)?,
        applied_version: row.opt_int(11)?.map(|v| u64::try_from(v).unwrap_or(0)),
        execution,
        execution_error,
        workflow: None,
        stage: None,
        stages: None,
        id,
    };
    let blind = row.int(12)? != 0;
    let progress = stages::read(row, 15)?;
    let mut stored = Stored {
        view,
        state,
        blind,
        progress,
    };
    show_stages(&mut stored.view, stored.progress.as_ref());
    Ok(stored)
}

/// The view's workflow, stage and stages from the run.
fn show_stages(
    view: &mut AccessRequestView,
    progress: Option<&latchkey_core::workflow::progress::Progress>,
) {
    view.workflow = progress.and_then(|p| p.workflow());
    view.stage = progress.and_then(|p| p.view());
    view.stages = progress.map(|p| p.stages.clone());
}

/// What a blind requester is not shown: the tier, the count, and the stages (a policy's tier
/// criterion would tell the tier).
fn hide_for_blind(view: &mut AccessRequestView) {
    view.tier = None;
    view.required_approvals = None;
    view.workflow = None;
    view.stage = None;
    view.stages = None;
}

/// The view as `principal` may see it: a requester who filed blind does not see the tier.
fn shown_to(principal: &Principal, stored: Stored) -> AccessRequestView {
    let mut view = stored.view;
    if stored.blind && view.requester_id == principal.actor() && !may_decide(principal) {
        hide_for_blind(&mut view);
    }
    view
}

fn decisions(storage: &Storage, id: &AccessRequestId) -> Result<Vec<DecisionRecord>, StorageError> {
    query(
        storage,
        "SELECT approver, decision, note, at FROM access_request_decisions
         WHERE request_id = ? ORDER BY at, rowid",
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

fn not_found(id: &AccessRequestId) -> ApiError {
    ApiError::not_found(format!("access request '{id}' not found")).with("id", id.as_str())
}

fn may_decide(principal: &Principal) -> bool {
    principal.scopes().covers(&Scope::ApprovalsDecide)
}

/// A request its requester or an approver may see; anyone else gets 404, as if it did not
/// exist.
fn load_visible(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &AccessRequestId,
) -> Result<Stored, Failure> {
    let row = query_one(
        ctx.storage,
        &format!("SELECT {COLUMNS} FROM access_requests WHERE id = ?"),
        vec![id.as_str().into()],
    )?
    .ok_or_else(|| not_found(id))?;
    let stored = parse(ctx.storage, &row, ctx.now)?;
    if stored.view.requester_id != principal.actor()
        && !may_decide(principal)
        && !crate::approvals::stage_admits(ctx, principal, stored.progress.as_ref())?
    {
        return Err(not_found(id).into());
    }
    Ok(stored)
}

/// `POST /v1/requests/read` and `POST /v1/requests`: the approvals it needs are the secret's
/// tier's under the policy, and never fewer than one. A requester whose scopes reach the
/// path learns at once when there is no live secret there. One who cannot see the path gets
/// the same answer whether or not a secret is there and whatever its tier: the request is
/// filed *blind* and shows them neither the tier nor the count of approvals it needs (which
/// would tell the tier); approvers see the truth, and approving a request for nothing fails.
pub fn create(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    request: NewAccessRequest,
) -> Result<AccessRequestView, ApiError> {
    let id = AccessRequestId::generate().map_err(|e| internal("request id", e))?;
    let blind = !principal.scopes().reaches(&request.path);
    in_transaction(ctx.storage, "create access request", || {
        let secret = if blind {
            load_secret(ctx.storage, &request.path)?.filter(|row| row.deleted_at.is_none())
        } else {
            Some(live_secret(ctx.storage, &request.path)?)
        };
        if let (false, Some(secret)) = (blind, &secret)
            && request.kind == AccessKind::Read
            && secret.current_version == 0
        {
            return Err(ApiError::conflict(format!(
                "'{}' holds fields only; there is no value to read through a request",
                request.path
            ))
            .with("path", request.path.as_str())
            .into());
        }
        check_pending(ctx, &principal.actor())?;
        let tier = secret.as_ref().map(|s| s.metadata.tier);
        let policies = ctx.policies()?;
        // With no secret there, what a critical one would need (approving it fails anyway).
        let required = policies
            .requirement(tier.unwrap_or(Tier::Critical), &request.path)
            .approvals
            .max(1);
        let sealed = match &request.value {
            Some(value) => Some(ctx.seal_config(&purpose(&id), value)?),
            None => None,
        };
        let progress =
            stages::progress_for(ctx, &request.path, None, request.kind, tier, required)?;
        let mut view = insert_pending(
            ctx,
            &id,
            Pending {
                kind: request.kind,
                path: Some(&request.path),
                secret_id: None,
                reason: &request.reason,
                requester: &principal.actor(),
                tier,
                required,
                ttl_seconds: request.ttl_seconds,
                sealed,
                blind,
                progress,
            },
        )?;
        if blind {
            hide_for_blind(&mut view);
        }
        Ok::<_, Failure>(view)
    })
}

/// Refuses a requester who already holds [`MAX_PENDING_REQUESTS`] undecided requests.
pub(crate) fn check_pending(ctx: &SecretContext<'_>, requester: &str) -> Result<(), Failure> {
    let pending = query_one(
        ctx.storage,
        "SELECT count(*), min(expires_at) FROM access_requests
             WHERE status = 'pending' AND expires_at > ? AND requester = ?",
        vec![ts(ctx.now), requester.into()],
    )?;
    let (count, first_expiry) = match pending {
        Some(row) => (read_count(&row, 0)?, read_opt_ts(&row, 1)?),
        None => (0, None),
    };
    if count >= MAX_PENDING_REQUESTS {
        // A slot frees when the oldest undecided request expires, at the latest.
        let retry_after = first_expiry.map_or(1, |at| {
            let ms = at.unix_ms() - ctx.now.unix_ms();
            u64::try_from(ms.max(0))
                .map_or(1, |ms| ms.div_ceil(1000))
                .max(1)
        });
        return Err(ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "you have {MAX_PENDING_REQUESTS} undecided access requests; cancel some or wait for decisions"
                ),
            )
            .with("retry_after", retry_after)
            .into());
    }
    Ok(())
}

/// A new request's row, before [`insert_pending`].
pub(crate) struct Pending<'a> {
    pub kind: AccessKind,
    pub path: Option<&'a SecretPath>,
    pub secret_id: Option<&'a DiscoveredSecretId>,
    pub reason: &'a str,
    pub requester: &'a str,
    /// `None`: no secret at the path (filed blind).
    pub tier: Option<Tier>,
    pub required: u64,
    pub ttl_seconds: Option<u64>,
    pub sealed: Option<Sealed>,
    pub blind: bool,
    /// The stages it runs (issue 24).
    pub progress: Option<latchkey_core::workflow::progress::Progress>,
}

/// Inserts a pending request (stored or carried) and answers its view.
pub(crate) fn insert_pending(
    ctx: &SecretContext<'_>,
    id: &AccessRequestId,
    new: Pending<'_>,
) -> Result<AccessRequestView, Failure> {
    let mut state = ApprovalState {
        status: ApprovalStatus::Pending,
        requester: new.requester.to_owned(),
        required: new.required,
        cancel_window_seconds: 0,
        approvers: Vec::new(),
        expires_at: ctx.now.plus_seconds(DEFAULT_APPROVAL_TTL_SECONDS),
        approved_at: None,
        released: false,
    };
    if let Some(progress) = &new.progress {
        progress.sync(&mut state);
    }
    let (key, ciphertext) = match new.sealed {
        Some(sealed) => (V::Blob(sealed.wrapped_data_key), V::Blob(sealed.ciphertext)),
        None => (V::Null, V::Null),
    };
    execute(
        ctx.storage,
        "INSERT INTO access_requests (id, kind, path, reason, requester, tier, state, status,
            ttl_seconds, wrapped_data_key, ciphertext, created_at, expires_at, decided_at,
            wrap_id, applied_version, blind, secret_id, job_id, progress)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, NULL, ?)",
        vec![
            id.as_str().into(),
            new.kind.as_str().into(),
            new.path.map_or("", SecretPath::as_str).into(),
            new.reason.into(),
            state.requester.as_str().into(),
            new.tier.map_or(NO_SECRET, Tier::as_str).into(),
            json_text(&state)?.into(),
            new.ttl_seconds
                .map(|t| i64::try_from(t).unwrap_or(i64::MAX))
                .into(),
            key,
            ciphertext,
            ts(ctx.now),
            ts(state.expires_at),
            V::Integer(i64::from(new.blind)),
            new.secret_id.map(DiscoveredSecretId::as_str).into(),
            crate::approvals::progress_json(new.progress.as_ref())?,
        ],
    )?;
    // The first stage's approvers hear of it (issue 24).
    crate::approvals::notifications::enqueue_stage(
        ctx,
        id.as_str(),
        new.progress.as_ref(),
        state.expires_at,
    )?;
    let mut view = AccessRequestView {
        id: id.clone(),
        kind: new.kind,
        path: new.path.cloned(),
        secret_id: new.secret_id.cloned(),
        reason: new.reason.to_owned(),
        status: status_name(ApprovalStatus::Pending).to_owned(),
        requester_id: state.requester.clone(),
        tier: new.tier,
        required_approvals: Some(state.required),
        approvals: Vec::new(),
        created_at: ctx.now,
        expires_at: state.expires_at,
        decided_at: None,
        ttl_seconds: new.ttl_seconds,
        wrap_id: None,
        applied_version: None,
        execution: new.secret_id.map(|_| {
            latchkey_core::carried::Execution::Pending
                .as_str()
                .to_owned()
        }),
        execution_error: None,
        workflow: None,
        stage: None,
        stages: None,
    };
    show_stages(&mut view, new.progress.as_ref());
    Ok(view)
}

/// `GET /v1/requests[?requester_id=&status=]`: approvers see every request, anyone else only
/// their own. Newest first, at most 500.
pub fn list(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    query_: &RequestQuery,
) -> Result<Vec<AccessRequestView>, ApiError> {
    let fail = |e: StorageError| internal("list access requests", e);
    let mut filters: Vec<&str> = Vec::new();
    let mut bindings: Vec<V> = Vec::new();
    if !may_decide(principal) {
        filters.push("requester = ?");
        bindings.push(principal.actor().into());
    }
    if let Some(requester) = &query_.requester_id {
        filters.push("requester = ?");
        bindings.push(requester.as_str().into());
    }
    match query_.status {
        None => {}
        Some(ApprovalStatus::Pending) => {
            filters.push("status = 'pending' AND expires_at > ?");
            bindings.push(ts(ctx.now));
        }
        Some(ApprovalStatus::Expired) => {
            filters.push("(status = 'expired' OR (status = 'pending' AND expires_at <= ?))");
            bindings.push(ts(ctx.now));
        }
        Some(status) => {
            filters.push("status = ?");
            bindings.push(status.as_str().into());
        }
    }
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", filters.join(" AND "))
    };
    query(
        ctx.storage,
        &format!(
            "SELECT {COLUMNS} FROM access_requests {filter} ORDER BY created_at DESC, id LIMIT 500"
        ),
        bindings,
    )
    .and_then(|rows| {
        rows.iter()
            .map(|row| parse(ctx.storage, row, ctx.now).map(|s| shown_to(principal, s)))
            .collect()
    })
    .map_err(fail)
}

/// `GET /v1/requests/{id}`.
pub fn get(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &AccessRequestId,
) -> Result<AccessRequestView, ApiError> {
    load_visible(ctx, principal, id)
        .map(|s| shown_to(principal, s))
        .map_err(|f| match f {
            Failure::Client(e) => e,
            Failure::Storage(e) => internal("read access request", e),
        })
}

/// Approve, reject or cancel. The last approval applies the request in the same
/// transaction: a read leaves a wrap of the current value for the requester, a patch becomes
/// the next version. If applying fails (the secret was deleted meanwhile), nothing changes.
pub fn decide(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &AccessRequestId,
    decision: Decision,
) -> Result<AccessRequestView, ApiError> {
    let actor = principal.actor();
    in_transaction(ctx.storage, "decide access request", || {
        let stored = load_visible(ctx, principal, id)?;
        let blind = stored.blind;
        let Stored {
            mut view,
            mut state,
            mut progress,
            ..
        } = stored;
        let deciding = matches!(decision, Decision::Approve(_) | Decision::Reject(_));
        let roles = crate::approvals::roles_of(ctx.storage, &actor)?;
        let user = latchkey_core::people::UserId::parse(&actor).ok();
        let who = crate::approvals::approver(&actor, user.as_ref(), &roles, may_decide(principal));
        // Who may decide comes first: the current stage's rule (before stages, the scope).
        if deciding && !may_decide(principal) {
            match &progress {
                Some(p) => p.check_eligible(&who)?,
                None => {
                    return Err(ApiError::new(
                        ErrorCode::PermissionDenied,
                        "deciding this request needs approvals:decide",
                    )
                    .with("required_scope", "approvals:decide")
                    .into());
                }
            }
        }
        if deciding
            && crate::authorization::provenance::same_hand(ctx.storage, &actor, &state.requester)?
        {
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                "nobody decides a request filed by themselves, by anything they made (directly or through what they made), or by whoever made them",
            )
            .into());
        }
        // The secret may have been raised to a stricter tier since the request was made.
        if let (Decision::Approve(_), Some(path)) = (&decision, &view.path) {
            let tier = live_secret(ctx.storage, path)?.metadata.tier;
            let now_required = ctx.policies()?.requirement(tier, path).approvals.max(1);
            match progress.as_mut() {
                Some(p) => p.raise_default(now_required),
                None => state.required = state.required.max(now_required),
            }
        }
        let mut advanced = None;
        let (kind, note) = match (decision, progress.as_mut()) {
            (Decision::Approve(note), Some(p)) => {
                advanced = Some(p.approve(&mut state, &who, ctx.now)?);
                ("approve", note)
            }
            (Decision::Approve(note), None) => {
                state.approve(&actor, ctx.now)?;
                ("approve", note)
            }
            (Decision::Reject(note), Some(p)) => {
                p.deny(&mut state, &who, ctx.now)?;
                ("deny", note)
            }
            (Decision::Reject(note), None) => {
                state.deny(&actor, ctx.now)?;
                ("deny", note)
            }
            (Decision::Cancel, _) => {
                if actor != state.requester {
                    return Err(ApiError::new(
                        ErrorCode::PermissionDenied,
                        "only the requester may cancel an access request",
                    )
                    .into());
                }
                state.cancel(&actor, false, ctx.now)?;
                ("cancel", None)
            }
        };
        execute(
            ctx.storage,
            "INSERT INTO access_request_decisions (request_id, approver, decision, note, at)
             VALUES (?, ?, ?, ?, ?)",
            vec![
                id.as_str().into(),
                actor.as_str().into(),
                kind.into(),
                note.as_deref().into(),
                ts(ctx.now),
            ],
        )?;
        if let (Some(latchkey_core::workflow::progress::Advance::NextStage(index)), Some(p)) =
            (advanced, progress.as_ref())
        {
            // The next stage starts: its approvers are told, and the trail says so.
            crate::approvals::notifications::enqueue_stage(
                ctx,
                id.as_str(),
                Some(p),
                state.expires_at,
            )?;
            ctx.record_also(crate::approvals::stage_started(id.as_str(), p, index));
        }
        let decided = state.status != ApprovalStatus::Pending;
        if state.status == ApprovalStatus::Approved
            && let Some(secret_id) = &view.secret_id
        {
            // A discovered secret: its agent carries the request out.
            carried::approved(ctx, id, view.kind, secret_id, &actor)?;
            let (execution, _) = carried::execution(
                ctx.storage,
                query_one(
                    ctx.storage,
                    "SELECT job_id FROM access_requests WHERE id = ?",
                    vec![id.as_str().into()],
                )?
                .map(|row| row.opt_text(0))
                .transpose()?
                .flatten()
                .as_deref(),
                false,
            )?;
            view.execution = Some(execution.as_str().to_owned());
        } else if state.status == ApprovalStatus::Approved
            && let Some(path) = view.path.clone()
        {
            // The approvals stand in for the requester's scope and clearance; the value moves
            // through the one gate all the same (the purpose is asked when it is retrieved).
            let (flow, action) = match view.kind {
                AccessKind::Read => (Flow::Reserve, SecretAction::Read),
                AccessKind::Patch => (Flow::Write, SecretAction::Write),
            };
            gate::admit(ctx, flow, action, &path, Party::Approved)?;
            match view.kind {
                AccessKind::Read => {
                    let wrap = wraps::create_for_request(
                        ctx,
                        id,
                        &state.requester,
                        &path,
                        view.ttl_seconds.unwrap_or(3_600),
                    )?;
                    view.wrap_id = Some(wrap);
                }
                AccessKind::Patch => {
                    let value = sealed_value(ctx, id)?;
                    let updated = secrets::update(
                        ctx,
                        &path,
                        SecretUpdate {
                            value: Some(value),
                            change: MetadataChange::default(),
                        },
                        None,
                    )?;
                    view.applied_version = Some(updated.version);
                }
            }
        }
        if decided {
            erase_value(ctx.storage, "id = ?", vec![id.as_str().into()])?;
            if state.status != ApprovalStatus::Approved {
                carried::erase(ctx.storage, "request_id = ?", vec![id.as_str().into()])?;
            }
            view.decided_at = Some(ctx.now);
        }
        execute(
            ctx.storage,
            "UPDATE access_requests SET state = ?, status = ?, decided_at = ?, wrap_id = ?,
                applied_version = ?, expires_at = ?, progress = ? WHERE id = ?",
            vec![
                json_text(&state)?.into(),
                state.status.as_str().into(),
                view.decided_at.map(|t| t.unix_ms()).into(),
                view.wrap_id.as_ref().map(WrapId::as_str).into(),
                view.applied_version
                    .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
                    .into(),
                ts(state.expires_at),
                crate::approvals::progress_json(progress.as_ref())?,
                id.as_str().into(),
            ],
        )?;
        view.status = status_name(state.status_at(ctx.now)).to_owned();
        view.required_approvals = Some(state.required);
        view.expires_at = state.expires_at;
        show_stages(&mut view, progress.as_ref());
        if blind && view.requester_id == actor && !may_decide(principal) {
            hide_for_blind(&mut view);
        }
        view.approvals = decisions(ctx.storage, id)?
            .into_iter()
            .map(RequestDecision::from)
            .collect();
        Ok::<_, Failure>(view)
    })
}

fn sealed_value(ctx: &SecretContext<'_>, id: &AccessRequestId) -> Result<String, Failure> {
    let row = query_one(
        ctx.storage,
        "SELECT hex(wrapped_data_key), hex(ciphertext) FROM access_requests WHERE id = ?",
        vec![id.as_str().into()],
    )?
    .ok_or_else(|| not_found(id))?;
    let sealed = Sealed {
        wrapped_data_key: row.blob(0)?,
        ciphertext: row.blob(1)?,
    };
    ctx.open_config(&purpose(id), &sealed)
}

fn erase_value(storage: &Storage, filter: &str, bindings: Vec<V>) -> Result<(), StorageError> {
    zero_sealed(
        storage,
        "access_requests",
        &format!("({filter}) AND ciphertext IS NOT NULL"),
        bindings.clone(),
    )?;
    execute(
        storage,
        &format!(
            "UPDATE access_requests SET ciphertext = NULL, wrapped_data_key = NULL
             WHERE ({filter}) AND ciphertext IS NOT NULL"
        ),
        bindings,
    )
}

/// Requests a reader of the trail should hear expired: pending past their expiry. Marks them
/// expired and erases their sealed values (the maintenance alarm). Returns their ids.
pub fn expire(storage: &Storage, now: Timestamp) -> Result<Vec<String>, StorageError> {
    let rows = query(
        storage,
        "SELECT id, state FROM access_requests WHERE status = 'pending' AND expires_at <= ?",
        vec![ts(now)],
    )?;
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = row.text(0)?;
        let mut state: ApprovalState = json_column(row, 1)?;
        state.status = ApprovalStatus::Expired;
        execute(
            storage,
            "UPDATE access_requests SET state = ?, status = 'expired' WHERE id = ?",
            vec![json_text(&state)?.into(), id.as_str().into()],
        )?;
        ids.push(id);
    }
    erase_value(storage, "status = 'expired'", vec![])?;
    carried::erase_expired(storage, now)?;
    Ok(ids)
}

/// When the next pending request expires.
pub fn next_expiry(storage: &Storage) -> Result<Option<Timestamp>, StorageError> {
    query_one(
        storage,
        "SELECT min(expires_at) FROM access_requests WHERE status = 'pending'",
        vec![],
    )?
    .map(|row| read_opt_ts(&row, 0))
    .transpose()
    .map(Option::flatten)
}

fn requester_only(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &AccessRequestId,
) -> Result<Stored, Failure> {
    let stored = load_visible(ctx, principal, id)?;
    // Approvers see the request, not its wraps: only the requester receives the value.
    if stored.view.requester_id != principal.actor() {
        return Err(not_found(id).into());
    }
    Ok(stored)
}

/// `GET /v1/requests/{id}/wraps`: the requester's wraps, without values.
pub fn wraps_of(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &AccessRequestId,
) -> Result<Vec<WrapSummary>, ApiError> {
    requester_only(ctx, principal, id)
        .and_then(|_| Ok(wraps::of_request(ctx.storage, id, ctx.now)?))
        .map_err(|f| match f {
            Failure::Client(e) => e,
            Failure::Storage(e) => internal("request wraps", e),
        })
}

/// `GET /v1/requests/{id}/wraps/{wrap_id}`: the value, once.
pub fn retrieve(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &AccessRequestId,
    wrap: &WrapId,
) -> Result<Unwrapped, ApiError> {
    let stored = requester_only(ctx, principal, id).map_err(|f| match f {
        Failure::Client(e) => e,
        Failure::Storage(e) => internal("request wrap", e),
    })?;
    // The value leaves now: through the one gate, on the approvals' authority (the purpose
    // rule applies). A discovered secret's value was never a stored secret's: no path, no gate.
    if let Some(path) = &stored.view.path {
        gate::admit(
            ctx,
            Flow::Release,
            SecretAction::Read,
            path,
            Party::Approved,
        )?;
    }
    wraps::retrieve_for_request(ctx, id, wrap)
}
