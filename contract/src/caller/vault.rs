//! The Vault KV v2 face (`/v1/secret/…`) over the same secrets.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::SecretPath;
use latchkey_core::gate::Flow;
use latchkey_core::scope::SecretAction::{Delete, Read, Write};
use latchkey_core::vault::{KvMetadata, KvRead, KvVersion, KvWrite};
use serde::{Deserialize, Serialize};

/// `GET /v1/secret/data/{path}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReadKv {
    pub path: SecretPath,
    pub version: Option<u64>,
}

/// `POST /v1/secret/data/{path}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct WriteKv {
    pub path: SecretPath,
    pub write: KvWrite,
}

/// `GET /v1/secret/metadata/{path}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReadKvMetadata {
    pub path: SecretPath,
}

/// `LIST /v1/secret/metadata/{prefix}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListKv {
    pub prefix: Option<SecretPath>,
}

/// `DELETE /v1/secret/data/{path}` (`versions: None`, the latest) and
/// `POST /v1/secret/delete/{path}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteKvVersions {
    pub path: SecretPath,
    pub versions: Option<Vec<u64>>,
}

/// `POST /v1/secret/undelete/{path}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct UndeleteKvVersions {
    pub path: SecretPath,
    pub versions: Vec<u64>,
}

/// `POST /v1/secret/destroy/{path}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DestroyKvVersions {
    pub path: SecretPath,
    pub versions: Vec<u64>,
}

area! {
    pub enum VaultCommand in CallerCommand::Vault {
        ReadKv => KvRead,
        WriteKv => KvVersion,
        ReadKvMetadata => KvMetadata,
        ListKv => Vec<String>,
        DeleteKvVersions => (),
        UndeleteKvVersions => (),
        DestroyKvVersions => (),
    }
}

impl VaultCommand {
    pub fn rules(&self) -> Rules {
        use Access as A;
        use Audit::Event;
        use Cache::Empties;
        use Effect::{Reads, Writes};
        use Metering::Use;
        use Releases::Nothing;
        match self {
            VaultCommand::ReadKv(c) => Rules::of(
                A::secret(Flow::Release, Read, &c.path),
                Audit::Read("secret.read"),
                Releases::Value,
                Empties,
                Use,
                Reads,
            ),
            VaultCommand::WriteKv(c) => Rules::of(
                A::secret(Flow::Write, Write, &c.path),
                Event("secret.updated"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            VaultCommand::ReadKvMetadata(c) => Rules::of(
                A::secret(Flow::Metadata, Read, &c.path),
                Event("secret.versions_listed"),
                Nothing,
                Empties,
                Use,
                Reads,
            ),
            // The list filters by the caller's scope itself.
            VaultCommand::ListKv(_) => Rules::of(
                A::Authenticated,
                Event("secret.listed"),
                Nothing,
                Empties,
                Use,
                Reads,
            ),
            VaultCommand::DeleteKvVersions(DeleteKvVersions { path, .. }) => Rules::of(
                A::secret(Flow::Metadata, Delete, path),
                Event("secret.versions_deleted"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            VaultCommand::UndeleteKvVersions(UndeleteKvVersions { path, .. }) => Rules::of(
                A::secret(Flow::Metadata, Delete, path),
                Event("secret.versions_undeleted"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            VaultCommand::DestroyKvVersions(DestroyKvVersions { path, .. }) => Rules::of(
                A::secret(Flow::Metadata, Delete, path),
                Event("secret.versions_destroyed"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
        }
    }
}
