//! The web console (issue 25): its static page under `/console/` (built from `console/` by
//! `scripts/build` into the assets, outside the wasm), its session routes, and the cookie as a
//! credential for the `/v1` API.
//!
//! - `POST /console/session` `{tenant, email, password}`: the login of `POST /v1/auth/login`
//!   (same lockout, same audit), then a console session opened with the JWT it issued; the
//!   JWT never leaves the Worker. 201 with who is logged in and the session's CSRF token, and
//!   the session in an `HttpOnly` cookie.
//! - `GET /console/session`: the same answer for the page's first request after a reload.
//! - `DELETE /console/session`: the session ends in the tenant object and the cookie is
//!   cleared.
//!
//! [`caller`] lets the cookie authenticate a `/v1` request as the person, through the same
//! step as every credential (the tenant object), only with the CSRF token and, on a change,
//! the console's own `Origin` (`latchkey_core::console::check_request`).

use crate::config::Config;
use crate::credentials::AGENT_SECRET_HEADER;
use crate::handlers::people::issue_login;
use crate::http::{error_response, read_json_body};
use crate::tenant_client::{Caller, RequestMeta};
use latchkey_contract::CallerCommand;
use latchkey_contract::caller::console::{
    CloseConsoleSession, ConsoleCommand, DescribeConsoleSession, OpenConsoleSession,
};
use latchkey_core::ApiError;
use latchkey_core::console::{
    ABSOLUTE_LIFETIME_SECONDS, CSRF_HEADER, Proof, check_request, clear_cookie, csrf_token,
    session_from_cookies, set_cookie,
};
use latchkey_core::credential::{
    CredentialHash, parse_bearer, parse_console_session, unrecognized,
};
use latchkey_core::people::LoginRequest;
use serde_json::Value;
use worker::{Env, Request, Response, console_error};

/// The console's path prefix.
pub const PREFIX: &str = "/console";
const SESSION_PATH: &str = "/console/session";

/// The console page's policy: its own script, style and API only; no inline script or style,
/// no frame, no form posting elsewhere, no `<base>`.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; \
base-uri 'none'";

/// Whether the console answers `path`.
pub fn owns(path: &str) -> bool {
    path == PREFIX || path.starts_with("/console/")
}

/// Answers a `/console…` request (the caller adds the headers every response carries).
pub async fn handle(request: &mut Request, env: &Env, method: &str, id: &str) -> Response {
    let path = request.path();
    let response = if path == SESSION_PATH {
        session(request, env, method, id)
            .await
            .unwrap_or_else(|e| error_response(&e))
    } else if path == PREFIX {
        redirect("/console/")
    } else if matches!(method, "GET" | "HEAD") {
        asset(env, &path).await
    } else {
        error_response(&not_allowed(method, &path, "GET, HEAD"))
    };
    secure(response)
}

/// The headers every console response carries, the API's JSON included.
fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let _ = headers.set("Content-Security-Policy", CSP);
    let _ = headers.set("X-Frame-Options", "DENY");
    let _ = headers.set("Referrer-Policy", "no-referrer");
    let _ = headers.set("Cross-Origin-Opener-Policy", "same-origin");
    let _ = headers.set("Cross-Origin-Resource-Policy", "same-origin");
    let _ = headers.set(
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    response
}

fn redirect(to: &str) -> Response {
    let mut response = Response::empty()
        .map(|r| r.with_status(308))
        .unwrap_or_else(|_| error_response(&ApiError::internal()));
    let _ = response.headers_mut().set("Location", to);
    response
}

