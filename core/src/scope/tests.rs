use super::*;

#[test]
fn allows_somewhere_read_only_for_a_reading_scope() {
    let set = |texts: &[&str]| {
        ScopeSet::from_scopes(texts.iter().map(|t| Scope::parse(t).unwrap()).collect())
    };
    assert!(ScopeSet::admin().allows_somewhere(SecretAction::Read));
    assert!(set(&["secrets:read:prod/*"]).allows_somewhere(SecretAction::Read));
    assert!(!set(&["secrets:use:prod/*", "tokens:create"]).allows_somewhere(SecretAction::Read));
    assert!(!set(&[]).allows_somewhere(SecretAction::Read));
}

#[test]
fn seed_permission_alias_parses_as_the_scope_it_names() {
    for (alias, scope) in SEED_PERMISSION_ALIASES {
        assert_eq!(Scope::parse(alias), Scope::parse(scope), "{alias}");
        assert_eq!(Scope::parse(alias).unwrap().to_string(), *scope);
    }
    assert_eq!(Scope::parse("agent:admin"), Ok(Scope::AgentsAdmin));
    assert_eq!(Scope::parse("role.edit"), Ok(Scope::RolesAdmin));
    assert_eq!(Scope::parse("user_role.edit"), Ok(Scope::UsersAdmin));
    assert_eq!(Scope::parse("policy.edit"), Ok(Scope::PoliciesWrite));
    assert_eq!(Scope::parse("audit.read"), Ok(Scope::AuditRead));
    assert!(Scope::parse("agent.delete").is_err());
    assert!(Scope::parse("AUDIT.READ").is_err());
}

#[test]
fn reserved_seed_permission_covers_nothing_but_itself() {
    let workflow = Scope::parse("workflow.edit").unwrap();
    let integration = Scope::parse("integration.edit").unwrap();
    assert_eq!(workflow.to_string(), "workflow.edit");
    assert_eq!(integration.to_string(), "integration.edit");
    for other in [
        Scope::PoliciesWrite,
        Scope::AgentsAdmin,
        Scope::Admin,
        Scope::everywhere(SecretAction::All),
        integration.clone(),
    ] {
        assert!(!workflow.covers(&other), "workflow.edit covers {other}");
        assert!(!integration.covers(&other) || other == integration);
    }
    assert!(Scope::Admin.covers(&workflow));
    assert!(Scope::Admin.covers(&integration));
}
#[test]
fn ssh_discover_is_covered_by_agents_admin_and_covers_nothing_else() {
    let ssh = Scope::parse("ssh:discover").unwrap();
    assert_eq!(ssh, Scope::SshDiscover);
    assert_eq!(ssh.to_string(), "ssh:discover");
    assert!(Scope::AgentsAdmin.covers(&ssh));
    assert!(Scope::Admin.covers(&ssh));
    for other in [
        Scope::AgentsAdmin,
        Scope::AuditRead,
        Scope::Admin,
        Scope::everywhere(SecretAction::All),
    ] {
        assert!(!ssh.covers(&other), "ssh:discover covers {other}");
    }
    assert!(!Scope::ProjectsAdmin.covers(&ssh));
}

use proptest::prelude::*;

fn glob(text: &str) -> PathGlob {
    PathGlob::parse(text).unwrap()
}

fn path(text: &str) -> SecretPath {
    SecretPath::parse(text).unwrap()
}

fn scope(text: &str) -> Scope {
    Scope::parse(text).unwrap()
}

#[test]
fn globs_match_as_documented() {
    let cases = [
        ("production/openai/*", "production/openai/api-key", true),
        ("production/openai/*", "production/openai/a/b", true),
        ("production/openai/*", "production/openai", false),
        ("production/openai/*", "production/openaix/key", false),
        ("production/*/api-key", "production/openai/api-key", true),
        ("production/*/api-key", "production/a/b/api-key", false),
        ("*", "anything", true),
        ("*", "any/thing/deep", true),
        ("a/b", "a/b", true),
        ("a/b", "a/b/c", false),
        ("*/*", "a/b", true),
        ("*/*", "a", false),
        ("*/*", "a/b/c", true),
    ];
    for (g, p, expected) in cases {
        assert_eq!(glob(g).matches(&path(p)), expected, "{g} vs {p}");
    }
}

