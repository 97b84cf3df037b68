//! The Worker ↔ tenant object contract: pinned names and JSON round trips.

use latchkey_core::credential::{CredentialHash, CredentialKind, PresentedCredential};
use latchkey_core::{ApiError, ErrorCode, SecretPath, TenantId};
use latchkey_durable_objects::contract::{
    TENANT_BINDING, TenantCommand, TenantRequest, TenantResult, tenant_instance_name,
};

#[test]
fn instance_name_format_is_pinned() {
    // Changing this format moves every tenant to a new, empty object.
    let tenant = TenantId::parse("tn_0123456789abcdef").unwrap();
    assert_eq!(tenant_instance_name(&tenant), "tenant:tn_0123456789abcdef");
    assert_eq!(TENANT_BINDING, "TENANT");
}

#[test]
fn commands_round_trip_through_json() {
    let tenant = TenantId::parse("tn_0123456789abcdef").unwrap();
    let request = TenantRequest {
        credential: Some(PresentedCredential {
            tenant,
            kind: CredentialKind::Token,
            hash: CredentialHash::of("k"),
            jwt: None,
        }),
        client_ip: Some("10.0.0.1".into()),
        request_id: Some("req-1".into()),
        user_agent: None,
        purpose: Some("triage".into()),
        command: Some(TenantCommand::GetSecret {
            path: SecretPath::parse("a/b").unwrap(),
            version: Some(2),
        }),
    };
    let json = serde_json::to_string(&request).unwrap();
    assert!(
        !json.contains("\"k\""),
        "the credential crosses only as a hash"
    );
    let back: TenantRequest = serde_json::from_str(&json).unwrap();
    assert_eq!(back.credential, request.credential);
    assert!(matches!(
        back.command,
        Some(TenantCommand::GetSecret {
            version: Some(2),
            ..
        })
    ));
}

#[test]
fn invalid_paths_do_not_cross_the_contract() {
    let json = r#"{"credential":null,"client_ip":null,"command":{"op":"get_secret","path":"a//b","version":null}}"#;
    assert!(serde_json::from_str::<TenantRequest>(json).is_err());
}

#[test]
fn results_carry_errors() {
    let result: TenantResult = Err(ApiError::not_found("x").with("path", "a/b"));
    let json = serde_json::to_string(&result).unwrap();
    let back: TenantResult = serde_json::from_str(&json).unwrap();
    let err = back.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(
        err.details.get("path").and_then(|v| v.as_str()),
        Some("a/b")
    );
}

#[test]
fn clearing_metadata_crosses_as_null() {
    use latchkey_core::Timestamp;
    use latchkey_core::secret::SecretUpdate;
    let now = Timestamp::parse_rfc3339("2025-01-15T10:00:00Z").unwrap();
    let update = SecretUpdate::parse(br#"{"value": "v", "expires_at": null}"#, now).unwrap();
    let command = TenantCommand::UpdateSecret {
        path: SecretPath::parse("a").unwrap(),
        update,
        if_match: None,
    };
    let back: TenantCommand =
        serde_json::from_str(&serde_json::to_string(&command).unwrap()).unwrap();
    let TenantCommand::UpdateSecret { update, .. } = back else {
        panic!("wrong command");
    };
    assert_eq!(update.change.expires_at, Some(None));
    assert_eq!(update.change.description, None);
}

#[test]
fn agent_commands_round_trip_through_json() {
    use latchkey_core::agent::{AgentQuery, CommandRequest, HealthReport, Registration};
    use latchkey_core::grant::GrantRequest;
    let now = latchkey_core::Timestamp::from_unix_ms(1_800_000_000_000).unwrap();
    let report = HealthReport::parse(
        br#"{"status": "degraded", "metrics": {"cpu_percent": 12.5}, "last_sync": "2027-01-15T08:00:00Z", "managed_secrets": 3}"#,
        now,
    )
    .unwrap();
    let (_, registration) =
        Registration::parse(br#"{"token": "t", "name": "a", "metadata": {"k": "v"}}"#).unwrap();
    let query = AgentQuery::parse(&[("label".to_owned(), "env=prod".to_owned())]).unwrap();
    let command = CommandRequest::parse(br#"{"type": "force_sync", "params": {"n": 1}}"#).unwrap();
    let grant = GrantRequest::parse(
        br#"{"agent_id": "agt_0123456789abcdef01234567", "path": "prod/*", "actions": ["read", "write"]}"#,
    )
    .unwrap();
    for command in [
        TenantCommand::ReportHealth {
            report: report.clone(),
        },
        TenantCommand::RegisterAgent {
            registration: registration.clone(),
        },
        TenantCommand::ListAgents {
            query: query.clone(),
        },
        TenantCommand::QueueAgentCommand {
            id: grant.agent_id.clone(),
            command: command.clone(),
        },
        TenantCommand::CreateGrant {
            request: grant.clone(),
        },
    ] {
        let text = serde_json::to_string(&command).unwrap();
        let back: TenantCommand = serde_json::from_str(&text).unwrap();
        match (&command, &back) {
            (
                TenantCommand::ReportHealth { report: a },
                TenantCommand::ReportHealth { report: b },
            ) => {
                assert_eq!(a, b)
            }
            (
                TenantCommand::RegisterAgent { registration: a },
                TenantCommand::RegisterAgent { registration: b },
            ) => assert_eq!(a, b),
            (TenantCommand::ListAgents { query: a }, TenantCommand::ListAgents { query: b }) => {
                assert_eq!(a, b)
            }
            (
                TenantCommand::QueueAgentCommand { command: a, .. },
                TenantCommand::QueueAgentCommand { command: b, .. },
            ) => assert_eq!(a, b),
            (
                TenantCommand::CreateGrant { request: a },
                TenantCommand::CreateGrant { request: b },
            ) => {
                assert_eq!(a, b)
            }
            _ => panic!("changed kind: {text}"),
        }
    }
}
