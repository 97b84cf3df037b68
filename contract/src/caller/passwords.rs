//! Agents' password requests: an agent asks for a password for a secret, an admin approves
//! it, the agent collects it once.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::agent::PasswordRequestId;
use latchkey_core::agent::password::{
    NewPasswordRequest, PasswordRequestStatus, PasswordRequestView,
};
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

/// `POST /v1/agents/me/password-requests`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreatePasswordRequest {
    pub request: NewPasswordRequest,
}

/// `GET /v1/agents/me/password-requests`: approved passwords are handed over once.
#[derive(Debug, Serialize, Deserialize)]
pub struct CollectPasswordRequests;

#[derive(Debug, Serialize, Deserialize)]
pub struct ListPasswordRequests {
    pub status: Option<PasswordRequestStatus>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ApprovePasswordRequest {
    pub id: PasswordRequestId,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RejectPasswordRequest {
    pub id: PasswordRequestId,
    pub reason: Option<String>,
}

area! {
    pub enum PasswordCommand in CallerCommand::Passwords {
        CreatePasswordRequest => PasswordRequestView,
        CollectPasswordRequests => Vec<PasswordRequestView>,
        ListPasswordRequests => Vec<PasswordRequestView>,
        ApprovePasswordRequest => PasswordRequestView,
        RejectPasswordRequest => PasswordRequestView,
    }
}

impl PasswordCommand {
    pub fn rules(&self) -> Rules {
        use Audit::Event;
        use Cache::Empties;
        use Effect::{Reads, Writes};
        use Metering::Use;
        use Releases::{Nothing, Value};
        // A person, or an agents:admin (the single decision) or approvals:decide holder.
        let decider = || Access::PersonOr(vec![Scope::AgentsAdmin, Scope::ApprovalsDecide]);
        match self {
            PasswordCommand::CreatePasswordRequest(_) => Rules::of(
                Access::Agent,
                Event("password_request.created"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            PasswordCommand::CollectPasswordRequests(_) => Rules::of(
                Access::Agent,
                Event("password_request.collected"),
                Value,
                Empties,
                Use,
                Writes,
            ),
            // Issue 24: whoever a stage admits finds the requests it admits them to (the
            // object filters; one who can be no approver is refused there).
            PasswordCommand::ListPasswordRequests(_) => Rules::of(
                decider(),
                Event("password_request.listed"),
                Nothing,
                Empties,
                Use,
                Reads,
            ),
            // Issue 24: a request a policy sends through a workflow is decided by its stages'
            // approvers; one with none keeps the single agents:admin decision (the object
            // checks which).
            PasswordCommand::ApprovePasswordRequest(_) => Rules::of(
                decider(),
                Event("password_request.approved"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            PasswordCommand::RejectPasswordRequest(_) => Rules::of(
                decider(),
                Event("password_request.rejected"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
        }
    }
}
