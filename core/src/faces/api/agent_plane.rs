//! Issue 23's routes of the `/api/v1` face (the `envelopes` part): an agent's public key and
//! data keys, its bulk report of discovered secrets, and the discovered-secret inventory.
//! Seed 001's `/api/v1/secrets` is that inventory, not Latchkey's stored secrets (`/v1/secrets`).

use super::{ApiRoute, method_not_allowed};
use crate::agent::AgentId;
use crate::agent::discovered::{DiscoveredSecretId, QUERY_PARAMETERS};
use crate::carried::AgentWrapId;
use crate::error::ApiError;

/// The face's route for `rest` (the path after `/api/v1/`) when it is one of these, else
/// `None` (the rest of the face resolves it).
pub(super) fn resolve(
    method: &str,
    url_path: &str,
    rest: &str,
) -> Option<Result<ApiRoute, ApiError>> {
    let segments: Vec<&str> = rest.split('/').collect();
    let (route, allow): (Result<ApiRoute, ApiError>, &str) = match segments.as_slice() {
        ["secrets"] => (Ok(ApiRoute::DiscoveredSecrets), "GET"),
        ["secrets", id] => (
            DiscoveredSecretId::parse(id)
                .map(ApiRoute::DiscoveredSecret)
                .map_err(|why| ApiError::not_found(format!("no discovered secret '{id}': {why}"))),
            "GET",
        ),
        ["agents", id, "public-key"] => (agent(id).map(ApiRoute::AgentPublicKey), "PUT"),
        ["agents", id, "dek"] => (agent(id).map(ApiRoute::AgentDek), "POST"),
        ["agents", id, "secrets", "bulk"] => (agent(id).map(ApiRoute::AgentSecretsBulk), "POST"),
        ["agents", id, "wraps"] => (agent(id).map(ApiRoute::AgentWraps), "POST"),
        ["agents", id, "wraps", wrap_id] => (
            agent(id).and_then(|agent| {
                AgentWrapId::parse(wrap_id)
                    .map(|wrap| ApiRoute::AgentWrap(agent, wrap))
                    .map_err(|why| {
                        ApiError::not_found(format!("agent wrap '{wrap_id}' not found: {why}"))
                    })
            }),
            "GET",
        ),
        _ => return None,
    };
    let method_ok = method == allow || (allow == "GET" && method == "HEAD");
    if !method_ok {
        return Some(Err(method_not_allowed(
            method,
            url_path,
            vec![allow.to_owned()],
        )));
    }
    Some(route)
}

fn agent(id: &str) -> Result<AgentId, ApiError> {
    AgentId::parse(id).map_err(|why| ApiError::not_found(format!("agent '{id}' not found: {why}")))
}

/// The query parameters of these routes, and which may repeat.
pub(super) fn query(
    route: &ApiRoute,
) -> Option<(&'static [&'static str], &'static [&'static str])> {
    match route {
        ApiRoute::DiscoveredSecrets => Some((QUERY_PARAMETERS, &["label"])),
        ApiRoute::DiscoveredSecret(_)
        | ApiRoute::AgentPublicKey(_)
        | ApiRoute::AgentDek(_)
        | ApiRoute::AgentWraps(_)
        | ApiRoute::AgentWrap(..)
        | ApiRoute::AgentSecretsBulk(_) => Some((&[], &[])),
        _ => None,
    }
}

/// `POST …/dek` takes no body: empty, or an empty object.
pub fn check_dek_body(bytes: &[u8]) -> Result<(), ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(map)) => match map.keys().next() {
            None => Ok(()),
            Some(member) => Err(ApiError::invalid_request(format!(
                "unknown field '{member}'; POST /api/v1/agents/{{id}}/dek takes no body"
            ))
            .with("field", member.as_str())),
        },
        _ => Err(ApiError::invalid_request(
            "request body must be empty or {}",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{check_query, resolve as face};
    use super::*;

    const AGENT: &str = "agt_0123456789abcdef01234567";

    #[test]
    fn resolve_agent_plane_routes_by_method_and_id() {
        assert_eq!(
            face("GET", "/api/v1/secrets"),
            Ok(ApiRoute::DiscoveredSecrets)
        );
        assert!(matches!(
            face("GET", "/api/v1/secrets/dsc_0123456789abcdef01234567"),
            Ok(ApiRoute::DiscoveredSecret(_))
        ));
        assert!(matches!(
            face("PUT", &format!("/api/v1/agents/{AGENT}/public-key")),
            Ok(ApiRoute::AgentPublicKey(_))
        ));
        assert!(matches!(
            face("POST", &format!("/api/v1/agents/{AGENT}/dek")),
            Ok(ApiRoute::AgentDek(_))
        ));
        assert!(matches!(
            face("POST", &format!("/api/v1/agents/{AGENT}/secrets/bulk")),
            Ok(ApiRoute::AgentSecretsBulk(_))
        ));
        assert!(matches!(
            face("POST", &format!("/api/v1/agents/{AGENT}/wraps")),
            Ok(ApiRoute::AgentWraps(_))
        ));
        assert!(matches!(
            face(
                "GET",
                &format!("/api/v1/agents/{AGENT}/wraps/awr_0123456789abcdef01234567")
            ),
            Ok(ApiRoute::AgentWrap(..))
        ));
        assert_eq!(
            face("GET", &format!("/api/v1/agents/{AGENT}/wraps/wrp_x"))
                .unwrap_err()
                .status(),
            404
        );
        assert_eq!(
            face("GET", &format!("/api/v1/agents/{AGENT}/wraps"))
                .unwrap_err()
                .status(),
            405
        );
        let e = face("POST", "/api/v1/secrets").unwrap_err();
        assert_eq!(e.status(), 405);
        let e = face("GET", &format!("/api/v1/agents/{AGENT}/dek")).unwrap_err();
        assert_eq!(e.status(), 405);
        assert_eq!(
            face("GET", "/api/v1/secrets/prod%2Fdb")
                .unwrap_err()
                .status(),
            404
        );
        assert_eq!(
            face("POST", "/api/v1/agents/me/dek").unwrap_err().status(),
            404
        );
    }

    #[test]
    fn check_query_list_takes_repeated_labels_only() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let list = ApiRoute::DiscoveredSecrets;
        assert!(check_query(&list, &pairs(&[("label", "a:b"), ("label", "c:d")])).is_ok());
        let e = check_query(&list, &pairs(&[("provider", "a"), ("provider", "b")])).unwrap_err();
        assert_eq!(e.status(), 400);
        let e = check_query(&list, &pairs(&[("namespace", "a")])).unwrap_err();
        assert_eq!(
            e.details.get("field").and_then(serde_json::Value::as_str),
            Some("namespace")
        );
        let one = face("GET", "/api/v1/secrets/dsc_0123456789abcdef01234567").unwrap();
        assert!(check_query(&one, &pairs(&[("label", "a:b")])).is_err());
    }

    #[test]
    fn check_dek_body_takes_nothing_or_an_empty_object() {
        assert!(check_dek_body(b"").is_ok());
        assert!(check_dek_body(b" {} ").is_ok());
        let e = check_dek_body(br#"{"value":"x"}"#).unwrap_err();
        assert_eq!(e.status(), 400);
        assert_eq!(
            e.details.get("field").and_then(serde_json::Value::as_str),
            Some("value")
        );
        assert_eq!(check_dek_body(b"[]").unwrap_err().status(), 400);
    }
}
