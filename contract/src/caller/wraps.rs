//! `/v1/wraps`: a value (one brings, or a secret's) behind a single-use token.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::gate::Flow;
use latchkey_core::scope::SecretAction;
use latchkey_core::wrap::{NewWrap, WrapCreated};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct CreateWrap {
    pub wrap: NewWrap,
}

area! {
    pub enum WrapCommand in CallerCommand::Wraps {
        CreateWrap => WrapCreated,
    }
}

impl WrapCommand {
    pub fn rules(&self) -> Rules {
        match self {
            // Wrapping a secret is reading it (the value leaves into the wrap); wrapping a
            // value one brings is anyone's.
            WrapCommand::CreateWrap(c) => {
                let (access, releases) = match c.wrap.path() {
                    Some(path) => (
                        Access::secret(Flow::Release, SecretAction::Read, path),
                        Releases::Value,
                    ),
                    None => (Access::Authenticated, Releases::Nothing),
                };
                Rules::of(
                    access,
                    Audit::Event("wrap.created"),
                    releases,
                    Cache::Empties,
                    Metering::Use,
                    Effect::Writes,
                )
            }
        }
    }
}
