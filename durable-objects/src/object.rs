//! The tenant object on the platform: the Durable Object's storage, its clock, its alarm,
//! the deployment's configuration (read once), and the network calls the alarm makes
//! (deliveries to approvers, the audit copy to D1). Everything else is [`Tenant`], which
//! knows none of this.

use crate::approvals::notifications::{EmailApi, Outgoing};
use crate::audit_copy;
use crate::tenant::{Tenant, TenantConfig};
use latchkey_contract::TenantResponse;
use latchkey_core::approval::DEFAULT_APPROVAL_TTL_SECONDS;
use latchkey_core::broker::hosts::{InsecureHosts, PROXY_INSECURE_HOSTS_VAR};
use latchkey_core::crypto::RootKey;
use latchkey_core::public_url::{PUBLIC_URL_VAR, link_base};
use latchkey_core::secret::RESTORE_WINDOW_SECONDS;
use latchkey_core::{ApiError, Timestamp};
use worker::wasm_bindgen::JsValue;
use worker::{Date, Env, Request, Response, ScheduledTime, State, console_error};

mod socket;

/// The Worker var that enables the benchmark's baseline route (`scripts/bench` only).
pub const BENCH_VAR: &str = "BENCH";

/// The D1 binding (`wrangler.toml`): the audit copy lives there.
pub const D1_BINDING: &str = "DB";

/// The Worker secret holding the root key.
pub const ROOT_KEY_SECRET: &str = "ROOT_KEY";

/// The Worker var that shortens the restore window of soft-deleted secrets (tests use
/// seconds); unset, it is 30 days.
pub const RETENTION_VAR: &str = "SOFT_DELETE_RETENTION_SECONDS";

/// The Worker var that sets how long an approval request waits for decisions (tests use
/// seconds); unset, it is 24 hours.
pub const APPROVAL_TTL_VAR: &str = "APPROVAL_TTL_SECONDS";

/// Events copied to D1 per batch (one D1 round trip).
const EXPORT_BATCH: u32 = 500;

/// Messages sent per alarm.
const DELIVERIES_PER_ALARM: i64 = 20;

/// How long a receiver may take to answer one message.
const DELIVERY_TIMEOUT_SECONDS: u64 = 10;

/// The tenant object as the Durable Object runs it.
pub struct TenantHost {
    state: State,
    env: Env,
    tenant: Tenant,
}

/// The deployment's configuration, read once.
fn config(env: &Env) -> TenantConfig {
    let text = |name: &str| {
        env.var(name)
            .map(|v| v.to_string())
            .or_else(|_| env.secret(name).map(|v| v.to_string()))
            .ok()
            .filter(|v| !v.is_empty())
    };
    let seconds = |name: &str, default: i64| {
        text(name)
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(default)
    };
    let root_key = env
        .secret(ROOT_KEY_SECRET)
        .map_err(|e| format!("ROOT_KEY is not configured: {e}"))
        .and_then(|text| {
            RootKey::from_base64(&text.to_string())
                .map_err(|e| format!("ROOT_KEY is unusable: {e}"))
        });
    TenantConfig {
        retention_seconds: seconds(RETENTION_VAR, RESTORE_WINDOW_SECONDS),
        approval_ttl_seconds: seconds(APPROVAL_TTL_VAR, DEFAULT_APPROVAL_TTL_SECONDS),
        bench_enabled: env.var(BENCH_VAR).is_ok_and(|v| v.to_string() == "true"),
        root_key,
        insecure_hosts: env
            .var(PROXY_INSECURE_HOSTS_VAR)
            .map(|v| InsecureHosts::parse(&v.to_string()))
            .unwrap_or_default(),
        link_base: link_base(
            env.var(PUBLIC_URL_VAR)
                .ok()
                .map(|v| v.to_string())
                .as_deref(),
        ),
        email_api: EmailApi {
            url: text("EMAIL_API_URL"),
            key: text("EMAIL_API_KEY"),
            from: text("EMAIL_FROM").unwrap_or_else(|| "latchkey@localhost".to_owned()),
        },
    }
}

fn platform_now() -> Timestamp {
    Timestamp::from_unix_ms_f64(Date::now().as_millis() as f64)
}

