//! `cargo run -p latchkey-openapi`: writes `worker/openapi.json` from the core's types and
//! limits. Commit it with the change that made it differ (`tests/document.rs` fails until then).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."));
    let text = latchkey_openapi::render();
    let path = root.join(latchkey_openapi::DOCUMENT_PATH);
    match std::fs::write(&path, &text) {
        Ok(()) => {
            println!(
                "wrote {}: {} bytes",
                latchkey_openapi::DOCUMENT_PATH,
                text.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}
