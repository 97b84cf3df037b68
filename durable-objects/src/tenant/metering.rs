//! Counting requests: the rate window, kept in memory and written back at most once a second
//! (and by the alarm), with the token use counts and the deferred refusals.

use super::*;

impl Tenant {
    /// The rate window, from memory or (after an eviction) from storage.
    pub(super) fn window(&self, storage: &Storage) -> Result<Option<RateWindow>, ApiError> {
        if let Some(window) = self.window.get() {
            return Ok(Some(window));
        }
        let fail = |e: StorageError| internal("rate window", e);
        let row =
            query_one(storage, "SELECT start_ms, count FROM rate_window", vec![]).map_err(fail)?;
        Ok(match row {
            Some(row) => Some(RateWindow {
                start_ms: row.int(0).map_err(fail)?,
                count: u64::try_from(row.int(1).map_err(fail)?).unwrap_or(0),
            }),
            None => None,
        })
    }

    /// Counts the request in the current window, in memory: [`Self::write_back`] stores it.
    pub(super) fn admit(&self, loaded: &Loaded, now: Timestamp) -> Result<RateState, ApiError> {
        let storage = self.storage();
        let window = self.window(storage)?;
        let (admitted, window, state) = ratelimit::admit(window, loaded.rate_limit, now);
        if admitted {
            self.window_unwritten.set(true);
        }
        self.window.set(Some(window));
        Ok(state)
    }

    /// Whether the rate window, a token's use count or an event is in memory only.
    pub(super) fn owes_writes(&self) -> bool {
        self.window_unwritten.get() || self.tokens.owes_writes() || !self.deferred_events.is_empty()
    }

    /// Stores the rate window, the token use counts and the deferred events (refusals of
    /// callers without a valid credential) kept in memory. Runs at most once per
    /// [`WRITE_BACK_INTERVAL_MS`] on the request path and from the alarm, so a crash loses at
    /// most that much of either count; a request costs no write for them in between. A
    /// failure is logged and retried by the next write-back: memory still holds the counts.
    pub(super) fn write_back(&self, storage: &Storage, now: Timestamp) {
        self.written_back_at.set(Some(now));
        if let Some(window) = self.window.get().filter(|_| self.window_unwritten.get()) {
            let written = execute(
                storage,
                "INSERT INTO rate_window (singleton, start_ms, count) VALUES (1, ?, ?)
                 ON CONFLICT (singleton) DO UPDATE SET start_ms = excluded.start_ms,
                    count = excluded.count",
                vec![
                    V::Integer(window.start_ms),
                    V::Integer(i64::try_from(window.count).unwrap_or(i64::MAX)),
                ],
            );
            match written {
                Ok(()) => self.window_unwritten.set(false),
                Err(e) => log_error!("tenant object: write rate window: {e}"),
            }
        }
        if let Err(e) = self.tokens.flush(storage) {
            log_error!("tenant object: write token uses: {e}");
        }
        self.write_deferred_events(storage);
    }
}
