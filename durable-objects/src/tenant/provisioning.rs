//! The tenant's own row: creating it (the operator's `InitTenant`), changing its plan
//! (`SetPlan`), and loading it, with its key, once per object lifetime, bringing an older
//! schema up to date on the way.

use super::*;

impl Tenant {
    /// An operator command, recorded with the operator as its actor.
    pub(super) fn operator_command(&self, command: OperatorCommand, origin: &Origin) -> Encoded {
        let draft = audit_mapping::operator_draft(&command);
        match command {
            OperatorCommand::InitTenant(c) => respond(c, |c| self.init(c, draft, origin)),
            OperatorCommand::SetPlan(c) => respond(c, |c| {
                self.write_deferred_events(self.storage());
                let result = self
                    .set_plan(c.plan, c.rate_limit_per_minute)
                    .and_then(|()| self.set_non_expiring_tokens(c.non_expiring_tokens))
                    .and_then(|()| self.set_mcp_value_tools(c.mcp_value_tools))
                    .and_then(|()| crate::gitops::set_enabled(self.storage(), c.gitops_enabled));
                if let Ok(Some(loaded)) = self.load() {
                    let storage = self.storage();
                    self.record_alone(
                        storage,
                        &loaded,
                        &Actor::named("operator"),
                        origin,
                        audit_mapping::complete(draft, &result),
                        self.now(),
                    );
                }
                result
            }),
        }
    }

    /// The operator's `PATCH /v1/admin/tenants/{id}`: plan and custom rate limit.
    pub(super) fn set_plan(
        &self,
        plan: Plan,
        rate_limit_per_minute: Option<u64>,
    ) -> Result<(), ApiError> {
        if self.load()?.is_none() {
            return Err(ApiError::not_found("tenant not found"));
        }
        execute(
            self.storage(),
            "UPDATE tenant SET plan = ?, rate_limit_per_minute = ?",
            vec![
                plan.as_str().into(),
                rate_limit_per_minute
                    .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
                    .into(),
            ],
        )
        .map_err(|e| internal("set plan", e))?;
        // Reload the tenant row on the next request.
        *self.loaded.borrow_mut() = None;
        Ok(())
    }

    /// The operator's `non_expiring_tokens` setting (`None`: unchanged).
    fn set_non_expiring_tokens(&self, allowed: Option<bool>) -> Result<(), ApiError> {
        let Some(allowed) = allowed else {
            return Ok(());
        };
        execute(
            self.storage(),
            "UPDATE tenant SET non_expiring_tokens = ?",
            vec![i64::from(allowed).into()],
        )
        .map_err(|e| internal("set non_expiring_tokens", e))
    }

    /// The operator's `mcp_value_tools` setting (`None`: unchanged).
    fn set_mcp_value_tools(
        &self,
        setting: Option<latchkey_core::tenant::McpValueTools>,
    ) -> Result<(), ApiError> {
        let Some(setting) = setting else {
            return Ok(());
        };
        execute(
            self.storage(),
            "UPDATE tenant SET mcp_value_tools = ?",
            vec![setting.as_str().into()],
        )
        .map_err(|e| internal("set mcp_value_tools", e))
    }

    pub(super) fn root_key(&self) -> Result<&RootKey, ApiError> {
        self.config
            .root_key
            .as_ref()
            .map_err(|e| internal("ROOT_KEY", e))
    }

