//! What GitOps events carry (issue 24): ids, names and URLs, never an endpoint's token.

use super::Completes;
use crate::audit::Draft;
use latchkey_contract::caller::gitops::{GitopsCommand as Git, ObservationPlan};
use latchkey_core::gitops::{ArgoTarget, EndpointView, MappingView};
use serde_json::Value;

pub fn details(command: &Git, draft: Draft) -> Draft {
    match command {
        // The token is never a detail: name and URL only.
        Git::CreateArgoEndpoint(c) => draft
            .detail("name", c.endpoint.name.as_str())
            .detail("url", c.endpoint.url.as_str()),
        Git::SetArgoEndpointEnabled(c) => draft
            .detail("endpoint_id", c.id.as_str())
            .detail("enabled", c.enabled),
        Git::DeleteArgoEndpoint(c) => draft.detail("endpoint_id", c.id.as_str()),
        Git::DiscoverArgoApps(c) => draft.detail("endpoint_id", c.id.as_str()),
        Git::CreateAppMapping(c) => draft
            .detail("endpoint_id", c.mapping.endpoint_id.as_str())
            .detail("app_name", c.mapping.app_name.as_str()),
        Git::DeleteAppMapping(c) => draft.detail("mapping_id", c.id.as_str()),
        Git::RequestGitops(c) => draft.detail("request_id", c.id.as_str()),
        Git::GitopsGate(_) | Git::ListArgoEndpoints(_) | Git::ListAppMappings(_) => draft,
    }
}

impl Completes for EndpointView {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("endpoint_id", self.id.as_str())
    }
}

impl Completes for MappingView {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("mapping_id", self.id.as_str())
    }
}

impl Completes for Vec<EndpointView> {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("count", self.len())
    }
}

impl Completes for Vec<MappingView> {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("count", self.len())
    }
}

/// The Worker's target: the endpoint's id, never its token.
impl Completes for ArgoTarget {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("endpoint_id", self.id.as_str())
    }
}

impl Completes for ObservationPlan {
    fn complete(&self, draft: Draft) -> Draft {
        draft.detail("applied", self.applied).detail(
            "applications",
            Value::Array(
                self.applications
                    .iter()
                    .map(|a| Value::from(a.mapping.app_name.as_str()))
                    .collect(),
            ),
        )
    }
}

impl Completes for bool {
    fn complete(&self, draft: Draft) -> Draft {
        draft
    }
}
