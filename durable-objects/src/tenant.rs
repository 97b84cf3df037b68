//! One tenant's object: authenticates each command against the tenant's master key hash,
//! then runs it against the tenant's SQLite storage. Every command runs without awaiting
//! anything but its own body, so commands to one tenant never interleave.

use crate::contract::{TenantCommand, TenantReply, TenantRequest, TenantResult};
use crate::schema::{SCHEMA, SCHEMA_VERSION};
use crate::secrets::{self, SecretContext};
use crate::sql::{StorageError, execute, query_one, transaction};
use latchkey_core::credential::CredentialHash;
use latchkey_core::crypto::{RootKey, TenantKey};
use latchkey_core::tenant::TenantName;
use latchkey_core::{ApiError, Plan, TenantId, Timestamp};
use std::cell::RefCell;
use std::rc::Rc;
use worker::{Date, Env, Request, Response, SqlStorageValue as V, State, Storage, console_error};

/// The Worker secret holding the root key.
pub const ROOT_KEY_SECRET: &str = "ROOT_KEY";

/// What every authenticated command needs, loaded once per object lifetime.
struct Loaded {
    tenant_id: TenantId,
    master_key_hash: CredentialHash,
    tenant_key: TenantKey,
}

pub struct Tenant {
    state: State,
    env: Env,
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
        Tenant {
            state,
            env,
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
            Ok(command) => self.execute(command),
            Err(e) => Err(internal("unreadable command", e)),
        };
        Response::from_json(&result)
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
                let ctx = SecretContext {
                    storage: &storage,
                    tenant_id: &loaded.tenant_id,
                    tenant_key: &loaded.tenant_key,
                    now: now(),
                };
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
                        secrets::list(&ctx, &query).map(TenantReply::SecretList)
                    }
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
            for statement in SCHEMA {
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
            "SELECT tenant_id, master_key_hash, wrapped_tenant_key FROM tenant",
            vec![],
        )
        .map_err(fail)?
        else {
            return Ok(None);
        };
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
