//! The registry in D1: the tenants the operator created, and the copy of every tenant's audit
//! trail (written by the objects' alarms, searched by the operator). Every D1 statement the
//! Worker runs is here.

use latchkey_core::audit::{AuditQuery, MAX_LIMIT};
use latchkey_core::tenant::Hostname;
use latchkey_core::{ApiError, Plan, TenantId};
use serde_json::{Value, json};
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, Env, console_error};

mod releases;

/// The D1 binding (`wrangler.toml`).
pub const D1_BINDING: &str = "DB";

fn failure(context: &str, e: impl std::fmt::Display) -> ApiError {
    console_error!("registry: {context}: {e}");
    ApiError::internal()
}

pub struct Registry {
    db: D1Database,
}

/// A page of the operator's search, newest first.
pub struct AuditSearchPage {
    pub events: Vec<Value>,
    pub next_cursor: Option<String>,
}

impl Registry {
    pub fn open(env: &Env) -> Result<Self, ApiError> {
        let db = env.d1(D1_BINDING).map_err(|e| failure("d1 binding", e))?;
        Ok(Registry { db })
    }

    /// Reads the registry table, so an unmigrated database counts as not ready.
    pub async fn ping(&self) -> Result<(), worker::Error> {
        self.db
            .prepare("SELECT count(*) FROM tenants")
            .run()
            .await
            .map(|_| ())
    }

    /// A new tenant, `provisioning` until [`Self::activate`].
    pub async fn register(
        &self,
        tenant: &TenantId,
        name: &str,
        plan: Plan,
        registered_at: &str,
    ) -> Result<(), ApiError> {
        self.db
            .prepare(
                "INSERT INTO tenants (id, name, plan, status, created_at) VALUES (?1, ?2, ?3, 'provisioning', ?4)",
            )
            .bind(&[
                tenant.as_str().into(),
                name.into(),
                plan.as_str().into(),
                registered_at.into(),
            ])
            .map_err(|e| failure("bind", e))?
            .run()
            .await
            .map_err(|e| failure("insert tenant", e))?;
        Ok(())
    }

    pub async fn activate(&self, tenant: &TenantId) -> Result<(), ApiError> {
        self.db
            .prepare("UPDATE tenants SET status = 'active' WHERE id = ?1")
            .bind(&[tenant.as_str().into()])
            .map_err(|e| failure("bind", e))?
            .run()
            .await
            .map_err(|e| failure("activate tenant", e))?;
        Ok(())
    }

