//! Scopes: what a token may do. Deny by default: a request is allowed only when one of the
//! caller's scopes covers the scope the request needs.
//!
//! ```text
//! secrets:<action>:<glob>   action = read | write | delete | rotate | use | *
//! tokens:create  approvals:decide  audit:read  policies:write  agents:admin  users:admin
//! roles:admin  namespaces:read  admin
//! ```
//! A glob is a secret path whose segments may be `*`. A `*` in the middle stands for exactly
//! one segment; a final `*` for one or more (`production/openai/*` covers every path below
//! `production/openai/`, not `production/openai` itself); `*` alone covers every path. Partial
//! wildcards (`api-*`) are refused rather than guessed at.

use crate::error::ApiError;
use crate::path::{MAX_PATH_BYTES, MAX_PATH_SEGMENTS, SecretPath};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// Scopes one token may hold.
pub const MAX_SCOPES: usize = 20;

/// What a `secrets:` scope lets its holder do to matching secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretAction {
    Read,
    Write,
    Delete,
    Rotate,
    /// Use through the broker (`POST /v1/proxy`) without reading: the value goes to an
    /// allowed upstream, never to the caller. `read` does not imply it, nor it `read`.
    Use,
    /// `*`: every action.
    All,
}

impl SecretAction {
    /// The actions a grant may give, one by one (a grant never gives `*`).
    pub const GRANTABLE: [SecretAction; 5] = [
        SecretAction::Read,
        SecretAction::Write,
        SecretAction::Delete,
        SecretAction::Rotate,
        SecretAction::Use,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(SecretAction::Read),
            "write" => Some(SecretAction::Write),
            "delete" => Some(SecretAction::Delete),
            "rotate" => Some(SecretAction::Rotate),
            "use" => Some(SecretAction::Use),
            "*" => Some(SecretAction::All),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SecretAction::Read => "read",
            SecretAction::Write => "write",
            SecretAction::Delete => "delete",
            SecretAction::Rotate => "rotate",
            SecretAction::Use => "use",
            SecretAction::All => "*",
        }
    }

    fn covers(self, other: SecretAction) -> bool {
        self == SecretAction::All || self == other
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum GlobSegment {
    Literal(String),
    /// Exactly one segment.
    Any,
}

/// A validated path glob.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathGlob {
    /// The segments before a final `*` (or all of them, when there is none).
    segments: Vec<GlobSegment>,
    /// A final `*`: one or more further segments.
    descendants: bool,
}

impl PathGlob {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("the path glob is empty; use '*' for every path".into());
        }
        if text.len() > MAX_PATH_BYTES {
            return Err(format!(
                "the path glob is longer than {MAX_PATH_BYTES} bytes"
            ));
        }
        let parts: Vec<&str> = text.split('/').collect();
        if parts.len() > MAX_PATH_SEGMENTS {
            return Err(format!(
                "the path glob has more than {MAX_PATH_SEGMENTS} segments"
            ));
        }
        let descendants = parts.last() == Some(&"*");
        let fixed = if descendants {
            parts.len().saturating_sub(1)
        } else {
            parts.len()
        };
        let mut segments = Vec::with_capacity(fixed);
        for part in parts.iter().take(fixed) {
            if *part == "*" {
                segments.push(GlobSegment::Any);
                continue;
            }
            if part.contains('*') {
                return Err(format!(
                    "'{part}': a '*' must be a whole segment (e.g. 'production/*')"
                ));
            }
            // A literal segment follows the path grammar exactly.
            SecretPath::parse(part).map_err(|why| format!("in the path glob: {why}"))?;
            segments.push(GlobSegment::Literal((*part).to_owned()));
        }
        Ok(PathGlob {
            segments,
            descendants,
        })
    }

    /// `*`: every path.
    pub fn everything() -> Self {
        PathGlob {
            segments: Vec::new(),
            descendants: true,
        }
    }

    /// How many fixed (non-`*`) segments the glob has: more means more specific.
    pub fn literal_segments(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, GlobSegment::Literal(_)))
            .count()
    }

    /// The glob that matches exactly `path`.
    pub fn exact(path: &SecretPath) -> Self {
        PathGlob {
            segments: path
                .as_str()
                .split('/')
                .map(|s| GlobSegment::Literal(s.to_owned()))
                .collect(),
            descendants: false,
        }
    }

    pub fn matches(&self, path: &SecretPath) -> bool {
        let parts: Vec<&str> = path.as_str().split('/').collect();
        let enough = if self.descendants {
            parts.len() > self.segments.len()
        } else {
            parts.len() == self.segments.len()
        };
        enough
            && self
                .segments
                .iter()
                .zip(&parts)
                .all(|(glob, part)| match glob {
                    GlobSegment::Any => true,
                    GlobSegment::Literal(literal) => literal == part,
                })
    }

    /// Whether every path this glob matches is matched by `other` too.
    pub fn is_within(&self, other: &PathGlob) -> bool {
        let own = self.segments.len();
        let theirs = other.segments.len();
        let long_enough = match (self.descendants, other.descendants) {
            (false, false) => own == theirs,
            (true, false) => false,
            // Our paths have at least `own` (+1 without a final `*`) segments; theirs need
            // at least `theirs + 1`.
            (false, true) => own > theirs,
            (true, true) => own >= theirs,
        };
        long_enough
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|(mine, theirs)| match (mine, theirs) {
                    (_, GlobSegment::Any) => true,
                    (GlobSegment::Literal(a), GlobSegment::Literal(b)) => a == b,
                    (GlobSegment::Any, GlobSegment::Literal(_)) => false,
                })
    }

    /// Whether this glob can match at least one path inside `namespace` (a path prefix of
    /// whole segments), or the namespace itself.
    pub fn may_match_within(&self, namespace: &str) -> bool {
        namespace
            .split('/')
            .zip(&self.segments)
            .all(|(part, glob)| match glob {
                GlobSegment::Any => true,
                GlobSegment::Literal(literal) => literal == part,
            })
    }
}

