//! Where a secret may be sent. Each secret carries its own `allowed_hosts`; every broker call
//! must also pass the destination rules that protect the platform itself (https only, no
//! private or loopback addresses) unless the deployment lists the host in
//! `PROXY_INSECURE_HOSTS` (local development and tests only).

use crate::error::{ApiError, ErrorCode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Rules one secret may hold.
pub const MAX_HOST_RULES: usize = 20;
const MAX_PATH_PREFIX_BYTES: usize = 256;
/// A rule's host: a DNS name's limit.
pub const MAX_HOST_BYTES: usize = 253;

/// The methods the broker sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

impl HttpMethod {
    pub const ALL: [HttpMethod; 7] = [
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
        HttpMethod::Options,
    ];

    /// Upper case only, as on the wire.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Options => "OPTIONS",
        }
    }

    /// GET and HEAD carry no body.
    pub fn allows_body(self) -> bool {
        !matches!(self, HttpMethod::Get | HttpMethod::Head)
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A host as a URL names it, normalized: a lower-case ASCII (punycode) domain without a
/// trailing dot, or an IP address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    Domain(String),
    Ip(IpAddr),
}

impl Host {
    /// Parses a bare host (no scheme, port or brackets required): `api.example.com`,
    /// `127.0.0.1`, `::1`, `[::1]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Host::Ip(ip));
        }
        if !text.is_ascii() {
            return Err(format!("'{text}': {UNICODE_HOST_HINT}"));
        }
        let parsed = url::Host::parse(text).map_err(|e| format!("'{text}' is not a host: {e}"))?;
        Ok(match parsed {
            url::Host::Domain(domain) => Host::from_url(&url::Host::Domain(domain.as_str())),
            url::Host::Ipv4(ip) => Host::Ip(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Host::Ip(IpAddr::V6(ip)),
        })
    }

    pub fn from_url(host: &url::Host<&str>) -> Self {
        match host {
            url::Host::Domain(domain) => {
                // `localhost..` is `localhost`: every trailing dot goes.
                let domain = domain.trim_end_matches('.');
                Host::Domain(domain.to_ascii_lowercase())
            }
            url::Host::Ipv4(ip) => Host::Ip(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => Host::Ip(IpAddr::V6(*ip)),
        }
    }

    /// Whether the host is loopback as the fetcher will see it: `localhost`, 127.0.0.0/8 or
    /// `::1` (after normalization, so `127.1` and `0x7f000001` are; `::ffff:127.0.0.1` and
    /// `app.localhost` are not).
    pub fn is_loopback(&self) -> bool {
        match self {
            Host::Ip(IpAddr::V4(ip)) => ip.is_loopback(),
            Host::Ip(IpAddr::V6(ip)) => ip.is_loopback(),
            Host::Domain(domain) => domain == "localhost",
        }
    }

    /// Whether the host is, or may resolve to, an address outside the public internet.
    pub fn is_private(&self) -> bool {
        match self {
            Host::Ip(ip) => is_private_ip(*ip),
            Host::Domain(domain) => {
                domain == "localhost"
                    || [".localhost", ".local", ".internal", ".home.arpa", ".lan"]
                        .iter()
                        .any(|suffix| domain.ends_with(suffix))
                    // A single label (`intranet`) resolves only through a local search domain.
                    || !domain.contains('.')
            }
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(domain) => f.write_str(domain),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (CGNAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address it embeds.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return is_private_v4(Ipv4Addr::new(a, b, c, d));
    }
    // 6to4 (2002::/16) reaches the IPv4 address in its next 32 bits.
    if segments[0] == 0x2002 {
        let [a, b] = segments[1].to_be_bytes();
        let [c, d] = segments[2].to_be_bytes();
        return is_private_v4(Ipv4Addr::new(a, b, c, d));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Teredo (2001::/32) tunnels to an obfuscated IPv4 address: refused outright.
        || (segments[0] == 0x2001 && segments[1] == 0)
        // Unique local, fc00::/7.
        || (segments[0] & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (segments[0] & 0xffc0) == 0xfe80
        // Site-local (deprecated), fec0::/10.
        || (segments[0] & 0xffc0) == 0xfec0
        // Documentation, 2001:db8::/32.
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        // IPv4-compatible (deprecated), ::/96.
        || segments[..6] == [0, 0, 0, 0, 0, 0]
}

pub fn is_private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

/// The host part of a rule: one host, or `*.` and a domain (exactly one more label).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostPattern {
    Exact(Host),
    /// `*.example.com`, kept as `example.com`.
    AnyLabelOf(String),
}

impl HostPattern {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.len() > MAX_HOST_BYTES {
            return Err(format!("'host' must be 1 to {MAX_HOST_BYTES} bytes"));
        }
        if text.contains(['/', ':', '?', '#', '@']) && text.parse::<IpAddr>().is_err() {
            return Err(format!(
                "'{text}': give the host alone, without a scheme, port or path (e.g. api.example.com)"
            ));
        }
        match text.strip_prefix("*.") {
            Some(rest) => match Host::parse(rest)? {
                Host::Domain(domain) if domain.contains('.') && !domain.contains('*') => {
                    Ok(HostPattern::AnyLabelOf(domain))
                }
                _ => Err(format!(
                    "'{text}': a wildcard stands for one label of a domain with at least two labels (e.g. *.example.com)"
                )),
            },
            None => match Host::parse(text)? {
                Host::Domain(domain) if domain.contains('*') => Err(format!(
                    "'{text}': '*' may only be the whole first label (*.example.com)"
                )),
                host => Ok(HostPattern::Exact(host)),
            },
        }
    }

    pub fn matches(&self, host: &Host) -> bool {
        match (self, host) {
            (HostPattern::Exact(exact), host) => exact == host,
            (HostPattern::AnyLabelOf(parent), Host::Domain(domain)) => domain
                .strip_suffix(parent.as_str())
                .and_then(|rest| rest.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty() && !label.contains('.')),
            (HostPattern::AnyLabelOf(_), Host::Ip(_)) => false,
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Exact(host) => write!(f, "{host}"),
            HostPattern::AnyLabelOf(parent) => write!(f, "*.{parent}"),
        }
    }
}

impl Serialize for HostPattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HostPattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        HostPattern::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for HttpMethod {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for HttpMethod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        HttpMethod::parse(&text).ok_or_else(|| serde::de::Error::custom("unknown HTTP method"))
    }
}

/// One entry of `allowed_hosts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRule {
    pub host: HostPattern,
    /// The one port the rule allows; absent: the scheme's default (443) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<HttpMethod>>,
}

