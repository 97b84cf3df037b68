//! The tenant object's SQLite schema. Created by the `init` command in the same transaction
//! as the tenant row, so an object either has all of it or none of it.

pub const SCHEMA_VERSION: i64 = 1;

pub const SCHEMA: &[&str] = &[
    // One row: who this object is, and the keys it needs.
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
    // One row per secret path: metadata and the current version. Never a value.
    "CREATE TABLE IF NOT EXISTS secrets (
        path TEXT PRIMARY KEY,
        current_version INTEGER NOT NULL,
        tier TEXT NOT NULL,
        description TEXT,
        tags TEXT NOT NULL,
        max_versions INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        accessed_at INTEGER,
        expires_at INTEGER,
        deleted_at INTEGER
    )",
    // One row per kept version: the sealed value. `expires_at` is set by a rotation (the end
    // of the grace period); `destroyed_at` when the ciphertext was erased.
    "CREATE TABLE IF NOT EXISTS secret_versions (
        path TEXT NOT NULL,
        version INTEGER NOT NULL,
        wrapped_data_key BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        destroyed_at INTEGER,
        PRIMARY KEY (path, version)
    )",
];
