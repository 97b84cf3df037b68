//! The web console's session (issue 25), decided here and nowhere else: the cookie that
//! carries it, the CSRF token derived from it, the Origin check, and how long it lives.
//!
//! A console session is an opaque `lk_cs_…` credential ([`crate::credential`]) that the
//! tenant object mints when a person logs in through `POST /console/session`; the object keeps
//! only its hash, with an idle timeout and an absolute lifetime, and logging out deletes it.
//! The browser holds it in an `HttpOnly; Secure; SameSite=Strict` cookie that page script
//! cannot read. Because a cookie is sent by the browser on its own, a request authenticated by
//! it must also prove it comes from the console's own page: it carries the session's CSRF
//! token in [`CSRF_HEADER`] (which the page learns from the session response and keeps in
//! memory) and, when it changes anything, an `Origin` equal to `PUBLIC_URL`.

use crate::crypto::sha256;
use crate::error::ApiError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// The cookie's name. `__Host-` makes the browser refuse it unless it is `Secure`, has
/// `Path=/` and no `Domain`: no sibling host can plant or overwrite it.
pub const COOKIE_NAME: &str = "__Host-latchkey_console";

/// The header a cookie-authenticated request carries the session's CSRF token in.
pub const CSRF_HEADER: &str = "X-Latchkey-CSRF";

/// A session unused for this long ends (the next request is refused).
pub const IDLE_TIMEOUT_SECONDS: i64 = 30 * 60;

/// A session ends this long after it was opened, however busy.
pub const ABSOLUTE_LIFETIME_SECONDS: i64 = 12 * 60 * 60;

/// A session's last use is written back at most this often (each write is a row update).
pub const TOUCH_EVERY_SECONDS: i64 = 60;

/// Domain separation: the CSRF token is never the stored hash of the session.
const CSRF_LABEL: &[u8] = b"latchkey console csrf v1\0";

/// The CSRF token of a session: a hash of the session's value under its own label. Only who
/// holds the cookie's value can compute it, and page script never does: the page gets it from
/// the session response. Checking it needs no state.
pub fn csrf_token(session: &str) -> String {
    let mut input = Vec::with_capacity(CSRF_LABEL.len() + session.len());
    input.extend_from_slice(CSRF_LABEL);
    input.extend_from_slice(session.as_bytes());
    URL_SAFE_NO_PAD.encode(sha256(&input))
}

/// Whether `presented` is the session's CSRF token (constant time; both sides hashed first so
/// the lengths don't leak).
pub fn csrf_matches(session: &str, presented: &str) -> bool {
    sha256(csrf_token(session).as_bytes())
        .ct_eq(&sha256(presented.trim().as_bytes()))
        .into()
}

/// The console cookie's value in a `Cookie` header, when there is exactly one.
pub fn session_from_cookies(header: &str) -> Option<&str> {
    let mut found = header.split(';').filter_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name.trim() == COOKIE_NAME).then(|| value.trim())
    });
    let value = found.next()?;
    // Two cookies of that name: refuse both rather than pick one.
    found.next().is_none().then_some(value)
}

/// The `Set-Cookie` value that stores `session` for `max_age_seconds`.
pub fn set_cookie(session: &str, max_age_seconds: i64) -> String {
    format!(
        "{COOKIE_NAME}={session}; Max-Age={max_age_seconds}; Path=/; Secure; HttpOnly; SameSite=Strict"
    )
}

/// The `Set-Cookie` value that makes the browser drop the cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict")
}

/// What a cookie-authenticated request must show besides the cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Nothing more: reading the session's own state (the page's first request, before it
    /// knows the token). Still refused when an `Origin` is sent and is not the console's.
    SameOrigin,
    /// The CSRF token, and an `Origin` equal to the console's on a method that changes
    /// something.
    Token,
}

