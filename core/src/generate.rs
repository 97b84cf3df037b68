//! `POST /v1/generate`: random passwords, optionally stored as a new secret.
//!
//! Every character is drawn uniformly from the enabled alphabet by rejection sampling (a
//! random byte at or above the largest multiple of the alphabet's size is thrown away), so no
//! character is likelier than another. A password that misses an enabled class is thrown away
//! whole and drawn again: the result is uniform over the passwords that contain every enabled
//! class, which is what password rules usually ask for.

use crate::body;
use crate::crypto::CryptoError;
use crate::error::ApiError;
use crate::path::SecretPath;
use crate::secret::{NewSecret, SecretMetadata, parse_path_field, with_metadata_members};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const MIN_LENGTH: u64 = 8;
pub const MAX_LENGTH: u64 = 256;
pub const DEFAULT_LENGTH: u64 = 32;

pub const UPPERCASE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const LOWERCASE: &str = "abcdefghijklmnopqrstuvwxyz";
pub const DIGITS: &str = "0123456789";
/// Printable ASCII symbols except quotes, backslash, backtick and space, so a password pastes
/// into a shell, a JSON string or a connection URL's userinfo without escaping surprises.
pub const SYMBOLS: &str = "!#$%&()*+,-./:;<=>?@[]^_{|}~";

/// Whole-password redraws before giving up; with at least 8 characters and at most 4 classes a
/// draw contains every class with probability above 0.4, so 200 redraws never all fail.
const MAX_DRAWS: usize = 200;

/// A validated `POST /v1/generate` body.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordRequest {
    pub length: usize,
    pub uppercase: bool,
    pub lowercase: bool,
    pub digits: bool,
    pub symbols: bool,
    /// Where to store the password, with the metadata to store it with.
    pub store: Option<(SecretPath, SecretMetadata)>,
}

impl fmt::Debug for PasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordRequest")
            .field("length", &self.length)
            .field("classes", &self.classes().len())
            .field("store", &self.store.as_ref().map(|(path, _)| path))
            .finish()
    }
}

with_metadata_members! {
    /// `POST /v1/generate` as it comes.
    pub struct PasswordRequestBody {
        #[serde(default)]
        length: body::IntIn<MIN_LENGTH, MAX_LENGTH>,
        #[serde(default)]
        uppercase: body::OptBool,
        #[serde(default)]
        lowercase: body::OptBool,
        #[serde(default)]
        digits: body::OptBool,
        #[serde(default)]
        symbols: body::OptBool,
        #[serde(default)]
        path: body::OptText,
    }
}

impl PasswordRequest {
    pub fn parse(bytes: &[u8], now: Timestamp) -> Result<Self, ApiError> {
        let mut body: PasswordRequestBody = body::parse(bytes)?;
        let length = body.length.0.unwrap_or(DEFAULT_LENGTH);
        let request = PasswordRequest {
            // At most 256: fits every usize.
            length: length as usize,
            uppercase: body.uppercase.0.unwrap_or(true),
            lowercase: body.lowercase.0.unwrap_or(true),
            digits: body.digits.0.unwrap_or(true),
            symbols: body.symbols.0.unwrap_or(true),
            store: None,
        };
        if request.classes().is_empty() {
            return Err(ApiError::validation(
                "uppercase",
                "no character class is enabled: set at least one of uppercase, lowercase, digits, symbols to true",
            ));
        }
        let metadata = body.metadata();
        let store = match body.path.0 {
            Some(text) => Some((
                parse_path_field("path", &text)?,
                metadata.into_metadata(now)?,
            )),
            None => {
                if let Some(member) = metadata.first_given() {
                    return Err(ApiError::validation(
                        member,
                        format!(
                            "'{member}' applies only when 'path' is given (to store the password)"
                        ),
                    ));
                }
                None
            }
        };
        Ok(PasswordRequest { store, ..request })
    }

