//! `GET /v1/secrets`: filters, metadata only, and a cursor that holds while rows are added.

use crate::Ctx;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "listing::filters_select_and_values_never_appear",
        filters_select_and_values_never_appear,
    ),
    (
        "listing::cursor_walks_every_secret_once_while_rows_are_added",
        cursor_walks_every_secret_once_while_rows_are_added,
    ),
    (
        "listing::bad_parameters_are_invalid_request",
        bad_parameters_are_invalid_request,
    ),
];

fn paths(reply: &latchkey_e2e::Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["path"].as_str().expect("path").to_owned())
        .collect()
}

fn filters_select_and_values_never_appear(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    let year: u32 = api.get("/v1/health", None).body["time"]
        .as_str()
        .expect("time")[..4]
        .parse()
        .expect("year");
    let in_two_years = format!("{}-01-01T00:00:00Z", year + 2);
    let secrets = [
        json!({"path": "production/openai/api-key", "value": "VALUE-1", "tier": "sensitive", "tags": {"team": "ml", "env": "prod"}, "description": "OpenAI production key"}),
        json!({"path": "production/stripe/api-key", "value": "VALUE-2", "tier": "critical", "tags": {"team": "pay", "env": "prod"}}),
        json!({"path": "productionx/other", "value": "VALUE-3", "tags": {"team": "ml"}}),
        json!({"path": "staging/openai/api-key", "value": "VALUE-4", "tags": {"team": "ml", "env": "stage"}, "expires_at": in_two_years}),
    ];
    for body in &secrets {
        assert_eq!(api.create_secret(&key, body).status, 201);
    }
    let list = |query: &str| api.get(&format!("/v1/secrets{query}"), Some(&key));
    let all = list("");
    assert_eq!(all.body["total"], 4, "{}", all.text);
    assert_eq!(all.body["next_cursor"], Value::Null);
    assert!(!all.text.contains("VALUE-"), "a list never carries values");
    let item = &all.body["items"][0];
    assert_eq!(item["path"], "production/openai/api-key");
    assert_eq!(item["version"], 1);
    assert_eq!(item["tier"], "sensitive");
    assert!(item["updated_at"].is_string());
    assert_eq!(
        paths(&list("?namespace=production")),
        vec!["production/openai/api-key", "production/stripe/api-key"]
    );
    assert_eq!(
        paths(&list("?namespace=production%2Fopenai")),
        vec!["production/openai/api-key"]
    );
    assert_eq!(
        paths(&list("?tag=team:ml&tag=env:prod")),
        vec!["production/openai/api-key"]
    );
    assert_eq!(
        paths(&list("?tier=critical")),
        vec!["production/stripe/api-key"]
    );
    assert_eq!(paths(&list("?q=openai")).len(), 2);
    assert_eq!(
        paths(&list("?q=PRODUCTION%20KEY")),
        vec!["production/openai/api-key"],
        "q searches descriptions"
    );
    assert_eq!(
        paths(&list("?q=pay")),
        vec!["production/stripe/api-key"],
        "q searches tags"
    );
    assert_eq!(paths(&list("?expiring_within=3600")).len(), 0);
    assert_eq!(
        paths(&list("?expiring_within=315360000")),
        vec!["staging/openai/api-key"]
    );
    // Soft-deleted secrets are hidden unless asked for.
    assert_eq!(
        api.delete_secret(&key, "productionx/other", false).status,
        204
    );
    assert_eq!(list("").body["total"], 3);
    let with_deleted = list("?include_deleted=true");
    assert_eq!(with_deleted.body["total"], 4);
    let deleted: BTreeMap<String, Value> = with_deleted.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap_or("").to_owned(),
                i["deleted_at"].clone(),
            )
        })
        .collect();
    assert!(deleted["productionx/other"].is_string());
}

fn cursor_walks_every_secret_once_while_rows_are_added(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let create_range = |range: std::ops::Range<usize>, prefix: &'static str| {
        std::thread::scope(|scope| {
            for chunk in range.collect::<Vec<_>>().chunks(32) {
                let key = key.clone();
                let chunk = chunk.to_vec();
                scope.spawn(move || {
                    let api = ctx.api();
                    for i in chunk {
                        let reply = api.create_secret(
                            &key,
                            &json!({"path": format!("page/{prefix}{i:04}"), "value": "v"}),
                        );
                        assert_eq!(reply.status, 201, "{}", reply.text);
                    }
                });
            }
        });
    };
    create_range(0..250, "a");
    let api = ctx.api();
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    std::thread::scope(|scope| {
        // New rows arrive while the client pages: some sort before the cursor, some after.
        let writer = scope.spawn(|| create_range(0..60, "b"));
        loop {
            let url = match &cursor {
                Some(c) => format!("/v1/secrets?namespace=page&limit=50&cursor={c}"),
                None => "/v1/secrets?namespace=page&limit=50".to_owned(),
            };
            let reply = api.get(&url, Some(&key));
            let page = paths(&reply);
            assert!(page.len() <= 50);
            seen.extend(page);
            pages += 1;
            match reply.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
            assert!(pages < 20, "the walk does not end");
        }
        writer.join().expect("writer");
    });
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for path in &seen {
        *counts.entry(path.as_str()).or_default() += 1;
    }
    assert!(counts.values().all(|c| *c == 1), "a path was seen twice");
    for i in 0..250 {
        assert_eq!(
            counts.get(format!("page/a{i:04}").as_str()),
            Some(&1),
            "page/a{i:04} missed"
        );
    }
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "pages are ordered by path"
    );
    let total = api
        .get("/v1/secrets?namespace=page&limit=1", Some(&key))
        .body["total"]
        .clone();
    assert_eq!(total, 310);
}

fn bad_parameters_are_invalid_request(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let api = ctx.api();
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=garbage!", "cursor"),
        ("tag=nocolon", "tag"),
        ("tier=gold", "tier"),
        ("namespace=a%2F%2Fb", "namespace"),
        ("include_deleted=1", "include_deleted"),
        ("expiring_within=soon", "expiring_within"),
        ("colour=red", "colour"),
    ] {
        let reply = api.get(&format!("/v1/secrets?{query}"), Some(&key));
        reply.assert_error(400, "invalid_request");
        assert_eq!(reply.error_field(), Some(field), "{query}: {}", reply.text);
    }
    api.get("/v1/secrets", None)
        .assert_error(401, "unauthorized");
}
