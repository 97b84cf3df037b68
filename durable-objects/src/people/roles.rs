//! Roles and who holds them. The built-in roles live in code ([`BUILT_IN_ROLES`]), custom
//! ones in table `roles`; `user_roles` may point at either. Nobody hands out or edits more
//! than they hold themselves: a role's every permission must be covered by the caller's.

use super::user_not_found;
use crate::authorization::access::Principal;
use crate::sql::Storage;
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::store::{
    Failure, SecretContext, in_transaction, internal, json_column, json_text, read_count, read_ts,
    ts,
};
use latchkey_core::people::UserId;
use latchkey_core::role::{
    BUILT_IN_ROLES, MAX_ROLES, MAX_ROLES_PER_USER, NewRole, RoleId, RoleView, UserRoleId,
    UserRoleRequest, UserRoleView, built_in,
};
use latchkey_core::scope::{Scope, ScopeSet};
use latchkey_core::{ApiError, ErrorCode, Timestamp};

fn built_in_view(role: &latchkey_core::role::BuiltInRole) -> Result<RoleView, StorageError> {
    Ok(RoleView {
        id: RoleId::parse(role.id).map_err(StorageError)?,
        name: role.name.to_owned(),
        description: Some(role.description.to_owned()),
        permissions: (role.permissions)(),
        built_in: true,
        created_at: Timestamp::from_unix_ms(0).ok_or_else(|| StorageError("epoch".into()))?,
    })
}

const ROLE_COLUMNS: &str = "id, name, description, permissions, created_at";

fn parse_role(row: &Row) -> Result<RoleView, StorageError> {
    Ok(RoleView {
        id: RoleId::parse(&row.text(0)?).map_err(StorageError)?,
        name: row.text(1)?,
        description: row.opt_text(2)?,
        permissions: json_column(row, 3)?,
        built_in: false,
        created_at: read_ts(row, 4)?,
    })
}

fn role_not_found(id: &RoleId) -> ApiError {
    ApiError::not_found(format!("role '{id}' not found")).with("id", id.as_str())
}

fn find_role(storage: &Storage, id: &RoleId) -> Result<Option<RoleView>, StorageError> {
    if let Some(role) = built_in(id) {
        return built_in_view(role).map(Some);
    }
    query_one(
        storage,
        &format!("SELECT {ROLE_COLUMNS} FROM roles WHERE id = ?"),
        vec![id.as_str().into()],
    )?
    .map(|row| parse_role(&row))
    .transpose()
}

fn load_role(storage: &Storage, id: &RoleId) -> Result<RoleView, Failure> {
    find_role(storage, id)?.ok_or_else(|| role_not_found(id).into())
}

/// 403 unless the caller holds every one of `permissions`.
/// As with tokens, `approvals:decide` and `policies:write` move only by an `admin`'s hand: a
/// requester must not be able to make its own approver (a user it knows the password of).
pub(crate) fn require_covered(
    principal: &Principal,
    permissions: &[Scope],
    doing: &str,
) -> Result<(), ApiError> {
    let held = principal.scopes();
    if let Some(missing) = permissions.iter().find(|p| !held.covers(p)) {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!("{doing} needs every permission involved, and the caller lacks '{missing}'"),
        )
        .with("required_scope", missing.to_string()));
    }
    let gated = permissions
        .iter()
        .find(|p| matches!(p, Scope::ApprovalsDecide | Scope::PoliciesWrite));
    if let Some(gated) = gated
        && !held.covers(&Scope::Admin)
    {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            format!("only an admin hands out or takes away '{gated}'"),
        )
        .with("required_scope", Scope::Admin.to_string()));
    }
    Ok(())
}

fn refuse_built_in(role: &RoleView) -> Result<(), ApiError> {
    if role.built_in {
        return Err(ApiError::conflict(format!(
            "'{}' is a built-in role; it cannot be changed or deleted (make a role of your own)",
            role.name
        )));
    }
    Ok(())
}

