//! Telling approvers: the tenant's channels (Slack, a signed webhook, email), the signed,
//! single-use, expiring links they carry, and the message bodies.

use crate::approval::ApprovalId;
use crate::body;
use crate::crypto::{hmac_sha256, hmac_sha256_verify};
use crate::delivery::Channel;
use crate::error::{ApiError, ErrorCode};
use crate::time::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt;

pub mod message;
pub use message::{RequestSummary, email_body, slack_body, webhook_body};

pub const MAX_EMAIL_RECIPIENTS: usize = 20;
pub const MIN_WEBHOOK_SECRET_BYTES: usize = 16;
pub const MAX_WEBHOOK_SECRET_BYTES: usize = 256;
/// A link stays valid at most this long (and never past its request's expiry).
pub const MAX_LINK_SECONDS: i64 = 86_400;

/// Where outbound calls may go: the broker's destination rules (`https` to a public host,
/// [`crate::broker::hosts::public_destination_refusal`]); the one exception is loopback over
/// plain http or https when the deployment allows it (`scripts/dev` and the tests do,
/// production does not). Private, link-local and local-only hosts are refused either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundPolicy {
    pub allow_http_loopback: bool,
}

/// Checks a channel URL against the policy, with the same host normalization and the same
/// public-only classification as the broker's destinations; the error names what is wrong.
pub fn check_url(text: &str, policy: OutboundPolicy) -> Result<(), String> {
    use crate::broker::hosts::{Refusal, parse_outbound_url, public_destination_refusal};
    let (url, host) = parse_outbound_url(text)?;
    if policy.allow_http_loopback && host.is_loopback() {
        return Ok(());
    }
    match public_destination_refusal(url.scheme(), &host) {
        None => Ok(()),
        Some(Refusal::InsecureScheme) if host.is_loopback() => Err(format!(
            "'{text}': plain http to loopback is allowed only in local development"
        )),
        Some(Refusal::InsecureScheme) => Err(format!("'{text}' must use https")),
        Some(_) => Err(format!(
            "'{text}': '{host}' is a private, loopback, link-local or local-only address; channels must point at a public host"
        )),
    }
}

/// A webhook channel: the receiver checks `X-Latchkey-Signature` with the shared secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookChannel {
    pub url: String,
    pub secret: String,
}

impl fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookChannel")
            .field("url", &self.url)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// A tenant's channels. The Slack URL and the webhook secret are credentials: stored sealed,
/// never shown again.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NotificationConfig {
    pub slack_webhook_url: Option<String>,
    pub webhook: Option<WebhookChannel>,
    pub email_to: Vec<String>,
}

impl fmt::Debug for NotificationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationConfig")
            .field("slack", &self.slack_webhook_url.is_some())
            .field("webhook", &self.webhook)
            .field("email_to", &self.email_to)
            .finish()
    }
}

fn check_email(address: &str) -> Result<(), String> {
    let (local, domain) = address
        .split_once('@')
        .ok_or_else(|| format!("'{address}' is not an email address"))?;
    let fine = !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && address.len() <= 254
        && address
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | ',' | ';' | '\\'));
    if fine {
        Ok(())
    } else {
        Err(format!("'{address}' is not an email address"))
    }
}

/// `PUT /v1/notifications` as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsBody {
    #[serde(default)]
    slack_webhook_url: body::OptText,
    #[serde(default)]
    webhook: body::OptObject,
    #[serde(default)]
    email: body::OptObject,
}

/// The `webhook` member as it comes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    url: body::Text,
    secret: body::Text,
}

