//! Seed 001's GitOps routes on the `/api/v1` face (issue 24): `argocd-endpoints`,
//! `gitops-app-mappings` and `requests/{id}/gitops`, all answering 404 while the tenant's
//! GitOps gate is off (the object refuses; the Worker turns any other refusal into that 404).

use super::when_allowed;
use crate::access_request::AccessRequestId;
use crate::error::ApiError;
use crate::gitops::{AppMappingId, ArgoEndpointId};

/// A GitOps route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitopsRoute {
    /// `POST /api/v1/argocd-endpoints` (`integration.edit`).
    CreateEndpoint,
    /// `GET /api/v1/argocd-endpoints`.
    ListEndpoints,
    /// `GET /api/v1/argocd-endpoints/{id}/discovered-apps`.
    DiscoveredApps(ArgoEndpointId),
    /// `PUT /api/v1/argocd-endpoints/{id}/enabled` `{enabled}` (`integration.edit`).
    SetEnabled(ArgoEndpointId),
    /// `DELETE /api/v1/argocd-endpoints/{id}` (`integration.edit`).
    DeleteEndpoint(ArgoEndpointId),
    /// `POST /api/v1/gitops-app-mappings` (`integration.edit`).
    CreateMapping,
    /// `GET /api/v1/gitops-app-mappings`.
    ListMappings,
    /// `DELETE /api/v1/gitops-app-mappings/{id}` (`integration.edit`).
    DeleteMapping(AppMappingId),
    /// `GET /api/v1/requests/{id}/gitops`.
    RequestGitops(AccessRequestId),
}

fn endpoint(id: &str) -> Result<ArgoEndpointId, ApiError> {
    ArgoEndpointId::parse(id)
        .map_err(|_| ApiError::not_found(format!("Argo CD endpoint '{id}' not found")))
}

/// The GitOps route for `rest` (the path after `/api/v1/`), `None` when the path is not one.
pub fn resolve(method: &str, url_path: &str, rest: &str) -> Option<Result<GitopsRoute, ApiError>> {
    use GitopsRoute as R;
    let segments: Vec<&str> = rest.split('/').collect();
    let (allowed, route): (&[&str], Result<GitopsRoute, ApiError>) = match segments.as_slice() {
        ["argocd-endpoints"] => (
            &["GET", "POST"],
            Ok(if method == "POST" {
                R::CreateEndpoint
            } else {
                R::ListEndpoints
            }),
        ),
        ["argocd-endpoints", id] => (&["DELETE"], endpoint(id).map(R::DeleteEndpoint)),
        ["argocd-endpoints", id, "discovered-apps"] => {
            (&["GET"], endpoint(id).map(R::DiscoveredApps))
        }
        ["argocd-endpoints", id, "enabled"] => (&["PUT"], endpoint(id).map(R::SetEnabled)),
        ["gitops-app-mappings"] => (
            &["GET", "POST"],
            Ok(if method == "POST" {
                R::CreateMapping
            } else {
                R::ListMappings
            }),
        ),
        ["gitops-app-mappings", id] => (
            &["DELETE"],
            AppMappingId::parse(id)
                .map(R::DeleteMapping)
                .map_err(|_| ApiError::not_found(format!("GitOps mapping '{id}' not found"))),
        ),
        ["requests", id, "gitops"] => (
            &["GET"],
            AccessRequestId::parse(id)
                .map(R::RequestGitops)
                .map_err(|_| ApiError::not_found(format!("request '{id}' not found"))),
        ),
        _ => return None,
    };
    Some(when_allowed(method, url_path, allowed, route))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARGO: &str = "argo_0123456789abcdef01234567";
    const GMAP: &str = "gmap_0123456789abcdef01234567";
    const REQ: &str = "req_0123456789abcdef01234567";

    fn resolve_path(method: &str, rest: &str) -> Option<Result<GitopsRoute, ApiError>> {
        resolve(method, &format!("/api/v1/{rest}"), rest)
    }

    #[test]
    fn resolve_gitops_paths_are_their_routes() {
        let id = ArgoEndpointId::parse(ARGO).unwrap();
        for (method, rest, route) in [
            (
                "POST",
                "argocd-endpoints".to_owned(),
                GitopsRoute::CreateEndpoint,
            ),
            (
                "GET",
                "argocd-endpoints".to_owned(),
                GitopsRoute::ListEndpoints,
            ),
            (
                "GET",
                format!("argocd-endpoints/{ARGO}/discovered-apps"),
                GitopsRoute::DiscoveredApps(id.clone()),
            ),
            (
                "PUT",
                format!("argocd-endpoints/{ARGO}/enabled"),
                GitopsRoute::SetEnabled(id.clone()),
            ),
            (
                "DELETE",
                format!("argocd-endpoints/{ARGO}"),
                GitopsRoute::DeleteEndpoint(id.clone()),
            ),
            (
                "POST",
                "gitops-app-mappings".to_owned(),
                GitopsRoute::CreateMapping,
            ),
            (
                "GET",
                "gitops-app-mappings".to_owned(),
                GitopsRoute::ListMappings,
            ),
            (
                "DELETE",
                format!("gitops-app-mappings/{GMAP}"),
                GitopsRoute::DeleteMapping(AppMappingId::parse(GMAP).unwrap()),
            ),
            (
                "GET",
                format!("requests/{REQ}/gitops"),
                GitopsRoute::RequestGitops(AccessRequestId::parse(REQ).unwrap()),
            ),
        ] {
            assert_eq!(resolve_path(method, &rest), Some(Ok(route)), "{rest}");
        }
        assert_eq!(resolve_path("GET", &format!("requests/{REQ}")), None);
    }

    #[test]
    fn resolve_gitops_wrong_method_or_malformed_id_is_refused() {
        let e = resolve_path("DELETE", "argocd-endpoints")
            .unwrap()
            .unwrap_err();
        assert_eq!(e.status(), 405);
        let e = resolve_path("POST", &format!("requests/{REQ}/gitops"))
            .unwrap()
            .unwrap_err();
        assert_eq!(e.status(), 405);
        for rest in [
            "argocd-endpoints/argo_x".to_owned(),
            "gitops-app-mappings/nope".to_owned(),
            "requests/req_x/gitops".to_owned(),
        ] {
            let method = if rest.starts_with("requests") {
                "GET"
            } else {
                "DELETE"
            };
            let e = resolve_path(method, &rest).unwrap().unwrap_err();
            assert_eq!(e.status(), 404, "{rest}");
        }
    }
}
