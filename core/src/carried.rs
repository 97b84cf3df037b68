//! Requests that agents carry out (issue 23): seed 001's read and patch requests on a
//! *discovered* secret, whose value never leaves the agent that holds it except in a wire
//! envelope.
//!
//! - A patch's `data` is sealed to the holding agent's X25519 key at submission, as a DEK is
//!   ([`crate::agent::envelope`]) but with INFO = `"latchkey/v1/agent-wrap"` ‖ (u32 BE length
//!   ‖ bytes) of tenant id, agent id, wrap id. The server keeps only that sealed form; the agent
//!   retrieves it once (`GET /api/v1/agents/{id}/wraps/{wrap_id}`).
//! - A read's value comes back from the agent sealed under a DEK it was issued
//!   (`POST /api/v1/agents/{id}/wraps`): AES-256-GCM, aad = the same prefix ‖ tenant id,
//!   agent id, job id. The server opens it with its wrapped copy of the DEK and re-seals it
//!   as the requester's wrap.
//!
//! The plaintext in both directions is the UTF-8 JSON `{"data": {"KEY": "value", …}}`.

use crate::access_request::{AccessKind, DEFAULT_READ_TTL_SECONDS, NewAccessRequest, reason};
use crate::agent::AgentId;
use crate::agent::discovered::{DiscoveredSecretId, MAX_KEY_NAME_BYTES};
use crate::agent::envelope::{
    ALGORITHM, AgentPublicKey, DekId, bound_info, open_with_info, seal_with_info,
};
use crate::agent::jobs::JobId;
use crate::body;
use crate::crypto::CryptoError;
use crate::error::ApiError;
use crate::wrap::MAX_WRAP_TTL_SECONDS;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroizing;

prefixed_id!(AgentWrapId, "awr_", "agent wrap");

const INFO_PREFIX: &[u8] = b"latchkey/v1/agent-wrap";
/// Keys a patch may set.
pub const MAX_PATCH_KEYS: usize = 100;
/// One value of a patch.
pub const MAX_PATCH_VALUE_BYTES: usize = 64 * 1024;
/// The ciphertext an agent posts for a read (base64-decoded).
pub const MAX_AGENT_POST_BYTES: usize = 1024 * 1024;
/// How long an approved patch's sealed value waits for its agent.
pub const AGENT_WRAP_TTL_SECONDS: u64 = 86_400;
/// Job types of request-made jobs.
pub const READ_JOB: &str = "read_secret";
pub const PATCH_JOB: &str = "patch_secret";

/// A request on a discovered secret. `Debug` leaves a patch's data out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCarriedRequest {
    pub secret_id: DiscoveredSecretId,
    pub reason: String,
    pub kind: AccessKind,
    /// A read: how long the requester's wrap waits once the agent posted the value.
    pub ttl_seconds: Option<u64>,
    /// A patch: the keys to set and their values.
    pub data: Option<BTreeMap<String, String>>,
}

impl fmt::Debug for NewCarriedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCarriedRequest")
            .field("secret_id", &self.secret_id)
            .field("kind", &self.kind)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl NewCarriedRequest {
    /// `{secret_id, reason, ttl_seconds?}`.
    pub fn parse_read(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: CarriedReadBody = body::parse(bytes)?;
        Ok(NewCarriedRequest {
            secret_id: secret_id(&body.secret_id.0)?,
            reason: reason(&body.reason.0)?,
            kind: AccessKind::Read,
            ttl_seconds: Some(body.ttl_seconds.0.unwrap_or(DEFAULT_READ_TTL_SECONDS)),
            data: None,
        })
    }

    /// `{secret_id, data, reason}`.
    pub fn parse_patch(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: CarriedPatchBody = body::parse(bytes)?;
        Ok(NewCarriedRequest {
            secret_id: secret_id(&body.secret_id.0)?,
            data: Some(parse_data("data", body.data.0)?),
            reason: reason(&body.reason.0)?,
            kind: AccessKind::Patch,
            ttl_seconds: None,
        })
    }
}