impl fmt::Display for PathGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<&str> = self
            .segments
            .iter()
            .map(|s| match s {
                GlobSegment::Literal(literal) => literal.as_str(),
                GlobSegment::Any => "*",
            })
            .collect();
        if self.descendants {
            parts.push("*");
        }
        f.write_str(&parts.join("/"))
    }
}

/// One scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Secrets {
        action: SecretAction,
        glob: PathGlob,
    },
    TokensCreate,
    ApprovalsDecide,
    AuditRead,
    PoliciesWrite,
    /// Bootstrap tokens, agents, their commands and discoveries, and grants.
    AgentsAdmin,
    /// Users and the roles they hold.
    UsersAdmin,
    /// Role definitions.
    RolesAdmin,
    /// Seed 001's `workflow.edit`: creating, changing and deleting approval workflows (issue
    /// 24, `latchkey_contract::caller::workflows`); only `admin` covers it.
    WorkflowsEdit,
    /// Seed 001's `integration.edit`: changing the tenant's Argo CD endpoints and GitOps app
    /// mappings (issue 24, `latchkey_contract::caller::gitops`); only `admin` covers it.
    IntegrationsEdit,
    /// The names of the tenant's namespaces and how many secrets each holds, never a secret
    /// (`GET /ass/v1/namespaces`, the agentsecretstore clients' `list_namespaces`).
    NamespacesRead,
    /// Projects and environments (issue 24): create, archive, delete (reads are any bearer's).
    ProjectsAdmin,
    /// Seed 000's `ssh:discover`: the SSH keys every agent reported, tenant-wide
    /// (`GET /api/v1/ssh/discovery`). `agents:admin` covers it: it reads the same keys per agent.
    SshDiscover,
    /// Everything, including every other scope. The tenant's master key holds it.
    Admin,
}

const NAMED_SCOPES: &[(&str, Scope)] = &[
    ("tokens:create", Scope::TokensCreate),
    ("approvals:decide", Scope::ApprovalsDecide),
    ("audit:read", Scope::AuditRead),
    ("policies:write", Scope::PoliciesWrite),
    ("agents:admin", Scope::AgentsAdmin),
    ("users:admin", Scope::UsersAdmin),
    ("roles:admin", Scope::RolesAdmin),
    ("workflow.edit", Scope::WorkflowsEdit),
    ("integration.edit", Scope::IntegrationsEdit),
    ("namespaces:read", Scope::NamespacesRead),
    ("projects:admin", Scope::ProjectsAdmin),
    ("ssh:discover", Scope::SshDiscover),
    ("admin", Scope::Admin),
];

