//! One tenant's object: authenticates each command against the tenant's master key hash,
//! then runs it against the tenant's SQLite storage. Every command runs without awaiting
//! anything but its own body, so commands to one tenant never interleave.

use crate::contract::{TenantCommand, TenantReply, TenantRequest, TenantResult};
use crate::sql::{Row, StorageError, execute, query_one, transaction};
use latchkey_core::credential::CredentialHash;
use latchkey_core::crypto::{Binding, RootKey, Sealed, TenantKey};
use latchkey_core::secret::{NewSecret, SecretCreated, SecretMetadata, SecretRead, Tags, Tier};
use latchkey_core::tenant::TenantName;
use latchkey_core::{ApiError, Plan, SecretPath, TenantId, Timestamp};
use std::cell::RefCell;
use std::rc::Rc;
use worker::{Date, Env, Request, Response, SqlStorageValue as V, State, Storage, console_error};

/// The Worker secret holding the root key.
pub const ROOT_KEY_SECRET: &str = "ROOT_KEY";
const SCHEMA_VERSION: i64 = 1;
const VALUE_PURPOSE: &str = "value";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS tenant (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        tenant_id TEXT NOT NULL,
        name TEXT NOT NULL,
        plan TEXT NOT NULL,
        master_key_hash TEXT NOT NULL,
        wrapped_tenant_key BLOB NOT NULL,
        root_key_id TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS secrets (
        path TEXT PRIMARY KEY,
        current_version INTEGER NOT NULL,
        tier TEXT NOT NULL,
        description TEXT,
        tags TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        accessed_at INTEGER,
        expires_at INTEGER,
        deleted_at INTEGER
    )",
    "CREATE TABLE IF NOT EXISTS secret_versions (
        path TEXT NOT NULL,
        version INTEGER NOT NULL,
        wrapped_data_key BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (path, version)
    )",
];

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

fn read_ts(row: &Row, column: usize) -> Result<Timestamp, StorageError> {
    let ms = row.int(column)?;
    Timestamp::from_unix_ms(ms).ok_or_else(|| StorageError(format!("bad timestamp {ms}")))
}