/// A file of the console's build (`worker/build/assets/console/`). The page itself and its
/// script and style are the same for everyone (nothing user-specific is ever in them): they
/// may be kept, but are revalidated on each load so a deployment shows at once.
async fn asset(env: &Env, path: &str) -> Response {
    let file = if path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_owned()
    };
    // Paths the build writes are plain: anything else is simply not there.
    let plain = file
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_'))
        && !file.contains("..");
    if !plain {
        return error_response(&ApiError::not_found("no such console page"));
    }
    let fetched = async {
        let mut fetched = env
            .assets("ASSETS")?
            .fetch(format!("https://assets.invalid{file}"), None)
            .await?;
        let status = fetched.status_code();
        let kind = fetched.headers().get("Content-Type")?;
        let body = if status == 200 {
            Some(fetched.bytes().await?)
        } else {
            None
        };
        Ok::<_, worker::Error>((status, kind, body))
    };
    match fetched.await {
        Ok((200, kind, Some(body))) => {
            let Ok(mut response) = Response::from_bytes(body) else {
                return error_response(&ApiError::internal());
            };
            let headers = response.headers_mut();
            let _ = headers.set(
                "Content-Type",
                kind.as_deref().unwrap_or("application/octet-stream"),
            );
            let _ = headers.set("Cache-Control", "no-cache");
            response
        }
        Ok((404, ..)) => error_response(&ApiError::not_found("no such console page")),
        Ok((status, ..)) => {
            console_error!("console asset {file}: status {status}");
            error_response(&ApiError::internal())
        }
        Err(e) => {
            console_error!("console asset {file}: {e}");
            error_response(&ApiError::internal())
        }
    }
}

fn not_allowed(method: &str, path: &str, allowed: &str) -> ApiError {
    ApiError::new(
        latchkey_core::ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {path}; use {allowed}"),
    )
    .with("allow", allowed)
}

fn header(request: &Request, name: &str) -> Option<String> {
    request.headers().get(name).ok().flatten()
}

/// `PUBLIC_URL`'s origin, what a console request's `Origin` must be.
fn public_origin(config: &Config) -> Option<&str> {
    config.link_base.as_ref().ok().map(String::as_str)
}

/// The console cookie's value, when the request carries one.
fn cookie_session(request: &Request) -> Option<String> {
    header(request, "Cookie").and_then(|cookies| session_from_cookies(&cookies).map(str::to_owned))
}

/// Checks a cookie-authenticated request (see [`check_request`]).
fn check(
    request: &Request,
    proof: Proof,
    method: &str,
    session: &str,
    config: &Config,
) -> Result<(), ApiError> {
    check_request(
        proof,
        method,
        session,
        header(request, "Origin").as_deref(),
        header(request, CSRF_HEADER).as_deref(),
        public_origin(config),
    )
}

/// The caller of a `/v1` tenant route: the request's `Authorization` (or `X-Agent-Secret`)
/// when it has one, else the console cookie with its proofs. A request with neither is
/// refused as before (the missing `Authorization` header is named).
pub fn caller(request: &Request, request_id: &str, config: &Config) -> Result<Caller, ApiError> {
    let explicit = header(request, "Authorization").is_some()
        || header(request, AGENT_SECRET_HEADER).is_some();
    let Some(session) = cookie_session(request).filter(|_| !explicit) else {
        return Caller::from_request(request, request_id);
    };
    let method = request.inner().method();
    check(request, Proof::Token, &method, &session, config)?;
    let credential = parse_console_session(&session).ok_or_else(unrecognized)?;
    let meta = RequestMeta::with_purpose(request, request_id)?;
    Ok(Caller::with_credential(credential, meta))
}

/// `/console/session`.
async fn session(
    request: &mut Request,
    env: &Env,
    method: &str,
    id: &str,
) -> Result<Response, ApiError> {
    let config = Config::of(env);
    match method {
        "POST" => log_in(request, env, &config, id).await,
        "GET" => describe(request, env, &config, id).await,
        "DELETE" => log_out(request, env, &config, id).await,
        _ => Err(not_allowed(method, SESSION_PATH, "GET, POST, DELETE")),
    }
}

/// The session's answer to the page: who, until when (the object's reply as it is), and the
/// CSRF token it must send.
fn answer(status: u16, identity: Value, session: &str) -> Result<Response, ApiError> {
    let mut body = identity;
    let members = body.as_object_mut().ok_or_else(ApiError::internal)?;
    members.insert("csrf_token".into(), csrf_token(session).into());
    crate::http::json(status, &body)
}

