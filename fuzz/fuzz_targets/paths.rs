#![no_main]
//! `cargo +nightly fuzz run paths` (scripts/fuzz): see latchkey_core::fuzzing::paths.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    latchkey_core::fuzzing::paths(data);
});
