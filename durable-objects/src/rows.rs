//! The lowest layer above SQL: how values sit in columns (timestamps, counts, versions, JSON),
//! a command's failure (the client's error, or storage trouble), and the transaction wrapper
//! every command runs in.

use crate::sql::{Row, Storage, StorageError, Value as V, transaction};
use latchkey_core::{ApiError, Timestamp};

/// A command's failure: the client's error, or storage trouble (logged, then a 500).
pub enum Failure {
    Client(ApiError),
    Storage(StorageError),
}

impl From<StorageError> for Failure {
    fn from(e: StorageError) -> Self {
        Failure::Storage(e)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Client(e)
    }
}

/// Logs the cause and gives the client the fixed internal error.
pub fn internal(context: &str, cause: impl std::fmt::Display) -> ApiError {
    log_error!("tenant object: {context}: {cause}");
    ApiError::internal()
}

/// Runs `body` in a transaction; a client error rolls it back like any other.
pub fn in_transaction<T>(
    storage: &Storage,
    context: &str,
    body: impl FnOnce() -> Result<T, Failure>,
) -> Result<T, ApiError> {
    let mut client_error = None;
    let result = transaction(storage, || match body() {
        Ok(value) => Ok(value),
        Err(Failure::Storage(e)) => Err(e),
        Err(Failure::Client(e)) => {
            client_error = Some(e);
            Err(StorageError("rolled back for a client error".into()))
        }
    });
    match (result, client_error) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(internal(context, e)),
    }
}

pub fn ts(value: Timestamp) -> V {
    V::Integer(value.unix_ms())
}

pub fn opt_ts(value: Option<Timestamp>) -> V {
    value.map(|t| t.unix_ms()).into()
}

pub fn read_opt_ts(row: &Row, column: usize) -> Result<Option<Timestamp>, StorageError> {
    row.opt_int(column)?
        .map(|ms| {
            Timestamp::from_unix_ms(ms).ok_or_else(|| StorageError(format!("bad timestamp {ms}")))
        })
        .transpose()
}

pub fn read_ts(row: &Row, column: usize) -> Result<Timestamp, StorageError> {
    read_opt_ts(row, column)?.ok_or_else(|| StorageError(format!("column {column} is null")))
}

pub fn read_count(row: &Row, column: usize) -> Result<u64, StorageError> {
    u64::try_from(row.int(column)?).map_err(|e| StorageError(e.to_string()))
}

pub fn version_value(version: u64) -> V {
    // Versions count up from 1 by one per write: far below 2^53.
    V::Integer(version as i64)
}

/// A JSON column (scopes, labels, reports) as its type.
pub fn json_column<T: serde::de::DeserializeOwned>(
    row: &Row,
    column: usize,
) -> Result<T, StorageError> {
    serde_json::from_str(&row.text(column)?).map_err(|e| StorageError(e.to_string()))
}

/// A value as the JSON text of its column.
pub fn json_text<T: serde::Serialize>(value: &T) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(|e| StorageError(e.to_string()))
}
