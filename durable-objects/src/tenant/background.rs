//! The tenant object's background work: the alarm (counts kept in memory written back,
//! maintenance, deliveries to approvers, the audit copy to D1) and its scheduling. Nothing here runs in a request's path.

use super::*;
use crate::audit_copy;
use latchkey_core::public_url::{LinkBaseProblem, PUBLIC_URL_VAR, link_base};

/// Events copied to D1 per batch (one D1 round trip).
const EXPORT_BATCH: u32 = 500;

impl Tenant {
    /// The alarm: runs maintenance, then sets the alarm for the next time it is due. An error
    /// makes the runtime retry the alarm.
    pub async fn alarm(&self) -> worker::Result<Response> {
        let Some(loaded) = self
            .load()
            .map_err(|e| worker::Error::RustError(e.message))?
        else {
            return Response::ok("no tenant");
        };
        let storage = self.storage();
        // Maintenance erases and expires versions behind the cache's back.
        self.secret_cache.clear();
        // Cleared first: counts taken while this alarm awaits set the next one.
        self.write_back_pending.set(false);
        self.write_back(&storage, now());
        let purged = maintenance::purge(&self.context(&storage, &loaded, now()));
        // The purge may have written events without the cache.
        self.audit_head.forget();
        let purged = purged.map_err(|e| worker::Error::RustError(e.message))?;
        self.deliver(&loaded).await;
        // Cleared before the copy: events recorded while it runs schedule the next one.
        self.export_pending.set(false);
        if let Err(e) = self.export_audit(&loaded).await {
            // Retried by the next alarm: the copy catches up from where it stopped.
            console_error!("tenant object: copy audit events to D1: {e}");
        }
        self.schedule_maintenance().await;
        Response::ok(format!("purged {} secrets", purged.secrets))
    }

    /// Copies audit events D1 does not have yet, [`EXPORT_BATCH`] per D1 batch (one round trip,
    /// a few statements: `audit_copy`), and moves the copy's cursor after each batch.
    async fn export_audit(&self, loaded: &Loaded) -> Result<(), String> {
        let db = self.env.d1(D1_BINDING).map_err(|e| e.to_string())?;
        let storage = self.storage();
        let tenant = JsValue::from_str(loaded.tenant_id.as_str());
        loop {
            let events = audit::unexported(&storage, EXPORT_BATCH).map_err(|e| e.to_string())?;
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(());
            };
            let mut statements = Vec::new();
            for chunk in audit_copy::chunks(&events).map_err(|e| e.to_string())? {
                statements.push(
                    db.prepare(audit_copy::INSERT_EVENTS)
                        .bind(&[tenant.clone(), JsValue::from_str(&chunk)])
                        .map_err(|e| e.to_string())?,
                );
            }
            db.batch(statements).await.map_err(|e| e.to_string())?;
            audit::mark_exported(&storage, last).map_err(|e| e.to_string())?;
        }
    }

    /// Sets the alarm for the next maintenance, unless it is already set for that time or
    /// earlier. Failures are logged: the next command that starts a clock tries again.
    pub(super) async fn schedule_maintenance(&self) {
        let storage = self.storage();
        let now = now();
        let write_back_at = self.owes_writes().then(|| now.plus_seconds(1));
        let due = match maintenance::next_due(&storage, self.retention_seconds, now) {
            Ok(due) => match due.into_iter().chain(write_back_at).min() {
                Some(due) => due,
                None => return,
            },
            Err(e) => {
                console_error!("tenant object: next maintenance: {e}");
                return;
            }
        };
        let scheduled = storage.get_alarm().await;
        let keep = matches!(scheduled, Ok(Some(at)) if at <= due.unix_ms());
        // An i64 would be an offset from now; the alarm wants the absolute time.
        let at = ScheduledTime::new(worker::js_sys::Date::new(&JsValue::from_f64(
            due.unix_ms() as f64
        )));
        if !keep && let Err(e) = storage.set_alarm(at).await {
            console_error!("tenant object: set alarm: {e}");
        }
    }

    /// Sends the messages that are due, one at a time, recording each outcome. Storage is
    /// not touched while a message is in flight.
    async fn deliver(&self, loaded: &Loaded) {
        let storage = self.storage();
        let messages = {
            let ctx = self.context(&storage, loaded, now());
            let links = self.link_base();
            let links = links.as_deref().map_err(|p| *p);
            match notifications::due_messages(&ctx, &self.email_api(), links, 20) {
                Ok(messages) => messages,
                Err(e) => {
                    console_error!("tenant object: due deliveries: {}", e.message);
                    return;
                }
            }
        };
        for message in messages {
            let outcome = send(&message).await;
            if let Err(e) =
                notifications::record_attempt(&storage, message.delivery_id, outcome, now())
            {
                console_error!("tenant object: record delivery: {e}");
            }
        }
    }

    /// The origin approvers' links point at: `PUBLIC_URL`, and nothing a request said.
    fn link_base(&self) -> Result<String, LinkBaseProblem> {
        let configured = self.env.var(PUBLIC_URL_VAR).ok().map(|v| v.to_string());
        link_base(configured.as_deref())
    }

    fn email_api(&self) -> notifications::EmailApi {
        let text = |name: &str| {
            self.env
                .var(name)
                .map(|v| v.to_string())
                .or_else(|_| self.env.secret(name).map(|v| v.to_string()))
                .ok()
                .filter(|v| !v.is_empty())
        };
        notifications::EmailApi {
            url: text("EMAIL_API_URL"),
            key: text("EMAIL_API_KEY"),
            from: text("EMAIL_FROM").unwrap_or_else(|| "latchkey@localhost".to_owned()),
        }
    }
}

/// How long a receiver may take to answer one message.
const DELIVERY_TIMEOUT_SECONDS: u64 = 10;

/// One outbound message. A non-2xx answer, a network error or no answer within the timeout is
/// a failed attempt.
async fn send(message: &notifications::Outgoing) -> Result<(), String> {
    let headers = worker::Headers::new();
    for (name, value) in &message.headers {
        headers
            .set(name, value)
            .map_err(|e| format!("header {name}: {e}"))?;
    }
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&message.body)));
    let request = Request::new_with_init(&message.url, &init).map_err(|e| e.to_string())?;
    let fetch = worker::Fetch::Request(request);
    let call = fetch.send();
    let timeout = worker::Delay::from(std::time::Duration::from_secs(DELIVERY_TIMEOUT_SECONDS));
    futures_util::pin_mut!(call);
    let response = match futures_util::future::select(call, timeout).await {
        futures_util::future::Either::Left((result, _)) => {
            result.map_err(|e| format!("network error: {e}"))?
        }
        futures_util::future::Either::Right(_) => {
            return Err(format!("no answer within {DELIVERY_TIMEOUT_SECONDS} s"));
        }
    };
    match response.status_code() {
        200..=299 => Ok(()),
        status => Err(format!("HTTP {status}")),
    }
}
