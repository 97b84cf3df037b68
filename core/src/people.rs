//! People: the users of a tenant, who log in with an email and a password, and
//! the throttle on failed logins.
//!
//! Passwords are hashed with PBKDF2-HMAC-SHA256 ([`KDF_ITERATIONS`] rounds, a random 16-byte
//! salt per user). The hash is computed in the Worker, never in the tenant object: the object
//! serializes every request of its tenant, and a login must not stall them. The object keeps
//! the salt and the hash, hands the salt to the Worker, and compares the Worker's result in
//! constant time.

use crate::agent::bounded_text;
use crate::body;
use crate::crypto::{CryptoError, random_bytes};
use crate::error::{ApiError, ErrorCode};
use crate::tenant::TenantId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub use crate::id::UserId;

/// PBKDF2 rounds for new hashes. Workers' own WebCrypto refuses more than 100,000
/// PBKDF2 iterations, and one hash at this count costs about 100 ms of CPU in the Worker's
/// wasm (measured, see ARCHITECTURE.md), inside a paid Worker's CPU budget.
pub const KDF_ITERATIONS: u32 = 100_000;
/// Fewest and most rounds a stored hash may name (older or newer builds).
const MIN_KDF_ITERATIONS: u32 = 10_000;
const MAX_KDF_ITERATIONS: u32 = 10_000_000;
pub const SALT_BYTES: usize = 16;
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_BYTES: usize = 1_024;
pub const MAX_EMAIL_BYTES: usize = 254;
pub const MAX_USER_NAME_BYTES: usize = 128;
/// How long a login lasts.
pub const USER_JWT_TTL_SECONDS: i64 = 12 * 3_600;
/// Users one tenant may have.
pub const MAX_USERS: u64 = 10_000;

/// An email address, trimmed and lowercased: the login name, unique per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_lowercase();
        let well_formed = text.len() <= MAX_EMAIL_BYTES
            && !text.chars().any(|c| c.is_whitespace() || c.is_control())
            && text.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if well_formed {
            Ok(Email(text))
        } else {
            Err(format!(
                "must be an email address (local@domain, at most {MAX_EMAIL_BYTES} bytes)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed. Never logged: `Debug` is redacted and the memory is zeroed on drop.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// At least [`MIN_PASSWORD_CHARS`] characters (NIST SP 800-63B: length, not composition
    /// rules), at most [`MAX_PASSWORD_BYTES`] bytes, no control characters.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() < MIN_PASSWORD_CHARS || text.len() > MAX_PASSWORD_BYTES {
            return Err(format!(
                "must be {MIN_PASSWORD_CHARS} characters to {MAX_PASSWORD_BYTES} bytes long"
            ));
        }
        if text.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Password(Zeroizing::new(text.to_owned())))
    }

    /// What a login compares: PBKDF2-HMAC-SHA256 of the password under `salt`.
    pub fn derive(&self, salt: &[u8; SALT_BYTES], iterations: u32) -> DerivedPassword {
        DerivedPassword(latchkey_primitives::pbkdf2_hmac_sha256(
            self.0.as_bytes(),
            salt,
            iterations,
        ))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// A password's PBKDF2 output: as good as the password to whoever can reach the object, so it
/// crosses only the Worker-to-object call, is compared in constant time and is never shown.
#[derive(Clone, Serialize, Deserialize)]
pub struct DerivedPassword(#[serde(with = "crate::hex::array")] [u8; 32]);

impl DerivedPassword {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DerivedPassword(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for DerivedPassword {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for DerivedPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DerivedPassword([redacted])")
    }
}

/// The salt and round count a password is derived under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    #[serde(with = "crate::hex::array")]
    pub salt: [u8; SALT_BYTES],
    pub iterations: u32,
}

impl KdfParams {
    /// A fresh random salt at today's round count.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(KdfParams {
            salt: random_bytes::<SALT_BYTES>()?,
            iterations: KDF_ITERATIONS,
        })
    }

    /// Whether a stored round count is one this build will compute (a corrupted row must not
    /// make the Worker spin).
    pub fn is_sane(&self) -> bool {
        (MIN_KDF_ITERATIONS..=MAX_KDF_ITERATIONS).contains(&self.iterations)
    }
}

/// A user as the Worker sends it to be stored: the password already derived.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub kdf: KdfParams,
    pub password: DerivedPassword,
}

/// `POST /v1/users` `{email, password, name}`, parsed; the Worker derives the password.
#[derive(Debug)]
pub struct UserRequest {
    pub email: Email,
    pub name: String,
    pub password: Password,
}

/// `POST /v1/users` as it comes. `Debug` is not derived: it holds a password.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    email: body::Text,
    password: body::Text,
    #[serde(default)]
    name: body::OptText,
}

