//! The tenant's approval policies: stored, kept in the object's memory until they change, and
//! what a scope reaches under them (the highest tier, and how many approvals that needs).

use crate::rows::internal;
use crate::sql::{Storage, StorageError, execute, query, query_one};
use latchkey_core::approval::{Policies, Requirement};
use latchkey_core::scope::ScopeSet;
use latchkey_core::secret::Tier;
use latchkey_core::{ApiError, SecretPath};
use std::cell::RefCell;
use std::rc::Rc;

/// What the scope of a token request reaches among the tenant's live secrets.
pub struct Reach {
    pub requirement: Requirement,
    pub tier: Tier,
    pub secrets: u64,
}

pub fn load_policies(storage: &Storage) -> Result<Policies, StorageError> {
    match query_one(storage, "SELECT rules FROM policies", vec![])? {
        Some(row) => serde_json::from_str(&row.text(0)?).map_err(|e| StorageError(e.to_string())),
        None => Ok(Policies::default()),
    }
}

pub fn save_policies(storage: &Storage, policies: &Policies) -> Result<(), ApiError> {
    let json = serde_json::to_string(policies).map_err(|e| internal("policies", e))?;
    execute(
        storage,
        "INSERT INTO policies (singleton, rules) VALUES (1, ?)
         ON CONFLICT (singleton) DO UPDATE SET rules = excluded.rules",
        vec![json.into()],
    )
    .map_err(|e| internal("save policies", e))
}

/// The strictest requirement among the secrets `scopes` reaches (soft-deleted ones included).
pub fn reach(storage: &Storage, scopes: &ScopeSet) -> Result<Reach, StorageError> {
    let policies = load_policies(storage)?;
    let rows = query(
        storage,
        // Soft-deleted secrets count too: they can be restored under the new token.
        "SELECT path, tier FROM secrets",
        vec![],
    )?;
    let mut reach = Reach {
        requirement: Requirement::NONE,
        tier: Tier::Standard,
        secrets: 0,
    };
    for row in rows {
        let Ok(path) = SecretPath::parse(&row.text(0)?) else {
            continue;
        };
        if !scopes.reaches(&path) {
            continue;
        }
        let tier = Tier::parse(&row.text(1)?).unwrap_or(Tier::Critical);
        reach.secrets += 1;
        reach.requirement = reach.requirement.max(policies.requirement(tier, &path));
        if tier > reach.tier {
            reach.tier = tier;
        }
    }
    Ok(reach)
}

/// The approval policies, kept in the object's memory until they change (`SetPolicies`
/// forgets them): every gated request reads them.
#[derive(Default)]
pub struct PolicyCache {
    policies: RefCell<Option<Rc<Policies>>>,
}

impl PolicyCache {
    pub fn get(&self, storage: &Storage) -> Result<Rc<Policies>, StorageError> {
        if let Some(known) = self.policies.borrow().as_ref() {
            return Ok(known.clone());
        }
        let loaded = Rc::new(load_policies(storage)?);
        self.policies.replace(Some(loaded.clone()));
        Ok(loaded)
    }

    pub fn forget(&self) {
        self.policies.replace(None);
    }
}
