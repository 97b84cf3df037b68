//! Tokens held in memory between requests. Authentication reads a token's row once per object
//! lifetime instead of on every request, and the use count of a token without `max_uses` is
//! written back in batches ([`TokenCache::flush`], at most a second late) instead of on every
//! request. A token with `max_uses` is written on every use: its limit must hold exactly, even
//! across a crash.
//!
//! The cache is coherent because this object is the only writer of its tokens: a revocation
//! empties it (after writing back what it owes), and a new token is read on its first use.

use crate::authorization::access::{TokenState, load_token, store_uses};
use crate::sql::Storage;
use crate::sql::StorageError;
use latchkey_core::Timestamp;
use latchkey_core::credential::CredentialHash;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Tokens remembered at once; past it the cache is written back and emptied (an object that
/// sees this many distinct tokens between two evictions is rare, and re-reading is cheap).
const CAPACITY: usize = 10_000;

struct Entry {
    token: TokenState,
    /// Uses counted in memory and not written yet.
    unwritten: bool,
}

#[derive(Default)]
pub struct TokenCache {
    /// By the hex SHA-256 of the token's value (the same key the table is searched by).
    entries: RefCell<HashMap<String, Entry>>,
    /// Whether some entry is `unwritten`: asked after every request, so not a scan.
    owes: Cell<bool>,
}

impl TokenCache {
    /// The token whose value hashes to `hash`, from memory or storage; `None` when unknown.
    /// Unknown hashes are not remembered: guessing must not fill the cache.
    pub fn get(
        &self,
        storage: &Storage,
        hash: &CredentialHash,
    ) -> Result<Option<TokenState>, StorageError> {
        let key = hash.to_hex();
        if let Some(entry) = self.entries.borrow().get(&key) {
            return Ok(Some(entry.token.clone()));
        }
        let Some(token) = load_token(storage, hash)? else {
            return Ok(None);
        };
        if self.entries.borrow().len() >= CAPACITY {
            self.forget_all(storage)?;
        }
        self.entries.borrow_mut().insert(
            key,
            Entry {
                token: token.clone(),
                unwritten: false,
            },
        );
        Ok(Some(token))
    }

    /// Counts one use of the token `hash` names (after its request was authorized). A token
    /// with `max_uses` is written at once; others are written by the next [`Self::flush`].
    pub fn count_use(
        &self,
        storage: &Storage,
        hash: &CredentialHash,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let mut entries = self.entries.borrow_mut();
        let Some(entry) = entries.get_mut(&hash.to_hex()) else {
            return Err(StorageError(
                "counted a token that was not authenticated".into(),
            ));
        };
        let record = &mut entry.token.record;
        let uses = record.uses.saturating_add(1);
        if record.max_uses.is_some() {
            store_uses(storage, &record.id, uses, Some(now))?;
        } else {
            entry.unwritten = true;
            self.owes.set(true);
        }
        record.uses = uses;
        entry.token.last_used_at = Some(now);
        Ok(())
    }

    /// Whether some use is counted in memory only.
    pub fn owes_writes(&self) -> bool {
        self.owes.get()
    }

    /// Writes every use counted in memory only.
    pub fn flush(&self, storage: &Storage) -> Result<(), StorageError> {
        if !self.owes.get() {
            return Ok(());
        }
        for entry in self.entries.borrow_mut().values_mut() {
            if entry.unwritten {
                let token = &entry.token;
                store_uses(
                    storage,
                    &token.record.id,
                    token.record.uses,
                    token.last_used_at,
                )?;
                entry.unwritten = false;
            }
        }
        self.owes.set(false);
        Ok(())
    }

    /// Writes what is owed and forgets every token (after a revocation: the next request
    /// reads the row again).
    pub fn forget_all(&self, storage: &Storage) -> Result<(), StorageError> {
        self.flush(storage)?;
        self.entries.borrow_mut().clear();
        Ok(())
    }
}
