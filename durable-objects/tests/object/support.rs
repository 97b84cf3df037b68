//! One tenant's object on the host: the real [`Tenant`] over SQLite, a clock the test moves,
//! and calls through the contract exactly as the Worker makes them.

use crate::store::{Shared, SqliteStore};
use latchkey_contract::caller::secrets::CreateSecret;
use latchkey_contract::caller::tokens::{CreateToken, TokenMinted};
use latchkey_contract::operator::InitTenant;
use latchkey_contract::{
    CallerCommand, Channel, Command, RequestOrigin, TenantRequest, TenantResponse, decode_reply,
};
use latchkey_core::SecretPath;
use latchkey_core::credential::{CredentialHash, mint_master_key, parse_bearer};
use latchkey_core::crypto::RootKey;
use latchkey_core::secret::{NewSecret, SecretCreated};
use latchkey_core::tenant::TenantName;
use latchkey_core::token::TokenRequest;
use latchkey_core::{ApiError, Plan, TenantId, Timestamp};
use latchkey_durable_objects::sql::{Store, Value};
use latchkey_durable_objects::tenant::{Tenant, TenantConfig};
use std::cell::Cell;
use std::rc::Rc;

/// 2027-01-15T08:00:00Z: a fixed start, so tests read the same every run.
pub const START_MS: i64 = 1_800_000_000_000;

#[allow(dead_code)] // each test file uses what it needs
pub struct Object {
    tenant: Tenant,
    db: Rc<SqliteStore>,
    clock: Rc<Cell<i64>>,
    pub tenant_id: TenantId,
    /// The tenant's master key, as a client holds it.
    pub master: String,
    /// What the last command left for agents' sockets (issue 23).
    pushes: std::cell::RefCell<Vec<latchkey_durable_objects::tenant::Push>>,
}

/// The answer of command `C`, as the Worker decodes it.
pub fn reply_of<C: Command>(response: TenantResponse) -> Result<C::Reply, ApiError> {
    let raw = response.result?;
    Ok(decode_reply::<C>(&raw).expect("a reply of the command's type"))
}

/// The deployment's root key, as the tests' deployments have it.
pub fn root_key() -> RootKey {
    RootKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").expect("a root key")
}

fn origin() -> RequestOrigin {
    RequestOrigin {
        client_ip: Some("203.0.113.7".into()),
        request_id: Some("req-native".into()),
        user_agent: Some("native-test".into()),
        via: None,
    }
}

#[allow(dead_code)] // each test file uses what it needs
impl Object {
    /// A tenant on the Enterprise plan (a high rate limit: tests that want the limit set it).
    pub fn new() -> Self {
        Self::with_config(|_| {})
    }

    pub fn with_config(adjust: impl FnOnce(&mut TenantConfig)) -> Self {
        let db = SqliteStore::in_memory();
        let clock = Rc::new(Cell::new(START_MS));
        let now = clock.clone();
        let mut config = TenantConfig::with_root_key(root_key());
        adjust(&mut config);
        let tenant = Tenant::new(
            Box::new(Shared(db.clone())),
            config,
            Box::new(move || Timestamp::from_unix_ms(now.get()).expect("a valid time")),
        );
        let tenant_id = TenantId::generate().expect("a tenant id");
        let master = mint_master_key(&tenant_id).expect("a master key");
        let object = Object {
            tenant,
            db,
            clock,
            tenant_id: tenant_id.clone(),
            master: master.value.to_string(),
            pushes: std::cell::RefCell::new(Vec::new()),
        };
        object
            .operator(InitTenant {
                tenant_id,
                name: TenantName::parse("acme").expect("a name"),
                plan: Plan::Enterprise,
                master_key_hash: master.hash,
            })
            .expect("the tenant is created");
        object
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_unix_ms(self.clock.get()).expect("a valid time")
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.set(self.clock.get() + seconds * 1000);
    }

    pub fn send(&self, channel: Channel) -> TenantResponse {
        self.send_via(None, channel)
    }

    /// [`Object::send`] from a request marked as coming through `via` (the MCP endpoint).
    pub fn send_via(
        &self,
        via: Option<latchkey_contract::Via>,
        channel: Channel,
    ) -> TenantResponse {
        let answered = self.tenant.answer(TenantRequest {
            origin: RequestOrigin { via, ..origin() },
            channel,
        });
        *self.pushes.borrow_mut() = answered.pushes;
        answered.response
    }

