//! Read and patch requests through workflows (issue 24): the stages a request runs (its
//! secret's governing workflow, else the default: the tier document's count, at least one),
//! and who may see and decide it.

use crate::approvals::{approver, roles_of};
use crate::authorization::access::Principal;
use crate::sql::{Row, StorageError};
use crate::store::{Failure, SecretContext};
use crate::workflow_rules::Loaded;
use latchkey_core::SecretPath;
use latchkey_core::access_request::AccessKind;
use latchkey_core::approval::{DEFAULT_APPROVAL_TTL_SECONDS, Requirement};
use latchkey_core::people::UserId;
use latchkey_core::scope::Scope;
use latchkey_core::secret::Tier;
use latchkey_core::workflow::plan::plan;
use latchkey_core::workflow::policy::{Item, RequestKind};
use latchkey_core::workflow::progress::Progress;

/// The request kind a policy's `kind` matches.
pub fn kind_of(kind: AccessKind) -> RequestKind {
    match kind {
        AccessKind::Read => RequestKind::Read,
        AccessKind::Patch => RequestKind::Patch,
    }
}

/// The stages a request on one item runs. `required` is the default's count (already at
/// least one); `tier` `None` matches no tier criterion.
pub fn progress_for(
    ctx: &SecretContext<'_>,
    path: &SecretPath,
    cluster: Option<&str>,
    kind: AccessKind,
    tier: Option<Tier>,
    required: u64,
) -> Result<Option<Progress>, Failure> {
    let loaded = Loaded::load(ctx.storage)?;
    let item: Item<'_> = loaded.item(path, cluster, tier, kind_of(kind));
    let ttl = DEFAULT_APPROVAL_TTL_SECONDS;
    let stages = plan(
        &loaded.rules(),
        [(
            item,
            Requirement {
                approvals: required,
                cancel_window_seconds: 0,
            },
        )],
        1,
        u64::try_from(ttl).unwrap_or(0),
    )
    .stages;
    Ok(Progress::start(stages, ctx.now, ctx.now.plus_seconds(ttl)))
}

/// A stored progress column (NULL before workflows).
pub fn read(row: &Row, column: usize) -> Result<Option<Progress>, StorageError> {
    crate::approvals::read_progress(row, column)
}

/// Whether `principal` holds `approvals:decide`.
pub fn may_decide(principal: &Principal) -> bool {
    principal.scopes().covers(&Scope::ApprovalsDecide)
}

/// Whether a stage of the run admits `principal` (a role's holder, a listed user, or an
/// `approvals:decide` holder for an `any` stage): they may see the request.
pub fn admits(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    progress: Option<&Progress>,
) -> Result<bool, StorageError> {
    let Some(progress) = progress else {
        return Ok(false);
    };
    let actor = principal.actor();
    let roles = roles_of(ctx.storage, &actor)?;
    let user = UserId::parse(&actor).ok();
    Ok(progress.involves(&approver(
        &actor,
        user.as_ref(),
        &roles,
        may_decide(principal),
    )))
}
