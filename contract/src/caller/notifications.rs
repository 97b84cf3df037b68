//! `/v1/notifications`: where approval requests are announced.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::notification::NotificationConfig;
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct GetNotifications;

#[derive(Debug, Serialize, Deserialize)]
pub struct SetNotifications {
    pub config: NotificationConfig,
}

area! {
    /// Both answer the channels without their secrets.
    pub enum NotificationCommand in CallerCommand::Notifications {
        GetNotifications => serde_json::Value,
        SetNotifications => serde_json::Value,
    }
}

impl NotificationCommand {
    pub fn rules(&self) -> Rules {
        use Cache::Empties;
        use Metering::Use;
        use Releases::Nothing;
        let admin = Access::Scope(Scope::Admin);
        match self {
            NotificationCommand::GetNotifications(_) => Rules::of(
                admin,
                Audit::Event("notifications.read"),
                Nothing,
                Empties,
                Use,
                Effect::Reads,
            ),
            NotificationCommand::SetNotifications(_) => Rules::of(
                admin,
                Audit::Event("notifications.updated"),
                Nothing,
                Empties,
                Use,
                Effect::Writes,
            ),
        }
    }
}
