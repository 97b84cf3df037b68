//! Roles: named sets of permissions given to users. A permission is a scope
//! ([`crate::scope`]), so a person's reach is decided by the same rules as a token's.

use crate::agent::bounded_text;
use crate::body;
use crate::error::ApiError;
use crate::people::UserId;
use crate::scope::{Scope, ScopeSet, ScopeTexts, SecretAction};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

pub use crate::id::RoleId;
prefixed_id!(UserRoleId, "urs_", "role assignment");

pub const MAX_ROLE_NAME_BYTES: usize = 64;
pub const MAX_ROLE_DESCRIPTION_BYTES: usize = 512;
/// Roles one tenant may define (the built-in ones included).
pub const MAX_ROLES: u64 = 200;
/// Roles one user may hold.
pub const MAX_ROLES_PER_USER: u64 = 50;

/// One entry of `GET /v1/permissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Permission {
    pub permission: &'static str,
    pub description: &'static str,
}

/// The catalog: every permission string a role may hold. `<glob>` is a path glob as in
/// token scopes (`production/*`, `*`).
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        permission: "secrets:read:<glob>",
        description: "Read secrets and their fields under the glob (tiers above what the approval policy lets through unapproved need an access request)",
    },
    Permission {
        permission: "secrets:write:<glob>",
        description: "Create secrets and write new versions and fields under the glob",
    },
    Permission {
        permission: "secrets:delete:<glob>",
        description: "Delete and restore secrets under the glob",
    },
    Permission {
        permission: "secrets:rotate:<glob>",
        description: "Rotate secrets under the glob",
    },
    Permission {
        permission: "secrets:*:<glob>",
        description: "Every secrets action under the glob",
    },
    Permission {
        permission: "tokens:create",
        description: "Mint scoped tokens within one's own permissions",
    },
    Permission {
        permission: "approvals:decide",
        description: "Approve or deny token requests and access requests (never one's own)",
    },
    Permission {
        permission: "audit:read",
        description: "Read, export, verify and stream the audit trail",
    },
    Permission {
        permission: "policies:write",
        description: "Read and change the approval policies",
    },
    Permission {
        permission: "agents:admin",
        description: "Bootstrap, list, command and revoke agents; manage their grants",
    },
    Permission {
        permission: "users:admin",
        description: "Create, list and delete users; assign and remove their roles (only roles whose permissions one holds)",
    },
    Permission {
        permission: "roles:admin",
        description: "Create, change and delete roles (only with permissions one holds)",
    },
    Permission {
        permission: "workflow.edit",
        description: "Create, change and delete approval workflows (seed 001's name)",
    },
    Permission {
        permission: "integration.edit",
        description: "Register, enable and delete Argo CD endpoints and GitOps app mappings (seed 001's name; the tenant's GitOps gate must be on)",
    },
    Permission {
        permission: "namespaces:read",
        description: "List the namespaces and how many secrets each holds (never a secret)",
    },
    Permission {
        permission: "projects:admin",
        description: "Create, archive and delete projects and their environments (reading them needs no permission; never a secret)",
    },
    Permission {
        permission: "ssh:discover",
        description: "List the SSH keys every agent reported (seed 000's name; agents:admin covers it)",
    },
    Permission {
        permission: "admin",
        description: "Everything, including every permission above",
    },
];

/// A role every tenant has from the start; it cannot be changed or deleted.
pub struct BuiltInRole {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub permissions: fn() -> Vec<Scope>,
}

pub const BUILT_IN_ROLES: &[BuiltInRole] = &[
    BuiltInRole {
        id: "rol_000000000000000000000001",
        name: "admin",
        description: "Everything",
        permissions: || vec![Scope::Admin],
    },
    BuiltInRole {
        id: "rol_000000000000000000000002",
        name: "approver",
        description: "Decides token and access requests; reads the audit trail",
        permissions: || vec![Scope::ApprovalsDecide, Scope::AuditRead],
    },
    BuiltInRole {
        id: "rol_000000000000000000000003",
        name: "reader",
        description: "Reads every secret the approval policy lets through unapproved",
        permissions: || vec![Scope::everywhere(SecretAction::Read)],
    },
];

pub fn built_in(id: &RoleId) -> Option<&'static BuiltInRole> {
    BUILT_IN_ROLES.iter().find(|role| role.id == id.as_str())
}

/// A role name: `[a-z0-9_-]`, 1 to 64 bytes; unique in the tenant.
fn role_name(name: String) -> Result<String, ApiError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_ROLE_NAME_BYTES
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(name)
    } else {
        Err(ApiError::validation(
            "name",
            format!("'name' must be 1 to {MAX_ROLE_NAME_BYTES} of a-z, 0-9, '_' and '-'"),
        ))
    }
}

/// `POST /v1/roles` `{name, description?, permissions: [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRole {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<Scope>,
}

