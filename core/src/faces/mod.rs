//! Faces: other products' APIs served as written, as thin translations onto the same
//! tenant commands.

pub mod api;
