//! Telling approvers about a new request: the tenant's channels (sealed), one outbox row per
//! approver, delivery from the alarm with retries, and decisions through signed links.
//!
//! Nothing here runs in a request's path except writing outbox rows: the messages go out
//! from the alarm, so a slow receiver never slows the API.

use crate::approvals::{self, Decision};
use crate::sql::{Row, StorageError, execute, query, query_one};
use crate::sql::{Storage, Value as V};
use crate::store::{Failure, SecretContext, in_transaction, internal, read_count, read_opt_ts, ts};
use latchkey_contract::link::LinkReview;
use latchkey_core::approval::{ApprovalId, ApprovalView};
use latchkey_core::crypto::{Sealed, random_bytes};
use latchkey_core::delivery::{Channel, DeliveryStatus};
use latchkey_core::notification::message::{Asked, console_link};
use latchkey_core::notification::{
    LinkClaims, LinkRefusal, MAX_DELIVERY_ATTEMPTS, MAX_LINK_SECONDS, NotificationConfig,
    RequestSummary, email_body, retry_delay_seconds, sign_link, slack_body, verify_link,
    webhook_body, webhook_signature,
};
use latchkey_core::public_url::LinkBaseProblem;
use latchkey_core::{ApiError, Timestamp};

const CONFIG_PURPOSE: &str = "notifications";
const LINK_KEY_LABEL: &str = "approval-links";

pub fn load_config(ctx: &SecretContext<'_>) -> Result<NotificationConfig, Failure> {
    let Some(row) = query_one(
        ctx.storage,
        "SELECT hex(wrapped_data_key), hex(ciphertext) FROM notification_config",
        vec![],
    )?
    else {
        return Ok(NotificationConfig::default());
    };
    let sealed = Sealed {
        wrapped_data_key: row.blob(0)?,
        ciphertext: row.blob(1)?,
    };
    let json = ctx.open_config(CONFIG_PURPOSE, &sealed)?;
    serde_json::from_str(&json).map_err(|e| Failure::Client(internal("notification config", e)))
}

/// `PUT /v1/notifications`: replaces the channels.
pub fn save_config(ctx: &SecretContext<'_>, config: &NotificationConfig) -> Result<(), ApiError> {
    let json = serde_json::to_string(config).map_err(|e| internal("notification config", e))?;
    in_transaction(ctx.storage, "save notifications", || {
        let sealed = ctx.seal_config(CONFIG_PURPOSE, &json)?;
        execute(
            ctx.storage,
            "INSERT INTO notification_config (singleton, wrapped_data_key, ciphertext, updated_at)
             VALUES (1, ?, ?, ?)
             ON CONFLICT (singleton) DO UPDATE SET wrapped_data_key = excluded.wrapped_data_key,
                ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
            vec![
                V::Blob(sealed.wrapped_data_key),
                V::Blob(sealed.ciphertext),
                ts(ctx.now),
            ],
        )?;
        Ok(())
    })
}

fn nonce() -> Result<String, Failure> {
    let bytes = random_bytes::<16>().map_err(|e| Failure::Client(internal("nonce", e)))?;
    Ok(latchkey_core::hex::encode(&bytes))
}

/// Queues the messages for a request's current stage (issue 24), inside the transaction that
/// started it or moved it on, for any kind of request (`request`: its id): an `any` stage goes
/// to the tenant's channels; a role's or listed users' stage to each of those people's
/// addresses, plus the Slack and webhook channels (the message names the stage). Each row
/// records the stage: a token request's link decides that stage only. A request with no
/// stages (a password request no workflow governs: one `agents:admin` decision) goes to the
/// channels.
pub fn enqueue_stage(
    ctx: &SecretContext<'_>,
    request: &str,
    progress: Option<&latchkey_core::workflow::progress::Progress>,
    request_expires_at: Timestamp,
) -> Result<u64, Failure> {
    use latchkey_core::workflow::Approvers;
    let stage = match progress {
        Some(progress) => match progress.current_stage() {
            Some(stage) => Some((progress.current, stage)),
            None => return Ok(0),
        },
        None => None,
    };
    let config = load_config(ctx)?;
    let link_expires_at = request_expires_at.min(ctx.now.plus_seconds(MAX_LINK_SECONDS));
    let approvers = stage.map_or(&Approvers::Any, |(_, s)| &s.stage.approvers);
    let mut recipients: Vec<(Channel, String)> = match approvers {
        Approvers::Any => config.recipients(),
        Approvers::Role(role) => query(
            ctx.storage,
            "SELECT u.email FROM users u JOIN user_roles r ON r.user_id = u.id
             WHERE r.role_id = ? ORDER BY u.email",
            vec![role.as_str().into()],
        )?
        .iter()
        .map(|row| row.text(0).map(|email| (Channel::Email, email)))
        .collect::<Result<_, _>>()?,
        Approvers::Users(users) => {
            let mut out = Vec::with_capacity(users.len());
            for user in users {
                if let Some(row) = query_one(
                    ctx.storage,
                    "SELECT email FROM users WHERE id = ?",
                    vec![user.as_str().into()],
                )? {
                    out.push((Channel::Email, row.text(0)?));
                }
            }
            out
        }
    };
    if !matches!(approvers, Approvers::Any) {
        recipients.extend(
            config
                .recipients()
                .into_iter()
                .filter(|(channel, _)| *channel != Channel::Email),
        );
    }
    for (channel, recipient) in &recipients {
        execute(
            ctx.storage,
            "INSERT INTO deliveries (request_id, channel, recipient, nonce, link_expires_at,
                status, attempts, next_attempt_at, stage)
             VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            vec![
                request.into(),
                channel.as_str().into(),
                recipient.as_str().into(),
                nonce()?.into(),
                ts(link_expires_at),
                ts(ctx.now),
                stage
                    .map(|(index, _)| i64::try_from(index).unwrap_or(i64::MAX))
                    .into(),
            ],
        )?;
    }
    Ok(recipients.len() as u64)
}