/// `POST /v1/requests/read` or `POST /v1/requests`: on a stored secret (`path`) or on a
/// discovered one (`secret_id`).
#[derive(Debug)]
pub enum RequestInput {
    Stored(NewAccessRequest),
    Carried(NewCarriedRequest),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarriedReadBody {
    secret_id: body::Text,
    reason: body::Text,
    #[serde(default)]
    ttl_seconds: body::IntIn<1, MAX_WRAP_TTL_SECONDS>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarriedPatchBody {
    secret_id: body::Text,
    data: body::OptObject,
    reason: body::Text,
}

fn names_discovered(bytes: &[u8]) -> bool {
    matches!(
        serde_json::from_slice::<Value>(bytes),
        Ok(Value::Object(map)) if map.contains_key("secret_id")
    )
}

fn secret_id(text: &str) -> Result<DiscoveredSecretId, ApiError> {
    DiscoveredSecretId::parse(text).map_err(|why| {
        ApiError::validation(
            "secret_id",
            format!("'secret_id' is not a discovered secret id: {why}"),
        )
    })
}

/// A key name as a discovered secret's: 1 to 253 bytes, no control characters.
fn key_name_ok(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_KEY_NAME_BYTES && !name.chars().any(char::is_control)
}

/// `data`: 1..=[`MAX_PATCH_KEYS`] keys named as discovered key names, string values of at most
/// [`MAX_PATCH_VALUE_BYTES`].
pub fn parse_data(
    field: &str,
    map: Option<Map<String, Value>>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let map = map.ok_or_else(|| ApiError::validation(field, format!("'{field}' is required")))?;
    if map.is_empty() || map.len() > MAX_PATCH_KEYS {
        return Err(ApiError::validation(
            field,
            format!("'{field}' must hold 1 to {MAX_PATCH_KEYS} keys"),
        ));
    }
    let mut data = BTreeMap::new();
    for (key, value) in map {
        if !key_name_ok(&key) {
            return Err(ApiError::validation(
                field,
                format!(
                    "'{field}' holds a key that is not a name of 1 to {MAX_KEY_NAME_BYTES} bytes"
                ),
            ));
        }
        let Value::String(value) = value else {
            return Err(ApiError::validation(
                field,
                format!("'{field}.{key}' must be a string"),
            ));
        };
        if value.len() > MAX_PATCH_VALUE_BYTES {
            return Err(ApiError::validation(
                field,
                format!("'{field}.{key}' is longer than {MAX_PATCH_VALUE_BYTES} bytes"),
            ));
        }
        data.insert(key, value);
    }
    Ok(data)
}

impl RequestInput {
    /// `POST /v1/requests/read`: `{path, reason, ttl_seconds?}` or `{secret_id, reason,
    /// ttl_seconds?}`.
    pub fn parse_read(bytes: &[u8]) -> Result<Self, ApiError> {
        if !names_discovered(bytes) {
            return NewAccessRequest::parse_read(bytes).map(RequestInput::Stored);
        }
        NewCarriedRequest::parse_read(bytes).map(RequestInput::Carried)
    }

    /// `POST /v1/requests`: `{path, value, reason}` or `{secret_id, data, reason}`.
    pub fn parse_patch(bytes: &[u8]) -> Result<Self, ApiError> {
        if !names_discovered(bytes) {
            return NewAccessRequest::parse_patch(bytes).map(RequestInput::Stored);
        }
        NewCarriedRequest::parse_patch(bytes).map(RequestInput::Carried)
    }
}

/// The plaintext of both flows: `{"data": {…}}`.
pub fn data_plaintext(data: &BTreeMap<String, String>) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::new());
    // A map of strings always serializes.
    let _ = serde_json::to_writer(&mut *out, &serde_json::json!({ "data": data }));
    out
}

/// Reads a plaintext an agent sealed: `{"data": {…}}` with [`parse_data`]'s rules; answers the
/// JSON text of `data` (what the requester's wrap holds as its value).
pub fn read_plaintext(bytes: &[u8]) -> Result<Zeroizing<String>, ApiError> {
    let bad = || {
        ApiError::invalid_request(
            "the opened ciphertext is not the UTF-8 JSON {\"data\": {\"KEY\": \"value\", …}}",
        )
        .with("field", "ciphertext")
    };
    let Ok(Value::Object(mut outer)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(bad());
    };
    let Some(Value::Object(data)) = outer.remove("data") else {
        return Err(bad());
    };
    if !outer.is_empty() {
        return Err(bad());
    }
    let data = parse_data("ciphertext", Some(data)).map_err(|_| bad())?;
    serde_json::to_string(&data)
        .map(Zeroizing::new)
        .map_err(|_| bad())
}

/// What an agent wrap is bound to: the tenant, the agent, and the wrap id (a patch) or the
/// job id (a read's post).
fn info(tenant_id: &str, agent_id: &AgentId, id: &str) -> Vec<u8> {
    bound_info(INFO_PREFIX, tenant_id, agent_id.as_str(), id)
}

/// A patch's data sealed to its agent: what `GET /api/v1/agents/{id}/wraps/{wrap_id}`
/// answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedAgentWrap {
    pub wrap_id: AgentWrapId,
    pub algorithm: String,
    pub ephemeral_public_key: String,
    pub nonce: String,
    pub ciphertext: String,
}