/// Whether `path` is `prefix` or lies below it on a segment boundary (`/v1` covers `/v1/x`,
/// not `/v1beta`).
pub fn path_within(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/'))
}

fn parse_path_prefix(field: &str, text: &str) -> Result<String, ApiError> {
    let bad = |why: &str| ApiError::validation(field, format!("path_prefix '{text}': {why}"));
    if !text.starts_with('/') {
        return Err(bad("must start with '/'"));
    }
    if text.len() > MAX_PATH_PREFIX_BYTES {
        return Err(bad("is longer than 256 bytes"));
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) || text.contains(['?', '#', '\\']) {
        return Err(bad(
            "must be printable ASCII without '?', '#' or '\\' (percent-encode other characters)",
        ));
    }
    if text.split('/').any(|segment| {
        matches!(segment, "." | "..") || segment.to_ascii_lowercase().contains("%2e")
    }) {
        return Err(bad("must not contain '.' or '..' segments"));
    }
    Ok(text.to_owned())
}

/// A secret's `allowed_hosts`: empty means the broker may not use it at all.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AllowedHosts(pub Vec<HostRule>);

impl AllowedHosts {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn parse_value(field: &str, value: &Value) -> Result<Self, ApiError> {
        let Value::Array(items) = value else {
            return Err(ApiError::validation(
                field,
                format!("'{field}' must be a list of {{host, path_prefix?, methods?}}"),
            ));
        };
        if items.len() > MAX_HOST_RULES {
            return Err(ApiError::validation(
                field,
                format!("'{field}' holds at most {MAX_HOST_RULES} rules"),
            ));
        }
        let mut rules = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let Value::Object(map) = item else {
                return Err(ApiError::validation(
                    &at,
                    format!("'{at}' must be an object {{host, path_prefix?, methods?}}"),
                ));
            };
            if let Some(unknown) = map
                .keys()
                .find(|k| !matches!(k.as_str(), "host" | "port" | "path_prefix" | "methods"))
            {
                return Err(ApiError::validation(
                    &at,
                    format!(
                        "'{at}' has an unknown member '{unknown}'; expected host, path_prefix, methods"
                    ),
                ));
            }
            let host = match map.get("host") {
                Some(Value::String(text)) => {
                    HostPattern::parse(text).map_err(|why| ApiError::validation(&at, why))?
                }
                _ => {
                    return Err(ApiError::validation(
                        &at,
                        format!(
                            "'{at}.host' is required: a host name, '*.' and a domain, or an IP address"
                        ),
                    ));
                }
            };
            let port = match map.get("port") {
                None | Some(Value::Null) => None,
                Some(value) => Some(
                    value
                        .as_u64()
                        .and_then(|p| u16::try_from(p).ok())
                        .filter(|p| *p > 0)
                        .ok_or_else(|| {
                            ApiError::validation(
                                &at,
                                format!("'{at}.port' must be a port number, 1 to 65535"),
                            )
                        })?,
                ),
            };
            let path_prefix = match map.get("path_prefix") {
                None | Some(Value::Null) => None,
                Some(Value::String(text)) => Some(parse_path_prefix(&at, text)?),
                Some(_) => {
                    return Err(ApiError::validation(
                        &at,
                        format!("'{at}.path_prefix' must be a string"),
                    ));
                }
            };
            let methods = match map.get("methods") {
                None | Some(Value::Null) => None,
                Some(Value::Array(list)) if !list.is_empty() && list.len() <= 7 => {
                    let mut methods = Vec::with_capacity(list.len());
                    for method in list {
                        let parsed = method.as_str().and_then(HttpMethod::parse).ok_or_else(|| {
                            ApiError::validation(
                                &at,
                                format!("'{at}.methods' lists upper-case methods: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"),
                            )
                        })?;
                        if !methods.contains(&parsed) {
                            methods.push(parsed);
                        }
                    }
                    Some(methods)
                }
                Some(_) => {
                    return Err(ApiError::validation(
                        &at,
                        format!("'{at}.methods' must be a list of 1 to 7 methods"),
                    ));
                }
            };
            rules.push(HostRule {
                host,
                port,
                path_prefix,
                methods,
            });
        }
        Ok(AllowedHosts(rules))
    }

    /// Why `secret` may not go to `method host[:port] path`, if it may not: the reason code of
    /// the first condition no rule meets, host (and port) before path before method. `port` is
    /// `None` for the scheme's default; `any_port` (hosts the deployment lists as insecure,
    /// local development) lets every port through.
    pub fn check(
        &self,
        secret: &str,
        method: HttpMethod,
        host: &Host,
        port: Option<u16>,
        any_port: bool,
        path: &str,
    ) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Err(refusal(
                Refusal::NoAllowedHosts,
                format!(
                    "secret '{secret}' has no allowed_hosts, so the broker may not use it; set allowed_hosts on the secret (PUT /v1/secrets/{{path}})"
                ),
            ));
        }
        let for_host: Vec<&HostRule> = self
            .0
            .iter()
            .filter(|r| r.host.matches(host) && (any_port || r.port == port))
            .collect();
        if for_host.is_empty() {
            let shown = match port {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            };
            return Err(refusal(
                Refusal::HostNotAllowed,
                format!(
                    "host '{shown}' is not in the allowed_hosts of secret '{secret}' (a rule without 'port' allows the default port only)"
                ),
            ));
        }
        let for_path: Vec<&&HostRule> = for_host
            .iter()
            .filter(|r| {
                r.path_prefix
                    .as_deref()
                    .is_none_or(|p| path_within(path, p))
            })
            .collect();
        if for_path.is_empty() {
            return Err(refusal(
                Refusal::PathNotAllowed,
                format!(
                    "path '{path}' on '{host}' is outside the path_prefix of every allowed_hosts rule of secret '{secret}'"
                ),
            ));
        }
        if !for_path
            .iter()
            .any(|r| r.methods.as_ref().is_none_or(|m| m.contains(&method)))
        {
            return Err(refusal(
                Refusal::MethodNotAllowed,
                format!("method {method} to '{host}{path}' is not allowed for secret '{secret}'"),
            ));
        }
        Ok(())
    }
}

