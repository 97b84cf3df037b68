//! What a request cannot learn or steer from the outside: approval links come from
//! `PUBLIC_URL` only, never from the host a requester names; and every credential the service
//! does not recognize gets one answer, whether or not the tenant it names exists.

use crate::Ctx;
use crate::tokens::mint;
use latchkey_core::crypto::TenantKey;
use latchkey_core::jwt::{self, JwtKind};
use latchkey_core::{TenantId, Timestamp};
use latchkey_e2e::client::Body;
use latchkey_e2e::sink::{Received, path_of};
use latchkey_e2e::{Reply, Runtime, unique};
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "origin::approval_links_ignore_the_host_the_requester_names",
        approval_links_ignore_the_host_the_requester_names,
    ),
    (
        "origin::without_public_url_no_approver_is_notified_and_the_approval_says_why",
        without_public_url_no_approver_is_notified_and_the_approval_says_why,
    ),
    (
        "origin::unrecognized_credentials_get_one_answer_whether_or_not_the_tenant_exists",
        unrecognized_credentials_get_one_answer_whether_or_not_the_tenant_exists,
    ),
    (
        "origin::invalid_review_links_get_one_page_whether_or_not_the_tenant_exists",
        invalid_review_links_get_one_page_whether_or_not_the_tenant_exists,
    ),
    (
        "origin::refusals_kept_in_memory_reach_the_trail_unchanged",
        refusals_kept_in_memory_reach_the_trail_unchanged,
    ),
];

const EVIL: &str = "evil.example.com";