#[test]
fn use_and_read_are_separate_and_star_covers_both() {
    let secret = path("production/openai/api-key");
    let use_only = ScopeSet::from_scopes(vec![scope("secrets:use:production/*")]);
    assert!(use_only.allows_secret(SecretAction::Use, &secret));
    assert!(!use_only.allows_secret(SecretAction::Read, &secret));
    let read_only = ScopeSet::from_scopes(vec![scope("secrets:read:production/*")]);
    assert!(!read_only.allows_secret(SecretAction::Use, &secret));
    let star = ScopeSet::from_scopes(vec![scope("secrets:*:production/*")]);
    assert!(star.allows_secret(SecretAction::Use, &secret));
    assert!(star.allows_secret(SecretAction::Read, &secret));
    assert!(ScopeSet::admin().allows_secret(SecretAction::Use, &secret));
    assert_eq!(scope("secrets:use:a/*").to_string(), "secrets:use:a/*");
    assert_eq!(
        required_scope_hint(SecretAction::Use, &secret),
        "secrets:use:production/openai/*"
    );
}

#[test]
fn bad_globs_and_scopes_are_refused_with_a_reason() {
    for bad in ["", "a//b", "api-*", "a/**", "a/./b", "a/ b", "/a"] {
        assert!(PathGlob::parse(bad).is_err(), "{bad}");
    }
    for bad in [
        "secrets",
        "secrets:read",
        "secrets:list:a",
        "secrets:read:",
        "tokens:delete",
        "Admin",
        "read",
    ] {
        assert!(Scope::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn scopes_print_as_parsed() {
    for text in [
        "secrets:read:production/openai/*",
        "secrets:*:*",
        "secrets:rotate:a/*/c",
        "tokens:create",
        "approvals:decide",
        "audit:read",
        "policies:write",
        "namespaces:read",
        "admin",
    ] {
        assert_eq!(scope(text).to_string(), text);
    }
}

#[test]
fn coverage_follows_action_and_glob() {
    let read_openai = scope("secrets:read:production/openai/*");
    let key = path("production/openai/api-key");
    assert!(read_openai.covers(&Scope::for_secret(SecretAction::Read, &key)));
    assert!(!read_openai.covers(&Scope::for_secret(SecretAction::Write, &key)));
    assert!(!read_openai.covers(&Scope::for_secret(
        SecretAction::Read,
        &path("production/stripe/api-key")
    )));
    assert!(scope("secrets:*:production/*").covers(&read_openai));
    assert!(!read_openai.covers(&scope("secrets:read:production/*")));
    assert!(scope("admin").covers(&scope("tokens:create")));
    assert!(!scope("tokens:create").covers(&scope("admin")));
    assert!(!read_openai.covers(&scope("audit:read")));
}

#[test]
fn glob_containment_cases() {
    let within = [
        ("a/b", "a/*", true),
        ("a/*", "a/*", true),
        ("a/b/*", "a/*", true),
        ("a/*", "a/b/*", false),
        ("a/*", "*", true),
        ("*", "a/*", false),
        ("*", "*", true),
        ("a/*/c", "a/*", true),
        ("a/*/c", "a/b/c", false),
        ("a/b/c", "a/*/c", true),
        ("a", "a/*", false),
        ("a/*", "a", false),
        ("*/*", "*", true),
        ("*", "*/*", false),
    ];
    for (a, b, expected) in within {
        assert_eq!(glob(a).is_within(&glob(b)), expected, "{a} within {b}");
    }
}

/// A body with one scopes member, as token requests and roles have.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeBody {
    #[serde(default)]
    scope: ScopeTexts,
}

fn scope_set(bytes: &[u8]) -> Result<ScopeSet, ApiError> {
    ScopeSet::from_member("scope", crate::body::parse::<ScopeBody>(bytes)?.scope)
}

#[test]
fn scope_sets_parse_strings_and_lists() {
    let set = scope_set(br#"{"scope": "secrets:read:a/*"}"#).unwrap();
    assert_eq!(serde_json::to_value(&set).unwrap(), "secrets:read:a/*");
    let set =
        scope_set(br#"{"scope": ["secrets:read:a/*", "tokens:create", "tokens:create"]}"#).unwrap();
    assert_eq!(set.scopes().len(), 2, "duplicates fold");
    let back: ScopeSet = serde_json::from_value(serde_json::to_value(&set).unwrap()).unwrap();
    assert_eq!(back, set);
    for bad in [
        r#"{}"#,
        r#"{"scope": []}"#,
        r#"{"scope": 5}"#,
        r#"{"scope": [5]}"#,
        r#"{"scope": "secrets:peek:a"}"#,
    ] {
        let err = scope_set(bad.as_bytes()).unwrap_err();
        assert_eq!(err.status(), 422, "{bad}");
    }
}

#[test]
fn sets_find_what_they_do_not_cover() {
    let parent = ScopeSet(vec![scope("secrets:read:prod/*"), scope("tokens:create")]);
    let child = ScopeSet(vec![scope("secrets:read:prod/db/*")]);
    assert_eq!(parent.first_uncovered(&child), None);
    let greedy = ScopeSet(vec![
        scope("secrets:read:prod/*"),
        scope("secrets:write:prod/*"),
    ]);
    assert_eq!(
        parent.first_uncovered(&greedy),
        Some(&scope("secrets:write:prod/*"))
    );
    assert!(!parent.allows_everywhere(SecretAction::Read));
    assert!(ScopeSet::admin().allows_everywhere(SecretAction::Read));
    assert!(ScopeSet(vec![scope("secrets:*:*")]).allows_everywhere(SecretAction::Read));
    assert_eq!(parent.globs_for(SecretAction::Read).len(), 1);
}

#[test]
fn namespaces_read_is_its_own_scope_that_admin_covers() {
    let names = scope("namespaces:read");
    assert_eq!(names, Scope::NamespacesRead);
    assert!(ScopeSet::admin().covers(&names));
    assert!(!scope("secrets:*:*").covers(&names));
    assert!(!names.covers(&scope("secrets:read:a/*")));
    assert!(!names.covers(&scope("audit:read")));
    assert!(Scope::parse("namespaces:write").is_err());
}

#[test]
fn hints_name_the_namespace_like_the_seed() {
    assert_eq!(
        required_scope_hint(SecretAction::Read, &path("production/stripe/api-key")),
        "secrets:read:production/stripe/*"
    );
    assert_eq!(
        required_scope_hint(SecretAction::Write, &path("top")),
        "secrets:write:top"
    );
}

#[test]
fn namespaces_a_glob_may_reach() {
    assert!(glob("prod/*").may_match_within("prod"));
    assert!(glob("prod/db/*").may_match_within("prod"));
    assert!(glob("*").may_match_within("anything/deep"));
    assert!(!glob("staging/*").may_match_within("prod"));
}

proptest! {
    #[test]
    fn parsing_never_panics(text in "\\PC{0,60}") {
        let _ = Scope::parse(&text);
        let _ = PathGlob::parse(&text);
    }

    #[test]
    fn a_glob_covers_every_path_it_matches(
        segs in proptest::collection::vec("[a-c]{1,2}", 1..5),
        cut in 0usize..5,
    ) {
        let p = path(&segs.join("/"));
        let prefix: Vec<&str> = segs.iter().take(cut.min(segs.len() - 1)).map(String::as_str).collect();
        let g = if prefix.is_empty() { glob("*") } else { glob(&format!("{}/*", prefix.join("/"))) };
        prop_assert!(g.matches(&p));
        prop_assert!(PathGlob::exact(&p).is_within(&g));
    }
}
