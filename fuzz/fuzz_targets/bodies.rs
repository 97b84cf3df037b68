#![no_main]
//! `cargo +nightly fuzz run bodies` (scripts/fuzz): see latchkey_core::fuzzing::bodies.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    latchkey_core::fuzzing::bodies(data);
});