/// One HTTP/1.1 exchange over a plain socket, so the request carries exactly the `Host` (and
/// forwarding headers) given: `(status, body)`.
fn raw_exchange(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect to the runtime");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, rest) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (status, body)
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        text = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// A tenant whose channels (Slack, webhook, one email) point at the sink under a prefix of its
/// own, an agent that may ask for tokens and a sensitive secret: `(master key, agent, prefix)`.
fn tenant_with_channels(
    ctx: &Ctx,
    api: &latchkey_e2e::Api,
    operator: &str,
    email: &str,
) -> (String, String, String) {
    let (_, key) = crate::new_tenant(api, operator);
    let prefix = format!("/{}", unique("origin"));
    let base = format!("{}{prefix}", ctx.sink.base_url);
    let channels = api.send(
        "PUT",
        "/v1/notifications",
        Some(&key),
        &[],
        Body::Json(&json!({
            "slack_webhook_url": format!("{base}/slack"),
            "webhook": {"url": format!("{base}/hook"), "secret": "whsec-0123456789abcdef"},
            "email": {"to": [email]}
        })),
    );
    assert_eq!(channels.status, 200, "{}", channels.text);
    let agent = api.create_token(
        &key,
        &json!({"scope": ["tokens:create", "secrets:read:prod/*"], "description": "origin probe"}),
    );
    assert_eq!(agent.status, 201, "{}", agent.text);
    let created = api.create_secret(
        &key,
        &json!({"path": "prod/db", "value": "origin-probe-value", "tier": "sensitive"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    (
        key,
        agent.body["value"]
            .as_str()
            .expect("agent token")
            .to_owned(),
        prefix,
    )
}

/// Every place a message names the review page is under `base`, and nothing names `EVIL`.
fn assert_links_under(message: &str, base: &str, what: &str) {
    assert!(!message.contains(EVIL), "{what} names {EVIL}: {message}");
    let mut found = 0;
    for (at, _) in message.match_indices("/approvals/apr_") {
        found += 1;
        assert!(
            message[..at].ends_with(base),
            "{what}: a link not under {base}: …{}",
            &message[at.saturating_sub(60)..(at + 60).min(message.len())]
        );
    }
    assert!(found > 0, "{what} carries no link: {message}");
}

fn approval_links_ignore_the_host_the_requester_names(ctx: &Ctx) {
    let api = ctx.api();
    let base = ctx.runtime.base_url.clone();
    let email = format!("{}@example.com", unique("approver"));
    let (key, agent, prefix) = tenant_with_channels(ctx, &api, &ctx.runtime.operator_key, &email);
    let bearer = format!("Bearer {agent}");
    let body = json!({"scope": "secrets:read:prod/*", "ttl_seconds": 300}).to_string();
    let real_host = base.trim_start_matches("http://").to_owned();
    // The poisoned host in every place a proxy might take one from.
    let attempts: [Vec<(&str, &str)>; 3] = [
        vec![("Host", EVIL)],
        vec![
            ("Host", &real_host),
            ("X-Forwarded-Host", EVIL),
            ("X-Forwarded-Proto", "https"),
        ],
        vec![
            ("Host", EVIL),
            ("X-Forwarded-Host", EVIL),
            ("Forwarded", "host=evil.example.com;proto=https"),
        ],
    ];
    let mut approvals = Vec::new();
    for headers in &attempts {
        let mut headers = headers.clone();
        headers.push(("Authorization", &bearer));
        let (status, text) = raw_exchange(&base, "POST", "/v1/tokens", &headers, &body);
        assert_eq!(status, 202, "{headers:?}: {text}");
        let reply: Value = serde_json::from_str(&text).expect("JSON");
        let id = reply["approval_request_id"]
            .as_str()
            .expect("id")
            .to_owned();
        let approve_url = reply["approve_url"].as_str().expect("approve_url");
        assert_eq!(
            approve_url,
            format!("{base}/approvals/{id}/review"),
            "{headers:?}"
        );
        assert!(!text.contains(EVIL), "{text}");
        approvals.push(id);
    }
    // Every delivery of every request: Slack and the webhook under the tenant's prefix, one
    // email each.
    let direct = ctx
        .sink
        .wait_for(2 * approvals.len(), Duration::from_secs(30), |r| {
            r.path.starts_with(&prefix)
        });
    let emails = ctx
        .sink
        .wait_for(approvals.len(), Duration::from_secs(30), |r| {
            r.path == "/email" && r.body.contains(&email)
        });
    let messages: Vec<&Received> = direct.iter().chain(&emails).collect();
    assert_eq!(messages.len(), 3 * approvals.len());
    for message in &messages {
        assert_links_under(&message.body, &base, &message.path);
    }
    for id in &approvals {
        assert!(
            messages
                .iter()
                .filter(|m| m.body.contains(id.as_str()))
                .count()
                >= 3,
            "every channel was told about {id}"
        );
    }
    // The links work where they point, and the approval's view says they went out.
    let slack = direct
        .iter()
        .find(|r| r.path.ends_with("/slack"))
        .expect("slack");
    let link = slack.json()["blocks"][1]["elements"][0]["url"]
        .as_str()
        .expect("slack button")
        .to_owned();
    assert!(
        link.starts_with(&format!("{base}/approvals/apr_")),
        "{link}"
    );
    assert_eq!(api.get(&path_of(&link), None).status, 200);
    let view = api.get(&format!("/v1/approvals/{}", approvals[0]), Some(&key));
    assert_eq!(view.status, 200, "{}", view.text);
    assert!(!view.text.contains(EVIL), "{}", view.text);
}

fn without_public_url_no_approver_is_notified_and_the_approval_says_why(ctx: &Ctx) {
    let email_path = format!("/{}/email", unique("no-public-url"));
    let email_api = format!("{}{email_path}", ctx.sink.base_url);
    let runtime = Runtime::start_without_public_url(
        &ctx.run_dir,
        "no-public-url",
        &[
            ("ALLOW_HTTP_LOOPBACK", "true"),
            ("EMAIL_API_URL", &email_api),
        ],
    );
    let api = runtime.api();
    let email = format!("{}@example.com", unique("approver"));
    let (key, agent, prefix) = tenant_with_channels(ctx, &api, &runtime.operator_key, &email);
    // Even a requester who names a host gets no link under it: the URL is relative.
    let (status, text) = raw_exchange(
        &runtime.base_url,
        "POST",
        "/v1/tokens",
        &[
            ("Host", EVIL),
            ("X-Forwarded-Host", EVIL),
            ("Authorization", &format!("Bearer {agent}")),
        ],
        &json!({"scope": "secrets:read:prod/*", "ttl_seconds": 300}).to_string(),
    );
    assert_eq!(status, 202, "{text}");
    let reply: Value = serde_json::from_str(&text).expect("JSON");
    let id = reply["approval_request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        reply["approve_url"],
        format!("/approvals/{id}/review"),
        "{text}"
    );
    let message = reply["message"].as_str().unwrap_or("");
    assert!(message.contains("PUBLIC_URL is not set"), "{message}");
    assert!(!text.contains(EVIL), "{text}");

    // Every delivery ends as not sent, and says why.
    let deadline = Instant::now() + Duration::from_secs(30);
    let notifications = loop {
        let view = api.get(&format!("/v1/approvals/{id}"), Some(&key));
        assert_eq!(view.status, 200, "{}", view.text);
        let notifications = view.body["notifications"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(notifications.len(), 3, "{}", view.text);
        if notifications.iter().all(|n| n["status"] == "failed") {
            break notifications;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries still pending: {}",
            view.text
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    for notification in &notifications {
        assert_eq!(
            notification["last_error"], "not sent: PUBLIC_URL is not set",
            "{notification}"
        );
        assert_eq!(notification["attempts"], 0, "{notification}");
        assert!(notification["sent_at"].is_null(), "{notification}");
    }
    // Nothing reached any channel, then or later.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        ctx.sink.received(&prefix).is_empty(),
        "Slack or the webhook was called"
    );
    assert!(
        ctx.sink.received(&email_path).is_empty(),
        "an email was sent"
    );
    // Approvers still decide in the API.
    let (approver, _) = mint_on(&api, &key, json!({"scope": "approvals:decide"}));
    let approved = api.send(
        "POST",
        &format!("/v1/approvals/{id}/approve"),
        Some(&approver),
        &[],
        Body::Json(&json!({"comment": "ok"})),
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
}

fn mint_on(api: &latchkey_e2e::Api, key: &str, body: Value) -> (String, String) {
    let reply = api.create_token(key, &body);
    assert_eq!(reply.status, 201, "{}", reply.text);
    (
        reply.body["value"].as_str().expect("value").to_owned(),
        reply.body["id"].as_str().expect("id").to_owned(),
    )
}

/// 43 random base64url characters: the secret part of a credential no one holds.
fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("randomness");
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unknown_tenant() -> String {
    TenantId::generate().expect("tenant id").as_str().to_owned()
}

/// A JWT of `kind` for `tenant`, well formed, signed with a key no tenant has.
fn foreign_jwt(kind: JwtKind, tenant: &str, subject: &str) -> String {
    let key = TenantKey::generate()
        .expect("key")
        .derive(kind.signing_key_label());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let now = Timestamp::from_unix_ms(now_ms).expect("now");
    let tenant = TenantId::parse(tenant).expect("tenant");
    jwt::mint(kind, &key, &tenant, subject, now, 3_600)
        .expect("jwt")
        .0
}

/// The parts of a reply a caller can compare: status, body, and every header but the ones
/// that differ per request anyway.
fn observable(reply: &Reply) -> (u16, String, Vec<(String, String)>) {
    let mut headers: Vec<(String, String)> = reply
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .filter(|(k, _)| k != "x-request-id" && k != "date")
        .collect();
    headers.sort();
    (reply.status, reply.text.clone(), headers)
}

#[track_caller]
fn assert_same(known: &Reply, unknown: &Reply, what: &str) {
    assert_eq!(
        observable(known),
        observable(unknown),
        "{what}: a known tenant's refusal differs from an unknown tenant's"
    );
}

fn unrecognized_credentials_get_one_answer_whether_or_not_the_tenant_exists(ctx: &Ctx) {
    let api = ctx.api();
    let (known, key) = ctx.new_tenant();
    // The known tenant has users, agents, tokens and wraps, so nothing is refused for want
    // of a table.
    let (_, _) = mint(ctx, &key, json!({"scope": "secrets:read:*"}));
    let bootstrap = api.send(
        "POST",
        "/v1/agents/bootstrap",
        Some(&key),
        &[],
        Body::Json(&json!({"max_registrations": 1})),
    );
    assert!(bootstrap.status < 300, "{}", bootstrap.text);
    let wrapped = api.send(
        "POST",
        "/v1/wraps",
        Some(&key),
        &[],
        Body::Json(&json!({"value": "handed-over", "ttl_seconds": 60})),
    );
    assert_eq!(wrapped.status, 201, "{}", wrapped.text);
    let user = api.send(
        "POST",
        "/v1/users",
        Some(&key),
        &[],
        Body::Json(&json!({"email": "ada@example.com", "password": "correct horse battery staple", "name": "Ada"})),
    );
    assert_eq!(user.status, 201, "{}", user.text);
    let unknown = unknown_tenant();

    // Bearer credentials of every kind, on an ordinary route: one answer for all.
    let bearers = |tenant: &str| {
        vec![
            (
                "master key",
                format!("lk_live_{tenant}_{}", random_secret()),
            ),
            ("token", format!("lk_tok_{tenant}_{}", random_secret())),
            (
                "bootstrap token as bearer",
                format!("lk_boot_{tenant}_{}", random_secret()),
            ),
            (
                "agent JWT",
                foreign_jwt(
                    JwtKind::Agent,
                    tenant,
                    "agt_0123456789abcdef0123456789abcdef",
                ),
            ),
            (
                "login JWT",
                foreign_jwt(JwtKind::User, tenant, "usr_000000000000000000000001"),
            ),
        ]
    };
    let mut answers = Vec::new();
    for ((what, on_known), (_, on_unknown)) in bearers(&known).into_iter().zip(bearers(&unknown)) {
        for (method, url) in [
            ("GET", "/v1/secrets/prod%2Fdb"),
            ("POST", "/v1/tokens"),
            ("GET", "/v1/agents/me/secrets"),
        ] {
            let body = json!({"scope": "secrets:read:*"});
            let send = |bearer: &str| {
                api.send(
                    method,
                    url,
                    Some(bearer),
                    &[],
                    if method == "POST" {
                        Body::Json(&body)
                    } else {
                        Body::None
                    },
                )
            };
            let (k, u) = (send(&on_known), send(&on_unknown));
            assert_same(&k, &u, &format!("{what} on {method} {url}"));
            k.assert_error(401, "unauthorized");
            answers.push(observable(&k));
        }
    }
    // One answer for every kind, too, and it names nothing.
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    let (_, text, _) = &answers[0];
    let body: Value = serde_json::from_str(text).expect("JSON");
    assert_eq!(
        body["error"]["message"], "credential not recognized",
        "{text}"
    );
    // A credential that does not even parse gets it as well.
    assert_eq!(
        observable(&api.get("/v1/secrets/x", Some("lk_live_nonsense"))),
        answers[0]
    );
    // The Vault routes take the credential from X-Vault-Token.
    for kind in ["lk_live", "lk_tok"] {
        let vault = |tenant: &str| {
            api.send(
                "GET",
                "/v1/secret/data/prod/db",
                None,
                &[(
                    "X-Vault-Token",
                    &format!("{kind}_{tenant}_{}", random_secret()),
                )],
                Body::None,
            )
        };
        assert_same(
            &vault(&known),
            &vault(&unknown),
            &format!("{kind} on the Vault routes"),
        );
    }
    // A wrap token used as a bearer is refused for what it is, the same everywhere.
    let as_bearer = |tenant: &str| {
        api.get(
            "/v1/secrets/x",
            Some(&format!("lk_wrap_{tenant}_{}", random_secret())),
        )
    };
    assert_same(
        &as_bearer(&known),
        &as_bearer(&unknown),
        "wrap token as a bearer",
    );

    // A bootstrap token on registration (the body's token is the credential).
    let register = |tenant: &str| {
        api.send(
            "POST",
            "/v1/agents/register",
            None,
            &[],
            Body::Json(
                &json!({"token": format!("lk_boot_{tenant}_{}", random_secret()), "name": "probe"}),
            ),
        )
    };
    let (k, u) = (register(&known), register(&unknown));
    assert_same(&k, &u, "bootstrap token on register");
    assert_eq!(
        observable(&k),
        answers[0],
        "registration's refusal is the one answer"
    );

    // A wrap token on unwrap.
    let unwrap = |tenant: &str| {
        api.send(
            "POST",
            "/v1/wraps/unwrap",
            None,
            &[],
            Body::Json(&json!({"wrap_token": format!("lk_wrap_{tenant}_{}", random_secret())})),
        )
    };
    let (k, u) = (unwrap(&known), unwrap(&unknown));
    assert_same(&k, &u, "wrap token on unwrap");
    k.assert_error(404, "not_found");

    // A login: an unknown email of a known tenant, and any email of an unknown one.
    let login = |tenant: &str, email: &str| {
        api.send(
            "POST",
            "/v1/auth/login",
            None,
            &[("CF-Connecting-IP", "192.0.2.77")],
            Body::Json(
                &json!({"tenant": tenant, "email": email, "password": "not the password at all"}),
            ),
        )
    };
    let (k, u) = (
        login(&known, "nobody@example.com"),
        login(&unknown, "nobody@example.com"),
    );
    assert_same(&k, &u, "login");
    k.assert_error(401, "unauthorized");
    let (k, u) = (
        login(&known, "ada@example.com"),
        login(&unknown, "ada@example.com"),
    );
    assert_same(&k, &u, "login with a wrong password");
}

fn invalid_review_links_get_one_page_whether_or_not_the_tenant_exists(ctx: &Ctx) {
    let api = ctx.api();
    let (known, key) = ctx.new_tenant();
    let unknown = unknown_tenant();
    // A real request of the known tenant, so its id names something that exists.
    let (agent, _) = mint(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "secrets:read:prod/*"]}),
    );
    let created = api.create_secret(
        &key,
        &json!({"path": "prod/db", "value": "review-probe", "tier": "sensitive"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let requested = api.create_token(&agent, &json!({"scope": "secrets:read:prod/*"}));
    assert_eq!(requested.status, 202, "{}", requested.text);
    let real = requested.body["approval_request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let id_of = |tenant: &str| {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("randomness");
        let hex = latchkey_core::hex::encode(&bytes);
        format!("apr_{}{hex}", tenant.trim_start_matches("tn_"))
    };
    let forged = format!("{}.{}", random_secret(), random_secret());
    let page = |id: &str, token: &str| api.get(&format!("/approvals/{id}/review?t={token}"), None);
    let form = |id: &str, token: &str| {
        let body = format!("t={token}&decision=approve&note=");
        api.send(
            "POST",
            &format!("/approvals/{id}/review"),
            None,
            &[],
            Body::Raw(Some("application/x-www-form-urlencoded"), body.as_bytes()),
        )
    };
    let on_unknown = id_of(&unknown);
    let reference = page(&on_unknown, &forged);
    assert_eq!(reference.status, 403, "{}", reference.text);
    assert!(
        reference.text.contains("Link not valid"),
        "{}",
        reference.text
    );
    for (what, known_id) in [
        ("an existing request", real.clone()),
        ("a made-up request", id_of(&known)),
    ] {
        for token in [forged.as_str(), "x", ""] {
            if token.is_empty() {
                continue;
            }
            assert_same(
                &page(&known_id, token),
                &page(&on_unknown, token),
                &format!("review page, {what}, token {token:?}"),
            );
            assert_same(
                &form(&known_id, token),
                &form(&on_unknown, token),
                &format!("review form, {what}, token {token:?}"),
            );
        }
    }
    // The forged link used nothing up: the real request still stands.
    let view = api.get(&format!("/v1/approvals/{real}"), Some(&key));
    assert_eq!(view.body["status"], "pending", "{}", view.text);
}

fn refusals_kept_in_memory_reach_the_trail_unchanged(ctx: &Ctx) {
    let api = ctx.api();
    let (tenant, key) = ctx.new_tenant();
    // A wrong key, and nothing after it: the write-back (the alarm) writes its event within
    // a second or so, and the alarm's copy to D1 shows it without any request to the tenant.
    let request_id = unique("auth-failed");
    let refused = api.send(
        "GET",
        "/v1/secrets/a%2Fb",
        Some(&format!("lk_live_{tenant}_{}", random_secret())),
        &[
            ("X-Request-Id", &request_id),
            ("User-Agent", "origin-probe/1"),
        ],
        Body::None,
    );
    refused.assert_error(401, "unauthorized");
    let copied = crate::audit::d1_copy(ctx, &tenant, &request_id);
    assert_eq!(copied["type"], "auth.failed", "{copied}");
    assert_eq!(copied["actor"], "anonymous", "{copied}");
    assert_eq!(copied["success"], false, "{copied}");
    assert_eq!(copied["user_agent"], "origin-probe/1", "{copied}");
    assert_eq!(copied["details"]["credential"], "master_key", "{copied}");

    // Refusals followed at once by an authenticated read: the reader sees them, in order.
    let mut ids = Vec::new();
    for bearer in [
        format!("lk_tok_{tenant}_{}", random_secret()),
        format!("lk_live_{tenant}_{}", random_secret()),
    ] {
        let id = unique("auth-failed");
        api.send(
            "GET",
            "/v1/secrets/a%2Fb",
            Some(&bearer),
            &[("X-Request-Id", &id)],
            Body::None,
        )
        .assert_error(401, "unauthorized");
        ids.push(id);
    }
    let trail = api.get("/v1/audit?type=auth.failed&limit=100", Some(&key));
    assert_eq!(trail.status, 200, "{}", trail.text);
    let events = trail.body["events"].as_array().cloned().unwrap_or_default();
    let seqs: Vec<u64> = ids
        .iter()
        .map(|id| {
            events
                .iter()
                .find(|e| e["correlation_id"] == id.as_str())
                .and_then(|e| e["seq"].as_u64())
                .unwrap_or_else(|| panic!("no auth.failed event for {id}: {}", trail.text))
        })
        .collect();
    assert!(seqs[0] < seqs[1], "{seqs:?}");
    let own = events
        .iter()
        .find(|e| e["correlation_id"] == request_id.as_str())
        .expect("the first refusal");
    for (name, value) in own.as_object().into_iter().flatten() {
        if name != "tenant_id" {
            assert_eq!(&copied[name], value, "{name}: {copied} against {own}");
        }
    }
    let verified = api.get("/v1/audit/verify", Some(&key));
    assert_eq!(verified.body["ok"], true, "{}", verified.text);
}
