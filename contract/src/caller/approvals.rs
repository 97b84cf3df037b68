//! `/v1/approvals` and `/v1/policies`: token approval requests and the rules that ask for them.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::approval::{ApprovalId, ApprovalStatus, ApprovalView, Policies};
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct GetApproval {
    pub id: ApprovalId,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListApprovals {
    pub status: Option<ApprovalStatus>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ApproveRequest {
    pub id: ApprovalId,
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DenyRequest {
    pub id: ApprovalId,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CancelRequest {
    pub id: ApprovalId,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct GetPolicies;

#[derive(Debug, Serialize, Deserialize)]
pub struct SetPolicies {
    pub policies: Policies,
}

area! {
    pub enum ApprovalCommand in CallerCommand::Approvals {
        GetApproval => ApprovalView,
        ListApprovals => Vec<ApprovalView>,
        ApproveRequest => ApprovalView,
        DenyRequest => ApprovalView,
        CancelRequest => ApprovalView,
        GetPolicies => Policies,
        SetPolicies => Policies,
    }
}

impl ApprovalCommand {
    pub fn rules(&self) -> Rules {
        use Audit::Event;
        use Cache::Empties;
        use Effect::{Reads, Writes, WritesPolicies};
        use Metering::{RateOnly, Use};
        use Releases::Nothing;
        let decide = Access::Scope(Scope::ApprovalsDecide);
        let decider = || Access::PersonOr(vec![Scope::ApprovalsDecide]);
        let policies = Access::Scope(Scope::PoliciesWrite);
        match self {
            // The requester polls for its token: that must not use up a `max_uses` token.
            ApprovalCommand::GetApproval(_) => Rules::of(
                Access::Authenticated,
                Event("approval.read"),
                Nothing,
                Empties,
                RateOnly,
                Reads,
            ),
            ApprovalCommand::ListApprovals(_) => Rules::of(
                decide,
                Event("approval.listed"),
                Nothing,
                Empties,
                Use,
                Reads,
            ),
            // Issue 24: who may decide is the current stage's rule (a role's holders, listed
            // users, or `approvals:decide` for an `any` stage): the object checks it, after a
            // caller who can be no approver is refused here.
            ApprovalCommand::ApproveRequest(_) => Rules::of(
                decider(),
                Event("approval.approved"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            ApprovalCommand::DenyRequest(_) => Rules::of(
                decider(),
                Event("approval.denied"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            // The requester may cancel its own; deciders may cancel any (checked inside).
            ApprovalCommand::CancelRequest(_) => Rules::of(
                Access::Authenticated,
                Event("approval.cancelled"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            ApprovalCommand::GetPolicies(_) => {
                Rules::of(policies, Event("policy.read"), Nothing, Empties, Use, Reads)
            }
            ApprovalCommand::SetPolicies(_) => Rules::of(
                policies,
                Event("policy.updated"),
                Nothing,
                Empties,
                Use,
                WritesPolicies,
            ),
        }
    }
}