/// The permission names of seeds 000 and 001 (the `/api/v1` face), accepted wherever a scope
/// is, each as the Latchkey scope it names. A name never reaches further than it says:
/// `agent.mint` and `agent.revoke` need the whole of `agents:admin`, because Latchkey has no
/// narrower agent scope, and that is what bootstrapping (minting) and revoking require.
/// They are stored and shown as the scope, so a role reads back in Latchkey's names.
pub const SEED_PERMISSION_ALIASES: &[(&str, &str)] = &[
    ("agent:admin", "agents:admin"),
    ("agent.mint", "agents:admin"),
    ("agent.revoke", "agents:admin"),
    ("role.edit", "roles:admin"),
    ("user_role.edit", "users:admin"),
    ("policy.edit", "policies:write"),
    ("audit.read", "audit:read"),
];

impl Scope {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = SEED_PERMISSION_ALIASES
            .iter()
            .find(|(alias, _)| *alias == text)
            .map_or(text, |(_, scope)| *scope);
        if let Some((_, scope)) = NAMED_SCOPES.iter().find(|(name, _)| *name == text) {
            return Ok(scope.clone());
        }
        let Some(rest) = text.strip_prefix("secrets:") else {
            return Err(format!(
                "unknown scope '{text}'; expected secrets:<read|write|delete|rotate|use|*>:<path glob>, tokens:create, approvals:decide, audit:read, policies:write, agents:admin, users:admin, roles:admin, namespaces:read, projects:admin, ssh:discover, workflow.edit, integration.edit or admin (or a seed name: agent:admin, agent.mint, agent.revoke, role.edit, user_role.edit, policy.edit, audit.read)"
            ));
        };
        let (action, glob) = rest.split_once(':').ok_or_else(|| {
            format!("scope '{text}' needs a path glob: secrets:<action>:<glob>, e.g. secrets:read:production/*")
        })?;
        let action = SecretAction::parse(action).ok_or_else(|| {
            format!("scope '{text}': the action must be read, write, delete, rotate, use or *")
        })?;
        let glob = PathGlob::parse(glob).map_err(|why| format!("scope '{text}': {why}"))?;
        Ok(Scope::Secrets { action, glob })
    }

    /// `secrets:<action>:*`.
    pub fn everywhere(action: SecretAction) -> Self {
        Scope::Secrets {
            action,
            glob: PathGlob::everything(),
        }
    }

    /// The scope a request for `action` on `path` needs.
    pub fn for_secret(action: SecretAction, path: &SecretPath) -> Self {
        Scope::Secrets {
            action,
            glob: PathGlob::exact(path),
        }
    }

    /// Whether holding `self` is enough for everything `other` allows.
    pub fn covers(&self, other: &Scope) -> bool {
        match (self, other) {
            (Scope::Admin, _) => true,
            (Scope::AgentsAdmin, Scope::SshDiscover) => true,
            (
                Scope::Secrets { action, glob },
                Scope::Secrets {
                    action: wanted,
                    glob: wanted_glob,
                },
            ) => action.covers(*wanted) && wanted_glob.is_within(glob),
            (mine, theirs) => mine == theirs,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Secrets { action, glob } => write!(f, "secrets:{}:{glob}", action.as_str()),
            other => {
                let name = NAMED_SCOPES
                    .iter()
                    .find(|(_, scope)| scope == other)
                    .map(|(name, _)| *name)
                    .unwrap_or("admin");
                f.write_str(name)
            }
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Scope::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A body's scopes member as it comes: one string or a list of strings; absent or `null` is
/// `None`. [`ScopeSet::from_member`] checks the scopes themselves.
#[derive(Debug, Default)]
pub struct ScopeTexts(pub Option<Vec<String>>);

impl<'de> Deserialize<'de> for ScopeTexts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(ScopeTexts(None)),
            Value::String(text) => Ok(ScopeTexts(Some(vec![text]))),
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text),
                    _ => Err(D::Error::custom("must list strings")),
                })
                .collect::<Result<_, _>>()
                .map(|texts| ScopeTexts(Some(texts))),
            _ => Err(D::Error::custom("must be a scope string or a list of them")),
        }
    }
}

