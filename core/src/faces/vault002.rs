//! The seed-002 Vault API at `/v1/vault/…`: its route table, its bodies and its answers.
//!
//! - A secret's `name` is its native path (`OPENAI_API_KEY` is a one-segment path), validated
//!   by the native path parser; its `id` is the stable `sec_…` id every secret has.
//! - A grant's `agent_id` is an agent's id (`agt_…`) or its name (names are unique per tenant
//!   among agents not revoked); a grant reads exactly the secret's path.
//! - No route takes a query parameter: any one is a 400 naming it.
//! - Errors are Latchkey's `{"error": {"code", "message"}}`: the seed defines none.

use crate::agent::{AgentId, MAX_NAME_BYTES};
use crate::body;
use crate::error::ApiError;
use crate::secret::{NewSecret, SecretCreated, SecretId, SecretMetadata, SecretSummary};
use crate::time::Timestamp;
use crate::value::check_value;
use crate::{SecretPath, secret::parse_path_field};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where the face lives.
pub const PREFIX: &str = "/v1/vault";

/// Whether `url_path` belongs to this face (everything under `/v1/vault`).
pub fn owns(url_path: &str) -> bool {
    url_path == PREFIX
        || url_path
            .strip_prefix(PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The face's routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vault002Route {
    /// `POST /v1/vault/secrets`.
    CreateSecret,
    /// `GET /v1/vault/secrets`.
    ListSecrets,
    /// `DELETE /v1/vault/secrets/{id}`.
    DeleteSecret(SecretId),
    /// `POST /v1/vault/grants`.
    CreateGrant,
}

impl Vault002Route {
    /// The route for `method` on `url_path` (under [`PREFIX`]): 404 for a path the seed does
    /// not define, 405 with `allow` for a method it does not take there.
    pub fn resolve(method: &str, url_path: &str) -> Result<Self, ApiError> {
        let rest = url_path.strip_prefix(PREFIX).unwrap_or_default();
        let segments: Vec<&str> = rest.split('/').skip(1).collect();
        let candidates: Vec<(&str, Vault002Route)> = match segments.as_slice() {
            ["secrets"] => vec![
                ("GET", Vault002Route::ListSecrets),
                ("POST", Vault002Route::CreateSecret),
            ],
            ["secrets", id] => {
                // A path segment arrives URL-encoded; an id never needs encoding.
                let id = SecretId::parse(id).map_err(|_| secret_not_found(id))?;
                vec![("DELETE", Vault002Route::DeleteSecret(id))]
            }
            ["grants"] => vec![("POST", Vault002Route::CreateGrant)],
            _ => {
                return Err(ApiError::not_found(format!(
                    "no route for {url_path}; this API has POST and GET {PREFIX}/secrets, \
                     DELETE {PREFIX}/secrets/{{id}} and POST {PREFIX}/grants"
                )));
            }
        };
        crate::route::pick_method(method, url_path, candidates)
    }
}

/// The 404 for a secret id that names nothing (or is not an id at all).
pub fn secret_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("secret '{id}' not found")).with("id", id)
}

/// The seed defines no query parameter: the first one sent is a 400 naming it.
pub fn check_query<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), ApiError> {
    crate::route::check_query(&[], &[], pairs)
}

/// `POST /v1/vault/secrets` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewVaultSecretBody {
    name: body::Text,
    value: body::Text,
}

/// Parses `POST /v1/vault/secrets {name, value}` into the native create: the name is the
/// path, the metadata the native defaults (standard tier, no expiry).
pub fn parse_new_secret(bytes: &[u8]) -> Result<NewSecret, ApiError> {
    let body: NewVaultSecretBody = body::parse(bytes)?;
    let path = parse_path_field("name", &body.name.0)?;
    check_value("value", &body.value.0)?;
    Ok(NewSecret {
        path,
        value: Some(body.value.0),
        fields: Default::default(),
        metadata: SecretMetadata::default(),
    })
}

/// An agent named in a grant: its id, or its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRef {
    Id(AgentId),
    Name(String),
}

impl AgentRef {
    /// `agt_` and 24 lowercase hex digits is an id; anything else is a name (1 to 128 bytes,
    /// no control characters, as registration takes it).
    pub fn parse(field: &str, text: &str) -> Result<Self, ApiError> {
        if let Ok(id) = AgentId::parse(text) {
            return Ok(AgentRef::Id(id));
        }
        if text.is_empty() || text.len() > MAX_NAME_BYTES {
            return Err(ApiError::validation(
                field,
                format!(
                    "'{field}' must be an agent id (agt_…) or a name of 1 to {MAX_NAME_BYTES} bytes"
                ),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(ApiError::validation(
                field,
                format!("'{field}' must not contain control characters"),
            ));
        }
        Ok(AgentRef::Name(text.to_owned()))
    }
}

impl fmt::Display for AgentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentRef::Id(id) => write!(f, "{id}"),
            AgentRef::Name(name) => f.write_str(name),
        }
    }
}

/// A validated `POST /v1/vault/grants` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultGrantRequest {
    pub agent: AgentRef,
    pub secret_id: SecretId,
}

/// `POST /v1/vault/grants` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VaultGrantBody {
    agent_id: body::Text,
    secret_id: body::Text,
}

impl VaultGrantRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: VaultGrantBody = body::parse(bytes)?;
        let agent = AgentRef::parse("agent_id", &body.agent_id.0)?;
        let secret_id = SecretId::parse(&body.secret_id.0)
            .map_err(|why| ApiError::validation("secret_id", why))?;
        Ok(VaultGrantRequest { agent, secret_id })
    }
}

