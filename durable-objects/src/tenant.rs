//! One tenant's object: authenticates each command against the tenant's master key hash,
//! then runs it against the tenant's SQLite storage. Every command runs without awaiting
//! anything but its own body, so commands to one tenant never interleave.

use crate::approvals::{self, Decision};
use crate::audit::{self, Actor, Draft, HeadCache, Origin, UnauthenticatedBudget};
use crate::audit_mapping;
use crate::authorization::access::{self, Principal};
use crate::authorization::token_cache::TokenCache;
use crate::schema::{SCHEMA_VERSION, pending};
use crate::secret_cache::SecretCache;
use crate::sql::{StorageError, execute, query_one, transaction};
use crate::store::SecretContext;
use crate::store::in_transaction;
use crate::{access_requests, agents, fields, listing, maintenance, people, secrets, vault, wraps};

mod auth;
mod background;
mod brokered;
mod deferred;
mod dispatch;
mod metering;
mod metrics;
mod provisioning;
mod public;
mod sockets;
pub use crate::agents::socket::{Delivery, Push, Resolved};
use crate::approvals::notifications;
pub use crate::approvals::notifications::EmailApi;
use crate::sql::{Storage, Value as V};
use latchkey_contract::caller::audit::StreamEvents;
use latchkey_contract::operator::{InitTenant, OperatorCommand};
use latchkey_contract::probe::ProbeCommand;
use latchkey_contract::{
    Access, Cache, CallerCommand, Channel, Effect, Metering, Releases, Rules, TenantRequest,
    TenantResponse, Via, encode_reply,
};
use latchkey_core::approval::DEFAULT_APPROVAL_TTL_SECONDS;
use latchkey_core::broker::hosts::InsecureHosts;
use latchkey_core::credential::{CredentialHash, CredentialKind, PresentedCredential};
use latchkey_core::crypto::{RootKey, TenantKey};
use latchkey_core::listing::ListQuery;
use latchkey_core::public_url::LinkBaseProblem;
use latchkey_core::ratelimit::{self, RateState, RateWindow};
use latchkey_core::scope::Scope;
use latchkey_core::secret::RESTORE_WINDOW_SECONDS;
use latchkey_core::tenant::TenantInfo;
use latchkey_core::token::TokenRequest;
use latchkey_core::{ApiError, ErrorCode, Plan, TenantId, Timestamp};
pub use sockets::writes_stored_secret;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// How often counts kept in memory (the rate window, token uses) are written on the request
/// path; the alarm writes the rest.
const WRITE_BACK_INTERVAL_MS: i64 = 1_000;

/// What every authenticated command needs, loaded once per object lifetime.
struct Loaded {
    tenant_id: TenantId,
    plan: Plan,
    /// Requests per minute: the plan's, or the operator's custom figure.
    rate_limit: u64,
    master_key_hash: CredentialHash,
    tenant_key: TenantKey,
}

/// What the object reads from its deployment, once, when it starts (the `object` module).
pub struct TenantConfig {
    /// How long a soft-deleted secret can be restored.
    pub retention_seconds: i64,
    /// How long an approval request waits for decisions.
    pub approval_ttl_seconds: i64,
    /// Whether the benchmark's baseline command answers.
    pub bench_enabled: bool,
    /// The key that wraps every tenant key; its absence is answered when a command needs it.
    pub root_key: Result<RootKey, String>,
    /// Hosts the broker may reach over plain http or at private addresses (tests only).
    pub insecure_hosts: InsecureHosts,
    /// The origin approvers' links point at: `PUBLIC_URL`, never anything a request said.
    pub link_base: Result<String, LinkBaseProblem>,
    /// Where email to approvers goes.
    pub email_api: notifications::EmailApi,
}

impl TenantConfig {
    /// The defaults with `root_key`: what the native tests start from.
    pub fn with_root_key(root_key: RootKey) -> Self {
        TenantConfig {
            retention_seconds: RESTORE_WINDOW_SECONDS,
            approval_ttl_seconds: DEFAULT_APPROVAL_TTL_SECONDS,
            bench_enabled: false,
            root_key: Ok(root_key),
            insecure_hosts: InsecureHosts::default(),
            link_base: Err(LinkBaseProblem::NotSet),
            email_api: notifications::EmailApi {
                url: None,
                key: None,
                from: "latchkey@localhost".to_owned(),
            },
        }
    }
}

