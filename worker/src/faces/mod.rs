//! Faces: foreign APIs under prefixes of their own (`latchkey_core::faces`), each answering in
//! its own shape.

pub mod ass;