impl TenantHost {
    pub fn new(state: State, env: Env) -> Self {
        let tenant = Tenant::new(
            Box::new(state.storage()),
            config(&env),
            Box::new(platform_now),
        );
        TenantHost { state, env, tenant }
    }

    /// Answers one command. Transport failures (an unreadable body) are 500s; everything
    /// else is the command's own result.
    pub async fn fetch(&self, mut request: Request) -> worker::Result<Response> {
        if socket::is_upgrade(&request) {
            return self.connect(&request).await;
        }
        // Decoded with serde_json from the text, not through JS `JSON.parse`: a JS number
        // cannot hold every u64, and an integer of 2^53 or more (a `?version=`, an
        // `If-Match`, a cursor) would fail to decode into a 500.
        let decoded = request.text().await.and_then(|text| {
            serde_json::from_str::<latchkey_contract::TenantRequest>(&text)
                .map_err(worker::Error::from)
        });
        let response = match decoded {
            Ok(request) => {
                let answered = self.tenant.answer(request);
                self.push(answered.pushes);
                if answered.schedule_maintenance {
                    self.schedule_maintenance().await;
                }
                answered.response
            }
            Err(e) => {
                console_error!("tenant object: unreadable command: {e}");
                TenantResponse {
                    rate: None,
                    result: Err(ApiError::internal()),
                }
            }
        };
        Response::from_json(&response)
    }

    /// The alarm: runs maintenance, delivers what is due, copies the audit trail to D1, then
    /// sets the alarm for the next time it is due. An error makes the runtime retry it.
    pub async fn alarm(&self) -> worker::Result<Response> {
        let Some(maintained) = self
            .tenant
            .maintain()
            .map_err(|e| worker::Error::RustError(e.message))?
        else {
            return Response::ok("no tenant");
        };
        self.deliver().await;
        if let Err(e) = self.export_audit().await {
            // Retried by the next alarm: the copy catches up from where it stopped.
            console_error!("tenant object: copy audit events to D1: {e}");
        }
        self.schedule_maintenance().await;
        Response::ok(format!("purged {} secrets", maintained.purged_secrets))
    }

    /// Copies audit events D1 does not have yet, [`EXPORT_BATCH`] per D1 batch (one round trip,
    /// a few statements: `audit_copy`), and moves the copy's cursor after each batch.
    async fn export_audit(&self) -> Result<(), String> {
        let db = self.env.d1(D1_BINDING).map_err(|e| e.to_string())?;
        loop {
            let Some((tenant, events)) = self.tenant.unexported_events(EXPORT_BATCH)? else {
                return Ok(());
            };
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(());
            };
            let tenant = JsValue::from_str(tenant.as_str());
            let mut statements = Vec::new();
            for chunk in audit_copy::chunks(&events).map_err(|e| e.to_string())? {
                statements.push(
                    db.prepare(audit_copy::INSERT_EVENTS)
                        .bind(&[tenant.clone(), JsValue::from_str(&chunk)])
                        .map_err(|e| e.to_string())?,
                );
            }
            db.batch(statements).await.map_err(|e| e.to_string())?;
            self.tenant.mark_exported(last).map_err(|e| e.to_string())?;
        }
    }

    /// Sets the alarm for the next maintenance, unless it is already set for that time or
    /// earlier. Failures are logged: the next command that starts a clock tries again.
    async fn schedule_maintenance(&self) {
        let due = match self.tenant.next_maintenance() {
            Ok(Some(due)) => due,
            Ok(None) => return,
            Err(e) => {
                console_error!("tenant object: next maintenance: {e}");
                return;
            }
        };
        let storage = self.state.storage();
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
    async fn deliver(&self) {
        let messages = match self.tenant.due_messages(DELIVERIES_PER_ALARM) {
            Ok(messages) => messages,
            Err(e) => {
                console_error!("tenant object: due deliveries: {}", e.message);
                return;
            }
        };
        for message in messages {
            let outcome = send(&message).await;
            if let Err(e) = self.tenant.record_delivery(&message, outcome) {
                console_error!("tenant object: record delivery: {e}");
            }
        }
    }
}

/// One outbound message. A non-2xx answer, a network error or no answer within the timeout is
/// a failed attempt.
async fn send(message: &Outgoing) -> Result<(), String> {
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
