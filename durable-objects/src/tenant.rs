//! One tenant's object: authenticates each command against the tenant's master key hash,
//! then runs it against the tenant's SQLite storage. Every command runs without awaiting
//! anything but its own body, so commands to one tenant never interleave.

use crate::contract::{TenantCommand, TenantReply, TenantRequest, TenantResult};
use crate::schema::{SCHEMA_VERSION, pending};
use crate::sql::{StorageError, execute, query_one, transaction};
use crate::store::SecretContext;
use crate::{fields, listing, maintenance, secrets};
use latchkey_core::credential::CredentialHash;
use latchkey_core::crypto::{RootKey, TenantKey};
use latchkey_core::secret::RESTORE_WINDOW_SECONDS;
use latchkey_core::tenant::TenantName;
use latchkey_core::{ApiError, Plan, TenantId, Timestamp};
use std::cell::RefCell;
use std::rc::Rc;
use worker::wasm_bindgen::JsValue;
use worker::{
    Date, Env, Request, Response, ScheduledTime, SqlStorageValue as V, State, Storage,
    console_error,
};

/// The Worker secret holding the root key.
pub const ROOT_KEY_SECRET: &str = "ROOT_KEY";

/// The Worker var that shortens the restore window of soft-deleted secrets (tests use
/// seconds); unset, it is 30 days.
pub const RETENTION_VAR: &str = "SOFT_DELETE_RETENTION_SECONDS";

/// What every authenticated command needs, loaded once per object lifetime.
struct Loaded {
    tenant_id: TenantId,
    plan: Plan,
    master_key_hash: CredentialHash,
    tenant_key: TenantKey,
}

pub struct Tenant {
    state: State,
    env: Env,
    retention_seconds: i64,
    loaded: RefCell<Option<Rc<Loaded>>>,
}

/// Logs the cause and gives the client the fixed internal error.
fn internal(context: &str, cause: impl std::fmt::Display) -> ApiError {
    console_error!("tenant object: {context}: {cause}");
    ApiError::internal()
}

fn now() -> Timestamp {
    Timestamp::from_unix_ms_f64(Date::now().as_millis() as f64)
}

fn ts(value: Timestamp) -> V {
    V::Integer(value.unix_ms())
}

impl Tenant {
    pub fn new(state: State, env: Env) -> Self {
        let retention_seconds = env
            .var(RETENTION_VAR)
            .ok()
            .and_then(|v| v.to_string().parse::<i64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(RESTORE_WINDOW_SECONDS);
        Tenant {
            state,
            env,
            retention_seconds,
            loaded: RefCell::new(None),
        }
    }

    fn storage(&self) -> Storage {
        self.state.storage()
    }

    /// Answers one command. Transport failures (an unreadable body) are 400s; everything else
    /// is the command's own result.
    pub async fn fetch(&self, mut request: Request) -> worker::Result<Response> {
        let result: TenantResult = match request.json::<TenantRequest>().await {
            Ok(command) => {
                // Commands that start a clock (a restore window, a grace period) set the alarm.
                let starts_clock = matches!(
                    command.command,
                    TenantCommand::DeleteSecret {
                        permanent: false,
                        ..
                    } | TenantCommand::RotateSecret { .. }
                );
                let result = self.execute(command);
                if starts_clock && result.is_ok() {
                    self.schedule_maintenance().await;
                }
                result
            }
            Err(e) => Err(internal("unreadable command", e)),
        };
        Response::from_json(&result)
    }

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
        let purged = maintenance::purge(&self.context(&storage, &loaded))
            .map_err(|e| worker::Error::RustError(e.message))?;
        self.schedule_maintenance().await;
        Response::ok(format!("purged {} secrets", purged.secrets))
    }

