#![allow(clippy::unwrap_used)]
//! Replays every input the fuzzers ever crashed on (`fuzz/regressions/<target>/`, where
//! scripts/fuzz copies new crashes) through the same code, natively, on every test run.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == ".gitkeep") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        run(&bytes);
        count += 1;
    }
    count
}

#[test]
fn saved_fuzz_inputs_no_longer_crash() {
    replay("paths", latchkey_core::fuzzing::paths);
    replay("scopes", latchkey_core::fuzzing::scopes);
    replay("bodies", latchkey_core::fuzzing::bodies);
    replay("broker", latchkey_core::fuzzing::broker);
}

#[test]
fn a_few_known_hard_inputs_pass() {
    let inputs: [&[u8]; 6] = [
        b"%2e%2e",
        b"a/*\n*\nb/c",
        b"*\na/*\na/b",
        b"{\"scope\": [\"secrets:read:*\"], \"allowed_ips\": [\"::ffff:10.0.0.1\"]}",
        b"limit=0&cursor=%ff&since=2025-13-40T00:00:00Z",
        &[0xff, 0xfe, b'{'],
    ];
    for input in inputs {
        latchkey_core::fuzzing::paths(input);
        latchkey_core::fuzzing::scopes(input);
        latchkey_core::fuzzing::bodies(input);
        latchkey_core::fuzzing::broker(input);
    }
    // The broker's: a request with placeholders everywhere, and a value full of encodings.
    let mut call = br#"{"method":"POST","url":"https://a.example.com/p?q={{K}}&r={{K}}","headers":{"A":"x{{K}}"},"body":"{{K}}{{{K}}}","secrets":{"K":"a/b#f"}}"#.to_vec();
    call.push(0);
    call.extend_from_slice("v%41+ /\"é🔑{{K}}".as_bytes());
    latchkey_core::fuzzing::broker(&call);
}
