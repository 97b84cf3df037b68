//! Which routes move a secret's value, and which way: the class the one gate covers
//! (`latchkey_core::gate`). The match is exhaustive, so a new route does not compile until it
//! says whether it writes or hands out a value; the end-to-end class tests
//! (`tests/e2e/security/gate.rs`) walk every route marked here and fail on one they do not know.

use super::Route;
use crate::vault::VaultRoute;

/// The way a route moves a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueMove {
    /// A value is written: a version, a field, an applied patch, an approved password.
    Writes,
    /// A value leaves: to the caller, into a wrap, to an agent, or through the broker.
    Releases,
}

impl Route {
    /// Whether (and which way) this route moves a secret's value.
    pub fn moves_value(&self) -> Option<ValueMove> {
        use ValueMove::{Releases, Writes};
        match self {
            Route::CreateSecret
            | Route::UpdateSecret(_)
            | Route::PatchSecret(_)
            | Route::RotateSecret(_)
            | Route::SetFields(_)
            | Route::SetField(_, _)
            // `POST /v1/generate` with a `path` stores the password.
            | Route::Generate
            | Route::ApprovePasswordRequest(_)
            // The last approval of a patch writes it; of a read, seals the value into a wrap.
            | Route::ApproveAccess(_)
            | Route::Vault(VaultRoute::WriteData(_)) => Some(Writes),
            Route::GetSecret(_)
            | Route::GetFields(_)
            | Route::GetField(_, _)
            | Route::CreateWrap
            | Route::Unwrap
            | Route::RequestWrap(_, _)
            | Route::CollectPasswordRequests
            | Route::Proxy
            | Route::Vault(VaultRoute::ReadData(_)) => Some(Releases),
            Route::Health
            | Route::Liveness
            | Route::Readiness
            | Route::Metrics
            | Route::TenantMetrics
            | Route::OpenApi
            | Route::CreateTenant
            | Route::ListSecrets
            | Route::DeleteSecret(_)
            | Route::ListVersions(_)
            | Route::RestoreSecret(_)
            | Route::DeleteField(_, _)
            | Route::UpdateTenant(_)
            | Route::AdminAudit
            | Route::PublishAgentRelease
            | Route::ReadAudit
            | Route::VerifyAudit
            | Route::EventStream
            | Route::CreateToken
            | Route::ListTokens
            | Route::RevokeToken(_)
            | Route::ListApprovals
            | Route::GetApproval(_)
            | Route::ApproveRequest(_)
            | Route::DenyRequest(_)
            | Route::CancelRequest(_)
            | Route::GetNotifications
            | Route::SetNotifications
            | Route::ReviewPage(_)
            | Route::ReviewDecision(_)
            | Route::GetPolicies
            | Route::SetPolicies
            | Route::BenchBaseline
            | Route::Info
            | Route::CreateBootstrap
            | Route::RegisterAgent
            | Route::RefreshAgentToken
            | Route::ReportHealth
            | Route::AgentSecrets
            | Route::ListAgents
            | Route::GetAgentSettings
            | Route::SetAgentSettings
            | Route::RevokeAgent(_)
            | Route::ReinstateAgent(_)
            | Route::QueueAgentCommand(_)
            | Route::ListAgentCommands(_)
            | Route::CreateGrant
            | Route::ListGrants
            | Route::DeleteGrant(_)
            | Route::ReportCertificates
            | Route::ReportSshKeys
            | Route::AgentDiscovery(_)
            | Route::ImportDiscovered(_)
            | Route::SshDiscovery
            | Route::AgentCertificates
            | Route::CreatePasswordRequest
            | Route::ListPasswordRequests
            | Route::RejectPasswordRequest(_)
            | Route::Login
            | Route::CreateUser
            | Route::ListUsers
            | Route::DeleteUser(_)
            | Route::ReinstateUser(_)
            | Route::UserRoles(_)
            | Route::Permissions
            | Route::CreateRole
            | Route::ListRoles
            | Route::GetRole(_)
            | Route::DeleteRole(_)
            | Route::SetRolePermissions(_)
            | Route::CreateUserRole
            | Route::ListUserRoles
            | Route::DeleteUserRole(_)
            // A request carries a patch's value sealed, but writes nothing until approved.
            | Route::CreateReadRequest
            | Route::CreatePatchRequest
            | Route::ListRequests
            | Route::GetRequest(_)
            | Route::RejectAccess(_)
            | Route::CancelAccess(_)
            | Route::RequestWraps(_)
            | Route::Vault(
                VaultRoute::DeleteLatest(_)
                | VaultRoute::ReadMetadata(_)
                | VaultRoute::List(_)
                | VaultRoute::DeleteMetadata(_)
                | VaultRoute::DeleteVersions(_)
                | VaultRoute::UndeleteVersions(_)
                | VaultRoute::DestroyVersions(_)
                | VaultRoute::MountInfo,
            ) => None,
        }
    }

    /// The route's name in the class tests: its variant (`GetSecret`, `Vault(ReadData`).
    pub fn name(&self) -> String {
        let debug = format!("{self:?}");
        let depth = if debug.starts_with("Vault(") { 2 } else { 1 };
        debug.split('(').take(depth).collect::<Vec<_>>().join("(")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::route::SAMPLES;

    #[test]
    fn the_value_class_is_what_the_gate_covers() {
        let moving: Vec<(String, ValueMove)> = SAMPLES
            .iter()
            .filter_map(|(method, url)| {
                let route = Route::resolve(method, url).unwrap();
                route.moves_value().map(|m| (route.name(), m))
            })
            .collect();
        for expected in [
            "GetSecret",
            "Proxy",
            "Vault(ReadData",
            "CollectPasswordRequests",
        ] {
            assert!(
                moving
                    .iter()
                    .any(|(n, m)| n == expected && *m == ValueMove::Releases)
            );
        }
        for expected in ["UpdateSecret", "ApprovePasswordRequest", "Vault(WriteData"] {
            assert!(
                moving
                    .iter()
                    .any(|(n, m)| n == expected && *m == ValueMove::Writes)
            );
        }
    }
}
