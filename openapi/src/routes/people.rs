//! People, roles and access requests with their wraps.

use crate::components::{role_id, user_id};
use crate::operation::{AUTH, Operation, Parameters, auth_and, ok, ok_empty, ok_unlimited, query};
use crate::schema::{enumeration, string};
use crate::{arr, obj};
use latchkey_core::access_request::{AccessRequestId, MAX_REQUESTER_ID_BYTES};
use latchkey_core::people::UserId;
use latchkey_core::role::{RoleId, UserRoleId};
use latchkey_core::wrap::WrapId;

use super::{TENANT, body};

pub(super) fn people(params: &mut Parameters) -> Vec<Operation> {
    let usr = params.id("id", UserId::PREFIX, UserId::HEX_DIGITS, "A user");
    let rol = params.id("id", RoleId::PREFIX, RoleId::HEX_DIGITS, "A role");
    let req = params.id(
        "id",
        AccessRequestId::PREFIX,
        AccessRequestId::HEX_DIGITS,
        "An access request",
    );
    vec![
        Operation::new(
            "post",
            "/v1/auth/login",
            "login",
            "Log in as a user: a 12-hour JWT",
            "people",
        )
        .errors(&[400, 401, 422, 429])
        .body(body("Login"))
        .respond(200, ok_unlimited("LoggedIn", "Logged in")),
        Operation::new(
            "post",
            "/v1/users",
            "createUser",
            "Create a user (users:admin)",
            "people",
        )
        .security(TENANT)
        .errors(&auth_and(&[409, 422]))
        .body(body("NewUser"))
        .respond(201, ok("User", "Created")),
        Operation::new("get", "/v1/users", "listUsers", "Users", "people")
            .security(TENANT)
            .errors(&AUTH)
            .respond(200, ok("Users", "Users")),
        Operation::new(
            "delete",
            "/v1/users/{id}",
            "deleteUser",
            "Delete a user",
            "people",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409]))
        .params(vec![usr.clone()])
        .respond(204, ok_empty("Deleted")),
        Operation::new(
            "post",
            "/v1/users/{id}/reinstate",
            "reinstateUser",
            "Reinstate a user a cascading revocation suspended (admin)",
            "people",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409]))
        .params(vec![usr.clone()])
        .respond(200, ok("User", "Reinstated")),
        Operation::new(
            "get",
            "/v1/users/{id}/roles",
            "userRoles",
            "A user's roles (one's own, or users:admin)",
            "people",
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![usr])
        .respond(200, ok("Roles", "Roles")),
        Operation::new(
            "get",
            "/v1/permissions",
            "permissions",
            "The permission catalog",
            "people",
        )
        .security(TENANT)
        .errors(&AUTH)
        .respond(200, ok("Permissions", "The catalog")),
        Operation::new(
            "post",
            "/v1/roles",
            "createRole",
            "Create a role (roles:admin)",
            "people",
        )
        .security(TENANT)
        .errors(&auth_and(&[409, 422]))
        .body(body("NewRole"))
        .respond(201, ok("Role", "Created")),
        Operation::new(
            "get",
            "/v1/roles",
            "listRoles",
            "Roles, built-in ones first",
            "people",
        )
        .security(TENANT)
        .errors(&AUTH)
        .respond(200, ok("Roles", "Roles")),
        Operation::new("get", "/v1/roles/{id}", "getRole", "A role", "people")
            .security(TENANT)
            .errors(&auth_and(&[404]))
            .params(vec![rol.clone()])
            .respond(200, ok("Role", "The role")),
        Operation::new(
            "delete",
            "/v1/roles/{id}",
            "deleteRole",
            "Delete a role (not a built-in one)",
            "people",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409]))
        .params(vec![rol.clone()])
        .respond(204, ok_empty("Deleted")),
        Operation::new(
            "put",
            "/v1/roles/{id}/permissions",
            "setRolePermissions",
            "Replace a role's permissions",
            "people",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![rol])
        .body(body("RolePermissions"))
        .respond(200, ok("Role", "The role")),
        Operation::new(
            "post",
            "/v1/user-roles",
            "createUserRole",
            "Assign a role to a user (users:admin)",
            "people",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .body(body("NewUserRole"))
        .respond(201, ok("UserRole", "Assigned")),
        Operation::new(
            "get",
            "/v1/user-roles",
            "listUserRoles",
            "Role assignments",
            "people",
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .params(vec![
            query("user_id", user_id()),
            query("role_id", role_id()),
        ])
        .respond(200, ok("UserRoles", "Assignments")),
        Operation::new(
            "delete",
            "/v1/user-roles/{id}",
            "deleteUserRole",
            "Remove a role assignment",
            "people",
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![params.id(
            "id",
            UserRoleId::PREFIX,
            UserRoleId::HEX_DIGITS,
            "A role assignment",
        )])
        .respond(204, ok_empty("Removed")),
        Operation::new(
            "post",
            "/v1/requests/read",
            "createReadRequest",
            "Ask to read a secret; approved reads become a wrap",
            "requests",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .body(obj! { "oneOf" => arr![body("ReadRequest"), body("CarriedReadRequest")] })
        .respond(201, ok("AccessRequest", "Pending")),
        Operation::new(
            "post",
            "/v1/requests",
            "createPatchRequest",
            "Propose a new value for a secret",
            "requests",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .body(obj! { "oneOf" => arr![body("PatchRequest"), body("CarriedPatchRequest")] })
        .respond(201, ok("AccessRequest", "Pending")),
        Operation::new(
            "get",
            "/v1/requests",
            "listRequests",
            "Access requests",
            "requests",
        )
        .security(TENANT)
        .errors(&auth_and(&[422]))
        .params(vec![
            query(
                "requester_id",
                string()
                    .with("minLength", 1)
                    .with("maxLength", MAX_REQUESTER_ID_BYTES),
            ),
            query(
                "status",
                enumeration(["pending", "approved", "rejected", "expired", "cancelled"]),
            ),
        ])
        .respond(200, ok("AccessRequests", "Requests")),
        Operation::new(
            "get",
            "/v1/requests/{id}",
            "getRequest",
            "An access request with its approvals",
            "requests",
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![req.clone()])
        .respond(200, ok("AccessRequest", "The request")),
        Operation::new(
            "post",
            "/v1/requests/{id}/approve",
            "approveRequest",
            "Approve an access request",
            "requests",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![req.clone()])
        .optional_body(body("ApproveBody"))
        .respond(200, ok("AccessRequest", "Recorded")),
        Operation::new(
            "post",
            "/v1/requests/{id}/reject",
            "rejectRequest",
            "Reject an access request",
            "requests",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .params(vec![req.clone()])
        .optional_body(body("DenyBody"))
        .respond(200, ok("AccessRequest", "Rejected")),
        Operation::new(
            "post",
            "/v1/requests/{id}/cancel",
            "cancelRequest",
            "Cancel one's own access request",
            "requests",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409]))
        .params(vec![req.clone()])
        .respond(200, ok("AccessRequest", "Cancelled")),
        Operation::new(
            "get",
            "/v1/requests/{id}/wraps",
            "requestWraps",
            "The request's wraps (summaries)",
            "requests",
        )
        .security(TENANT)
        .errors(&auth_and(&[404]))
        .params(vec![req.clone()])
        .respond(200, ok("Wraps", "Wraps")),
        Operation::new(
            "get",
            "/v1/requests/{id}/wraps/{wrap_id}",
            "requestWrap",
            "The wrapped value, once",
            "requests",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 410]))
        .params(vec![
            req,
            params.id("wrap_id", WrapId::PREFIX, WrapId::HEX_DIGITS, "A wrap"),
        ])
        .respond(200, ok("Unwrapped", "The value")),
        Operation::new(
            "post",
            "/v1/wraps",
            "createWrap",
            "Wrap a value or a secret's current value in a single-use token",
            "requests",
        )
        .security(TENANT)
        .errors(&auth_and(&[404, 409, 422]))
        .body(body("NewWrap"))
        .respond(201, ok("WrapCreated", "Wrapped")),
        Operation::new(
            "post",
            "/v1/wraps/unwrap",
            "unwrap",
            "Unwrap, exactly once (the wrap token is the credential)",
            "requests",
        )
        .errors(&[400, 404, 410, 422])
        .body(body("Unwrap"))
        .respond(200, ok_unlimited("Unwrapped", "The value")),
    ]
}
