use super::*;

fn env(id: &str, prefix: &str, clusters: &[&str]) -> EnvironmentView {
    EnvironmentView {
        id: EnvironmentId::parse(id).unwrap(),
        project_id: ProjectId::parse("prj_000000000000000000000001").unwrap(),
        name: prefix.to_owned(),
        path_prefix: prefix.to_owned(),
        clusters: clusters.iter().map(|c| (*c).to_owned()).collect(),
        agents: Vec::new(),
        created_at: Timestamp::from_unix_ms(0).unwrap(),
    }
}

const PROD: &str = "env_000000000000000000000001";
const PAY: &str = "env_000000000000000000000002";

#[test]
fn ids_prefix_and_hex_parse_else_refused() {
    assert!(ProjectId::parse("prj_0123456789abcdef01234567").is_ok());
    assert!(EnvironmentId::parse("env_0123456789abcdef01234567").is_ok());
    for bad in [
        "env_0123456789abcdef01234567",
        "prj_0123456789ABCDEF01234567",
        "prj_0123",
        "prj_",
        "",
    ] {
        assert!(ProjectId::parse(bad).is_err(), "{bad}");
    }
    assert!(EnvironmentId::parse("prj_0123456789abcdef01234567").is_err());
    let generated = EnvironmentId::generate().unwrap();
    assert_eq!(EnvironmentId::parse(generated.as_str()), Ok(generated));
}

#[test]
fn environment_of_path_longest_prefix_wins() {
    let envs = [env(PROD, "prod/", &[]), env(PAY, "prod/payments/", &[])];
    let of = |path| environment_of_path(&envs, path).map(|e| e.id.as_str().to_owned());
    assert_eq!(of("prod/payments/stripe").as_deref(), Some(PAY));
    assert_eq!(of("prod/search/key").as_deref(), Some(PROD));
    // Whole segments only: `prod/paymentsx` is not under `prod/payments/`.
    assert_eq!(of("prod/paymentsx/key").as_deref(), Some(PROD));
    assert_eq!(of("production/key"), None);
    assert_eq!(of("staging/key"), None);
    // Order does not matter.
    let reversed = [envs[1].clone(), envs[0].clone()];
    assert_eq!(
        environment_of_path(&reversed, "prod/payments/x").map(|e| e.id.as_str()),
        Some(PAY)
    );
}

#[test]
fn environment_of_cluster_names_the_cluster_else_none() {
    let envs = [
        env(PROD, "prod/", &["eu-1", "us-1"]),
        env(PAY, "pay/", &["pay-1"]),
    ];
    assert_eq!(
        environment_of_cluster(&envs, "us-1").map(|e| e.id.as_str()),
        Some(PROD)
    );
    assert_eq!(
        environment_of_cluster(&envs, "pay-1").map(|e| e.id.as_str()),
        Some(PAY)
    );
    assert_eq!(environment_of_cluster(&envs, "us"), None);
}

#[test]
fn environment_of_discovered_cluster_first_then_agent() {
    let web = AgentId::parse("agt_000000000000000000000001").unwrap();
    let db = AgentId::parse("agt_000000000000000000000002").unwrap();
    let mut by_agent = env(PAY, "pay/", &["pay-1"]);
    by_agent.agents = vec![web.clone()];
    let envs = [env(PROD, "prod/", &["eu-1"]), by_agent];
    let of =
        |cluster, agent| environment_of_discovered(&envs, cluster, agent).map(|e| e.id.as_str());
    // Its cluster decides even when another environment names its agent.
    assert_eq!(of("eu-1", &web), Some(PROD));
    // A cluster no environment names: the agent decides.
    assert_eq!(of("laptop", &web), Some(PAY));
    assert_eq!(of("laptop", &db), None);
}

#[test]
fn new_environment_agents_parse_and_name_the_member() {
    let ok = NewEnvironment::parse(
        br#"{"project_id": "prj_000000000000000000000001", "name": "prod", "path_prefix": "prod/",
             "agents": ["agt_000000000000000000000001"]}"#,
    )
    .unwrap();
    assert_eq!(ok.agents.len(), 1);
    for agents in [
        r#"["nope"]"#,
        r#"["agt_000000000000000000000001", "agt_000000000000000000000001"]"#,
        r#""agt_000000000000000000000001""#,
    ] {
        let body = format!(
            r#"{{"project_id": "prj_000000000000000000000001", "name": "p", "path_prefix": "p/", "agents": {agents}}}"#
        );
        let e = NewEnvironment::parse(body.as_bytes()).unwrap_err();
        assert_eq!(
            e.details.get("field").and_then(|f| f.as_str()),
            Some("agents"),
            "{agents}: {e}"
        );
    }
}

#[test]
fn parse_prefix_whole_segments_else_refused() {
    assert_eq!(parse_prefix("prod/payments/").unwrap(), "prod/payments/");
    for bad in [
        "prod/payments",
        "/prod/",
        "prod//",
        "/",
        "",
        "prod/../",
        "prod/a b/",
    ] {
        assert!(parse_prefix(bad).is_err(), "{bad}");
    }
}

#[test]
fn new_environment_parse_names_the_bad_member() {
    let ok = NewEnvironment::parse(
        br#"{"project_id":"prj_0123456789abcdef01234567","name":"prod","path_prefix":"prod/","clusters":["eu-1"]}"#,
    )
    .unwrap();
    assert_eq!(ok.clusters, vec!["eu-1".to_owned()]);
    for (body, field) in [
        (
            r#"{"project_id":"x","name":"p","path_prefix":"prod/"}"#,
            "project_id",
        ),
        (
            r#"{"project_id":"prj_0123456789abcdef01234567","name":"p","path_prefix":"prod"}"#,
            "path_prefix",
        ),
        (
            r#"{"project_id":"prj_0123456789abcdef01234567","name":"","path_prefix":"prod/"}"#,
            "name",
        ),
        (
            r#"{"project_id":"prj_0123456789abcdef01234567","name":"p","path_prefix":"prod/","clusters":["a","a"]}"#,
            "clusters",
        ),
        (
            r#"{"project_id":"prj_0123456789abcdef01234567","name":"p","path_prefix":"prod/","extra":1}"#,
            "extra",
        ),
    ] {
        let e = NewEnvironment::parse(body.as_bytes()).unwrap_err();
        assert!(matches!(e.status(), 400 | 422), "{body}: {e:?}");
        assert!(e.message.contains(field), "{body}: {}", e.message);
    }
}

#[test]
fn parse_status_active_or_archived_else_400() {
    assert_eq!(
        parse_status(br#"{"status":"archived"}"#),
        Ok(ProjectStatus::Archived)
    );
    assert_eq!(
        parse_status(br#"{"status":"active"}"#),
        Ok(ProjectStatus::Active)
    );
    let e = parse_status(br#"{"status":"deleted"}"#).unwrap_err();
    assert!(e.message.contains("deleted"), "{}", e.message);
    assert!(parse_status(br#"{}"#).is_err());
}

#[test]
fn parse_force_true_false_or_400() {
    assert_eq!(parse_force([("force", "true")]), Ok(true));
    assert_eq!(parse_force([]), Ok(false));
    assert_eq!(parse_force([("force", "false")]), Ok(false));
    assert!(parse_force([("force", "yes")]).is_err());
}

#[test]
fn still_holds_names_both_counts() {
    let e = still_holds(
        "environment 'env_x'",
        Holdings {
            stored_secrets: 3,
            discovered_secrets: 2,
        },
    );
    assert_eq!(e.status(), 409);
    assert!(e.message.contains("3 stored") && e.message.contains("2 discovered"));
}
