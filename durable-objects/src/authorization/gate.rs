//! The one gate for values, in the tenant object: looks up what the decision needs (the stored
//! tier, the policies) and calls `latchkey_core::gate::authorize`. Every way a value is
//! written or leaves passes here:
//!
//! - commands that name a secret (their `latchkey_contract::Rules` give each its [`Flow`]) are admitted by
//!   [`admit_command`] before they run: reads, versions, fields, Vault reads and writes,
//!   updates, rotations, wraps of a path, broker uses;
//! - flows that move a value for someone other than the caller, or later, call [`admit`] from
//!   inside the command: an approved password request (the approver writes, the agent will
//!   receive), its collection, an approved access request (patch or wrap) and the retrieval of
//!   its wrap.

use crate::authorization::access::{Access, Principal};
use crate::sql::Storage;
use crate::sql::query_one;
use crate::store::{Failure, SecretContext, internal};
use latchkey_core::gate::{self as rules, Authority, Flow, Movement, PartyKind};
use latchkey_core::scope::SecretAction;
use latchkey_core::secret::Tier;
use latchkey_core::{ApiError, SecretPath};

/// Who a value moves for.
#[derive(Clone, Copy)]
pub enum Party<'a> {
    /// The caller: it acts and receives now (its `X-Latchkey-Purpose` counts).
    Caller(&'a Principal),
    /// Someone other than the caller, who will receive the value later ([`Flow::Reserve`]:
    /// its purpose is asked when it collects, not now).
    Recipient(&'a Principal),
    /// An access request approved by enough approvers for the secret's tier.
    Approved,
}

fn authority(principal: &Principal) -> (PartyKind, latchkey_core::scope::ScopeSet) {
    let kind = match principal {
        Principal::Master => PartyKind::Master,
        Principal::Token(_) => PartyKind::Token,
        Principal::Agent(_) => PartyKind::Agent,
        Principal::User(_) => PartyKind::User,
        Principal::Bootstrap(_) => PartyKind::Bootstrap,
    };
    (kind, principal.scopes())
}

/// The tier of the secret at `path`, if there is one (deleted ones included). An unknown
/// stored tier counts as critical.
pub fn stored_tier(storage: &Storage, path: &SecretPath) -> Result<Option<Tier>, ApiError> {
    let row = query_one(
        storage,
        "SELECT tier FROM secrets WHERE path = ?",
        vec![path.as_str().into()],
    )
    .map_err(|e| internal("secret tier", e))?;
    row.map(|r| r.text(0))
        .transpose()
        .map_err(|e| internal("secret tier", e))
        .map(|t| t.map(|t| Tier::parse(&t).unwrap_or(Tier::Critical)))
}

/// Admits one movement of a value at `path` for `party`.
pub fn admit(
    ctx: &SecretContext<'_>,
    flow: Flow,
    action: SecretAction,
    path: &SecretPath,
    party: Party<'_>,
) -> Result<(), ApiError> {
    let policies = ctx.policies().map_err(unfail)?;
    let tier = stored_tier(ctx.storage, path)?;
    // A recipient is not here to give a purpose (the request's is the caller's).
    let purpose = match party {
        Party::Caller(_) | Party::Approved => ctx.purpose,
        Party::Recipient(_) => None,
    };
    let movement = Movement {
        flow,
        action,
        path,
        tier,
        purpose,
        tier_checked_on_load: false,
    };
    match party {
        Party::Caller(principal) | Party::Recipient(principal) => {
            let (kind, scopes) = authority(principal);
            let authority = Authority::Party {
                kind,
                scopes: &scopes,
                clearance: principal.cleared_for(action, path),
            };
            rules::authorize(&movement, &authority, &policies).map_err(|mut refused| {
                if let Party::Recipient(_) = party {
                    refused.message = format!(
                        "the value would go to {}, who may not receive it: {}",
                        principal.audit_actor().id,
                        refused.message
                    );
                }
                refused
            })
        }
        Party::Approved => rules::authorize(&movement, &Authority::Approved, &policies),
    }
}

/// Admits a command that names secrets (`access::required`), before it runs. A read, an update
/// and a rotation check the tier against the row they load anyway (`ctx.clearance`), so the
/// tier is looked up here only when the purpose rule needs it.
pub fn admit_command(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    required: &Access,
) -> Result<(), ApiError> {
    let (flow, action, paths, tier_checked_on_load) = match required {
        Access::Secret(flow, action, path) => (*flow, *action, std::slice::from_ref(path), false),
        // The handler checks the tier against the row it loads anyway (`ctx.clearance`).
        Access::LoadedSecret(flow, action, path) => {
            (*flow, *action, std::slice::from_ref(path), true)
        }
        Access::Secrets(flow, action, paths) => (*flow, *action, paths.as_slice(), false),
        Access::Scope(_)
        | Access::Authenticated
        | Access::Agent
        | Access::Bootstrap
        | Access::Person
        | Access::PersonOr(_) => {
            return Ok(());
        }
    };
    let (kind, scopes) = authority(principal);
    let policies = ctx.policies().map_err(unfail)?;
    let purpose_needs_tier =
        flow == Flow::Release && ctx.purpose.is_none() && policies.any_requires_purpose();
    for path in paths {
        let clearance = principal.cleared_for(action, path);
        let skip_tier = tier_checked_on_load || clearance.is_none();
        // Scope first: an out-of-scope path is refused before anything about it is looked up.
        rules::check_scope(kind, &scopes, action, path)?;
        let tier = if skip_tier && !purpose_needs_tier {
            None
        } else {
            stored_tier(ctx.storage, path)?
        };
        let movement = Movement {
            flow,
            action,
            path,
            tier,
            purpose: ctx.purpose,
            tier_checked_on_load: skip_tier,
        };
        let authority = Authority::Party {
            kind,
            scopes: &scopes,
            clearance,
        };
        rules::authorize(&movement, &authority, &policies)?;
        if let (Some(tier), false) = (tier, skip_tier) {
            ctx.check_workflow_clearance(path, tier)?;
        }
    }
    Ok(())
}

fn unfail(e: Failure) -> ApiError {
    match e {
        Failure::Client(e) => e,
        Failure::Storage(e) => internal("policies", e),
    }
}
