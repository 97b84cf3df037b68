//! The authorize step's pages: a person logs in as a tenant user, then chooses what the client
//! may do. Server-rendered, no script, every value escaped (the review page's conventions and
//! headers, `crate::review::page_headers`). The authorization request rides along in hidden
//! fields and is checked again on every post; between the two steps the person's login JWT
//! does (it is theirs, and a forged post without it authorizes nothing).

use super::AuthorizeRequest;
use crate::review::{escape, page};
use crate::secret::Tier;

/// The request's parameters as hidden fields.
/// The requested `scope` rides along only to the consent page, where the person's choice,
/// also named `scope`, replaces it.
fn hidden(request: &AuthorizeRequest, with_scope: bool) -> String {
    let mut fields = vec![
        ("response_type", "code".to_owned()),
        ("client_id", request.client_id.as_str().to_owned()),
        ("redirect_uri", request.redirect_uri.clone()),
        ("code_challenge", request.code_challenge.as_str().to_owned()),
        ("code_challenge_method", "S256".to_owned()),
        ("resource", request.resource.clone()),
    ];
    if let Some(state) = &request.state {
        fields.push(("state", state.clone()));
    }
    if let (true, Some(scope)) = (with_scope, &request.scope) {
        fields.push(("scope", scope.clone()));
    }
    fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            )
        })
        .collect()
}

fn error_line(error: Option<&str>) -> String {
    error.map_or_else(String::new, |e| {
        format!(
            "<p id=\"error\" class=\"error\" role=\"alert\">{}</p>",
            escape(e)
        )
    })
}

fn who(request: &AuthorizeRequest, client_name: &str) -> String {
    let host = url::Url::parse(&request.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| request.redirect_uri.clone());
    format!(
        "<p><strong id=\"client\">{}</strong> wants to connect to Latchkey's MCP server (<code>{}</code>) and will receive the answer at <code>{}</code>.</p>",
        escape(client_name),
        escape(&request.resource),
        escape(&host)
    )
}

/// Step 1: log in as a person of the tenant.
pub fn login_page(
    request: &AuthorizeRequest,
    client_name: &str,
    tenant: Option<&str>,
    error: Option<&str>,
) -> String {
    page(
        "Connect a client",
        &format!(
            "<h1>Connect a client</h1>{}{}\
             <form id=\"login\" method=\"post\" action=\"/oauth/authorize\">{}\
             <input type=\"hidden\" name=\"step\" value=\"login\">\
             <p><label for=\"tenant\">Tenant id</label><br><input id=\"tenant\" name=\"tenant\" required autocomplete=\"organization\" value=\"{}\"></p>\
             <p><label for=\"email\">Email</label><br><input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"username\"></p>\
             <p><label for=\"password\">Password</label><br><input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\"></p>\
             <p><button id=\"sign-in\" type=\"submit\">Sign in</button></p></form>\
             <p><small>Sign in as yourself: you then choose what this client may do, at most what you may do.</small></p>",
            who(request, client_name),
            error_line(error),
            hidden(request, true),
            escape(tenant.unwrap_or_default()),
        ),
    )
}

/// What the consent page offers: the person's own permissions, which of them the client asked
/// for, and the tiers.
pub struct ConsentChoices<'a> {
    pub person: &'a str,
    pub held: &'a [String],
    pub session: &'a str,
    pub tenant: &'a str,
}

/// Step 2: choose the scopes and the tier clearance (at most the person's own), then allow or
/// deny.
pub fn consent_page(
    request: &AuthorizeRequest,
    client_name: &str,
    choices: &ConsentChoices<'_>,
    error: Option<&str>,
) -> String {
    let asked: Vec<&str> = request
        .scope
        .as_deref()
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    let default_checked = |scope: &str| {
        if asked.is_empty() {
            // With nothing asked, the broker and the listing: the value never reaches the model.
            matches!(scope, "secrets:use:*" | "namespaces:read")
        } else {
            asked.contains(&scope)
        }
    };
    let boxes: String = choices
        .held
        .iter()
        .enumerate()
        .map(|(i, scope)| {
            format!(
                "<label><input type=\"checkbox\" name=\"scope\" id=\"scope-{i}\" value=\"{}\"{}> <code>{}</code></label><br>",
                escape(scope),
                if default_checked(scope) { " checked" } else { "" },
                escape(scope)
            )
        })
        .collect();
    let tiers: String = [Tier::Standard, Tier::Sensitive, Tier::Critical]
        .iter()
        .map(|t| format!("<option value=\"{0}\">{0}</option>", t.as_str()))
        .collect();
    page(
        "Allow access",
        &format!(
            "<h1>Allow access?</h1>{}<p>Signed in as <strong>{}</strong>.</p>{}\
             <form id=\"consent\" method=\"post\" action=\"/oauth/authorize\">{}\
             <input type=\"hidden\" name=\"step\" value=\"consent\">\
             <input type=\"hidden\" name=\"tenant\" value=\"{}\">\
             <input type=\"hidden\" name=\"session\" value=\"{}\">\
             <fieldset><legend>What it may do (your own permissions)</legend>{}</fieldset>\
             <p><label for=\"scope-text\">Narrower or other scopes (space-separated, optional)</label><br>\
             <input id=\"scope-text\" name=\"scope_text\" size=\"40\" placeholder=\"secrets:use:production/*\"></p>\
             <p><label for=\"tier\">Highest tier it may reach</label><br><select id=\"tier\" name=\"tier\">{}</select><br>\
             <small>Secrets whose approval policy needs a person stay closed to it at any tier: it asks for those, one use at a time, with its <code>request_access</code> tool.</small></p>\
             <p><button id=\"allow\" class=\"approve\" type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
             <button id=\"deny\" class=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></p></form>\
             <p><small>The connection becomes a token listed under your tokens; revoke it there at any time.</small></p>",
            who(request, client_name),
            escape(choices.person),
            error_line(error),
            hidden(request, false),
            escape(choices.tenant),
            escape(choices.session),
            boxes,
            tiers,
        ),
    )
}

/// A request that cannot be answered by a redirect (unknown client, unregistered redirect
/// URI): shown to the person, never sent anywhere.
pub fn error_page(message: &str) -> String {
    page(
        "Cannot connect this client",
        &format!(
            "<h1>Cannot connect this client</h1><p id=\"error\" class=\"error\">{}</p><p>Nothing was sent to the client. Tell whoever configured it.</p>",
            escape(message)
        ),
    )
}
