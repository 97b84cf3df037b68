//! Faces: another product's API served as written at its own prefix (issue 21), each a thin
//! translation onto the tenant commands. One module per face.

pub mod api;
pub mod ass;
pub mod maestro;
pub mod vault002;
