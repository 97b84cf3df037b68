//! What a message to an approver says, per channel, for each kind of request.
//!
//! A token request's message carries a signed link that decides by itself (the review page).
//! A read, patch or password request's message links into the console instead: those
//! requests hand a secret's value (or a new password) to their requester, so deciding one
//! needs a person logged in with their own rights; a forwarded message alone decides nothing.

use crate::access_request::AccessRequestId;
use crate::agent::PasswordRequestId;
use crate::approval::ApprovalId;
use crate::tenant::TenantId;
use crate::time::Timestamp;
use serde_json::{Value, json};

/// What a request asks for. Never a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// A token with this scope (`POST /v1/tokens` → 202).
    Token { approval: ApprovalId, scope: String },
    /// Reading a secret: its path, or a discovered secret's id.
    Read {
        request: AccessRequestId,
        target: String,
    },
    /// Changing a secret.
    Patch {
        request: AccessRequestId,
        target: String,
    },
    /// An agent's new password, written at this path.
    Password {
        request: PasswordRequestId,
        path: String,
    },
}

impl Asked {
    pub fn request_id(&self) -> &str {
        match self {
            Asked::Token { approval, .. } => approval.as_str(),
            Asked::Read { request, .. } | Asked::Patch { request, .. } => request.as_str(),
            Asked::Password { request, .. } => request.as_str(),
        }
    }

    /// The request kind a policy names (`token`, `read`, `patch`, `password`).
    pub fn kind(&self) -> &'static str {
        match self {
            Asked::Token { .. } => "token",
            Asked::Read { .. } => "read",
            Asked::Patch { .. } => "patch",
            Asked::Password { .. } => "password",
        }
    }

    /// Whether the message's link decides by itself (a token request's signed, single-use
    /// link) or opens the console, where a logged-in person decides.
    pub fn decided_by_link(&self) -> bool {
        matches!(self, Asked::Token { .. })
    }

    fn phrase(&self) -> String {
        match self {
            Asked::Token { scope, .. } => format!("asks for a token with scope {scope}"),
            Asked::Read { target, .. } => format!("asks to read the secret {target}"),
            Asked::Patch { target, .. } => format!("asks to change the secret {target}"),
            Asked::Password { path, .. } => format!("asks for a new password at {path}"),
        }
    }

    fn subject(&self) -> String {
        match self {
            Asked::Token { scope, .. } => scope.clone(),
            Asked::Read { target, .. } => format!("read {target}"),
            Asked::Patch { target, .. } => format!("change {target}"),
            Asked::Password { path, .. } => format!("new password at {path}"),
        }
    }
}

/// What a message says about a request. Never a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSummary {
    pub asked: Asked,
    pub requester: String,
    pub requester_description: Option<String>,
    /// The secret's tier; `None` when the request has none (a password request).
    pub tier: Option<String>,
    pub required_approvals: u64,
    pub expires_at: Timestamp,
    /// The stage the message is for, in words (issue 24); `None` before workflows.
    pub stage: Option<String>,
}

impl RequestSummary {
    fn line(&self) -> String {
        let who = match &self.requester_description {
            Some(description) => format!("{} ({description})", self.requester),
            None => self.requester.clone(),
        };
        let stage = self.stage.as_ref().map_or_else(String::new, |stage| {
            format!(" Your decision is asked for {stage}.")
        });
        let tier = self
            .tier
            .as_ref()
            .map_or_else(String::new, |tier| format!("tier {tier}; "));
        format!(
            "{who} {} ({tier}{} approval(s) needed; open until {}).{stage}",
            self.asked.phrase(),
            self.required_approvals,
            self.expires_at
        )
    }

    /// What the link does, said under it.
    fn link_note(&self) -> &'static str {
        if self.asked.decided_by_link() {
            "Review and decide (this link is yours alone and works once):"
        } else {
            "Log in to the Latchkey console to review and decide (the link alone decides nothing):"
        }
    }
}

/// Where a message about a read, patch or password request points: the console's approvals
/// inbox at that request, with the tenant filled in on the login form. It carries no right.
pub fn console_link(origin: &str, tenant: &TenantId, request: &str) -> String {
    format!("{origin}/console/?tenant={tenant}#/approvals?request={request}")
}

