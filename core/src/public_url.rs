//! Where approval links point: the Worker var `PUBLIC_URL`, and nothing else.
//!
//! A link sent to an approver (Slack, webhook, email) carries a single-use approver token; the
//! `approve_url` given to the requester names the review page. Neither may take its host from
//! the request (`Host`, `X-Forwarded-Host`, the URL the Worker was reached at): a requester
//! who sent `Host: evil.example.com` would get every approver's link pointed at a server of
//! their own, and the token captured there would then work at the real origin. So the base of
//! every link is the configured origin or there is none: without it, messages are not sent
//! (the delivery records why) and the requester's `approve_url` is a relative path.

use crate::approval::ApprovalId;

/// The Worker var naming the service's public origin (`https://latchkey.example.com`).
pub const PUBLIC_URL_VAR: &str = "PUBLIC_URL";

/// Why there is no origin to put in links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkBaseProblem {
    /// `PUBLIC_URL` is unset or empty.
    NotSet,
    /// `PUBLIC_URL` is not `http(s)://host[:port]` (a path, a query, credentials, …).
    NotAnOrigin,
}

impl LinkBaseProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkBaseProblem::NotSet => "PUBLIC_URL is not set",
            LinkBaseProblem::NotAnOrigin => "PUBLIC_URL is not an http(s) origin",
        }
    }

    /// What a delivery that was refused for this reason records as its outcome.
    pub fn delivery_outcome(self) -> String {
        format!("not sent: {}", self.as_str())
    }
}

/// The origin links point at, from the configured `PUBLIC_URL` (`None` when the var is
/// absent): `scheme://host[:port]`, with no trailing slash. Only `http` and `https` origins
/// with a host and nothing else (no path beyond `/`, query, fragment or credentials) are
/// accepted.
pub fn link_base(configured: Option<&str>) -> Result<String, LinkBaseProblem> {
    let text = configured
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(LinkBaseProblem::NotSet)?;
    let url = url::Url::parse(text).map_err(|_| LinkBaseProblem::NotAnOrigin)?;
    let origin_only = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    if !origin_only {
        return Err(LinkBaseProblem::NotAnOrigin);
    }
    Ok(url.origin().ascii_serialization())
}

/// The review page of `approval` without a link token (it shows nothing and grants nothing):
/// under the configured origin, or a relative path when there is none.
pub fn review_url(base: Result<&str, LinkBaseProblem>, approval: &ApprovalId) -> String {
    let path = format!("/approvals/{approval}/review");
    match base {
        Ok(origin) => format!("{origin}{path}"),
        Err(_) => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_taken_as_it_is_without_a_trailing_slash() {
        for (given, expected) in [
            (
                "https://latchkey.example.com",
                "https://latchkey.example.com",
            ),
            (
                "https://latchkey.example.com/",
                "https://latchkey.example.com",
            ),
            (
                "  https://Latchkey.Example.com/  ",
                "https://latchkey.example.com",
            ),
            ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
            ("https://example.com:443", "https://example.com"),
            ("http://[::1]:9000/", "http://[::1]:9000"),
        ] {
            assert_eq!(link_base(Some(given)).as_deref(), Ok(expected), "{given}");
        }
    }

    #[test]
    fn no_origin_without_the_var() {
        assert_eq!(link_base(None), Err(LinkBaseProblem::NotSet));
        assert_eq!(link_base(Some("")), Err(LinkBaseProblem::NotSet));
        assert_eq!(link_base(Some("   ")), Err(LinkBaseProblem::NotSet));
    }

    #[test]
    fn anything_but_an_http_origin_is_refused() {
        for given in [
            "latchkey.example.com",
            "ftp://example.com",
            "javascript:alert(1)",
            "https://example.com/latchkey",
            "https://example.com/?x=1",
            "https://example.com/#f",
            "https://user:pw@example.com",
            "https://user@example.com",
            "file:///etc/passwd",
            "https://",
        ] {
            assert_eq!(
                link_base(Some(given)),
                Err(LinkBaseProblem::NotAnOrigin),
                "{given}"
            );
        }
    }

    #[test]
    fn refusals_say_what_is_missing() {
        assert_eq!(
            LinkBaseProblem::NotSet.delivery_outcome(),
            "not sent: PUBLIC_URL is not set"
        );
        assert!(
            LinkBaseProblem::NotAnOrigin
                .delivery_outcome()
                .starts_with("not sent: PUBLIC_URL")
        );
    }

    #[test]
    fn the_requesters_url_is_relative_without_an_origin() {
        let id = ApprovalId::parse("apr_0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(
            review_url(Ok("https://l.example.com"), &id),
            "https://l.example.com/approvals/apr_0123456789abcdef0123456789abcdef/review"
        );
        assert_eq!(
            review_url(Err(LinkBaseProblem::NotSet), &id),
            "/approvals/apr_0123456789abcdef0123456789abcdef/review"
        );
    }
}
