//! Seed 001's agent plane on the `/api/v1` face (issue 23): minting, the agent's own
//! heartbeat and job routes (`/api/v1/agents/{id}/…`, authenticated by `X-Agent-Secret` or an
//! agent JWT), an admin's jobs, and the update check of seed 000.

use super::when_allowed;
use crate::agent::AgentId;
use crate::agent::jobs::JobId;
use crate::error::ApiError;

/// A route of the agent plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaneRoute {
    /// `POST /api/v1/agents` (`agent.mint`).
    MintAgent,
    /// `POST /api/v1/agents/{id}/heartbeat` → 204.
    Heartbeat(AgentId),
    /// `POST /api/v1/agents/{id}/jobs/claim` → 200 or 204.
    ClaimJob(AgentId),
    /// `POST /api/v1/agents/{id}/jobs/{job_id}/complete` → 204.
    CompleteJob(AgentId, JobId),
    /// `POST /api/v1/jobs` (admin).
    CreateJob,
    /// `GET /api/v1/agents/update/latest[?platform=]` (an agent).
    UpdateLatest,
}

impl PlaneRoute {
    /// The query parameters the route takes.
    pub fn query_parameters(&self) -> &'static [&'static str] {
        match self {
            PlaneRoute::UpdateLatest => &["platform"],
            _ => &[],
        }
    }
}

fn agent(id: &str) -> Result<AgentId, ApiError> {
    AgentId::parse(id).map_err(|_| ApiError::not_found(format!("agent '{id}' not found")))
}

/// The plane's route for `rest` (the path after `/api/v1/`), `None` when the path is not
/// the plane's (`GET /api/v1/agents` is the native list).
pub fn resolve(method: &str, url_path: &str, rest: &str) -> Option<Result<PlaneRoute, ApiError>> {
    let segments: Vec<&str> = rest.split('/').collect();
    let (allowed, route): (&[&str], Result<PlaneRoute, ApiError>) = match segments.as_slice() {
        ["agents"] if matches!(method, "GET" | "HEAD") => return None,
        ["agents"] => (&["GET", "POST"], Ok(PlaneRoute::MintAgent)),
        ["jobs"] => (&["POST"], Ok(PlaneRoute::CreateJob)),
        ["agents", "update", "latest"] => (&["GET"], Ok(PlaneRoute::UpdateLatest)),
        ["agents", id, "heartbeat"] => (&["POST"], agent(id).map(PlaneRoute::Heartbeat)),
        ["agents", id, "jobs", "claim"] => (&["POST"], agent(id).map(PlaneRoute::ClaimJob)),
        ["agents", id, "jobs", job, "complete"] => (
            &["POST"],
            agent(id).and_then(|id| {
                JobId::parse(job)
                    .map(|job| PlaneRoute::CompleteJob(id, job))
                    .map_err(|_| ApiError::not_found(format!("job '{job}' not found")))
            }),
        ),
        _ => return None,
    };
    Some(when_allowed(method, url_path, allowed, route))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGT: &str = "agt_0123456789abcdef01234567";
    const JOB: &str = "job_0123456789abcdef01234567";

    fn resolve_path(method: &str, rest: &str) -> Option<Result<PlaneRoute, ApiError>> {
        resolve(method, &format!("/api/v1/{rest}"), rest)
    }

    #[test]
    fn resolve_plane_paths_are_their_routes() {
        let agent = AgentId::parse(AGT).unwrap();
        let job = JobId::parse(JOB).unwrap();
        for (method, rest, route) in [
            ("POST", "agents".to_owned(), PlaneRoute::MintAgent),
            ("POST", "jobs".to_owned(), PlaneRoute::CreateJob),
            (
                "GET",
                "agents/update/latest".to_owned(),
                PlaneRoute::UpdateLatest,
            ),
            (
                "POST",
                format!("agents/{AGT}/heartbeat"),
                PlaneRoute::Heartbeat(agent.clone()),
            ),
            (
                "POST",
                format!("agents/{AGT}/jobs/claim"),
                PlaneRoute::ClaimJob(agent.clone()),
            ),
            (
                "POST",
                format!("agents/{AGT}/jobs/{JOB}/complete"),
                PlaneRoute::CompleteJob(agent.clone(), job.clone()),
            ),
        ] {
            assert_eq!(resolve_path(method, &rest), Some(Ok(route)), "{rest}");
        }
        assert_eq!(resolve_path("GET", "agents"), None);
        assert_eq!(resolve_path("POST", "agents/register"), None);
    }

    #[test]
    fn resolve_wrong_method_or_malformed_id_is_refused() {
        let e = resolve_path("GET", &format!("agents/{AGT}/heartbeat"))
            .unwrap()
            .unwrap_err();
        assert_eq!(e.status(), 405);
        let e = resolve_path("DELETE", "agents").unwrap().unwrap_err();
        assert_eq!(e.status(), 405);
        assert_eq!(
            e.details.get("allow").and_then(serde_json::Value::as_str),
            Some("GET, POST")
        );
        for rest in [
            "agents/me/heartbeat".to_owned(),
            format!("agents/{AGT}/jobs/job_x/complete"),
        ] {
            let e = resolve_path("POST", &rest).unwrap().unwrap_err();
            assert_eq!(e.status(), 404, "{rest}");
        }
    }
}
