//! `/v1/requests`: asking to read or patch a secret, deciding, and collecting the wraps.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::access_request::{
    AccessRequestId, AccessRequestView, NewAccessRequest, RequestQuery,
};
use latchkey_core::scope::Scope;
use latchkey_core::wrap::{Unwrapped, WrapId, WrapSummary};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct CreateAccessRequest {
    pub request: NewAccessRequest,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListAccessRequests {
    pub query: RequestQuery,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct GetAccessRequest {
    pub id: AccessRequestId,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ApproveAccess {
    pub id: AccessRequestId,
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RejectAccess {
    pub id: AccessRequestId,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CancelAccess {
    pub id: AccessRequestId,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RequestWraps {
    pub id: AccessRequestId,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RequestWrap {
    pub id: AccessRequestId,
    pub wrap_id: WrapId,
}

area! {
    pub enum AccessRequestCommand in CallerCommand::AccessRequests {
        CreateAccessRequest => AccessRequestView,
        ListAccessRequests => Vec<AccessRequestView>,
        GetAccessRequest => AccessRequestView,
        ApproveAccess => AccessRequestView,
        RejectAccess => AccessRequestView,
        CancelAccess => AccessRequestView,
        RequestWraps => Vec<WrapSummary>,
        RequestWrap => Unwrapped,
    }
}

impl AccessRequestCommand {
    pub fn rules(&self) -> Rules {
        use AccessRequestCommand as C;
        use Audit::Event;
        use Effect::{Reads, Writes};
        // Requesters see and cancel their own (checked in the module).
        let anyone = || Access::Authenticated;
        let decider = || Access::PersonOr(vec![Scope::ApprovalsDecide]);
        let row = |access, event, effect| {
            Rules::of(
                access,
                event,
                Releases::Nothing,
                Cache::Empties,
                Metering::Use,
                effect,
            )
        };
        match self {
            C::CreateAccessRequest(_) => row(anyone(), Event("request.created"), Writes),
            C::ListAccessRequests(_) => row(anyone(), Event("request.listed"), Reads),
            C::GetAccessRequest(_) => row(anyone(), Event("request.read"), Reads),
            // Issue 24: the current stage's rule decides who may (the object checks it, after
            // a caller who can be no approver is refused here).
            C::ApproveAccess(_) => row(decider(), Event("request.approved"), Writes),
            C::RejectAccess(_) => row(decider(), Event("request.rejected"), Writes),
            C::CancelAccess(_) => row(anyone(), Event("request.cancelled"), Writes),
            C::RequestWraps(_) => row(anyone(), Event("wrap.listed"), Reads),
            // The value leaves, once: the gate runs on the approvals' authority inside.
            C::RequestWrap(_) => Rules::of(
                anyone(),
                Event("wrap.unwrapped"),
                Releases::Value,
                Cache::Empties,
                Metering::Use,
                Writes,
            ),
        }
    }
}