/// The union of the permissions of every role `user` holds.
pub fn permissions_of(storage: &Storage, user: &UserId) -> Result<ScopeSet, StorageError> {
    let mut scopes: Vec<Scope> = Vec::new();
    for role in roles_of(storage, user)? {
        for scope in role.permissions {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
    }
    Ok(ScopeSet::from_scopes(scopes))
}

fn roles_of(storage: &Storage, user: &UserId) -> Result<Vec<RoleView>, StorageError> {
    let ids = query(
        storage,
        "SELECT role_id FROM user_roles WHERE user_id = ? ORDER BY created_at, id",
        vec![user.as_str().into()],
    )?;
    let mut roles = Vec::with_capacity(ids.len());
    for row in &ids {
        let id = RoleId::parse(&row.text(0)?).map_err(StorageError)?;
        // An assignment of a role deleted meanwhile grants nothing.
        if let Some(role) = find_role(storage, &id)? {
            roles.push(role);
        }
    }
    Ok(roles)
}

/// `GET /v1/roles`: the built-in roles, then the tenant's by name.
pub fn list(storage: &Storage) -> Result<Vec<RoleView>, ApiError> {
    let fail = |e: StorageError| internal("list roles", e);
    let mut roles = BUILT_IN_ROLES
        .iter()
        .map(built_in_view)
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    let custom = query(
        storage,
        &format!("SELECT {ROLE_COLUMNS} FROM roles ORDER BY name LIMIT {MAX_ROLES}"),
        vec![],
    )
    .and_then(|rows| rows.iter().map(parse_role).collect::<Result<Vec<_>, _>>())
    .map_err(fail)?;
    roles.extend(custom);
    Ok(roles)
}

/// `GET /v1/roles/{id}`.
pub fn get(storage: &Storage, id: &RoleId) -> Result<RoleView, ApiError> {
    find_role(storage, id)
        .map_err(|e| internal("read role", e))?
        .ok_or_else(|| role_not_found(id))
}

/// `POST /v1/roles`: 409 on a taken name (built-in names included).
pub fn create(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    role: NewRole,
) -> Result<RoleView, ApiError> {
    require_covered(principal, &role.permissions, "creating this role")?;
    in_transaction(ctx.storage, "create role", || {
        let count = query_one(ctx.storage, "SELECT count(*) FROM roles", vec![])?
            .map(|row| read_count(&row, 0))
            .transpose()?
            .unwrap_or(0);
        if count + BUILT_IN_ROLES.len() as u64 >= MAX_ROLES {
            return Err(ApiError::conflict(format!(
                "this tenant has {MAX_ROLES} roles, the most it may have"
            ))
            .into());
        }
        let taken = BUILT_IN_ROLES.iter().any(|r| r.name == role.name)
            || query_one(
                ctx.storage,
                "SELECT 1 FROM roles WHERE name = ?",
                vec![role.name.as_str().into()],
            )?
            .is_some();
        if taken {
            return Err(
                ApiError::conflict(format!("a role named '{}' already exists", role.name))
                    .with("field", "name")
                    .into(),
            );
        }
        let id = RoleId::generate().map_err(|e| internal("role id", e))?;
        execute(
            ctx.storage,
            "INSERT INTO roles (id, name, description, permissions, created_at, created_by)
             VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                id.as_str().into(),
                role.name.as_str().into(),
                role.description.as_deref().into(),
                json_text(&role.permissions)?.into(),
                ts(ctx.now),
                principal.actor().into(),
            ],
        )?;
        Ok::<_, Failure>(RoleView {
            id,
            name: role.name,
            description: role.description,
            permissions: role.permissions,
            built_in: false,
            created_at: ctx.now,
        })
    })
}

