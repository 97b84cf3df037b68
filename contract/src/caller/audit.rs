//! `/v1/audit`: the trail, its verification and its live stream.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::audit::{AuditEvent, AuditPage, AuditQuery, VerifyReport};
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct ReadAudit {
    pub query: AuditQuery,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct VerifyAudit;

/// Opens the live stream: events after `after` (`Last-Event-ID`), else from now on.
#[derive(Debug, Serialize, Deserialize)]
pub struct OpenStream {
    pub after: Option<u64>,
}

/// The stream's next events after `after`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PollStream {
    pub after: u64,
}

/// Events for the stream, and the `seq` the next poll starts after.
#[derive(Debug, Serialize, Deserialize)]
pub struct StreamEvents {
    pub events: Vec<AuditEvent>,
    pub last_seq: u64,
}

area! {
    pub enum AuditCommand in CallerCommand::Audit {
        ReadAudit => AuditPage,
        VerifyAudit => VerifyReport,
        OpenStream => StreamEvents,
        PollStream => StreamEvents,
    }
}

impl AuditCommand {
    pub fn rules(&self) -> Rules {
        use Audit::Event;
        use Cache::Empties;
        use Effect::Reads;
        use Metering::Use;
        use Releases::Nothing;
        let read = Access::Scope(Scope::AuditRead);
        match self {
            AuditCommand::ReadAudit(_) => {
                Rules::of(read, Event("audit.read"), Nothing, Empties, Use, Reads)
            }
            AuditCommand::VerifyAudit(_) => {
                Rules::of(read, Event("audit.verified"), Nothing, Empties, Use, Reads)
            }
            AuditCommand::OpenStream(_) => {
                Rules::of(read, Event("audit.streamed"), Nothing, Empties, Use, Reads)
            }
            // One connection would otherwise spend the tenant's quota and feed its own stream.
            AuditCommand::PollStream(_) => Rules::of(
                read,
                Audit::NotRecorded,
                Nothing,
                Empties,
                Metering::Unmetered,
                Reads,
            ),
        }
    }
}
