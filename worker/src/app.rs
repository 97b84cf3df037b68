//! The front door: every request passes here once. It assigns the request id, resolves the
//! route and the caller, runs the handler and turns any error into the one error body.

use crate::handlers::{admin, fields, generate, info, probes, secrets};
use crate::http::{Reply, error_response, request_id};
use latchkey_core::route::Route;
use worker::{Env, Request, Response};

pub async fn handle(mut request: Request, env: &Env) -> Response {
    let id = request_id(&request);
    let route = Route::resolve(request.method().as_ref(), &request.path());
    let reply: Reply = match route {
        Err(e) => Err(e),
        Ok(route) => dispatch(route, &mut request, env).await,
    };
    let mut response = reply.unwrap_or_else(|e| error_response(&e));
    let headers = response.headers_mut();
    // Secret values must never sit in a shared cache.
    let _ = headers.set("Cache-Control", "no-store");
    let _ = headers.set("X-Content-Type-Options", "nosniff");
    let _ = headers.set("X-Request-Id", &id);
    response
}

async fn dispatch(route: Route, request: &mut Request, env: &Env) -> Reply {
    match route {
        Route::Health => probes::health(),
        Route::Liveness => probes::liveness(),
        Route::Readiness => probes::readiness(env).await,
        Route::CreateTenant => admin::create_tenant(request, env).await,
        Route::CreateSecret => secrets::create(request, env).await,
        Route::ListSecrets => secrets::list(request, env).await,
        Route::GetSecret(path) => secrets::get(request, env, path).await,
        Route::UpdateSecret(path) => secrets::update(request, env, path).await,
        Route::DeleteSecret(path) => secrets::delete(request, env, path).await,
        Route::ListVersions(path) => secrets::versions(request, env, path).await,
        Route::RotateSecret(path) => secrets::rotate(request, env, path).await,
        Route::RestoreSecret(path) => secrets::restore(request, env, path).await,
        Route::GetFields(path) => fields::get_all(request, env, path).await,
        Route::SetFields(path) => fields::set_many(request, env, path).await,
        Route::GetField(path, field) => fields::get_one(request, env, path, field).await,
        Route::SetField(path, field) => fields::set_one(request, env, path, field).await,
        Route::DeleteField(path, field) => fields::delete_one(request, env, path, field).await,
        Route::Generate => generate::generate(request, env).await,
        Route::Info => info::info(request, env).await,
    }
}