/// `PUT /v1/roles/{id}/permissions`: the caller must hold both the old and the new set (so
/// nobody can weaken or strengthen a role above their own reach). Holders get the new set
/// from their next request.
pub fn set_permissions(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &RoleId,
    permissions: Vec<Scope>,
) -> Result<RoleView, ApiError> {
    in_transaction(ctx.storage, "set role permissions", || {
        let mut role = load_role(ctx.storage, id)?;
        refuse_built_in(&role)?;
        require_covered(principal, &role.permissions, "changing this role")?;
        require_covered(principal, &permissions, "giving these permissions")?;
        execute(
            ctx.storage,
            "UPDATE roles SET permissions = ? WHERE id = ?",
            vec![json_text(&permissions)?.into(), id.as_str().into()],
        )?;
        revoke_holders_tokens(ctx, id)?;
        role.permissions = permissions;
        Ok::<_, Failure>(role)
    })
}

/// `DELETE /v1/roles/{id}`: with every assignment of it.
pub fn delete(ctx: &SecretContext<'_>, principal: &Principal, id: &RoleId) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "delete role", || {
        let role = load_role(ctx.storage, id)?;
        refuse_built_in(&role)?;
        require_covered(principal, &role.permissions, "deleting this role")?;
        revoke_holders_tokens(ctx, id)?;
        execute(
            ctx.storage,
            "DELETE FROM user_roles WHERE role_id = ?",
            vec![id.as_str().into()],
        )?;
        execute(
            ctx.storage,
            "DELETE FROM roles WHERE id = ?",
            vec![id.as_str().into()],
        )?;
        Ok::<_, Failure>(())
    })
}

/// A role's holders lose the tokens they minted when the role is narrowed or deleted: those
/// tokens may carry what the role no longer gives.
fn revoke_holders_tokens(ctx: &SecretContext<'_>, role: &RoleId) -> Result<(), StorageError> {
    let holders = query(
        ctx.storage,
        "SELECT user_id FROM user_roles WHERE role_id = ?",
        vec![role.as_str().into()],
    )?;
    for row in &holders {
        crate::authorization::access::revoke_minted_by(ctx.storage, &row.text(0)?, ctx.now)?;
    }
    Ok(())
}

const USER_ROLE_COLUMNS: &str = "id, user_id, role_id, created_at, created_by";

fn parse_user_role(storage: &Storage, row: &Row) -> Result<UserRoleView, StorageError> {
    let role_id = RoleId::parse(&row.text(2)?).map_err(StorageError)?;
    let role_name = find_role(storage, &role_id)?
        .map(|r| r.name)
        .unwrap_or_default();
    Ok(UserRoleView {
        id: UserRoleId::parse(&row.text(0)?).map_err(StorageError)?,
        user_id: UserId::parse(&row.text(1)?).map_err(StorageError)?,
        role_id,
        role_name,
        created_at: read_ts(row, 3)?,
        created_by: row.text(4)?,
    })
}

fn require_user(storage: &Storage, id: &UserId) -> Result<(), Failure> {
    let found = query_one(
        storage,
        "SELECT 1 FROM users WHERE id = ?",
        vec![id.as_str().into()],
    )?
    .is_some();
    if found {
        Ok(())
    } else {
        Err(user_not_found(id).into())
    }
}

/// `POST /v1/user-roles`: 409 when the user already holds the role.
pub fn assign(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    request: UserRoleRequest,
) -> Result<UserRoleView, ApiError> {
    in_transaction(ctx.storage, "assign role", || {
        require_user(ctx.storage, &request.user_id)?;
        let role = load_role(ctx.storage, &request.role_id)?;
        require_covered(principal, &role.permissions, "giving this role")?;
        let held = query(
            ctx.storage,
            "SELECT role_id FROM user_roles WHERE user_id = ?",
            vec![request.user_id.as_str().into()],
        )?;
        if held
            .iter()
            .any(|row| row.text(0).is_ok_and(|r| r == request.role_id.as_str()))
        {
            return Err(ApiError::conflict(format!(
                "user '{}' already holds role '{}'",
                request.user_id, role.name
            ))
            .into());
        }
        if held.len() as u64 >= MAX_ROLES_PER_USER {
            return Err(ApiError::conflict(format!(
                "user '{}' holds {MAX_ROLES_PER_USER} roles, the most one may",
                request.user_id
            ))
            .into());
        }
        let id = UserRoleId::generate().map_err(|e| internal("user role id", e))?;
        execute(
            ctx.storage,
            &format!("INSERT INTO user_roles ({USER_ROLE_COLUMNS}) VALUES (?, ?, ?, ?, ?)"),
            vec![
                id.as_str().into(),
                request.user_id.as_str().into(),
                request.role_id.as_str().into(),
                ts(ctx.now),
                principal.actor().into(),
            ],
        )?;
        Ok::<_, Failure>(UserRoleView {
            id,
            user_id: request.user_id,
            role_id: request.role_id,
            role_name: role.name,
            created_at: ctx.now,
            created_by: principal.actor(),
        })
    })
}

