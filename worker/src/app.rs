//! The front door: every request passes here once. It assigns the request id, resolves the
//! route and the caller, runs the handler and turns any error into the one error body.

use crate::config::Config;
use crate::faces;
use crate::handlers::{
    access_requests, admin, agents, approvals, audit, fields, generate, info, metrics,
    notifications, openapi, people, probes, proxy, review, secrets, tokens, vault,
};
use crate::http::{Reply, error_response, request_id};
use crate::tenant_client::{Caller, RequestMeta, rate_headers};
use latchkey_core::ApiError;
use latchkey_core::route::Route;
use worker::{Env, Request, Response};

pub async fn handle(mut request: Request, env: &Env) -> Response {
    let id = request_id(&request);
    // The method as sent: `Request::method` reads an unknown one (Vault's `LIST`) as `GET`.
    let method = request.inner().method();
    let url_path = request.path();
    // Faces under prefixes of their own answer in their own shape.
    if let Some(response) = faces::ass::handle(&mut request, env, &method, &url_path, &id).await {
        return finish(response, &id);
    }
    if url_path == crate::mcp::PATH {
        let response = crate::mcp::handle(&mut request, env, &method, &id).await;
        return finish(crate::oauth::challenge(response, env), &id);
    }
    if crate::oauth::owns(&url_path) {
        return finish(
            crate::oauth::handle(&mut request, env, &method, &id).await,
            &id,
        );
    }
    if crate::console::owns(&url_path) {
        return finish(
            crate::console::handle(&mut request, env, &method, &id).await,
            &id,
        );
    }
    if latchkey_core::faces::api::is_api_path(&url_path) {
        use crate::faces::api::{Outcome, handle};
        let response = match handle(&method, &url_path, &mut request, env, &id).await {
            Outcome::Answered(response) => response,
            Outcome::Native(route) => dispatch(route, &mut request, env, &Config::of(env), &id)
                .await
                .unwrap_or_else(|e| error_response(&e)),
        };
        return finish(response, &id);
    }
    if latchkey_core::faces::maestro::is_maestro_path(&url_path) {
        let response = crate::faces::maestro::handle(&mut request, env, &method, &id).await;
        return finish(response, &id);
    }
    if latchkey_core::faces::vault002::owns(&url_path) {
        let (reply, caller) =
            crate::faces::vault002::handle(&method, &url_path, &mut request, env, &id).await;
        return finish(with_rate_headers(reply, caller.as_ref()), &id);
    }
    let render = if latchkey_core::vault::is_vault_path(&url_path) {
        vault::error_response
    } else {
        error_response
    };
    let reply: Reply = match Route::resolve(&method, &url_path) {
        Err(e) => Err(e),
        Ok(route) => {
            // A query parameter the route does not read is refused, never ignored; on the
            // approver's page, as a page.
            let pairs = latchkey_core::route::query_pairs(&request.inner().url());
            match route.check_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
                Err(e) if matches!(route, Route::ReviewPage(_) | Route::ReviewDecision(_)) => {
                    Ok(review::error_page(&e))
                }
                Err(e) => Err(e),
                Ok(()) => {
                    let config = Config::of(env);
                    dispatch(route, &mut request, env, &config, &id).await
                }
            }
        }
    };
    finish(reply.unwrap_or_else(|e| render(&e)), &id)
}

/// The headers every response carries.
fn finish(mut response: Response, id: &str) -> Response {
    let headers = response.headers_mut();
    // Secret values must never sit in a shared cache. Only the public OpenAPI document sets
    // a Cache-Control of its own.
    if !headers.has("Cache-Control").unwrap_or(false) {
        let _ = headers.set("Cache-Control", "no-store");
    }
    let _ = headers.set("X-Content-Type-Options", "nosniff");
    let _ = headers.set("X-Request-Id", id);
    response
}

