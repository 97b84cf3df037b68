//! `GET /v1/secrets`: one page of metadata, filtered, after an opaque path cursor.

use crate::secrets::summary;
use crate::sql::{self, StorageError, query_one};
use crate::store::{SECRET_COLUMNS, SecretContext, internal, parse_secret_row, ts};
use latchkey_core::listing::{ListQuery, SecretPage, encode_cursor};
use latchkey_core::{ApiError, SecretPath, Timestamp};
use worker::SqlStorageValue as V;

/// The WHERE clause and bindings of a list query (without its cursor).
fn list_filter(query: &ListQuery, now: Timestamp) -> (String, Vec<V>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut bindings: Vec<V> = Vec::new();
    if !query.include_deleted {
        clauses.push("deleted_at IS NULL");
    }
    if let Some(namespace) = &query.namespace {
        // Whole segments: `prod` matches `prod` and `prod/…`, never `production/…`.
        clauses.push("(path = ? OR substr(path, 1, length(?) + 1) = ? || '/')");
        bindings.extend([
            namespace.as_str().into(),
            namespace.as_str().into(),
            namespace.as_str().into(),
        ]);
    }
    for (key, value) in &query.tags {
        clauses.push(
            "EXISTS (SELECT 1 FROM json_each(secrets.tags) AS t WHERE t.key = ? AND t.value = ?)",
        );
        bindings.extend([key.as_str().into(), value.as_str().into()]);
    }
    if let Some(tier) = query.tier {
        clauses.push("tier = ?");
        bindings.push(tier.as_str().into());
    }
    if let Some(q) = &query.q {
        clauses.push(
            "(instr(lower(path), lower(?)) > 0 OR instr(lower(coalesce(description, '')), lower(?)) > 0 \
             OR instr(lower(tags), lower(?)) > 0)",
        );
        bindings.extend([q.as_str().into(), q.as_str().into(), q.as_str().into()]);
    }
    if let Some(seconds) = query.expiring_within {
        clauses.push("expires_at IS NOT NULL AND expires_at <= ?");
        bindings.push(ts(
            now.plus_seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
        ));
    }
    let filter = if clauses.is_empty() {
        "1 = 1".to_owned()
    } else {
        clauses.join(" AND ")
    };
    (filter, bindings)
}

/// One page of metadata, ordered by path, after the cursor's path.
pub fn list(ctx: &SecretContext<'_>, query: &ListQuery) -> Result<SecretPage, ApiError> {
    let fail = |e: StorageError| internal("list secrets", e);
    let (filter, bindings) = list_filter(query, ctx.now);
    let total = query_one(
        ctx.storage,
        &format!("SELECT count(*) FROM secrets WHERE {filter}"),
        bindings.clone(),
    )
    .map_err(fail)?
    .map(|row| row.int(0))
    .transpose()
    .map_err(fail)?
    .unwrap_or(0);
    let mut page_bindings = bindings;
    let after_clause = match &query.after {
        Some(after) => {
            page_bindings.push(after.as_str().into());
            " AND path > ?"
        }
        None => "",
    };
    page_bindings.push(V::Integer(i64::from(query.limit) + 1));
    let rows = sql::query(
        ctx.storage,
        &format!("SELECT path, {SECRET_COLUMNS} FROM secrets WHERE {filter}{after_clause} ORDER BY path LIMIT ?"),
        page_bindings,
    )
    .map_err(fail)?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let path = SecretPath::parse(&row.text(0).map_err(fail)?)
            .map_err(|e| internal("stored path", e))?;
        let secret = parse_secret_row(&row.shifted(1)).map_err(fail)?;
        items.push(summary(path, secret));
    }
    let next_cursor = if items.len() > query.limit as usize {
        items.truncate(query.limit as usize);
        items.last().map(|last| encode_cursor(&last.path))
    } else {
        None
    };
    Ok(SecretPage {
        items,
        total: u64::try_from(total).unwrap_or(0),
        next_cursor,
    })
}