    pub(super) fn init(
        &self,
        command: InitTenant,
        draft: Draft,
        origin: &Origin,
    ) -> Result<Timestamp, ApiError> {
        let InitTenant {
            tenant_id,
            name,
            plan,
            master_key_hash,
        } = command;
        let root = self.root_key()?;
        let tenant_key = TenantKey::generate().map_err(|e| internal("tenant key", e))?;
        let wrapped = root
            .wrap_tenant_key(tenant_id.as_str(), &tenant_key)
            .map_err(|e| internal("wrap tenant key", e))?;
        let created_at = self.now();
        let storage = self.storage();
        let created = transaction(storage, || {
            // An object that has a tenant already has its schema: migrations run on load, and
            // running the first ones again would fail on columns added since.
            let has_tenant_table = query_one(
                storage,
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tenant'",
                vec![],
            )?
            .is_some();
            if has_tenant_table && query_one(storage, "SELECT 1 FROM tenant", vec![])?.is_some() {
                return Ok(false);
            }
            for statement in pending(0) {
                execute(storage, statement, vec![])?;
            }
            execute(
                storage,
                "INSERT INTO tenant (singleton, tenant_id, name, plan, master_key_hash,
                    wrapped_tenant_key, root_key_id, schema_version, created_at)
                 VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    tenant_id.as_str().into(),
                    name.as_str().into(),
                    plan.as_str().into(),
                    master_key_hash.to_hex().into(),
                    V::Blob(wrapped),
                    root.id().into(),
                    V::Integer(SCHEMA_VERSION),
                    ts(created_at),
                ],
            )?;
            // The chain starts with the tenant itself.
            audit::record(
                storage,
                &tenant_id,
                &Actor::named("operator"),
                origin,
                draft,
                created_at,
            )?;
            Ok(true)
        })
        .map_err(|e| internal("init", e))?;
        self.audit_head.forget();
        if !created {
            return Err(ApiError::conflict("tenant already exists"));
        }
        Ok(created_at)
    }

    /// Loads the tenant row and unwraps the tenant key, once per object lifetime. An object
    /// that was never initialized has no tables: it answers 401 and writes nothing, so
    /// guessing tenant ids creates no storage.
    pub(super) fn load(&self) -> Result<Option<Rc<Loaded>>, ApiError> {
        if let Some(loaded) = self.loaded.borrow().as_ref() {
            return Ok(Some(loaded.clone()));
        }
        let storage = self.storage();
        let fail = |e: StorageError| internal("load tenant", e);
        let has_table = query_one(
            storage,
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tenant'",
            vec![],
        )
        .map_err(fail)?
        .is_some();
        if !has_table {
            return Ok(None);
        }
        let Some(version_row) =
            query_one(storage, "SELECT schema_version FROM tenant", vec![]).map_err(fail)?
        else {
            return Ok(None);
        };
        let schema_version = version_row.int(0).map_err(fail)?;
        if schema_version < SCHEMA_VERSION {
            migrate(storage, schema_version).map_err(|e| internal("migrate schema", e))?;
        }
        let row = query_one(
            storage,
            "SELECT tenant_id, master_key_hash, hex(wrapped_tenant_key), plan, rate_limit_per_minute
             FROM tenant",
            vec![],
        )
        .map_err(fail)?
        .ok_or_else(|| internal("load tenant", "tenant row vanished"))?;
        let plan =
            Plan::parse(&row.text(3).map_err(fail)?).map_err(|e| internal("stored plan", e))?;
        let tenant_id = TenantId::parse(&row.text(0).map_err(fail)?)
            .map_err(|e| internal("stored tenant id", e))?;
        let master_key_hash = CredentialHash::from_hex(&row.text(1).map_err(fail)?)
            .ok_or_else(|| internal("stored master key hash", "not hex"))?;
        let wrapped = row.blob(2).map_err(fail)?;
        let tenant_key = self
            .root_key()?
            .unwrap_tenant_key(tenant_id.as_str(), &wrapped)
            .map_err(|e| internal("unwrap tenant key (wrong ROOT_KEY?)", e))?;
        let custom_limit = row
            .opt_int(4)
            .map_err(fail)?
            .map(|n| u64::try_from(n).unwrap_or(0));
        let loaded = Rc::new(Loaded {
            tenant_id,
            plan,
            rate_limit: ratelimit::plan_limit(plan, custom_limit),
            master_key_hash,
            tenant_key,
        });
        *self.loaded.borrow_mut() = Some(loaded.clone());
        Ok(Some(loaded))
    }
}

/// Brings an object created by an older build up to [`SCHEMA_VERSION`], in one transaction.
fn migrate(storage: &Storage, from: i64) -> Result<(), StorageError> {
    transaction(storage, || {
        for statement in pending(from) {
            execute(storage, statement, vec![])?;
        }
        execute(
            storage,
            "UPDATE tenant SET schema_version = ?",
            vec![V::Integer(SCHEMA_VERSION)],
        )
    })
}
