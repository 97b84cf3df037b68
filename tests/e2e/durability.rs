//! Data outlives the runtime, and no plaintext ever reaches the disk.

use crate::Ctx;
use latchkey_e2e::Runtime;
use latchkey_e2e::runtime::{count_files, files_containing};
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "durability::restart_keeps_secrets_and_disk_holds_no_plaintext",
        restart_keeps_secrets_and_disk_holds_no_plaintext,
    ),
    (
        "durability::counts_kept_in_memory_survive_a_crash_a_second_later",
        counts_kept_in_memory_survive_a_crash_a_second_later,
    ),
];

/// The rate window and the use count of a token without `max_uses` live in the object's
/// memory and are written back within a second (by the alarm when no request follows): a
/// SIGKILL two seconds after the last request loses neither.
fn counts_kept_in_memory_survive_a_crash_a_second_later(ctx: &Ctx) {
    let mut runtime = Runtime::start_fresh(&ctx.run_dir, "write-back");
    let (_, key) = crate::new_tenant(&runtime.api(), &runtime.operator_key);
    let created = runtime.api().create_secret(
        &key,
        &json!({"path": "app/db", "value": latchkey_e2e::secret_value("write-back")}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let token = runtime.api().create_token(
        &key,
        &json!({"scope": ["secrets:read:app/*"], "ttl_seconds": 3600}),
    );
    assert_eq!(token.status, 201, "{}", token.text);
    let token = token.body["value"]
        .as_str()
        .expect("token value")
        .to_owned();
    crate::ratelimit::start_of_a_window();
    let mut remaining = None;
    for _ in 0..7 {
        let read = runtime.api().get_secret(&token, "app/db");
        assert_eq!(read.status, 200, "{}", read.text);
        remaining = read.header("X-RateLimit-Remaining").map(str::to_owned);
    }
    let read_in_minute = minute_now();
    let remaining: u64 = remaining
        .and_then(|r| r.parse().ok())
        .expect("X-RateLimit-Remaining on a read");

    std::thread::sleep(std::time::Duration::from_millis(2_500));
    runtime.kill();
    runtime.relaunch();

    let listed = runtime.api().list_tokens(&key);
    let listed_in_minute = minute_now();
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["tokens"][0]["uses"], 7, "{}", listed.text);
    assert!(listed.body["tokens"][0]["last_used_at"].is_string());
    // The listing is one more request in the same window (or the first of a new one, when
    // the relaunch took the clock into the next minute).
    let limit: u64 = listed
        .header("X-RateLimit-Limit")
        .and_then(|l| l.parse().ok())
        .expect("X-RateLimit-Limit");
    let expected = if listed_in_minute == read_in_minute {
        remaining - 1
    } else {
        limit - 1
    };
    assert_eq!(
        listed.header("X-RateLimit-Remaining"),
        Some(expected.to_string().as_str()),
        "the window after the crash"
    );
    runtime.stop();
}

fn restart_keeps_secrets_and_disk_holds_no_plaintext(ctx: &Ctx) {
    let mut runtime = Runtime::start_fresh(&ctx.run_dir, "restart");
    let (_, key) = crate::new_tenant(&runtime.api(), &runtime.operator_key);
    let values: Vec<String> = (0..5)
        .map(|i| latchkey_e2e::secret_value(&format!("plaintext-{i}")))
        .collect();
    for (i, value) in values.iter().enumerate() {
        let reply = runtime.api().create_secret(
            &key,
            &json!({"path": format!("prod/svc-{i}/key"), "value": value}),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    assert_eq!(
        runtime.api().get_secret(&key, "prod/svc-0/key").body["value"],
        values[0].as_str()
    );

    runtime.restart();
    for (i, value) in values.iter().enumerate() {
        let reply = runtime.api().get_secret(&key, &format!("prod/svc-{i}/key"));
        assert_eq!(reply.status, 200, "after restart: {}", reply.text);
        assert_eq!(reply.body["value"], value.as_str());
    }
    runtime.stop();

    let files = count_files(&runtime.state_dir);
    assert!(files > 0, "the state directory is empty");
    for value in &values {
        let hits = files_containing(&runtime.state_dir, value.as_bytes());
        assert!(
            hits.is_empty(),
            "plaintext of a secret found on disk in {hits:?}"
        );
    }
    // The master key is stored only as a hash, too.
    let hits = files_containing(&runtime.state_dir, key.as_bytes());
    assert!(hits.is_empty(), "master key found on disk in {hits:?}");
    // The shared runtime's state too, for everything other tests wrote there.
    assert!(files_containing(&ctx.runtime.state_dir, b"sk-proj-").is_empty());
}

fn minute_now() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis()
        / 60_000
}
