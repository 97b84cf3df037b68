use super::*;

fn parse(json: Value) -> Result<ProxyRequest, ApiError> {
    ProxyRequest::parse(json.to_string().as_bytes())
}

fn field_of(error: &ApiError) -> Value {
    error.details.get("field").cloned().unwrap_or(Value::Null)
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn a_full_request_parses_and_renders() {
    let request = parse(json!({
        "method": "POST",
        "url": "https://API.example.com:8443/v1/things?key={{KEY}}&x=1",
        "headers": {"Authorization": "Bearer {{TOKEN}}", "Content-Type": "application/json"},
        "body": "{\"k\":\"{{KEY}}\"}",
        "secrets": {"KEY": "prod/app/key", "TOKEN": "prod/app/creds#token"},
        "timeout_seconds": 5
    }))
    .unwrap();
    assert_eq!(request.timeout_seconds, 5);
    let target = request.target();
    assert_eq!(target.host, Host::Domain("api.example.com".into()));
    assert_eq!(target.path, "/v1/things");
    assert_eq!(target.scheme, "https");
    let token = request.secrets.iter().find(|s| s.name == "TOKEN").unwrap();
    assert!(token.in_header);
    assert_eq!(token.field.as_ref().map(|f| f.as_str()), Some("token"));
    let key = request.secrets.iter().find(|s| s.name == "KEY").unwrap();
    assert!(!key.in_header);
    let rendered = request
        .render(&values(&[("KEY", "a b&c=d"), ("TOKEN", "t0k")]))
        .unwrap();
    assert_eq!(
        rendered.url,
        "https://api.example.com:8443/v1/things?key=a%20b%26c%3Dd&x=1"
    );
    assert_eq!(
        rendered.headers[0],
        ("Authorization".to_owned(), "Bearer t0k".to_owned())
    );
    assert_eq!(rendered.body.as_deref(), Some("{\"k\":\"a b&c=d\"}"));
}

#[test]
fn placeholders_must_be_declared_and_declared_secrets_used() {
    let undeclared = parse(json!({
        "method": "GET", "url": "https://a.example.com/?k={{NOPE}}",
        "headers": {"X": "{{KEY}}"}, "secrets": {"KEY": "a/b"}
    }))
    .unwrap_err();
    assert_eq!(field_of(&undeclared), "url");
    let unused = parse(json!({
        "method": "GET", "url": "https://a.example.com/",
        "headers": {"X": "{{KEY}}"}, "secrets": {"KEY": "a/b", "OTHER": "a/c"}
    }))
    .unwrap_err();
    assert_eq!(field_of(&unused), "secrets");
    assert!(unused.message.contains("OTHER"));
}

#[test]
fn placeholders_outside_the_query_headers_and_body_are_refused() {
    for url in [
        "https://{{KEY}}.evil.example/",
        "https://a.example.com/{{KEY}}",
        "https://a.example.com/x{{KEY}}y?q=1",
    ] {
        let error = parse(json!({
            "method": "GET", "url": url, "secrets": {"KEY": "a/b"}
        }))
        .unwrap_err();
        assert_eq!(field_of(&error), "url", "{url}");
        assert_eq!(error.code, ErrorCode::ValidationError);
    }
    let in_name = parse(json!({
        "method": "GET", "url": "https://a.example.com/",
        "headers": {"X-{{KEY}}": "v"}, "secrets": {"KEY": "a/b"}
    }))
    .unwrap_err();
    assert_eq!(field_of(&in_name), "headers");
}

#[test]
fn bad_bodies_name_their_field() {
    let base = || {
        json!({
            "method": "POST", "url": "https://a.example.com/",
            "headers": {"Authorization": "{{K}}"}, "secrets": {"K": "a/b"}
        })
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!({"method": "get"}), "method"),
        (json!({"method": "TRACE"}), "method"),
        (json!({"url": "ftp://a.example.com/"}), "url"),
        (json!({"url": "https://user:pw@a.example.com/"}), "url"),
        (json!({"url": "https://a.example.com/#frag"}), "url"),
        (json!({"url": "/relative"}), "url"),
        (json!({"url": "https://a.example.com/a%2F..%2Fb"}), "url"),
        (json!({"headers": {"Host": "x"}}), "headers"),
        (
            json!({"headers": {"CF-Connecting-IP": "1.2.3.4"}}),
            "headers",
        ),
        (
            json!({"headers": {"X-Forwarded-For": "1.2.3.4"}}),
            "headers",
        ),
        (json!({"headers": {"bad name": "x"}}), "headers"),
        (json!({"headers": {"X": 1}}), "headers"),
        (json!({"headers": {"X": "a\r\nInjected: 1"}}), "headers"),
        (json!({"secrets": {}}), "secrets"),
        (json!({"secrets": {"1K": "a/b"}}), "secrets"),
        (json!({"secrets": {"K": "/bad"}}), "secrets"),
        (json!({"secrets": {"K": 3}}), "secrets"),
        (json!({"timeout_seconds": 31}), "timeout_seconds"),
        (json!({"timeout_seconds": 0}), "timeout_seconds"),
        (json!({"extra": 1}), "extra"),
    ];
    for (change, field) in cases {
        let mut body = base();
        if let (Value::Object(body), Value::Object(change)) = (&mut body, change.clone()) {
            body.extend(change);
        }
        let error = parse(body).unwrap_err();
        assert_eq!(field_of(&error), field, "{change}");
    }
    let mut get_with_body = base();
    get_with_body["method"] = json!("GET");
    get_with_body["body"] = json!("x");
    assert_eq!(field_of(&parse(get_with_body).unwrap_err()), "body");
    let six: Map<String, Value> = (0..6).map(|i| (format!("K{i}"), json!("a/b"))).collect();
    let mut too_many = base();
    too_many["secrets"] = Value::Object(six);
    assert_eq!(field_of(&parse(too_many).unwrap_err()), "secrets");
}

