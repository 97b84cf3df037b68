//! The Vault KV v2 compatible endpoint (`/v1/secret/…`): the official `hvac` client, unchanged,
//! against the real runtime; what it writes read back through Latchkey's own API; the wire
//! edges (`?list=true`, Vault's error shape, unknown methods) with raw HTTP.

use crate::Ctx;
use latchkey_e2e::client::{Body, encode_path};
use latchkey_e2e::runtime::repo_root;
use latchkey_e2e::{secret_value, unique};
use serde_json::{Value, json};
use std::process::Command;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "vault::hvac_writes_reads_lists_deletes_and_destroys",
        hvac_writes_reads_lists_deletes_and_destroys,
    ),
    (
        "vault::wire_edges_answer_like_vault",
        wire_edges_answer_like_vault,
    ),
    (
        "vault::latchkey_secrets_read_through_vault",
        latchkey_secrets_read_through_vault,
    ),
    (
        "vault::bad_input_is_4xx_and_other_tenants_see_nothing",
        bad_input_is_4xx_and_other_tenants_see_nothing,
    ),
];

/// The Python of the project's venv (scripts/setup installs hvac there).
fn python() -> std::path::PathBuf {
    let python = repo_root().join(".tmp/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup (it installs hvac)",
        python.display()
    );
    python
}

fn hvac_writes_reads_lists_deletes_and_destroys(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let prefix = unique("kv").replace('_', "-");
    let reader = api.create_token(
        &key,
        &json!({"scope": [format!("secrets:read:{prefix}/*")], "ttl_seconds": 600}),
    );
    assert_eq!(reader.status, 201, "{}", reader.text);
    let reader = reader.body["value"].as_str().expect("token").to_owned();
    let output = Command::new(python())
        .arg(repo_root().join("tests/vault/hvac_kv.py"))
        .env("VAULT_ADDR", &ctx.runtime.base_url)
        .env("VAULT_TOKEN", &key)
        .env("LATCHKEY_PREFIX", &prefix)
        .env("LATCHKEY_READER_TOKEN", &reader)
        .output()
        .expect("run the hvac script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "hvac script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).expect("the script's JSON line");
    let db = result["db"].as_str().expect("db");

    // What hvac wrote is a Latchkey secret: its fields are the map, versions line up.
    let fields = api.get_fields(&key, db);
    assert_eq!(fields.status, 200, "{}", fields.text);
    assert_eq!(fields.body["password"], "pw-two", "{}", fields.text);
    assert_eq!(fields.body["username"], "admin");
    let secret = api.get_secret(&key, db);
    assert_eq!(secret.status, 200, "{}", secret.text);
    assert_eq!(secret.body["version"], 2);
    let versions = api.secret_versions(&key, db);
    let states: Vec<(u64, String)> = versions.body["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap_or(0),
                v["state"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![(2, "current".to_owned()), (1, "destroyed".to_owned())],
        "{}",
        versions.text
    );
    let destroyed = api.get_secret_version(&key, db, 1);
    destroyed.assert_error(404, "not_found");
    let api_key = api.get_field(&key, result["api"].as_str().expect("api"), "value");
    assert_eq!(api_key.body["value"], "sk-vault-api", "{}", api_key.text);

    // Every Vault call is in the audit trail, marked as such, without a value.
    let audit = api.get("/v1/audit?limit=500", Some(&key));
    assert_eq!(audit.status, 200, "{}", audit.text);
    let events = audit.body["events"].as_array().expect("events");
    let vault_types: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|e| e["details"]["api"] == "vault")
        .filter_map(|e| e["type"].as_str())
        .collect();
    for wanted in [
        "secret.read",
        "secret.updated",
        "secret.listed",
        "secret.versions_listed",
        "secret.versions_deleted",
        "secret.versions_undeleted",
        "secret.versions_destroyed",
    ] {
        assert!(
            vault_types.contains(wanted),
            "no {wanted} in {vault_types:?}"
        );
    }
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "secret.updated" && e["success"] == false),
        "the reader's refused write is audited: {}",
        audit.text
    );
    for value in ["pw-one", "pw-two", "sk-vault-api"] {
        assert!(!audit.text.contains(value), "{value} in the audit trail");
    }
}

