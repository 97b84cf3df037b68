//! Seed 001's way into the agent registry (issue 23): an admin mints an agent
//! (`POST /api/v1/agents`), which then authenticates with its long-lived `X-Agent-Secret`
//! (`lk_agt_<tenant>_…`, stored only as its SHA-256); and the agent versions the operator
//! publishes per platform, which `GET /api/v1/agents/update/latest` answers from.

use super::{AgentId, Labels, MAX_LABEL_BYTES, MAX_LABELS, MAX_NAME_BYTES, Registration};
use super::{MAX_HOSTNAME_BYTES, MAX_OS_TYPE_BYTES, bounded_text};
use crate::body;
use crate::error::ApiError;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/agents` as it comes: a registration without the bootstrap token
/// (`{name?, hostname?, os_type?, metadata?}`, seed 000's register members; the seed shows no
/// body of its own, so none is `{}`). `os_type` is the agent's platform (listed as
/// `platform`). Without a name, the agent is named by its id.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintBody {
    #[serde(default)]
    name: body::OptText,
    #[serde(default)]
    hostname: body::OptText,
    #[serde(default)]
    os_type: body::OptText,
    #[serde(default)]
    metadata: body::OptObject,
}

impl Registration {
    /// The name of a minted agent whose body named none (never a valid given name).
    pub const MINT_UNNAMED: &'static str = "";

    /// The body of `POST /api/v1/agents`. An absent name is left empty ([`Self::MINT_UNNAMED`]):
    /// the object names the agent by the id it gives it.
    pub fn parse_mint(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: MintBody = body::parse(bytes)?;
        Ok(Registration {
            name: bounded_text("name", body.name.0, MAX_NAME_BYTES)?.unwrap_or_default(),
            hostname: bounded_text("hostname", body.hostname.0, MAX_HOSTNAME_BYTES)?,
            os_type: bounded_text("os_type", body.os_type.0, MAX_OS_TYPE_BYTES)?,
            metadata: body::string_map("metadata", body.metadata.0, MAX_LABELS, MAX_LABEL_BYTES)?,
        })
    }
}

/// `POST /api/v1/agents` → 201: the secret is shown this once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentMinted {
    pub id: AgentId,
    pub name: String,
    pub agent_secret: String,
    pub platform: Option<String>,
    pub labels: Labels,
    pub registered_at: Timestamp,
}

/// A platform's name in the release catalog (`linux/amd64`, `windows`): a–z, 0–9, `.`, `_`,
/// `-` and `/`, as agents report it in `os_type`.
pub fn parse_platform(field: &str, text: &str) -> Result<String, ApiError> {
    let ok = !text.is_empty()
        && text.len() <= MAX_OS_TYPE_BYTES
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
    if ok {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(ApiError::validation(
            field,
            format!(
                "'{field}' must be 1 to {MAX_OS_TYPE_BYTES} of a-z, 0-9, '.', '_', '-' and '/'"
            ),
        ))
    }
}

/// One published agent version: where to download it and its SHA-256 (the Worker's alone:
/// it never crosses to a tenant's object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRelease {
    pub platform: String,
    pub version: String,
    pub url: String,
    pub sha256: String,
}

/// `POST /v1/admin/agent-releases` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentReleaseBody {
    platform: body::Text,
    version: body::Text,
    url: body::Text,
    sha256: body::Text,
}

pub const MAX_RELEASE_VERSION_BYTES: usize = 64;
pub const MAX_RELEASE_URL_BYTES: usize = 2_048;

impl TryFrom<AgentReleaseBody> for AgentRelease {
    type Error = ApiError;

    fn try_from(body: AgentReleaseBody) -> Result<Self, ApiError> {
        let platform = parse_platform("platform", &body.platform.0)?;
        let version = body.version.0;
        let version_ok = !version.is_empty()
            && version.len() <= MAX_RELEASE_VERSION_BYTES
            && version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b));
        if !version_ok {
            return Err(ApiError::validation(
                "version",
                format!(
                    "'version' must be 1 to {MAX_RELEASE_VERSION_BYTES} of letters, digits, '.', '_', '+' and '-'"
                ),
            ));
        }
        let url = body.url.0;
        let url_ok = url.len() <= MAX_RELEASE_URL_BYTES
            && url.strip_prefix("https://").is_some_and(|rest| {
                !rest.is_empty()
                    && !rest.starts_with('/')
                    && !rest.chars().any(|c| c.is_control() || c == ' ')
            });
        if !url_ok {
            return Err(ApiError::validation(
                "url",
                format!("'url' must be an https:// URL of at most {MAX_RELEASE_URL_BYTES} bytes"),
            ));
        }
        let sha256 = body.sha256.0.to_ascii_lowercase();
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::validation(
                "sha256",
                "'sha256' must be 64 hex digits (the download's SHA-256)",
            ));
        }
        Ok(AgentRelease {
            platform,
            version,
            url,
            sha256,
        })
    }
}

impl AgentRelease {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<AgentReleaseBody>(bytes)?.try_into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn field(e: &ApiError) -> Option<&str> {
        e.details.get("field").and_then(Value::as_str)
    }

    #[test]
    fn mint_body_is_a_registration_without_token() {
        let r = Registration::parse_mint(
            br#"{"name":"db-1","os_type":"linux/amd64","metadata":{"env":"prod"}}"#,
        )
        .unwrap();
        assert_eq!(r.name, "db-1");
        assert_eq!(r.os_type.as_deref(), Some("linux/amd64"));
        assert_eq!(r.metadata.get("env").map(String::as_str), Some("prod"));
        let unnamed = Registration::parse_mint(b"{}").unwrap();
        assert_eq!(unnamed.name, Registration::MINT_UNNAMED);
        for (body, member) in [
            (r#"{"name":"a","token":"x"}"#, "token"),
            (r#"{"name":""}"#, "name"),
            (r#"{"name":"a","metadata":{"k":1}}"#, "metadata"),
        ] {
            let e = Registration::parse_mint(body.as_bytes()).unwrap_err();
            assert_eq!(field(&e), Some(member), "{body}: {e:?}");
        }
    }

    #[test]
    fn release_body_valid_parses_and_bad_member_is_named() {
        let sha = "AB".repeat(32);
        let release = AgentRelease::parse(
            format!(r#"{{"platform":"Linux/amd64","version":"1.9.0","url":"https://dl.example.com/a","sha256":"{sha}"}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(release.platform, "linux/amd64");
        assert_eq!(release.sha256, "ab".repeat(32));
        let good = |k: &str, v: &str| {
            let mut m = serde_json::json!({"platform":"linux","version":"1","url":"https://x.example/a","sha256": "0".repeat(64)});
            m[k] = Value::String(v.to_owned());
            m.to_string()
        };
        for (body, member) in [
            (good("platform", "linux amd64"), "platform"),
            (good("version", "1 2"), "version"),
            (good("url", "http://x.example/a"), "url"),
            (good("url", "https://"), "url"),
            (good("sha256", "abc"), "sha256"),
            (good("sha256", &"g".repeat(64)), "sha256"),
        ] {
            let e = AgentRelease::parse(body.as_bytes()).unwrap_err();
            assert_eq!(field(&e), Some(member), "{body}: {e:?}");
        }
    }
}
