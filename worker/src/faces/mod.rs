//! Faces: other products' APIs served as written ([`latchkey_core::faces`]).

pub mod api;
