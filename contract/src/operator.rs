//! The operator routes' commands (`/v1/admin/tenants`): recorded with the operator as actor.

use latchkey_core::credential::CredentialHash;
use latchkey_core::tenant::TenantName;
use latchkey_core::{Plan, TenantId, Timestamp};
use serde::{Deserialize, Serialize};

/// Creates the tenant's key and master key hash; answers when it was created.
#[derive(Debug, Serialize, Deserialize)]
pub struct InitTenant {
    pub tenant_id: TenantId,
    #[serde(with = "tenant_name")]
    pub name: TenantName,
    pub plan: Plan,
    pub master_key_hash: CredentialHash,
}

/// A new plan and/or a custom rate limit, and whether tokens with no expiry are allowed
/// (`None`: unchanged).
#[derive(Debug, Serialize, Deserialize)]
pub struct SetPlan {
    pub plan: Plan,
    pub rate_limit_per_minute: Option<u64>,
    #[serde(default)]
    pub non_expiring_tokens: Option<bool>,
    #[serde(default)]
    pub mcp_value_tools: Option<latchkey_core::tenant::McpValueTools>,
    /// Issue 24's GitOps gate.
    #[serde(default)]
    pub gitops_enabled: Option<bool>,
}

channel! {
    pub enum OperatorCommand {
        InitTenant => Timestamp,
        SetPlan => (),
    }
}

mod tenant_name {
    use latchkey_core::tenant::TenantName;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(name: &TenantName, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(name.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TenantName, D::Error> {
        let text = String::deserialize(deserializer)?;
        TenantName::parse(&text).map_err(serde::de::Error::custom)
    }
}