async fn dispatch(
    route: Route,
    request: &mut Request,
    env: &Env,
    config: &Config,
    request_id: &str,
) -> Reply {
    let meta = RequestMeta::of(request, request_id);
    match route {
        Route::Health => probes::health(),
        Route::Liveness => probes::liveness(),
        Route::Readiness => probes::readiness(env).await,
        Route::Metrics => metrics::deployment(env).await,
        Route::OpenApi => openapi::document(env).await,
        Route::CreateTenant => admin::create_tenant(request, env, config, &meta).await,
        Route::UpdateTenant(id) => admin::update_tenant(request, env, config, &meta, id).await,
        Route::AdminAudit => audit::operator_search(request, env, config).await,
        Route::PublishAgentRelease => admin::publish_agent_release(request, env, config).await,
        Route::BenchBaseline => probes::bench_baseline(request, env, config, &meta).await,
        Route::ReviewPage(id) => review::page(request, env, &meta, id).await,
        Route::ReviewDecision(id) => review::decide(request, env, &meta, id).await,
        // No bearer: the password, or the wrap token, is the credential.
        Route::Login => people::login(request, env, &meta).await,
        Route::Unwrap => access_requests::unwrap(request, env, &meta).await,
        Route::RegisterAgent => {
            let (reply, caller) = agents::register(request, env, meta).await;
            Ok(with_rate_headers(reply, caller.as_ref()))
        }
        // Public: it says only that the mount is KV v2, which the docs say too.
        Route::Vault(latchkey_core::vault::VaultRoute::MountInfo) => vault::mount_info(request_id),
        Route::Vault(route) => {
            let caller = vault::caller(request, request_id)?;
            let reply = vault::handle(route, request, env, &caller, request_id).await;
            Ok(rate_headers(
                reply.unwrap_or_else(|e| vault::error_response(&e)),
                Some(&caller),
            ))
        }
        tenant_route => {
            // The console's cookie too, with its CSRF proofs (`crate::console`).
            let caller = crate::console::caller(request, request_id, config)?;
            let reply = dispatch_tenant(tenant_route, request, env, config, &caller).await;
            Ok(with_rate_headers(reply, Some(&caller)))
        }
    }
}

/// The reply (or its error body), with the tenant's rate-limit state when there is one.
fn with_rate_headers(reply: Reply, caller: Option<&Caller>) -> Response {
    rate_headers(reply.unwrap_or_else(|e| error_response(&e)), caller)
}

