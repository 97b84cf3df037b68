//! SQLite on the host as the object's [`Store`]: the same SQL the Durable Object runs, with
//! its rules kept (a blob must be selected as `hex()`, transactions nest as savepoints).

use latchkey_durable_objects::sql::{Row, StorageError, Store, Value};
use rusqlite::Connection;
use rusqlite::types::{Value as Sqlite, ValueRef};
use std::cell::Cell;
use std::rc::Rc;

pub struct SqliteStore {
    connection: Connection,
    depth: Cell<u32>,
}

fn failure(e: rusqlite::Error) -> StorageError {
    StorageError(e.to_string())
}

impl SqliteStore {
    pub fn in_memory() -> Rc<Self> {
        Rc::new(SqliteStore {
            connection: Connection::open_in_memory().expect("an in-memory database"),
            depth: Cell::new(0),
        })
    }
}

impl Store for SqliteStore {
    fn query(&self, sql: &str, bindings: Vec<Value>) -> Result<Vec<Row>, StorageError> {
        let mut statement = self.connection.prepare(sql).map_err(failure)?;
        let columns = statement.column_count();
        let bindings = bindings.into_iter().map(|value| match value {
            Value::Null => Sqlite::Null,
            Value::Boolean(b) => Sqlite::Integer(i64::from(b)),
            Value::Integer(i) => Sqlite::Integer(i),
            Value::Float(f) => Sqlite::Real(f),
            Value::String(s) => Sqlite::Text(s),
            Value::Blob(bytes) => Sqlite::Blob(bytes),
        });
        let mut rows = statement
            .query(rusqlite::params_from_iter(bindings))
            .map_err(failure)?;
        let mut answer = Vec::new();
        while let Some(row) = rows.next().map_err(failure)? {
            let mut values = Vec::with_capacity(columns);
            for column in 0..columns {
                values.push(match row.get_ref(column).map_err(failure)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(i) => Value::Integer(i),
                    ValueRef::Real(f) => Value::Float(f),
                    ValueRef::Text(text) => {
                        Value::String(String::from_utf8_lossy(text).into_owned())
                    }
                    // What the Durable Object does with a raw blob: it cannot cross as JSON.
                    ValueRef::Blob(_) => {
                        return Err(StorageError(
                            "a blob column arrived raw: select it as hex(column)".into(),
                        ));
                    }
                });
            }
            answer.push(Row::new(values));
        }
        Ok(answer)
    }

    fn transaction(
        &self,
        body: &mut dyn FnMut() -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let depth = self.depth.get();
        let name = format!("t{depth}");
        self.connection
            .execute_batch(&format!("SAVEPOINT {name}"))
            .map_err(failure)?;
        self.depth.set(depth + 1);
        let result = body();
        self.depth.set(depth);
        match result {
            Ok(()) => self
                .connection
                .execute_batch(&format!("RELEASE {name}"))
                .map_err(failure),
            Err(e) => {
                self.connection
                    .execute_batch(&format!("ROLLBACK TO {name}; RELEASE {name}"))
                    .map_err(failure)?;
                Err(e)
            }
        }
    }

    fn size_bytes(&self) -> u64 {
        self.connection
            .query_row(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |row| row.get::<_, i64>(0),
            )
            .map_or(0, |n| u64::try_from(n).unwrap_or(0))
    }
}

/// The store as the object holds it, while the test keeps a handle to look inside.
pub struct Shared(pub Rc<SqliteStore>);

impl Store for Shared {
    fn query(&self, sql: &str, bindings: Vec<Value>) -> Result<Vec<Row>, StorageError> {
        self.0.query(sql, bindings)
    }

    fn transaction(
        &self,
        body: &mut dyn FnMut() -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        self.0.transaction(body)
    }

    fn size_bytes(&self) -> u64 {
        self.0.size_bytes()
    }
}
