//! Wall-clock instants as Unix milliseconds, shown as RFC 3339 in UTC (`2025-01-15T10:30:00Z`).
//!
//! The core never reads a clock: callers pass `now` in, so expiry logic is testable and does
//! not depend on time advancing inside pure computation (it doesn't, on Workers).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Years 0000..=9999 keep the RFC 3339 form four digits wide.
const MIN_MS: i64 = -62_167_219_200_000; // 0000-01-01T00:00:00Z
const MAX_MS: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

impl Timestamp {
    pub fn from_unix_ms(ms: i64) -> Option<Self> {
        (MIN_MS..=MAX_MS).contains(&ms).then_some(Timestamp(ms))
    }

    /// For clocks that report f64 milliseconds (`Date.now()`); out-of-range values clamp.
    pub fn from_unix_ms_f64(ms: f64) -> Self {
        let clamped = if ms.is_nan() {
            0.0
        } else {
            ms.clamp(MIN_MS as f64, MAX_MS as f64)
        };
        Timestamp(clamped as i64)
    }

    pub fn unix_ms(self) -> i64 {
        self.0
    }

    pub fn plus_seconds(self, seconds: i64) -> Self {
        Timestamp(
            self.0
                .saturating_add(seconds.saturating_mul(1000))
                .clamp(MIN_MS, MAX_MS),
        )
    }

    /// Parses RFC 3339 date-times: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `t`/`z` and a space
    /// separator are accepted as RFC 3339 allows. Fractions finer than milliseconds are cut.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let digits = bytes.get(range)?;
            digits.iter().try_fold(0i64, |acc, b| {
                b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
            })
        };
        let at = |i: usize| bytes.get(i).copied();
        if at(4)? != b'-' || at(7)? != b'-' || !matches!(at(10)?, b'T' | b't' | b' ') {
            return None;
        }
        if at(13)? != b':' || at(16)? != b':' {
            return None;
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        // A leap second (:60) is folded into the next second's start, as most systems do.
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut i = 19;
        let mut millis = 0i64;
        if at(i) == Some(b'.') {
            i += 1;
            let start = i;
            while at(i).is_some_and(|b| b.is_ascii_digit()) {
                if i - start < 3 {
                    millis = millis * 10 + i64::from(at(i)? - b'0');
                }
                i += 1;
            }
            let width = i - start;
            if width == 0 {
                return None;
            }
            for _ in width..3 {
                millis *= 10;
            }
        }
        let offset_minutes = match at(i)? {
            b'Z' | b'z' if i + 1 == bytes.len() => 0,
            sign @ (b'+' | b'-') if i + 6 == bytes.len() && at(i + 3)? == b':' => {
                let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
                if oh > 23 || om > 59 {
                    return None;
                }
                let total = oh * 60 + om;
                if sign == b'+' { total } else { -total }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
        Timestamp::from_unix_ms(seconds * 1000 + millis)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, whole seconds, as the API's documented examples show.
    pub fn to_rfc3339(self) -> String {
        let seconds = self.0.div_euclid(1000);
        let days = seconds.div_euclid(86_400);
        let of_day = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 date-time"))
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp(1_736_937_000_000).to_rfc3339(),
            "2025-01-15T10:30:00Z"
        );
        assert_eq!(
            Timestamp(951_782_400_000).to_rfc3339(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(Timestamp(-1000).to_rfc3339(), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn parses_offsets_and_fractions() {
        let base = Timestamp::parse_rfc3339("2025-01-15T10:30:00Z");
        assert_eq!(base, Some(Timestamp(1_736_937_000_000)));
        assert_eq!(Timestamp::parse_rfc3339("2025-01-15T12:30:00+02:00"), base);
        assert_eq!(
            Timestamp::parse_rfc3339("2025-01-15T10:30:00.25Z"),
            Some(Timestamp(1_736_937_000_250))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2025-01-15T10:30:00.123456789Z"),
            Some(Timestamp(1_736_937_000_123))
        );
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "",
            "2025-01-15",
            "2025-01-15T10:30:00",
            "2025-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2025-01-15T24:00:00Z",
            "2025-01-15T10:30:00.Z",
            "2025-01-15T10:30:00Zjunk",
            "2025-01-15T10:30:00+2:00",
            "2025-01-15T10:30:00+02:00x",
            "２025-01-15T10:30:00Z",
            "+025-01-15T10:30:00Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity_on_seconds(secs in MIN_MS / 1000..MAX_MS / 1000) {
            let ts = Timestamp(secs * 1000);
            prop_assert_eq!(Timestamp::parse_rfc3339(&ts.to_rfc3339()), Some(ts));
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = Timestamp::parse_rfc3339(&text);
        }
    }
}
