//! `/v1/users`, `/v1/roles`, `/v1/user-roles`, `/v1/permissions`: people and their roles.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::people::{NewUser, UserId, UserView};
use latchkey_core::role::{NewRole, RoleId, RoleView, UserRoleId, UserRoleRequest, UserRoleView};
use latchkey_core::scope::Scope;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct CreateUser {
    pub user: NewUser,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListUsers;

#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteUser {
    pub id: UserId,
}

/// `POST /v1/users/{id}/reinstate` (admin): undoes a cascade's suspension.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReinstateUser {
    pub id: UserId,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct UserRoles {
    pub id: UserId,
}

/// `GET /v1/permissions`: the catalog is static; the command authenticates and records.
#[derive(Debug, Serialize, Deserialize)]
pub struct Permissions;

#[derive(Debug, Serialize, Deserialize)]
pub struct CreateRole {
    pub role: NewRole,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListRoles;

#[derive(Debug, Serialize, Deserialize)]
pub struct GetRole {
    pub id: RoleId,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SetRolePermissions {
    pub id: RoleId,
    pub permissions: Vec<Scope>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteRole {
    pub id: RoleId,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CreateUserRole {
    pub request: UserRoleRequest,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ListUserRoles {
    pub user_id: Option<UserId>,
    pub role_id: Option<RoleId>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteUserRole {
    pub id: UserRoleId,
}

area! {
    pub enum PeopleCommand in CallerCommand::People {
        CreateUser => UserView,
        ListUsers => Vec<UserView>,
        DeleteUser => (),
        ReinstateUser => UserView,
        UserRoles => Vec<RoleView>,
        Permissions => (),
        CreateRole => RoleView,
        ListRoles => Vec<RoleView>,
        GetRole => RoleView,
        SetRolePermissions => RoleView,
        DeleteRole => (),
        CreateUserRole => UserRoleView,
        ListUserRoles => Vec<UserRoleView>,
        DeleteUserRole => (),
    }
}

impl PeopleCommand {
    pub fn rules(&self) -> Rules {
        use Audit::Event;
        use Effect::{Reads, Writes, WritesTokens};
        use PeopleCommand as C;
        let users = || Access::Scope(Scope::UsersAdmin);
        let roles = || Access::Scope(Scope::RolesAdmin);
        // Any person may read roles; a person's own roles and assignments are checked in the
        // module.
        let anyone = || Access::Authenticated;
        let row = |access, event, effect| {
            Rules::of(
                access,
                event,
                Releases::Nothing,
                Cache::Empties,
                Metering::Use,
                effect,
            )
        };
        match self {
            C::CreateUser(_) => row(users(), Event("user.created"), Writes),
            C::ListUsers(_) => row(users(), Event("user.listed"), Reads),
            // A person's tokens go with them.
            C::DeleteUser(_) => row(users(), Event("user.deleted"), WritesTokens),
            // Undoing a cascade's suspension is the tenant's admin's call alone.
            C::ReinstateUser(_) => row(
                Access::Scope(Scope::Admin),
                Event("user.reinstated"),
                Writes,
            ),
            C::UserRoles(_) => row(anyone(), Event("user.roles_read"), Reads),
            C::Permissions(_) => row(anyone(), Event("permission.listed"), Reads),
            C::CreateRole(_) => row(roles(), Event("role.created"), Writes),
            C::ListRoles(_) => row(anyone(), Event("role.listed"), Reads),
            C::GetRole(_) => row(anyone(), Event("role.read"), Reads),
            // A role's permissions are its holders' tokens' reach.
            C::SetRolePermissions(_) => row(roles(), Event("role.updated"), WritesTokens),
            C::DeleteRole(_) => row(roles(), Event("role.deleted"), WritesTokens),
            C::CreateUserRole(_) => row(users(), Event("user_role.created"), Writes),
            C::ListUserRoles(_) => row(anyone(), Event("user_role.listed"), Reads),
            C::DeleteUserRole(_) => row(users(), Event("user_role.deleted"), WritesTokens),
        }
    }
}
