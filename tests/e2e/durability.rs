//! Data outlives the runtime, and no plaintext ever reaches the disk.

use crate::Ctx;
use latchkey_e2e::Runtime;
use latchkey_e2e::runtime::{count_files, files_containing};
use serde_json::json;

pub const TESTS: &[(&str, crate::Test)] = &[(
    "durability::restart_keeps_secrets_and_disk_holds_no_plaintext",
    restart_keeps_secrets_and_disk_holds_no_plaintext,
)];

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