/// The notifications of one request, for its view.
pub fn statuses(storage: &Storage, request: &str) -> Result<Vec<DeliveryStatus>, StorageError> {
    query(
        storage,
        "SELECT channel, recipient, status, attempts, last_error, sent_at, next_attempt_at
         FROM deliveries WHERE request_id = ? ORDER BY id",
        vec![request.into()],
    )?
    .iter()
    .map(|row| {
        Ok(DeliveryStatus {
            channel: Channel::parse(&row.text(0)?)
                .ok_or_else(|| StorageError("unknown channel".into()))?,
            recipient: row.text(1)?,
            status: row.text(2)?,
            attempts: read_count(row, 3)?,
            last_error: row.opt_text(4)?,
            sent_at: read_opt_ts(row, 5)?,
            next_attempt_at: read_opt_ts(row, 6)?,
        })
    })
    .collect()
}

/// A message ready to send: everything the alarm needs after it stops touching storage.
pub struct Outgoing {
    pub delivery_id: i64,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Where and how email goes: the deployment's HTTP email API.
pub struct EmailApi {
    pub url: Option<String>,
    pub key: Option<String>,
    pub from: String,
}

struct DueRow {
    id: i64,
    /// `apr_…`, `req_…` or `pwr_…`.
    request: String,
    channel: Channel,
    recipient: String,
    nonce: String,
    link_expires_at: Timestamp,
    stage: Option<usize>,
}

fn parse_due(row: &Row) -> Result<DueRow, StorageError> {
    Ok(DueRow {
        id: row.int(0)?,
        request: row.text(1)?,
        channel: Channel::parse(&row.text(2)?).ok_or_else(|| StorageError("channel".into()))?,
        recipient: row.text(3)?,
        nonce: row.text(4)?,
        link_expires_at: read_opt_ts(row, 5)?.ok_or_else(|| StorageError("expiry".into()))?,
        stage: row
            .opt_int(6)?
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
    })
}

/// The link an approver gets: for a token request the review page, with a token only they
/// hold; for the other kinds the console at that request (see [`console_link`]).
fn link(ctx: &SecretContext<'_>, origin: &str, due: &DueRow, asked: &Asked) -> String {
    let Asked::Token { approval, .. } = asked else {
        return console_link(origin, ctx.tenant_id, asked.request_id());
    };
    let key = ctx.tenant_key.derive(LINK_KEY_LABEL);
    let claims = LinkClaims {
        approval: approval.clone(),
        approver: due.channel.approver(&due.recipient),
        expires_ms: due.link_expires_at.unix_ms(),
        nonce: due.nonce.clone(),
    };
    format!(
        "{origin}/approvals/{approval}/review?t={}",
        sign_link(key.as_bytes(), &claims)
    )
}

/// What the message about one request says, for the message sent for a stage (`None` once the
/// request is gone). The caller knows every kind of request: this module knows none but
/// token requests', so the requests' modules may queue messages here without a cycle.
pub type Summarize<'a> = dyn Fn(&Storage, &str, Option<usize>, Timestamp) -> Result<Option<RequestSummary>, Failure>
    + 'a;

/// Builds the messages due at `ctx.now` (at most `limit`). A message that cannot be built is
/// recorded as failed at once: among others every message when there is no origin for its
/// link (`links`, from `PUBLIC_URL` only: `not sent: PUBLIC_URL is not set`).
pub fn due_messages(
    ctx: &SecretContext<'_>,
    email: &EmailApi,
    links: Result<&str, LinkBaseProblem>,
    limit: i64,
    summary: &Summarize<'_>,
) -> Result<Vec<Outgoing>, ApiError> {
    in_transaction(ctx.storage, "due deliveries", || {
        let rows = query(
            ctx.storage,
            "SELECT id, request_id, channel, recipient, nonce, link_expires_at, stage FROM deliveries
             WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
            vec![ts(ctx.now), V::Integer(limit)],
        )?;
        let config = load_config(ctx)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let due = parse_due(row)?;
            let Some(summary) = summary(ctx.storage, &due.request, due.stage, ctx.now)? else {
                give_up(ctx.storage, due.id, "the request no longer exists")?;
                continue;
            };
            let link = match links {
                Ok(origin) => link(ctx, origin, &due, &summary.asked),
                Err(problem) => {
                    give_up(ctx.storage, due.id, &problem.delivery_outcome())?;
                    continue;
                }
            };
            let built = match due.channel {
                Channel::Slack => config.slack_webhook_url.clone().map(|url| Outgoing {
                    delivery_id: due.id,
                    url,
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: slack_body(&summary, &link).to_string(),
                }),
                Channel::Webhook => config.webhook.as_ref().map(|hook| {
                    let body = webhook_body(&summary, &link, ctx.now).to_string();
                    let signature =
                        webhook_signature(&hook.secret, ctx.now.unix_ms() / 1000, body.as_bytes());
                    Outgoing {
                        delivery_id: due.id,
                        url: hook.url.clone(),
                        headers: vec![
                            ("Content-Type".into(), "application/json".into()),
                            ("X-Latchkey-Signature".into(), signature),
                        ],
                        body,
                    }
                }),
                Channel::Email => email.url.clone().map(|url| {
                    let mut headers = vec![("Content-Type".into(), "application/json".into())];
                    if let Some(key) = &email.key {
                        headers.push(("Authorization".into(), format!("Bearer {key}")));
                    }
                    Outgoing {
                        delivery_id: due.id,
                        url,
                        headers,
                        body: email_body(&summary, &due.recipient, &email.from, &link).to_string(),
                    }
                }),
            };
            match built {
                Some(message) => out.push(message),
                None => give_up(
                    ctx.storage,
                    due.id,
                    match due.channel {
                        Channel::Email => "no email API is configured (EMAIL_API_URL)",
                        _ => "the channel was removed before the message went out",
                    },
                )?,
            }
        }
        Ok(out)
    })
}

