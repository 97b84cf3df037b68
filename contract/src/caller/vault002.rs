//! The seed-002 Vault API (`/v1/vault/…`, `latchkey_core::faces::vault002`): the commands the
//! native API has no counterpart for, because the seed addresses secrets by id and agents by
//! name. Each has the rules of the native command it stands for: the same scope, event,
//! metering and effect.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::faces::vault002::VaultGrantRequest;
use latchkey_core::grant::Grant;
use latchkey_core::scope::Scope;
use latchkey_core::secret::{SecretId, SecretSummary};
use serde::{Deserialize, Serialize};

/// `GET /v1/vault/secrets`: every live secret the caller may read, all pages at once (the
/// seed's answer is a bare array); as `ListSecrets`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListAllSecrets;

/// `DELETE /v1/vault/secrets/{id}`: the permanent delete of the secret with this id, with the
/// grants of exactly its path; as `DeleteSecret { permanent: true }` once the id is resolved.
#[derive(Debug, Serialize, Deserialize)]
pub struct DestroySecretById {
    pub id: SecretId,
}

/// `POST /v1/vault/grants`: a read grant of exactly the secret's path to the agent (by id or
/// name); as `CreateGrant` once both are resolved.
#[derive(Debug, Serialize, Deserialize)]
pub struct GrantSecretById {
    pub request: VaultGrantRequest,
}

area! {
    pub enum Vault002Command in CallerCommand::Vault002 {
        ListAllSecrets => Vec<SecretSummary>,
        DestroySecretById => (),
        GrantSecretById => Grant,
    }
}

impl Vault002Command {
    pub fn rules(&self) -> Rules {
        use Audit::Event;
        use Metering::Use;
        use Releases::Nothing;
        match self {
            Vault002Command::ListAllSecrets(_) => Rules::of(
                // The list filters by the caller's scope itself.
                Access::Authenticated,
                Event("secret.listed"),
                Nothing,
                Cache::Keeps,
                Use,
                Effect::Reads,
            ),
            Vault002Command::DestroySecretById(_) => Rules::of(
                // The path is known only once the id is resolved: the handler then checks
                // `secrets:delete` on it through the same gate as `DeleteSecret`.
                Access::Authenticated,
                Event("secret.destroyed"),
                Nothing,
                Cache::Empties,
                Use,
                Effect::Writes,
            ),
            Vault002Command::GrantSecretById(_) => Rules::of(
                Access::Scope(Scope::AgentsAdmin),
                Event("grant.created"),
                Nothing,
                Cache::Empties,
                Use,
                Effect::Writes,
            ),
        }
    }
}