#[test]
fn bodies_over_a_mebibyte_are_refused_as_written_and_never_after_substitution() {
    let big = "x".repeat(MAX_BODY_BYTES + 1);
    let error = parse(json!({
        "method": "POST", "url": "https://a.example.com/", "body": format!("{{{{K}}}}{big}"),
        "secrets": {"K": "a/b"}
    }))
    .unwrap_err();
    assert_eq!(field_of(&error), "body");
    assert_eq!(error.details["limit_bytes"], MAX_BODY_BYTES);
    let near = "x".repeat(MAX_BODY_BYTES - 5);
    let request = parse(json!({
        "method": "POST", "url": "https://a.example.com/", "body": format!("{{{{K}}}}{near}"),
        "secrets": {"K": "a/b"}
    }))
    .unwrap();
    let largest = "v".repeat(MAX_PLACED_VALUE_BYTES);
    let grown = request.render(&values(&[("K", &largest)])).unwrap();
    assert_eq!(
        grown.body.map(|b| b.len()),
        Some(near.len() + largest.len())
    );
}

/// A template padded around `{{K}}` to every size near a limit: the answer (refused at parse,
/// or rendered) is the same for a 5-byte and a 40-byte value, and for the largest value too.
#[test]
fn size_answers_do_not_depend_on_the_values_sizes() {
    let short = "5byte";
    let long = "0123456789012345678901234567890123456789";
    let largest = "%".repeat(MAX_PLACED_VALUE_BYTES);
    let answer = |request: &Value, value: &str| -> Result<(), Value> {
        let parsed = parse(request.clone()).map_err(|e| field_of(&e))?;
        parsed
            .render(&values(&[("K", value)]))
            .map(|_| ())
            .map_err(|e| json!({"render": field_of(&e)}))
    };
    let body_at = |len: usize| {
        json!({
            "method": "POST", "url": "https://a.example.com/",
            "body": format!("{{{{K}}}}{}", "x".repeat(len - 5)), "secrets": {"K": "a/b"}
        })
    };
    let header_at = |len: usize| {
        let mut headers = Map::new();
        headers.insert(
            "Authorization".into(),
            json!(format!("{{{{K}}}}{}", "h".repeat(8 * 1024 - 5))),
        );
        let mut rest = len - 8 * 1024;
        let mut i = 0;
        while rest > 0 {
            let take = rest.min(8 * 1024);
            headers.insert(format!("X-Pad-{i}"), json!("p".repeat(take)));
            rest -= take;
            i += 1;
        }
        json!({
            "method": "GET", "url": "https://a.example.com/", "headers": headers,
            "secrets": {"K": "a/b"}
        })
    };
    let url_at = |len: usize| {
        let base = "https://a.example.com/?k={{K}}&p=";
        json!({
            "method": "GET", "url": format!("{base}{}", "u".repeat(len - base.len())),
            "secrets": {"K": "a/b"}
        })
    };
    let mut refused = 0;
    for (limit, at) in [
        (MAX_BODY_BYTES, &body_at as &dyn Fn(usize) -> Value),
        (MAX_HEADERS_BYTES, &header_at),
        (MAX_URL_BYTES, &url_at),
    ] {
        for len in (limit - 64..=limit + 64)
            .step_by(8)
            .chain([limit, limit + 1])
        {
            let request = at(len);
            let a = answer(&request, short);
            assert_eq!(a, answer(&request, long), "{len}");
            assert_eq!(a, answer(&request, &largest), "{len}");
            // Only the parse refuses, and exactly over the limit.
            assert_eq!(a.is_err(), len > limit, "{len}: {a:?}");
            assert!(
                a.as_ref().err().is_none_or(|f| !f.is_object()),
                "{len}: {a:?}"
            );
            refused += usize::from(a.is_err());
        }
    }
    assert!(refused > 0);
}

