//! Small helpers over the Durable Object's SQLite API: typed column reads and a
//! `transactionSync` wrapper (workers-rs 0.8 has none).

use worker::js_sys::{Array, Function, JSON, Reflect, Uint8Array};
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

    /// A blob column, selected as `hex(column)` ([`query`] carries rows as JSON).
    pub fn blob(&self, column: usize) -> Result<Vec<u8>, StorageError> {
        match self.get(column)? {
            SqlStorageValue::String(hex) => latchkey_core::hex::decode_vec(hex)
                .ok_or_else(|| StorageError(format!("column {column}: expected hex"))),
            _ => Err(StorageError(format!(
                "column {column}: expected a hex blob"
            ))),
        }
    }
}

/// Runs `query` and returns every row.
///
/// The statement and its bindings cross into JS as one JSON array (`JSON.parse` there), and
/// the rows come back as one `JSON.stringify`d string: a handful of wasm ↔ JS calls per
/// statement instead of several per value, which is where a row's time went. A blob does not
/// survive `JSON.stringify`, so a query selects blob columns as `hex(column)` (see
/// [`Row::blob`]); a blob that arrives raw is refused, never read as empty.
pub fn query(
    storage: &Storage,
    query: &str,
    bindings: Vec<SqlStorageValue>,
) -> Result<Vec<Row>, StorageError> {
    let cursor = run(storage, query, bindings)?;
    let raw = call_method(&cursor, "raw", &Array::new())?;
    let rows = JSON::stringify(&Array::from(&raw))
        .map_err(|e| js_error("rows", &e))?
        .as_string()
        .ok_or_else(|| StorageError("rows: JSON.stringify returned no string".into()))?;
    let rows: Vec<Vec<serde_json::Value>> = serde_json::from_str(&rows)
        .map_err(|e| StorageError(format!("rows: {:?}", e.classify())))?;
    rows.into_iter()
        .map(|values| {
            values
                .into_iter()
                .map(value_of)
                .collect::<Result<Vec<_>, _>>()
                .map(Row::new)
        })
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
    run(storage, sql, bindings).map(|_| ())
}

/// `storage.sql.exec(sql, ...bindings)`, its arguments built by one `JSON.parse`.
fn run(
    storage: &Storage,
    sql: &str,
    bindings: Vec<SqlStorageValue>,
) -> Result<JsValue, StorageError> {
    let mut arguments = Vec::with_capacity(bindings.len() + 1);
    arguments.push(serde_json::Value::String(sql.to_owned()));
    // Blobs cannot travel in JSON: a null holds their place, and they are set afterwards.
    let mut blobs = Vec::new();
    for (index, value) in bindings.into_iter().enumerate() {
        arguments.push(match value {
            SqlStorageValue::Null => serde_json::Value::Null,
            SqlStorageValue::Boolean(b) => serde_json::Value::Bool(b),
            SqlStorageValue::Integer(i) => serde_json::Value::from(i),
            SqlStorageValue::Float(f) => serde_json::Value::from(f),
            SqlStorageValue::String(s) => serde_json::Value::String(s),
            SqlStorageValue::Blob(bytes) => {
                blobs.push((index + 1, bytes));
                serde_json::Value::Null
            }
        });
    }
    let text = serde_json::to_string(&arguments)
        .map_err(|e| StorageError(format!("bindings: {:?}", e.classify())))?;
    let arguments: Array = JSON::parse(&text)
        .map_err(|e| js_error("bindings", &e))?
        .dyn_into()
        .map_err(|_| StorageError("bindings: not an array".into()))?;
    for (index, bytes) in blobs {
        let index = u32::try_from(index).map_err(|_| StorageError("too many bindings".into()))?;
        arguments.set(index, Uint8Array::from(bytes.as_slice()).into());
    }
    let sql_storage = Reflect::get(storage.as_raw().as_ref(), &JsValue::from_str("sql"))
        .map_err(|e| js_error("storage.sql", &e))?;
    call_method(&sql_storage, "exec", &arguments)
}

/// `target[name](...arguments)`; a throw (an SQL error) becomes a [`StorageError`].
fn call_method(target: &JsValue, name: &str, arguments: &Array) -> Result<JsValue, StorageError> {
    let method: Function = Reflect::get(target, &JsValue::from_str(name))
        .map_err(|e| js_error(name, &e))?
        .dyn_into()
        .map_err(|_| StorageError(format!("{name} is not a function")))?;
    Reflect::apply(&method, target, arguments).map_err(|e| js_error(name, &e))
}

fn js_error(context: &str, e: &JsValue) -> StorageError {
    StorageError(format!("{context}: {}", js_message(e)))
}

/// What a thrown JS value says: an `Error`'s message, or the value itself when it is a string.
pub fn js_message(e: &JsValue) -> String {
    Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

fn value_of(value: serde_json::Value) -> Result<SqlStorageValue, StorageError> {
    Ok(match value {
        serde_json::Value::Null => SqlStorageValue::Null,
        serde_json::Value::Bool(b) => SqlStorageValue::Boolean(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => SqlStorageValue::Integer(i),
            None => SqlStorageValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => SqlStorageValue::String(s),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            return Err(StorageError(
                "a blob column arrived raw: select it as hex(column)".into(),
            ));
        }
    })
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