/// The time, as the object sees it: the platform's clock in a deployment, a test's own in
/// the native tests.
pub type Clock = Box<dyn Fn() -> Timestamp>;

/// What answering a request asks of the platform afterwards.
pub struct Answered {
    pub response: TenantResponse,
    /// Whether the alarm must be (re)considered: a clock started, events await the D1 copy,
    /// or counts kept in memory await writing.
    pub schedule_maintenance: bool,
    /// What the command made that agents' sockets must get (issue 23): empty unless it
    /// succeeded.
    pub pushes: Vec<crate::agents::socket::Push>,
}

/// One tenant's object, independent of the platform: it answers requests against a
/// [`crate::sql::Store`] with a [`Clock`]. The `object` module runs it in the Durable Object;
/// the native tests run it over SQLite on the host.
pub struct Tenant {
    store: Box<Storage>,
    config: TenantConfig,
    clock: Clock,
    loaded: RefCell<Option<Rc<Loaded>>>,
    /// The rate-limit window. Memory is the truth; storage gets it by [`Self::write_back`].
    window: Cell<Option<RateWindow>>,
    /// Whether the window changed since it was last written.
    window_unwritten: Cell<bool>,
    /// Tokens between requests, with use counts not written yet.
    tokens: TokenCache,
    /// When the window and the token use counts were last written.
    written_back_at: Cell<Option<Timestamp>>,
    /// Whether an alarm is set to write them back.
    write_back_pending: Cell<bool>,
    /// Events anyone can cause without a valid credential, per minute.
    unauthenticated_budget: UnauthenticatedBudget,
    /// Those events, until the next write-back writes them ([`deferred`]).
    deferred_events: deferred::DeferredEvents,
    /// The audit chain's head, so an event costs one insert.
    audit_head: HeadCache,
    /// Commands in the current rate window by route group and status class (issue 24).
    window_requests: RefCell<metrics::WindowRequests>,
    /// `rate_limited` events, per minute (a throttled client must not flood the trail).
    rate_limited_budget: UnauthenticatedBudget,
    /// Set when a request recorded events, so the D1 copy gets scheduled.
    events_recorded: Cell<bool>,
    /// Whether an alarm for the D1 copy is already pending.
    export_pending: Cell<bool>,
    /// The approval policies: the one gate reads them on every request that names a secret,
    /// so they are kept until they change.
    policies: crate::policies::PolicyCache,
    /// Events the running command records beside its own (a cascade's changes).
    also_record: RefCell<Vec<Draft>>,
    /// Secrets read recently, sealed as stored ([`SecretCache`]).
    secret_cache: SecretCache,
    /// Whether the benchmark's table exists: created by the first baseline call, so each
    /// later one runs its one insert and nothing else.
    bench_table_ready: Cell<bool>,
}

/// Logs the cause and gives the client the fixed internal error.
/// An OAuth grant's token works only at its audience, the MCP endpoint: anywhere else it is
/// not a credential (token passthrough is what RFC 8707 and the MCP spec forbid).
fn within_audience(principal: Principal, via: Option<Via>) -> Result<Principal, ApiError> {
    match &principal {
        Principal::Token(token) if token.audience.is_some() && via != Some(Via::Mcp) => {
            Err(ApiError::unauthorized(format!(
                "this token was granted to an OAuth client for {} and works only there",
                token.audience.as_deref().unwrap_or_default()
            )))
        }
        _ => Ok(principal),
    }
}

/// Whether value-returning MCP tools are closed to this caller (`McpValueTools`, the tenant's
/// setting: bearer clients only by default, never an OAuth grant unless it says `all`). Only
/// requests through `/mcp` are asked: a REST read is not a model's context.
pub(crate) fn mcp_values_refused(
    storage: &Storage,
    principal: &Principal,
    via: Option<Via>,
) -> Result<bool, ApiError> {
    if via != Some(Via::Mcp) {
        return Ok(false);
    }
    let oauth = matches!(principal, Principal::Token(token) if token.audience.is_some());
    let setting = query_one(storage, "SELECT mcp_value_tools FROM tenant", vec![])
        .and_then(|row| row.map(|row| row.text(0)).transpose())
        .map_err(|e| internal("mcp_value_tools", e))?;
    let setting = setting
        .as_deref()
        .and_then(latchkey_core::tenant::McpValueTools::parse)
        .unwrap_or(latchkey_core::tenant::McpValueTools::Bearer);
    Ok(!setting.allows(oauth))
}

