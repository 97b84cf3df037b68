use super::*;

fn host(text: &str) -> Host {
    Host::parse(text).unwrap()
}

fn rules(json: Value) -> AllowedHosts {
    AllowedHosts::parse_value("allowed_hosts", &json).unwrap()
}

#[test]
fn host_patterns_match_exactly_one_label_under_a_wildcard() {
    let star = HostPattern::parse("*.Example.com").unwrap();
    assert_eq!(star.to_string(), "*.example.com");
    assert!(star.matches(&host("api.example.com")));
    assert!(star.matches(&host("API.example.com.")));
    assert!(!star.matches(&host("example.com")));
    assert!(!star.matches(&host("a.b.example.com")));
    assert!(!star.matches(&host("evilexample.com")));
    assert!(!star.matches(&host("api.example.com.evil.net")));
    let exact = HostPattern::parse("api.openai.com").unwrap();
    assert!(exact.matches(&host("api.openai.com")));
    assert!(!exact.matches(&host("api.openai.com.evil.net")));
    let ip = HostPattern::parse("127.0.0.1").unwrap();
    assert!(ip.matches(&host("127.0.0.1")));
    assert!(HostPattern::parse("::1").unwrap().matches(&host("[::1]")));
}

#[test]
fn bad_host_patterns_are_refused() {
    for bad in [
        "",
        "*.com",
        "*",
        "a.*.com",
        "api*.example.com",
        "https://api.example.com",
        "api.example.com:443",
        "api.example.com/v1",
        "*.127.0.0.1",
        "user@host.com",
        "bücher.example",
    ] {
        assert!(HostPattern::parse(bad).is_err(), "{bad}");
    }
    assert!(HostPattern::parse("xn--bcher-kva.example").is_ok());
}

#[test]
fn rules_check_host_then_path_then_method() {
    let allowed = rules(serde_json::json!([
        {"host": "api.example.com", "path_prefix": "/v1", "methods": ["GET", "POST"]},
        {"host": "*.example.org"}
    ]));
    let ok = |m, h: &str, p| allowed.check("s", m, &host(h), None, false, p).is_ok();
    let reason = |m, h: &str, p| {
        allowed
            .check("s", m, &host(h), None, false, p)
            .unwrap_err()
            .details["reason"]
            .clone()
    };
    assert!(ok(HttpMethod::Get, "api.example.com", "/v1"));
    assert!(ok(HttpMethod::Post, "api.example.com", "/v1/chat"));
    assert!(ok(HttpMethod::Delete, "x.example.org", "/anything"));
    assert_eq!(
        reason(HttpMethod::Get, "example.com", "/v1"),
        "host_not_allowed"
    );
    assert_eq!(
        reason(HttpMethod::Get, "api.example.com", "/v1beta"),
        "path_not_allowed"
    );
    assert_eq!(
        reason(HttpMethod::Get, "api.example.com", "/"),
        "path_not_allowed"
    );
    assert_eq!(
        reason(HttpMethod::Delete, "api.example.com", "/v1/x"),
        "method_not_allowed"
    );
    let none = AllowedHosts::default();
    assert_eq!(
        none.check(
            "s",
            HttpMethod::Get,
            &host("api.example.com"),
            None,
            false,
            "/"
        )
        .unwrap_err()
        .details["reason"],
        "no_allowed_hosts"
    );
}

#[test]
fn ports_must_be_named_unless_the_host_is_local() {
    let allowed = rules(serde_json::json!([
        {"host": "api.example.com"},
        {"host": "alt.example.com", "port": 8443}
    ]));
    let check = |h: &str, port, any| {
        allowed
            .check("s", HttpMethod::Get, &host(h), port, any, "/")
            .is_ok()
    };
    assert!(check("api.example.com", None, false));
    assert!(!check("api.example.com", Some(8443), false));
    assert!(check("alt.example.com", Some(8443), false));
    assert!(!check("alt.example.com", None, false));
    assert!(check("api.example.com", Some(8080), true));
    assert!(
        AllowedHosts::parse_value("a", &serde_json::json!([{"host": "a.com", "port": 0}])).is_err()
    );
    assert!(
        AllowedHosts::parse_value("a", &serde_json::json!([{"host": "a.com", "port": 70000}]))
            .is_err()
    );
}