impl NotificationConfig {
    /// Parses `PUT /v1/notifications` `{slack_webhook_url, webhook: {url, secret}, email:
    /// {to: [..]}}`. A member left out or `null` turns that channel off.
    pub fn parse(bytes: &[u8], policy: OutboundPolicy) -> Result<Self, ApiError> {
        let body: NotificationsBody = body::parse(bytes)?;
        let slack_webhook_url = body
            .slack_webhook_url
            .0
            .map(|url| {
                check_url(&url, policy)
                    .map(|()| url)
                    .map_err(|why| ApiError::validation("slack_webhook_url", why))
            })
            .transpose()?;
        let webhook = match body.webhook.0 {
            None => None,
            Some(map) => {
                let inner: WebhookBody = body::parse_value(Value::Object(map))
                    .map_err(|e| ApiError::validation("webhook", e.message))?;
                let url = inner.url.0;
                check_url(&url, policy).map_err(|why| ApiError::validation("webhook", why))?;
                let secret = inner.secret.0;
                if secret.len() < MIN_WEBHOOK_SECRET_BYTES
                    || secret.len() > MAX_WEBHOOK_SECRET_BYTES
                {
                    return Err(ApiError::validation(
                        "webhook",
                        format!(
                            "'webhook.secret' must be {MIN_WEBHOOK_SECRET_BYTES} to {MAX_WEBHOOK_SECRET_BYTES} bytes"
                        ),
                    ));
                }
                Some(WebhookChannel { url, secret })
            }
        };
        let email_to = match body.email.0 {
            None => Vec::new(),
            Some(map) => {
                let to = match map.get("to") {
                    Some(Value::Array(items)) => items,
                    _ => {
                        return Err(ApiError::validation(
                            "email",
                            "'email' must be {\"to\": [addresses]}",
                        ));
                    }
                };
                if map.len() != 1 || to.is_empty() || to.len() > MAX_EMAIL_RECIPIENTS {
                    return Err(ApiError::validation(
                        "email",
                        format!(
                            "'email.to' must list 1 to {MAX_EMAIL_RECIPIENTS} addresses, and nothing else"
                        ),
                    ));
                }
                let mut addresses: Vec<String> = Vec::with_capacity(to.len());
                for item in to {
                    let address = item.as_str().ok_or_else(|| {
                        ApiError::validation("email", "'email.to' must list strings")
                    })?;
                    check_email(address).map_err(|why| ApiError::validation("email", why))?;
                    let address = address.to_ascii_lowercase();
                    if !addresses.contains(&address) {
                        addresses.push(address);
                    }
                }
                addresses
            }
        };
        Ok(NotificationConfig {
            slack_webhook_url,
            webhook,
            email_to,
        })
    }

    /// What `GET /v1/notifications` shows: no Slack URL path, no webhook secret.
    pub fn public_view(&self) -> Value {
        json!({
            "slack": self.slack_webhook_url.as_ref().map(|url| {
                let host = url.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or("");
                json!({"configured": true, "host": host})
            }),
            "webhook": self.webhook.as_ref().map(|w| json!({"url": w.url, "secret_set": true})),
            "email": if self.email_to.is_empty() { Value::Null } else { json!({"to": self.email_to}) },
        })
    }

    /// One delivery per approver: each email address, the Slack channel, the webhook.
    pub fn recipients(&self) -> Vec<(Channel, String)> {
        let mut out: Vec<(Channel, String)> = self
            .email_to
            .iter()
            .map(|to| (Channel::Email, to.clone()))
            .collect();
        if self.slack_webhook_url.is_some() {
            out.push((Channel::Slack, "slack".to_owned()));
        }
        if self.webhook.is_some() {
            out.push((Channel::Webhook, "webhook".to_owned()));
        }
        out
    }
}

/// Attempts before a delivery is given up.
pub const MAX_DELIVERY_ATTEMPTS: u64 = 8;

/// Seconds to wait after failed attempt number `attempts` (1-based): 1, 2, 4, … capped at
/// 5 minutes.
pub fn retry_delay_seconds(attempts: u64) -> i64 {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    (1i64 << exponent).min(300)
}

