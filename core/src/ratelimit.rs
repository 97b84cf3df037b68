//! Exact per-tenant rate limiting over fixed one-minute windows aligned to the Unix epoch.
//!
//! Pure logic: the tenant's Durable Object keeps the [`RateWindow`] between requests and passes
//! it back in with the current time. One Durable Object serialises a tenant's requests, so a
//! plain counter is exact; no sliding-window estimate is needed.

use crate::tenant::Plan;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The length of one window.
pub const WINDOW_SECONDS: i64 = 60;

const WINDOW_MS: i64 = WINDOW_SECONDS * 1000;

/// The stored state: the current window and how many requests it has admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateWindow {
    /// The window's first millisecond: a multiple of 60,000 since the Unix epoch.
    pub start_ms: i64,
    /// Requests admitted in this window (refused ones are not counted).
    pub count: u64,
}

/// What a response reports about the limit, for the headers and for a 429 body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateState {
    /// Requests allowed per window.
    pub limit: u64,
    /// Requests still allowed in the current window.
    pub remaining: u64,
    /// The end of the current window, when `remaining` goes back to `limit`.
    pub reset_at: Timestamp,
    /// Whole seconds from the request to `reset_at`, rounded up.
    pub reset_seconds: u64,
    /// Seconds to wait before retrying (rounded up, at least 1); set only on a refusal.
    pub retry_after_seconds: Option<u64>,
}

/// Counts one request against `limit` per minute. Returns whether it is admitted, the window
/// to store for the next request, and the state to report.
///
/// A stored window from an earlier minute is replaced by a fresh one. A stored window from a
/// later minute (the clock stepped back) is moved to the current minute but keeps its count,
/// since those requests really were admitted moments ago. A limit of 0 refuses everything.
pub fn admit(
    window: Option<RateWindow>,
    limit: u64,
    now: Timestamp,
) -> (bool, RateWindow, RateState) {
    let current = current_window(window, now);
    let admitted = current.count < limit;
    let window = if admitted {
        RateWindow {
            count: current.count.saturating_add(1),
            ..current
        }
    } else {
        current
    };
    (admitted, window, state(window, limit, now, !admitted))
}

/// The state [`admit`] would report, without counting a request: for responses to requests
/// that do not count, such as failed authentication.
pub fn peek(window: Option<RateWindow>, limit: u64, now: Timestamp) -> RateState {
    state(current_window(window, now), limit, now, false)
}

/// The rate limit of a plan: Free 100, Pro 1,000 and Enterprise 10,000 requests a minute.
/// A `custom` limit set by an operator replaces the plan's default on any plan, so a tenant's
/// limit can be raised (or lowered) without changing its plan.
pub fn plan_limit(plan: Plan, custom: Option<u64>) -> u64 {
    custom.unwrap_or(match plan {
        Plan::Free => 100,
        Plan::Pro => 1000,
        Plan::Enterprise => 10_000,
    })
}

impl RateState {
    /// The response headers, in order: `X-RateLimit-Limit`, `X-RateLimit-Remaining`,
    /// `X-RateLimit-Reset` (Unix seconds, GitHub's convention), `RateLimit-Policy` and
    /// `RateLimit` (the IETF httpapi ratelimit-headers draft), then `Retry-After` on a refusal.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("X-RateLimit-Limit", self.limit.to_string()),
            ("X-RateLimit-Remaining", self.remaining.to_string()),
            (
                "X-RateLimit-Reset",
                self.reset_at.unix_ms().div_euclid(1000).to_string(),
            ),
            (
                "RateLimit-Policy",
                format!("\"tenant\";q={};w={WINDOW_SECONDS}", self.limit),
            ),
            (
                "RateLimit",
                format!("\"tenant\";r={};t={}", self.remaining, self.reset_seconds),
            ),
        ];
        if let Some(seconds) = self.retry_after_seconds {
            headers.push(("Retry-After", seconds.to_string()));
        }
        headers
    }
}

/// The first millisecond of the minute holding `now`.
fn window_start(now: Timestamp) -> i64 {
    now.unix_ms()
        .div_euclid(WINDOW_MS)
        .saturating_mul(WINDOW_MS)
}

/// The stored window if it is this minute's, otherwise this minute's window.
fn current_window(window: Option<RateWindow>, now: Timestamp) -> RateWindow {
    let start_ms = window_start(now);
    match window {
        Some(w) if w.start_ms == start_ms => w,
        Some(w) if w.start_ms > start_ms => RateWindow {
            start_ms,
            count: w.count,
        },
        _ => RateWindow { start_ms, count: 0 },
    }
}

