//! All authorization in the object, in one module: who is calling (`access`: the principals'
//! checks and tokens: authenticate, mint, revoke), who may move a value (`gate`, the one gate),
//! whose hand made what (`provenance`: same hand, cascades), and the tokens kept between
//! requests (`token_cache`). The decisions are pure and live in the core
//! (`latchkey_core::gate`, `latchkey_core::provenance`); this module looks up what they need.
//! What each command requires is stated once, in its rules in the contract.

pub mod access;
pub mod gate;
pub mod provenance;
pub mod token_cache;
