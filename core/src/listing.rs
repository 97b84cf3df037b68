//! `GET /v1/secrets`: the query of a list, its cursor, and its page.

use crate::error::ApiError;
use crate::path::SecretPath;
use crate::secret::{SecretSummary, Tier};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;
/// Each tag filter binds two SQL parameters; SQLite in a DO allows 100 per statement.
pub const MAX_TAG_FILTERS: usize = 20;
/// `q`, the substring searched for.
pub const MAX_Q_BYTES: usize = 256;
/// `expiring_within`: ten years.
pub const MAX_EXPIRING_WITHIN_SECONDS: u64 = 10 * 365 * 86_400;
const CURSOR_PREFIX: &str = "after:";

/// A validated list query. Pages are ordered by path; the cursor is the last path of the
/// previous page, so rows added while a client pages are neither repeated nor skipped
/// behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListQuery {
    /// A path prefix of whole segments: `production` or `production/openai`.
    pub namespace: Option<SecretPath>,
    /// `tag=key:value`, repeatable, all must match.
    pub tags: Vec<(String, String)>,
    pub tier: Option<Tier>,
    /// Case-insensitive substring of the path, description or tags (the search).
    pub q: Option<String>,
    /// Only secrets whose `expires_at` is at most this many seconds away (already expired
    /// ones included).
    pub expiring_within: Option<u64>,
    pub include_deleted: bool,
    /// Only the secrets this environment holds by [`crate::project::environment_of_path`]'s
    /// rule (issue 24).
    pub environment: Option<crate::project::EnvironmentId>,
    pub limit: u32,
    pub after: Option<SecretPath>,
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_request(message).with("field", field)
}

impl ListQuery {
    /// Parses decoded query pairs; unknown parameters are rejected so a typo is not silently
    /// a wider list.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ApiError> {
        let mut query = ListQuery {
            limit: DEFAULT_LIMIT,
            ..ListQuery::default()
        };
        for (name, value) in pairs {
            match name {
                "namespace" => {
                    let ns = SecretPath::parse(value.trim_end_matches('/'))
                        .map_err(|why| bad("namespace", format!("namespace: {why}")))?;
                    query.namespace = Some(ns);
                }
                "tag" => {
                    let (key, tag_value) = value
                        .split_once(':')
                        .filter(|(k, _)| !k.is_empty())
                        .ok_or_else(|| bad("tag", "tag filters read tag=key:value"))?;
                    if query.tags.len() == MAX_TAG_FILTERS {
                        return Err(bad("tag", format!("at most {MAX_TAG_FILTERS} tag filters")));
                    }
                    query.tags.push((key.to_owned(), tag_value.to_owned()));
                }
                "tier" => {
                    query.tier = Some(Tier::parse(value).ok_or_else(|| {
                        bad(
                            "tier",
                            "tier must be one of 'standard', 'sensitive', 'critical'",
                        )
                    })?);
                }
                "q" => {
                    if value.len() > MAX_Q_BYTES {
                        return Err(bad("q", format!("q is longer than {MAX_Q_BYTES} bytes")));
                    }
                    query.q = (!value.is_empty()).then(|| value.to_owned());
                }
                "expiring_within" => {
                    let seconds = value
                        .parse::<u64>()
                        .ok()
                        .filter(|s| *s <= MAX_EXPIRING_WITHIN_SECONDS);
                    query.expiring_within = Some(seconds.ok_or_else(|| {
                        bad(
                            "expiring_within",
                            "expiring_within must be a number of seconds (at most 10 years)",
                        )
                    })?);
                }
                "include_deleted" => {
                    query.include_deleted = match value {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(bad(
                                "include_deleted",
                                "include_deleted must be true or false",
                            ));
                        }
                    };
                }
                "limit" => {
                    query.limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|l| (1..=MAX_LIMIT).contains(l))
                        .ok_or_else(|| {
                            bad("limit", format!("limit must be from 1 to {MAX_LIMIT}"))
                        })?;
                }
                "cursor" => query.after = Some(decode_cursor(value)?),
                "environment" => {
                    query.environment = Some(crate::project::parse_environment_filter(value)?);
                }
                other => {
                    return Err(bad(
                        other,
                        format!(
                            "unknown parameter '{other}'; expected namespace, tag, tier, q, expiring_within, include_deleted, environment, limit or cursor"
                        ),
                    ));
                }
            }
        }
        Ok(query)
    }
}

