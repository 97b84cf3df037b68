#![no_main]
//! `cargo +nightly fuzz run scopes` (scripts/fuzz): see latchkey_core::fuzzing::scopes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    latchkey_core::fuzzing::scopes(data);
});
