//! Regressions of a security probe: ways data leaked out of Latchkey that must stay closed.
//!
//! - CSV formula injection: an unauthenticated caller's `User-Agent` reached the audit CSV
//!   export as a spreadsheet formula.
//! - The broker's size refusal told a secret's length: a body padded around `{{K}}` to just
//!   under the limit was refused or not depending on the value's size.
//! - Approval channel URLs were checked more weakly than the broker's destinations
//!   (`0x7f000001`, `169.254.169.254`, private ranges, local-only names).
//! - Broker redaction missed HTML character references and values in response header names.

use crate::Ctx;
use crate::audit::verify_offline;
use crate::broker::{proxy, store};
use crate::tokens::mint;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_e2e::client::Body;
use latchkey_e2e::echo::{header_name_forms, html_forms, percent_encode};
use latchkey_e2e::{Reply, secret_value, unique};
use serde_json::{Value, json};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "leaks::csv_export_neutralises_formulas_planted_by_a_failed_login",
        csv_export_neutralises_formulas_planted_by_a_failed_login,
    ),
    (
        "leaks::a_padded_body_cannot_tell_a_values_length",
        a_padded_body_cannot_tell_a_values_length,
    ),
    (
        "leaks::channel_urls_follow_the_brokers_destination_rules",
        channel_urls_follow_the_brokers_destination_rules,
    ),
    (
        "leaks::html_references_and_header_names_are_redacted",
        html_references_and_header_names_are_redacted,
    ),
];

/// The broker's body limit, as written.
const LIMIT_BYTES: usize = 1_048_576;

/// 43 random base64url characters: the secret part of a master key.
fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An RFC 4180 reader: records of cells, quoted cells may hold `,`, `""` and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                c => cell.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(cell.is_empty(), "a quote inside an unquoted cell: {cell:?}");
                quoted = true;
            }
            ',' => record.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            c => cell.push(c),
        }
    }
    assert!(!quoted, "an unterminated quoted cell");
    if !cell.is_empty() || !record.is_empty() {
        record.push(cell);
        records.push(record);
    }
    records
}