/// What a link grants: deciding one request, as one approver, until `expires_at`, once
/// (`nonce` is recorded when used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClaims {
    #[serde(rename = "a")]
    pub approval: ApprovalId,
    #[serde(rename = "p")]
    pub approver: String,
    #[serde(rename = "e")]
    pub expires_ms: i64,
    #[serde(rename = "n")]
    pub nonce: String,
}

/// Why a link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkRefusal {
    /// Not ours: bad shape or signature.
    Forged,
    Expired,
    Used,
    /// A valid link for another request.
    WrongRequest,
}

impl LinkRefusal {
    /// The error for a refused link; the tenant object records it in the audit trail
    /// (`link.refused`). A link naming a tenant that does not exist is refused as `Forged`,
    /// exactly like a forged link of one that does.
    pub fn error(self) -> ApiError {
        let (code, message) = match self {
            LinkRefusal::Forged | LinkRefusal::WrongRequest => {
                (ErrorCode::PermissionDenied, "this link is not valid")
            }
            LinkRefusal::Expired => (ErrorCode::PermissionDenied, "this link has expired"),
            LinkRefusal::Used => (ErrorCode::Conflict, "this link has already been used"),
        };
        ApiError::new(code, message).with("link", self.as_str())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LinkRefusal::Forged => "forged",
            LinkRefusal::Expired => "expired",
            LinkRefusal::Used => "used",
            LinkRefusal::WrongRequest => "wrong_request",
        }
    }
}

/// `base64url(claims JSON) "." base64url(HMAC-SHA256(key, first part))`.
pub fn sign_link(key: &[u8], claims: &LinkClaims) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let tag = hmac_sha256(key, payload.as_bytes());
    format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// Verifies signature, request and expiry (not single use: the caller checks the nonce).
pub fn verify_link(
    key: &[u8],
    token: &str,
    approval: &ApprovalId,
    now: Timestamp,
) -> Result<LinkClaims, LinkRefusal> {
    let (payload, tag) = token.split_once('.').ok_or(LinkRefusal::Forged)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkRefusal::Forged)?;
    if !hmac_sha256_verify(key, payload.as_bytes(), &tag) {
        return Err(LinkRefusal::Forged);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| LinkRefusal::Forged)?;
    let claims: LinkClaims = serde_json::from_slice(&bytes).map_err(|_| LinkRefusal::Forged)?;
    if claims.approval != *approval {
        return Err(LinkRefusal::WrongRequest);
    }
    if claims.expires_ms <= now.unix_ms() {
        return Err(LinkRefusal::Expired);
    }
    Ok(claims)
}