fn give_up(storage: &Storage, id: i64, why: &str) -> Result<(), StorageError> {
    execute(
        storage,
        "UPDATE deliveries SET status = 'failed', last_error = ?, next_attempt_at = NULL
         WHERE id = ?",
        vec![why.into(), V::Integer(id)],
    )
}

/// Records one attempt's outcome: sent, retried later with backoff, or given up.
pub fn record_attempt(
    storage: &Storage,
    id: i64,
    outcome: Result<(), String>,
    now: Timestamp,
) -> Result<(), StorageError> {
    match outcome {
        Ok(()) => execute(
            storage,
            "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?,
                next_attempt_at = NULL, last_error = NULL WHERE id = ?",
            vec![ts(now), V::Integer(id)],
        ),
        Err(why) => {
            let attempts = query_one(
                storage,
                "SELECT attempts FROM deliveries WHERE id = ?",
                vec![V::Integer(id)],
            )?
            .map(|row| read_count(&row, 0))
            .transpose()?
            .unwrap_or(0)
                + 1;
            if attempts >= MAX_DELIVERY_ATTEMPTS {
                execute(
                    storage,
                    "UPDATE deliveries SET status = 'failed', attempts = ?, last_error = ?,
                        next_attempt_at = NULL WHERE id = ?",
                    vec![
                        V::Integer(i64::try_from(attempts).unwrap_or(i64::MAX)),
                        why.into(),
                        V::Integer(id),
                    ],
                )
            } else {
                execute(
                    storage,
                    "UPDATE deliveries SET attempts = ?, last_error = ?, next_attempt_at = ?
                     WHERE id = ?",
                    vec![
                        V::Integer(i64::try_from(attempts).unwrap_or(i64::MAX)),
                        why.into(),
                        ts(now.plus_seconds(retry_delay_seconds(attempts))),
                        V::Integer(id),
                    ],
                )
            }
        }
    }
}

