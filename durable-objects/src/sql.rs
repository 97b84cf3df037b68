//! Small helpers over the Durable Object's SQLite API: typed column reads and a
//! `transactionSync` wrapper (workers-rs 0.8 has none).

use worker::js_sys::{Function, Reflect};
use worker::wasm_bindgen::closure::ScopedClosure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{SqlStorageValue, Storage};

/// Why a storage step failed. Never shown to clients; logged, then mapped to a 500.
#[derive(Debug)]
pub struct StorageError(pub String);

impl From<worker::Error> for StorageError {
    fn from(e: worker::Error) -> Self {
        StorageError(e.to_string())
    }
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One result row, read column by column with the expected type.
pub struct Row(Vec<SqlStorageValue>);

impl Row {
    pub fn new(values: Vec<SqlStorageValue>) -> Self {
        Row(values)
    }

    fn get(&self, column: usize) -> Result<&SqlStorageValue, StorageError> {
        self.0
            .get(column)
            .ok_or_else(|| StorageError(format!("missing column {column}")))
    }

    /// The same row without its first `skip` columns, so a column list can be reused after
    /// extra leading columns.
    pub fn shifted(&self, skip: usize) -> Row {
        Row(self.0.iter().skip(skip).cloned().collect())
    }

    pub fn int(&self, column: usize) -> Result<i64, StorageError> {
        match self.get(column)? {
            SqlStorageValue::Integer(i) => Ok(*i),
            // Integers arrive as JS numbers; whole floats are integers that lost their tag.
            SqlStorageValue::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
            other => Err(StorageError(format!(
                "column {column}: expected integer, got {other:?}"
            ))),
        }
    }

    pub fn opt_int(&self, column: usize) -> Result<Option<i64>, StorageError> {
        match self.get(column)? {
            SqlStorageValue::Null => Ok(None),
            _ => self.int(column).map(Some),
        }
    }

    pub fn text(&self, column: usize) -> Result<String, StorageError> {
        match self.get(column)? {
            SqlStorageValue::String(s) => Ok(s.clone()),
            _ => Err(StorageError(format!("column {column}: expected text"))),
        }
    }

    pub fn opt_text(&self, column: usize) -> Result<Option<String>, StorageError> {
        match self.get(column)? {
            SqlStorageValue::Null => Ok(None),
            _ => self.text(column).map(Some),
        }
    }

    pub fn blob(&self, column: usize) -> Result<Vec<u8>, StorageError> {
        match self.get(column)? {
            SqlStorageValue::Blob(b) => Ok(b.clone()),
            _ => Err(StorageError(format!("column {column}: expected blob"))),
        }
    }
}

/// Runs `query` and returns every row.
pub fn query(
    storage: &Storage,
    query: &str,
    bindings: Vec<SqlStorageValue>,
) -> Result<Vec<Row>, StorageError> {
    let cursor = storage.sql().exec(query, bindings)?;
    cursor
        .raw()
        .map(|row| row.map(Row::new).map_err(StorageError::from))
        .collect()
}

/// Runs `query` and returns its first row, if any.
pub fn query_one(
    storage: &Storage,
    sql: &str,
    bindings: Vec<SqlStorageValue>,
) -> Result<Option<Row>, StorageError> {
    Ok(query(storage, sql, bindings)?.into_iter().next())
}

/// Runs a statement that returns no rows.
pub fn execute(
    storage: &Storage,
    sql: &str,
    bindings: Vec<SqlStorageValue>,
) -> Result<(), StorageError> {
    storage.sql().exec(sql, bindings)?;
    Ok(())
}

/// Runs `body` inside `storage.transactionSync`: every write in it commits together, or,
/// when it returns an error, none does.
pub fn transaction<T>(
    storage: &Storage,
    body: impl FnOnce() -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    let raw: &JsValue = storage.as_raw().as_ref();
    let function: Function = Reflect::get(raw, &JsValue::from_str("transactionSync"))
        .map_err(|_| StorageError("storage.transactionSync is missing".into()))?
        .dyn_into()
        .map_err(|_| StorageError("storage.transactionSync is not a function".into()))?;
    let mut body = Some(body);
    let mut outcome: Option<Result<T, StorageError>> = None;
    let call = {
        let mut run = || -> Result<JsValue, JsValue> {
            let Some(body) = body.take() else {
                return Err(JsValue::from_str("transaction body ran twice"));
            };
            let result = body();
            let failed = result.is_err();
            outcome = Some(result);
            // Throwing from the callback is what makes transactionSync roll back.
            if failed {
                Err(JsValue::from_str("rolled back"))
            } else {
                Ok(JsValue::UNDEFINED)
            }
        };
        let callback =
            ScopedClosure::<dyn FnMut() -> Result<JsValue, JsValue>>::borrow_mut_aborting(&mut run);
        function.call1(raw, callback.as_ref())
    };
    match (outcome, call) {
        (Some(Err(e)), _) => Err(e),
        (Some(Ok(value)), Ok(_)) => Ok(value),
        (_, Err(js)) => Err(StorageError(format!(
            "transaction failed: {}",
            js.as_string().unwrap_or_else(|| format!("{js:?}"))
        ))),
        (None, Ok(_)) => Err(StorageError("transaction body did not run".into())),
    }
}
