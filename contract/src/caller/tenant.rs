//! The tenant as a whole: its info, and requests that are only counted.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::scope::{Scope, SecretAction};
use latchkey_core::tenant::TenantInfo;
use serde::{Deserialize, Serialize};

/// `GET /v1/info`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Info;

/// Authenticates and counts the request, nothing more (password generation).
#[derive(Debug, Serialize, Deserialize)]
pub struct Touch;

/// The MCP endpoint's methods that run no tool (`initialize`, `ping`, `tools/list`):
/// authenticates and counts the request, records nothing, and says what the caller may reach
/// so the tool list fits its credential.
#[derive(Debug, Serialize, Deserialize)]
pub struct CallerReach;

/// What [`CallerReach`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    /// The caller holds `secrets:read` somewhere: a value-returning tool may exist for it.
    pub reads_values: bool,
}

area! {
    pub enum TenantCommand in CallerCommand::Tenant {
        Info => TenantInfo,
        Touch => (),
        CallerReach => Reach,
    }
}

impl TenantCommand {
    pub fn rules(&self) -> Rules {
        use Cache::Empties;
        use Effect::Reads;
        use Metering::Use;
        use Releases::Nothing;
        match self {
            TenantCommand::Info(_) => Rules::of(
                Access::Scope(Scope::everywhere(SecretAction::Read)),
                Audit::Event("tenant.info_read"),
                Nothing,
                Empties,
                Use,
                Reads,
            ),
            TenantCommand::Touch(_) => Rules::of(
                Access::Authenticated,
                Audit::Event("password.generated"),
                Nothing,
                Empties,
                Use,
                Reads,
            ),
            // Against the rate limit, not a token's `max_uses` (an MCP session's handshake and
            // tool list are not uses); not recorded: every MCP session opens with it.
            TenantCommand::CallerReach(_) => Rules::of(
                Access::Authenticated,
                Audit::NotRecorded,
                Nothing,
                Cache::Keeps,
                Metering::RateOnly,
                Reads,
            ),
        }
    }
}
