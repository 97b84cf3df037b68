//! Tenants: ids, names, plans.

use crate::body;
use crate::crypto::{CryptoError, random_bytes};
use crate::error::ApiError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

pub const TENANT_PREFIX: &str = "tn_";
pub const TENANT_HEX_LEN: usize = 16;
/// `tn_` + 16 lowercase hex digits (64 random bits).
pub const TENANT_ID_LEN: usize = TENANT_PREFIX.len() + TENANT_HEX_LEN;

/// A tenant's id. It is embedded in every credential of the tenant, which is how the Worker
/// finds the tenant's Durable Object without a lookup.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantId(String);

impl TenantId {
    pub fn generate() -> Result<Self, CryptoError> {
        let bytes = random_bytes::<{ TENANT_HEX_LEN / 2 }>()?;
        let hex: String = crate::hex::encode(&bytes);
        Ok(TenantId(format!("{TENANT_PREFIX}{hex}")))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let valid = text.len() == TENANT_ID_LEN
            && text.starts_with(TENANT_PREFIX)
            && text
                .bytes()
                .skip(TENANT_PREFIX.len())
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid {
            Ok(TenantId(text.to_owned()))
        } else {
            Err("tenant id must be 'tn_' followed by 16 lowercase hex digits".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for TenantId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TenantId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TenantId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The plans a tenant can be on; each decides a tenant's rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Free,
    Pro,
    Enterprise,
}

impl Plan {
    pub const ALL: [Plan; 3] = [Plan::Free, Plan::Pro, Plan::Enterprise];

    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "free" => Ok(Plan::Free),
            "pro" => Ok(Plan::Pro),
            "enterprise" => Ok(Plan::Enterprise),
            _ => Err("plan must be one of 'free', 'pro', 'enterprise'".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
            Plan::Enterprise => "enterprise",
        }
    }
}

pub const MAX_TENANT_NAME_CHARS: usize = 100;

/// Custom rate limits an operator may set, in requests per minute.
pub const MAX_CUSTOM_RATE_LIMIT: u64 = 1_000_000;

/// A tenant's display name: 1..=100 characters, no control characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err("name must not be empty".into());
        }
        if text.chars().count() > MAX_TENANT_NAME_CHARS {
            return Err(format!(
                "name is longer than {MAX_TENANT_NAME_CHARS} characters"
            ));
        }
        if text.chars().any(char::is_control) {
            return Err("name must not contain control characters".into());
        }
        Ok(TenantName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated `POST /v1/admin/tenants` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenant {
    pub name: TenantName,
    /// `free` when left out.
    pub plan: Plan,
}

/// `POST /v1/admin/tenants` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTenantBody {
    name: body::Text,
    #[serde(default)]
    plan: body::OptText,
}

fn parse_plan(text: &str) -> Result<Plan, ApiError> {
    Plan::parse(text).map_err(|why| ApiError::validation("plan", why))
}

impl TryFrom<NewTenantBody> for NewTenant {
    type Error = ApiError;

    fn try_from(body: NewTenantBody) -> Result<Self, ApiError> {
        let name =
            TenantName::parse(&body.name.0).map_err(|why| ApiError::validation("name", why))?;
        let plan = match body.plan.0 {
            None => Plan::Free,
            Some(text) => parse_plan(&text)?,
        };
        Ok(NewTenant { name, plan })
    }
}

impl NewTenant {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<NewTenantBody>(bytes)?.try_into()
    }
}

/// A hostname an operator attaches to a tenant, so clients of the `/api/v1` face (seeds 000
/// and 001) log in with `{email, password}` alone: lowercase DNS labels (`[a-z0-9-]`, 1 to 63 bytes, no hyphen at either
/// end), at least two of them, at most 253 bytes, no port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Hostname(String);

/// Hostnames one tenant may have.
pub const MAX_HOSTNAMES: usize = 10;