/// A value read (not a broker use) through `/mcp` that the tenant's setting closes: 403.
fn check_mcp_values(
    storage: &Storage,
    principal: &Principal,
    access: &Access,
    via: Option<Via>,
) -> Result<(), ApiError> {
    use latchkey_core::gate::Flow;
    use latchkey_core::scope::SecretAction;
    let reads_value = matches!(
        access,
        Access::Secret(Flow::Release, SecretAction::Read, _)
            | Access::LoadedSecret(Flow::Release, SecretAction::Read, _)
            | Access::Secrets(Flow::Release, SecretAction::Read, _)
    );
    if reads_value && mcp_values_refused(storage, principal, via)? {
        return Err(ApiError::new(
            ErrorCode::PermissionDenied,
            "this tenant keeps secret values out of this MCP client's context; use call_api, which uses a secret without showing it",
        ));
    }
    Ok(())
}

fn internal(context: &str, cause: impl std::fmt::Display) -> ApiError {
    log_error!("tenant object: {context}: {cause}");
    ApiError::internal()
}

fn ts(value: Timestamp) -> V {
    V::Integer(value.unix_ms())
}

/// A command's reply as JSON, or its error: what crosses back to the Worker.
type Encoded = Result<Box<serde_json::value::RawValue>, ApiError>;

fn encode<R: serde::Serialize>(reply: &R) -> Encoded {
    encode_reply(reply).map_err(|e| internal("encode a reply", e))
}

/// Runs `command` and encodes its reply: the handler answers the command's own reply type.
fn respond<C: latchkey_contract::Command>(
    command: C,
    run: impl FnOnce(C) -> Result<C::Reply, ApiError>,
) -> Encoded {
    run(command).and_then(|reply| encode(&reply))
}

/// What running a request's command does to the cache of secrets, and whether it starts a
/// clock (the alarm is set when it succeeds): a caller command's rules say; other channels'
/// commands are fixed.
fn effects(channel: &Channel, rules: Option<&Rules>) -> (Cache, bool) {
    match (channel, rules) {
        (_, Some(rules)) => (rules.cache, rules.effect == Effect::StartsClock),
        // Only counted.
        (Channel::Caller { .. } | Channel::Probe(_), None) => (Cache::Keeps, false),
        (Channel::Operator(_) | Channel::Public(_) | Channel::Link(_), None) => {
            (Cache::Empties, false)
        }
    }
}

impl Tenant {
    pub fn new(store: Box<Storage>, config: TenantConfig, clock: Clock) -> Self {
        Tenant {
            store,
            config,
            clock,
            loaded: RefCell::new(None),
            window: Cell::new(None),
            window_unwritten: Cell::new(false),
            tokens: TokenCache::default(),
            written_back_at: Cell::new(None),
            write_back_pending: Cell::new(false),
            unauthenticated_budget: UnauthenticatedBudget::new(),
            deferred_events: deferred::DeferredEvents::default(),
            audit_head: HeadCache::default(),
            window_requests: RefCell::default(),
            rate_limited_budget: UnauthenticatedBudget::new(),
            events_recorded: Cell::new(false),
            export_pending: Cell::new(false),
            policies: crate::policies::PolicyCache::default(),
            also_record: RefCell::new(Vec::new()),
            secret_cache: SecretCache::default(),
            bench_table_ready: Cell::new(false),
        }
    }

    fn storage(&self) -> &Storage {
        &*self.store
    }

    fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Answers one request: the cache and the bookkeeping around [`Self::handle`]. Nothing
    /// here awaits, so requests to one tenant never interleave: counts are exact.
    pub fn answer(&self, request: TenantRequest) -> Answered {
        // A caller command's rules, worked out once for the whole request.
        let rules = match &request.channel {
            Channel::Caller {
                command: Some(command),
                ..
            } => Some(command.rules()),
            _ => None,
        };
        let (cache, starts_clock) = effects(&request.channel, rules.as_ref());
        self.secret_cache.before(cache);
        crate::agents::socket::take_announced();
        let response = self.handle(request, rules);
        let mut pushes = crate::agents::socket::take_announced();
        if response.result.is_err() {
            pushes.clear();
        }
        // New audit events get copied to D1 by the alarm: schedule it once per batch, not on
        // every request.
        let export_due = self.events_recorded.replace(false) && !self.export_pending.get();
        if export_due {
            self.export_pending.set(true);
        }
        // Counts kept in memory reach storage within a second even if no request follows.
        let write_back_due = self.owes_writes() && !self.write_back_pending.get();
        if write_back_due {
            self.write_back_pending.set(true);
        }
        let schedule_maintenance =
            (starts_clock && response.result.is_ok()) || export_due || write_back_due;
        Answered {
            response,
            schedule_maintenance,
            pushes,
        }
    }