/// Slack's escaping for message text: `&`, `<` and `>` (so a description cannot smuggle in a
/// link or a mention).
fn escape_slack(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// The Slack incoming-webhook body: the summary and a button to the approver's link.
pub fn slack_body(summary: &RequestSummary, link: &str) -> Value {
    let line = escape_slack(&summary.line());
    json!({
        "text": format!("Latchkey approval requested: {line}"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": format!("*Approval requested*\n{line}")}},
            {"type": "actions", "elements": [
                {"type": "button", "style": "primary", "text": {"type": "plain_text", "text": "Review request"}, "url": link}
            ]}
        ]
    })
}

/// The signed webhook's JSON body. `kind` and `request_id` name any request; a token
/// request's body keeps `approval_request_id`, `scope` and `approve_url` as before.
pub fn webhook_body(summary: &RequestSummary, link: &str, now: Timestamp) -> Value {
    let mut body = json!({
        "type": "approval.requested",
        "kind": summary.asked.kind(),
        "request_id": summary.asked.request_id(),
        "requester": summary.requester,
        "requester_description": summary.requester_description,
        "tier": summary.tier,
        "required_approvals": summary.required_approvals,
        "expires_at": summary.expires_at,
        "review_url": link,
        "stage": summary.stage,
        "sent_at": now,
    });
    let extra = match &summary.asked {
        Asked::Token { approval, scope } => json!({
            "approval_request_id": approval,
            "scope": scope,
            "approve_url": link,
        }),
        Asked::Read { target, .. } | Asked::Patch { target, .. } => json!({"target": target}),
        Asked::Password { path, .. } => json!({"path": path}),
    };
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

/// The email API's JSON body: one message per approver.
pub fn email_body(summary: &RequestSummary, to: &str, from: &str, link: &str) -> Value {
    let line = summary.line();
    let note = summary.link_note();
    json!({
        "from": from,
        "to": [to],
        "subject": format!("Approval requested: {}", summary.asked.subject()),
        "text": format!("{line}\n\n{note}\n{link}\n"),
        "html": format!(
            "<p>{}</p><p><a href=\"{}\">Review request</a></p><p>{}</p>",
            crate::review::escape(&line),
            crate::review::escape(link),
            crate::review::escape(note)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_ms(ms).unwrap()
    }

    fn token_summary() -> RequestSummary {
        RequestSummary {
            asked: Asked::Token {
                approval: ApprovalId::parse("apr_0123456789abcdef0123456789abcdef").unwrap(),
                scope: "secrets:read:prod/*".into(),
            },
            requester: "tok_1".into(),
            requester_description: Some("<script>".into()),
            tier: Some("sensitive".into()),
            required_approvals: 1,
            expires_at: t(0),
            stage: None,
        }
    }

    fn read_summary() -> RequestSummary {
        RequestSummary {
            asked: Asked::Read {
                request: AccessRequestId::parse("req_0123456789abcdef01234567").unwrap(),
                target: "prod/db".into(),
            },
            requester: "usr_1".into(),
            requester_description: None,
            tier: Some("critical".into()),
            required_approvals: 2,
            expires_at: t(0),
            stage: Some("stage 1 of 2 (workflow 'prod'): 1 approval(s) from role leads".into()),
        }
    }

    #[test]
    fn slack_escapes_exactly_amp_lt_gt() {
        assert_eq!(escape_slack("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d\"e'f");
    }

    #[test]
    fn messages_carry_the_link_and_escape_html() {
        let summary = token_summary();
        let email = email_body(
            &summary,
            "a@b.example",
            "latchkey@example.com",
            "https://x/approvals/1/review?t=abc",
        );
        assert!(email["html"].as_str().unwrap().contains("&lt;script&gt;"));
        assert!(email["text"].as_str().unwrap().contains("?t=abc"));
        assert!(email["text"].as_str().unwrap().contains("works once"));
        let slack = slack_body(&summary, "https://x/l");
        assert_eq!(slack["blocks"][1]["elements"][0]["url"], "https://x/l");
        assert!(
            !slack.to_string().contains("<script>"),
            "Slack text is escaped"
        );
    }

    #[test]
    fn token_webhook_keeps_its_members_and_names_the_kind() {
        let body = webhook_body(&token_summary(), "https://x/l", t(5));
        assert_eq!(body["kind"], "token");
        assert_eq!(body["request_id"], "apr_0123456789abcdef0123456789abcdef");
        assert_eq!(body["approval_request_id"], body["request_id"]);
        assert_eq!(body["scope"], "secrets:read:prod/*");
        assert_eq!(body["approve_url"], "https://x/l");
        assert_eq!(body["review_url"], "https://x/l");
    }

    #[test]
    fn read_request_message_says_what_is_read_and_that_the_console_decides() {
        let summary = read_summary();
        let link = console_link(
            "https://l.example",
            &TenantId::parse("tn_0123456789abcdef").unwrap(),
            summary.asked.request_id(),
        );
        assert_eq!(
            link,
            "https://l.example/console/?tenant=tn_0123456789abcdef#/approvals?request=req_0123456789abcdef01234567"
        );
        let email = email_body(&summary, "a@b.example", "l@example.com", &link);
        let text = email["text"].as_str().unwrap();
        assert!(
            text.starts_with("usr_1 asks to read the secret prod/db (tier critical; 2 approval(s)"),
            "{text}"
        );
        assert!(text.contains("stage 1 of 2"), "{text}");
        assert!(text.contains("decides nothing"), "{text}");
        assert!(!text.contains("works once"), "{text}");
        assert_eq!(email["subject"], "Approval requested: read prod/db");
        let body = webhook_body(&summary, &link, t(5));
        assert_eq!(body["kind"], "read");
        assert_eq!(body["target"], "prod/db");
        assert!(body.get("approval_request_id").is_none());
        assert!(body.get("approve_url").is_none());
        assert_eq!(body["review_url"], link.as_str());
    }

    #[test]
    fn password_and_patch_messages_name_their_target() {
        let password = RequestSummary {
            asked: Asked::Password {
                request: PasswordRequestId::parse("pwr_0123456789abcdef01234567").unwrap(),
                path: "prod/root".into(),
            },
            tier: None,
            ..read_summary()
        };
        let email = email_body(&password, "a@b.example", "l@example.com", "https://x");
        let text = email["text"].as_str().unwrap();
        assert!(
            text.starts_with("usr_1 asks for a new password at prod/root (2 approval(s)"),
            "{text}"
        );
        assert_eq!(
            webhook_body(&password, "https://x", t(0))["kind"],
            "password"
        );
        let patch = RequestSummary {
            asked: Asked::Patch {
                request: AccessRequestId::parse("req_0123456789abcdef01234567").unwrap(),
                target: "prod/db".into(),
            },
            ..read_summary()
        };
        let text = email_body(&patch, "a@b.example", "l@example.com", "https://x")["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(text.contains("asks to change the secret prod/db"), "{text}");
    }
}