    /// The enabled classes, in a fixed order.
    pub fn classes(&self) -> Vec<&'static str> {
        [
            (self.uppercase, UPPERCASE),
            (self.lowercase, LOWERCASE),
            (self.digits, DIGITS),
            (self.symbols, SYMBOLS),
        ]
        .into_iter()
        .filter_map(|(on, class)| on.then_some(class))
        .collect()
    }

    /// Draws a password with `fill` as the randomness source.
    pub fn generate(
        &self,
        fill: &mut dyn FnMut(&mut [u8]) -> Result<(), CryptoError>,
    ) -> Result<String, CryptoError> {
        let classes = self.classes();
        let alphabet: Vec<u8> = classes.iter().flat_map(|c| c.bytes()).collect();
        let mut source = UniformIndex::new(alphabet.len(), fill)?;
        for _ in 0..MAX_DRAWS {
            let mut password = String::with_capacity(self.length);
            for _ in 0..self.length {
                let index = source.next()?;
                let byte = alphabet.get(index).copied().ok_or(CryptoError::Random)?;
                password.push(char::from(byte));
            }
            if classes
                .iter()
                .all(|class| password.chars().any(|c| class.contains(c)))
            {
                return Ok(password);
            }
        }
        Err(CryptoError::Random)
    }

    /// The secret to create when `path` was given.
    pub fn to_new_secret(&self, password: String) -> Option<NewSecret> {
        self.store.as_ref().map(|(path, metadata)| NewSecret {
            path: path.clone(),
            value: Some(password),
            fields: Default::default(),
            metadata: metadata.clone(),
        })
    }
}

/// Uniform indexes below `n` (1..=255) from random bytes, by rejection.
struct UniformIndex<'a> {
    n: usize,
    /// Bytes at or above this are rejected: the largest multiple of `n` that fits in a byte.
    limit: usize,
    buffer: [u8; 64],
    used: usize,
    fill: &'a mut dyn FnMut(&mut [u8]) -> Result<(), CryptoError>,
}

impl<'a> UniformIndex<'a> {
    fn new(
        n: usize,
        fill: &'a mut dyn FnMut(&mut [u8]) -> Result<(), CryptoError>,
    ) -> Result<Self, CryptoError> {
        if n == 0 || n > 255 {
            return Err(CryptoError::Random);
        }
        Ok(UniformIndex {
            n,
            limit: 256 - 256 % n,
            buffer: [0; 64],
            used: 64,
            fill,
        })
    }

    fn next(&mut self) -> Result<usize, CryptoError> {
        loop {
            if self.used == self.buffer.len() {
                (self.fill)(&mut self.buffer)?;
                self.used = 0;
            }
            let byte = usize::from(self.buffer.get(self.used).copied().unwrap_or(0));
            self.used += 1;
            if byte < self.limit {
                return Ok(byte % self.n);
            }
        }
    }
}

/// `POST /v1/generate` → 200 (or 201 when stored) `{password, path, stored}`. `Debug` leaves
/// the password out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedPassword {
    pub password: String,
    pub path: Option<SecretPath>,
    pub stored: bool,
    /// The stored secret's version (1), when stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