impl Hostname {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim_end_matches('.').to_ascii_lowercase();
        if text.is_empty() || text.len() > 253 {
            return Err(format!("'{text}' must be 1 to 253 bytes"));
        }
        let labels: Vec<&str> = text.split('.').collect();
        if labels.len() < 2 {
            return Err(format!(
                "'{text}' must be a fully qualified name (e.g. vault.example.com)"
            ));
        }
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !labels.iter().all(|l| label_ok(l)) {
            return Err(format!(
                "'{text}' is not a hostname: labels of a-z, 0-9 and '-', 1 to 63 characters, no '-' at either end"
            ));
        }
        Ok(Hostname(text))
    }

    /// The hostname of a `Host` header (`name[:port]`), when it is one.
    pub fn of_host_header(header: &str) -> Option<Self> {
        let name = match header.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => header,
        };
        Hostname::parse(name).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `hostnames` of `PATCH /v1/admin/tenants/{id}`: the whole set (replacing the stored one),
/// at most [`MAX_HOSTNAMES`], sorted, without repeats.
pub fn parse_hostnames(value: &serde_json::Value) -> Result<Vec<Hostname>, ApiError> {
    let bad = |why: String| ApiError::validation("hostnames", format!("'hostnames': {why}"));
    let serde_json::Value::Array(items) = value else {
        return Err(bad("must be an array of hostnames".into()));
    };
    if items.len() > MAX_HOSTNAMES {
        return Err(bad(format!("at most {MAX_HOSTNAMES} hostnames")));
    }
    let mut names = items
        .iter()
        .map(|item| {
            item.as_str()
                .ok_or_else(|| bad("each item must be a string".into()))
                .and_then(|text| Hostname::parse(text).map_err(bad))
        })
        .collect::<Result<Vec<_>, _>>()?;
    names.sort();
    names.dedup();
    Ok(names)
}

/// Which MCP clients may use the value-returning tools (`get_secret`): none (`off`), those
/// with a bearer the tenant issued (`bearer`, the default: an OAuth-connected client never
/// sees a value), or every client holding `secrets:read` (`all`). REST reads are not
/// affected: this is about what enters a model's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpValueTools {
    Off,
    Bearer,
    All,
}

impl McpValueTools {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "off" => Some(McpValueTools::Off),
            "bearer" => Some(McpValueTools::Bearer),
            "all" => Some(McpValueTools::All),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            McpValueTools::Off => "off",
            McpValueTools::Bearer => "bearer",
            McpValueTools::All => "all",
        }
    }

    /// Whether a value-returning tool is open to a caller, `oauth` when its credential is an
    /// OAuth grant.
    pub fn allows(self, oauth: bool) -> bool {
        match self {
            McpValueTools::Off => false,
            McpValueTools::Bearer => !oauth,
            McpValueTools::All => true,
        }
    }
}

/// A validated `PATCH /v1/admin/tenants/{id}` body: what changes (at least one member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUpdate {
    pub plan: Option<Plan>,
    /// `None`: unchanged; `Some(None)`: the custom limit is cleared (`null`).
    pub rate_limit_per_minute: Option<Option<u64>>,
    /// Whether tokens with no expiry may be minted (through the MaestroVault face); `None`:
    /// unchanged. New tenants allow them.
    pub non_expiring_tokens: Option<bool>,
    /// Which MCP clients may use value-returning tools (`get_secret`); `None`: unchanged.
    pub mcp_value_tools: Option<McpValueTools>,
    /// Whether the GitOps routes (issue 24, seed 001's `SB_GITOPS_ENABLED`) are on; `None`:
    /// unchanged. New tenants have them off.
    pub gitops_enabled: Option<bool>,
    /// `None`: unchanged; `Some(names)`: the tenant's whole set of hostnames (`[]` clears it).
    pub hostnames: Option<Vec<Hostname>>,
}

/// `PATCH /v1/admin/tenants/{id}` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantUpdateBody {
    #[serde(default)]
    plan: body::OptText,
    #[serde(default)]
    rate_limit_per_minute: body::Present<body::IntIn<1, MAX_CUSTOM_RATE_LIMIT>>,
    #[serde(default)]
    non_expiring_tokens: body::OptBool,
    #[serde(default)]
    mcp_value_tools: body::OptText,
    #[serde(default)]
    gitops_enabled: body::OptBool,
    #[serde(default)]
    hostnames: Option<serde_json::Value>,
}

impl TryFrom<TenantUpdateBody> for TenantUpdate {
    type Error = ApiError;