    /// Answers a request on its channel.
    fn handle(&self, request: TenantRequest, rules: Option<Rules>) -> TenantResponse {
        let unattributed = |result| TenantResponse { rate: None, result };
        let TenantRequest { origin, channel } = request;
        let via = origin.via;
        let origin = Origin {
            ip: origin.client_ip,
            user_agent: origin.user_agent,
            correlation_id: origin.request_id,
        };
        match channel {
            Channel::Probe(ProbeCommand::Ping(c)) => unattributed(respond(c, |_| Ok(()))),
            Channel::Probe(ProbeCommand::BenchBaseline(c)) => {
                unattributed(respond(c, |_| self.bench_baseline()))
            }
            Channel::Operator(command) => unattributed(self.operator_command(command, &origin)),
            Channel::Public(command) => unattributed(self.public_command(command, &origin)),
            Channel::Link(command) => unattributed(self.link_command(command, &origin)),
            Channel::Caller {
                credential,
                purpose,
                command,
            } => self.caller_command(&credential, purpose, command, rules, origin, via),
        }
    }

    /// Authenticates, rate-limits and authorizes a caller's request, then runs its command
    /// as its rules say.
    fn caller_command(
        &self,
        credential: &PresentedCredential,
        purpose: Option<String>,
        command: Option<CallerCommand>,
        rules: Option<Rules>,
        origin: Origin,
        via: Option<Via>,
    ) -> TenantResponse {
        let unattributed = |result| TenantResponse { rate: None, result };
        let loaded = match self.load() {
            Ok(Some(loaded)) => loaded,
            // No tenant: exactly what a tenant answers a credential it does not recognize.
            Ok(None) => {
                return unattributed(Err(latchkey_core::credential::refusal(Some(
                    credential.kind,
                ))));
            }
            Err(e) => return unattributed(Err(e)),
        };
        let metering = rules.as_ref().map_or(Metering::Use, |rules| rules.metering);
        let now = self.now();
        let storage = self.storage();
        let principal = match self
            .authenticate(
                &loaded,
                Some(credential),
                origin.ip.as_deref(),
                now,
                metering == Metering::Use,
            )
            .and_then(|principal| within_audience(principal, via))
        {
            Ok(principal) => {
                // Refusals kept in memory go first: the chain stays in time order, and
                // whoever reads it next sees them.
                self.write_deferred_events(storage);
                principal
            }
            // No rate state for a caller who failed to authenticate: it would show the
            // tenant's traffic to anyone who knows the tenant id. Its event is kept in memory
            // and written by the next write-back: a tenant that does not exist writes nothing,
            // so one that does must not pay for a transaction here either ([`deferred`]).
            Err(e) => {
                if self.unauthenticated_budget.take(now) {
                    let draft = Draft::new("auth.failed", None)
                        .detail(
                            "credential",
                            match credential.kind {
                                CredentialKind::Token => "token",
                                CredentialKind::MasterKey => "master_key",
                                CredentialKind::Bootstrap => "bootstrap_token",
                                CredentialKind::AgentJwt => "agent_jwt",
                                CredentialKind::UserJwt => "user_jwt",
                                CredentialKind::Wrap => "wrap_token",
                                CredentialKind::AgentSecret => "agent_secret",
                                CredentialKind::ConsoleSession => "console_session",
                            },
                        )
                        .refused(&e);
                    self.defer_event(&loaded, Actor::named("anonymous"), &origin, draft, now);
                }
                return unattributed(Err(e));
            }
        };
        let actor = principal.audit_actor();
        let mut command = command;
        if metering == Metering::Unmetered
            && let Some(rules) = rules.as_ref()
            && let Some(unmetered) = command.take()
        {
            return unattributed(self.unmetered(unmetered, rules, &principal, &loaded, now));
        }
        let state = match self.admit(&loaded, now) {
            Ok(state) => state,
            Err(e) => return unattributed(Err(e)),
        };
        if self
            .written_back_at
            .get()
            .is_none_or(|at| now.unix_ms() - at.unix_ms() >= WRITE_BACK_INTERVAL_MS)
        {
            self.write_back(storage, now);
        }
        let attributed = |result| TenantResponse {
            rate: Some(state),
            result,
        };
        if let Some(wait) = state.retry_after_seconds {
            let error = ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "rate limit of {} requests per minute exceeded; retry in {wait} s",
                    state.limit
                ),
            )
            .with("retry_after", wait);
            if self.rate_limited_budget.take(now) {
                let path = command
                    .as_ref()
                    .zip(rules.as_ref())
                    .and_then(|(command, rules)| audit_mapping::draft_for(command, rules).path);
                let draft = Draft::new("rate_limited", path).refused(&error);
                self.record_alone(storage, &loaded, &actor, &origin, draft, now);
            }
            return attributed(Err(error));
        }
        let (Some(command), Some(rules)) = (command, rules) else {
            return attributed(encode(&()));
        };
        let mut draft = audit_mapping::draft_for(&command, &rules);
        if let Some(via) = via {
            draft = draft.detail("api", via.as_str());
        }
        if let Principal::Agent(_) = principal {
            draft = audit_mapping::as_agent_read(draft, &rules);
        }
        if let (Some(purpose), Releases::Value) = (&purpose, rules.releases) {
            draft = draft.detail("purpose", purpose.as_str());
        }
        let mut ctx = self.context(storage, &loaded, now);
        ctx.purpose = purpose.as_deref();
        ctx.api = via.map(Via::as_str);
        ctx.origin = Some(&origin);
        if let Access::Secret(_, action, path) | Access::LoadedSecret(_, action, path) =
            &rules.access
        {
            ctx.clearance = principal.cleared_for(*action, path);
        }
        if let Principal::Token(token) = &principal {
            ctx.cleared_workflows = token.cleared_workflows.as_deref();
        }
        if let Err(e) = access::check(&principal, &rules.access)
            .and_then(|()| self.check_retier(storage, &principal, &command))
            .and_then(|()| {
                crate::authorization::gate::admit_command(&ctx, &principal, &rules.access)
            })
            .and_then(|()| check_mcp_values(storage, &principal, &rules.access, via))
        {
            self.record_alone(storage, &loaded, &actor, &origin, draft.refused(&e), now);
            self.window_requests
                .borrow_mut()
                .count(now, metrics::group(&command), e.status());
            return attributed(Err(e));
        }
        if let Principal::Token(_) = &principal
            && rules.metering == Metering::Use
            && let Err(e) = self.tokens.count_use(storage, &credential.hash, now)
        {
            return attributed(Err(internal("count token use", e)));
        }
        // Listing and revoking tokens read and write their rows: memory goes first.
        let touches_tokens = rules.effect.touches_tokens();
        if touches_tokens && let Err(e) = self.tokens.flush(storage) {
            return attributed(Err(internal("write token uses", e)));
        }
        // The command and its event commit together, or neither does. A refused command's
        // writes are rolled back inside (a nested transaction); its event still commits.
        self.also_record.borrow_mut().clear();
        let mut recorded = false;
        // The notice agents are owed when the command's event is a stored secret's change.
        let mut notice = None;
        let group = metrics::group(&command);
        let outcome = transaction(storage, || {
            let outcome = self.execute(command, &principal, &ctx, draft);
            let succeeded = outcome.result.is_ok();
            if rules.audit.records_outcome(succeeded) {
                let event = self.audit_head.record(
                    storage,
                    &loaded.tenant_id,
                    &actor,
                    &origin,
                    outcome.draft,
                    now,
                )?;
                notice = sockets::notice_of(&event);
                recorded = true;
            }
            // What the command changed beyond itself (a revocation's cascade), each with an
            // event of its own, in the same transaction.
            let also = std::mem::take(&mut *self.also_record.borrow_mut());
            if succeeded {
                for extra in also {
                    self.audit_head.record(
                        storage,
                        &loaded.tenant_id,
                        &actor,
                        &origin,
                        extra,
                        now,
                    )?;
                    recorded = true;
                }
            }
            Ok(outcome.result)
        });
        if touches_tokens && let Err(e) = self.tokens.forget_all(storage) {
            log_error!("tenant object: forget tokens: {e}");
        }
        if rules.effect == Effect::WritesPolicies {
            self.policies.forget();
        }
        let status = match &outcome {
            Ok(Ok(_)) => 200,
            Ok(Err(e)) => e.status(),
            Err(_) => 500,
        };
        self.window_requests.borrow_mut().count(now, group, status);
        match outcome {
            Ok(result) => {
                if let (Some(push), true) = (notice, result.is_ok()) {
                    crate::agents::socket::announce(push);
                }
                self.audit_head.commit();
                if recorded {
                    self.events_recorded.set(true);
                }
                attributed(result)
            }
            Err(e) => {
                self.audit_head.forget();
                // Whatever the caches took in during the rolled-back transaction may be gone.
                self.secret_cache.clear();
                self.policies.forget();
                attributed(Err(internal("command with its audit event", e)))
            }
        }
    }

    /// A command that is neither counted nor recorded (a live stream's poll): checked, then
    /// run, outside the rate limit.
    fn unmetered(
        &self,
        command: CallerCommand,
        rules: &Rules,
        principal: &Principal,
        loaded: &Loaded,
        now: Timestamp,
    ) -> Encoded {
        let storage = self.storage();
        let ctx = self.context(storage, loaded, now);
        access::check(principal, &rules.access)?;
        crate::authorization::gate::admit_command(&ctx, principal, &rules.access)?;
        let draft = audit_mapping::draft_for(&command, rules);
        self.execute(command, principal, &ctx, draft).result
    }

    /// One row written in its own transaction, when the deployment is a benchmark.
    fn bench_baseline(&self) -> Result<(), ApiError> {
        if !self.config.bench_enabled {
            return Err(ApiError::not_found("no such route"));
        }
        let storage = self.storage();
        if !self.bench_table_ready.get() {
            execute(
                storage,
                "CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)",
                vec![],
            )
            .map_err(|e| internal("bench table", e))?;
            self.bench_table_ready.set(true);
        }
        transaction(storage, || {
            execute(
                storage,
                "INSERT INTO bench (at) VALUES (?)",
                vec![ts(self.now())],
            )
        })
        .map_err(|e| internal("bench", e))?;
        Ok(())
    }

    /// Records one event in a transaction of its own (denials: nothing else changed).
    fn record_alone(
        &self,
        storage: &Storage,
        loaded: &Loaded,
        actor: &Actor,
        origin: &Origin,
        draft: Draft,
        now: Timestamp,
    ) {
        let written = transaction(storage, || {
            self.audit_head
                .record(storage, &loaded.tenant_id, actor, origin, draft, now)
        });
        match written {
            Ok(_) => {
                self.audit_head.commit();
                self.events_recorded.set(true);
            }
            Err(e) => {
                self.audit_head.forget();
                log_error!("tenant object: audit event: {e}");
            }
        }
    }

    /// The live stream: events after `after` (or from the newest on), at most 100.
    fn stream(
        &self,
        ctx: &SecretContext<'_>,
        after: Option<u64>,
    ) -> Result<StreamEvents, ApiError> {
        let fail = |e: StorageError| internal("audit stream", e);
        let start = match after {
            Some(seq) => seq,
            None => audit::last_seq(ctx.storage).map_err(fail)?,
        };
        let events = audit::since(ctx.storage, start, 100).map_err(fail)?;
        let last_seq = events.last().map_or(start, |e| e.seq);
        Ok(StreamEvents { events, last_seq })
    }

    fn context<'a>(
        &'a self,
        storage: &'a Storage,
        loaded: &'a Loaded,
        now: Timestamp,
    ) -> SecretContext<'a> {
        SecretContext {
            storage,
            tenant_id: &loaded.tenant_id,
            tenant_key: &loaded.tenant_key,
            now,
            retention_seconds: self.config.retention_seconds,
            clearance: None,
            policy_cache: &self.policies,
            also_record: &self.also_record,
            purpose: None,
            api: None,
            origin: None,
            secret_cache: &self.secret_cache,
            cleared_workflows: None,
        }
    }
}