impl fmt::Debug for GeneratedPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedPassword")
            .field("password", &"[redacted]")
            .field("path", &self.path)
            .field("stored", &self.stored)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2025-01-15T10:00:00Z").unwrap()
    }

    fn parse(body: Value) -> Result<PasswordRequest, ApiError> {
        PasswordRequest::parse(body.to_string().as_bytes(), now())
    }

    fn os_fill(bytes: &mut [u8]) -> Result<(), CryptoError> {
        getrandom::fill(bytes).map_err(|_| CryptoError::Random)
    }

    #[test]
    fn defaults_are_32_characters_of_every_class() {
        let request = parse(json!({})).unwrap();
        assert_eq!(request.length, 32);
        assert_eq!(request.classes().len(), 4);
        assert!(request.store.is_none());
        let password = request.generate(&mut os_fill).unwrap();
        assert_eq!(password.len(), 32);
        for class in [UPPERCASE, LOWERCASE, DIGITS, SYMBOLS] {
            assert!(password.chars().any(|c| class.contains(c)), "{class}");
        }
    }

    #[test]
    fn bad_requests_name_their_member() {
        let cases = [
            (json!({"length": 7}), "length"),
            (json!({"length": 257}), "length"),
            (json!({"length": "32"}), "length"),
            (json!({"digits": "yes"}), "digits"),
            (
                json!({"uppercase": false, "lowercase": false, "digits": false, "symbols": false}),
                "uppercase",
            ),
            (json!({"path": "a//b"}), "path"),
            (json!({"tier": "critical"}), "tier"),
            (json!({"path": "a", "tier": "secret"}), "tier"),
            (json!({"name": "x"}), "name"),
        ];
        for (body, field) in cases {
            let err = parse(body.clone()).unwrap_err();
            assert_eq!(err.status(), 422, "{body}");
            assert_eq!(
                err.details.get("field").and_then(Value::as_str),
                Some(field),
                "{body}"
            );
        }
    }

    #[test]
    fn lengths_and_single_classes_are_honoured() {
        for length in [8u64, 9, 100, 256] {
            let request = parse(json!({"length": length, "symbols": false})).unwrap();
            let password = request.generate(&mut os_fill).unwrap();
            assert_eq!(password.len() as u64, length);
            assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
        }
        let digits = parse(json!({"uppercase": false, "lowercase": false, "symbols": false}))
            .unwrap()
            .generate(&mut os_fill)
            .unwrap();
        assert!(digits.chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn stored_passwords_carry_their_metadata() {
        let request =
            parse(json!({"path": "wifi/home", "tier": "sensitive", "tags": {"type": "wifi"}}))
                .unwrap();
        let secret = request.to_new_secret("pw".into()).unwrap();
        assert_eq!(secret.path.as_str(), "wifi/home");
        assert_eq!(secret.metadata.tier, crate::secret::Tier::Sensitive);
        assert_eq!(secret.value.as_deref(), Some("pw"));
    }

    #[test]
    fn rejection_sampling_has_no_modulo_bias() {
        // A source that counts up through every byte value: with 10 digits, bytes 250..=255
        // must be thrown away, so each digit appears exactly 25 times per 256 bytes.
        let mut counter = 0u8;
        let mut counting = |bytes: &mut [u8]| {
            for b in bytes.iter_mut() {
                *b = counter;
                counter = counter.wrapping_add(1);
            }
            Ok(())
        };
        let mut source = UniformIndex::new(10, &mut counting).unwrap();
        let mut counts = [0usize; 10];
        for _ in 0..250 * 4 {
            counts[source.next().unwrap()] += 1;
        }
        assert!(counts.iter().all(|&c| c == 100), "{counts:?}");
    }

    #[test]
    fn characters_are_spread_evenly() {
        // 90 characters, 200,000 draws: each count's expectation is ~2222; a chi-squared
        // statistic above 160 (89 degrees of freedom, p < 1e-7) means bias.
        let request = parse(json!({"length": 200})).unwrap();
        let alphabet: Vec<char> = request.classes().concat().chars().collect();
        let mut counts = vec![0f64; alphabet.len()];
        for _ in 0..1000 {
            for c in request.generate(&mut os_fill).unwrap().chars() {
                let i = alphabet.iter().position(|a| *a == c).unwrap();
                counts[i] += 1.0;
            }
        }
        let total: f64 = counts.iter().sum();
        let expected = total / alphabet.len() as f64;
        let chi2: f64 = counts
            .iter()
            .map(|c| (c - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 160.0, "chi-squared {chi2}");
    }

    #[test]
    fn a_failing_source_is_an_error_not_a_weak_password() {
        let request = parse(json!({})).unwrap();
        let mut broken = |_: &mut [u8]| Err(CryptoError::Random);
        assert_eq!(request.generate(&mut broken), Err(CryptoError::Random));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let shown = format!(
            "{:?}",
            GeneratedPassword {
                password: "hunter2-secret".into(),
                path: None,
                stored: false,
                version: None,
            }
        );
        assert!(!shown.contains("hunter2"));
    }
}