    /// What the last command left for agents' sockets, taken.
    pub fn take_pushes(&self) -> Vec<latchkey_durable_objects::tenant::Push> {
        std::mem::take(&mut *self.pushes.borrow_mut())
    }

    /// The object itself, for what the platform calls between commands (socket frames).
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// A caller's command with `key` (a master key, a token, a JWT) and an optional purpose.
    pub fn call_for<C>(
        &self,
        key: &str,
        purpose: Option<&str>,
        command: C,
    ) -> Result<C::Reply, ApiError>
    where
        C: Command<Channel = CallerCommand>,
    {
        let credential = parse_bearer(key).expect("a well-formed credential");
        reply_of::<C>(self.send(Channel::Caller {
            credential,
            purpose: purpose.map(str::to_owned),
            command: Some(command.into()),
        }))
    }

    pub fn call<C>(&self, key: &str, command: C) -> Result<C::Reply, ApiError>
    where
        C: Command<Channel = CallerCommand>,
    {
        self.call_for(key, None, command)
    }

    /// A caller's command with the master key.
    pub fn master<C>(&self, command: C) -> Result<C::Reply, ApiError>
    where
        C: Command<Channel = CallerCommand>,
    {
        self.call(&self.master.clone(), command)
    }

    /// A command of a channel without a caller credential (operator, public, link, probe).
    pub fn operator<C>(&self, command: C) -> Result<C::Reply, ApiError>
    where
        C: Command,
        C::Channel: Into<Channel>,
    {
        reply_of::<C>(self.send(command.into().into()))
    }

    /// Rows of `sql`, straight from storage.
    pub fn rows(&self, sql: &str) -> Vec<latchkey_durable_objects::sql::Row> {
        self.db.query(sql, Vec::<Value>::new()).expect("a query")
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.rows(sql)
            .first()
            .expect("a row")
            .int(0)
            .expect("an integer")
    }

    /// The audit trail's event types, oldest first, each with whether it succeeded.
    pub fn events(&self) -> Vec<(String, bool)> {
        self.rows("SELECT type, success FROM audit_events ORDER BY seq")
            .iter()
            .map(|row| {
                (
                    row.text(0).expect("a type"),
                    row.int(1).expect("a flag") == 1,
                )
            })
            .collect()
    }

    /// The type and `seq` of the newest event.
    pub fn last_event_seq(&self) -> (String, u64) {
        let rows = self.rows("SELECT type, seq FROM audit_events ORDER BY seq DESC LIMIT 1");
        let row = rows.first().expect("an event");
        (
            row.text(0).expect("a type"),
            u64::try_from(row.int(1).expect("a seq")).expect("a positive seq"),
        )
    }

    /// The type of the newest event.
    pub fn last_event(&self) -> (String, bool) {
        self.events().pop().expect("an event")
    }

    /// Hash of a credential as storage holds it.
    pub fn hash_of(key: &str) -> CredentialHash {
        CredentialHash::of(key)
    }

    /// A token minted by the master key from a `POST /v1/tokens` body, e.g.
    /// `{"scope": "secrets:read:prod/*"}`; panics when it needs approval.
    pub fn token(&self, body: &str) -> String {
        let request =
            TokenRequest::parse_with_min_ttl(body.as_bytes(), 1).expect("a token request");
        match self.master(CreateToken { request }).expect("a token") {
            TokenMinted::Created(created) => created.value,
            TokenMinted::Pending(view) => panic!("token needs approval: {}", view.id),
        }
    }

    /// A token with this one scope, for an hour (several: [`Self::token`] with a JSON list).
    pub fn token_with(&self, scope: &str) -> String {
        self.token(&format!(r#"{{"scope": "{scope}", "ttl_seconds": 3600}}"#))
    }

    /// Stores a secret from a `POST /v1/secrets` body, e.g.
    /// `{"path": "prod/db", "value": "v", "tier": "sensitive"}`.
    pub fn secret(&self, body: &str) -> SecretCreated {
        let secret = NewSecret::parse(body.as_bytes(), self.now()).expect("a new secret");
        self.master(CreateSecret { secret })
            .expect("the secret is stored")
    }
}

/// A path from its text.
pub fn path(text: &str) -> SecretPath {
    SecretPath::parse(text).expect("a path")
}

/// An audit event as [`Object::events`] lists it.
pub fn event(kind: &str, success: bool) -> (String, bool) {
    (kind.to_owned(), success)
}

/// A string detail of an error.
pub fn detail(err: &ApiError, key: &str) -> Option<String> {
    err.details
        .get(key)
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}
