//! `/approvals/{id}/review`: the page an approver's link opens, and its form. HTML, not JSON:
//! people use it. The link's token is the only credential; `GET` never uses it up (mail
//! scanners open links), `POST` decides and uses it up. Every link that is not valid gets the
//! same page, whether or not the tenant it names exists.

use crate::http::{MAX_BODY_BYTES, Reply};
use crate::tenant_client::{RequestMeta, call_tenant};
use latchkey_contract::link::{DecideByLink, LinkReview, ReviewLink};
use latchkey_core::approval::{ApprovalId, MAX_COMMENT_BYTES};
use latchkey_core::notification::LinkRefusal;
use latchkey_core::review::{
    decided_page, no_link_page, page_headers, parse_form, refusal_page, review_page,
};
use latchkey_core::{ApiError, ErrorCode};
use worker::{Env, Request, Response};

fn html(status: u16, body: String) -> Reply {
    let mut response = Response::from_html(body)
        .map_err(|_| ApiError::internal())?
        .with_status(status);
    let headers = response.headers_mut();
    for (name, value) in page_headers() {
        let _ = headers.set(name, &value);
    }
    Ok(response)
}

/// A request the front door refused before the page's handler ran (a query parameter the
/// page does not read), as a page: people open these links.
pub fn error_page(error: &ApiError) -> Response {
    html(
        error.status(),
        refusal_page("Link not valid", &error.message),
    )
    .unwrap_or_else(|e| crate::http::error_response(&e))
}

/// A refusal as a page: the link's problem, or the decision's.
fn refusal(error: &ApiError) -> Reply {
    let title = match error.details.get("link").and_then(|v| v.as_str()) {
        Some("used") => "Link already used",
        Some("expired") => "Link expired",
        Some(_) => "Link not valid",
        None => "Could not record the decision",
    };
    let status = match error.code {
        ErrorCode::InternalError => 500,
        _ => error.status(),
    };
    html(status, refusal_page(title, &error.message))
}

fn link_token(request: &Request) -> Option<String> {
    request.url().ok().and_then(|url| {
        url.query_pairs()
            .find(|(k, _)| k == "t")
            .map(|(_, v)| v.into_owned())
    })
}

/// `GET /approvals/{id}/review?t=…`.
pub async fn page(request: &mut Request, env: &Env, meta: &RequestMeta, id: ApprovalId) -> Reply {
    let Some(token) = link_token(request) else {
        return html(200, no_link_page());
    };
    let Some(tenant) = id.tenant() else {
        return refusal(&LinkRefusal::Forged.error());
    };
    let command = ReviewLink {
        id,
        token: token.clone(),
    };
    match call_tenant(env, &tenant, meta, command).await {
        Ok(LinkReview { view, approver }) => html(200, review_page(&view, &approver, &token)),
        Err(e) => refusal(&e),
    }
}

/// `POST /approvals/{id}/review` with `t`, `decision` (approve|deny) and `note`.
pub async fn decide(request: &mut Request, env: &Env, meta: &RequestMeta, id: ApprovalId) -> Reply {
    let declared = request
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return refusal(&ApiError::invalid_request("the form is too large"));
    }
    let bytes = request
        .bytes()
        .await
        .map_err(|_| ApiError::invalid_request("could not read the form"))?;
    if bytes.len() > MAX_BODY_BYTES {
        return refusal(&ApiError::invalid_request("the form is too large"));
    }
    let text = String::from_utf8(bytes).unwrap_or_default();
    let form = match parse_form(&text) {
        Ok(form) => form,
        Err(why) => return refusal(&ApiError::invalid_request(why)),
    };
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let approve = match field("decision").as_deref() {
        Some("approve") => true,
        Some("deny") => false,
        _ => {
            return refusal(&ApiError::invalid_request("choose Approve or Deny"));
        }
    };
    let note = field("note").filter(|n| !n.trim().is_empty());
    if note.as_ref().is_some_and(|n| n.len() > MAX_COMMENT_BYTES) {
        return refusal(&ApiError::invalid_request(
            "the comment is longer than 1 KiB",
        ));
    }
    let (Some(token), Some(tenant)) = (field("t"), id.tenant()) else {
        return refusal(&LinkRefusal::Forged.error());
    };
    let command = DecideByLink {
        id,
        token,
        approve,
        note,
    };
    match call_tenant(env, &tenant, meta, command).await {
        Ok(LinkReview { view, .. }) => html(200, decided_page(&view, approve)),
        Err(e) => refusal(&e),
    }
}