    /// Sets the alarm for the next maintenance, unless it is already set for that time or
    /// earlier. Failures are logged: the next command that starts a clock tries again.
    async fn schedule_maintenance(&self) {
        let storage = self.storage();
        let due = match maintenance::next_due(&storage, self.retention_seconds) {
            Ok(Some(due)) => due,
            Ok(None) => return,
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

    fn context<'a>(&self, storage: &'a Storage, loaded: &'a Loaded) -> SecretContext<'a> {
        SecretContext {
            storage,
            tenant_id: &loaded.tenant_id,
            tenant_key: &loaded.tenant_key,
            now: now(),
            retention_seconds: self.retention_seconds,
        }
    }

    fn execute(&self, request: TenantRequest) -> TenantResult {
        match request.command {
            TenantCommand::Ping => Ok(TenantReply::Pong),
            TenantCommand::Init {
                tenant_id,
                name,
                plan,
                master_key_hash,
            } => self.init(tenant_id, &name, plan, master_key_hash),
            command => {
                let loaded = self.authenticate(request.credential)?;
                let storage = self.storage();
                let ctx = self.context(&storage, &loaded);
                match command {
                    TenantCommand::CreateSecret { secret } => {
                        secrets::create(&ctx, secret).map(TenantReply::SecretCreated)
                    }
                    TenantCommand::GetSecret { path, version } => {
                        secrets::read(&ctx, &path, version).map(TenantReply::Secret)
                    }
                    TenantCommand::UpdateSecret {
                        path,
                        update,
                        if_match,
                    } => secrets::update(&ctx, &path, update, if_match)
                        .map(TenantReply::SecretUpdated),
                    TenantCommand::RotateSecret { path, rotation } => {
                        secrets::rotate(&ctx, &path, rotation).map(TenantReply::SecretRotated)
                    }
                    TenantCommand::ListVersions { path } => secrets::versions(&ctx, &path)
                        .map(|versions| TenantReply::Versions { versions }),
                    TenantCommand::DeleteSecret { path, permanent } => {
                        secrets::delete(&ctx, &path, permanent).map(|()| TenantReply::Deleted)
                    }
                    TenantCommand::RestoreSecret { path } => {
                        secrets::restore(&ctx, &path).map(TenantReply::SecretRestored)
                    }
                    TenantCommand::ListSecrets { query } => {
                        listing::list(&ctx, &query).map(TenantReply::SecretList)
                    }
                    TenantCommand::SetField { path, field, value } => {
                        fields::set_one(&ctx, &path, field, value).map(TenantReply::FieldStored)
                    }
                    TenantCommand::SetFields { path, fields } => {
                        fields::set_many(&ctx, &path, fields).map(TenantReply::FieldsStored)
                    }
                    TenantCommand::GetField { path, field } => {
                        fields::get_one(&ctx, &path, field).map(TenantReply::Field)
                    }
                    TenantCommand::GetFields { path } => {
                        fields::get_all(&ctx, &path).map(TenantReply::Fields)
                    }
                    TenantCommand::DeleteField { path, field } => {
                        fields::delete_one(&ctx, &path, &field).map(|()| TenantReply::Deleted)
                    }
                    TenantCommand::Info => maintenance::info(&ctx, &loaded.tenant_id, loaded.plan)
                        .map(TenantReply::Info),
                    TenantCommand::Ping | TenantCommand::Init { .. } => {
                        Err(internal("dispatch", "unreachable command"))
                    }
                }
            }
        }
    }

    fn root_key(&self) -> Result<RootKey, ApiError> {
        let text = self
            .env
            .secret(ROOT_KEY_SECRET)
            .map_err(|e| internal("ROOT_KEY is not configured", e))?
            .to_string();
        RootKey::from_base64(&text).map_err(|e| internal("ROOT_KEY is unusable", e))
    }

    fn init(
        &self,
        tenant_id: TenantId,
        name: &TenantName,
        plan: Plan,
        master_key_hash: CredentialHash,
    ) -> TenantResult {
        let root = self.root_key()?;
        let tenant_key = TenantKey::generate().map_err(|e| internal("tenant key", e))?;
        let wrapped = root
            .wrap_tenant_key(tenant_id.as_str(), &tenant_key)
            .map_err(|e| internal("wrap tenant key", e))?;
        let created_at = now();
        let storage = self.storage();
        let created = transaction(&storage, || {
            for statement in pending(0) {
                execute(&storage, statement, vec![])?;
            }
            if query_one(&storage, "SELECT 1 FROM tenant", vec![])?.is_some() {
                return Ok(false);
            }
            execute(
                &storage,
                "INSERT INTO tenant (singleton, tenant_id, name, plan, master_key_hash,
                    wrapped_tenant_key, root_key_id, schema_version, created_at)
                 VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    tenant_id.as_str().into(),
                    name.as_str().into(),
                    plan.as_str().into(),
                    master_key_hash.to_hex().into(),
                    V::Blob(wrapped),
                    root.id().into(),
                    V::Integer(SCHEMA_VERSION),
                    ts(created_at),
                ],
            )?;
            Ok(true)
        })
        .map_err(|e| internal("init", e))?;
        if !created {
            return Err(ApiError::conflict("tenant already exists"));
        }
        Ok(TenantReply::Initialized { created_at })
    }

