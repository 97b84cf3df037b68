//! Public ids: a type prefix and 96 random bits, parsed only by their own parser.

/// `<prefix>` + 24 lowercase hex digits (96 random bits): public ids, never credentials.
macro_rules! prefixed_id {
    ($name:ident, $prefix:literal, $what:literal) => {
        #[doc = concat!("A ", $what, " id: `", $prefix, "` and 24 lowercase hex digits.")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            /// Lowercase hex digits after the prefix.
            pub const HEX_DIGITS: usize = 24;

            pub fn generate() -> Result<Self, $crate::crypto::CryptoError> {
                let bytes = $crate::crypto::random_bytes::<12>()?;
                let hex: String = $crate::hex::encode(&bytes);
                Ok($name(format!("{}{hex}", $prefix)))
            }

            pub fn parse(text: &str) -> Result<Self, String> {
                let well_formed = text.strip_prefix($prefix).is_some_and(|hex| {
                    hex.len() == Self::HEX_DIGITS
                        && hex
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                });
                if well_formed {
                    Ok($name(text.to_owned()))
                } else {
                    Err(format!(
                        "{} ids are {}followed by 24 lowercase hex digits",
                        $what, $prefix
                    ))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                $name::parse(&text).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}

// Ids named by a module below the one that owns them live here, so the lower module does not
// reach up: a wrap records the access request that left it. The owner re-exports its id.
prefixed_id!(AccessRequestId, "req_", "access request");
// An environment names the agents whose discovered secrets it scopes (see the project module).
prefixed_id!(AgentId, "agt_", "agent");
// A workflow's stage names users and roles, and every kind of request shows its stages
// (issue 24, the stage module): below `people` and `role`, which re-export them.
prefixed_id!(UserId, "usr_", "user");
prefixed_id!(RoleId, "rol_", "role");
