//! IP allow-lists for tokens: rules such as `10.0.1.50`, `10.0.0.0/8` or `2001:db8::/32`,
//! matched against the client address Cloudflare reports in `CF-Connecting-IP`.
//!
//! Families never mix: an IPv4 rule matches only IPv4 clients and an IPv6 rule only IPv6
//! clients, except that an IPv4-mapped IPv6 client (`::ffff:10.0.0.1`) counts as the IPv4
//! address it carries.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// The most rules one token's allow-list may hold.
pub const MAX_IP_RULES: usize = 50;

/// The longest valid rule is `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128` (49 bytes);
/// anything much longer is not worth parsing or echoing back.
const MAX_RULE_BYTES: usize = 64;

/// An IPv4 or IPv6 address or CIDR range. Only [`IpRule::parse`] builds one, so the network
/// address never has bits set beyond the prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IpRule {
    network: IpAddr,
    prefix_len: u8,
}

impl IpRule {
    /// Parses `address` (a /32 or /128) or `address/prefix`; the error says what is wrong in
    /// words fit for an API client.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("IP rule must not be empty".into());
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("IP rule must not contain whitespace or control characters".into());
        }
        if text.len() > MAX_RULE_BYTES {
            return Err(format!(
                "IP rule is {} bytes; no IP address or CIDR range is longer than {MAX_RULE_BYTES}",
                text.len()
            ));
        }
        if text.contains('%') {
            return Err(format!(
                "'{text}' has an IPv6 zone id ('%...'); zone ids are local to one host and \
                 cannot appear in a client address"
            ));
        }
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = IpAddr::from_str(address).map_err(|_| {
            format!("'{address}' is not an IPv4 address (10.0.0.1) or IPv6 address (2001:db8::1)")
        })?;
        let max = full_length(network);
        let prefix_len = match prefix {
            None => max,
            Some(prefix) => parse_prefix(prefix, network)?,
        };
        let masked = mask(network, prefix_len);
        if masked != network {
            return Err(format!(
                "{address}/{prefix_len} has bits set beyond the /{prefix_len} prefix; \
                 use {masked}/{prefix_len}"
            ));
        }
        // Clients are compared in canonical form, so a mapped rule could never match anyone;
        // pointing at the IPv4 spelling is kinder than accepting a dead rule.
        if let IpAddr::V6(v6) = network
            && let Some(v4) = v6.to_ipv4_mapped()
        {
            let suggestion = IpRule {
                network: IpAddr::V4(v4),
                prefix_len: prefix_len.saturating_sub(96),
            };
            return Err(format!(
                "'{text}' is an IPv4-mapped IPv6 address; write it as {suggestion}"
            ));
        }
        Ok(IpRule {
            network,
            prefix_len,
        })
    }

    /// The first address of the range (the address itself for a /32 or /128).
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The number of leading bits that must match: 0..=32 for IPv4, 0..=128 for IPv6.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether `ip` lies in the range. An IPv4-mapped IPv6 address is treated as IPv4.
    /// Whether every address this rule matches is matched by `other` (a narrower or equal
    /// range of the same family).
    pub fn is_within(&self, other: &IpRule) -> bool {
        self.network().is_ipv4() == other.network().is_ipv4()
            && self.prefix_len() >= other.prefix_len()
            && other.contains(self.network())
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        let same_family = matches!(
            (self.network, ip),
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_))
        );
        same_family && mask(ip, self.prefix_len) == self.network
    }
}

/// Reads the digits after `/`: a plain decimal number no larger than the family allows.
fn parse_prefix(prefix: &str, network: IpAddr) -> Result<u8, String> {
    let max = full_length(network);
    let family = match network {
        IpAddr::V4(_) => "IPv4",
        IpAddr::V6(_) => "IPv6",
    };
    if prefix.is_empty() {
        return Err("CIDR range is missing its prefix length after '/'".into());
    }
    if !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "prefix length '/{prefix}' must be a whole number of bits, 0 to {max} for {family}"
        ));
    }
    // `/08` would read as 8 here but as something else to a tool that takes it for octal.
    if prefix.len() > 1 && prefix.starts_with('0') {
        return Err(format!(
            "prefix length '/{prefix}' must not have leading zeros"
        ));
    }
    match prefix.parse::<u8>() {
        Ok(bits) if bits <= max => Ok(bits),
        _ => Err(format!(
            "prefix length /{prefix} is longer than the {max} bits of an {family} address"
        )),
    }
}

