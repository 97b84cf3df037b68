//! The Durable Object's SQLite storage as a [`Store`]: `storage.sql.exec` and
//! `storage.transactionSync` (workers-rs 0.8 wraps neither the way the object needs).

use super::{Row, StorageError, Store, Value};
use worker::Storage;
use worker::js_sys::{Array, Function, JSON, Reflect, Uint8Array};
use worker::wasm_bindgen::closure::ScopedClosure;
use worker::wasm_bindgen::{JsCast, JsValue};

impl Store for Storage {
    fn query(&self, sql: &str, bindings: Vec<Value>) -> Result<Vec<Row>, StorageError> {
        query(self, sql, bindings)
    }

    fn transaction(
        &self,
        body: &mut dyn FnMut() -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        transaction(self, body)
    }

    fn size_bytes(&self) -> u64 {
        u64::try_from(self.sql().database_size()).unwrap_or(u64::MAX)
    }
}

/// Runs `query` and returns every row.
///
/// The statement and its bindings cross into JS as one JSON array (`JSON.parse` there), and
/// the rows come back as one `JSON.stringify`d string: a handful of wasm ↔ JS calls per
/// statement instead of several per value, which is where a row's time went. A blob does not
/// survive `JSON.stringify`, so a query selects blob columns as `hex(column)` (see
/// [`Row::blob`]); a blob that arrives raw is refused, never read as empty.
fn query(storage: &Storage, query: &str, bindings: Vec<Value>) -> Result<Vec<Row>, StorageError> {
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

/// `storage.sql.exec(sql, ...bindings)`, its arguments built by one `JSON.parse`.
fn run(storage: &Storage, sql: &str, bindings: Vec<Value>) -> Result<JsValue, StorageError> {
    let mut arguments = Vec::with_capacity(bindings.len() + 1);
    arguments.push(serde_json::Value::String(sql.to_owned()));
    // Blobs cannot travel in JSON: a null holds their place, and they are set afterwards.
    let mut blobs = Vec::new();
    for (index, value) in bindings.into_iter().enumerate() {
        arguments.push(match value {
            Value::Null => serde_json::Value::Null,
            Value::Boolean(b) => serde_json::Value::Bool(b),
            Value::Integer(i) => serde_json::Value::from(i),
            Value::Float(f) => serde_json::Value::from(f),
            Value::String(s) => serde_json::Value::String(s),
            Value::Blob(bytes) => {
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

fn value_of(value: serde_json::Value) -> Result<Value, StorageError> {
    Ok(match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Boolean(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            return Err(StorageError(
                "a blob column arrived raw: select it as hex(column)".into(),
            ));
        }
    })
}

/// Runs `body` inside `storage.transactionSync`: every write in it commits together, or,
/// when it returns an error, none does (throwing from the callback rolls it back).
fn transaction(
    storage: &Storage,
    body: &mut dyn FnMut() -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let raw: &JsValue = storage.as_raw().as_ref();
    let function: Function = Reflect::get(raw, &JsValue::from_str("transactionSync"))
        .map_err(|_| StorageError("storage.transactionSync is missing".into()))?
        .dyn_into()
        .map_err(|_| StorageError("storage.transactionSync is not a function".into()))?;
    let mut outcome: Option<Result<(), StorageError>> = None;
    let call = {
        let mut run = || -> Result<JsValue, JsValue> {
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
