//! The agent's state file (JSON, mode 0600, written atomically): the API's URL, the agent's
//! id and tenant, its credential (a minted agent's secret, or a registered agent's JWT) and
//! its X25519 secret key. Nothing in it is ever printed.

use crate::agent::envelope::KeyPair;
use crate::agent::provider::write_atomically;
use crate::error::CliError;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// How the agent authenticates.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// Seed 001: `X-Agent-Secret`.
    AgentSecret(String),
    /// Seed 000: a one-hour JWT, renewed by `POST /api/v1/agents/me/refresh-token`;
    /// `issued_at` in Unix seconds.
    Jwt { token: String, issued_at: u64 },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::AgentSecret(_) => f.write_str("AgentSecret([redacted])"),
            Credential::Jwt { issued_at, .. } => write!(f, "Jwt {{ issued_at: {issued_at} }}"),
        }
    }
}

impl Drop for Credential {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        match self {
            Credential::AgentSecret(s) => s.zeroize(),
            Credential::Jwt { token, .. } => token.zeroize(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub url: String,
    pub agent_id: String,
    pub tenant_id: String,
    pub credential: Credential,
    /// The X25519 secret key, standard base64.
    x25519_secret: Redacted,
    /// The public key last registered with the server (`PUT …/public-key`), if any.
    #[serde(default)]
    pub registered_public_key: Option<String>,
    /// The references it reported last, so one that is gone is reported `missing` (also
    /// after a restart).
    #[serde(default)]
    pub reported: Vec<String>,
}

/// A string `Debug` never shows, wiped when dropped.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
struct Redacted(String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Redacted {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.0.zeroize();
    }
}

impl State {
    pub fn new(
        url: String,
        agent_id: String,
        tenant_id: String,
        credential: Credential,
    ) -> Result<State, CliError> {
        let keys = KeyPair::generate().map_err(CliError::failed)?;
        Ok(State {
            url,
            agent_id,
            tenant_id,
            credential,
            x25519_secret: Redacted(keys.secret_base64().to_string()),
            registered_public_key: None,
            reported: Vec::new(),
        })
    }

    pub fn keys(&self) -> Result<KeyPair, CliError> {
        KeyPair::from_base64(&self.x25519_secret.0)
            .map_err(|why| CliError::failed(format!("the agent's state file: {why}")))
    }

    pub fn load(path: &Path) -> Result<Option<State>, CliError> {
        let text = match std::fs::read(path) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(CliError::failed(format!(
                    "cannot read the agent's state file {}: {e}",
                    path.display()
                )));
            }
        };
        serde_json::from_slice(&text).map(Some).map_err(|e| {
            CliError::failed_hint(
                format!(
                    "the agent's state file {} is not valid: {e}",
                    path.display()
                ),
                "move it away to start a new agent",
            )
        })
    }

    /// Writes the file atomically with mode 0600 (its directory created 0700).
    pub fn save(&self, path: &Path) -> Result<(), CliError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        let bytes = Zeroizing::new(
            serde_json::to_vec_pretty(self)
                .map_err(|e| CliError::failed(format!("cannot encode the state: {e}")))?,
        );
        write_atomically(path, &bytes).map_err(CliError::failed)
    }
}

fn create_private_dir(dir: &Path) -> Result<(), CliError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| CliError::failed(format!("cannot create {}: {e}", dir.display())))
}

/// `--state`, else `$LATCHKEY_AGENT_STATE`, else `$XDG_STATE_HOME/latchkey/agent.json`,
/// else `~/.local/state/latchkey/agent.json`.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, CliError> {
    if let Some(path) = env("LATCHKEY_AGENT_STATE") {
        return Ok(PathBuf::from(path));
    }
    let base = match (env("XDG_STATE_HOME"), env("HOME")) {
        (Some(xdg), _) => PathBuf::from(xdg),
        (None, Some(home)) => Path::new(&home).join(".local").join("state"),
        (None, None) => {
            return Err(CliError::usage(
                "cannot place the agent's state file: give --state FILE",
            ));
        }
    };
    Ok(base.join("latchkey").join("agent.json"))
}

/// The tenant of an agent secret `lk_agt_<tenant>_…`.
pub fn tenant_of_secret(secret: &str) -> Option<String> {
    let rest = secret.strip_prefix("lk_agt_")?;
    let tenant = rest.get(..19)?;
    let valid = tenant.starts_with("tn_")
        && tenant
            .chars()
            .skip(3)
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        && rest.get(19..20) == Some("_");
    valid.then(|| tenant.to_owned())
}

/// The tenant (`tid`) of an agent JWT, read from its payload (the server checks it).
pub fn tenant_of_jwt(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("tid")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_is_read_from_an_agent_secret_and_a_jwt() {
        assert_eq!(
            tenant_of_secret("lk_agt_tn_0123456789abcdef_AAAAAAAA").as_deref(),
            Some("tn_0123456789abcdef")
        );
        assert_eq!(tenant_of_secret("lk_tok_tn_0123456789abcdef_AAAA"), None);
        assert_eq!(tenant_of_secret("lk_agt_tn_0123456789ABCDEF_AAAA"), None);
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"agt_1","tid":"tn_0123456789abcdef"}"#);
        assert_eq!(
            tenant_of_jwt(&format!("e30.{payload}.sig")).as_deref(),
            Some("tn_0123456789abcdef")
        );
        assert_eq!(tenant_of_jwt("nonsense"), None);
    }

    #[cfg(unix)]
    #[test]
    fn state_is_saved_0600_and_loaded_back_without_debug_showing_secrets() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!(
            "latchkey-agent-state-{}",
            crate::agent::envelope::random::<6>()
                .unwrap()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ));
        let path = dir.join("sub").join("agent.json");
        let state = State::new(
            "http://127.0.0.1:1".into(),
            "agt_1".into(),
            "tn_1".into(),
            Credential::AgentSecret("lk_agt_secretvalue".into()),
        )
        .unwrap();
        state.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        let back = State::load(&path).unwrap().unwrap();
        assert_eq!(back.credential, state.credential);
        assert_eq!(
            back.keys().unwrap().public_base64(),
            state.keys().unwrap().public_base64()
        );
        let shown = format!("{back:?}");
        assert!(!shown.contains("lk_agt_secretvalue"), "{shown}");
        assert!(!shown.contains(state.x25519_secret.0.as_str()), "{shown}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
