//! Faces: another product's API served as written, each a thin translation onto the tenant
//! commands (issue 21). One module per face.

pub mod api;
pub mod ass;
pub mod maestro;
pub mod vault002;
