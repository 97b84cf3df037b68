//! The MaestroVault face's own commands (`/maestro/v1/…`, seed 003): what the native API has
//! no single command for. Its other routes send the native commands.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::SecretPath;
use latchkey_core::gate::Flow;
use latchkey_core::scope::Scope;
use latchkey_core::scope::SecretAction::Write;
use latchkey_core::secret::Tags;
use latchkey_core::token::TokenRequest;
use serde::{Deserialize, Serialize};

/// How [`SetSecret`] treats a secret that is not there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetMode {
    /// `PUT`: creates it (a value is then required), else a new version.
    Upsert,
    /// `PATCH`: 404; what is omitted is preserved.
    Edit,
}

/// Sets a secret in one step: created or updated, decided inside the object's transaction,
/// so two writers cannot both create. `tags: Some` replaces the tags; `None` keeps them.
/// `value: None` (an edit of the metadata only) makes no new version.
#[derive(Serialize, Deserialize)]
pub struct SetSecret {
    pub path: SecretPath,
    pub value: Option<String>,
    pub tags: Option<Tags>,
    pub mode: SetMode,
}

impl std::fmt::Debug for SetSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetSecret")
            .field("path", &self.path)
            .field("value", &self.value.as_ref().map(|_| "[redacted]"))
            .field("tags", &self.tags)
            .field("mode", &self.mode)
            .finish()
    }
}

/// What [`SetSecret`] did: whether it created the secret, and its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSet {
    pub path: SecretPath,
    pub created: bool,
    pub version: u64,
}

/// `POST /maestro/v1/tokens`: a token minted by an `admin` caller, which may live longer
/// than the native 24 hours or never expire (`request.never_expires`; only for a caller that
/// does not expire itself, and only when the tenant allows it).
#[derive(Debug, Serialize, Deserialize)]
pub struct MintToken {
    pub request: TokenRequest,
}

area! {
    pub enum MaestroCommand in CallerCommand::Maestro {
        SetSecret => SecretSet,
        MintToken => crate::caller::tokens::TokenMinted,
    }
}

impl MaestroCommand {
    pub fn rules(&self) -> Rules {
        use Audit::Event;
        use Cache::Empties;
        use Metering::Use;
        use Releases::Nothing;
        match self {
            MaestroCommand::SetSecret(c) => Rules::of(
                // The gate checks the stored tier, as for the Vault face's upserting write.
                Access::secret(Flow::Write, Write, &c.path),
                // `secret.created` when it created the secret (the reply says).
                Event("secret.updated"),
                Nothing,
                Empties,
                Use,
                Effect::Writes,
            ),
            MaestroCommand::MintToken(_) => Rules::of(
                Access::Scope(Scope::Admin),
                Event("token.created"),
                Nothing,
                Empties,
                Use,
                // A pending request expires.
                Effect::StartsClock,
            ),
        }
    }
}