fn csv_export_neutralises_formulas_planted_by_a_failed_login(ctx: &Ctx) {
    let (tenant, key) = ctx.new_tenant();
    let api = ctx.api();
    // The master key's shape, the right tenant, a wrong secret: `auth.failed` with the
    // caller's User-Agent, recorded without any credential.
    let wrong = format!("lk_live_{tenant}_{}", random_secret());
    let planted = [
        r#"=HYPERLINK("http://evil.example","x")"#,
        "+1+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
    ];
    for agent in planted {
        let reply = api.send(
            "GET",
            "/v1/secrets/any",
            Some(&wrong),
            &[("User-Agent", agent)],
            Body::None,
        );
        reply.assert_error(401, "unauthorized");
    }
    let csv = api.get(
        "/v1/audit?format=csv&type=auth.failed&limit=1000",
        Some(&key),
    );
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(
        csv.header("content-type")
            .is_some_and(|c| c.starts_with("text/csv"))
    );
    let records = parse_csv(&csv.text);
    let header = records.first().expect("a header line");
    let column = header
        .iter()
        .position(|h| h == "user_agent")
        .expect("a user_agent column");
    assert!(records.len() > planted.len(), "{}", csv.text);
    for record in &records {
        assert_eq!(record.len(), header.len(), "{record:?}");
        for cell in record {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet would run: {cell:?}"
            );
        }
    }
    let agents: Vec<&str> = records.iter().skip(1).map(|r| r[column].as_str()).collect();
    for agent in planted {
        let neutral = format!("'{agent}");
        assert!(
            agents.contains(&neutral.as_str()),
            "{neutral:?} in {agents:?}"
        );
    }
    // The quote sits inside the quotes, as written on the wire.
    assert!(
        csv.text
            .contains(r#""'=HYPERLINK(""http://evil.example"",""x"")""#),
        "{}",
        csv.text
    );
    // JSON exports are unchanged: the offline verifier still checks the whole chain.
    let export = api.get("/v1/audit?format=jsonl&limit=1000", Some(&key));
    assert_eq!(export.status, 200);
    assert!(export.text.contains(r#""user_agent":"=HYPERLINK("#));
    let (ok, out) = verify_offline(&tenant, &export.text);
    assert!(ok && out.starts_with("ok: "), "{out}");
}

fn a_padded_body_cannot_tell_a_values_length(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let short = "5byte";
    let long = "forty-bytes-of-secret-0123456789abcdefgh";
    assert_eq!((short.len(), long.len()), (5, 40));
    store(ctx, &key, "pad/short", short);
    store(ctx, &key, "pad/long", long);
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:pad/*"}));
    let prefix = format!("/status/200/{}", unique("pad"));
    let url = format!("{}{prefix}", ctx.echo.base_url);
    let call = |secret: &str, len: usize| {
        let body = format!("{{{{K}}}}{}", "x".repeat(len - "{{K}}".len()));
        proxy(
            ctx,
            &user,
            &json!({"method": "POST", "url": url, "body": body, "secrets": {"K": secret}}),
        )
    };
    // Bisecting around the limit: the old check refused a body over 1 MiB with the value in
    // place, so these sizes told 5 bytes from 40.
    for len in [
        LIMIT_BYTES - 45,
        LIMIT_BYTES - 40,
        LIMIT_BYTES - 35,
        LIMIT_BYTES - 6,
        LIMIT_BYTES - 5,
        LIMIT_BYTES - 1,
        LIMIT_BYTES,
        LIMIT_BYTES + 1,
    ] {
        let a = call("pad/short", len);
        let b = call("pad/long", len);
        assert_eq!(
            (a.status, a.error_field()),
            (b.status, b.error_field()),
            "{len}: {} / {}",
            a.text,
            b.text
        );
        if len <= LIMIT_BYTES {
            assert_eq!(a.status, 200, "{len}: {}", a.text);
            assert_eq!(a.body["status"], 200, "{len}: {}", a.text);
        } else {
            a.assert_error(422, "validation_error");
            assert_eq!(a.error_field(), Some("body"));
            assert_eq!(a.body["error"]["limit_bytes"], LIMIT_BYTES as u64);
            assert!(!a.text.contains(short) && !b.text.contains(long));
        }
    }
    let sent = ctx.echo.received(&prefix);
    assert_eq!(sent.len(), 14, "every body at or under the limit was sent");
    assert!(
        sent.iter()
            .any(|r| r.body.len() == LIMIT_BYTES - 5 + long.len()),
        "rendered over 1 MiB and sent"
    );
    // The number of placeholders is limited, whatever the values.
    for secret in ["pad/short", "pad/long"] {
        let many = proxy(
            ctx,
            &user,
            &json!({
                "method": "POST", "url": url, "body": "{{K}}".repeat(17),
                "secrets": {"K": secret}
            }),
        );
        many.assert_error(422, "validation_error");
        assert_eq!(many.error_field(), Some("body"));
        let sixteen = proxy(
            ctx,
            &user,
            &json!({
                "method": "POST", "url": url, "body": "{{K}}".repeat(16),
                "secrets": {"K": secret}
            }),
        );
        assert_eq!(sixteen.status, 200, "{}", sixteen.text);
    }
}

fn put_notifications(ctx: &Ctx, key: &str, body: &Value) -> Reply {
    ctx.api()
        .send("PUT", "/v1/notifications", Some(key), &[], Body::Json(body))
}

fn channel_urls_follow_the_brokers_destination_rules(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    // The shared runtime sets ALLOW_HTTP_LOOPBACK=true: loopback is allowed, nothing else
    // that is not public.
    for bad in [
        "https://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "https://0xa9fea9fe/",
        "https://[::ffff:169.254.169.254]/",
        "https://[::ffff:127.0.0.1]/hook",
        "https://10.0.0.1/hook",
        "http://10.0.0.1/hook",
        "https://012.0.0.1/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::]/hook",
        "https://[fc00::1]/hook",
        "https://[fd12:3456::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[64:ff9b::a00:1]/hook",
        "https://printer.local/hook",
        "https://db.internal./hook",
        "https://app.localhost/hook",
        "https://intranet/hook",
        "http://hooks.slack.com/services/x",
    ] {
        let slack = put_notifications(ctx, &key, &json!({"slack_webhook_url": bad}));
        slack.assert_error(422, "validation_error");
        assert_eq!(slack.error_field(), Some("slack_webhook_url"), "{bad}");
        let webhook = put_notifications(
            ctx,
            &key,
            &json!({"webhook": {"url": bad, "secret": "a-webhook-secret-of-32-bytes-xyz"}}),
        );
        webhook.assert_error(422, "validation_error");
        assert_eq!(webhook.error_field(), Some("webhook"), "{bad}");
    }
    let shown = ctx.api().get("/v1/notifications", Some(&key));
    assert_eq!(
        shown.body,
        json!({"slack": null, "webhook": null, "email": null}),
        "nothing was stored"
    );
    // A public https URL passes, and loopback passes with the development flag.
    let fine = put_notifications(
        ctx,
        &key,
        &json!({
            "slack_webhook_url": "https://hooks.slack.com/services/T000/B000/XXXX",
            "webhook": {
                "url": format!("{}/leaks-hook", ctx.sink.base_url),
                "secret": "a-webhook-secret-of-32-bytes-xyz"
            }
        }),
    );
    assert_eq!(fine.status, 200, "{}", fine.text);
}

/// Every trace of `value` a reply could carry: as is, and lowercased (header names).
fn assert_absent(reply: &Reply, value: &str, forms: &[String]) {
    let lower = reply.text.to_ascii_lowercase();
    assert!(!reply.text.contains(value), "{}", reply.text);
    for form in forms {
        assert!(
            !lower.contains(&form.to_ascii_lowercase()),
            "{form} survived: {}",
            reply.text
        );
    }
}

fn html_references_and_header_names_are_redacted(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    // Upper and lower case (the runtime lowercases header names) and the five characters
    // HTML names (`& < > " '`).
    let value = secret_value("Html&<Mixed>\"Case'");
    let token_value = secret_value("TokenSafe-Case_1");
    store(ctx, &key, "html/k", &value);
    store(ctx, &key, "html/t", &token_value);
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:html/*"}));
    let call = |path: &str, secret: &str| {
        proxy(
            ctx,
            &user,
            &json!({
                "method": "GET",
                "url": format!("{}{path}", ctx.echo.base_url),
                "headers": {"Authorization": "{{K}}"},
                "secrets": {"K": secret},
            }),
        )
    };

    // HTML character references, one spelling a line.
    let path = format!("/echo-html/{}", unique("html"));
    let reply = call(&path, "html/k");
    assert_eq!(reply.status, 200, "{}", reply.text);
    let got = ctx.echo.received(&path);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("authorization"), Some(value.as_str()));
    let body = reply.body["body"].as_str().expect("a text body");
    let forms = html_forms(&value);
    for (name, form) in &forms {
        let line = body
            .lines()
            .find(|l| l.starts_with(&format!("<p>{name}: ")))
            .unwrap_or_else(|| panic!("line {name} in {body}"));
        assert_eq!(line, format!("<p>{name}: [REDACTED]</p>"), "{name}: {form}");
    }
    let texts: Vec<String> = forms.into_iter().map(|(_, form)| form).collect();
    assert_absent(&reply, &value, &texts);
    assert!(reply.body["redacted"].as_u64() >= Some(6), "{}", reply.text);

    // Values in response header names: those headers are dropped, the others kept.
    for (secret, value) in [("html/k", &value), ("html/t", &token_value)] {
        let path = format!("/echo-name/{}", unique("name"));
        let reply = call(&path, secret);
        assert_eq!(reply.status, 200, "{}", reply.text);
        let names = header_name_forms(value);
        assert!(names.len() >= 2);
        if secret == "html/t" {
            assert_eq!(names.len(), 3, "the token-safe value is echoed as is too");
        }
        let headers = reply.body["headers"].as_object().expect("headers");
        assert_eq!(
            headers.get("x-echo-kept"),
            Some(&json!("kept")),
            "{}",
            reply.text
        );
        for name in &names {
            assert!(
                !headers.contains_key(&name.to_ascii_lowercase()),
                "{name} was returned: {}",
                reply.text
            );
        }
        assert!(
            headers
                .keys()
                .all(|k| !k.starts_with("x-pct-") && !k.starts_with("x-b64-")),
            "{}",
            reply.text
        );
        let forms = [
            percent_encode(value, true, false),
            URL_SAFE_NO_PAD.encode(value),
        ];
        assert_absent(&reply, value, &forms);
        assert!(
            reply.body["redacted"].as_u64() >= Some(names.len() as u64),
            "{}",
            reply.text
        );
    }
}
