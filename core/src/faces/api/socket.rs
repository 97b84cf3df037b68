//! The agent socket on the `/api/v1` face (issue 23): seed 000's `GET /agents/me/connect`, and
//! `GET /agents/{id}/connect` for seed 001's way of naming the agent. Either credential (an
//! agent JWT or `X-Agent-Secret`) works on both; the frames are `crate::agent::socket`'s.

use super::method_not_allowed;
use crate::agent::AgentId;
use crate::error::ApiError;

/// The socket's route for `rest` (the path after `/api/v1/`): `Some(None)` for `me`,
/// `Some(Some(id))` for an agent's id; `None` when the path is not the socket's.
pub fn resolve(
    method: &str,
    url_path: &str,
    rest: &str,
) -> Option<Result<Option<AgentId>, ApiError>> {
    let id = rest.strip_prefix("agents/")?.strip_suffix("/connect")?;
    if id.contains('/') {
        return None;
    }
    if method != "GET" {
        return Some(Err(method_not_allowed(
            method,
            url_path,
            vec!["GET".into()],
        )));
    }
    if id == "me" {
        return Some(Ok(None));
    }
    Some(
        AgentId::parse(id).map(Some).map_err(|_| {
            ApiError::not_found(format!("agent '{id}' not found")).with("field", "id")
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGT: &str = "agt_0123456789abcdef01234567";

    fn at(method: &str, rest: &str) -> Option<Result<Option<AgentId>, ApiError>> {
        resolve(method, &format!("/api/v1/{rest}"), rest)
    }

    #[test]
    fn resolve_connect_paths_name_me_or_the_agent() {
        assert_eq!(at("GET", "agents/me/connect"), Some(Ok(None)));
        assert_eq!(
            at("GET", &format!("agents/{AGT}/connect")),
            Some(Ok(Some(AgentId::parse(AGT).unwrap())))
        );
        assert_eq!(at("GET", "agents/me/health"), None);
        assert_eq!(at("GET", "agents/a/b/connect"), None);
    }

    #[test]
    fn resolve_connect_wrong_method_or_malformed_id_is_refused() {
        assert_eq!(
            at("POST", "agents/me/connect")
                .unwrap()
                .unwrap_err()
                .status(),
            405
        );
        assert_eq!(
            at("GET", "agents/nope/connect")
                .unwrap()
                .unwrap_err()
                .status(),
            404
        );
    }
}