    /// Loads the tenant row and unwraps the tenant key, once per object lifetime. An object
    /// that was never initialized has no tables: it answers 401 and writes nothing, so
    /// guessing tenant ids creates no storage.
    fn load(&self) -> Result<Option<Rc<Loaded>>, ApiError> {
        if let Some(loaded) = self.loaded.borrow().as_ref() {
            return Ok(Some(loaded.clone()));
        }
        let storage = self.storage();
        let fail = |e: StorageError| internal("load tenant", e);
        let has_table = query_one(
            &storage,
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tenant'",
            vec![],
        )
        .map_err(fail)?
        .is_some();
        if !has_table {
            return Ok(None);
        }
        let Some(row) = query_one(
            &storage,
            "SELECT tenant_id, master_key_hash, wrapped_tenant_key, plan, schema_version FROM tenant",
            vec![],
        )
        .map_err(fail)?
        else {
            return Ok(None);
        };
        let schema_version = row.int(4).map_err(fail)?;
        if schema_version < SCHEMA_VERSION {
            migrate(&storage, schema_version).map_err(|e| internal("migrate schema", e))?;
        }
        let plan =
            Plan::parse(&row.text(3).map_err(fail)?).map_err(|e| internal("stored plan", e))?;
        let tenant_id = TenantId::parse(&row.text(0).map_err(fail)?)
            .map_err(|e| internal("stored tenant id", e))?;
        let master_key_hash = CredentialHash::from_hex(&row.text(1).map_err(fail)?)
            .ok_or_else(|| internal("stored master key hash", "not hex"))?;
        let wrapped = row.blob(2).map_err(fail)?;
        let tenant_key = self
            .root_key()?
            .unwrap_tenant_key(tenant_id.as_str(), &wrapped)
            .map_err(|e| internal("unwrap tenant key (wrong ROOT_KEY?)", e))?;
        let loaded = Rc::new(Loaded {
            tenant_id,
            plan,
            master_key_hash,
            tenant_key,
        });
        *self.loaded.borrow_mut() = Some(loaded.clone());
        Ok(Some(loaded))
    }

    fn authenticate(&self, credential: Option<CredentialHash>) -> Result<Rc<Loaded>, ApiError> {
        let rejected = || ApiError::unauthorized("invalid API key");
        let credential = credential.ok_or_else(rejected)?;
        let loaded = self.load()?.ok_or_else(rejected)?;
        // CredentialHash's equality is constant-time.
        if credential == loaded.master_key_hash {
            Ok(loaded)
        } else {
            Err(rejected())
        }
    }
}

/// Brings an object created by an older build up to [`SCHEMA_VERSION`], in one transaction.
fn migrate(storage: &Storage, from: i64) -> Result<(), StorageError> {
    transaction(storage, || {
        for statement in pending(from) {
            execute(storage, statement, vec![])?;
        }
        execute(
            storage,
            "UPDATE tenant SET schema_version = ?",
            vec![V::Integer(SCHEMA_VERSION)],
        )
    })
}