/// The header value a webhook receiver checks: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
/// "<t>." + body)>`. Receivers should refuse timestamps more than 5 minutes old (replays).
pub fn webhook_signature(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    let mut signed = format!("{unix_seconds}.").into_bytes();
    signed.extend_from_slice(body);
    let tag = hmac_sha256(secret.as_bytes(), &signed);
    format!("t={unix_seconds},v1={}", crate::hex::encode(&tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: OutboundPolicy = OutboundPolicy {
        allow_http_loopback: true,
    };
    const PROD: OutboundPolicy = OutboundPolicy {
        allow_http_loopback: false,
    };

    fn id() -> ApprovalId {
        ApprovalId::parse("apr_0123456789abcdef0123456789abcdef").unwrap()
    }

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_ms(ms).unwrap()
    }

    #[test]
    fn urls_follow_the_outbound_policy() {
        assert!(check_url("https://hooks.slack.com/services/x", PROD).is_ok());
        assert!(check_url("http://hooks.slack.com/x", PROD).is_err());
        assert!(check_url("http://127.0.0.1:9000/sink", PROD).is_err());
        assert!(check_url("http://127.0.0.1:9000/sink", DEV).is_ok());
        assert!(check_url("http://localhost/sink", DEV).is_ok());
        assert!(check_url("http://[::1]:80/x", DEV).is_ok());
        assert!(check_url("https://127.0.0.1/x", PROD).is_err());
        for bad in [
            "ftp://x.example",
            "hooks.slack.com",
            "https://",
            "https://u@h.example/",
            "https://:pw@h.example/",
        ] {
            assert!(check_url(bad, DEV).is_err(), "{bad}");
        }
    }

    /// Every spelling of a non-public host the broker refuses is refused here too, http or
    /// https, whatever the policy; only loopback has the development exception.
    #[test]
    fn channel_urls_follow_the_brokers_destination_rules() {
        let loopback = [
            "https://127.1/x",
            "https://0x7f000001/x",
            "https://0x7f.1/x",
            "https://2130706433/x",
            "https://0177.0.0.1/x",
            "https://127.0.0.2/x",
            "https://localhost./x",
            "https://LOCALHOST/x",
            "https://localhost../x",
            "https://[::1]/x",
            "https://127.0.0.1:8443/x",
        ];
        let private = [
            "https://[::ffff:127.0.0.1]/x",
            "https://[::ffff:7f00:1]/x",
            "https://169.254.169.254/latest/meta-data/",
            "https://0xa9fea9fe/",
            "https://10.0.0.1/x",
            "https://10.255.255.255/x",
            "https://172.16.0.1/x",
            "https://172.31.255.255/x",
            "https://192.168.1.1/x",
            "https://100.64.0.1/x",
            "https://100.127.255.255/x",
            "https://0.0.0.0/x",
            "https://0/x",
            "https://[::]/x",
            "https://[fc00::1]/x",
            "https://[fd12:3456::1]/x",
            "https://[fe80::1]/x",
            "https://[febf::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://[::ffff:169.254.169.254]/x",
            "https://[64:ff9b::a00:1]/x",
            "https://[64:ff9b::a9fe:a9fe]/x",
            "https://[2002:a00:1::1]/x",
            "https://printer.local/x",
            "https://db.internal/x",
            "https://db.internal./x",
            "https://app.localhost/x",
            "https://router.home.arpa/x",
            "https://intranet/x",
            "https://intranet./x",
            "https://224.0.0.1/x",
            "https://255.255.255.255/x",
        ];
        for url in loopback.iter().chain(&private) {
            assert!(check_url(url, PROD).is_err(), "{url} in production");
            let plain = url.replacen("https://", "http://", 1);
            assert!(check_url(&plain, PROD).is_err(), "{plain} in production");
        }
        for url in private {
            assert!(
                check_url(url, DEV).is_err(),
                "{url} with the loopback exception"
            );
            let plain = url.replacen("https://", "http://", 1);
            assert!(
                check_url(&plain, DEV).is_err(),
                "{plain} with the loopback exception"
            );
        }
        for url in loopback {
            assert!(
                check_url(url, DEV).is_ok(),
                "{url} with the loopback exception"
            );
            let plain = url.replacen("https://", "http://", 1);
            assert!(
                check_url(&plain, DEV).is_ok(),
                "{plain} with the loopback exception"
            );
        }
        for public in [
            "https://hooks.slack.com/services/T000/B000/XXXX",
            "https://HOOKS.slack.com./services/x",
            "https://example.com:8443/hook?x=1",
            "https://8.8.8.8/hook",
            "https://[2606:4700::1111]/hook",
            "https://xn--bcher-kva.example/hook",
        ] {
            assert!(check_url(public, PROD).is_ok(), "{public}");
            assert!(check_url(public, DEV).is_ok(), "{public}");
            let plain = public.replacen("https://", "http://", 1);
            assert!(check_url(&plain, PROD).is_err(), "{plain}");
            assert!(check_url(&plain, DEV).is_err(), "{plain}");
        }
        // A Unicode host is refused with the way to write it (the Worker has no IDNA tables).
        let why = check_url("https://bücher.example/hook", PROD).unwrap_err();
        assert!(why.contains("xn--"), "{why}");
        assert!(check_url("https://example.com/bücher", PROD).is_ok());
        // The message names the problem, not a stack of parser internals.
        let why = check_url("https://169.254.169.254/", DEV).unwrap_err();
        assert!(why.contains("private"), "{why}");
    }

    #[test]
    fn config_parses_and_hides_its_secrets() {
        let config = NotificationConfig::parse(
            br#"{"slack_webhook_url": "https://hooks.slack.com/services/T/B/secretpath",
                 "webhook": {"url": "https://example.com/hook", "secret": "0123456789abcdef"},
                 "email": {"to": ["Alice@Example.com", "bob@example.com", "alice@example.com"]}}"#,
            PROD,
        )
        .unwrap();
        assert_eq!(config.email_to, ["alice@example.com", "bob@example.com"]);
        let view = config.public_view().to_string();
        assert!(
            !view.contains("secretpath") && !view.contains("0123456789abcdef"),
            "{view}"
        );
        assert!(!format!("{config:?}").contains("0123456789abcdef"));
        assert_eq!(config.recipients().len(), 4);
        for bad in [
            r#"{"slack_webhook_url": "http://hooks.slack.com/x"}"#,
            r#"{"webhook": {"url": "https://e.example/h", "secret": "short"}}"#,
            r#"{"webhook": {"url": "https://e.example/h"}}"#,
            r#"{"email": {"to": []}}"#,
            r#"{"email": {"to": ["not-an-address"]}}"#,
            r#"{"email": {"to": ["a@b.example"], "cc": []}}"#,
            r#"{"email": ["a@b.example"]}"#,
            r#"{"sms": "x"}"#,
        ] {
            assert_eq!(
                NotificationConfig::parse(bad.as_bytes(), PROD)
                    .unwrap_err()
                    .status(),
                422,
                "{bad}"
            );
        }
    }

    #[test]
    fn links_verify_only_unchanged_unexpired_and_for_their_request() {
        let key = [7u8; 32];
        let claims = LinkClaims {
            approval: id(),
            approver: "email:alice@example.com".into(),
            expires_ms: 2_000,
            nonce: "n1".into(),
        };
        let link = sign_link(&key, &claims);
        assert_eq!(
            verify_link(&key, &link, &id(), t(1_000)),
            Ok(claims.clone())
        );
        assert_eq!(
            verify_link(&key, &link, &id(), t(2_000)),
            Err(LinkRefusal::Expired)
        );
        assert_eq!(
            verify_link(&[8u8; 32], &link, &id(), t(1_000)),
            Err(LinkRefusal::Forged)
        );
        let other = ApprovalId::parse("apr_0123456789abcdef0123456789abcdee").unwrap();
        assert_eq!(
            verify_link(&key, &link, &other, t(1_000)),
            Err(LinkRefusal::WrongRequest)
        );
        // Changing the claims (e.g. the approver) breaks the signature.
        let (_, tag) = link.split_once('.').unwrap();
        let forged_claims = LinkClaims {
            approver: "email:mallory@example.com".into(),
            ..claims
        };
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_claims).unwrap());
        let forged = format!("{forged_payload}.{tag}");
        assert_eq!(
            verify_link(&key, &forged, &id(), t(1_000)),
            Err(LinkRefusal::Forged)
        );
        for junk in ["", ".", "abc", "a.b", "!!.!!"] {
            assert_eq!(
                verify_link(&key, junk, &id(), t(0)),
                Err(LinkRefusal::Forged),
                "{junk}"
            );
        }
    }

    #[test]
    fn webhook_signatures_cover_time_and_body() {
        let a = webhook_signature("0123456789abcdef", 100, b"{}");
        assert!(a.starts_with("t=100,v1="));
        assert_ne!(a, webhook_signature("0123456789abcdef", 101, b"{}"));
        assert_ne!(a, webhook_signature("0123456789abcdef", 100, b"{ }"));
        assert_ne!(a, webhook_signature("0123456789abcdeF", 100, b"{}"));
    }
}