/// The scopes a caller holds. Serialized as one string when there is one, else a list, the
/// way a client may send them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// The master key's scopes.
    pub fn admin() -> Self {
        ScopeSet(vec![Scope::Admin])
    }

    /// Scopes assembled by the server (an agent's grants), not parsed from a request.
    pub fn from_scopes(scopes: Vec<Scope>) -> Self {
        ScopeSet(scopes)
    }

    pub fn scopes(&self) -> &[Scope] {
        &self.0
    }

    /// Checks a body's scopes member (`scope`, `permissions`): one scope string or a list of
    /// 1..=20; absent or `null` is refused.
    pub fn from_member(member: &str, texts: ScopeTexts) -> Result<Self, ApiError> {
        let bad = |why: String| ApiError::validation(member, why);
        let Some(texts) = texts.0 else {
            return Err(bad(format!("'{member}' is required")));
        };
        if texts.is_empty() || texts.len() > MAX_SCOPES {
            return Err(bad(format!(
                "'{member}' must hold 1 to {MAX_SCOPES} scopes"
            )));
        }
        let mut scopes: Vec<Scope> = Vec::with_capacity(texts.len());
        for text in texts {
            let scope = Scope::parse(&text).map_err(bad)?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Ok(ScopeSet(scopes))
    }

    /// Whether some scope covers `wanted`.
    pub fn covers(&self, wanted: &Scope) -> bool {
        self.0.iter().any(|scope| scope.covers(wanted))
    }

    pub fn allows_secret(&self, action: SecretAction, path: &SecretPath) -> bool {
        self.covers(&Scope::for_secret(action, path))
    }

    /// The first of `other`'s scopes that this set does not cover, if any.
    pub fn first_uncovered<'a>(&self, other: &'a ScopeSet) -> Option<&'a Scope> {
        other.0.iter().find(|scope| !self.covers(scope))
    }

    /// Whether the set allows `action` on some path (the MCP tool list: a value-returning tool
    /// exists only for a caller that may read values somewhere).
    pub fn allows_somewhere(&self, action: SecretAction) -> bool {
        self.0.iter().any(|scope| match scope {
            Scope::Admin => true,
            Scope::Secrets { action: held, .. } => held.covers(action),
            _ => false,
        })
    }

    /// Whether the set allows `action` on every path (then lists need no filtering).
    pub fn allows_everywhere(&self, action: SecretAction) -> bool {
        self.covers(&Scope::everywhere(action))
    }

    /// Whether any scope gives access of any kind to `path` (what an approval policy looks
    /// at when a token is requested).
    pub fn reaches(&self, path: &SecretPath) -> bool {
        self.0.iter().any(|scope| match scope {
            Scope::Admin => true,
            Scope::Secrets { glob, .. } => glob.matches(path),
            _ => false,
        })
    }

    /// The globs under which `action` is allowed.
    pub fn globs_for(&self, action: SecretAction) -> Vec<&PathGlob> {
        self.0
            .iter()
            .filter_map(|scope| match scope {
                Scope::Secrets { action: a, glob } if a.covers(action) => Some(glob),
                _ => None,
            })
            .collect()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&texts.join(" "))
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.serialize(serializer),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(Scope),
            Many(Vec<Scope>),
        }
        Ok(match OneOrMany::deserialize(deserializer)? {
            OneOrMany::One(scope) => ScopeSet(vec![scope]),
            OneOrMany::Many(scopes) => ScopeSet(scopes),
        })
    }
}

/// The scope to name in a 403 for `action` on `path`: as the documented 403 shows, the secret's
/// namespace with a final `*` (`secrets:read:production/stripe/*`), or the path itself for a
/// top-level secret.
pub fn required_scope_hint(action: SecretAction, path: &SecretPath) -> String {
    match path.as_str().rsplit_once('/') {
        Some((namespace, _)) => format!("secrets:{}:{namespace}/*", action.as_str()),
        None => format!("secrets:{}:{path}", action.as_str()),
    }
}

/// Both travel as their text (`read`, `prod/*`), the way clients write them.
macro_rules! serde_as_text {
    ($name:ident, $parse:expr, $expected:literal) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_string())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $parse(&text).ok_or_else(|| serde::de::Error::custom($expected))
            }
        }
    };
}

serde_as_text!(
    SecretAction,
    SecretAction::parse,
    "expected read, write, delete, rotate, use or *"
);
serde_as_text!(
    PathGlob,
    |t: &str| PathGlob::parse(t).ok(),
    "expected a path glob"
);

impl fmt::Display for SecretAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
