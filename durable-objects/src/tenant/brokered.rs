//! The tenant object's broker commands: the release (through `handle`, authenticated and
//! counted like any use) and the Worker's report.

use super::*;
use crate::broker;
use latchkey_core::broker::{Released, SecretRef, Target, UseReport};

impl Tenant {
    pub(super) fn release_secrets(
        &self,
        ctx: &SecretContext<'_>,
        principal: &Principal,
        secrets: &[SecretRef],
        target: &Target,
    ) -> Result<Released, ApiError> {
        let origin = ctx.origin.cloned().unwrap_or_default();
        broker::release(
            ctx,
            secrets,
            target,
            &self.config.insecure_hosts,
            ctx.purpose,
            &principal.audit_actor(),
            &origin,
        )
    }

    /// `FinishUse`: records the call's events with its outcome.
    pub(super) fn finish_use(&self, call_id: &str, report: UseReport) -> Result<(), ApiError> {
        let loaded = self
            .load()?
            .ok_or_else(|| ApiError::not_found("no open broker call has this id"))?;
        let storage = self.storage();
        let ctx = self.context(storage, &loaded, self.now());
        let result = broker::finish(&ctx, call_id, report);
        // Written without the cache: read the head again next time.
        self.audit_head.forget();
        if result.is_ok() {
            self.events_recorded.set(true);
        }
        result
    }
}
