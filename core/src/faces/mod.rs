//! Faces: foreign APIs served as written, each a thin translation onto the tenant commands
//! (the native API stays as it is). One module per face.

pub mod ass;