fn full_length(ip: IpAddr) -> u8 {
    match ip {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// Clears every bit after the first `prefix_len`.
fn mask(ip: IpAddr, prefix_len: u8) -> IpAddr {
    let host_bits = |width: u8| u32::from(width.saturating_sub(prefix_len));
    match ip {
        IpAddr::V4(v4) => {
            // A /0 shifts by the full width, which `checked_shl` reports as None: keep no bits.
            let keep = u32::MAX.checked_shl(host_bits(32)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & keep).into())
        }
        IpAddr::V6(v6) => {
            let keep = u128::MAX.checked_shl(host_bits(128)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & keep).into())
        }
    }
}

/// Writes `10.0.0.0/8`, or the bare address (`10.0.1.50`, `2001:db8::1`) for a /32 or /128.
impl fmt::Display for IpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix_len == full_length(self.network) {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix_len)
        }
    }
}

impl Serialize for IpRule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        IpRule::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Parses a `CF-Connecting-IP` header value: one address, surrounding whitespace ignored, no
/// port, brackets, zone id or list. None when the value is anything else.
pub fn parse_client_ip(header: &str) -> Option<IpAddr> {
    IpAddr::from_str(header.trim()).ok()
}

/// Parses a whole allow-list (at most [`MAX_IP_RULES`] rules). The error names the failing
/// entry by its zero-based index in the `allowed_ips` array and quotes it.
pub fn parse_rules(items: &[&str]) -> Result<Vec<IpRule>, String> {
    if items.len() > MAX_IP_RULES {
        return Err(format!(
            "allowed_ips has {} entries; the limit is {MAX_IP_RULES}",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            IpRule::parse(item).map_err(|e| format!("allowed_ips[{index}] {}: {e}", quote(item)))
        })
        .collect()
}

/// Quotes an entry for an error message, escaping control characters and cutting it short
/// so a hostile entry cannot flood the response.
fn quote(item: &str) -> String {
    let mut shown: String = item.chars().take(MAX_RULE_BYTES).collect();
    if shown.len() < item.len() {
        shown.push_str("...");
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn rule(text: &str) -> IpRule {
        IpRule::parse(text).unwrap()
    }

    #[test]
    fn accepts_addresses_and_ranges() {
        for (text, shown) in [
            ("10.0.1.50", "10.0.1.50"),
            ("10.0.1.50/32", "10.0.1.50"),
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("2001:db8::1", "2001:db8::1"),
            ("2001:db8::/32", "2001:db8::/32"),
            ("2001:DB8:0:0::/32", "2001:db8::/32"),
            ("::1", "::1"),
            ("::1/128", "::1"),
            ("::/0", "::/0"),
            ("192.168.1.0/24", "192.168.1.0/24"),
        ] {
            let parsed = IpRule::parse(text);
            assert_eq!(
                parsed.map(|r| r.to_string()),
                Ok(shown.to_string()),
                "{text}"
            );
        }
        assert_eq!(rule("10.0.0.0/8").prefix_len(), 8);
        assert_eq!(rule("10.0.1.50").prefix_len(), 32);
        assert_eq!(rule("::1").prefix_len(), 128);
        assert_eq!(rule("2001:db8::/32").network(), ip("2001:db8::"));
    }

    #[test]
    fn rejects_each_broken_rule() {
        let long = "1".repeat(100);
        for (bad, why) in [
            ("", "empty"),
            (" 10.0.0.1", "whitespace"),
            ("10.0.0.1 ", "whitespace"),
            ("10.0.0.0 /8", "whitespace"),
            ("10.0.0.1\n", "whitespace"),
            ("10.0.0.0/33", "longer than the 32 bits"),
            ("2001:db8::/129", "longer than the 128 bits"),
            ("10.0.0.0/999999999999999999999", "longer than the 32 bits"),
            ("10.0.0.0/x", "whole number"),
            ("10.0.0.0/+8", "whole number"),
            ("10.0.0.0/-1", "whole number"),
            ("10.0.0.0/08", "leading zeros"),
            ("10.0.0.0/", "missing its prefix"),
            ("10.0.0.0/8/8", "whole number"),
            ("+10.0.0.1", "not an IPv4 address"),
            ("10.0.0.1/8", "use 10.0.0.0/8"),
            ("2001:db8::1/32", "use 2001:db8::/32"),
            ("0.0.0.1/0", "use 0.0.0.0/0"),
            ("fe80::1%eth0", "zone id"),
            ("fe80::1%eth0/64", "zone id"),
            ("10.0.0", "not an IPv4 address"),
            ("10.0.0.256", "not an IPv4 address"),
            ("010.0.0.1", "not an IPv4 address"),
            ("[::1]", "not an IPv4 address"),
            ("10.0.0.1:80", "not an IPv4 address"),
            ("example.com", "not an IPv4 address"),
            ("/8", "not an IPv4 address"),
            ("::ffff:10.0.0.1", "write it as 10.0.0.1"),
            ("::ffff:10.0.0.0/104", "write it as 10.0.0.0/8"),
            (long.as_str(), "100 bytes"),
        ] {
            let err = IpRule::parse(bad).expect_err(bad);
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn containment_at_range_boundaries() {
        let v4 = rule("10.1.0.0/16");
        assert!(v4.contains(ip("10.1.0.0")));
        assert!(v4.contains(ip("10.1.255.255")));
        assert!(!v4.contains(ip("10.0.255.255")));
        assert!(!v4.contains(ip("10.2.0.0")));

        let host = rule("10.0.1.50");
        assert!(host.contains(ip("10.0.1.50")));
        assert!(!host.contains(ip("10.0.1.49")));
        assert!(!host.contains(ip("10.0.1.51")));

        let v6 = rule("2001:db8::/32");
        assert!(v6.contains(ip("2001:db8::")));
        assert!(v6.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert!(!v6.contains(ip("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert!(!v6.contains(ip("2001:db9::")));

        let loopback = rule("::1");
        assert!(loopback.contains(ip("::1")));
        assert!(!loopback.contains(ip("::2")));
        assert!(!loopback.contains(ip("127.0.0.1")));
    }

    #[test]
    fn zero_prefix_matches_its_own_family_only() {
        let all_v4 = rule("0.0.0.0/0");
        let all_v6 = rule("::/0");
        for v4 in ["0.0.0.0", "255.255.255.255", "10.0.0.1", "::ffff:10.0.0.1"] {
            assert!(all_v4.contains(ip(v4)), "{v4}");
            assert!(!all_v6.contains(ip(v4)), "{v4}");
        }
        for v6 in [
            "::",
            "::1",
            "2001:db8::1",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ] {
            assert!(all_v6.contains(ip(v6)), "{v6}");
            assert!(!all_v4.contains(ip(v6)), "{v6}");
        }
    }

    #[test]
    fn ipv4_mapped_clients_match_ipv4_rules() {
        let mapped = ip("::ffff:10.0.0.1");
        assert!(rule("10.0.0.0/8").contains(mapped));
        assert!(rule("10.0.0.1").contains(mapped));
        assert!(!rule("10.0.0.2").contains(mapped));
        assert!(!rule("11.0.0.0/8").contains(mapped));
        // The IPv6 spelling of the mapped range no longer reaches these clients.
        assert!(!rule("::/64").contains(mapped));
        // IPv4-compatible addresses (::a.b.c.d) are plain IPv6, not IPv4.
        assert!(!rule("10.0.0.1").contains(ip("::10.0.0.1")));
    }

    #[test]
    fn serde_round_trips_through_the_canonical_string() {
        for text in [
            "10.0.0.0/8",
            "10.0.1.50",
            "2001:db8::/32",
            "::1",
            "0.0.0.0/0",
        ] {
            let parsed = rule(text);
            let json = serde_json::to_string(&parsed).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<IpRule>(&json).unwrap(), parsed);
        }
        assert_eq!(
            serde_json::to_string(&rule("2001:DB8::/32")).unwrap(),
            "\"2001:db8::/32\""
        );
        let err = serde_json::from_str::<IpRule>("\"10.0.0.1/8\"").unwrap_err();
        assert!(err.to_string().contains("use 10.0.0.0/8"), "{err}");
        assert!(serde_json::from_str::<IpRule>("8").is_err());
    }

    #[test]
    fn client_ip_header() {
        assert_eq!(parse_client_ip("203.0.113.7"), Some(ip("203.0.113.7")));
        assert_eq!(parse_client_ip("  2001:db8::1 \t"), Some(ip("2001:db8::1")));
        assert_eq!(
            parse_client_ip("::ffff:10.0.0.1"),
            Some(IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped()))
        );
        assert_eq!(
            parse_client_ip("::"),
            Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED))
        );
        for bad in [
            "",
            "   ",
            "203.0.113.7:443",
            "[2001:db8::1]",
            "[2001:db8::1]:443",
            "203.0.113.7, 10.0.0.1",
            "203.0.113.7 10.0.0.1",
            "fe80::1%eth0",
            "10.0.0.0/8",
            "unknown",
        ] {
            assert_eq!(parse_client_ip(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rule_lists() {
        assert_eq!(parse_rules(&[]), Ok(vec![]));
        assert_eq!(
            parse_rules(&["10.0.0.0/8", "::1"]),
            Ok(vec![rule("10.0.0.0/8"), rule("::1")])
        );

        let err = parse_rules(&["10.0.0.0/8", "10.0.0.1/8"]).unwrap_err();
        assert!(err.contains("allowed_ips[1]"), "{err}");
        assert!(err.contains("\"10.0.0.1/8\""), "{err}");
        assert!(err.contains("use 10.0.0.0/8"), "{err}");

        let err = parse_rules(&["a\u{0}b"]).unwrap_err();
        assert!(err.contains(r#""a\0b""#), "{err}");

        let texts: Vec<String> = (0..=MAX_IP_RULES).map(|i| format!("10.0.0.{i}")).collect();
        let items: Vec<&str> = texts.iter().map(String::as_str).collect();
        assert_eq!(parse_rules(&items[..MAX_IP_RULES]).map(|r| r.len()), Ok(50));
        let err = parse_rules(&items).unwrap_err();
        assert!(err.contains("51 entries; the limit is 50"), "{err}");
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,70}|[0-9a-fA-F:./%+ ]{0,50}") {
            if let Ok(parsed) = IpRule::parse(&text) {
                prop_assert!(parsed.contains(parsed.network()));
                prop_assert_eq!(IpRule::parse(&parsed.to_string()), Ok(parsed));
            }
            let _ = parse_client_ip(&text);
        }

        #[test]
        fn every_v4_range_contains_its_network(bits in any::<u32>(), prefix in 0u8..=32) {
            let network = mask(IpAddr::V4(bits.into()), prefix);
            let parsed = IpRule::parse(&format!("{network}/{prefix}")).unwrap();
            prop_assert!(parsed.contains(parsed.network()));
            prop_assert!(parsed.contains(IpAddr::V4(bits.into())));
            prop_assert_eq!(IpRule::parse(&parsed.to_string()), Ok(parsed));
        }

        #[test]
        fn every_v6_range_contains_its_network(bits in any::<u128>(), prefix in 0u8..=128) {
            let network = mask(IpAddr::V6(bits.into()), prefix);
            // Mapped networks are refused by design; random bits almost never land there.
            if let Ok(parsed) = IpRule::parse(&format!("{network}/{prefix}")) {
                prop_assert!(parsed.contains(parsed.network()));
                prop_assert!(parsed.contains(IpAddr::V6(bits.into())));
                prop_assert_eq!(IpRule::parse(&parsed.to_string()), Ok(parsed));
            }
        }
    }

    #[test]
    fn rules_nest_only_within_wider_ranges_of_their_family() {
        let rule = |t: &str| IpRule::parse(t).unwrap();
        assert!(rule("10.1.0.0/16").is_within(&rule("10.0.0.0/8")));
        assert!(rule("10.1.2.3").is_within(&rule("10.0.0.0/8")));
        assert!(rule("10.0.0.0/8").is_within(&rule("10.0.0.0/8")));
        assert!(!rule("10.0.0.0/8").is_within(&rule("10.1.0.0/16")));
        assert!(!rule("11.0.0.0/8").is_within(&rule("10.0.0.0/8")));
        assert!(!rule("::1").is_within(&rule("0.0.0.0/0")));
        assert!(rule("2001:db8::1").is_within(&rule("2001:db8::/32")));
    }
}