/// Runs a console command through [`Caller::run_raw`], the one instantiation every
/// pass-through command shares (a typed `run` per command would compile the exchange again
/// for each), and reads its reply as JSON.
async fn run(caller: &Caller, env: &Env, command: ConsoleCommand) -> Result<Value, ApiError> {
    let raw = caller
        .run_raw(env, Ok(CallerCommand::Console(command)))
        .await?;
    serde_json::from_str(raw.get()).map_err(|_| ApiError::internal())
}

async fn log_in(
    request: &mut Request,
    env: &Env,
    config: &Config,
    id: &str,
) -> Result<Response, ApiError> {
    // The login itself is cross-site-forgeable otherwise (logging a victim into one's own
    // account): only the console's own page may post it.
    check(request, Proof::SameOrigin, "POST", "", config)?;
    let meta = RequestMeta::of(request, id);
    let login = LoginRequest::parse(&read_json_body(request).await?)?;
    let issued = issue_login(env, &meta, login).await?;
    let credential = parse_bearer(&issued.token).ok_or_else(ApiError::internal)?;
    let caller = Caller::with_credential(credential, meta);
    let mut opened = run(
        &caller,
        env,
        ConsoleCommand::OpenConsoleSession(OpenConsoleSession),
    )
    .await?;
    let session = opened
        .get("session")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(ApiError::internal)?;
    let identity = opened
        .get_mut("identity")
        .map(Value::take)
        .ok_or_else(ApiError::internal)?;
    let mut response = answer(201, identity, &session)?;
    let _ = response.headers_mut().set(
        "Set-Cookie",
        &set_cookie(&session, ABSOLUTE_LIFETIME_SECONDS),
    );
    Ok(response)
}

/// The request's session, checked, and the caller it makes; 401 when there is none.
fn presented(
    request: &Request,
    proof: Proof,
    method: &str,
    config: &Config,
    id: &str,
) -> Result<(String, Caller), ApiError> {
    let session = cookie_session(request)
        .ok_or_else(|| ApiError::unauthorized("not logged in to the console"))?;
    check(request, proof, method, &session, config)?;
    let credential = parse_console_session(&session).ok_or_else(unrecognized)?;
    Ok((
        session,
        Caller::with_credential(credential, RequestMeta::of(request, id)),
    ))
}

/// An error that ends the session for the browser too: the cookie is cleared with it.
fn cleared(error: &ApiError) -> Response {
    let mut response = error_response(error);
    let _ = response.headers_mut().set("Set-Cookie", &clear_cookie());
    response
}

async fn describe(
    request: &Request,
    env: &Env,
    config: &Config,
    id: &str,
) -> Result<Response, ApiError> {
    let (session, caller) = presented(request, Proof::SameOrigin, "GET", config, id)?;
    let command = ConsoleCommand::DescribeConsoleSession(DescribeConsoleSession {
        session: CredentialHash::of(&session),
    });
    match run(&caller, env, command).await {
        Ok(identity) => answer(200, identity, &session),
        Err(e) if e.status() == 401 => Ok(cleared(&e)),
        Err(e) => Err(e),
    }
}

async fn log_out(
    request: &Request,
    env: &Env,
    config: &Config,
    id: &str,
) -> Result<Response, ApiError> {
    let (session, caller) = presented(request, Proof::Token, "DELETE", config, id)?;
    let command = ConsoleCommand::CloseConsoleSession(CloseConsoleSession {
        session: CredentialHash::of(&session),
    });
    match run(&caller, env, command).await {
        Ok(_) => {
            let mut response = Response::empty()
                .map(|r| r.with_status(204))
                .map_err(|_| ApiError::internal())?;
            let _ = response.headers_mut().set("Set-Cookie", &clear_cookie());
            Ok(response)
        }
        Err(e) if e.status() == 401 => Ok(cleared(&e)),
        Err(e) => Err(e),
    }
}
