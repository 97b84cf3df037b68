//! The tenant object's side of the faces (`latchkey_core::faces`): only what no native
//! command does.

pub mod ass;
