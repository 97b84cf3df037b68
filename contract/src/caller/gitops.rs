//! GitOps observation through Argo CD (issue 24, seed 001's integrations). Every command
//! answers 404 while the tenant's GitOps gate (`gitops_enabled`, the operator's, as seed 001's
//! `SB_GITOPS_ENABLED`) is off. Changing endpoints and mappings needs `integration.edit`;
//! reading them, any caller of the tenant (seed 001: `bearer`).
//!
//! The endpoint's token is sealed under the tenant key and never answered, except to the
//! Worker in [`ArgoTargets`]'s reply (like the broker's release): the Worker makes the call to
//! Argo CD and keeps the token in that request's memory only.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::access_request::AccessRequestId;
use latchkey_core::gitops::{
    AppMappingId, ArgoEndpointId, ArgoTarget, EndpointView, MappingView, NewEndpoint, NewMapping,
};
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

/// Whether the tenant's GitOps gate is on (the Worker asks before answering a refusal, so a
/// tenant without GitOps answers 404 on every GitOps route).
#[derive(Debug, Serialize, Deserialize)]
pub struct GitopsGate;

/// `POST /api/v1/argocd-endpoints`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateArgoEndpoint {
    pub endpoint: NewEndpoint,
}

/// `GET /api/v1/argocd-endpoints`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListArgoEndpoints;

/// `PUT /api/v1/argocd-endpoints/{id}/enabled`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SetArgoEndpointEnabled {
    pub id: ArgoEndpointId,
    pub enabled: bool,
}

/// `DELETE /api/v1/argocd-endpoints/{id}` (its mappings go with it).
#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteArgoEndpoint {
    pub id: ArgoEndpointId,
}

/// `GET /api/v1/argocd-endpoints/{id}/discovered-apps`: the endpoint's URL and token, for the
/// Worker to ask Argo CD (refused while the endpoint is disabled).
#[derive(Debug, Serialize, Deserialize)]
pub struct DiscoverArgoApps {
    pub id: ArgoEndpointId,
}

/// `POST /api/v1/gitops-app-mappings`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateAppMapping {
    pub mapping: NewMapping,
}

/// `GET /api/v1/gitops-app-mappings`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListAppMappings;

/// `DELETE /api/v1/gitops-app-mappings/{id}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteAppMapping {
    pub id: AppMappingId,
}

/// `GET /api/v1/requests/{id}/gitops`: the request (as its caller may see it), whether it is
/// applied, and its mapped applications with their endpoints' targets.
#[derive(Debug, Serialize, Deserialize)]
pub struct RequestGitops {
    pub id: AccessRequestId,
}

/// [`RequestGitops`]'s reply: what the Worker observes.
#[derive(Debug, Serialize, Deserialize)]
pub struct ObservationPlan {
    pub request_id: AccessRequestId,
    pub applied: bool,
    pub applications: Vec<PlannedApp>,
}

/// A mapped application and, when its endpoint is enabled, the target to ask.
#[derive(Debug, Serialize, Deserialize)]
pub struct PlannedApp {
    pub mapping: MappingView,
    pub target: Option<ArgoTarget>,
}

area! {
    pub enum GitopsCommand in CallerCommand::Gitops {
        GitopsGate => bool,
        CreateArgoEndpoint => EndpointView,
        ListArgoEndpoints => Vec<EndpointView>,
        SetArgoEndpointEnabled => EndpointView,
        DeleteArgoEndpoint => (),
        DiscoverArgoApps => ArgoTarget,
        CreateAppMapping => MappingView,
        ListAppMappings => Vec<MappingView>,
        DeleteAppMapping => (),
        RequestGitops => ObservationPlan,
    }
}

impl GitopsCommand {
    pub fn rules(&self) -> Rules {
        use Audit::{Event, NotRecorded};
        use Effect::{Reads, Writes};
        use GitopsCommand as C;
        let edit = || Access::Scope(Scope::IntegrationsEdit);
        let row = |access, audit, effect| {
            Rules::of(
                access,
                audit,
                Releases::Nothing,
                Cache::Keeps,
                Metering::Use,
                effect,
            )
        };
        match self {
            // A lookup the Worker makes only to answer a refusal: nothing to record.
            C::GitopsGate(_) => row(Access::Authenticated, NotRecorded, Reads),
            C::CreateArgoEndpoint(_) => row(edit(), Event("argocd_endpoint.created"), Writes),
            C::ListArgoEndpoints(_) => row(
                Access::Authenticated,
                Event("argocd_endpoint.listed"),
                Reads,
            ),
            C::SetArgoEndpointEnabled(_) => {
                row(edit(), Event("argocd_endpoint.enabled_changed"), Writes)
            }
            C::DeleteArgoEndpoint(_) => row(edit(), Event("argocd_endpoint.deleted"), Writes),
            // The token goes to the Worker only, which calls Argo CD with it; the seed lets any
            // caller of the tenant see the discovered applications (names and statuses).
            C::DiscoverArgoApps(_) => row(
                Access::Authenticated,
                Event("argocd_endpoint.apps_discovered"),
                Reads,
            ),
            C::CreateAppMapping(_) => row(edit(), Event("gitops_mapping.created"), Writes),
            C::ListAppMappings(_) => {
                row(Access::Authenticated, Event("gitops_mapping.listed"), Reads)
            }
            C::DeleteAppMapping(_) => row(edit(), Event("gitops_mapping.deleted"), Writes),
            // Visible to whoever may see the request (the object checks, as for `GET
            // /v1/requests/{id}`).
            C::RequestGitops(_) => row(
                Access::Authenticated,
                Event("request.gitops_observed"),
                Reads,
            ),
        }
    }
}