    /// An active tenant's plan and custom rate limit; `None` when there is no such tenant.
    pub async fn active_plan(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<(Plan, Option<u64>)>, ApiError> {
        let row = self
            .db
            .prepare(
                "SELECT plan, rate_limit_per_minute FROM tenants WHERE id = ?1 AND status = 'active'",
            )
            .bind(&[tenant.as_str().into()])
            .map_err(|e| failure("bind", e))?
            .first::<Value>(None)
            .await
            .map_err(|e| failure("select tenant", e))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let plan = row
            .get("plan")
            .and_then(|v| v.as_str())
            .and_then(|text| Plan::parse(text).ok())
            .ok_or_else(|| failure("stored plan", "unreadable"))?;
        Ok(Some((
            plan,
            row.get("rate_limit_per_minute").and_then(|v| v.as_u64()),
        )))
    }

    pub async fn set_plan(
        &self,
        tenant: &TenantId,
        plan: Plan,
        rate_limit_per_minute: Option<u64>,
    ) -> Result<(), ApiError> {
        let custom: JsValue = match rate_limit_per_minute {
            Some(n) => (n as f64).into(),
            None => JsValue::NULL,
        };
        self.db
            .prepare("UPDATE tenants SET plan = ?1, rate_limit_per_minute = ?2 WHERE id = ?3")
            .bind(&[plan.as_str().into(), custom, tenant.as_str().into()])
            .map_err(|e| failure("bind", e))?
            .run()
            .await
            .map_err(|e| failure("update tenant", e))?;
        Ok(())
    }

    /// The active tenant a hostname belongs to (the `/api/v1` face's login).
    pub async fn tenant_by_hostname(&self, host: &Hostname) -> Result<Option<TenantId>, ApiError> {
        self.tenant_id_where(
            "SELECT h.tenant_id AS id FROM tenant_hostnames h JOIN tenants t ON t.id = h.tenant_id \
             WHERE h.hostname = ?1 AND t.status = 'active'",
            host.as_str().into(),
        )
        .await
    }

    /// Replaces a tenant's hostnames, in one batch; 409 naming one another tenant holds.
    pub async fn set_hostnames(
        &self,
        tenant: &TenantId,
        hostnames: &[Hostname],
    ) -> Result<(), ApiError> {
        // One look for all of them: the first that another tenant holds, if any.
        let names: Vec<&str> = hostnames.iter().map(Hostname::as_str).collect();
        let wanted = serde_json::to_string(&names).map_err(|e| failure("hostnames", e))?;
        let taken = self
            .db
            .prepare(
                "SELECT hostname FROM tenant_hostnames \
                 WHERE hostname IN (SELECT value FROM json_each(?1)) AND tenant_id != ?2 \
                 ORDER BY hostname LIMIT 1",
            )
            .bind(&[wanted.into(), tenant.as_str().into()])
            .map_err(|e| failure("bind", e))?
            .first::<Value>(None)
            .await
            .map_err(|e| failure("select hostname", e))?;
        if let Some(host) = taken
            .as_ref()
            .and_then(|r| r.get("hostname"))
            .and_then(Value::as_str)
        {
            return Err(
                ApiError::conflict(format!("hostname '{host}' belongs to another tenant"))
                    .with("field", "hostnames"),
            );
        }
        let mut statements = vec![
            self.db
                .prepare("DELETE FROM tenant_hostnames WHERE tenant_id = ?1")
                .bind(&[tenant.as_str().into()])
                .map_err(|e| failure("bind", e))?,
        ];
        for host in hostnames {
            statements.push(
                self.db
                    .prepare("INSERT INTO tenant_hostnames (hostname, tenant_id) VALUES (?1, ?2)")
                    .bind(&[host.as_str().into(), tenant.as_str().into()])
                    .map_err(|e| failure("bind", e))?,
            );
        }
        self.db.batch(statements).await.map_err(|e| {
            // Lost a race for a hostname to another tenant: the primary key refused it.
            console_error!("registry: set hostnames: {e}");
            ApiError::conflict("a hostname was just attached to another tenant; retry")
                .with("field", "hostnames")
        })?;
        Ok(())
    }

    /// The tenant id (column `id`) of the first row `sql` selects for `binding`.
    async fn tenant_id_where(
        &self,
        sql: &str,
        binding: JsValue,
    ) -> Result<Option<TenantId>, ApiError> {
        let row = self
            .db
            .prepare(sql)
            .bind(&[binding])
            .map_err(|e| failure("bind", e))?
            .first::<Value>(None)
            .await
            .map_err(|e| failure("select hostname", e))?;
        Ok(row
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .and_then(|id| TenantId::parse(id).ok()))
    }

    /// Registers an OAuth client (DCR): its id and its metadata as registered.
    pub async fn register_oauth_client(
        &self,
        client_id: &str,
        metadata: &latchkey_core::oauth::ClientMetadata,
        registered_at: &str,
    ) -> Result<(), ApiError> {
        let metadata =
            serde_json::to_string(metadata).map_err(|e| failure("client metadata", e))?;
        self.db
            .prepare(
                "INSERT INTO oauth_clients (client_id, metadata, created_at) VALUES (?1, ?2, ?3)",
            )
            .bind(&[client_id.into(), metadata.into(), registered_at.into()])
            .map_err(|e| failure("bind", e))?
            .run()
            .await
            .map_err(|e| failure("insert oauth client", e))?;
        Ok(())
    }

    /// A registered OAuth client's metadata, if it is registered.
    pub async fn oauth_client(
        &self,
        client_id: &str,
    ) -> Result<Option<latchkey_core::oauth::ClientMetadata>, ApiError> {
        let row = self
            .db
            .prepare("SELECT metadata FROM oauth_clients WHERE client_id = ?1")
            .bind(&[client_id.into()])
            .map_err(|e| failure("bind", e))?
            .first::<Value>(None)
            .await
            .map_err(|e| failure("select oauth client", e))?;
        row.as_ref()
            .and_then(|r| r.get("metadata"))
            .and_then(Value::as_str)
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| failure("stored client metadata", e))
    }