/// Routes that act for a tenant: the caller is resolved, the handler runs, and the response
/// carries the tenant's rate-limit state (errors included).
async fn dispatch_tenant(
    route: Route,
    request: &mut Request,
    env: &Env,
    config: &Config,
    caller: &Caller,
) -> Reply {
    match route {
        Route::CreateSecret => secrets::create(request, env, caller).await,
        Route::ListSecrets => secrets::list(request, env, caller).await,
        Route::GetSecret(path) => secrets::get(request, env, caller, path).await,
        Route::UpdateSecret(path) => secrets::update(request, env, caller, path).await,
        Route::PatchSecret(path) => secrets::patch(request, env, caller, path).await,
        Route::DeleteSecret(path) => secrets::delete(request, env, caller, path).await,
        Route::ListVersions(path) => secrets::versions(env, caller, path).await,
        Route::RotateSecret(path) => secrets::rotate(request, env, caller, path).await,
        Route::RestoreSecret(path) => secrets::restore(env, caller, path).await,
        Route::GetFields(path) => fields::get_all(env, caller, path).await,
        Route::SetFields(path) => fields::set_many(request, env, caller, path).await,
        Route::GetField(path, field) => fields::get_one(env, caller, path, field).await,
        Route::SetField(path, field) => fields::set_one(request, env, caller, path, field).await,
        Route::DeleteField(path, field) => fields::delete_one(env, caller, path, field).await,
        Route::Generate => generate::generate(request, env, caller).await,
        Route::Info => info::info(env, caller).await,
        Route::TenantMetrics => metrics::tenant(env, caller).await,
        Route::CreateToken => tokens::create(request, env, config, caller).await,
        Route::ListTokens => tokens::list(env, caller).await,
        Route::ReadAudit => audit::read(request, env, caller).await,
        Route::VerifyAudit => audit::verify(env, caller).await,
        Route::EventStream => audit::stream(request, env, caller).await,
        Route::RevokeToken(id) => tokens::revoke(env, caller, id).await,
        Route::ListApprovals => approvals::list(request, env, caller).await,
        Route::GetApproval(id) => approvals::get(env, caller, id).await,
        Route::ApproveRequest(id) => approvals::approve(request, env, caller, id).await,
        Route::DenyRequest(id) => approvals::deny(request, env, caller, id).await,
        Route::CancelRequest(id) => approvals::cancel(env, caller, id).await,
        Route::GetPolicies => approvals::get_policies(env, caller).await,
        Route::SetPolicies => approvals::set_policies(request, env, caller).await,
        Route::GetNotifications => notifications::get(env, caller).await,
        Route::SetNotifications => notifications::set(request, env, config, caller).await,
        Route::CreateBootstrap => agents::create_bootstrap(request, env, caller).await,
        Route::RefreshAgentToken => agents::refresh(env, caller).await,
        Route::ReportHealth => agents::report_health(request, env, caller).await,
        Route::AgentSecrets => agents::my_secrets(env, caller).await,
        Route::ListAgents => agents::list(request, env, caller).await,
        Route::GetAgentSettings => agents::get_settings(env, caller).await,
        Route::SetAgentSettings => agents::set_settings(request, env, caller).await,
        Route::RevokeAgent(id) => agents::revoke(env, caller, id).await,
        Route::ReinstateAgent(id) => agents::reinstate(env, caller, id).await,
        Route::QueueAgentCommand(id) => agents::queue_command(request, env, caller, id).await,
        Route::ListAgentCommands(id) => agents::list_commands(request, env, caller, id).await,
        Route::CreateGrant => agents::create_grant(request, env, caller).await,
        Route::ListGrants => agents::list_grants(request, env, caller).await,
        Route::DeleteGrant(id) => agents::delete_grant(env, caller, id).await,
        Route::ReportCertificates => agents::report_certificates(request, env, caller).await,
        Route::ReportSshKeys => agents::report_ssh_keys(request, env, caller).await,
        Route::AgentDiscovery(id) => agents::discovery(env, caller, id).await,
        Route::ImportDiscovered(id) => agents::import_discovered(request, env, caller, id).await,
        Route::SshDiscovery => agents::ssh_discovery(request, env, caller).await,
        Route::AgentCertificates => agents::my_certificates(env, caller).await,
        Route::CreatePasswordRequest => agents::request_password(request, env, caller).await,
        Route::CollectPasswordRequests => agents::collect_passwords(env, caller).await,
        Route::ListPasswordRequests => agents::list_password_requests(request, env, caller).await,
        Route::ApprovePasswordRequest(id) => agents::approve_password(env, caller, id).await,
        Route::RejectPasswordRequest(id) => agents::reject_password(request, env, caller, id).await,
        Route::CreateUser => people::create_user(request, env, caller).await,
        Route::ListUsers => people::list_users(env, caller).await,
        Route::DeleteUser(id) => people::delete_user(env, caller, id).await,
        Route::ReinstateUser(id) => people::reinstate_user(env, caller, id).await,
        Route::UserRoles(id) => people::user_roles(env, caller, id).await,
        Route::Permissions => people::permissions(env, caller).await,
        Route::CreateRole => people::create_role(request, env, caller).await,
        Route::ListRoles => people::list_roles(env, caller).await,
        Route::GetRole(id) => people::get_role(env, caller, id).await,
        Route::SetRolePermissions(id) => {
            people::set_role_permissions(request, env, caller, id).await
        }
        Route::DeleteRole(id) => people::delete_role(env, caller, id).await,
        Route::CreateUserRole => people::assign_role(request, env, caller).await,
        Route::ListUserRoles => people::list_user_roles(request, env, caller).await,
        Route::DeleteUserRole(id) => people::unassign_role(env, caller, id).await,
        Route::CreateReadRequest => access_requests::create_read(request, env, caller).await,
        Route::CreatePatchRequest => access_requests::create_patch(request, env, caller).await,
        Route::ListRequests => access_requests::list(request, env, caller).await,
        Route::GetRequest(id) => access_requests::get(env, caller, id).await,
        Route::ApproveAccess(id) => access_requests::approve(request, env, caller, id).await,
        Route::RejectAccess(id) => access_requests::reject(request, env, caller, id).await,
        Route::CancelAccess(id) => access_requests::cancel(env, caller, id).await,
        Route::RequestWraps(id) => access_requests::wraps(env, caller, id).await,
        Route::RequestWrap(id, wrap_id) => {
            access_requests::retrieve(env, caller, id, wrap_id).await
        }
        Route::CreateWrap => access_requests::create_wrap(request, env, caller).await,
        Route::Proxy => proxy::proxy(request, env, caller).await,
        Route::Health
        | Route::Login
        | Route::Unwrap
        | Route::Liveness
        | Route::Readiness
        | Route::Metrics
        | Route::OpenApi
        | Route::CreateTenant
        | Route::UpdateTenant(_)
        | Route::AdminAudit
        | Route::PublishAgentRelease
        | Route::BenchBaseline
        | Route::ReviewPage(_)
        | Route::ReviewDecision(_)
        | Route::Vault(_)
        | Route::RegisterAgent => Err(ApiError::internal()),
    }
}
