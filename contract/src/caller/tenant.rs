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

area! {
    pub enum TenantCommand in CallerCommand::Tenant {
        Info => TenantInfo,
        Touch => (),
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
        }
    }
}
