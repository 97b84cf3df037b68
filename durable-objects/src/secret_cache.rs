//! Secrets read recently, kept in the object's memory so that reading one again costs no
//! SELECT: a read's statements were most of what it cost over the platform's floor.
//!
//! Safe because the object is its storage's only writer and runs one command at a time: the
//! cache is emptied before every command whose rules do not say it leaves secrets alone
//! (`latchkey_contract::Cache`), before the alarm's maintenance, and after any
//! transaction that failed. An entry therefore never outlives a change to its rows. What is
//! kept is what storage holds, sealed; a value is opened per read, never kept in the open.

use crate::secret_rows::SecretRow;
use latchkey_contract::Cache;
use latchkey_core::Timestamp;
use latchkey_core::crypto::Sealed;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Entries kept before the cache starts over.
const MAX_ENTRIES: usize = 512;
/// Sealed bytes kept before the cache starts over.
const MAX_SEALED_BYTES: usize = 4 << 20;
/// A value larger than this is not kept at all.
const MAX_ENTRY_SEALED_BYTES: usize = 16 << 10;

/// One version's row of `secret_versions`: its sealed value and its state.
#[derive(Clone)]
pub struct VersionRow {
    pub version: u64,
    pub sealed: Sealed,
    pub expires_at: Option<Timestamp>,
    pub destroyed: bool,
    pub deleted: bool,
}

/// A secret as a read loads it: its `secrets` row and, when loaded, its current version.
#[derive(Clone)]
pub struct CachedSecret {
    pub row: SecretRow,
    pub accessed_at: Option<Timestamp>,
    pub current: Option<VersionRow>,
}

impl CachedSecret {
    fn sealed_bytes(&self) -> usize {
        self.current.as_ref().map_or(0, |v| {
            v.sealed.ciphertext.len() + v.sealed.wrapped_data_key.len()
        })
    }
}

#[derive(Default)]
pub struct SecretCache {
    entries: RefCell<HashMap<String, CachedSecret>>,
    sealed_bytes: Cell<usize>,
}

impl SecretCache {
    pub fn get(&self, path: &str) -> Option<CachedSecret> {
        self.entries.borrow().get(path).cloned()
    }

    /// Removes and returns the entry of `path`.
    pub fn take(&self, path: &str) -> Option<CachedSecret> {
        let entry = self.entries.borrow_mut().remove(path)?;
        self.sealed_bytes
            .set(self.sealed_bytes.get().saturating_sub(entry.sealed_bytes()));
        Some(entry)
    }

    pub fn put(&self, path: &str, entry: CachedSecret) {
        let size = entry.sealed_bytes();
        if size > MAX_ENTRY_SEALED_BYTES {
            self.take(path);
            return;
        }
        let full = {
            let entries = self.entries.borrow();
            !entries.contains_key(path)
                && (entries.len() >= MAX_ENTRIES
                    || self.sealed_bytes.get() + size > MAX_SEALED_BYTES)
        };
        if full {
            self.clear();
        }
        let replaced = self.entries.borrow_mut().insert(path.to_owned(), entry);
        let freed = replaced.map_or(0, |old| old.sealed_bytes());
        self.sealed_bytes
            .set(self.sealed_bytes.get().saturating_sub(freed) + size);
    }

    pub fn clear(&self) {
        self.entries.borrow_mut().clear();
        self.sealed_bytes.set(0);
    }

    /// Empties the cache unless the command about to run leaves secrets' rows alone, or
    /// refreshes its own entry (`secrets::update` takes its secret's entry out and puts back
    /// what it stored; it touches no other secret).
    pub fn before(&self, effect: Cache) {
        match effect {
            Cache::Keeps | Cache::Refreshes => {}
            Cache::Empties => self.clear(),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.borrow().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_core::secret::SecretMetadata;

    fn entry(sealed_len: usize) -> CachedSecret {
        CachedSecret {
            row: SecretRow {
                id: latchkey_core::secret::SecretId::parse("sec_0123456789abcdef01234567").unwrap(),
                current_version: 1,
                metadata: SecretMetadata::default(),
                created_at: Timestamp::from_unix_ms_f64(0.0),
                updated_at: Timestamp::from_unix_ms_f64(0.0),
                deleted_at: None,
                field_count: 0,
            },
            accessed_at: None,
            current: Some(VersionRow {
                version: 1,
                sealed: Sealed {
                    wrapped_data_key: vec![0; 60],
                    ciphertext: vec![0; sealed_len],
                },
                expires_at: None,
                destroyed: false,
                deleted: false,
            }),
        }
    }

    #[test]
    fn keeps_small_entries_and_refuses_large_ones() {
        let cache = SecretCache::default();
        cache.put("a", entry(100));
        assert!(cache.get("a").is_some());
        cache.put("a", entry(MAX_ENTRY_SEALED_BYTES));
        assert!(
            cache.get("a").is_none(),
            "a replaced entry too large to keep is dropped"
        );
        assert_eq!(cache.sealed_bytes.get(), 0);
    }

    #[test]
    fn starts_over_when_full() {
        let cache = SecretCache::default();
        for i in 0..MAX_ENTRIES {
            cache.put(&format!("p{i}"), entry(10));
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        cache.put("p0", entry(10));
        assert_eq!(cache.len(), MAX_ENTRIES, "replacing an entry is not growth");
        cache.put("new", entry(10));
        assert_eq!(cache.len(), 1);
        assert!(cache.get("new").is_some());
    }

    #[test]
    fn take_removes_the_entry_and_its_bytes() {
        let cache = SecretCache::default();
        cache.put("a", entry(100));
        assert!(cache.take("a").is_some());
        assert!(cache.take("a").is_none());
        assert!(cache.get("a").is_none());
        assert_eq!(cache.sealed_bytes.get(), 0);
    }

    #[test]
    fn empties_before_anything_but_reads() {
        let cache = SecretCache::default();
        cache.put("a", entry(10));
        cache.before(Cache::Keeps);
        cache.before(Cache::Refreshes);
        assert!(cache.get("a").is_some());
        cache.before(Cache::Empties);
        assert!(cache.get("a").is_none());
        assert_eq!(cache.sealed_bytes.get(), 0);
    }
}
