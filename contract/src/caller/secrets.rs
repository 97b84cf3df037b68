//! `/v1/secrets`: create, read, update, rotate, versions, delete, restore, list.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::SecretPath;
use latchkey_core::gate::Flow;
use latchkey_core::listing::{ListQuery, SecretPage};
use latchkey_core::scope::SecretAction::{Delete, Read, Rotate, Write};
use latchkey_core::secret::{
    NewSecret, Rotation, SecretCreated, SecretRead, SecretRotated, SecretSummary, SecretUpdate,
    SecretUpdated, VersionInfo,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct CreateSecret {
    pub secret: NewSecret,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct GetSecret {
    pub path: SecretPath,
    pub version: Option<u64>,
}

/// A new version; with `if_match`, only when the current version is that one.
#[derive(Debug, Serialize, Deserialize)]
pub struct UpdateSecret {
    pub path: SecretPath,
    pub update: SecretUpdate,
    pub if_match: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RotateSecret {
    pub path: SecretPath,
    pub rotation: Rotation,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListVersions {
    pub path: SecretPath,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteSecret {
    pub path: SecretPath,
    pub permanent: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RestoreSecret {
    pub path: SecretPath,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListSecrets {
    pub query: ListQuery,
}

area! {
    pub enum SecretCommand in CallerCommand::Secrets {
        CreateSecret => SecretCreated,
        GetSecret => SecretJson,
        UpdateSecret => SecretUpdated,
        RotateSecret => SecretRotated,
        ListVersions => Vec<VersionInfo>,
        DeleteSecret => (),
        RestoreSecret => SecretSummary,
        ListSecrets => SecretPage,
    }
}

impl SecretCommand {
    pub fn rules(&self) -> Rules {
        use Access as A;
        use Audit::{Event, Read as ReadEvent};
        use Cache::{Empties, Keeps, Refreshes};
        use Effect::{Reads, StartsClock, Writes};
        use Metering::Use;
        use Releases::{Nothing, Value};
        match self {
            SecretCommand::CreateSecret(c) => Rules::of(
                A::secret(Flow::Write, Write, &c.secret.path),
                Event("secret.created"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            SecretCommand::GetSecret(c) => Rules::of(
                A::loaded_secret(Flow::Release, Read, &c.path),
                ReadEvent("secret.read"),
                Value,
                Keeps,
                Use,
                Reads,
            ),
            SecretCommand::UpdateSecret(c) => Rules::of(
                A::loaded_secret(Flow::Write, Write, &c.path),
                Event("secret.updated"),
                Nothing,
                Refreshes,
                Use,
                Writes,
            ),
            SecretCommand::RotateSecret(c) => Rules::of(
                A::loaded_secret(Flow::Write, Rotate, &c.path),
                Event("secret.rotated"),
                Nothing,
                Empties,
                Use,
                StartsClock,
            ),
            SecretCommand::ListVersions(c) => Rules::of(
                A::secret(Flow::Metadata, Read, &c.path),
                Event("secret.versions_listed"),
                Nothing,
                Empties,
                Use,
                Reads,
            ),
            SecretCommand::DeleteSecret(c) => Rules::of(
                A::secret(Flow::Metadata, Delete, &c.path),
                Event(if c.permanent {
                    "secret.destroyed"
                } else {
                    "secret.deleted"
                }),
                Nothing,
                Empties,
                Use,
                // A soft delete starts the restore window.
                if c.permanent { Writes } else { StartsClock },
            ),
            SecretCommand::RestoreSecret(c) => Rules::of(
                A::secret(Flow::Metadata, Delete, &c.path),
                Event("secret.restored"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            SecretCommand::ListSecrets(_) => Rules::of(
                // The list filters by the caller's scope itself.
                A::Authenticated,
                Event("secret.listed"),
                Nothing,
                Keeps,
                Use,
                Reads,
            ),
        }
    }
}

/// A read as the client gets it: the [`SecretRead`] serialized once, in the object, and sent
/// on by the Worker as it is (decoding and re-encoding it there cost a read about 100 µs).
/// `version` is what the read's audit event records.
#[derive(Serialize, Deserialize)]
pub struct SecretJson {
    pub version: u64,
    pub body: String,
}

impl SecretJson {
    pub fn of(read: &SecretRead) -> Result<Self, serde_json::Error> {
        Ok(SecretJson {
            version: read.version,
            body: serde_json::to_string(read)?,
        })
    }
}

/// The body holds the value: never shown.
impl std::fmt::Debug for SecretJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretJson")
            .field("version", &self.version)
            .field("body", &"<redacted>")
            .finish()
    }
}
