//! Lowercase hex: ids, hashes and salts as text, in JSON and in storage columns.

/// `bytes` as lowercase hex.
pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Exactly `N` bytes from `2 × N` hex digits (either case); `None` for anything else.
pub fn decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = text.as_bytes();
    if bytes.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let hi = char::from(*pair.first()?).to_digit(16)?;
        let lo = char::from(*pair.get(1)?).to_digit(16)?;
        *slot = (hi << 4 | lo) as u8;
    }
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
}