#[test]
fn path_prefixes_end_on_segment_boundaries() {
    assert!(path_within("/v1", "/v1"));
    assert!(path_within("/v1/x", "/v1"));
    assert!(path_within("/v1/x", "/v1/"));
    assert!(!path_within("/v1beta", "/v1"));
    assert!(!path_within("/v", "/v1"));
}

#[test]
fn bad_rules_are_refused_naming_the_rule() {
    for bad in [
        serde_json::json!("api.example.com"),
        serde_json::json!([{"path_prefix": "/v1"}]),
        serde_json::json!([{"host": "a.com", "path_prefix": "v1"}]),
        serde_json::json!([{"host": "a.com", "path_prefix": "/a/../b"}]),
        serde_json::json!([{"host": "a.com", "path_prefix": "/a/%2E%2E/b"}]),
        serde_json::json!([{"host": "a.com", "methods": ["get"]}]),
        serde_json::json!([{"host": "a.com", "methods": []}]),
        serde_json::json!([{"host": "a.com", "scheme": "https"}]),
        serde_json::json!([{"host": 7}]),
    ] {
        let error = AllowedHosts::parse_value("allowed_hosts", &bad).unwrap_err();
        assert_eq!(error.code, ErrorCode::ValidationError, "{bad}");
    }
    let many: Vec<Value> = (0..21)
        .map(|i| serde_json::json!({"host": format!("h{i}.example.com")}))
        .collect();
    assert!(AllowedHosts::parse_value("allowed_hosts", &Value::Array(many)).is_err());
}

#[test]
fn rules_round_trip_through_storage() {
    let allowed = rules(serde_json::json!([
        {"host": "*.example.com", "methods": ["GET"]},
        {"host": "10.0.0.1", "path_prefix": "/x/"}
    ]));
    let text = serde_json::to_string(&allowed).unwrap();
    assert_eq!(
        text,
        r#"[{"host":"*.example.com","methods":["GET"]},{"host":"10.0.0.1","path_prefix":"/x/"}]"#
    );
    assert_eq!(
        serde_json::from_str::<AllowedHosts>(&text).unwrap(),
        allowed
    );
}

#[test]
fn private_and_local_hosts_are_recognized() {
    for private in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::1",
        "2001:0:4136:e378::1",
        "localhost",
        "localhost..",
        "db.internal",
        "printer.local",
        "app.localhost",
        "intranet",
    ] {
        assert!(host(private).is_private(), "{private}");
    }
    for public in ["8.8.8.8", "2606:4700::1111", "api.example.com", "1.1.1.1"] {
        assert!(!host(public).is_private(), "{public}");
    }
}

#[test]
fn destinations_need_https_and_a_public_host_unless_listed() {
    let none = InsecureHosts::default();
    let reason = |scheme, h: &str, insecure: &InsecureHosts| {
        check_destination(scheme, &host(h), insecure)
            .err()
            .map(|e| e.details["reason"].clone())
    };
    assert_eq!(reason("https", "api.example.com", &none), None);
    assert_eq!(
        reason("http", "api.example.com", &none),
        Some(Value::from("insecure_scheme"))
    );
    assert_eq!(
        reason("https", "10.0.0.1", &none),
        Some(Value::from("private_address"))
    );
    let local = InsecureHosts::parse("127.0.0.1, localhost,::1,not a host");
    assert_eq!(reason("http", "127.0.0.1", &local), None);
    assert_eq!(reason("http", "localhost", &local), None);
    assert_eq!(reason("http", "[::1]", &local), None);
    assert_eq!(
        reason("http", "10.0.0.1", &local),
        Some(Value::from("insecure_scheme"))
    );
    assert_eq!(
        reason("https", "127.0.0.2", &local),
        Some(Value::from("private_address"))
    );
}