fn state(window: RateWindow, limit: u64, now: Timestamp, refused: bool) -> RateState {
    // The window start is never before `now`'s minute, which is never before the earliest
    // Timestamp (a whole minute), so the fallback is unreachable; `plus_seconds` clamps at the
    // latest Timestamp.
    let reset_at = Timestamp::from_unix_ms(window.start_ms)
        .unwrap_or(now)
        .plus_seconds(WINDOW_SECONDS);
    let until_reset_ms = reset_at.unix_ms().saturating_sub(now.unix_ms()).max(0);
    let reset_seconds = u64::try_from(until_reset_ms.saturating_add(999) / 1000).unwrap_or(0);
    RateState {
        limit,
        // A limit lowered mid-window can leave the count above it.
        remaining: limit.saturating_sub(window.count),
        reset_at,
        reset_seconds,
        retry_after_seconds: refused.then_some(reset_seconds.max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// 2025-01-15T10:30:00Z, the start of a window.
    const MINUTE: i64 = 1_736_937_000_000;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_unix_ms(ms).unwrap()
    }

    #[test]
    fn admits_up_to_the_limit_then_refuses_until_the_next_minute() {
        let mut window = None;
        for i in 1..=100u64 {
            let (ok, next, state) = admit(window, 100, at(MINUTE + 1000 + i as i64 * 100));
            assert!(ok, "request {i}");
            assert_eq!(
                next,
                RateWindow {
                    start_ms: MINUTE,
                    count: i
                }
            );
            assert_eq!(state.remaining, 100 - i);
            assert_eq!(state.retry_after_seconds, None);
            window = Some(next);
        }
        let (ok, next, state) = admit(window, 100, at(MINUTE + 59_500));
        assert!(!ok);
        assert_eq!(
            next,
            RateWindow {
                start_ms: MINUTE,
                count: 100
            }
        );
        assert_eq!(state.remaining, 0);
        assert_eq!(state.reset_at, at(MINUTE + 60_000));
        assert_eq!(state.reset_seconds, 1);
        assert_eq!(state.retry_after_seconds, Some(1));

        let (ok, next, state) = admit(Some(next), 100, at(MINUTE + 60_000));
        assert!(ok);
        assert_eq!(
            next,
            RateWindow {
                start_ms: MINUTE + 60_000,
                count: 1
            }
        );
        assert_eq!(state.remaining, 99);
        assert_eq!(state.reset_at, at(MINUTE + 120_000));
        assert_eq!(state.reset_seconds, 60);
    }

    #[test]
    fn refused_requests_do_not_consume() {
        let full = Some(RateWindow {
            start_ms: MINUTE,
            count: 2,
        });
        let mut window = full;
        for _ in 0..5 {
            let (ok, next, state) = admit(window, 2, at(MINUTE + 10_000));
            assert!(!ok);
            assert_eq!(state.retry_after_seconds, Some(50));
            window = Some(next);
        }
        assert_eq!(window, full);
        assert_eq!(peek(window, 2, at(MINUTE + 10_000)).remaining, 0);
        // A later window starts empty whatever happened before.
        let (ok, next, _) = admit(window, 2, at(MINUTE + 5 * 60_000 + 1));
        assert!(ok);
        assert_eq!(
            next,
            RateWindow {
                start_ms: MINUTE + 5 * 60_000,
                count: 1
            }
        );
    }

    #[test]
    fn zero_limit_refuses_everything() {
        let (ok, window, state) = admit(None, 0, at(MINUTE + 59_999));
        assert!(!ok);
        assert_eq!(
            window,
            RateWindow {
                start_ms: MINUTE,
                count: 0
            }
        );
        assert_eq!(state.remaining, 0);
        assert_eq!(state.reset_seconds, 1);
        assert_eq!(state.retry_after_seconds, Some(1));
    }

    #[test]
    fn a_window_from_the_future_moves_to_now_and_keeps_its_count() {
        let future = Some(RateWindow {
            start_ms: MINUTE + 10 * 60_000,
            count: 3,
        });
        let (ok, window, state) = admit(future, 3, at(MINUTE + 30_000));
        assert!(!ok);
        assert_eq!(
            window,
            RateWindow {
                start_ms: MINUTE,
                count: 3
            }
        );
        assert_eq!(state.reset_at, at(MINUTE + 60_000));
        assert_eq!(state.retry_after_seconds, Some(30));
        let (ok, window, _) = admit(future, 5, at(MINUTE + 30_000));
        assert!(ok);
        assert_eq!(
            window,
            RateWindow {
                start_ms: MINUTE,
                count: 4
            }
        );
        let far = Some(RateWindow {
            start_ms: i64::MAX,
            count: u64::MAX,
        });
        assert!(!admit(far, u64::MAX, at(MINUTE)).0);
    }

    #[test]
    fn peek_does_not_count() {
        let window = Some(RateWindow {
            start_ms: MINUTE,
            count: 7,
        });
        let state = peek(window, 10, at(MINUTE + 1));
        assert_eq!(state.remaining, 3);
        assert_eq!(state.retry_after_seconds, None);
        assert_eq!(state.reset_seconds, 60);
        assert_eq!(peek(None, 10, at(MINUTE)).remaining, 10);
        let stale = Some(RateWindow {
            start_ms: MINUTE - 60_000,
            count: 10,
        });
        assert_eq!(peek(stale, 10, at(MINUTE)).remaining, 10);
    }

    #[test]
    fn headers_for_a_known_instant() {
        // 10:30:30.500, two requests into a window of limit 100.
        let now = at(MINUTE + 30_500);
        let (_, _, state) = admit(
            Some(RateWindow {
                start_ms: MINUTE,
                count: 1,
            }),
            100,
            now,
        );
        assert_eq!(state.reset_at.to_rfc3339(), "2025-01-15T10:31:00Z");
        assert_eq!(
            state.headers(),
            vec![
                ("X-RateLimit-Limit", "100".to_string()),
                ("X-RateLimit-Remaining", "98".to_string()),
                ("X-RateLimit-Reset", "1736937060".to_string()),
                ("RateLimit-Policy", "\"tenant\";q=100;w=60".to_string()),
                ("RateLimit", "\"tenant\";r=98;t=30".to_string()),
            ]
        );

        let (_, _, refused) = admit(
            Some(RateWindow {
                start_ms: MINUTE,
                count: 100,
            }),
            100,
            now,
        );
        let headers = refused.headers();
        assert_eq!(headers.len(), 6);
        assert_eq!(headers[4], ("RateLimit", "\"tenant\";r=0;t=30".to_string()));
        assert_eq!(headers[5], ("Retry-After", "30".to_string()));
    }

    #[test]
    fn state_serializes_reset_as_rfc3339() {
        let (_, _, state) = admit(None, 100, at(MINUTE + 30_500));
        let json = serde_json::to_value(state).unwrap();
        assert_eq!(json["reset_at"], "2025-01-15T10:31:00Z");
        assert_eq!(serde_json::from_value::<RateState>(json).unwrap(), state);
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        for ms in [-62_167_219_200_000, -1, 0, 253_402_300_799_999] {
            let now = at(ms);
            let (ok, window, state) = admit(None, 1, now);
            assert!(ok);
            assert!(window.start_ms <= ms);
            assert!(state.reset_at >= now);
            assert!(state.reset_seconds <= 60);
        }
    }

    #[test]
    fn plan_limits() {
        assert_eq!(plan_limit(Plan::Free, None), 100);
        assert_eq!(plan_limit(Plan::Pro, None), 1000);
        assert_eq!(plan_limit(Plan::Enterprise, None), 10_000);
        assert_eq!(plan_limit(Plan::Enterprise, Some(50_000)), 50_000);
        assert_eq!(plan_limit(Plan::Free, Some(500)), 500);
        assert_eq!(plan_limit(Plan::Pro, Some(5000)), 5000);
    }

    proptest! {
        #[test]
        fn admitted_never_exceeds_the_limit(
            start in -10_000_000_000_000i64..10_000_000_000_000,
            steps in prop::collection::vec(0i64..20_000, 0..300),
            limit in 0u64..20,
        ) {
            let mut window = None;
            let mut now = start;
            let mut admitted_per_minute: HashMap<i64, u64> = HashMap::new();
            for step in steps {
                now += step;
                let (ok, next, state) = admit(window, limit, at(now));
                if ok {
                    *admitted_per_minute.entry(now.div_euclid(WINDOW_MS)).or_default() += 1;
                }
                prop_assert!(next.count <= limit);
                prop_assert_eq!(state.remaining, limit - next.count);
                prop_assert_eq!(ok, state.retry_after_seconds.is_none());
                prop_assert!(state.reset_at.unix_ms() > now);
                prop_assert!((1..=60).contains(&state.reset_seconds));
                window = Some(next);
            }
            prop_assert!(admitted_per_minute.values().all(|&n| n <= limit));
        }
    }
}
