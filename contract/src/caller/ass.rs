//! The agentsecretstore face (`/ass/v1/…`): what its clients do that no native command does.
//! Reads, deletes, lists, tokens and approvals go through the native commands.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::SecretPath;
use latchkey_core::faces::ass::wire::{Imported, NamespaceCount, SecretWritten};
use latchkey_core::faces::ass::{AssWrite, EnvImport};
use latchkey_core::gate::Flow;
use latchkey_core::scope::Scope;
use latchkey_core::scope::SecretAction::Write;
use serde::{Deserialize, Serialize};

/// `PUT /ass/v1/secrets/{namespace}/{key}`: creates the secret, or writes its next version,
/// in one transaction (no window between a check and a create for another writer).
#[derive(Debug, Serialize, Deserialize)]
pub struct UpsertSecret {
    pub path: SecretPath,
    pub write: AssWrite,
}

/// `POST /ass/v1/secrets/import`: every line's secret created or updated in one transaction,
/// or none.
#[derive(Debug, Serialize, Deserialize)]
pub struct ImportSecrets {
    pub import: EnvImport,
}

/// `GET /ass/v1/namespaces`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListNamespaces;

area! {
    pub enum AssCommand in CallerCommand::Ass {
        UpsertSecret => SecretWritten,
        ImportSecrets => Imported,
        ListNamespaces => Vec<NamespaceCount>,
    }
}

impl AssCommand {
    pub fn rules(&self) -> Rules {
        use Audit::Event;
        use Cache::{Empties, Keeps};
        use Effect::{Reads, Writes};
        use Metering::Use;
        use Releases::Nothing;
        match self {
            // A new secret's event is `secret.created` (its reply says which it was).
            AssCommand::UpsertSecret(c) => Rules::of(
                Access::secret(Flow::Write, Write, &c.path),
                Event("secret.updated"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            AssCommand::ImportSecrets(c) => Rules::of(
                Access::Secrets(
                    Flow::Write,
                    Write,
                    c.import.entries.iter().map(|e| e.path.clone()).collect(),
                ),
                Event("secret.imported"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            AssCommand::ListNamespaces(_) => Rules::of(
                Access::Scope(Scope::NamespacesRead),
                Event("namespace.listed"),
                Nothing,
                Keeps,
                Use,
                Reads,
            ),
        }
    }
}
