#![allow(clippy::expect_used, clippy::panic)]
//! `worker/openapi.json`, which the Worker embeds and serves, is what the generator writes.

use std::path::Path;

#[test]
fn the_committed_json_is_what_the_generator_writes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("openapi/ has a parent")
        .join(latchkey_openapi::DOCUMENT_PATH);
    let committed = std::fs::read_to_string(&path).expect("worker/openapi.json exists");
    assert!(
        committed == latchkey_openapi::render(),
        "{} is stale: run `cargo run -p latchkey-openapi` and commit it",
        latchkey_openapi::DOCUMENT_PATH
    );
}
