//! Issue 24's projects and environments: the scope rule over real rows, and that deleting an
//! environment or archiving a project never deletes a secret (refused while it holds any,
//! unless forced, which detaches and is audited).

use crate::support::{Object, event};
use latchkey_contract::caller::projects::*;
use latchkey_core::ErrorCode;
use latchkey_core::project::{
    EnvironmentId, EnvironmentView, NewEnvironment, NewProject, ProjectId, ProjectStatus,
    ProjectView,
};

fn project(object: &Object, name: &str) -> ProjectView {
    let body = format!(r#"{{"name": "{name}"}}"#);
    object
        .master(CreateProject {
            project: NewProject::parse(body.as_bytes()).unwrap(),
        })
        .unwrap()
}

fn environment(
    object: &Object,
    project: &ProjectId,
    name: &str,
    prefix: &str,
    clusters: &str,
) -> Result<EnvironmentView, latchkey_core::ApiError> {
    let body = format!(
        r#"{{"project_id": "{project}", "name": "{name}", "path_prefix": "{prefix}", "clusters": {clusters}}}"#
    );
    object.master(CreateEnvironment {
        environment: NewEnvironment::parse(body.as_bytes()).unwrap(),
    })
}

fn discovered(object: &Object, cluster: &str, reference: &str) {
    object.rows(&format!(
        "INSERT INTO discovered_secrets (id, agent_id, cluster_name, provider, ref, key_names,
         labels, status, first_seen, last_seen) VALUES ('dsc_{reference:0>24}',
         'agt_0123456789abcdef01234567', '{cluster}', 'kubernetes', '{reference}', '[]', '{{}}',
         'active', 0, 0)"
    ));
}

fn delete(
    object: &Object,
    id: &EnvironmentId,
    force: bool,
) -> Result<latchkey_core::project::EnvironmentDeleted, latchkey_core::ApiError> {
    object.master(DeleteEnvironment {
        id: id.clone(),
        force,
    })
}

