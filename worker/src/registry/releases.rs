//! The agent versions the operator publishes (issue 23), in D1: one catalog for every tenant,
//! since a release is the operator's build and not any tenant's data.

use super::{Registry, failure};
use latchkey_core::ApiError;
use latchkey_core::agent::mint::AgentRelease;
use serde_json::Value;

impl Registry {
    /// Publishes a version; `false` when that platform already has that version (a published
    /// version's URL and hash never change: publish a new version instead).
    pub async fn publish_release(
        &self,
        release: &AgentRelease,
        published_at: &str,
    ) -> Result<bool, ApiError> {
        let inserted = self
            .db
            .prepare(
                "INSERT INTO agent_releases (platform, version, url, sha256, published_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (platform, version) DO NOTHING RETURNING platform",
            )
            .bind(&[
                release.platform.as_str().into(),
                release.version.as_str().into(),
                release.url.as_str().into(),
                release.sha256.as_str().into(),
                published_at.into(),
            ])
            .map_err(|e| failure("bind", e))?
            .first::<Value>(None)
            .await
            .map_err(|e| failure("insert agent release", e))?;
        Ok(inserted.is_some())
    }

    /// The version published last for `platform`.
    pub async fn latest_release(&self, platform: &str) -> Result<Option<Value>, ApiError> {
        let row = self
            .db
            .prepare(
                "SELECT platform, version, url, sha256, published_at FROM agent_releases
                 WHERE platform = ?1 ORDER BY published_at DESC, rowid DESC LIMIT 1",
            )
            .bind(&[platform.into()])
            .map_err(|e| failure("bind", e))?
            .first::<Value>(None)
            .await
            .map_err(|e| failure("select agent release", e))?;
        // The row's columns are the answer's members.
        Ok(row)
    }
}
