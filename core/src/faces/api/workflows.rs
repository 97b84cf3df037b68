//! Issue 24's workflow and policy routes of the `/api/v1` face (seed 001's
//! `/api/v1/workflows` and `/api/v1/policies`, [`crate::workflow`]). None takes a query
//! parameter. `/api/v1/policies` is the policy CRUD; the tier document stays at the native
//! `/v1/policies`.

use super::method_not_allowed;
use crate::error::ApiError;
use crate::workflow::WorkflowRef;
use crate::workflow::policy::PolicyId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowRoute {
    /// `POST /api/v1/workflows`.
    CreateWorkflow,
    /// `GET /api/v1/workflows`.
    ListWorkflows,
    /// `GET /api/v1/workflows/{id}` (`default` too).
    GetWorkflow(WorkflowRef),
    /// `PUT /api/v1/workflows/{id}`.
    UpdateWorkflow(WorkflowRef),
    /// `DELETE /api/v1/workflows/{id}`.
    DeleteWorkflow(WorkflowRef),
    /// `POST /api/v1/policies`.
    CreatePolicy,
    /// `GET /api/v1/policies`.
    ListPolicies,
    /// `GET /api/v1/policies/{id}`.
    GetPolicy(PolicyId),
    /// `PUT /api/v1/policies/{id}`.
    UpdatePolicy(PolicyId),
    /// `DELETE /api/v1/policies/{id}`.
    DeletePolicy(PolicyId),
}

fn workflow(id: &str) -> Result<WorkflowRef, ApiError> {
    WorkflowRef::parse(id)
        .map_err(|why| ApiError::not_found(format!("workflow '{id}' not found: {why}")))
}

fn policy(id: &str) -> Result<PolicyId, ApiError> {
    PolicyId::parse(id)
        .map_err(|why| ApiError::not_found(format!("policy '{id}' not found: {why}")))
}

pub(super) fn resolve(
    method: &str,
    url_path: &str,
    rest: &str,
) -> Option<Result<WorkflowRoute, ApiError>> {
    use WorkflowRoute as R;
    let segments: Vec<&str> = rest.split('/').collect();
    let by_method = |routes: Vec<(&str, Result<R, ApiError>)>| -> Result<R, ApiError> {
        let wanted = if method == "HEAD" { "GET" } else { method };
        let allow = routes.iter().map(|(m, _)| (*m).to_owned()).collect();
        match routes.into_iter().find(|(m, _)| *m == wanted) {
            Some((_, route)) => route,
            None => Err(method_not_allowed(method, url_path, allow)),
        }
    };
    Some(match segments.as_slice() {
        ["workflows"] => by_method(vec![
            ("GET", Ok(R::ListWorkflows)),
            ("POST", Ok(R::CreateWorkflow)),
        ]),
        ["workflows", id] => by_method(vec![
            ("GET", workflow(id).map(R::GetWorkflow)),
            ("PUT", workflow(id).map(R::UpdateWorkflow)),
            ("DELETE", workflow(id).map(R::DeleteWorkflow)),
        ]),
        ["policies"] => by_method(vec![
            ("GET", Ok(R::ListPolicies)),
            ("POST", Ok(R::CreatePolicy)),
        ]),
        ["policies", id] => by_method(vec![
            ("GET", policy(id).map(R::GetPolicy)),
            ("PUT", policy(id).map(R::UpdatePolicy)),
            ("DELETE", policy(id).map(R::DeletePolicy)),
        ]),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{ApiRoute, check_query, resolve as face};
    use super::WorkflowRoute as R;

    const WFL: &str = "wfl_0123456789abcdef01234567";
    const POL: &str = "pol_0123456789abcdef01234567";

    #[test]
    fn resolve_workflow_and_policy_routes_by_method_and_id() {
        let routes = [
            ("POST", "/api/v1/workflows".to_owned()),
            ("GET", "/api/v1/workflows".to_owned()),
            ("GET", format!("/api/v1/workflows/{WFL}")),
            ("GET", "/api/v1/workflows/default".to_owned()),
            ("PUT", format!("/api/v1/workflows/{WFL}")),
            ("DELETE", format!("/api/v1/workflows/{WFL}")),
            ("POST", "/api/v1/policies".to_owned()),
            ("GET", "/api/v1/policies".to_owned()),
            ("GET", format!("/api/v1/policies/{POL}")),
            ("PUT", format!("/api/v1/policies/{POL}")),
            ("DELETE", format!("/api/v1/policies/{POL}")),
        ];
        for (method, path) in routes {
            assert!(
                matches!(face(method, &path), Ok(ApiRoute::Workflows(_))),
                "{method} {path}"
            );
        }
        assert_eq!(
            face("GET", "/api/v1/policies"),
            Ok(ApiRoute::Workflows(R::ListPolicies))
        );
    }

    #[test]
    fn resolve_workflow_bad_id_404_wrong_method_405_no_query() {
        let e = face("GET", "/api/v1/workflows/nope").unwrap_err();
        assert_eq!(e.status(), 404);
        assert!(e.message.contains("nope"));
        assert_eq!(
            face("PUT", &format!("/api/v1/policies/{WFL}"))
                .unwrap_err()
                .status(),
            404
        );
        let e = face("PATCH", "/api/v1/policies").unwrap_err();
        assert_eq!(e.status(), 405);
        assert_eq!(
            e.details.get("allow").and_then(serde_json::Value::as_str),
            Some("GET, POST")
        );
        let list = face("GET", "/api/v1/workflows").unwrap();
        let e = check_query(&list, &[("limit".to_owned(), "5".to_owned())]).unwrap_err();
        assert!(e.message.contains("limit"), "{}", e.message);
    }
}