/// The opaque cursor for "after this path".
pub fn encode_cursor(after: &SecretPath) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{after}"))
}

fn decode_cursor(text: &str) -> Result<SecretPath, ApiError> {
    let invalid = || bad("cursor", "cursor is not one this API returned");
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    let decoded = String::from_utf8(bytes).map_err(|_| invalid())?;
    let path = decoded.strip_prefix(CURSOR_PREFIX).ok_or_else(invalid)?;
    SecretPath::parse(path).map_err(|_| invalid())
}

/// One page of `GET /v1/secrets`: metadata only, never values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretPage {
    pub items: Vec<SecretSummary>,
    /// How many secrets match the filters, over all pages.
    pub total: u64,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<ListQuery, ApiError> {
        ListQuery::parse(pairs.iter().copied())
    }

    #[test]
    fn defaults_and_every_parameter() {
        assert_eq!(parse(&[]).unwrap().limit, DEFAULT_LIMIT);
        let cursor = encode_cursor(&SecretPath::parse("prod/b").unwrap());
        let query = parse(&[
            ("namespace", "production/openai"),
            ("tag", "team:ml"),
            ("tag", "env:prod:eu"),
            ("tier", "critical"),
            ("q", "OpenAI"),
            ("expiring_within", "3600"),
            ("include_deleted", "true"),
            ("limit", "200"),
            ("cursor", &cursor),
        ])
        .unwrap();
        assert_eq!(query.namespace.unwrap().as_str(), "production/openai");
        assert_eq!(
            query.tags,
            vec![
                ("team".into(), "ml".into()),
                ("env".into(), "prod:eu".into())
            ]
        );
        assert_eq!(query.tier, Some(Tier::Critical));
        assert_eq!(query.q.as_deref(), Some("OpenAI"));
        assert_eq!(query.expiring_within, Some(3600));
        assert!(query.include_deleted);
        assert_eq!(query.limit, 200);
        assert_eq!(query.after.unwrap().as_str(), "prod/b");
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("limit", "0")], "limit"),
            (&[("limit", "201")], "limit"),
            (&[("limit", "x")], "limit"),
            (&[("namespace", "a//b")], "namespace"),
            (&[("tag", "novalue")], "tag"),
            (&[("tag", ":v")], "tag"),
            (&[("tier", "gold")], "tier"),
            (&[("expiring_within", "-5")], "expiring_within"),
            (&[("include_deleted", "yes")], "include_deleted"),
            (&[("cursor", "!!")], "cursor"),
            (&[("cursor", "YWJj")], "cursor"),
            (&[("colour", "x")], "colour"),
        ];
        for (pairs, field) in cases {
            let err = parse(pairs).unwrap_err();
            assert_eq!(err.status(), 400, "{pairs:?}");
            assert_eq!(
                err.details.get("field").and_then(|v| v.as_str()),
                Some(*field),
                "{pairs:?}"
            );
        }
        let many: Vec<(&str, &str)> = (0..21).map(|_| ("tag", "k:v")).collect();
        assert!(parse(&many).is_err());
    }

    #[test]
    fn cursor_round_trips_and_is_opaque() {
        let path = SecretPath::parse("a/b-c").unwrap();
        let cursor = encode_cursor(&path);
        assert!(!cursor.contains("a/b"));
        assert_eq!(decode_cursor(&cursor).unwrap(), path);
    }
}
