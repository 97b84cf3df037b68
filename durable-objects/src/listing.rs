//! `GET /v1/secrets`: one page of metadata, filtered, after an opaque path cursor.

use crate::secrets::summary;
use crate::sql::Value as V;
use crate::sql::{self, Row, StorageError, query_one};
use crate::store::{SECRET_COLUMNS, SecretContext, internal, parse_secret_row, ts};
use latchkey_core::listing::{ListQuery, SecretPage, encode_cursor};
use latchkey_core::scope::{ScopeSet, SecretAction};
use latchkey_core::secret::SecretSummary;
use latchkey_core::{ApiError, SecretPath, Timestamp};

/// The WHERE clause and bindings of a list query (without its cursor).
fn list_filter(query: &ListQuery, now: Timestamp, environment: Option<&str>) -> (String, Vec<V>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut bindings: Vec<V> = Vec::new();
    if let Some(prefix) = environment {
        let (clause, values) = crate::projects::holds_path(prefix);
        clauses.push(clause);
        bindings.extend(values);
    }
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

/// One page of metadata, ordered by path, after the cursor's path: only the secrets the
/// caller's scopes can read.
pub fn list(
    ctx: &SecretContext<'_>,
    query: &ListQuery,
    scopes: &ScopeSet,
) -> Result<SecretPage, ApiError> {
    // `?environment=`: the prefix of an environment that exists (else 404 naming it).
    let prefix = match &query.environment {
        Some(id) => Some(crate::projects::environment(ctx, id)?.path_prefix),
        None => None,
    };
    let prefix = prefix.as_deref();
    if scopes.allows_everywhere(SecretAction::Read) {
        list_all(ctx, query, prefix)
    } else {
        list_scoped(ctx, query, scopes, prefix)
    }
}

fn summaries(rows: &[Row]) -> Result<Vec<SecretSummary>, ApiError> {
    let fail = |e: StorageError| internal("list secrets", e);
    rows.iter()
        .map(|row| {
            let path = SecretPath::parse(&row.text(0).map_err(fail)?)
                .map_err(|e| internal("stored path", e))?;
            let secret = parse_secret_row(&row.shifted(1)).map_err(fail)?;
            Ok(summary(path, secret))
        })
        .collect()
}

/// Cuts `items` (ordered by path, up to `limit + 1` long) to a page and its cursor.
fn page(mut items: Vec<SecretSummary>, limit: u32, total: u64) -> SecretPage {
    let limit = limit as usize;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| encode_cursor(&last.path))
    } else {
        None
    };
    SecretPage {
        items,
        total,
        next_cursor,
    }
}

/// An unrestricted caller: counting and paging happen in SQL.
fn list_all(
    ctx: &SecretContext<'_>,
    query: &ListQuery,
    environment: Option<&str>,
) -> Result<SecretPage, ApiError> {
    let fail = |e: StorageError| internal("list secrets", e);
    let (filter, bindings) = list_filter(query, ctx.now, environment);
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
    Ok(page(
        summaries(&rows)?,
        query.limit,
        u64::try_from(total).unwrap_or(0),
    ))
}

/// A scoped token: globs do not translate to SQL exactly (a middle `*` is one segment), so
/// the matching rows' paths are filtered here. One pass over the filtered paths per page;
/// fine for the thousands of secrets one tenant object holds.
fn list_scoped(
    ctx: &SecretContext<'_>,
    query: &ListQuery,
    scopes: &ScopeSet,
    environment: Option<&str>,
) -> Result<SecretPage, ApiError> {
    let fail = |e: StorageError| internal("list secrets", e);
    let (filter, bindings) = list_filter(query, ctx.now, environment);
    let paths = sql::query(
        ctx.storage,
        &format!("SELECT path FROM secrets WHERE {filter} ORDER BY path"),
        bindings,
    )
    .map_err(fail)?;
    let mut visible = Vec::new();
    for row in &paths {
        let path = SecretPath::parse(&row.text(0).map_err(fail)?)
            .map_err(|e| internal("stored path", e))?;
        if scopes.allows_secret(SecretAction::Read, &path) {
            visible.push(path);
        }
    }
    let total = visible.len() as u64;
    let wanted: Vec<&SecretPath> = visible
        .iter()
        .filter(|path| query.after.as_ref().is_none_or(|after| *path > after))
        .take(query.limit as usize + 1)
        .collect();
    let mut rows = Vec::with_capacity(wanted.len());
    for path in wanted {
        if let Some(row) = query_one(
            ctx.storage,
            &format!("SELECT path, {SECRET_COLUMNS} FROM secrets WHERE path = ?"),
            vec![path.as_str().into()],
        )
        .map_err(fail)?
        {
            rows.push(row);
        }
    }
    Ok(page(summaries(&rows)?, query.limit, total))
}
