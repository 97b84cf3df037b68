#![no_main]
//! `cargo +nightly fuzz run broker` (scripts/fuzz): see latchkey_core::fuzzing::broker.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    latchkey_core::fuzzing::broker(data);
});
