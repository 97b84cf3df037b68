//! The approver's review page (`/approvals/{id}/review?t=…`): small, self-contained HTML with
//! no external assets, every value escaped, never a secret value. Pure, so its escaping is
//! tested natively.

use crate::approval::{ApprovalStatus, ApprovalView};
use crate::path::percent_decode;

/// Headers every page carries: nothing loads from elsewhere, no inline script runs (the one
/// inline style is allowed by its hash, not by `'unsafe-inline'`), the page can't be framed,
/// and the link's token never leaks through `Referer`.
pub fn page_headers() -> [(&'static str, String); 3] {
    page_headers_posting_to(None)
}

/// [`page_headers`] for a page whose form's answer may redirect to `also` (a CSP source: an
/// origin or a scheme): the browser applies `form-action` to where the post redirects too
/// (the OAuth pages send the person back to the client's redirect URI).
pub fn page_headers_posting_to(also: Option<&str>) -> [(&'static str, String); 3] {
    use base64::Engine as _;
    let style_hash =
        base64::engine::general_purpose::STANDARD.encode(crate::crypto::sha256(STYLE.as_bytes()));
    [
        (
            "Content-Security-Policy",
            format!(
                "default-src 'none'; style-src 'sha256-{style_hash}'; form-action 'self'{}; frame-ancestors 'none'; base-uri 'none'",
                also.map(|source| format!(" {source}")).unwrap_or_default()
            ),
        ),
        ("Referrer-Policy", "no-referrer".to_owned()),
        ("X-Frame-Options", "DENY".to_owned()),
    ]
}

/// Text or an attribute value (single- or double-quoted) as HTML: `&` `<` `>` `"` `'`
/// become `&amp;` `&lt;` `&gt;` `&quot;` `&#x27;`; nothing else changes.
pub fn escape(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}\
h1{font-size:1.4rem}dt{font-weight:600;margin-top:.6rem}dd{margin:0}\
.status{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;background:#eee}\
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.6rem;border-radius:.3rem;border:1px solid #888;cursor:pointer}\
button.approve{background:#1f7a3a;color:#fff;border-color:#1f7a3a}button.deny{background:#a32020;color:#fff;border-color:#a32020}\
textarea{width:100%;min-height:4rem}\
input,select{font-size:1rem;padding:.3rem;margin:.2rem 0 .6rem;max-width:100%}label{font-weight:600}\
.error{color:#a32020;font-weight:600}fieldset{border:1px solid #ccc;border-radius:.3rem}";

/// A whole page: `body` (already escaped) under `title`, with the one style sheet.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} · Latchkey</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

fn details(view: &ApprovalView) -> String {
    let request = &view.request;
    let who = match &view.requester_description {
        Some(description) => format!("{} — {}", view.requester, description),
        None => view.requester.clone(),
    };
    let scopes: Vec<String> = request
        .scope
        .scopes()
        .iter()
        .map(|s| format!("<code>{}</code>", escape(&s.to_string())))
        .collect();
    let ips = if request.allowed_ips.is_empty() {
        "any address".to_owned()
    } else {
        request
            .allowed_ips
            .iter()
            .map(|ip| escape(&ip.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ttl = match request.ttl_seconds {
        Some(seconds) => format!("{seconds} seconds after release"),
        None => "1 hour after release (the default)".to_owned(),
    };
    let uses = request
        .max_uses
        .map_or("unlimited".to_owned(), |n| n.to_string());
    format!(
        "<dl><dt>Requested by</dt><dd>{}</dd>\
         <dt>Access</dt><dd>{}</dd>\
         <dt>Reaches</dt><dd>{} secret(s), highest tier <strong>{}</strong></dd>\
         <dt>Valid for</dt><dd>{}</dd>\
         <dt>From addresses</dt><dd>{}</dd>\
         <dt>Uses</dt><dd>{}</dd>\
         <dt>Approvals</dt><dd>{} of {} (distinct approvers)</dd>\
         <dt>Request open until</dt><dd>{}</dd>\
         <dt>Status</dt><dd><span class=\"status\">{}</span></dd>{}</dl>",
        escape(&who),
        scopes.join("<br>"),
        view.secrets_reached,
        escape(view.tier.as_str()),
        escape(&ttl),
        ips,
        escape(&uses),
        view.approvers.len(),
        view.required_approvals,
        escape(&view.expires_at.to_string()),
        escape(view.status.as_str()),
        stage_rows(view),
    )
}

/// The current stage of a request that runs a workflow (issue 24): which, and who decides it.
fn stage_rows(view: &ApprovalView) -> String {
    let (Some(stage), Some(stages)) = (&view.stage, &view.stages) else {
        return String::new();
    };
    format!(
        "<dt>Stage</dt><dd>{} of {}{} (workflow {}): {} of {} approval(s) from {}</dd>",
        stage.index + 1,
        stages.len(),
        stage
            .name
            .as_deref()
            .map_or_else(String::new, |n| format!(", {}", escape(n))),
        escape(&stage.workflow.name),
        stage.approvals.len(),
        stage.approvals_required,
        escape(&stage.approvers.describe()),
    )
}

/// The page a valid link opens: the request and, while it is pending, the two buttons.
pub fn review_page(view: &ApprovalView, approver: &str, token: &str) -> String {
    let form = if view.status == ApprovalStatus::Pending {
        format!(
            "<form method=\"post\" action=\"/approvals/{}/review\">\
             <input type=\"hidden\" name=\"t\" value=\"{}\">\
             <p><label for=\"note\">Comment (optional)</label><br><textarea id=\"note\" name=\"note\" maxlength=\"1024\"></textarea></p>\
             <p><button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
             <button class=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></p>\
             <p><small>This link is yours alone and works once.</small></p></form>",
            escape(view.id.as_str()),
            escape(token)
        )
    } else {
        "<p>This request is no longer waiting for a decision.</p>".to_owned()
    };
    page(
        "Approval request",
        &format!(
            "<h1>Approval request</h1><p>You are deciding as <strong>{}</strong>.</p>{}{}",
            escape(approver),
            details(view),
            form
        ),
    )
}

/// After a decision through a link.
pub fn decided_page(view: &ApprovalView, approved: bool) -> String {
    let (title, line) = if approved {
        (
            "Approved",
            format!(
                "Your approval is recorded. The request now has {} of {} approvals and is {}.",
                view.approvers.len(),
                view.required_approvals,
                view.status.as_str()
            ),
        )
    } else {
        (
            "Denied",
            "Your denial is recorded; the request is closed.".to_owned(),
        )
    };
    page(
        title,
        &format!(
            "<h1>{}</h1><p id=\"outcome\">{}</p>{}",
            escape(title),
            escape(&line),
            details(view)
        ),
    )
}

/// A link that was refused (used, expired, forged) or a decision that could not be made.
pub fn refusal_page(title: &str, message: &str) -> String {
    page(
        title,
        &format!(
            "<h1>{}</h1><p id=\"outcome\">{}</p><p>Nothing was changed. Ask for a new link if you still need to decide this request.</p>",
            escape(title),
            escape(message)
        ),
    )
}

/// The page behind the requester's `approve_url`, which carries no approver rights.
pub fn no_link_page() -> String {
    page(
        "Approval request",
        "<h1>Approval request</h1><p id=\"outcome\">This page needs the personal link sent to approvers by email, Slack or webhook. Approvers can also decide through the API (POST /v1/approvals/{id}/approve).</p>",
    )
}

/// Decodes an `application/x-www-form-urlencoded` body.
pub fn parse_form(body: &str) -> Result<Vec<(String, String)>, String> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| percent_decode(&text.replace('+', " "));
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::ApprovalId;
    use crate::scope::ScopeSet;
    use crate::secret::Tier;
    use crate::time::Timestamp;
    use crate::token::TokenRequest;

    fn view(description: &str) -> ApprovalView {
        let request: TokenRequest = TokenRequest::parse(
            br#"{"scope": "secrets:read:prod/*", "allowed_ips": ["10.0.0.0/8"]}"#,
        )
        .unwrap();
        ApprovalView {
            id: ApprovalId::parse("apr_0123456789abcdef0123456789abcdef").unwrap(),
            status: ApprovalStatus::Pending,
            requester: "tok_0123456789abcdef".into(),
            requester_description: Some(description.into()),
            request,
            tier: Tier::Sensitive,
            secrets_reached: 2,
            required_approvals: 1,
            approvers: vec![],
            cancel_window_seconds: 0,
            created_at: Timestamp::from_unix_ms(0).unwrap(),
            expires_at: Timestamp::from_unix_ms(86_400_000).unwrap(),
            approved_at: None,
            releases_at: None,
            decisions: vec![],
            token: None,
            notifications: vec![],
            workflow: None,
            stage: None,
            stages: None,
        }
    }

    #[test]
    fn review_page_shows_the_current_stage_escaped() {
        use crate::stage::{Approvers, Stage, StageSnapshot, StageView, WorkflowStamp};
        let stamp = WorkflowStamp {
            id: "wfl_0123456789abcdef01234567".into(),
            name: "<prod>".into(),
            revision: 1,
        };
        let stage = Stage {
            name: Some("owners".into()),
            approvers: Approvers::Any,
            approvals: 2,
            timeout_seconds: 60,
        };
        let mut shown = view("d");
        shown.stages = Some(vec![
            StageSnapshot {
                workflow: stamp.clone(),
                stage: stage.clone(),
            };
            2
        ]);
        shown.stage = Some(StageView {
            index: 1,
            name: Some("owners".into()),
            workflow: stamp,
            approvers: Approvers::Any,
            approvals_required: 2,
            approvals: vec!["tok_a".into()],
            deadline: Timestamp::from_unix_ms(0).unwrap(),
        });
        let html = review_page(&shown, "email:a@b.example", "t");
        assert!(
            html.contains("2 of 2, owners (workflow &lt;prod&gt;): 1 of 2"),
            "{html}"
        );
        assert!(!review_page(&view("d"), "x", "t").contains("<dt>Stage</dt>"));
    }

    #[test]
    fn everything_shown_is_escaped() {
        let html = review_page(
            &view("<img src=x onerror=alert(1)>"),
            "email:a@b.example",
            "tok\"en",
        );
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;img"));
        assert!(html.contains("value=\"tok&quot;en\""));
        assert!(html.contains("10.0.0.0/8"));
        assert!(html.contains("secrets:read:prod/*"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no external assets"
        );
        let _ = ScopeSet::admin();
    }

    #[test]
    fn escape_covers_the_five_html_specials_and_nothing_else() {
        assert_eq!(
            escape("a&b<c>d\"e'f/g é🔑"),
            "a&amp;b&lt;c&gt;d&quot;e&#x27;f/g é🔑"
        );
    }

    #[test]
    fn decided_requests_show_no_buttons() {
        let mut closed = view("job");
        closed.status = ApprovalStatus::Denied;
        let html = review_page(&closed, "slack", "t");
        assert!(!html.contains("<form"));
    }

    #[test]
    fn forms_decode() {
        assert_eq!(
            parse_form("t=a.b&decision=approve&note=ok+then%21").unwrap(),
            vec![
                ("t".into(), "a.b".into()),
                ("decision".into(), "approve".into()),
                ("note".into(), "ok then!".into())
            ]
        );
        assert!(parse_form("t=%zz").is_err());
    }
}