    /// A tenant's hostnames, sorted.
    pub async fn hostnames(&self, tenant: &TenantId) -> Result<Vec<String>, ApiError> {
        let rows = self
            .db
            .prepare("SELECT hostname FROM tenant_hostnames WHERE tenant_id = ?1 ORDER BY hostname")
            .bind(&[tenant.as_str().into()])
            .map_err(|e| failure("bind", e))?
            .all()
            .await
            .map_err(|e| failure("select hostnames", e))?
            .results::<Value>()
            .map_err(|e| failure("hostname rows", e))?;
        Ok(rows
            .iter()
            .filter_map(|r| r.get("hostname").and_then(Value::as_str).map(str::to_owned))
            .collect())
    }

    /// The audit copy, newest first, across tenants or for one. Across tenants the cursor is
    /// D1's rowid.
    pub async fn search_audit(
        &self,
        tenant: Option<&TenantId>,
        query: &AuditQuery,
    ) -> Result<AuditSearchPage, ApiError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut values: Vec<JsValue> = Vec::new();
        let mut bind = |clause: &str, value: JsValue| {
            values.push(value);
            clauses.push(clause.replace('?', &format!("?{}", values.len())));
        };
        if let Some(tenant) = tenant {
            bind("tenant_id = ?", tenant.as_str().into());
        }
        if let Some(t) = &query.event_type {
            bind("type = ?", t.as_str().into());
        }
        if let Some(actor) = &query.actor {
            bind("actor = ?", actor.as_str().into());
        }
        if let Some(id) = &query.correlation_id {
            bind("correlation_id = ?", id.as_str().into());
        }
        if let Some(success) = query.success {
            bind("success = ?", f64::from(u8::from(success)).into());
        }
        if let Some(since) = query.since {
            bind("timestamp >= ?", since.to_string().into());
        }
        if let Some(until) = query.until {
            bind("timestamp <= ?", until.to_string().into());
        }
        if let Some(before) = query.before_seq {
            bind("rowid < ?", (before as f64).into());
        }
        let limit = query.limit.min(MAX_LIMIT);
        values.push(f64::from(limit + 1).into());
        let sql = format!(
            "SELECT rowid, * FROM audit_events WHERE {} ORDER BY rowid DESC LIMIT ?{}",
            if clauses.is_empty() {
                "1 = 1".to_owned()
            } else {
                clauses.join(" AND ")
            },
            values.len()
        );
        let mut events = self
            .db
            .prepare(sql)
            .bind(&values)
            .map_err(|e| failure("bind", e))?
            .all()
            .await
            .map_err(|e| failure("operator audit search", e))?
            .results::<Value>()
            .map_err(|e| failure("audit rows", e))?;
        let next_cursor = if events.len() > limit as usize {
            events.truncate(limit as usize);
            events
                .last()
                .and_then(|e| e.get("rowid"))
                .and_then(Value::as_u64)
                .map(latchkey_core::audit::encode_cursor)
        } else {
            None
        };
        for event in &mut events {
            if let Some(map) = event.as_object_mut() {
                map.remove("rowid");
                if let Some(details) = map.get("details").and_then(|d| d.as_str()) {
                    let parsed: Value = serde_json::from_str(details).unwrap_or(Value::Null);
                    map.insert("details".into(), parsed);
                }
                if let Some(success) = map.get("success").and_then(Value::as_i64) {
                    map.insert("success".into(), json!(success != 0));
                }
            }
        }
        Ok(AuditSearchPage {
            events,
            next_cursor,
        })
    }
}
