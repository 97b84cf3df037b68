//! Read and patch requests through workflows (issue 24): the stages a request runs (its
//! secret's governing workflow, else the default: the tier document's count, at least one),
//! and what their stages' messages say.

use crate::sql::{Row, Storage, StorageError, query_one};
use crate::store::{Failure, SecretContext};
use crate::workflow_rules::Loaded;
use latchkey_core::SecretPath;
use latchkey_core::Timestamp;
use latchkey_core::access_request::AccessKind;
use latchkey_core::access_request::AccessRequestId;
use latchkey_core::approval::{DEFAULT_APPROVAL_TTL_SECONDS, Requirement};
use latchkey_core::notification::RequestSummary;
use latchkey_core::notification::message::Asked;
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

/// What a message about a request says, for the message sent for `stage` (issue 24): what is
/// asked and by whom, the tier, and the stage; `None` once the request is gone.
pub fn summary(
    storage: &Storage,
    id: &AccessRequestId,
    stage: Option<usize>,
    now: Timestamp,
) -> Result<Option<RequestSummary>, Failure> {
    let Some(row) = query_one(
        storage,
        &format!(
            "SELECT {} FROM access_requests WHERE id = ?",
            super::COLUMNS
        ),
        vec![id.as_str().into()],
    )?
    else {
        return Ok(None);
    };
    let stored = super::parse(storage, &row, now)?;
    let view = &stored.view;
    let target = match (&view.path, &view.secret_id) {
        (Some(path), _) => path.to_string(),
        (None, Some(discovered)) => format!("discovered {discovered}"),
        (None, None) => String::new(),
    };
    let asked = match view.kind {
        AccessKind::Read => Asked::Read {
            request: id.clone(),
            target,
        },
        AccessKind::Patch => Asked::Patch {
            request: id.clone(),
            target,
        },
    };
    Ok(Some(RequestSummary {
        asked,
        requester_description: crate::people::describe_actor(storage, &view.requester_id)?,
        requester: view.requester_id.clone(),
        tier: view.tier.map(|tier| tier.as_str().to_owned()),
        required_approvals: stored.state.required,
        expires_at: stored.state.expires_at,
        stage: stored
            .progress
            .as_ref()
            .zip(stage)
            .and_then(|(p, index)| p.describe_stage(index)),
    }))
}