impl UserRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: UserBody = body::parse(bytes)?;
        let password = Zeroizing::new(body.password.0);
        let email = Email::parse(&body.email.0)
            .map_err(|why| ApiError::validation("email", format!("'email' {why}")))?;
        let password = Password::parse(&password)
            .map_err(|why| ApiError::validation("password", format!("'password' {why}")))?;
        let name = bounded_text("name", body.name.0, MAX_USER_NAME_BYTES)?
            .unwrap_or_else(|| email.as_str().to_owned());
        Ok(UserRequest {
            email,
            name,
            password,
        })
    }

    /// The user to store: the password derived under a fresh salt (the slow part).
    pub fn derive(self) -> Result<NewUser, CryptoError> {
        let kdf = KdfParams::generate()?;
        Ok(NewUser {
            password: self.password.derive(&kdf.salt, kdf.iterations),
            email: self.email,
            name: self.name,
            kdf,
        })
    }
}

/// `POST /v1/auth/login` `{tenant, email, password}`.
#[derive(Debug)]
pub struct LoginRequest {
    pub tenant: TenantId,
    pub email: Email,
    pub password: Password,
}

/// `POST /v1/auth/login` as it comes. `Debug` is not derived: it holds a password.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    tenant: body::Text,
    email: body::Text,
    password: body::Text,
}

impl LoginRequest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let body: LoginBody = body::parse(bytes)?;
        let password = Zeroizing::new(body.password.0);
        let tenant = TenantId::parse(&body.tenant.0)
            .map_err(|why| ApiError::validation("tenant", format!("'tenant' {why}")))?;
        let email = Email::parse(&body.email.0)
            .map_err(|why| ApiError::validation("email", format!("'email' {why}")))?;
        // Any password is checked (one set under an older, looser rule still logs in); only
        // its size is bounded, so a megabyte cannot be fed to the KDF.
        if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
            return Err(ApiError::validation(
                "password",
                format!("'password' must be 1 to {MAX_PASSWORD_BYTES} bytes"),
            ));
        }
        Ok(LoginRequest {
            tenant,
            email,
            password: Password(password),
        })
    }
}

/// A user as the API shows it: never a password or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    pub created_at: Timestamp,
    #[serde(default)]
    pub last_login_at: Option<Timestamp>,
    /// Set when a cascading revocation suspended the user (what they were made by was
    /// revoked): refused from their next request until an admin reinstates them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_reason: Option<String>,
}

/// The answer to a good login: `{token, expires_at, user}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginIssued {
    pub token: String,
    pub expires_at: Timestamp,
    pub user: UserView,
}

/// The one answer to a bad email or a bad password: which of the two was wrong is not said.
pub fn login_refused() -> ApiError {
    ApiError::unauthorized("invalid email or password")
}

/// How many failed logins one key (an account, an address) may have in a window before it
/// is locked out for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    pub max_failures: u32,
    pub window_seconds: i64,
    pub lockout_seconds: i64,
}

/// Per account (the email as typed, whether or not such a user exists, so a lockout says
/// nothing about who has an account): 5 failures in 15 minutes lock it for 15 minutes.
pub const ACCOUNT_RULE: ThrottleRule = ThrottleRule {
    max_failures: 5,
    window_seconds: 900,
    lockout_seconds: 900,
};

/// Per client address: 20 failures in 15 minutes lock it out of every account for 15 minutes.
pub const ADDRESS_RULE: ThrottleRule = ThrottleRule {
    max_failures: 20,
    window_seconds: 900,
    lockout_seconds: 900,
};

/// Failed logins of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: u32,
    pub window_start: Timestamp,
    pub locked_until: Option<Timestamp>,
}

impl FailureCount {
    /// Seconds until the key may try again, when it is locked out now.
    pub fn locked_for(&self, now: Timestamp) -> Option<u64> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| u64::try_from((until.unix_ms() - now.unix_ms() + 999) / 1000).unwrap_or(1))
    }

    /// The count after one more failure at `now` (`None`: the first one).
    pub fn after_failure(previous: Option<Self>, rule: ThrottleRule, now: Timestamp) -> Self {
        let mut count = match previous {
            Some(count)
                if now.unix_ms() - count.window_start.unix_ms() < rule.window_seconds * 1000 =>
            {
                count
            }
            _ => FailureCount {
                failures: 0,
                window_start: now,
                locked_until: None,
            },
        };
        count.failures = count.failures.saturating_add(1);
        if count.failures >= rule.max_failures {
            count.locked_until = Some(now.plus_seconds(rule.lockout_seconds));
        }
        count
    }

    /// Whether the row can be forgotten: its window and any lockout are over.
    pub fn is_stale(&self, rule: ThrottleRule, now: Timestamp) -> bool {
        now.unix_ms() - self.window_start.unix_ms() >= rule.window_seconds * 1000
            && self.locked_for(now).is_none()
    }
}

