//! Issue 24's routes of the `/api/v1` face: seed 001's projects and environments
//! ([`crate::project`]). `?force=true` is the only query parameter, on the two routes that
//! may leave secrets without their environment (a deletion, a status change).

use super::method_not_allowed;
use crate::error::ApiError;
use crate::project::{EnvironmentId, ProjectId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectRoute {
    /// `POST /api/v1/projects` `{name, description?}`.
    CreateProject,
    /// `GET /api/v1/projects`.
    ListProjects,
    /// `GET /api/v1/projects/{id}`.
    GetProject(ProjectId),
    /// `PUT /api/v1/projects/{id}/status[?force=true]` `{status}`.
    SetProjectStatus(ProjectId),
    /// `GET /api/v1/projects/{id}/environments`.
    ProjectEnvironments(ProjectId),
    /// `POST /api/v1/environments` `{project_id, name, path_prefix, clusters?}`.
    CreateEnvironment,
    /// `GET /api/v1/environments`.
    ListEnvironments,
    /// `DELETE /api/v1/environments/{id}[?force=true]`.
    DeleteEnvironment(EnvironmentId),
}

impl ProjectRoute {
    pub fn query_parameters(&self) -> &'static [&'static str] {
        match self {
            ProjectRoute::SetProjectStatus(_) | ProjectRoute::DeleteEnvironment(_) => &["force"],
            _ => &[],
        }
    }
}

fn project(id: &str) -> Result<ProjectId, ApiError> {
    ProjectId::parse(id)
        .map_err(|why| ApiError::not_found(format!("project '{id}' not found: {why}")))
}

pub(super) fn resolve(
    method: &str,
    url_path: &str,
    rest: &str,
) -> Option<Result<ProjectRoute, ApiError>> {
    use ProjectRoute as R;
    let segments: Vec<&str> = rest.split('/').collect();
    let by_method = |routes: &[(&str, Result<R, ApiError>)]| -> Result<R, ApiError> {
        let wanted = if method == "HEAD" { "GET" } else { method };
        match routes.iter().find(|(m, _)| *m == wanted) {
            Some((_, route)) => route.clone(),
            None => Err(method_not_allowed(
                method,
                url_path,
                routes.iter().map(|(m, _)| (*m).to_owned()).collect(),
            )),
        }
    };
    Some(match segments.as_slice() {
        ["projects"] => by_method(&[("GET", Ok(R::ListProjects)), ("POST", Ok(R::CreateProject))]),
        ["projects", id] => by_method(&[("GET", project(id).map(R::GetProject))]),
        ["projects", id, "status"] => by_method(&[("PUT", project(id).map(R::SetProjectStatus))]),
        ["projects", id, "environments"] => {
            by_method(&[("GET", project(id).map(R::ProjectEnvironments))])
        }
        ["environments"] => by_method(&[
            ("GET", Ok(R::ListEnvironments)),
            ("POST", Ok(R::CreateEnvironment)),
        ]),
        ["environments", id] => by_method(&[(
            "DELETE",
            EnvironmentId::parse(id)
                .map(R::DeleteEnvironment)
                .map_err(|why| ApiError::not_found(format!("environment '{id}' not found: {why}"))),
        )]),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{ApiRoute, check_query, resolve as face};

    const PRJ: &str = "prj_0123456789abcdef01234567";
    const ENV: &str = "env_0123456789abcdef01234567";

    #[test]
    fn resolve_project_routes_by_method_and_id() {
        let routes = [
            ("POST", "/api/v1/projects".to_owned()),
            ("GET", "/api/v1/projects".to_owned()),
            ("GET", format!("/api/v1/projects/{PRJ}")),
            ("PUT", format!("/api/v1/projects/{PRJ}/status")),
            ("GET", format!("/api/v1/projects/{PRJ}/environments")),
            ("POST", "/api/v1/environments".to_owned()),
            ("GET", "/api/v1/environments".to_owned()),
            ("DELETE", format!("/api/v1/environments/{ENV}")),
        ];
        for (method, path) in routes {
            assert!(
                matches!(face(method, &path), Ok(ApiRoute::Projects(_))),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn resolve_project_bad_id_404_wrong_method_405() {
        let e = face("GET", "/api/v1/projects/nope").unwrap_err();
        assert_eq!(e.status(), 404);
        assert!(e.message.contains("nope"));
        let e = face("DELETE", &format!("/api/v1/environments/{PRJ}")).unwrap_err();
        assert_eq!(e.status(), 404);
        let e = face("DELETE", "/api/v1/projects").unwrap_err();
        assert_eq!(e.status(), 405);
        assert_eq!(
            e.details.get("allow").and_then(serde_json::Value::as_str),
            Some("GET, POST")
        );
        assert_eq!(
            face("POST", &format!("/api/v1/environments/{ENV}"))
                .unwrap_err()
                .status(),
            405
        );
    }

    #[test]
    fn check_query_force_only_where_it_means_something() {
        let force = vec![("force".to_owned(), "true".to_owned())];
        let delete = face("DELETE", &format!("/api/v1/environments/{ENV}")).unwrap();
        assert!(check_query(&delete, &force).is_ok());
        let list = face("GET", "/api/v1/projects").unwrap();
        let e = check_query(&list, &force).unwrap_err();
        assert!(e.message.contains("force"), "{}", e.message);
    }
}
