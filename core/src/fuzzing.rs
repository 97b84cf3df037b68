//! What the fuzz targets (`fuzz/`, run by `scripts/fuzz`) feed arbitrary input to, kept here so
//! that the regression test (`core/tests/fuzz_regressions.rs`) replays saved crashes through
//! exactly the same code. Each function must return without panicking for any input, and
//! checks the invariants that must hold for whatever parses.

use crate::access_request::{NewAccessRequest, RequestQuery};
use crate::agent::discovery::{DiscoveredCertificate, DiscoveredSshKey};
use crate::approval::Policies;
use crate::audit::AuditQuery;
use crate::field::{FieldName, FieldValue, parse_field_set};
use crate::generate::PasswordRequest;
use crate::listing::ListQuery;
use crate::notification::{NotificationConfig, OutboundPolicy};
use crate::path::{SecretPath, percent_decode};
use crate::people::{Email, LoginRequest, UserRequest};
use crate::review::parse_form;
use crate::role::{NewRole, UserRoleRequest, parse_permissions};
use crate::route::Route;
use crate::scope::{PathGlob, Scope, ScopeSet, SecretAction};
use crate::secret::{NewSecret, Rotation, SecretUpdate};
use crate::tenant::{NewTenant, TenantUpdate};
use crate::time::Timestamp;
use crate::token::TokenRequest;
use crate::vault::{self, KvWrite};
use crate::wrap::{NewWrap, parse_unwrap};

/// Paths, percent-decoding and routing.
pub fn paths(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(path) = SecretPath::parse(text) {
        // A parsed path survives its own URL form.
        let decoded = percent_decode(&path.url_encoded());
        assert_eq!(decoded.as_deref(), Ok(path.as_str()));
    }
    let _ = percent_decode(text);
    for method in ["GET", "PUT", "POST", "DELETE", "PATCH", "LIST"] {
        let _ = Route::resolve(method, text);
        let _ = Route::resolve(method, &format!("/v1/secrets/{text}"));
        let _ = Route::resolve(method, &format!("/v1/secret/data/{text}"));
    }
    let _ = FieldName::parse(text);
}

/// Scopes and globs: parsing, printing, matching and containment agree with each other.
pub fn scopes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\n');
    let (a, b, p) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if let Ok(scope) = Scope::parse(a) {
        assert_eq!(Scope::parse(&scope.to_string()).as_ref(), Ok(&scope));
    }
    let (Ok(ga), Ok(gb)) = (PathGlob::parse(a), PathGlob::parse(b)) else {
        return;
    };
    assert_eq!(PathGlob::parse(&ga.to_string()).as_ref(), Ok(&ga));
    if let Ok(path) = SecretPath::parse(p) {
        // Containment means every path the inner glob matches, the outer matches too.
        if ga.is_within(&gb) && ga.matches(&path) {
            assert!(gb.matches(&path), "{ga} within {gb} but {path} escapes");
        }
        assert!(PathGlob::exact(&path).matches(&path));
        let set: Result<ScopeSet, _> =
            serde_json::from_value(serde_json::json!([format!("secrets:read:{ga}")]));
        if let Ok(set) = set {
            assert_eq!(
                set.allows_secret(SecretAction::Read, &path),
                ga.matches(&path)
            );
        }
    }
}

/// Every request-body parser, and the query parsers.
pub fn bodies(data: &[u8]) {
    let now = Timestamp::from_unix_ms(1_700_000_000_000)
        .unwrap_or_else(|| Timestamp::from_unix_ms_f64(0.0));
    let _ = NewSecret::parse(data, now);
    let _ = SecretUpdate::parse(data, now);
    let _ = Rotation::parse(data);
    let _ = TokenRequest::parse(data);
    let _ = Policies::parse(data);
    let _ = parse_field_set(data);
    let _ = FieldValue::parse(data);
    let _ = PasswordRequest::parse(data, now);
    // People: a parsed email is already normalized.
    if let Ok(user) = UserRequest::parse(data) {
        assert_eq!(Email::parse(user.email.as_str()).as_ref(), Ok(&user.email));
    }
    let _ = LoginRequest::parse(data);
    let _ = NewRole::parse(data);
    let _ = parse_permissions(data);
    let _ = UserRoleRequest::parse(data);
    let _ = NewAccessRequest::parse_read(data);
    let _ = NewAccessRequest::parse_patch(data);
    let _ = NewWrap::parse(data);
    let _ = parse_unwrap(data);
    // Vault KV v2: a parsed write's snapshot is the map it was parsed from.
    if let Ok(write) = KvWrite::parse(data) {
        let snapshot = vault::data_of_value(&write.version_value());
        assert!(
            snapshot
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .eq(write.data.0.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        );
    }
    let _ = vault::parse_versions(data);
    let _ = NewTenant::parse(data);
    let _ = TenantUpdate::parse(data);
    let _ = DiscoveredCertificate::parse_report(data);
    let _ = DiscoveredSshKey::parse_report(data);
    let _ = NotificationConfig::parse(
        data,
        OutboundPolicy {
            allow_http_loopback: false,
        },
    );
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_form(text);
        let pairs: Vec<(&str, &str)> = text
            .split('&')
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .collect();
        let _ = vault::parse_version_param(Some(text));
        let _ = AuditQuery::parse(pairs.iter().copied());
        let _ = ListQuery::parse(pairs.iter().copied());
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let _ = RequestQuery::parse(&owned);
    }
}

/// The broker: the proxy request parser, placeholder substitution and redaction. The input is
/// split at the first NUL: before it a request body, after it a value to substitute.
pub fn broker(data: &[u8]) {
    use crate::broker::hosts::{AllowedHosts, Host};
    use crate::broker::redact::{MIN_VALUE_BYTES, REDACTED, Redactor};
    use crate::broker::{ProxyRequest, substitute};
    let (body, value) = match data.iter().position(|b| *b == 0) {
        Some(at) => (
            data.get(..at).unwrap_or_default(),
            data.get(at + 1..).unwrap_or_default(),
        ),
        None => (data, &[][..]),
    };
    let value = String::from_utf8_lossy(value).into_owned();
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        let _ = AllowedHosts::parse_value("allowed_hosts", &json);
    }
    if let Ok(request) = ProxyRequest::parse(body) {
        let target = request.target();
        // What the object checks is what is sent: the host survives a round trip as text.
        assert_eq!(
            Host::parse(&target.host.to_string()).ok(),
            Some(target.host)
        );
        let values = request
            .secrets
            .iter()
            .map(|s| (s.name.clone(), value.clone()))
            .collect();
        if let Ok(rendered) = request.render(&values) {
            assert!(url::Url::parse(&rendered.url).is_ok(), "{}", rendered.url);
            for (_, header) in &rendered.headers {
                assert!(!header.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)));
            }
        }
    }
    if let Ok(template) = std::str::from_utf8(body) {
        // One pass: a value is never read again, so the output holds exactly the template's
        // placeholders' worth of values.
        let out = substitute::substitute(template, |_| Some(std::borrow::Cow::Borrowed("{{X}}")));
        assert_eq!(
            substitute::names(&out).len(),
            substitute::names(template).len()
        );
        // (A value made of the marker's own characters could reappear across its edges.)
        if value.len() >= MIN_VALUE_BYTES && !value.chars().any(|c| REDACTED.contains(c)) {
            let haystack = format!("{template}{value}{template}");
            if let Ok((redacted, count)) = Redactor::new([value.as_str()]).redact_str(&haystack) {
                assert!(count >= 1);
                assert!(
                    !redacted.contains(&value),
                    "{value:?} survived in {redacted:?}"
                );
            }
        }
    }
}
