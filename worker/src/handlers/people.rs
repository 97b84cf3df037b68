//! People: `/v1/auth/login`, `/v1/users…`, `/v1/roles…`, `/v1/user-roles…` and
//! `/v1/permissions`. Passwords are derived here, in the Worker, so the tenant's object never
//! spends a login's CPU while its other requests wait.

use crate::http::{Reply, json, no_content, query_pairs, read_json_body};
use crate::tenant_client::{Caller, RequestMeta, call_tenant};
use latchkey_contract::caller::people::{
    CreateRole, CreateUser, CreateUserRole, DeleteRole, DeleteUser, DeleteUserRole, GetRole,
    ListRoles, ListUserRoles, ListUsers, Permissions, ReinstateUser, SetRolePermissions, UserRoles,
};
use latchkey_contract::public::{Login, LoginChallenge};
use latchkey_core::ApiError;
use latchkey_core::people::{LoginRequest, UserId, UserRequest};
use latchkey_core::role::{
    NewRole, PERMISSIONS, RoleId, UserRoleId, UserRoleRequest, parse_permissions,
};
use serde_json::json;
use worker::{Env, Request, console_error};

/// `POST /v1/auth/login` `{tenant, email, password}` → 200 `{token, expires_at, user}`. Two
/// calls to the tenant's object: the salt, then the derived password. A wrong email and a
/// wrong password get the same 401, and cost the same.
pub async fn login(request: &mut Request, env: &Env, meta: &RequestMeta) -> Reply {
    let login = LoginRequest::parse(&read_json_body(request).await?)?;
    log_in(env, meta, login).await
}

/// A parsed login, run (the `/api/v1` face finds the tenant by the host).
pub async fn log_in(env: &Env, meta: &RequestMeta, login: LoginRequest) -> Reply {
    json(200, &issue_login(env, meta, login).await?)
}

/// A parsed login, checked: the person's JWT (the OAuth consent page logs people in too).
pub async fn issue_login(
    env: &Env,
    meta: &RequestMeta,
    login: LoginRequest,
) -> Result<latchkey_core::people::LoginIssued, ApiError> {
    let challenge = LoginChallenge {
        email: login.email.clone(),
    };
    let kdf = call_tenant(env, &login.tenant, meta, challenge).await?;
    if !kdf.is_sane() {
        console_error!("login: stored KDF round count out of range");
        return Err(ApiError::internal());
    }
    let password = login.password.derive(&kdf.salt, kdf.iterations);
    let command = Login {
        email: login.email,
        password,
    };
    call_tenant(env, &login.tenant, meta, command).await
}

/// `POST /v1/users` `{email, password, name}` → 201 (the user, never the password).
pub async fn create_user(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let user = UserRequest::parse(&read_json_body(request).await?)?;
        let user = user.derive().map_err(|e| {
            console_error!("derive password: {e}");
            ApiError::internal()
        })?;
        Ok(CreateUser { user })
    }
    .await;
    let user = caller.run(env, command).await?;
    json(201, &user)
}

/// `GET /v1/users` → 200 `{users}`.
pub async fn list_users(env: &Env, caller: &Caller) -> Reply {
    let users = caller.run(env, Ok(ListUsers)).await?;
    json(200, &json!({ "users": users }))
}

/// `DELETE /v1/users/{id}` → 204.
pub async fn delete_user(env: &Env, caller: &Caller, id: UserId) -> Reply {
    caller.run(env, Ok(DeleteUser { id })).await?;
    no_content()
}

/// `POST /v1/users/{id}/reinstate` (admin) → 200 with the user.
pub async fn reinstate_user(env: &Env, caller: &Caller, id: UserId) -> Reply {
    let user = caller.run(env, Ok(ReinstateUser { id })).await?;
    json(200, &user)
}

/// `GET /v1/users/{id}/roles` → 200 `{roles}`.
pub async fn user_roles(env: &Env, caller: &Caller, id: UserId) -> Reply {
    let roles = caller.run(env, Ok(UserRoles { id })).await?;
    json(200, &json!({ "roles": roles }))
}

/// `GET /v1/permissions` → 200 `{permissions: [{permission, description}]}`. The catalog is
/// fixed; the call still authenticates, counts and is recorded. Clients may
/// cache it for five minutes.
pub async fn permissions(env: &Env, caller: &Caller) -> Reply {
    caller.run(env, Ok(Permissions)).await?;
    json(200, &json!({ "permissions": PERMISSIONS }))
}

/// `POST /v1/roles` `{name, description?, permissions}` → 201.
pub async fn create_role(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let role = NewRole::parse(&read_json_body(request).await?)?;
        Ok(CreateRole { role })
    }
    .await;
    let role = caller.run(env, command).await?;
    json(201, &role)
}

/// `GET /v1/roles` → 200 `{roles}` (built-in ones first).
pub async fn list_roles(env: &Env, caller: &Caller) -> Reply {
    let roles = caller.run(env, Ok(ListRoles)).await?;
    json(200, &json!({ "roles": roles }))
}

/// `GET /v1/roles/{id}` → 200.
pub async fn get_role(env: &Env, caller: &Caller, id: RoleId) -> Reply {
    let role = caller.run(env, Ok(GetRole { id })).await?;
    json(200, &role)
}

/// `PUT /v1/roles/{id}/permissions` `{permissions}` → 200 (the role).
pub async fn set_role_permissions(
    request: &mut Request,
    env: &Env,
    caller: &Caller,
    id: RoleId,
) -> Reply {
    let command = async {
        let permissions = parse_permissions(&read_json_body(request).await?)?;
        Ok(SetRolePermissions { id, permissions })
    }
    .await;
    let role = caller.run(env, command).await?;
    json(200, &role)
}

/// `DELETE /v1/roles/{id}` → 204.
pub async fn delete_role(env: &Env, caller: &Caller, id: RoleId) -> Reply {
    caller.run(env, Ok(DeleteRole { id })).await?;
    no_content()
}

/// `POST /v1/user-roles` `{user_id, role_id}` → 201.
pub async fn assign_role(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = async {
        let request = UserRoleRequest::parse(&read_json_body(request).await?)?;
        Ok(CreateUserRole { request })
    }
    .await;
    let assignment = caller.run(env, command).await?;
    json(201, &assignment)
}

/// `GET /v1/user-roles[?user_id=&role_id=]` → 200 `{user_roles}`.
pub async fn list_user_roles(request: &mut Request, env: &Env, caller: &Caller) -> Reply {
    let command = query_pairs(request).and_then(|pairs| {
        let mut user_id = None;
        let mut role_id = None;
        for (key, value) in pairs {
            match key.as_str() {
                "user_id" => {
                    user_id = Some(
                        UserId::parse(&value)
                            .map_err(|why| ApiError::validation("user_id", why))?,
                    )
                }
                "role_id" => {
                    role_id = Some(
                        RoleId::parse(&value)
                            .map_err(|why| ApiError::validation("role_id", why))?,
                    )
                }
                other => {
                    return Err(ApiError::validation(
                        other,
                        format!("unknown query parameter '{other}'; expected user_id or role_id"),
                    ));
                }
            }
        }
        Ok(ListUserRoles { user_id, role_id })
    });
    let user_roles = caller.run(env, command).await?;
    json(200, &json!({ "user_roles": user_roles }))
}

/// `DELETE /v1/user-roles/{id}` → 204.
pub async fn unassign_role(env: &Env, caller: &Caller, id: UserRoleId) -> Reply {
    caller.run(env, Ok(DeleteUserRole { id })).await?;
    no_content()
}