    fn try_from(body: TenantUpdateBody) -> Result<Self, ApiError> {
        let plan = body.plan.0.as_deref().map(parse_plan).transpose()?;
        let rate_limit_per_minute = body.rate_limit_per_minute.0.map(|limit| limit.0);
        let non_expiring_tokens = body.non_expiring_tokens.0;
        let mcp_value_tools = body
            .mcp_value_tools
            .0
            .as_deref()
            .map(|text| {
                McpValueTools::parse(text).ok_or_else(|| {
                    ApiError::validation(
                        "mcp_value_tools",
                        format!("'mcp_value_tools' is one of off, bearer, all, not '{text}'"),
                    )
                })
            })
            .transpose()?;
        let hostnames = body.hostnames.as_ref().map(parse_hostnames).transpose()?;
        let gitops_enabled = body.gitops_enabled.0;
        if plan.is_none()
            && rate_limit_per_minute.is_none()
            && non_expiring_tokens.is_none()
            && mcp_value_tools.is_none()
            && hostnames.is_none()
            && gitops_enabled.is_none()
        {
            return Err(ApiError::validation(
                "plan",
                "give 'plan', 'rate_limit_per_minute', 'non_expiring_tokens', 'mcp_value_tools', 'gitops_enabled', 'hostnames' or several",
            ));
        }
        Ok(TenantUpdate {
            plan,
            rate_limit_per_minute,
            non_expiring_tokens,
            mcp_value_tools,
            gitops_enabled,
            hostnames,
        })
    }
}

impl TenantUpdate {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<TenantUpdateBody>(bytes)?.try_into()
    }
}

/// `GET /v1/info` (per tenant): what the tenant stores. Counts only; never a name
/// or a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantInfo {
    pub tenant_id: TenantId,
    pub plan: Plan,
    /// Live secrets (soft-deleted ones are counted in `deleted_count`).
    pub secret_count: u64,
    pub deleted_count: u64,
    /// Kept versions that still hold a ciphertext, over all secrets.
    pub version_count: u64,
    pub field_count: u64,
    /// The size of the tenant's SQLite database, in bytes.
    pub storage_bytes: u64,
}

#[cfg(test)]
mod tests {

    #[test]
    fn tenant_update_gitops_enabled_takes_a_boolean() {
        let update = TenantUpdate::parse(br#"{"gitops_enabled": true}"#).unwrap();
        assert_eq!(update.gitops_enabled, Some(true));
        let bad = TenantUpdate::parse(br#"{"gitops_enabled": "on"}"#).unwrap_err();
        assert_eq!(bad.details["field"], "gitops_enabled");
    }

    #[test]
    fn mcp_value_tools_takes_off_bearer_or_all() {
        let update = TenantUpdate::parse(br#"{"mcp_value_tools": "off"}"#).unwrap();
        assert_eq!(update.mcp_value_tools, Some(McpValueTools::Off));
        let bad = TenantUpdate::parse(br#"{"mcp_value_tools": "some"}"#).unwrap_err();
        assert_eq!(bad.details["field"], "mcp_value_tools");
        assert!(McpValueTools::Bearer.allows(false) && !McpValueTools::Bearer.allows(true));
        assert!(!McpValueTools::Off.allows(false) && McpValueTools::All.allows(true));
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_ids_parse() {
        let id = TenantId::generate().unwrap();
        assert_eq!(TenantId::parse(id.as_str()), Ok(id.clone()));
        assert_ne!(id, TenantId::generate().unwrap());
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "tn_",
            "tn_0123456789abcde",
            "tn_0123456789abcdef0",
            "tn_0123456789ABCDEF",
            "tx_0123456789abcdef",
            "tn_0123456789abcdeg",
        ] {
            assert!(TenantId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plans_parse_by_name() {
        assert_eq!(Plan::parse("pro"), Ok(Plan::Pro));
        assert!(Plan::parse("Pro").is_err());
        for plan in [Plan::Free, Plan::Pro, Plan::Enterprise] {
            assert_eq!(Plan::parse(plan.as_str()), Ok(plan));
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(TenantName::parse("Acme Robotics").is_ok());
        assert!(TenantName::parse("  ").is_err());
        assert!(TenantName::parse("a\u{7}b").is_err());
        assert!(TenantName::parse(&"x".repeat(101)).is_err());
        assert!(TenantName::parse(&"é".repeat(100)).is_ok());
    }

    proptest! {
        #[test]
        fn id_parse_never_panics(text in "\\PC{0,30}") {
            if let Ok(id) = TenantId::parse(&text) {
                prop_assert_eq!(id.as_str().len(), TENANT_ID_LEN);
            }
        }
    }
}