#[test]
fn placeholders_are_limited_in_number_wherever_they_are() {
    let body = |copies: usize| "{{K}}".repeat(copies);
    let ok = parse(json!({
        "method": "POST", "url": "https://a.example.com/", "body": body(MAX_PLACEHOLDERS),
        "secrets": {"K": "a/b"}
    }));
    assert!(ok.is_ok());
    let over = parse(json!({
        "method": "POST", "url": "https://a.example.com/", "body": body(MAX_PLACEHOLDERS + 1),
        "secrets": {"K": "a/b"}
    }))
    .unwrap_err();
    assert_eq!(field_of(&over), "body");
    // Counted across the url, the headers and the body.
    let spread = parse(json!({
        "method": "POST", "url": "https://a.example.com/?a={{K}}&b={{K}}",
        "headers": {"X-A": "{{K}}{{K}}"}, "body": body(MAX_PLACEHOLDERS - 3),
        "secrets": {"K": "a/b"}
    }))
    .unwrap_err();
    assert_eq!(field_of(&spread), "body");
}

#[test]
fn header_values_are_limited_together_as_written() {
    let headers: Map<String, Value> = (0..9)
        .map(|i| (format!("X-Pad-{i}"), json!("p".repeat(8 * 1024))))
        .collect();
    let error = parse(json!({
        "method": "GET", "url": "https://a.example.com/?k={{K}}", "headers": headers,
        "secrets": {"K": "a/b"}
    }))
    .unwrap_err();
    assert_eq!(field_of(&error), "headers");
}

/// The worst case the limits allow: every placeholder holding the largest value, each byte
/// of it percent-encoded in the query. What is built stays within the rendered bounds.
#[test]
fn the_rendered_sizes_stay_within_their_bounds() {
    let largest = "/".repeat(MAX_PLACED_VALUE_BYTES);
    let url = format!(
        "https://a.example.com/?{}",
        "k={{K}}&".repeat(MAX_PLACEHOLDERS)
    );
    let request = parse(json!({"method": "GET", "url": url, "secrets": {"K": "a/b"}})).unwrap();
    let rendered = request.render(&values(&[("K", &largest)])).unwrap();
    assert!(rendered.url.len() <= MAX_RENDERED_URL_BYTES);
    assert!(rendered.url.len() > 3 * MAX_PLACEHOLDERS * MAX_PLACED_VALUE_BYTES);
    let body = format!(
        "{}{}",
        "{{K}}".repeat(MAX_PLACEHOLDERS),
        "x".repeat(MAX_BODY_BYTES - 5 * MAX_PLACEHOLDERS)
    );
    let request = parse(json!({
        "method": "POST", "url": "https://a.example.com/", "body": body, "secrets": {"K": "a/b"}
    }))
    .unwrap();
    let rendered = request.render(&values(&[("K", &largest)])).unwrap();
    let len = rendered.body.map_or(0, |b| b.len());
    assert!(
        len <= MAX_RENDERED_BODY_BYTES && len > MAX_BODY_BYTES,
        "{len}"
    );
    let headers: Map<String, Value> = (0..8)
        .map(|i| {
            let value = format!("{}{}", "{{K}}".repeat(2), "h".repeat(8 * 1024 - 10));
            (format!("X-H-{i}"), json!(value))
        })
        .collect();
    let request = parse(json!({
        "method": "GET", "url": "https://a.example.com/", "headers": headers,
        "secrets": {"K": "a/b"}
    }))
    .unwrap();
    let rendered = request.render(&values(&[("K", &largest)])).unwrap();
    let len: usize = rendered.headers.iter().map(|(_, v)| v.len()).sum();
    assert!(
        len <= MAX_RENDERED_HEADER_BYTES && len > MAX_HEADERS_BYTES,
        "{len}"
    );
}

