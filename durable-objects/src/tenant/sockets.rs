//! The tenant's side of agent sockets (issue 23): what the platform calls between commands
//! (a frame an agent sent, the pushes a command left), and which commands change a stored
//! secret that agents hear about. The sockets themselves are `crate::object::socket`'s.

use super::*;
use crate::agents::socket::{self as agent_socket, Push, Resolved};
use latchkey_core::agent::socket::{ClientFrame, Close, heartbeat_ack_frame, pong_frame};
use latchkey_core::agent::{AgentId, CommandId};
use latchkey_core::scope::SecretAction;

/// The notice a successful command owes agents: one that writes, rotates or deletes one
/// stored secret (its access names the path), with its audit event as the notice's `event`.
pub(super) fn changed_secret(access: &Access, draft: &Draft) -> Option<Push> {
    match access {
        Access::Secret(_, action, path) | Access::LoadedSecret(_, action, path)
            if !matches!(action, SecretAction::Read | SecretAction::Use) =>
        {
            Some(Push::SecretChanged {
                path: path.clone(),
                event: draft.event_type.clone(),
            })
        }
        _ => None,
    }
}

impl Tenant {
    /// Answers a frame agent `agent` sent on its socket: the frame to send back, or the close.
    pub fn socket_frame(&self, agent: &AgentId, frame: ClientFrame) -> Result<String, Close> {
        match frame {
            ClientFrame::Ping => Ok(pong_frame()),
            ClientFrame::Heartbeat => {
                self.load().map_err(|_| Close::internal())?;
                match agent_socket::heartbeat(self.storage(), agent, self.now()) {
                    Ok(Some(at)) => Ok(heartbeat_ack_frame(at)),
                    Ok(None) => Err(Close::revoked()),
                    Err(e) => {
                        log_error!("tenant object: socket heartbeat: {e}");
                        Err(Close::internal())
                    }
                }
            }
        }
    }

    /// The frames and closes a command's pushes come to ([`Answered::pushes`]).
    pub fn resolve_pushes(&self, pushes: Vec<Push>) -> Result<Resolved, ApiError> {
        agent_socket::resolve(self.storage(), pushes).map_err(|e| internal("resolve pushes", e))
    }

    /// Commands sent over a socket are delivered.
    pub fn commands_delivered(&self, ids: &[CommandId]) -> Result<(), ApiError> {
        if ids.is_empty() {
            return Ok(());
        }
        agent_socket::mark_delivered(self.storage(), ids, self.now())
    }

    /// Whether `agent` may keep its socket.
    pub fn agent_is_live(&self, agent: &AgentId) -> bool {
        agent_socket::is_live(self.storage(), agent).unwrap_or(false)
    }
}
