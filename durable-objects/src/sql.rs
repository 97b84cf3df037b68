//! The object's storage at its lowest layer: a [`Store`] runs SQL (the Durable Object's SQLite
//! in a deployment, [`durable`]; SQLite on the host in the native tests), and the four entry
//! points every module uses ([`query`], [`query_one`], [`execute`], [`transaction`]) run on
//! any store. Values and rows are this crate's own types, so nothing above this layer names
//! the platform.

mod durable;
pub use durable::js_message;

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

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Integer(i64),
    Float(f64),
    String(String),
    Blob(Vec<u8>),
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Boolean(value)
    }
}

impl From<i32> for Value {
    fn from(value: i32) -> Self {
        Value::Integer(i64::from(value))
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Integer(value)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Value::Float(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::String(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::String(value.to_owned())
    }
}

impl From<Vec<u8>> for Value {
    fn from(value: Vec<u8>) -> Self {
        Value::Blob(value)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// What runs the object's SQL. Implementations: the Durable Object's storage ([`durable`]),
/// and SQLite on the host for the native tests.
pub trait Store {
    /// Runs `sql` with `bindings` and returns every row. A blob column arrives as its `hex()`
    /// text only when the query selects it so (see [`Row::blob`]).
    fn query(&self, sql: &str, bindings: Vec<Value>) -> Result<Vec<Row>, StorageError>;

    /// Runs `body` in a transaction: everything it wrote commits together when it returns
    /// `Ok`, and nothing does when it returns `Err`. Nested calls nest (savepoints).
    fn transaction(
        &self,
        body: &mut dyn FnMut() -> Result<(), StorageError>,
    ) -> Result<(), StorageError>;

    /// The database's size on disk, in bytes.
    fn size_bytes(&self) -> u64;
}

/// The storage every module is handed.
pub type Storage = dyn Store;

/// One result row, read column by column with the expected type.
pub struct Row(Vec<Value>);

impl Row {
    pub fn new(values: Vec<Value>) -> Self {
        Row(values)
    }

    fn get(&self, column: usize) -> Result<&Value, StorageError> {
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
            Value::Integer(i) => Ok(*i),
            // Integers arrive as JS numbers; whole floats are integers that lost their tag.
            Value::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
            other => Err(StorageError(format!(
                "column {column}: expected integer, got {other:?}"
            ))),
        }
    }

    pub fn opt_int(&self, column: usize) -> Result<Option<i64>, StorageError> {
        match self.get(column)? {
            Value::Null => Ok(None),
            _ => self.int(column).map(Some),
        }
    }

    pub fn text(&self, column: usize) -> Result<String, StorageError> {
        match self.get(column)? {
            Value::String(s) => Ok(s.clone()),
            _ => Err(StorageError(format!("column {column}: expected text"))),
        }
    }

    pub fn opt_text(&self, column: usize) -> Result<Option<String>, StorageError> {
        match self.get(column)? {
            Value::Null => Ok(None),
            _ => self.text(column).map(Some),
        }
    }

    /// A blob column, selected as `hex(column)` ([`query`] carries rows as JSON).
    pub fn blob(&self, column: usize) -> Result<Vec<u8>, StorageError> {
        match self.get(column)? {
            Value::String(hex) => latchkey_core::hex::decode_vec(hex)
                .ok_or_else(|| StorageError(format!("column {column}: expected hex"))),
            _ => Err(StorageError(format!(
                "column {column}: expected a hex blob"
            ))),
        }
    }
}

/// Runs `sql` and returns every row.
pub fn query(storage: &Storage, sql: &str, bindings: Vec<Value>) -> Result<Vec<Row>, StorageError> {
    storage.query(sql, bindings)
}

/// Runs `sql` and returns its first row, if any.
pub fn query_one(
    storage: &Storage,
    sql: &str,
    bindings: Vec<Value>,
) -> Result<Option<Row>, StorageError> {
    Ok(storage.query(sql, bindings)?.into_iter().next())
}

/// Runs a statement whose rows, if any, are not needed.
pub fn execute(storage: &Storage, sql: &str, bindings: Vec<Value>) -> Result<(), StorageError> {
    storage.query(sql, bindings).map(|_| ())
}

/// Runs `body` in a transaction ([`Store::transaction`]) and answers what it answered.
pub fn transaction<T>(
    storage: &Storage,
    body: impl FnOnce() -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    let mut body = Some(body);
    let mut answer = None;
    storage.transaction(&mut || {
        let body = body
            .take()
            .ok_or_else(|| StorageError("transaction body ran twice".into()))?;
        answer = Some(body()?);
        Ok(())
    })?;
    answer.ok_or_else(|| StorageError("transaction body did not run".into()))
}
