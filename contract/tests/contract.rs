#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
//! The Worker ↔ tenant object contract: pinned names, JSON round trips, and replies decoded as
//! their command's reply type.

use latchkey_contract::caller::agents::{CreateGrant, ListAgents, QueueAgentCommand};
use latchkey_contract::caller::agents::{RegisterAgent, ReportHealth};
use latchkey_contract::caller::secrets::{GetSecret, SecretCommand, UpdateSecret};
use latchkey_contract::caller::tokens::CreateToken;
use latchkey_contract::{
    CallerCommand, Channel, RequestOrigin, TENANT_BINDING, TenantRequest, TenantResponse,
    decode_reply, encode_reply, tenant_instance_name,
};
use latchkey_core::credential::{CredentialHash, CredentialKind, PresentedCredential};
use latchkey_core::{ApiError, ErrorCode, SecretPath, TenantId};

fn tenant() -> TenantId {
    TenantId::parse("tn_0123456789abcdef").unwrap()
}

fn caller_request(command: impl Into<CallerCommand>) -> TenantRequest {
    TenantRequest {
        origin: RequestOrigin {
            client_ip: Some("10.0.0.1".into()),
            request_id: Some("req-1".into()),
            user_agent: None,
            via: None,
        },
        channel: Channel::Caller {
            credential: PresentedCredential {
                tenant: tenant(),
                kind: CredentialKind::Token,
                hash: CredentialHash::of("k"),
                jwt: None,
            },
            purpose: Some("triage".into()),
            command: Some(command.into()),
        },
    }
}

fn round_trip(request: &TenantRequest) -> TenantRequest {
    serde_json::from_str(&serde_json::to_string(request).unwrap()).unwrap()
}

#[test]
fn instance_name_format_is_pinned() {
    // Changing this format moves every tenant to a new, empty object.
    assert_eq!(
        tenant_instance_name(&tenant()),
        "tenant:tn_0123456789abcdef"
    );
    assert_eq!(TENANT_BINDING, "TENANT");
}

#[test]
fn commands_round_trip_through_json() {
    let request = caller_request(GetSecret {
        path: SecretPath::parse("a/b").unwrap(),
        version: Some(2),
    });
    let json = serde_json::to_string(&request).unwrap();
    assert!(
        !json.contains("\"k\""),
        "the credential crosses only as a hash"
    );
    let back = round_trip(&request);
    let Channel::Caller {
        credential,
        command,
        purpose,
    } = back.channel
    else {
        panic!("changed channel: {json}");
    };
    assert_eq!(credential.hash, CredentialHash::of("k"));
    assert_eq!(purpose.as_deref(), Some("triage"));
    assert!(matches!(
        command,
        Some(CallerCommand::Secrets(SecretCommand::GetSecret(
            GetSecret {
                version: Some(2),
                ..
            }
        )))
    ));
}

#[test]
fn invalid_paths_do_not_cross_the_contract() {
    let mut json = serde_json::to_value(caller_request(GetSecret {
        path: SecretPath::parse("a/b").unwrap(),
        version: None,
    }))
    .unwrap();
    json["channel"]["Caller"]["command"]["Secrets"]["GetSecret"]["path"] = "a//b".into();
    assert!(serde_json::from_value::<TenantRequest>(json).is_err());
}

#[test]
fn results_carry_errors() {
    let response = TenantResponse {
        rate: None,
        result: Err(ApiError::not_found("x").with("path", "a/b")),
    };
    let json = serde_json::to_string(&response).unwrap();
    let back: TenantResponse = serde_json::from_str(&json).unwrap();
    let err = back.result.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(
        err.details.get("path").and_then(|v| v.as_str()),
        Some("a/b")
    );
}

#[test]
fn a_reply_decodes_as_its_commands_reply_type() {
    use latchkey_contract::caller::tokens::ListTokens;
    // The object encodes what the handler answered; the Worker decodes it as `C::Reply`.
    let response = TenantResponse {
        rate: None,
        result: Ok(encode_reply(&Vec::<u64>::new()).unwrap()),
    };
    let back: TenantResponse =
        serde_json::from_str(&serde_json::to_string(&response).unwrap()).unwrap();
    let raw = back.result.unwrap();
    assert!(decode_reply::<ListTokens>(&raw).unwrap().is_empty());
    // An empty list is not a minted token: decoding it as one fails instead of guessing.
    assert!(decode_reply::<CreateToken>(&raw).is_err());
}

#[test]
fn u64_values_survive_the_trip() {
    // A JS number cannot hold every u64: the contract is decoded with serde_json.
    let request = caller_request(GetSecret {
        path: SecretPath::parse("a").unwrap(),
        version: Some(u64::MAX),
    });
    let Channel::Caller { command, .. } = round_trip(&request).channel else {
        panic!("changed channel");
    };
    assert!(matches!(
        command,
        Some(CallerCommand::Secrets(SecretCommand::GetSecret(
            GetSecret {
                version: Some(u64::MAX),
                ..
            }
        )))
    ));
}

#[test]
fn clearing_metadata_crosses_as_null() {
    use latchkey_core::Timestamp;
    use latchkey_core::secret::SecretUpdate;
    let now = Timestamp::parse_rfc3339("2025-01-15T10:00:00Z").unwrap();
    let update = SecretUpdate::parse(br#"{"value": "v", "expires_at": null}"#, now).unwrap();
    let request = caller_request(UpdateSecret {
        path: SecretPath::parse("a").unwrap(),
        update,
        if_match: None,
    });
    let Channel::Caller {
        command: Some(CallerCommand::Secrets(SecretCommand::UpdateSecret(back))),
        ..
    } = round_trip(&request).channel
    else {
        panic!("wrong command");
    };
    assert_eq!(back.update.change.expires_at, Some(None));
    assert_eq!(back.update.change.description, None);
}

#[test]
fn agent_commands_round_trip_through_json() {
    use latchkey_contract::caller::agents::AgentsCommand as A;
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
    let back = |command: CallerCommand| -> A {
        let Channel::Caller {
            command: Some(CallerCommand::Agents(back)),
            ..
        } = round_trip(&caller_request(command)).channel
        else {
            panic!("changed area");
        };
        back
    };
    let A::ReportHealth(b) = back(
        ReportHealth {
            report: report.clone(),
        }
        .into(),
    ) else {
        panic!("changed kind")
    };
    assert_eq!(b.report, report);
    let A::RegisterAgent(b) = back(
        RegisterAgent {
            registration: registration.clone(),
        }
        .into(),
    ) else {
        panic!("changed kind")
    };
    assert_eq!(b.registration, registration);
    let A::ListAgents(b) = back(
        ListAgents {
            query: query.clone(),
        }
        .into(),
    ) else {
        panic!("changed kind")
    };
    assert_eq!(b.query, query);
    let A::QueueAgentCommand(b) = back(
        QueueAgentCommand {
            id: grant.agent_id.clone(),
            command: command.clone(),
        }
        .into(),
    ) else {
        panic!("changed kind")
    };
    assert_eq!(b.command, command);
    let A::CreateGrant(b) = back(
        CreateGrant {
            request: grant.clone(),
        }
        .into(),
    ) else {
        panic!("changed kind")
    };
    assert_eq!(b.request, grant);
}
