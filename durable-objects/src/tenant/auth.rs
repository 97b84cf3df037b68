//! Who is calling: the request's credential, checked against the tenant's storage.

use super::*;
use latchkey_core::credential::{refusal, unrecognized};

impl Tenant {
    /// The caller behind the request's credential. Every credential it does not recognize
    /// gets the one answer a tenant that does not exist gives too
    /// (`latchkey_core::credential::refusal`); only a recognized one says more (revoked,
    /// expired, used up).
    pub(super) fn authenticate(
        &self,
        loaded: &Loaded,
        credential: Option<&PresentedCredential>,
        client_ip: Option<&str>,
        now: Timestamp,
        enforce_max_uses: bool,
    ) -> Result<Principal, ApiError> {
        let rejected = || refusal(credential.map(|c| c.kind));
        let credential = credential.ok_or_else(rejected)?;
        if credential.tenant != loaded.tenant_id {
            return Err(rejected());
        }
        match credential.kind {
            // CredentialHash's equality is constant-time.
            CredentialKind::MasterKey if credential.hash == loaded.master_key_hash => {
                Ok(Principal::Master)
            }
            CredentialKind::MasterKey => Err(rejected()),
            CredentialKind::Token => {
                let token = self
                    .tokens
                    .get(self.storage(), &credential.hash)
                    .map_err(|e| internal("authenticate token", e))?
                    .ok_or_else(unrecognized)?;
                access::admit_token(&token, client_ip, now, enforce_max_uses).map(Principal::Token)
            }
            CredentialKind::Bootstrap => {
                agents::authenticate_bootstrap(self.storage(), &credential.hash, now)
                    .map(Principal::Bootstrap)
            }
            CredentialKind::AgentJwt => {
                let jwt = credential.jwt.as_deref().ok_or_else(unrecognized)?;
                agents::authenticate_agent(
                    self.storage(),
                    &loaded.tenant_id,
                    &loaded.tenant_key,
                    jwt,
                    now,
                )
                .map(Principal::Agent)
            }
            CredentialKind::UserJwt => {
                let jwt = credential.jwt.as_deref().ok_or_else(unrecognized)?;
                people::authenticate(
                    self.storage(),
                    &loaded.tenant_id,
                    &loaded.tenant_key,
                    jwt,
                    now,
                )
                .map(Principal::User)
            }
            CredentialKind::AgentSecret => {
                agents::plane::authenticate_secret(self.storage(), &credential.hash)
                    .map(Principal::Agent)
            }
            CredentialKind::ConsoleSession => {
                crate::console::authenticate(self.storage(), &credential.hash, now)
                    .map(Principal::User)
            }
            CredentialKind::Wrap => Err(rejected()),
        }
    }
}