/// A value longer than any secret value or field (a Vault KV map stored as a main value) is
/// refused whatever the template, so the refusal tells nothing a padding could bisect.
#[test]
fn a_value_over_the_placeable_maximum_is_refused_whatever_the_template() {
    let over = "v".repeat(MAX_PLACED_VALUE_BYTES + 1);
    for body in [
        "{{K}}".to_owned(),
        format!("{{{{K}}}}{}", "x".repeat(MAX_BODY_BYTES - 5)),
    ] {
        let request = parse(json!({
            "method": "POST", "url": "https://a.example.com/", "body": body,
            "secrets": {"K": "a/b"}
        }))
        .unwrap();
        let error = request.render(&values(&[("K", &over)])).unwrap_err();
        assert_eq!(field_of(&error), "secrets");
        assert!(!error.message.contains("vvvv"));
    }
}

#[test]
fn a_header_value_with_a_line_break_is_not_sent() {
    let request = parse(json!({
        "method": "GET", "url": "https://a.example.com/",
        "headers": {"Authorization": "Bearer {{K}}"}, "secrets": {"K": "a/b"}
    }))
    .unwrap();
    let error = request
        .render(&values(&[("K", "v\r\nX-Evil: 1")]))
        .unwrap_err();
    assert_eq!(field_of(&error), "headers");
    assert!(!error.message.contains("X-Evil"));
}

#[test]
fn dot_segments_are_resolved_before_the_path_is_checked() {
    let request = parse(json!({
        "method": "GET", "url": "https://a.example.com/allowed/../admin?k={{K}}",
        "secrets": {"K": "a/b"}
    }))
    .unwrap();
    assert_eq!(request.target().path, "/admin");
    let request = parse(json!({
        "method": "GET", "url": "https://0x7f.1/?k={{K}}", "secrets": {"K": "a/b"}
    }))
    .unwrap();
    assert_eq!(request.target().host, Host::parse("127.0.0.1").unwrap());
}

#[test]
fn the_envelope_redacts_headers_and_body_and_drops_hop_headers() {
    let redactor = Redactor::new(["s3cr3t-value"]);
    let envelope = envelope(
        UpstreamResponse {
            status: 401,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Content-Length".into(), "99".into()),
                ("X-Echo".into(), "Bearer s3cr3t-value".into()),
                ("Set-Cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into()),
            ],
            body: b"{\"got\":\"s3cr3t-value\"}".to_vec(),
        },
        &redactor,
        12,
    )
    .unwrap();
    assert_eq!(envelope["status"], 401);
    assert_eq!(envelope["headers"]["x-echo"], "Bearer [REDACTED]");
    assert_eq!(envelope["headers"]["set-cookie"], "a=1, b=2");
    assert!(envelope["headers"].get("content-length").is_none());
    assert_eq!(envelope["body"], "{\"got\":\"[REDACTED]\"}");
    assert_eq!(envelope["body_encoding"], "utf-8");
    assert_eq!(envelope["redacted"], 2);
    let binary = super::envelope(
        UpstreamResponse {
            status: 200,
            headers: vec![],
            body: vec![0xff, 0x00, 0xfe],
        },
        &redactor,
        1,
    )
    .unwrap();
    let zstd = super::envelope(
        UpstreamResponse {
            status: 200,
            headers: vec![("Content-Encoding".into(), "zstd".into())],
            body: vec![1, 2, 3],
        },
        &redactor,
        1,
    )
    .unwrap_err();
    assert_eq!(zstd.code, ErrorCode::UpstreamError);
    assert_eq!(binary["body_encoding"], "base64");
    assert_eq!(binary["body"], "/wD+");
}

