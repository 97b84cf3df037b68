//! The tenant's side of agent sockets (issue 23): what the platform calls between commands
//! (a frame an agent sent, the pushes a command left), and which commands change a stored
//! secret that agents hear about. The sockets themselves are the platform side's
//! (`object/socket.rs`).

use super::*;
use crate::agents::socket::{self as agent_socket, Push, Resolved};
use latchkey_core::SecretPath;
use latchkey_core::agent::socket::SECRET_CHANGE_EVENTS;
use latchkey_core::agent::socket::{ClientFrame, Close, heartbeat_ack_frame, pong_frame};
use latchkey_core::agent::{AgentId, CommandId};
use latchkey_core::audit::AuditEvent;
use latchkey_core::scope::SecretAction;

/// The notice an event owes agents: a successful stored-secret change naming its path
/// ([`SECRET_CHANGE_EVENTS`]), with the event's `seq` as the notice's cursor. A reconnect's
/// catch-up reads the audit chain by the same rule (`agents::socket::missed_notices`).
pub(super) fn notice_of(event: &AuditEvent) -> Option<Push> {
    if !event.success || !SECRET_CHANGE_EVENTS.contains(&event.event_type.as_str()) {
        return None;
    }
    let path = SecretPath::parse(event.path.as_deref()?).ok()?;
    Some(Push::SecretChanged {
        path,
        event: event.event_type.clone(),
        cursor: event.seq,
    })
}

/// Whether `command` writes one stored secret (its access names the path with an action
/// other than a read or a use): the native tests check that every such command records one
/// of [`SECRET_CHANGE_EVENTS`], so no change goes unannounced.
pub fn writes_stored_secret(command: &CallerCommand) -> Option<String> {
    let rules = command.rules();
    match &rules.access {
        Access::Secret(_, action, _) | Access::LoadedSecret(_, action, _)
            if !matches!(action, SecretAction::Read | SecretAction::Use) =>
        {
            Some(audit_mapping::draft_for(command, &rules).event_type)
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