/// `POST /v1/roles` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRoleBody {
    name: body::Text,
    #[serde(default)]
    description: body::OptText,
    #[serde(default)]
    permissions: ScopeTexts,
}

impl TryFrom<NewRoleBody> for NewRole {
    type Error = ApiError;

    fn try_from(body: NewRoleBody) -> Result<Self, ApiError> {
        Ok(NewRole {
            name: role_name(body.name.0)?,
            description: bounded_text(
                "description",
                body.description.0,
                MAX_ROLE_DESCRIPTION_BYTES,
            )?,
            permissions: ScopeSet::from_member("permissions", body.permissions)?
                .scopes()
                .to_vec(),
        })
    }
}

impl NewRole {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<NewRoleBody>(bytes)?.try_into()
    }
}

/// `PUT /v1/roles/{id}/permissions` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePermissionsBody {
    #[serde(default)]
    permissions: ScopeTexts,
}

/// `PUT /v1/roles/{id}/permissions` `{permissions: [...]}`: the whole new set.
pub fn parse_permissions(bytes: &[u8]) -> Result<Vec<Scope>, ApiError> {
    let body: RolePermissionsBody = body::parse(bytes)?;
    Ok(ScopeSet::from_member("permissions", body.permissions)?
        .scopes()
        .to_vec())
}

/// `POST /v1/user-roles` `{user_id, role_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRoleRequest {
    pub user_id: UserId,
    pub role_id: RoleId,
}

/// `POST /v1/user-roles` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRoleBody {
    user_id: body::Text,
    role_id: body::Text,
}

impl TryFrom<UserRoleBody> for UserRoleRequest {
    type Error = ApiError;

    fn try_from(body: UserRoleBody) -> Result<Self, ApiError> {
        let user_id =
            UserId::parse(&body.user_id.0).map_err(|why| ApiError::validation("user_id", why))?;
        let role_id =
            RoleId::parse(&body.role_id.0).map_err(|why| ApiError::validation("role_id", why))?;
        Ok(UserRoleRequest { user_id, role_id })
    }
}

impl UserRoleRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        body::parse::<UserRoleBody>(bytes)?.try_into()
    }
}

/// A role as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleView {
    pub id: RoleId,
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<Scope>,
    pub built_in: bool,
    pub created_at: Timestamp,
}

/// One role given to one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRoleView {
    pub id: UserRoleId,
    pub user_id: UserId,
    pub role_id: RoleId,
    pub role_name: String,
    pub created_at: Timestamp,
    pub created_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_entry_parses_as_a_scope() {
        for entry in PERMISSIONS {
            let concrete = entry.permission.replace("<glob>", "production/*");
            assert!(Scope::parse(&concrete).is_ok(), "{}", entry.permission);
        }
        for role in BUILT_IN_ROLES {
            assert!(RoleId::parse(role.id).is_ok(), "{}", role.id);
            assert!(built_in(&RoleId::parse(role.id).unwrap()).is_some());
            for scope in (role.permissions)() {
                let text = scope.to_string();
                let listed = PERMISSIONS.iter().any(|p| {
                    p.permission == text
                        || p.permission
                            .strip_suffix("<glob>")
                            .is_some_and(|prefix| text.starts_with(prefix))
                });
                assert!(listed, "{text} is not in the catalog");
            }
        }
    }

    #[test]
    fn roles_parse_and_name_the_bad_member() {
        let role = NewRole::parse(
            br#"{"name":"ops-readers","permissions":["secrets:read:ops/*","audit:read"]}"#,
        )
        .unwrap();
        assert_eq!(role.permissions.len(), 2);
        for (body, field) in [
            (r#"{"name":"Ops","permissions":["audit:read"]}"#, "name"),
            (r#"{"name":"ops","permissions":[]}"#, "permissions"),
            (
                r#"{"name":"ops","permissions":["secrets:fly:*"]}"#,
                "permissions",
            ),
            (r#"{"name":"ops"}"#, "permissions"),
        ] {
            let e = NewRole::parse(body.as_bytes()).unwrap_err();
            assert_eq!(
                e.details.get("field").and_then(|f| f.as_str()),
                Some(field),
                "{body}: {e}"
            );
        }
        assert!(parse_permissions(br#"{"permissions":"users:admin"}"#).is_ok());
        assert!(parse_permissions(br#"{"perms":["admin"]}"#).is_err());
    }

    #[test]
    fn user_roles_need_both_ids() {
        let ok = UserRoleRequest::parse(
            br#"{"user_id":"usr_0123456789abcdef01234567","role_id":"rol_000000000000000000000002"}"#,
        )
        .unwrap();
        assert_eq!(ok.role_id.as_str(), "rol_000000000000000000000002");
        assert!(
            UserRoleRequest::parse(
                br#"{"user_id":"usr_x","role_id":"rol_000000000000000000000002"}"#
            )
            .is_err()
        );
        assert!(UserRoleRequest::parse(br#"{"user_id":"usr_0123456789abcdef01234567"}"#).is_err());
    }
}