#[test]
fn project_create_get_list_round_trip_and_audited() {
    let object = Object::new();
    let p = project(&object, "payments");
    assert_eq!(p.status, ProjectStatus::Active);
    assert_eq!(object.last_event(), event("project.created", true));
    assert_eq!(object.master(GetProject { id: p.id.clone() }).unwrap(), p);
    assert_eq!(object.master(ListProjects).unwrap(), vec![p.clone()]);
    // A second project of the same name is refused and changes nothing.
    let e = object
        .master(CreateProject {
            project: NewProject::parse(br#"{"name": "payments"}"#).unwrap(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(object.count("SELECT count(*) FROM projects"), 1);
    let missing = ProjectId::parse("prj_0123456789abcdef01234567").unwrap();
    let e = object.master(GetProject { id: missing }).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains("prj_0123456789abcdef01234567"));
}

#[test]
fn environment_prefix_or_cluster_taken_is_refused_and_changes_nothing() {
    let object = Object::new();
    let p = project(&object, "payments");
    let prod = environment(&object, &p.id, "prod", "prod/", r#"["eu-1"]"#).unwrap();
    assert_eq!(prod.clusters, vec!["eu-1".to_owned()]);
    assert_eq!(object.last_event(), event("environment.created", true));
    for (name, prefix, clusters) in [
        ("other", "prod/", "[]"),
        ("other", "staging/", r#"["eu-1"]"#),
        ("prod", "staging/", "[]"),
    ] {
        let e = environment(&object, &p.id, name, prefix, clusters).unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict, "{name} {prefix} {clusters}");
    }
    assert_eq!(object.count("SELECT count(*) FROM environments"), 1);
    assert_eq!(object.count("SELECT count(*) FROM environment_clusters"), 1);
    // An unknown project is named.
    let e = environment(
        &object,
        &ProjectId::parse("prj_0123456789abcdef01234567").unwrap(),
        "x",
        "x/",
        "[]",
    )
    .unwrap_err();
    assert!(e.message.contains("prj_0123456789abcdef01234567"), "{e:?}");
    assert_eq!(
        object
            .master(ProjectEnvironments { id: p.id.clone() })
            .unwrap(),
        vec![prod.clone()]
    );
    assert_eq!(object.master(ListEnvironments).unwrap(), vec![prod]);
}

#[test]
fn delete_environment_holding_secrets_refused_unless_forced_and_no_secret_deleted() {
    let object = Object::new();
    let p = project(&object, "payments");
    let prod = environment(&object, &p.id, "prod", "prod/", r#"["eu-1"]"#).unwrap();
    let pay = environment(&object, &p.id, "pay", "prod/payments/", "[]").unwrap();
    object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    object.secret(r#"{"path": "prod/payments/stripe", "value": "v"}"#);
    object.secret(r#"{"path": "staging/db", "value": "v"}"#);
    discovered(&object, "eu-1", "a");
    discovered(&object, "us-1", "b");

    // The outer environment holds prod/db (prod/payments/stripe is the inner one's) and the
    // discovered secret in eu-1.
    let e = delete(&object, &prod.id, false).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(
        e.message.contains("1 stored secret(s)") && e.message.contains("1 discovered"),
        "{}",
        e.message
    );
    assert_eq!(object.last_event(), event("environment.deleted", false));
    assert_eq!(object.count("SELECT count(*) FROM environments"), 2);
    assert_eq!(object.count("SELECT count(*) FROM environment_clusters"), 1);

    // Forced: the scope goes, every secret stays, and the event says what it held.
    let deleted = delete(&object, &prod.id, true).unwrap();
    assert!(deleted.forced);
    assert_eq!(deleted.holdings.stored_secrets, 1);
    assert_eq!(deleted.holdings.discovered_secrets, 1);
    assert_eq!(object.last_event(), event("environment.deleted", true));
    let details = object.rows("SELECT details FROM audit_events ORDER BY seq DESC LIMIT 1");
    let details = details[0].text(0).unwrap();
    assert!(details.contains(r#""forced":true"#), "{details}");
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 3);
    assert_eq!(object.count("SELECT count(*) FROM discovered_secrets"), 2);
    assert_eq!(object.count("SELECT count(*) FROM environment_clusters"), 0);

    // The inner one holds its secret; an empty one goes without force.
    assert_eq!(
        delete(&object, &pay.id, false).unwrap_err().code,
        ErrorCode::Conflict
    );
    let empty = environment(&object, &p.id, "empty", "nothing/", "[]").unwrap();
    assert!(!delete(&object, &empty.id, false).unwrap().forced);
    // A deleted (or unknown) environment is 404 naming it.
    let e = delete(&object, &empty.id, false).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains(empty.id.as_str()));
}

#[test]
fn archive_project_holding_secrets_refused_unless_forced() {
    let object = Object::new();
    let p = project(&object, "payments");
    environment(&object, &p.id, "prod", "prod/", "[]").unwrap();
    object.secret(r#"{"path": "prod/db", "value": "v"}"#);
    let archive = |force| {
        object.master(SetProjectStatus {
            id: p.id.clone(),
            status: ProjectStatus::Archived,
            force,
        })
    };
    let e = archive(false).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(
        object
            .master(GetProject { id: p.id.clone() })
            .unwrap()
            .status,
        ProjectStatus::Active
    );
    let changed = archive(true).unwrap();
    assert_eq!(changed.project.status, ProjectStatus::Archived);
    assert!(changed.forced);
    assert_eq!(object.last_event(), event("project.status_changed", true));
    // Archived: its environments stay, no new ones, secrets untouched; reactivating works.
    assert_eq!(object.count("SELECT count(*) FROM environments"), 1);
    assert_eq!(object.count("SELECT count(*) FROM secrets"), 1);
    let e = environment(&object, &p.id, "dev", "dev/", "[]").unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    let back = object
        .master(SetProjectStatus {
            id: p.id.clone(),
            status: ProjectStatus::Active,
            force: false,
        })
        .unwrap();
    assert_eq!(back.project.status, ProjectStatus::Active);
    assert!(!back.forced);
}

#[test]
fn archive_empty_project_needs_no_force() {
    let object = Object::new();
    let p = project(&object, "empty");
    environment(&object, &p.id, "prod", "prod/", "[]").unwrap();
    let changed = object
        .master(SetProjectStatus {
            id: p.id.clone(),
            status: ProjectStatus::Archived,
            force: false,
        })
        .unwrap();
    assert_eq!(changed.project.status, ProjectStatus::Archived);
    assert!(!changed.forced);
}

#[test]
fn project_changes_without_projects_admin_forbidden_naming_it_reads_open() {
    let object = Object::new();
    let token = object.token_with("secrets:*:*");
    let e = object
        .call(
            &token,
            CreateProject {
                project: NewProject::parse(br#"{"name": "x"}"#).unwrap(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert!(e.message.contains("projects:admin"), "{}", e.message);
    // Seed 001's reads are any bearer's.
    assert!(object.call(&token, ListProjects).unwrap().is_empty());
    let admin = object.token_with("projects:admin");
    assert!(object.call(&admin, ListEnvironments).unwrap().is_empty());
}

#[test]
fn secret_lists_environment_filter_follows_the_scope_rule_and_unknown_is_404() {
    use latchkey_contract::caller::discovered::ListDiscovered;
    use latchkey_contract::caller::secrets::ListSecrets;
    use latchkey_core::agent::discovered::DiscoveredQuery;
    use latchkey_core::listing::ListQuery;
    let object = Object::new();
    let p = project(&object, "payments");
    let prod = environment(&object, &p.id, "prod", "prod/", r#"["eu-1"]"#).unwrap();
    let pay = environment(&object, &p.id, "pay", "prod/payments/", r#"["pay-1"]"#).unwrap();
    for path in [
        "prod/db",
        "prod/payments/stripe",
        "production/db",
        "staging/db",
    ] {
        object.secret(&format!(r#"{{"path": "{path}", "value": "v"}}"#));
    }
    discovered(&object, "eu-1", "a");
    discovered(&object, "pay-1", "b");
    discovered(&object, "us-1", "c");
    let stored = |id: &str| {
        object.master(ListSecrets {
            query: ListQuery::parse([("environment", id)]).unwrap(),
        })
    };
    let paths = |id: &str| -> Vec<String> {
        stored(id)
            .unwrap()
            .items
            .iter()
            .map(|s| s.path.to_string())
            .collect()
    };
    assert_eq!(paths(prod.id.as_str()), vec!["prod/db".to_owned()]);
    assert_eq!(
        paths(pay.id.as_str()),
        vec!["prod/payments/stripe".to_owned()]
    );
    let found = |id: &str| {
        object.master(ListDiscovered {
            query: DiscoveredQuery::parse([("environment", id)]).unwrap(),
        })
    };
    let refs = |id: &str| -> Vec<String> {
        found(id)
            .unwrap()
            .secrets
            .iter()
            .map(|s| s.reference.clone())
            .collect()
    };
    assert_eq!(refs(prod.id.as_str()), vec!["a".to_owned()]);
    assert_eq!(refs(pay.id.as_str()), vec!["b".to_owned()]);
    // A scoped token sees only what its scope reaches within the environment.
    let token = object.token_with("secrets:read:prod/payments/*");
    let page = object
        .call(
            &token,
            ListSecrets {
                query: ListQuery::parse([("environment", prod.id.as_str())]).unwrap(),
            },
        )
        .unwrap();
    assert!(page.items.is_empty());
    // An environment that does not exist is 404 naming it, on both lists.
    let unknown = "env_0123456789abcdef01234567";
    for e in [stored(unknown).unwrap_err(), found(unknown).unwrap_err()] {
        assert_eq!(e.code, ErrorCode::NotFound);
        assert!(e.message.contains(unknown), "{}", e.message);
    }
    assert!(ListQuery::parse([("environment", "prod")]).is_err());
    assert!(DiscoveredQuery::parse([("environment", "prod")]).is_err());
}

#[test]
fn environment_naming_an_agent_scopes_its_secrets_outside_named_clusters() {
    use latchkey_contract::caller::discovered::ListDiscovered;
    use latchkey_core::agent::discovered::DiscoveredQuery;
    let object = Object::new();
    let p = project(&object, "fleet");
    let (web, _) = crate::agents::agent(&object, "web-1");
    let (other, _) = crate::agents::agent(&object, "web-2");
    let clusters = environment(&object, &p.id, "eu", "eu/", r#"["eu-1"]"#).unwrap();
    let body = format!(
        r#"{{"project_id": "{}", "name": "hosts", "path_prefix": "hosts/", "agents": ["{web}"]}}"#,
        p.id
    );
    let by_agent = object
        .master(CreateEnvironment {
            environment: NewEnvironment::parse(body.as_bytes()).unwrap(),
        })
        .unwrap();
    assert_eq!(by_agent.agents, vec![web.clone()]);
    // Reported by web-1: one in a named cluster (that environment's), one on the host.
    for (n, agent, cluster, reference) in [
        (1, &web, "eu-1", "in-cluster"),
        (2, &web, "laptop", "on-host"),
        (3, &other, "laptop", "elsewhere"),
    ] {
        object.rows(&format!(
            "INSERT INTO discovered_secrets (id, agent_id, cluster_name, provider, ref, key_names,
             labels, status, first_seen, last_seen) VALUES ('dsc_{n:0>24}', '{agent}',
             '{cluster}', 'file', '{reference}', '[]', '{{}}', 'active', 0, 0)"
        ));
    }
    let refs = |id: &EnvironmentId| -> Vec<String> {
        object
            .master(ListDiscovered {
                query: DiscoveredQuery::parse([("environment", id.as_str())]).unwrap(),
            })
            .unwrap()
            .secrets
            .iter()
            .map(|s| s.reference.clone())
            .collect()
    };
    assert_eq!(refs(&clusters.id), vec!["in-cluster".to_owned()]);
    assert_eq!(refs(&by_agent.id), vec!["on-host".to_owned()]);
    // It holds that secret, so deleting it is refused unless forced.
    let e = delete(&object, &by_agent.id, false).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    // An agent is in one environment at most; an unknown one is 404 naming the member.
    let again = format!(
        r#"{{"project_id": "{}", "name": "again", "path_prefix": "again/", "agents": ["{web}"]}}"#,
        p.id
    );
    let e = object
        .master(CreateEnvironment {
            environment: NewEnvironment::parse(again.as_bytes()).unwrap(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(
        e.details.get("field").and_then(|f| f.as_str()),
        Some("agents")
    );
    let unknown = format!(
        r#"{{"project_id": "{}", "name": "ghost", "path_prefix": "ghost/", "agents": ["agt_0123456789abcdef01234567"]}}"#,
        p.id
    );
    let e = object
        .master(CreateEnvironment {
            environment: NewEnvironment::parse(unknown.as_bytes()).unwrap(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(object.master(ListEnvironments).unwrap().len(), 2);
    let forced = delete(&object, &by_agent.id, true).unwrap();
    assert!(forced.forced);
    assert_eq!(forced.holdings.discovered_secrets, 1);
}