/// The 429 of a locked-out login: the same for an account that exists and one that does not.
pub fn locked_out(retry_after: u64) -> ApiError {
    ApiError::new(
        ErrorCode::RateLimited,
        format!("too many failed logins; try again in {retry_after} s"),
    )
    .with("retry_after", retry_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_ms(1_800_000_000_000 + seconds * 1000).unwrap()
    }

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a b@c.d",
            "a@b@c",
            "ada@.com",
            "ada@com.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse(&format!("{}@x.io", "a".repeat(260))).is_err());
    }

    #[test]
    fn passwords_need_length_not_composition() {
        assert!(Password::parse("correct horse battery").is_ok());
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("eleven char").is_err());
        assert!(Password::parse("twelve chars").is_ok());
        assert!(Password::parse(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert!(Password::parse("with a\nnewline inside").is_err());
        let password = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{password:?}"), "Password([redacted])");
    }

    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64); the first 32 bytes.
        let out = latchkey_primitives::pbkdf2_hmac_sha256(b"passwd", b"salt", 1);
        assert_eq!(
            crate::hex::encode(&out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn the_same_password_and_salt_derive_the_same_value_and_others_do_not() {
        let kdf = KdfParams {
            salt: [7; SALT_BYTES],
            iterations: 1_000,
        };
        let password = Password::parse("correct horse battery").unwrap();
        let derived = password.derive(&kdf.salt, kdf.iterations);
        assert_eq!(derived, password.derive(&kdf.salt, kdf.iterations));
        let other = Password::parse("correct horse battery!").unwrap();
        assert!(derived != other.derive(&kdf.salt, kdf.iterations));
        assert!(derived != password.derive(&[8; SALT_BYTES], kdf.iterations));
        assert_eq!(format!("{derived:?}"), "DerivedPassword([redacted])");
        let json = serde_json::to_string(&derived).unwrap();
        let back: DerivedPassword = serde_json::from_str(&json).unwrap();
        assert_eq!(back, derived);
    }

    #[test]
    fn user_requests_name_the_bad_member() {
        let user = UserRequest::parse(
            br#"{"email":"Ada@Example.com","password":"correct horse battery"}"#,
        )
        .unwrap();
        assert_eq!(user.name, "ada@example.com");
        for (body, field) in [
            (
                r#"{"email":"nope","password":"correct horse battery"}"#,
                "email",
            ),
            (r#"{"email":"a@b.c","password":"short"}"#, "password"),
            (
                r#"{"email":"a@b.c","password":"correct horse battery","name":""}"#,
                "name",
            ),
            (
                r#"{"email":"a@b.c","password":"correct horse battery","role":"admin"}"#,
                "role",
            ),
        ] {
            let e = UserRequest::parse(body.as_bytes()).unwrap_err();
            assert!(
                e.to_string().contains(field) || e.details.get("field").is_some_and(|f| f == field),
                "{body}: {e}"
            );
        }
    }

    #[test]
    fn login_requests_bound_the_password_but_not_its_rules() {
        let tenant = TenantId::generate().unwrap();
        let body = format!(r#"{{"tenant":"{tenant}","email":"a@b.c","password":"x"}}"#);
        assert!(LoginRequest::parse(body.as_bytes()).is_ok());
        let huge = format!(
            r#"{{"tenant":"{tenant}","email":"a@b.c","password":"{}"}}"#,
            "x".repeat(MAX_PASSWORD_BYTES + 1)
        );
        assert!(LoginRequest::parse(huge.as_bytes()).is_err());
        assert!(
            LoginRequest::parse(br#"{"tenant":"nope","email":"a@b.c","password":"x"}"#).is_err()
        );
    }

    #[test]
    fn five_failures_in_the_window_lock_the_account_for_the_lockout() {
        let mut count = None;
        for i in 0..4 {
            let next = FailureCount::after_failure(count, ACCOUNT_RULE, at(i));
            assert_eq!(next.locked_for(at(i)), None);
            count = Some(next);
        }
        let locked = FailureCount::after_failure(count, ACCOUNT_RULE, at(10));
        assert_eq!(locked.failures, 5);
        assert_eq!(locked.locked_for(at(10)), Some(900));
        assert_eq!(locked.locked_for(at(909)), Some(1));
        assert_eq!(locked.locked_for(at(910)), None);
        assert!(!locked.is_stale(ACCOUNT_RULE, at(800)));
        assert!(locked.is_stale(ACCOUNT_RULE, at(910)));
    }

    #[test]
    fn failures_outside_the_window_start_over() {
        let first = FailureCount::after_failure(None, ACCOUNT_RULE, at(0));
        let mut count = Some(first);
        for i in 0..3 {
            count = Some(FailureCount::after_failure(count, ACCOUNT_RULE, at(i)));
        }
        // The window (900 s) is over: the count restarts instead of locking.
        let later = FailureCount::after_failure(count, ACCOUNT_RULE, at(901));
        assert_eq!(later.failures, 1);
        assert_eq!(later.locked_for(at(901)), None);
    }

    #[test]
    fn stored_round_counts_are_bounded() {
        let mut kdf = KdfParams::generate().unwrap();
        assert!(kdf.is_sane());
        kdf.iterations = u32::MAX;
        assert!(!kdf.is_sane());
        kdf.iterations = 1;
        assert!(!kdf.is_sane());
    }
}
