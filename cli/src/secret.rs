//! Strings that must never be printed by accident: tokens and secret values.

use std::fmt;
use zeroize::Zeroizing;

/// A token or a secret value. `Debug` shows `[redacted]`, there is no `Display`, and the
/// memory is wiped when it is dropped. Read it with [`Secret::expose`], only where it is sent
/// or where the user asked to see it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(text: String) -> Self {
        Secret(Zeroizing::new(text))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("lk_tok_tn_abc_supersecret".into());
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.expose(), "lk_tok_tn_abc_supersecret");
    }
}