/// `GET /v1/user-roles[?user_id=&role_id=]`: a person may list their own (`user_id` = their
/// id); everything else needs `users:admin`.
pub fn assignments(
    storage: &Storage,
    principal: &Principal,
    user: Option<&UserId>,
    role: Option<&RoleId>,
) -> Result<Vec<UserRoleView>, ApiError> {
    let own = matches!((principal, user), (Principal::User(me), Some(user)) if me.id == *user);
    if !own {
        crate::authorization::access::check(
            principal,
            &crate::authorization::access::Access::Scope(Scope::UsersAdmin),
        )?;
    }
    let mut filters = Vec::new();
    let mut bindings = Vec::new();
    if let Some(user) = user {
        filters.push("user_id = ?");
        bindings.push(user.as_str().into());
    }
    if let Some(role) = role {
        filters.push("role_id = ?");
        bindings.push(role.as_str().into());
    }
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", filters.join(" AND "))
    };
    query(
        storage,
        &format!("SELECT {USER_ROLE_COLUMNS} FROM user_roles {filter} ORDER BY created_at, id LIMIT 10000"),
        bindings,
    )
    .and_then(|rows| rows.iter().map(|row| parse_user_role(storage, row)).collect())
    .map_err(|e| internal("list user roles", e))
}

/// `DELETE /v1/user-roles/{id}`: taking a role away needs its permissions too.
pub fn unassign(
    ctx: &SecretContext<'_>,
    principal: &Principal,
    id: &UserRoleId,
) -> Result<(), ApiError> {
    in_transaction(ctx.storage, "remove role", || {
        let row = query_one(
            ctx.storage,
            "SELECT role_id, user_id FROM user_roles WHERE id = ?",
            vec![id.as_str().into()],
        )?
        .ok_or_else(|| {
            ApiError::not_found(format!("role assignment '{id}' not found")).with("id", id.as_str())
        })?;
        let role_id = RoleId::parse(&row.text(0)?).map_err(StorageError)?;
        if let Some(role) = find_role(ctx.storage, &role_id)? {
            require_covered(principal, &role.permissions, "taking this role away")?;
        }
        execute(
            ctx.storage,
            "DELETE FROM user_roles WHERE id = ?",
            vec![id.as_str().into()],
        )?;
        // Tokens the person minted could carry what the role gave: they go with it.
        crate::authorization::access::revoke_minted_by(ctx.storage, &row.text(1)?, ctx.now)?;
        Ok::<_, Failure>(())
    })
}

/// `GET /v1/users/{id}/roles`: a person may see their own; others need `users:admin`.
pub fn of_user(
    storage: &Storage,
    principal: &Principal,
    id: &UserId,
) -> Result<Vec<RoleView>, ApiError> {
    let own = matches!(principal, Principal::User(user) if user.id == *id);
    if !own {
        crate::authorization::access::check(
            principal,
            &crate::authorization::access::Access::Scope(Scope::UsersAdmin),
        )?;
    }
    let fail = |e: StorageError| internal("roles of user", e);
    let found = query_one(
        storage,
        "SELECT 1 FROM users WHERE id = ?",
        vec![id.as_str().into()],
    )
    .map_err(fail)?
    .is_some();
    if !found {
        return Err(user_not_found(id));
    }
    roles_of(storage, id).map_err(fail)
}