/// Why the broker refused a destination (the `reason` member of its 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    InsecureScheme,
    PrivateAddress,
    NoAllowedHosts,
    HostNotAllowed,
    PathNotAllowed,
    MethodNotAllowed,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::InsecureScheme => "insecure_scheme",
            Refusal::PrivateAddress => "private_address",
            Refusal::NoAllowedHosts => "no_allowed_hosts",
            Refusal::HostNotAllowed => "host_not_allowed",
            Refusal::PathNotAllowed => "path_not_allowed",
            Refusal::MethodNotAllowed => "method_not_allowed",
        }
    }
}

pub fn refusal(reason: Refusal, message: String) -> ApiError {
    ApiError::new(ErrorCode::PermissionDenied, message).with("reason", reason.as_str())
}

/// The Worker var listing hosts the broker (and the OAuth server's metadata fetch) may reach
/// over plain http or at private addresses: set by `scripts/dev` and the tests for loopback,
/// unset in a deployment. Both scripts read it.
pub const PROXY_INSECURE_HOSTS_VAR: &str = "PROXY_INSECURE_HOSTS";

/// The hosts of `PROXY_INSECURE_HOSTS`: plain http and private addresses are allowed to these
/// and no others. Unset in a deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsecureHosts(Vec<Host>);

impl InsecureHosts {
    /// Comma-separated hosts; entries that are not hosts are skipped (the var is the
    /// operator's, and a typo must not widen anything).
    pub fn parse(text: &str) -> Self {
        InsecureHosts(
            text.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .filter_map(|t| Host::parse(t).ok())
                .collect(),
        )
    }

