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
}

const COLUMNS: &str = "id, status, requester, required, cancel_window_seconds, expires_at, \
    approved_at, released, requester_description, token_request, tier, secrets_reached, \
    created_at, token_id, token_expires_at";

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
        notifications: crate::approvals::notifications::statuses(storage, &stored.id)?,
    })
}

/// A request's view, for its review page.
pub fn view_by_id(ctx: &SecretContext<'_>, id: &ApprovalId) -> Result<ApprovalView, ApiError> {
    in_transaction(ctx.storage, "read approval", || {
        let stored = load(ctx.storage, id)?;
        Ok(view(ctx.storage, &stored, ctx.now, None)?)
    })
}

/// What messages about a request say. (Where their links point is `PUBLIC_URL`'s alone.)
pub fn summary(
    storage: &Storage,
    id: &ApprovalId,
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
    Ok(Some(crate::approvals::notifications::summary_of(&view)))
}

/// Writes a state back after a transition.
fn save_state(
    storage: &Storage,
    id: &ApprovalId,
    state: &ApprovalState,
) -> Result<(), StorageError> {
    execute(
        storage,
        "UPDATE approvals SET status = ?, approved_at = ?, released = ? WHERE id = ?",
        vec![
            state.status.as_str().into(),
            state.approved_at.map(|t| t.unix_ms()).into(),
            V::Integer(i64::from(state.released)),
            id.as_str().into(),
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

/// Opens a request for a token whose scope reaches secrets that need approval.
pub fn open(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    request: TokenRequest,
    reach: &Reach,
    ttl_seconds: i64,
) -> Result<ApprovalView, ApiError> {
    let id = ApprovalId::generate(ctx.tenant_id).map_err(|e| internal("approval id", e))?;
    let json = serde_json::to_string(&request).map_err(|e| internal("token request", e))?;
    let expires_at = ctx.now.plus_seconds(ttl_seconds);
    in_transaction(ctx.storage, "open approval", || {
        execute(
            ctx.storage,
            "INSERT INTO approvals (id, status, requester, required, cancel_window_seconds,
                expires_at, approved_at, released, requester_description, token_request, tier,
                secrets_reached, created_at, token_id, token_expires_at, origin)
             VALUES (?, 'pending', ?, ?, ?, ?, NULL, 0, ?, ?, ?, ?, ?, NULL, NULL, ?)",
            vec![
                id.as_str().into(),
                principal.actor().into(),
                V::Integer(i64::try_from(reach.requirement.approvals).unwrap_or(i64::MAX)),
                V::Integer(
                    i64::try_from(reach.requirement.cancel_window_seconds).unwrap_or(i64::MAX),
                ),
                ts(expires_at),
                principal.description().into(),
                json.clone().into(),
                reach.tier.as_str().into(),
                V::Integer(i64::try_from(reach.secrets).unwrap_or(i64::MAX)),
                ts(ctx.now),
                // The `origin` column is no longer written: links point at PUBLIC_URL only,
                // never at the host a request named.
                "".into(),
            ],
        )?;
        crate::approvals::notifications::enqueue(ctx, &id, expires_at)?;
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
            let created = access::mint(
                ctx.storage,
                ctx.tenant_id,
                &actor,
                &stored.request,
                // The approvals given are what cleared it: a secret whose rule needs more
                // stays closed to it.
                latchkey_core::gate::Clearance {
                    tier: stored.tier,
                    approvals: Some(stored.state.required),
                },
                ctx.now,
                access::not_after(principal),
            )?;
            save_state(ctx.storage, id, &stored.state)?;
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
        let (kind, note) = match decision {
            Decision::Approve(note) => {
                stored.state.approve(approver, ctx.now)?;
                ("approve", note)
            }
            Decision::Deny(note) => {
                stored.state.deny(approver, ctx.now)?;
                ("deny", note)
            }
            Decision::Cancel => {
                stored.state.cancel(approver, may_decide, ctx.now)?;
                ("cancel", None)
            }
        };
        record(ctx.storage, id, approver, kind, note, ctx.now)?;
        save_state(ctx.storage, id, &stored.state)?;
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