#[test]
fn purposes_are_short_printable_text() {
    assert_eq!(parse_purpose(None).unwrap(), None);
    assert_eq!(parse_purpose(Some("  ")).unwrap(), None);
    assert_eq!(
        parse_purpose(Some(" triage INC-42 ")).unwrap().as_deref(),
        Some("triage INC-42")
    );
    assert!(parse_purpose(Some(&"x".repeat(257))).is_err());
    assert!(parse_purpose(Some("a\u{7}b")).is_err());
}

#[test]
fn released_values_do_not_debug_print() {
    let released = ReleasedValue {
        name: "K".into(),
        value: "hunter2-secret".into(),
    };
    assert!(!format!("{released:?}").contains("hunter2"));
}

#[test]
fn the_envelope_drops_headers_whose_names_carry_a_value() {
    let value = "Tok3n-VALUE-abc";
    let redactor = Redactor::new([value]);
    let envelope = envelope(
        UpstreamResponse {
            status: 200,
            headers: vec![
                // The runtime hands names over lowercased.
                ("x-echo-tok3n-value-abc".into(), "1".into()),
                (
                    format!("x-b64-{}", STANDARD.encode(value).to_ascii_lowercase()),
                    "2".into(),
                ),
                ("X-Kept".into(), "&#84;ok3n-VALUE-abc".into()),
                ("X-Repeat".into(), "Tok3n".into()),
                ("x-repeat".into(), "VALUE-abc".into()),
            ],
            body: b"<p>T&#x6F;k3n&#45;VALUE&#X2D;abc</p>".to_vec(),
        },
        &redactor,
        1,
    )
    .unwrap();
    let headers = envelope["headers"].as_object().unwrap();
    assert_eq!(
        headers.keys().collect::<Vec<_>>(),
        ["x-kept", "x-repeat"],
        "{envelope}"
    );
    assert_eq!(headers["x-kept"], "[REDACTED]");
    assert_eq!(envelope["body"], "<p>[REDACTED]</p>");
    assert!(
        !envelope
            .to_string()
            .to_ascii_lowercase()
            .contains("tok3n-value")
    );
    assert_eq!(envelope["redacted"], 4);
    assert_eq!(headers["x-repeat"], "Tok3n, VALUE-abc");
    // A value holding ", " split over a repeated header is found once the parts are joined.
    let split = Redactor::new(["abc, defgh"]);
    let envelope = super::envelope(
        UpstreamResponse {
            status: 200,
            headers: vec![
                ("X-Split".into(), "abc".into()),
                ("x-split".into(), "defgh".into()),
            ],
            body: Vec::new(),
        },
        &split,
        1,
    )
    .unwrap();
    assert_eq!(envelope["headers"]["x-split"], "[REDACTED]");
}

#[test]
fn the_url_limit_holds_once_percent_encoded() {
    // 6,000 bytes as written, 18,000 as sent.
    let url = format!("https://a.example.com/?k={{{{K}}}}&p={}", "é".repeat(3000));
    assert!(url.len() <= MAX_URL_BYTES);
    let error = parse(json!({"method": "GET", "url": url, "secrets": {"K": "a/b"}})).unwrap_err();
    assert_eq!(field_of(&error), "url");
}

#[test]
fn header_names_are_rfc_9110_tokens_of_at_most_256_bytes() {
    for byte in 0..=0xff_u8 {
        let tchar = byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte);
        let name = format!("X{}", char::from(byte));
        assert_eq!(is_token(&name), tchar, "{name:?}");
    }
    assert!(!is_token(""));
    assert!(is_token(&"a".repeat(256)));
    assert!(!is_token(&"a".repeat(257)));
}