fn wire_edges_answer_like_vault(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let token = [("X-Vault-Token", key.as_str())];
    let write = |path: &str, body: Value| {
        api.send(
            "POST",
            &format!("/v1/secret/data/{path}"),
            None,
            &token,
            Body::Json(&body),
        )
    };
    let value = secret_value("kv");
    let stored = write("edge/one", json!({"data": {"token": value}}));
    assert_eq!(stored.status, 200, "{}", stored.text);
    assert_eq!(stored.body["data"]["version"], 1);
    assert_eq!(stored.body["lease_id"], "");

    // `?list=true` lists; a folder's children carry a trailing slash.
    write("edge/deeper/two", json!({"data": {"a": "b"}}));
    // (`LIST` itself is routed too, but workerd refuses the method before the Worker sees it;
    // Vault's own client and CLI send `GET ?list=true`.)
    for url in [
        "/v1/secret/metadata/edge?list=true",
        "/v1/secret/metadata/edge/?list=true",
    ] {
        let listed = api.send("GET", url, None, &token, Body::None);
        assert_eq!(listed.status, 200, "{url}: {}", listed.text);
        assert_eq!(listed.body["data"]["keys"], json!(["deeper/", "one"]));
    }
    let root = api.send(
        "GET",
        "/v1/secret/metadata/?list=true",
        None,
        &token,
        Body::None,
    );
    assert_eq!(root.body["data"]["keys"], json!(["edge/"]), "{}", root.text);

    // Errors take Vault's shape: `errors`, with 400 for bad input, 404 an empty list.
    let not_string = write("edge/one", json!({"data": {"n": 5}}));
    assert_eq!(not_string.status, 400, "{}", not_string.text);
    assert!(
        not_string.body["errors"][0]
            .as_str()
            .is_some_and(|m| m.contains("string")),
        "{}",
        not_string.text
    );
    let missing = api.send("GET", "/v1/secret/data/edge/none", None, &token, Body::None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body, json!({"errors": []}));
    let wrong = api.send(
        "PATCH",
        "/v1/secret/data/edge/one",
        None,
        &token,
        Body::None,
    );
    assert_eq!(wrong.status, 405, "{}", wrong.text);
    assert!(wrong.header("allow").is_some_and(|a| a.contains("POST")));
    assert!(wrong.body["errors"].is_array(), "{}", wrong.text);
    let bad_path = api.send("GET", "/v1/secret/data/a%20b", None, &token, Body::None);
    assert_eq!(bad_path.status, 400, "{}", bad_path.text);
    assert!(bad_path.body["errors"][0].is_string(), "{}", bad_path.text);
    let no_token = api.send("GET", "/v1/secret/data/edge/one", None, &[], Body::None);
    assert_eq!(no_token.status, 401, "{}", no_token.text);
    assert!(no_token.body["errors"][0].is_string());
    let bad_versions = api.send(
        "POST",
        "/v1/secret/delete/edge/one",
        None,
        &token,
        Body::Json(&json!({"versions": "all"})),
    );
    assert_eq!(bad_versions.status, 400, "{}", bad_versions.text);

    // The `vault kv` CLI's preflight finds a KV v2 mount at `secret/`.
    let mount = api.get("/v1/sys/internal/ui/mounts/secret/edge/one", None);
    assert_eq!(mount.status, 200, "{}", mount.text);
    assert_eq!(mount.body["data"]["options"]["version"], "2");
    assert_eq!(mount.body["data"]["path"], "secret/");
    let other_mount = api.get("/v1/sys/internal/ui/mounts/kv/x", None);
    assert_eq!(other_mount.status, 404);
    assert!(other_mount.body["errors"].is_array());

    // The refused writes changed nothing; Authorization: Bearer works as in Vault.
    let read = api.send(
        "GET",
        "/v1/secret/data/edge/one",
        Some(&key),
        &[],
        Body::None,
    );
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["data"]["data"], json!({"token": value}));
    assert_eq!(read.body["data"]["metadata"]["version"], 1);

    // A method the API does not know (one workerd passes through) is refused, never read as
    // a GET: the Worker routes on the method as sent.
    let answer = raw_request(
        &ctx.runtime.base_url,
        &format!(
            "PROPFIND /v1/secrets/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n",
            encode_path("edge/one")
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert!(!answer.contains(&value), "{answer}");
}

/// One raw HTTP/1.1 exchange (for methods the HTTP client will not send).
fn raw_request(base_url: &str, request: &str) -> String {
    use std::io::{Read as _, Write as _};
    let address = base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

fn latchkey_secrets_read_through_vault(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let token = [("X-Vault-Token", key.as_str())];
    let plain = secret_value("plain");
    let created = api.create_secret(&key, &json!({"path": "app/plain", "value": plain}));
    assert_eq!(created.status, 201, "{}", created.text);
    let read = api.send("GET", "/v1/secret/data/app/plain", None, &token, Body::None);
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["data"]["data"], json!({"value": plain}));

    // Fields set through Latchkey are what Vault clients see as the current data.
    let set = api.set_fields(
        &key,
        "app/conf",
        &json!({"fields": {"host": "db.internal", "port": "5432"}}),
    );
    assert_eq!(set.status, 201, "{}", set.text);
    let read = api.send("GET", "/v1/secret/data/app/conf", None, &token, Body::None);
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        read.body["data"]["data"],
        json!({"host": "db.internal", "port": "5432"})
    );
    let written = api.send(
        "POST",
        "/v1/secret/data/app/conf",
        None,
        &token,
        Body::Json(&json!({"data": {"host": "db2.internal"}})),
    );
    assert_eq!(written.status, 200, "{}", written.text);
    let fields = api.get_fields(&key, "app/conf");
    assert_eq!(
        fields.body,
        json!({"host": "db2.internal"}),
        "{}",
        fields.text
    );

    // A critical secret needs the approval its tier asks for, through Vault too.
    api.create_secret(
        &key,
        &json!({"path": "app/crown", "value": secret_value("crown"), "tier": "critical"}),
    );
    let agent = api.create_token(
        &key,
        &json!({"scope": ["secrets:read:app/plain"], "ttl_seconds": 600}),
    );
    let agent = agent.body["value"].as_str().expect("token").to_owned();
    let refused = api.send(
        "GET",
        "/v1/secret/data/app/crown",
        None,
        &[("X-Vault-Token", &agent)],
        Body::None,
    );
    assert_eq!(refused.status, 403, "{}", refused.text);
    let listed = api.send(
        "GET",
        "/v1/secret/metadata/app?list=true",
        None,
        &[("X-Vault-Token", &agent)],
        Body::None,
    );
    assert_eq!(
        listed.body["data"]["keys"],
        json!(["plain"]),
        "{}",
        listed.text
    );
}

