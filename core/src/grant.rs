//! Grants: an admin links an agent to a secret path, exact or a glob, for some
//! actions. An agent holds nothing else: its reach is exactly its grants.

use crate::agent::{AgentId, GrantId};
use crate::body;
use crate::error::ApiError;
use crate::scope::{PathGlob, Scope, ScopeSet, SecretAction};
use crate::secret::Tier;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Grants one agent may hold.
pub const MAX_GRANTS_PER_AGENT: usize = 100;

/// A validated `POST /v1/grants` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRequest {
    pub agent_id: AgentId,
    pub path: PathGlob,
    pub actions: Vec<SecretAction>,
}

/// `POST /v1/grants` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    agent_id: body::Text,
    path: body::Text,
    #[serde(default)]
    actions: ActionItems,
}

const ACTIONS_SHAPE: &str = "must be a list of 1 to 5 of read, write, delete, rotate, use";

/// `actions` as it comes: a list; absent or `null` is `None`.
#[derive(Default)]
pub struct ActionItems(Option<Vec<Value>>);

impl<'de> Deserialize<'de> for ActionItems {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(ActionItems(None)),
            Value::Array(items) => Ok(ActionItems(Some(items))),
            _ => Err(D::Error::custom(ACTIONS_SHAPE)),
        }
    }
}

impl GrantRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: GrantBody = body::parse(bytes)?;
        let agent_id = AgentId::parse(&body.agent_id.0)
            .map_err(|why| ApiError::validation("agent_id", why))?;
        let path =
            PathGlob::parse(&body.path.0).map_err(|why| ApiError::validation("path", why))?;
        let actions = match body.actions.0 {
            None => vec![SecretAction::Read],
            Some(items) if !items.is_empty() && items.len() <= SecretAction::GRANTABLE.len() => {
                let mut actions = Vec::new();
                for item in items {
                    let action = item
                        .as_str()
                        .and_then(SecretAction::parse)
                        .filter(|a| *a != SecretAction::All)
                        .ok_or_else(|| {
                            ApiError::validation(
                                "actions",
                                "'actions' holds read, write, delete, rotate or use",
                            )
                        })?;
                    if !actions.contains(&action) {
                        actions.push(action);
                    }
                }
                actions
            }
            Some(_) => {
                return Err(ApiError::validation(
                    "actions",
                    format!("'actions' {ACTIONS_SHAPE}"),
                ));
            }
        };
        Ok(GrantRequest {
            agent_id,
            path,
            actions,
        })
    }

    /// The scopes this grant gives its agent.
    pub fn scopes(&self) -> Vec<Scope> {
        scopes_of(&self.path, &self.actions)
    }
}

fn scopes_of(path: &PathGlob, actions: &[SecretAction]) -> Vec<Scope> {
    actions
        .iter()
        .map(|action| Scope::Secrets {
            action: *action,
            glob: path.clone(),
        })
        .collect()
}

/// A stored grant, as `POST` and `GET /v1/grants` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grant_id: GrantId,
    pub agent_id: AgentId,
    pub path: PathGlob,
    pub actions: Vec<SecretAction>,
    /// The highest tier the grant reached when it was made: secrets of a higher tier created
    /// under a glob later stay closed to the agent, as with tokens.
    pub cleared_tier: Tier,
    pub created_at: Timestamp,
    pub created_by: String,
    /// Set when the credential that made the grant was revoked: a suspended grant does not
    /// count (cascading revocation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<Timestamp>,
}

impl Grant {
    pub fn scopes(&self) -> Vec<Scope> {
        scopes_of(&self.path, &self.actions)
    }

    /// Whether this grant alone lets its agent do `action` on `path`.
    pub fn allows(&self, action: SecretAction, path: &crate::SecretPath) -> bool {
        self.path.matches(path) && self.actions.contains(&action)
    }
}

/// An agent's reach: the union of its grants' scopes, and, per scope, the tier it is cleared
/// for.
pub fn agent_scopes(grants: &[Grant]) -> ScopeSet {
    ScopeSet::from_scopes(grants.iter().flat_map(Grant::scopes).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SecretPath;

    const AGENT: &str = "agt_0123456789abcdef01234567";

    #[test]
    fn grants_parse_with_read_by_default() {
        let grant = GrantRequest::parse(
            format!(r#"{{"agent_id": "{AGENT}", "path": "prod/db/*"}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(grant.actions, vec![SecretAction::Read]);
        let scopes = ScopeSet::from_scopes(grant.scopes());
        assert!(scopes.allows_secret(
            SecretAction::Read,
            &SecretPath::parse("prod/db/password").unwrap()
        ));
        assert!(!scopes.allows_secret(
            SecretAction::Write,
            &SecretPath::parse("prod/db/password").unwrap()
        ));
        assert!(!scopes.allows_secret(SecretAction::Read, &SecretPath::parse("prod/api").unwrap()));
        let exact = GrantRequest::parse(
            format!(r#"{{"agent_id": "{AGENT}", "path": "prod/api", "actions": ["read", "rotate", "read"]}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            exact.actions,
            vec![SecretAction::Read, SecretAction::Rotate]
        );
    }

    #[test]
    fn bad_grants_name_their_field() {
        for (body, field) in [
            (r#"{"path": "a"}"#.to_owned(), "agent_id"),
            (
                r#"{"agent_id": "agt_x", "path": "a"}"#.to_owned(),
                "agent_id",
            ),
            (format!(r#"{{"agent_id": "{AGENT}"}}"#), "path"),
            (
                format!(r#"{{"agent_id": "{AGENT}", "path": "/a"}}"#),
                "path",
            ),
            (
                format!(r#"{{"agent_id": "{AGENT}", "path": "a", "actions": []}}"#),
                "actions",
            ),
            (
                format!(r#"{{"agent_id": "{AGENT}", "path": "a", "actions": ["*"]}}"#),
                "actions",
            ),
            (
                format!(r#"{{"agent_id": "{AGENT}", "path": "a", "actions": "read"}}"#),
                "actions",
            ),
            (
                format!(r#"{{"agent_id": "{AGENT}", "path": "a", "scope": "x"}}"#),
                "scope",
            ),
        ] {
            let e = GrantRequest::parse(body.as_bytes()).unwrap_err();
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some(field),
                "{body}"
            );
        }
    }
}