/// Whether a method may change something (anything but GET, HEAD and OPTIONS).
pub fn changes_state(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Checks a cookie-authenticated request: `public_origin` is `PUBLIC_URL`'s origin (`None`
/// when the deployment has none: then nothing state-changing is accepted from a cookie).
pub fn check_request(
    proof: Proof,
    method: &str,
    session: &str,
    origin: Option<&str>,
    csrf: Option<&str>,
    public_origin: Option<&str>,
) -> Result<(), ApiError> {
    let forged = |why: &str| {
        ApiError::new(
            crate::error::ErrorCode::PermissionDenied,
            format!("console request refused: {why}"),
        )
    };
    match (origin, public_origin) {
        (Some(origin), Some(expected)) if origin != expected => {
            return Err(forged(&format!(
                "Origin '{}' is not the console's ({expected})",
                origin.chars().take(100).collect::<String>()
            )));
        }
        (Some(_), None) => {
            return Err(forged(
                "the deployment has no PUBLIC_URL to check Origin against",
            ));
        }
        (None, _) if changes_state(method) => {
            return Err(forged(
                "a request that changes something must carry an Origin",
            ));
        }
        _ => {}
    }
    if changes_state(method) && public_origin.is_none() {
        return Err(forged(
            "the deployment has no PUBLIC_URL to check Origin against",
        ));
    }
    if proof == Proof::Token {
        let csrf = csrf.ok_or_else(|| forged(&format!("no {CSRF_HEADER} header")))?;
        if !csrf_matches(session, csrf) {
            return Err(forged(&format!("{CSRF_HEADER} does not match the session")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "lk_cs_tn_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const ORIGIN: &str = "https://latchkey.example";

    #[test]
    fn csrf_token_differs_per_session_and_from_its_hash() {
        let token = csrf_token(SESSION);
        assert_eq!(token.len(), 43);
        assert_ne!(token, csrf_token("lk_cs_other"));
        assert_ne!(
            token,
            URL_SAFE_NO_PAD.encode(sha256(SESSION.as_bytes())),
            "the stored hash must not be the token"
        );
        assert!(csrf_matches(SESSION, &token));
        assert!(!csrf_matches(SESSION, "x"));
    }

    #[test]
    fn session_cookie_is_found_once_among_others() {
        let header = format!("a=1; {COOKIE_NAME}={SESSION}; b=2");
        assert_eq!(session_from_cookies(&header), Some(SESSION));
        assert_eq!(session_from_cookies("a=1"), None);
        let twice = format!("{COOKIE_NAME}=x; {COOKIE_NAME}=y");
        assert_eq!(session_from_cookies(&twice), None);
    }

    #[test]
    fn set_cookie_is_host_only_secure_httponly_strict() {
        let cookie = set_cookie(SESSION, 60);
        for part in ["__Host-", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
            assert!(cookie.contains(part), "{cookie}");
        }
        assert!(!cookie.contains("Domain"));
        assert!(clear_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn state_change_without_csrf_token_is_refused() {
        let e = check_request(
            Proof::Token,
            "POST",
            SESSION,
            Some(ORIGIN),
            None,
            Some(ORIGIN),
        )
        .unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(e.message.contains(CSRF_HEADER), "{}", e.message);
        let wrong = check_request(
            Proof::Token,
            "POST",
            SESSION,
            Some(ORIGIN),
            Some("nope"),
            Some(ORIGIN),
        );
        assert!(wrong.is_err());
        let token = csrf_token(SESSION);
        assert!(
            check_request(
                Proof::Token,
                "POST",
                SESSION,
                Some(ORIGIN),
                Some(&token),
                Some(ORIGIN)
            )
            .is_ok()
        );
    }

    #[test]
    fn foreign_or_missing_origin_is_refused_on_a_state_change() {
        let token = csrf_token(SESSION);
        let foreign = check_request(
            Proof::Token,
            "DELETE",
            SESSION,
            Some("https://evil.example"),
            Some(&token),
            Some(ORIGIN),
        )
        .unwrap_err();
        assert!(
            foreign.message.contains("evil.example"),
            "{}",
            foreign.message
        );
        assert!(
            check_request(
                Proof::Token,
                "PUT",
                SESSION,
                None,
                Some(&token),
                Some(ORIGIN)
            )
            .is_err()
        );
        // No PUBLIC_URL: nothing state-changing is taken from a cookie.
        assert!(
            check_request(
                Proof::Token,
                "PUT",
                SESSION,
                Some(ORIGIN),
                Some(&token),
                None
            )
            .is_err()
        );
        // A read without an Origin (same-origin GET) needs only the token.
        assert!(
            check_request(
                Proof::Token,
                "GET",
                SESSION,
                None,
                Some(&token),
                Some(ORIGIN)
            )
            .is_ok()
        );
        assert!(check_request(Proof::Token, "GET", SESSION, None, None, Some(ORIGIN)).is_err());
        assert!(check_request(Proof::SameOrigin, "GET", SESSION, None, None, Some(ORIGIN)).is_ok());
        assert!(
            check_request(
                Proof::SameOrigin,
                "GET",
                SESSION,
                Some("https://evil.example"),
                None,
                Some(ORIGIN)
            )
            .is_err()
        );
    }
}