fn bad_input_is_4xx_and_other_tenants_see_nothing(ctx: &Ctx) {
    let (_, a) = ctx.new_tenant();
    let (_, b) = ctx.new_tenant();
    let api = ctx.api();
    let value = secret_value("iso");
    let token = [("X-Vault-Token", a.as_str())];
    let stored = api.send(
        "POST",
        "/v1/secret/data/iso/x",
        None,
        &token,
        Body::Json(&json!({"data": {"k": value}})),
    );
    assert_eq!(stored.status, 200, "{}", stored.text);

    // Malformed bodies on every route that takes one, and odd paths: 4xx in Vault's shape.
    let nested = "[".repeat(100_000);
    let bodies: Vec<&[u8]> = vec![
        b"",
        b"{",
        b"[]",
        b"null",
        b"{\"data\": []}",
        b"{\"data\": {\"k\": null}}",
        b"{\"data\": {}, \"options\": {\"cas\": 1.5}}",
        b"{\"versions\": [-1]}",
        b"{\"versions\": [\"1\"]}",
        &[0xff, 0xfe, 0x00],
        nested.as_bytes(),
    ];
    let routes = [
        ("POST", "/v1/secret/data/iso/x"),
        ("PUT", "/v1/secret/data/iso/x"),
        ("POST", "/v1/secret/delete/iso/x"),
        ("POST", "/v1/secret/undelete/iso/x"),
        ("PUT", "/v1/secret/destroy/iso/x"),
    ];
    let mut failures = Vec::new();
    for (method, url) in routes {
        for body in &bodies {
            let reply = api.send(
                method,
                url,
                None,
                &token,
                Body::Raw(Some("application/json"), body),
            );
            if !(400..500).contains(&reply.status) || !reply.body["errors"].is_array() {
                failures.push(format!(
                    "{method} {url} {:?} → {}",
                    body.get(..20),
                    reply.text
                ));
            }
        }
    }
    for url in [
        "/v1/secret/data/..",
        "/v1/secret/data/a/../b",
        "/v1/secret/data/%ff",
        "/v1/secret/metadata",
        "/v1/secret/subkeys/iso/x",
        "/v1/secret/config",
        "/v1/secret/data/iso/x?version=-1",
    ] {
        let reply = api.send("GET", url, None, &token, Body::None);
        if !(400..500).contains(&reply.status) || !reply.body["errors"].is_array() {
            failures.push(format!("GET {url} → {} {}", reply.status, reply.text));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let read = api.send("GET", "/v1/secret/data/iso/x", None, &token, Body::None);
    assert_eq!(
        read.body["data"]["data"],
        json!({"k": value}),
        "{}",
        read.text
    );
    assert_eq!(read.body["data"]["metadata"]["version"], 1);

    // Tenant B's token finds nothing of A's on any Vault route, and changes nothing.
    let other = [("X-Vault-Token", b.as_str())];
    let versions = json!({"versions": [1]});
    for (method, url, body) in [
        ("GET", "/v1/secret/data/iso/x", None),
        ("GET", "/v1/secret/data/iso/x?version=1", None),
        ("GET", "/v1/secret/metadata/iso/x", None),
        ("GET", "/v1/secret/metadata/iso?list=true", None),
        ("DELETE", "/v1/secret/data/iso/x", None),
        ("DELETE", "/v1/secret/metadata/iso/x", None),
        ("POST", "/v1/secret/delete/iso/x", Some(&versions)),
        ("POST", "/v1/secret/undelete/iso/x", Some(&versions)),
        ("POST", "/v1/secret/destroy/iso/x", Some(&versions)),
    ] {
        let reply = match body {
            Some(body) => api.send(method, url, None, &other, Body::Json(body)),
            None => api.send(method, url, None, &other, Body::None),
        };
        assert_eq!(reply.status, 404, "{method} {url}: {}", reply.text);
        assert_eq!(reply.body, json!({"errors": []}), "{method} {url}");
    }
    let read = api.send("GET", "/v1/secret/data/iso/x", None, &token, Body::None);
    assert_eq!(
        read.body["data"]["data"],
        json!({"k": value}),
        "{}",
        read.text
    );
    assert_eq!(read.body["data"]["metadata"]["deletion_time"], "");
}