/// Seals `plaintext` to `agent` as wrap `wrap_id` of `tenant_id`.
pub fn seal_agent_wrap(
    agent_key: &AgentPublicKey,
    tenant_id: &str,
    agent_id: &AgentId,
    wrap_id: &AgentWrapId,
    plaintext: &[u8],
) -> Result<SealedAgentWrap, CryptoError> {
    let (ephemeral_public_key, nonce, ciphertext) = seal_with_info(
        agent_key,
        &info(tenant_id, agent_id, wrap_id.as_str()),
        plaintext,
    )?;
    Ok(SealedAgentWrap {
        wrap_id: wrap_id.clone(),
        algorithm: ALGORITHM.to_owned(),
        ephemeral_public_key,
        nonce,
        ciphertext,
    })
}

/// The agent's side of [`seal_agent_wrap`] (tests and the reference agent).
pub fn open_agent_wrap(
    agent_secret: &[u8; 32],
    tenant_id: &str,
    agent_id: &AgentId,
    sealed: &SealedAgentWrap,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    open_with_info(
        agent_secret,
        &info(tenant_id, agent_id, sealed.wrap_id.as_str()),
        &sealed.ephemeral_public_key,
        &sealed.nonce,
        &sealed.ciphertext,
    )
}

/// `POST /api/v1/agents/{id}/wraps`: a read's value, sealed by the agent under a DEK.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentPost {
    pub job_id: JobId,
    pub key_id: DekId,
    /// Standard base64 of 12 bytes (checked by [`AgentPost::parse`]): the command carries the
    /// post as the agent sent it, not as a JSON array of numbers.
    pub nonce: String,
    /// Standard base64 of the ciphertext with its tag (checked likewise).
    pub ciphertext: String,
}

impl fmt::Debug for AgentPost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentPost")
            .field("job_id", &self.job_id)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentPostBody {
    job_id: body::Text,
    key_id: body::Text,
    nonce: body::Text,
    ciphertext: body::Text,
}

fn invalid(field: &str, message: String) -> ApiError {
    ApiError::invalid_request(message).with("field", field)
}

impl AgentPost {
    /// `{"job_id", "key_id", "nonce", "ciphertext"}`; every error a 400 naming the member.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: AgentPostBody =
            body::parse(bytes).map_err(crate::agent::envelope::bad_request)?;
        let job_id = JobId::parse(&body.job_id.0)
            .map_err(|why| invalid("job_id", format!("'job_id' is not a job id: {why}")))?;
        let key_id = DekId::parse(&body.key_id.0)
            .map_err(|why| invalid("key_id", format!("'key_id' is not a data key id: {why}")))?;
        let nonce_ok = STANDARD.decode(&body.nonce.0).is_ok_and(|n| n.len() == 12);
        if !nonce_ok {
            return Err(invalid(
                "nonce",
                "'nonce' must be 12 bytes, standard base64".into(),
            ));
        }
        let ciphertext_ok = STANDARD
            .decode(&body.ciphertext.0)
            .is_ok_and(|c| c.len() > 16 && c.len() <= MAX_AGENT_POST_BYTES);
        if !ciphertext_ok {
            return Err(invalid(
                "ciphertext",
                format!(
                    "'ciphertext' must be standard base64 of 17 to {MAX_AGENT_POST_BYTES} bytes (AES-256-GCM with its tag)"
                ),
            ));
        }
        let (nonce, ciphertext) = (body.nonce.0, body.ciphertext.0);
        Ok(AgentPost {
            job_id,
            key_id,
            nonce,
            ciphertext,
        })
    }

    /// Opens the post with the DEK the server unwrapped (32 bytes); `None` under any other key
    /// or binding.
    pub fn open(
        &self,
        dek: &[u8],
        tenant_id: &str,
        agent_id: &AgentId,
    ) -> Option<Zeroizing<Vec<u8>>> {
        latchkey_primitives::aes256gcm_open(
            dek.try_into().ok()?,
            &STANDARD.decode(&self.nonce).ok()?,
            &info(tenant_id, agent_id, self.job_id.as_str()),
            &STANDARD.decode(&self.ciphertext).ok()?,
        )
    }
}

/// How the agent's part of a request stands, as the request view shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    /// Not approved yet (or never will be).
    Pending,
    Queued,
    Claimed,
    Applied,
    Failed,
}

impl Execution {
    pub fn as_str(self) -> &'static str {
        match self {
            Execution::Pending => "pending",
            Execution::Queued => "queued",
            Execution::Claimed => "claimed",
            Execution::Applied => "applied",
            Execution::Failed => "failed",
        }
    }
}

