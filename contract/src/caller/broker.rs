//! `POST /v1/proxy`: the broker's release of values to the Worker, never to the caller.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::broker::{Released, SecretRef, Target};
use latchkey_core::gate::Flow;
use latchkey_core::scope::SecretAction;
use serde::{Deserialize, Serialize};

/// Step 1: check the secrets may go to `target`, release their values to the Worker. Step 2
/// is [`crate::public::FinishUse`].
#[derive(Debug, Serialize, Deserialize)]
pub struct UseSecrets {
    pub secrets: Vec<SecretRef>,
    pub target: Target,
}

area! {
    pub enum BrokerCommand in CallerCommand::Broker {
        UseSecrets => Released,
    }
}

impl BrokerCommand {
    pub fn rules(&self) -> Rules {
        match self {
            BrokerCommand::UseSecrets(c) => Rules::of(
                Access::Secrets(
                    Flow::Release,
                    SecretAction::Use,
                    c.secrets.iter().map(|s| s.path.clone()).collect(),
                ),
                // Recorded with the upstream's outcome when the Worker reports it; a refusal
                // at once.
                Audit::AfterReport("secret.used"),
                Releases::Value,
                Cache::Empties,
                Metering::Use,
                // The sweep records calls the Worker never finished.
                Effect::StartsClock,
            ),
        }
    }
}
