//! `/api/v1/agents/{id}/public-key` and `/api/v1/agents/{id}/dek` (issue 23): an agent's
//! X25519 key and the data keys sealed to it. Each command names the agent of its path; the
//! object answers `not_found` unless it is the calling agent.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::agent::AgentId;
use latchkey_core::agent::envelope::{AgentPublicKey, SealedDek};
use serde::{Deserialize, Serialize};

/// `PUT /api/v1/agents/{id}/public-key`: registers (or replaces) the agent's key.
#[derive(Debug, Serialize, Deserialize)]
pub struct RegisterPublicKey {
    pub agent_id: AgentId,
    #[serde(with = "key_bytes")]
    pub public_key: AgentPublicKey,
}

/// `POST /api/v1/agents/{id}/dek`: a fresh data key, sealed to the agent's key.
#[derive(Debug, Serialize, Deserialize)]
pub struct IssueDek {
    pub agent_id: AgentId,
}

mod key_bytes {
    use latchkey_core::agent::envelope::AgentPublicKey;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(key: &AgentPublicKey, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&key.to_base64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AgentPublicKey, D::Error> {
        let text = String::deserialize(d)?;
        AgentPublicKey::parse(&text).map_err(serde::de::Error::custom)
    }
}

area! {
    pub enum EnvelopeCommand in CallerCommand::Envelopes {
        // The answer is the key it was given: nothing to carry back.
        RegisterPublicKey => (),
        IssueDek => SealedDek,
    }
}

impl EnvelopeCommand {
    pub fn rules(&self) -> Rules {
        use EnvelopeCommand as C;
        let row = |event| {
            Rules::of(
                Access::Agent,
                Audit::Event(event),
                Releases::Nothing,
                Cache::Keeps,
                Metering::Use,
                Effect::Writes,
            )
        };
        match self {
            C::RegisterPublicKey(_) => row("agent.public_key_registered"),
            // The DEK is the agent's own (it is handed sealed to its key), not a stored
            // value: nothing is released. The event records the key id, never the key.
            C::IssueDek(_) => row("agent.dek_issued"),
        }
    }
}