/// A secret as this API shows it: `{id, name, created_at}`, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultSecret {
    pub id: SecretId,
    pub name: SecretPath,
    pub created_at: Timestamp,
}

impl From<SecretCreated> for VaultSecret {
    fn from(created: SecretCreated) -> Self {
        VaultSecret {
            id: created.id,
            name: created.path,
            created_at: created.created_at,
        }
    }
}

impl From<SecretSummary> for VaultSecret {
    fn from(summary: SecretSummary) -> Self {
        VaultSecret {
            id: summary.id,
            name: summary.path,
            created_at: summary.created_at,
        }
    }
}

/// `POST /v1/vault/grants` → 201. `agent_id` and `secret_id` are as the request gave them
/// (the seed echoes an agent's name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultGrant {
    pub grant_id: crate::agent::GrantId,
    pub agent_id: String,
    pub secret_id: SecretId,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const ID: &str = "sec_0123456789abcdef01234567";

    #[test]
    fn owns_only_the_vault_prefix() {
        assert!(owns("/v1/vault"));
        assert!(owns("/v1/vault/secrets"));
        assert!(!owns("/v1/vaults"));
        assert!(!owns("/v1/secret/data/x"));
        assert!(!owns("/v1/secrets"));
    }

    #[test]
    fn resolve_seed_routes_answers_each() {
        let route = |m: &str, p: &str| Vault002Route::resolve(m, p).unwrap();
        assert_eq!(
            route("POST", "/v1/vault/secrets"),
            Vault002Route::CreateSecret
        );
        assert_eq!(
            route("GET", "/v1/vault/secrets"),
            Vault002Route::ListSecrets
        );
        assert_eq!(
            route("HEAD", "/v1/vault/secrets"),
            Vault002Route::ListSecrets
        );
        assert_eq!(
            route("DELETE", &format!("/v1/vault/secrets/{ID}")),
            Vault002Route::DeleteSecret(SecretId::parse(ID).unwrap())
        );
        assert_eq!(
            route("POST", "/v1/vault/grants"),
            Vault002Route::CreateGrant
        );
    }

    #[test]
    fn resolve_unknown_routes_is_404_or_405_with_allow() {
        let error = |m: &str, p: &str| Vault002Route::resolve(m, p).unwrap_err();
        for path in [
            "/v1/vault",
            "/v1/vault/",
            "/v1/vault/secrets/a/b",
            "/v1/vault/x",
        ] {
            assert_eq!(error("GET", path).code, ErrorCode::NotFound, "{path}");
        }
        let bad_id = error("DELETE", "/v1/vault/secrets/sec_abc123");
        assert_eq!(bad_id.code, ErrorCode::NotFound);
        let wrong = error("PUT", "/v1/vault/secrets");
        assert_eq!(wrong.code, ErrorCode::MethodNotAllowed);
        assert_eq!(wrong.details.get("allow"), Some(&"GET, POST".into()));
        assert_eq!(
            error("GET", "/v1/vault/grants").details.get("allow"),
            Some(&"POST".into())
        );
    }

    #[test]
    fn check_query_any_parameter_is_400_naming_it() {
        assert!(check_query([]).is_ok());
        let e = check_query([("env", "prod")]).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(e.details.get("field"), Some(&"env".into()));
    }

    #[test]
    fn parse_new_secret_maps_name_to_path_and_names_bad_members() {
        let secret = parse_new_secret(br#"{"name": "OPENAI_API_KEY", "value": "sk"}"#).unwrap();
        assert_eq!(secret.path.as_str(), "OPENAI_API_KEY");
        assert_eq!(secret.value.as_deref(), Some("sk"));
        assert_eq!(secret.metadata, SecretMetadata::default());
        for (body, field) in [
            (r#"{"value": "v"}"#, "name"),
            (r#"{"name": "N"}"#, "value"),
            (r#"{"name": "/x", "value": "v"}"#, "name"),
            (r#"{"name": "N", "value": null}"#, "value"),
            (r#"{"name": "N", "value": "v", "path": "p"}"#, "path"),
        ] {
            let e = parse_new_secret(body.as_bytes()).unwrap_err();
            assert_eq!(e.details.get("field"), Some(&field.into()), "{body}");
        }
    }

    #[test]
    fn grant_request_takes_agent_name_or_id() {
        let by_name = VaultGrantRequest::parse(
            format!(r#"{{"agent_id": "researcher", "secret_id": "{ID}"}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(by_name.agent, AgentRef::Name("researcher".into()));
        let by_id = VaultGrantRequest::parse(
            format!(r#"{{"agent_id": "agt_0123456789abcdef01234567", "secret_id": "{ID}"}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert!(matches!(by_id.agent, AgentRef::Id(_)));
        for (body, field) in [
            (
                format!(r#"{{"agent_id": "", "secret_id": "{ID}"}}"#),
                "agent_id",
            ),
            (
                format!(r#"{{"agent_id": "a\u0001", "secret_id": "{ID}"}}"#),
                "agent_id",
            ),
            (
                r#"{"agent_id": "a", "secret_id": "sec_abc123"}"#.to_owned(),
                "secret_id",
            ),
            (format!(r#"{{"secret_id": "{ID}"}}"#), "agent_id"),
            (
                format!(r#"{{"agent_id": "a", "secret_id": "{ID}", "actions": ["read"]}}"#),
                "actions",
            ),
        ] {
            let e = VaultGrantRequest::parse(body.as_bytes()).unwrap_err();
            assert_eq!(e.details.get("field"), Some(&field.into()), "{body}");
        }
    }
}
