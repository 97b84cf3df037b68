//! Lowercase hex: ids, hashes and salts as text, in JSON and in storage columns. The `hex`
//! crate does the work; this module keeps the conventions in one place: lower case out,
//! either case in (as SQLite's `hex()` writes upper case), `None` for anything malformed.

/// `bytes` as lowercase hex.
pub fn encode(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

/// Any number of bytes from hex digits (either case, as SQLite's `hex()` writes them); `None`
/// for an odd length or a non-digit.
pub fn decode_vec(text: &str) -> Option<Vec<u8>> {
    ::hex::decode(text).ok()
}

/// Exactly `N` bytes from `2 × N` hex digits (either case); `None` for anything else.
pub fn decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    ::hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// `#[serde(with = "crate::hex::array")]` for `[u8; N]` fields.
pub mod array {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        deserializer: D,
    ) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(deserializer)?;
        super::decode(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("expected {} hex digits", N * 2)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_the_wrong_length_or_digits() {
        let bytes = [0x00, 0x7f, 0xff, 0x10];
        assert_eq!(encode(&bytes), "007fff10");
        assert_eq!(decode::<4>("007fff10"), Some(bytes));
        assert_eq!(decode::<4>("007FFF10"), Some(bytes));
        assert_eq!(decode::<4>("007fff1"), None);
        assert_eq!(decode::<4>("007fff1g"), None);
        assert_eq!(decode::<2>("007fff10"), None);
        assert_eq!(decode::<1>("é0"), None);
    }

    #[test]
    fn decodes_any_length_as_sqlite_writes_it() {
        assert_eq!(decode_vec(""), Some(vec![]));
        assert_eq!(decode_vec("007FFF10"), Some(vec![0x00, 0x7f, 0xff, 0x10]));
        assert_eq!(decode_vec("abc"), None);
        assert_eq!(decode_vec("zz"), None);
        assert_eq!(decode_vec("é0"), None);
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_vec(&encode(&all)), Some(all));
    }
}
