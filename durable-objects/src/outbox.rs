//! The running command's outbox (issue 23): what the code that makes a job, a command, a
//! revocation or a secret change leaves for the agents' sockets, pushed once the command
//! commits (`agents::socket::resolve` turns it into frames). A module of its own, below
//! `agents` and `authorization`, so that both may announce without depending on each other.

use latchkey_core::SecretPath;
use latchkey_core::agent::jobs::Job;
use latchkey_core::agent::{AgentCommand, AgentId};
use std::cell::RefCell;

/// Something to push once the command that made it commits.
#[derive(Debug, Clone, PartialEq)]
pub enum Push {
    /// A job queued for its agent.
    Job(Job),
    /// A seed-000 command queued for an agent.
    Command(AgentId, AgentCommand),
    /// A stored secret was written, rotated, deleted or restored: the command's audit event
    /// and its `seq` (the notice's cursor).
    SecretChanged {
        path: SecretPath,
        event: String,
        cursor: u64,
    },
    /// The agent was revoked: its sockets close.
    Revoked(AgentId),
    /// The agent was suspended (a cascading revocation): its sockets close.
    Suspended(AgentId),
}

thread_local! {
    /// The running command's pushes. One object runs one command at a time on its thread, and
    /// the code that makes a job or a command (`jobs::enqueue`, `queue_command`) need not carry
    /// the object to announce it.
    static OUTBOX: RefCell<Vec<Push>> = const { RefCell::new(Vec::new()) };
}

/// Adds `push` to the running command's outbox.
pub fn announce(push: Push) {
    OUTBOX.with(|outbox| outbox.borrow_mut().push(push));
}

/// Empties the outbox and answers what it held.
pub fn take_announced() -> Vec<Push> {
    OUTBOX.with(|outbox| std::mem::take(&mut *outbox.borrow_mut()))
}