/// The next time a delivery is due, for the alarm.
pub fn next_attempt(storage: &Storage) -> Result<Option<Timestamp>, StorageError> {
    match query_one(
        storage,
        "SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'",
        vec![],
    )? {
        Some(row) => read_opt_ts(&row, 0),
        None => Ok(None),
    }
}

/// Checks a link without using it up (the page's `GET`: mail scanners open links too).
fn check_link(
    ctx: &SecretContext<'_>,
    approval: &ApprovalId,
    token: &str,
) -> Result<LinkClaims, ApiError> {
    let key = ctx.tenant_key.derive(LINK_KEY_LABEL);
    let claims =
        verify_link(key.as_bytes(), token, approval, ctx.now).map_err(LinkRefusal::error)?;
    let issued = query_one(
        ctx.storage,
        "SELECT 1 FROM deliveries WHERE nonce = ? AND request_id = ?",
        vec![claims.nonce.as_str().into(), approval.as_str().into()],
    )
    .map_err(|e| internal("link lookup", e))?
    .is_some();
    if !issued {
        return Err(LinkRefusal::Forged.error());
    }
    let used = query_one(
        ctx.storage,
        "SELECT 1 FROM used_links WHERE nonce = ?",
        vec![claims.nonce.as_str().into()],
    )
    .map_err(|e| internal("link lookup", e))?
    .is_some();
    if used {
        return Err(LinkRefusal::Used.error());
    }
    check_link_stage(ctx, approval, &claims.nonce)?;
    Ok(claims)
}

/// A link sent for one stage decides that stage only (issue 24): 409 once the request has
/// moved on (or when it names a stage the request is not at).
fn check_link_stage(
    ctx: &SecretContext<'_>,
    approval: &ApprovalId,
    nonce: &str,
) -> Result<(), ApiError> {
    let fail = |e: StorageError| internal("link stage", e);
    let sent_for = query_one(
        ctx.storage,
        "SELECT stage FROM deliveries WHERE nonce = ?",
        vec![nonce.into()],
    )
    .map_err(fail)?
    .map(|row| row.opt_int(0))
    .transpose()
    .map_err(fail)?
    .flatten();
    let Some(sent_for) = sent_for else {
        return Ok(());
    };
    let current = approvals::current_stage(ctx.storage, approval).map_err(fail)?;
    match current {
        Some(current) if i64::try_from(current).ok() == Some(sent_for) => Ok(()),
        // Decided or expired requests answer as they always did.
        None => Ok(()),
        Some(current) => Err(ApiError::conflict(format!(
            "this link was sent for stage {sent_for}; the request is now at stage {current}, and only that stage's approvers may decide it"
        ))
        .with("stage", current as u64)),
    }
}

/// `GET /approvals/{id}/review?t=…`.
pub fn review(
    ctx: &SecretContext<'_>,
    approval: &ApprovalId,
    token: &str,
) -> Result<LinkReview, ApiError> {
    let claims = check_link(ctx, approval, token)?;
    let view = approvals::view_by_id(ctx, approval)?;
    Ok(LinkReview {
        view,
        approver: claims.approver,
    })
}

/// `POST /approvals/{id}/review`: decides as the link's approver and uses the link up, in
/// one transaction.
pub fn decide(
    ctx: &SecretContext<'_>,
    approval: &ApprovalId,
    token: &str,
    approve: bool,
    note: Option<String>,
) -> Result<LinkReview, ApiError> {
    let claims = check_link(ctx, approval, token)?;
    let decision = if approve {
        Decision::Approve(note)
    } else {
        Decision::Deny(note)
    };
    // A person with an account who also approved in the API counts once.
    let approver = crate::people::person_behind(ctx.storage, &claims.approver)
        .map_err(|e| internal("link approver", e))?;
    let view = approvals::decide_with(ctx, &approver, approval, decision, |storage| {
        execute(
            storage,
            "INSERT INTO used_links (nonce, approval_id, approver, used_at) VALUES (?, ?, ?, ?)",
            vec![
                claims.nonce.as_str().into(),
                approval.as_str().into(),
                claims.approver.as_str().into(),
                ts(ctx.now),
            ],
        )
    })?;
    Ok(LinkReview { view, approver })
}

/// For the request summary in messages.
pub fn summary_of(view: &ApprovalView) -> RequestSummary {
    RequestSummary {
        asked: Asked::Token {
            approval: view.id.clone(),
            scope: view.request.scope.to_string(),
        },
        requester: view.requester.clone(),
        requester_description: view.requester_description.clone(),
        tier: Some(view.tier.as_str().to_owned()),
        required_approvals: view.required_approvals,
        expires_at: view.expires_at,
        stage: None,
    }
}