    pub fn contains(&self, host: &Host) -> bool {
        self.0.contains(host)
    }
}

/// The platform's rule for every outbound destination (broker calls, approval channels):
/// https to a public host. `host` is normalized ([`Host::from_url`]: the URL parser's
/// reading, as the fetcher will read it). The reason it fails, if it does.
pub fn public_destination_refusal(scheme: &str, host: &Host) -> Option<Refusal> {
    if scheme != "https" {
        Some(Refusal::InsecureScheme)
    } else if host.is_private() {
        Some(Refusal::PrivateAddress)
    } else {
        None
    }
}

/// Hosts are ASCII: the Worker carries no Unicode IDNA tables (core/Cargo.toml pins the
/// ASCII-only `idna_adapter`), so an internationalized name is given in its xn-- form.
const UNICODE_HOST_HINT: &str = "write an internationalized host in its xn-- (punycode) form";

/// Parses an absolute outbound URL as the fetcher will (WHATWG URL: `0x7f.1` is `127.0.0.1`,
/// IDNA to punycode), `http` or `https`, with a host and without user info; the normalized
/// host (a trailing dot dropped) comes with it.
pub fn parse_outbound_url(text: &str) -> Result<(url::Url, Host), String> {
    let url = url::Url::parse(text).map_err(|e| match e {
        url::ParseError::IdnaError => format!("'{text}': {UNICODE_HOST_HINT}"),
        e => format!("'{text}' is not an absolute URL: {e}"),
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("'{text}' must use https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("'{text}' must not carry user info"));
    }
    let host = url
        .host()
        .map(|h| Host::from_url(&h))
        .filter(|h| !matches!(h, Host::Domain(d) if d.is_empty()))
        .ok_or_else(|| format!("'{text}' needs a host"))?;
    Ok((url, host))
}

/// The platform's own rules for a destination, before any secret's rules: https, and a
/// public host, unless the deployment lists the host as insecure.
pub fn check_destination(
    scheme: &str,
    host: &Host,
    insecure: &InsecureHosts,
) -> Result<(), ApiError> {
    if insecure.contains(host) {
        return Ok(());
    }
    match public_destination_refusal(scheme, host) {
        None => Ok(()),
        Some(Refusal::InsecureScheme) => Err(refusal(
            Refusal::InsecureScheme,
            format!("the broker sends secrets over https only; '{scheme}://{host}' is refused"),
        )),
        Some(reason) => Err(refusal(
            reason,
            format!(
                "'{host}' is a private, loopback, link-local or local-only address; the broker does not send secrets there"
            ),
        )),
    }
}

#[cfg(test)]
mod tests;