fn read_opt_ts(row: &Row, column: usize) -> Result<Option<Timestamp>, StorageError> {
    row.opt_int(column)?
        .map(|ms| {
            Timestamp::from_unix_ms(ms).ok_or_else(|| StorageError(format!("bad timestamp {ms}")))
        })
        .transpose()
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
                match command {
                    TenantCommand::CreateSecret { secret } => self.create_secret(&loaded, secret),
                    TenantCommand::GetSecret { path, version } => {
                        self.get_secret(&loaded, &path, version)
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

    fn create_secret(&self, loaded: &Loaded, secret: NewSecret) -> TenantResult {
        let path = secret.path;
        let version = 1u64;
        let binding = Binding {
            tenant_id: loaded.tenant_id.as_str(),
            path: path.as_str(),
            version,
            purpose: VALUE_PURPOSE,
        };
        let sealed = loaded
            .tenant_key
            .seal(&binding, secret.value.as_bytes())
            .map_err(|e| internal("seal", e))?;
        let metadata = secret.metadata;
        let tags = serde_json::to_string(&metadata.tags).map_err(|e| internal("tags", e))?;
        let created_at = now();
        let storage = self.storage();
        let outcome = transaction(&storage, || {
            if let Some(row) = query_one(
                &storage,
                "SELECT deleted_at FROM secrets WHERE path = ?",
                vec![path.as_str().into()],
            )? {
                return Ok(Err(row.opt_int(0)?.is_some()));
            }
            execute(
                &storage,
                "INSERT INTO secrets (path, current_version, tier, description, tags,
                    created_at, updated_at, accessed_at, expires_at, deleted_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)",
                vec![
                    path.as_str().into(),
                    V::Integer(version as i64),
                    metadata.tier.as_str().into(),
                    metadata.description.clone().into(),
                    tags.clone().into(),
                    ts(created_at),
                    ts(created_at),
                    metadata.expires_at.map(|t| t.unix_ms()).into(),
                ],
            )?;
            execute(
                &storage,
                "INSERT INTO secret_versions (path, version, wrapped_data_key, ciphertext, created_at)
                 VALUES (?, ?, ?, ?, ?)",
                vec![
                    path.as_str().into(),
                    V::Integer(version as i64),
                    V::Blob(sealed.wrapped_data_key.clone()),
                    V::Blob(sealed.ciphertext.clone()),
                    ts(created_at),
                ],
            )?;
            Ok(Ok(()))
        })
        .map_err(|e| internal("create secret", e))?;
        match outcome {
            Ok(()) => Ok(TenantReply::SecretCreated(SecretCreated {
                path,
                version,
                tier: metadata.tier,
                created_at,
            })),
            Err(true) => Err(ApiError::conflict(format!(
                "secret '{path}' exists but is deleted; restore it with POST /v1/secrets/{}/restore, or delete it permanently first",
                path.as_str().replace('/', "%2F")
            ))
            .with("path", path.as_str())),
            Err(false) => Err(ApiError::conflict(format!(
                "secret '{path}' already exists; use PUT /v1/secrets/{} to update it",
                path.as_str().replace('/', "%2F")
            ))
            .with("path", path.as_str())),
        }
    }

    fn get_secret(&self, loaded: &Loaded, path: &SecretPath, version: Option<u64>) -> TenantResult {
        let storage = self.storage();
        let fail = |e: StorageError| internal("get secret", e);
        let not_found = || {
            ApiError::not_found(format!("secret '{path}' not found")).with("path", path.as_str())
        };
        let row = query_one(
            &storage,
            "SELECT current_version, tier, description, tags, created_at, updated_at,
                    expires_at, deleted_at
             FROM secrets WHERE path = ?",
            vec![path.as_str().into()],
        )
        .map_err(fail)?
        .ok_or_else(not_found)?;
        if row.opt_int(7).map_err(fail)?.is_some() {
            return Err(not_found());
        }
        let now = now();
        let expires_at = read_opt_ts(&row, 6).map_err(fail)?;
        if let Some(expired) = expires_at.filter(|at| *at <= now) {
            return Err(
                ApiError::not_found(format!("secret '{path}' expired at {expired}"))
                    .with("path", path.as_str()),
            );
        }
        let current =
            u64::try_from(row.int(0).map_err(fail)?).map_err(|e| internal("version", e))?;
        let wanted = version.unwrap_or(current);
        let tags: Tags = serde_json::from_str(&row.text(3).map_err(fail)?)
            .map_err(|e| internal("stored tags", e))?;
        let tier = Tier::parse(&row.text(1).map_err(fail)?)
            .ok_or_else(|| internal("stored tier", "unknown"))?;
        let metadata = SecretMetadata {
            tier,
            description: row.opt_text(2).map_err(fail)?,
            tags,
            expires_at,
        };
        let created_at = read_ts(&row, 4).map_err(fail)?;
        let updated_at = read_ts(&row, 5).map_err(fail)?;
        let version_row = i64::try_from(wanted)
            .ok()
            .map(|v| {
                query_one(
                    &storage,
                    "SELECT wrapped_data_key, ciphertext FROM secret_versions
                     WHERE path = ? AND version = ?",
                    vec![path.as_str().into(), V::Integer(v)],
                )
            })
            .transpose()
            .map_err(fail)?
            .flatten()
            .ok_or_else(|| {
                ApiError::not_found(format!("version {wanted} of secret '{path}' not found"))
                    .with("path", path.as_str())
            })?;
        let sealed = Sealed {
            wrapped_data_key: version_row.blob(0).map_err(fail)?,
            ciphertext: version_row.blob(1).map_err(fail)?,
        };
        let binding = Binding {
            tenant_id: loaded.tenant_id.as_str(),
            path: path.as_str(),
            version: wanted,
            purpose: VALUE_PURPOSE,
        };
        let plain = loaded
            .tenant_key
            .open(&binding, &sealed)
            .map_err(|e| internal("open sealed value", e))?;
        let value = String::from_utf8(plain.to_vec()).map_err(|e| internal("value utf-8", e))?;
        execute(
            &storage,
            "UPDATE secrets SET accessed_at = ? WHERE path = ?",
            vec![ts(now), path.as_str().into()],
        )
        .map_err(fail)?;
        Ok(TenantReply::Secret(SecretRead {
            path: path.clone(),
            value,
            version: wanted,
            tier: metadata.tier,
            description: metadata.description,
            tags: metadata.tags,
            created_at,
            updated_at,
            accessed_at: Some(now),
            expires_at,
        }))
    }
}
