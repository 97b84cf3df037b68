//! Requests that agents carry out (issue 23): a read or patch request on a discovered secret,
//! and the two agent-wrap routes of its flows (`POST /api/v1/agents/{id}/wraps`, the read's
//! value; `GET /api/v1/agents/{id}/wraps/{wrap_id}`, the patch's data, once). Deciding,
//! listing and the requester's wraps are the access requests' own commands.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::access_request::AccessRequestView;
use latchkey_core::agent::AgentId;
use latchkey_core::carried::{AgentPost, AgentWrapId, NewCarriedRequest, SealedAgentWrap};
use latchkey_core::wrap::WrapId;
use serde::{Deserialize, Serialize};

/// `POST /v1/requests/read {secret_id, …}` and `POST /v1/requests {secret_id, data, …}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateCarriedRequest {
    pub request: NewCarriedRequest,
}

/// `POST /api/v1/agents/{id}/wraps`: a read job's value, sealed under a DEK.
#[derive(Debug, Serialize, Deserialize)]
pub struct PostAgentWrap {
    pub agent_id: AgentId,
    pub post: AgentPost,
}

/// `GET /api/v1/agents/{id}/wraps/{wrap_id}`: a patch job's data, sealed to the agent, once.
#[derive(Debug, Serialize, Deserialize)]
pub struct GetAgentWrap {
    pub agent_id: AgentId,
    pub wrap_id: AgentWrapId,
}

area! {
    pub enum CarriedCommand in CallerCommand::Carried {
        CreateCarriedRequest => AccessRequestView,
        // The requester's wrap the value now waits in.
        PostAgentWrap => WrapId,
        GetAgentWrap => SealedAgentWrap,
    }
}

impl CarriedCommand {
    pub fn rules(&self) -> Rules {
        use CarriedCommand as C;
        let row = |access, event| {
            Rules::of(
                access,
                Audit::Event(event),
                Releases::Nothing,
                Cache::Keeps,
                Metering::Use,
                Effect::Writes,
            )
        };
        match self {
            // Anyone may ask (as for a stored secret); people with approvals:decide decide.
            C::CreateCarriedRequest(_) => row(Access::Authenticated, "request.created"),
            // The value goes into the requester's wrap, not to the caller: nothing released.
            C::PostAgentWrap(_) => row(Access::Agent, "agent.wrap_posted"),
            // Sealed to the agent's own key; the server never had the plaintext.
            C::GetAgentWrap(_) => row(Access::Agent, "agent.wrap_retrieved"),
        }
    }
}