/// The agent's post for a read, sealed as the contract says (tests and the reference agent).
pub fn seal_agent_post(
    dek: &[u8; 32],
    nonce: &[u8; 12],
    tenant_id: &str,
    agent_id: &AgentId,
    job_id: &JobId,
    plaintext: &[u8],
) -> Option<Vec<u8>> {
    latchkey_primitives::aes256gcm_seal(
        dek,
        nonce,
        &info(tenant_id, agent_id, job_id.as_str()),
        plaintext,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random_bytes;

    fn keypair() -> ([u8; 32], AgentPublicKey) {
        let secret = random_bytes::<32>().unwrap();
        let public = latchkey_primitives::x25519_public(&secret);
        (
            secret,
            AgentPublicKey::parse(&STANDARD.encode(public)).unwrap(),
        )
    }

    fn field(e: &ApiError) -> Option<&str> {
        e.details.get("field").and_then(Value::as_str)
    }

    #[test]
    fn agent_wrap_opens_with_the_right_key_and_binding_only() {
        let agent = AgentId::generate().unwrap();
        let wrap = AgentWrapId::generate().unwrap();
        let (secret, public) = keypair();
        let data = BTreeMap::from([("PASSWORD".to_owned(), "hunter2".to_owned())]);
        let sealed = seal_agent_wrap(&public, "t1", &agent, &wrap, &data_plaintext(&data)).unwrap();
        assert_eq!(sealed.algorithm, ALGORITHM);
        let opened = open_agent_wrap(&secret, "t1", &agent, &sealed).unwrap();
        assert_eq!(opened.as_slice(), br#"{"data":{"PASSWORD":"hunter2"}}"#);
        let (wrong, _) = keypair();
        assert_eq!(
            open_agent_wrap(&wrong, "t1", &agent, &sealed),
            Err(CryptoError::Decrypt)
        );
        assert!(open_agent_wrap(&secret, "t2", &agent, &sealed).is_err());
        let other_agent = AgentId::generate().unwrap();
        assert!(open_agent_wrap(&secret, "t1", &other_agent, &sealed).is_err());
        let moved = SealedAgentWrap {
            wrap_id: AgentWrapId::generate().unwrap(),
            ..sealed.clone()
        };
        assert!(open_agent_wrap(&secret, "t1", &agent, &moved).is_err());
    }

    #[test]
    fn agent_wrap_info_is_the_documented_bytes() {
        let agent = AgentId::parse("agt_0123456789abcdef01234567").unwrap();
        let bytes = info("t1", &agent, "awr_0123456789abcdef01234567");
        let mut expected = b"latchkey/v1/agent-wrap".to_vec();
        expected.extend_from_slice(&[0, 0, 0, 2]);
        expected.extend_from_slice(b"t1");
        expected.extend_from_slice(&[0, 0, 0, 28]);
        expected.extend_from_slice(b"agt_0123456789abcdef01234567");
        expected.extend_from_slice(&[0, 0, 0, 28]);
        expected.extend_from_slice(b"awr_0123456789abcdef01234567");
        assert_eq!(bytes, expected);
    }

    #[test]
    fn agent_post_round_trip_opens_under_its_dek_and_job_only() {
        let agent = AgentId::generate().unwrap();
        let job = JobId::generate().unwrap();
        let dek = random_bytes::<32>().unwrap();
        let nonce = random_bytes::<12>().unwrap();
        let ciphertext =
            seal_agent_post(&dek, &nonce, "t1", &agent, &job, br#"{"data":{"A":"b"}}"#).unwrap();
        let body = format!(
            r#"{{"job_id":"{job}","key_id":"dek_0123456789abcdef01234567","nonce":"{}","ciphertext":"{}"}}"#,
            STANDARD.encode(nonce),
            STANDARD.encode(&ciphertext)
        );
        let post = AgentPost::parse(body.as_bytes()).unwrap();
        let opened = post.open(&dek, "t1", &agent).unwrap();
        assert_eq!(read_plaintext(&opened).unwrap().as_str(), r#"{"A":"b"}"#);
        assert!(post.open(&[0u8; 32], "t1", &agent).is_none());
        assert!(post.open(&dek, "t2", &agent).is_none());
        assert!(!format!("{post:?}").contains("ciphertext"));
    }

    #[test]
    fn agent_post_bad_members_are_400_naming_them() {
        let job = "job_0123456789abcdef01234567";
        let dek = "dek_0123456789abcdef01234567";
        let nonce = STANDARD.encode([1u8; 12]);
        let ct = STANDARD.encode([2u8; 40]);
        for (body, member) in [
            (
                format!(
                    r#"{{"job_id":"x","key_id":"{dek}","nonce":"{nonce}","ciphertext":"{ct}"}}"#
                ),
                "job_id",
            ),
            (
                format!(
                    r#"{{"job_id":"{job}","key_id":"x","nonce":"{nonce}","ciphertext":"{ct}"}}"#
                ),
                "key_id",
            ),
            (
                format!(
                    r#"{{"job_id":"{job}","key_id":"{dek}","nonce":"AAAA","ciphertext":"{ct}"}}"#
                ),
                "nonce",
            ),
            (
                format!(
                    r#"{{"job_id":"{job}","key_id":"{dek}","nonce":"{nonce}","ciphertext":"!"}}"#
                ),
                "ciphertext",
            ),
            (
                format!(r#"{{"job_id":"{job}","key_id":"{dek}","nonce":"{nonce}"}}"#),
                "ciphertext",
            ),
            (
                format!(
                    r#"{{"job_id":"{job}","key_id":"{dek}","nonce":"{nonce}","ciphertext":"{ct}","value":"v"}}"#
                ),
                "value",
            ),
        ] {
            let e = AgentPost::parse(body.as_bytes()).unwrap_err();
            assert_eq!(e.status(), 400, "{body}");
            assert_eq!(field(&e), Some(member), "{body}: {}", e.message);
        }
    }

    #[test]
    fn request_input_secret_id_selects_the_discovered_form() {
        let id = "dsc_0123456789abcdef01234567";
        let read = RequestInput::parse_read(
            format!(r#"{{"secret_id":"{id}","reason":"incident"}}"#).as_bytes(),
        )
        .unwrap();
        let RequestInput::Carried(read) = read else {
            panic!("not carried")
        };
        assert_eq!(read.kind, AccessKind::Read);
        assert_eq!(read.ttl_seconds, Some(DEFAULT_READ_TTL_SECONDS));
        let patch = RequestInput::parse_patch(
            format!(r#"{{"secret_id":"{id}","data":{{"PASSWORD":"s3cr3t"}},"reason":"rotate"}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert!(!format!("{patch:?}").contains("s3cr3t"));
        assert!(matches!(
            RequestInput::parse_read(br#"{"path":"prod/db","reason":"r"}"#).unwrap(),
            RequestInput::Stored(_)
        ));
        for (body, member) in [
            (r#"{"secret_id":"x","reason":"r"}"#.to_owned(), "secret_id"),
            (
                format!(r#"{{"secret_id":"{id}","reason":"r","path":"a"}}"#),
                "path",
            ),
            (format!(r#"{{"secret_id":"{id}"}}"#), "reason"),
        ] {
            let e = RequestInput::parse_read(body.as_bytes()).unwrap_err();
            assert_eq!(field(&e), Some(member), "{body}: {e:?}");
        }
        let big = "v".repeat(MAX_PATCH_VALUE_BYTES + 1);
        let many: String = (0..=MAX_PATCH_KEYS)
            .map(|i| format!(r#""K{i}":"v""#))
            .collect::<Vec<_>>()
            .join(",");
        for body in [
            format!(r#"{{"secret_id":"{id}","reason":"r"}}"#),
            format!(r#"{{"secret_id":"{id}","data":{{}},"reason":"r"}}"#),
            format!(r#"{{"secret_id":"{id}","data":{{"A":1}},"reason":"r"}}"#),
            format!(r#"{{"secret_id":"{id}","data":{{"":"v"}},"reason":"r"}}"#),
            format!(r#"{{"secret_id":"{id}","data":{{"A":"{big}"}},"reason":"r"}}"#),
            format!(r#"{{"secret_id":"{id}","data":{{{many}}},"reason":"r"}}"#),
        ] {
            let e = RequestInput::parse_patch(body.as_bytes()).unwrap_err();
            assert_eq!(field(&e), Some("data"), "{e:?}");
        }
    }

    #[test]
    fn read_plaintext_takes_data_of_strings_only() {
        assert_eq!(
            read_plaintext(br#"{"data":{"B":"2","A":"1"}}"#)
                .unwrap()
                .as_str(),
            r#"{"A":"1","B":"2"}"#
        );
        for bad in [
            &b"not json"[..],
            br#"{"data":{"A":1}}"#,
            br#"{"data":{}}"#,
            br#"{"data":{"A":"1"},"x":1}"#,
            br#"["data"]"#,
        ] {
            assert!(read_plaintext(bad).is_err());
        }
    }
}
