#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The request bodies of the document are the core's wire structs: each body schema lists
//! exactly the struct's members, in its order; a minimal body holding the members the schema
//! requires parses with the core's own parser, and leaving out any one of them fails naming
//! it. (The limits in the schemas are the core's constants: see `src/bodies.rs`.)

use latchkey_core::access_request::{NewAccessRequest, PatchRequestBody, ReadRequestBody};
use latchkey_core::agent::discovered::parse_bulk;
use latchkey_core::agent::discovery::import::{DiscoveryImport, DiscoveryImportBody};
use latchkey_core::agent::discovery::{
    CertificateItem, CertificateReportBody, DiscoveredCertificate, DiscoveredSshKey, SshKeyItem,
    SshReportBody,
};
use latchkey_core::agent::envelope::{PublicKeyBody, parse_public_key_body};
use latchkey_core::agent::jobs::{Completion, CompletionBody, JobBody, JobRequest};
use latchkey_core::agent::mint::MintBody;
use latchkey_core::agent::password::{
    NewPasswordRequest, NewPasswordRequestBody, RejectionBody, parse_rejection,
};
use latchkey_core::agent::{
    AgentSettings, AgentSettingsBody, BootstrapBody, BootstrapRequest, CommandBody, CommandRequest,
    HealthReport, HealthReportBody, Registration, RegistrationBody,
};
use latchkey_core::approval::{
    ApproveBody, DenyBody, Policies, PoliciesBody, PolicyRuleBody, parse_decision_note,
};
use latchkey_core::body::members;
use latchkey_core::broker::{ProxyRequest, ProxyRequestBody};
use latchkey_core::carried::{AgentPost, AgentPostBody};
use latchkey_core::faces::api::{self as face, agent_plane::check_dek_body};
use latchkey_core::field::{FieldSetBody, FieldValue, FieldValueBody, parse_field_set};
use latchkey_core::generate::{PasswordRequest, PasswordRequestBody};
use latchkey_core::gitops::{
    EnabledBody, NewEndpoint, NewEndpointBody, NewMapping, NewMappingBody, parse_enabled,
};
use latchkey_core::grant::{GrantBody, GrantRequest};
use latchkey_core::notification::{
    NotificationConfig, NotificationsBody, OutboundPolicy, WebhookBody,
};
use latchkey_core::people::{LoginBody, LoginRequest, UserBody, UserRequest};
use latchkey_core::project::{
    NewEnvironment, NewEnvironmentBody, NewProject, NewProjectBody, StatusBody, parse_status,
};
use latchkey_core::role::{
    NewRole, NewRoleBody, RolePermissionsBody, UserRoleBody, UserRoleRequest, parse_permissions,
};
use latchkey_core::secret::{
    NewSecret, NewSecretBody, Rotation, RotationBody, SecretPatchBody, SecretUpdate,
    SecretUpdateBody,
};
use latchkey_core::tenant::TenantId;
use latchkey_core::tenant::{NewTenant, NewTenantBody, TenantUpdate, TenantUpdateBody};
use latchkey_core::token::{TokenRequest, TokenRequestBody};
use latchkey_core::vault::{KvVersionsBody, KvWrite, KvWriteBody, parse_versions};
use latchkey_core::workflow::policy::{NewPolicy, PolicyBody};
use latchkey_core::workflow::{NewWorkflow, StageBody, WorkflowBody};
use latchkey_core::wrap::{NewWrap, NewWrapBody, UnwrapBody, parse_unwrap};
use latchkey_core::{ApiError, Timestamp};
use latchkey_openapi::json::Json;
use serde_json::{Value, json};

/// Parses a body with the core's parser for it; `Ok` when it is accepted.
type Parser = fn(&[u8]) -> Result<(), ApiError>;

/// One request body: its schema's name in the document, its wire struct's members, its
/// parser, and a minimal valid body.
struct Case {
    schema: &'static str,
    members: &'static [&'static str],
    parse: Parser,
    minimal: Value,
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").expect("a time")
}

fn ok<T>(result: Result<T, ApiError>) -> Result<(), ApiError> {
    result.map(drop)
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            schema: "NewSecret",
            members: members::<NewSecretBody>(),
            parse: |b| ok(NewSecret::parse(b, now())),
            minimal: json!({"path": "a/b", "value": "v"}),
        },
        Case {
            schema: "SecretUpdate",
            members: members::<SecretUpdateBody>(),
            parse: |b| ok(SecretUpdate::parse(b, now())),
            minimal: json!({"value": "v"}),
        },
        Case {
            schema: "SecretPatch",
            members: members::<SecretPatchBody>(),
            parse: |b| ok(SecretUpdate::parse_patch(b, now())),
            minimal: json!({"tags": {"team": "core"}}),
        },
        Case {
            schema: "Rotation",
            members: members::<RotationBody>(),
            parse: |b| ok(Rotation::parse(b)),
            minimal: json!({"new_value": "v"}),
        },
        Case {
            schema: "FieldSet",
            members: members::<FieldSetBody>(),
            parse: |b| ok(parse_field_set(b)),
            minimal: json!({"fields": {"host": "db"}}),
        },
        Case {
            schema: "FieldValue",
            members: members::<FieldValueBody>(),
            parse: |b| ok(FieldValue::parse(b)),
            minimal: json!({"value": "v"}),
        },
        Case {
            schema: "Generate",
            members: members::<PasswordRequestBody>(),
            parse: |b| ok(PasswordRequest::parse(b, now())),
            minimal: json!({}),
        },
        Case {
            schema: "TokenRequest",
            members: members::<TokenRequestBody>(),
            parse: |b| ok(TokenRequest::parse(b)),
            minimal: json!({"scope": "tokens:create"}),
        },
        Case {
            schema: "ApproveBody",
            members: members::<ApproveBody>(),
            parse: |b| ok(parse_decision_note(b, "comment")),
            minimal: json!({}),
        },
        Case {
            schema: "DenyBody",
            members: members::<DenyBody>(),
            parse: |b| ok(parse_decision_note(b, "reason")),
            minimal: json!({}),
        },
        Case {
            schema: "PoliciesBody",
            members: members::<PoliciesBody>(),
            parse: |b| ok(Policies::parse(b)),
            minimal: json!({"policies": []}),
        },
        Case {
            schema: "NotificationsBody",
            members: members::<NotificationsBody>(),
            parse: |b| {
                ok(NotificationConfig::parse(
                    b,
                    OutboundPolicy {
                        allow_http_loopback: false,
                    },
                ))
            },
            minimal: json!({}),
        },
        Case {
            schema: "NewTenant",
            members: members::<NewTenantBody>(),
            parse: |b| ok(NewTenant::parse(b)),
            minimal: json!({"name": "Acme"}),
        },
        Case {
            schema: "AgentRelease",
            members: members::<latchkey_core::agent::mint::AgentReleaseBody>(),
            parse: |b| ok(latchkey_core::agent::mint::AgentRelease::parse(b)),
            minimal: json!({"platform": "linux", "version": "1.0.0", "url": "https://dl.example.com/a", "sha256": "00".repeat(32)}),
        },
        Case {
            schema: "TenantUpdate",
            members: members::<TenantUpdateBody>(),
            parse: |b| ok(TenantUpdate::parse(b)),
            minimal: json!({"plan": "pro"}),
        },
        Case {
            schema: "Bootstrap",
            members: members::<BootstrapBody>(),
            parse: |b| ok(BootstrapRequest::parse(b)),
            minimal: json!({}),
        },
        Case {
            schema: "Registration",
            members: members::<RegistrationBody>(),
            parse: |b| ok(Registration::parse(b)),
            minimal: json!({"token": "lk_boot_tn_0123456789abcdef_x", "name": "host-1"}),
        },
        Case {
            schema: "HealthReport",
            members: members::<HealthReportBody>(),
            parse: |b| ok(HealthReport::parse(b, now())),
            minimal: json!({"status": "healthy"}),
        },
        Case {
            schema: "AgentSettingsBody",
            members: members::<AgentSettingsBody>(),
            parse: |b| ok(AgentSettings::parse(b)),
            minimal: json!({"heartbeat_interval_seconds": 60}),
        },
        Case {
            schema: "Command",
            members: members::<CommandBody>(),
            parse: |b| ok(CommandRequest::parse(b)),
            minimal: json!({"type": "force_sync"}),
        },
        Case {
            schema: "NewGrant",
            members: members::<GrantBody>(),
            parse: |b| ok(GrantRequest::parse(b)),
            minimal: json!({"agent_id": "agt_0123456789abcdef01234567", "path": "a/*"}),
        },
        Case {
            schema: "CertificateReport",
            members: members::<CertificateReportBody>(),
            parse: |b| ok(DiscoveredCertificate::parse_report(b)),
            minimal: json!({"certificates": []}),
        },
        Case {
            schema: "SshReport",
            members: members::<SshReportBody>(),
            parse: |b| ok(DiscoveredSshKey::parse_report(b)),
            minimal: json!({"keys": []}),
        },
        Case {
            schema: "DiscoveryImport",
            members: members::<DiscoveryImportBody>(),
            parse: |b| ok(DiscoveryImport::parse(b)),
            minimal: json!({"kind": "certificate", "fingerprint": "SHA256:abc"}),
        },
        Case {
            schema: "NewPasswordRequest",
            members: members::<NewPasswordRequestBody>(),
            parse: |b| ok(NewPasswordRequest::parse(b)),
            minimal: json!({"path": "a/b", "reason": "rotation"}),
        },
        Case {
            schema: "Rejection",
            members: members::<RejectionBody>(),
            parse: |b| ok(parse_rejection(b)),
            minimal: json!({}),
        },
        Case {
            schema: "Login",
            members: members::<LoginBody>(),
            parse: |b| ok(LoginRequest::parse(b)),
            minimal: json!({"tenant": "tn_0123456789abcdef", "email": "ada@example.com", "password": "p"}),
        },
        Case {
            schema: "NewUser",
            members: members::<UserBody>(),
            parse: |b| ok(UserRequest::parse(b)),
            minimal: json!({"email": "ada@example.com", "password": "correct horse battery"}),
        },
        Case {
            schema: "NewRole",
            members: members::<NewRoleBody>(),
            parse: |b| ok(NewRole::parse(b)),
            minimal: json!({"name": "ops", "permissions": "tokens:create"}),
        },
        Case {
            schema: "RolePermissions",
            members: members::<RolePermissionsBody>(),
            parse: |b| ok(parse_permissions(b)),
            minimal: json!({"permissions": ["tokens:create"]}),
        },
        Case {
            schema: "NewUserRole",
            members: members::<UserRoleBody>(),
            parse: |b| ok(UserRoleRequest::parse(b)),
            minimal: json!({
                "user_id": "usr_0123456789abcdef01234567",
                "role_id": "rol_0123456789abcdef01234567",
            }),
        },
        Case {
            schema: "ReadRequest",
            members: members::<ReadRequestBody>(),
            parse: |b| ok(NewAccessRequest::parse_read(b)),
            minimal: json!({"path": "a/b", "reason": "incident 42"}),
        },
        Case {
            schema: "PatchRequest",
            members: members::<PatchRequestBody>(),
            parse: |b| ok(NewAccessRequest::parse_patch(b)),
            minimal: json!({"path": "a/b", "value": "v", "reason": "incident 42"}),
        },
        Case {
            schema: "CarriedReadRequest",
            members: members::<latchkey_core::carried::CarriedReadBody>(),
            parse: |b| ok(latchkey_core::carried::NewCarriedRequest::parse_read(b)),
            minimal: json!({"secret_id": "dsc_0123456789abcdef01234567", "reason": "incident 42"}),
        },
        Case {
            schema: "CarriedPatchRequest",
            members: members::<latchkey_core::carried::CarriedPatchBody>(),
            parse: |b| ok(latchkey_core::carried::NewCarriedRequest::parse_patch(b)),
            minimal: json!({"secret_id": "dsc_0123456789abcdef01234567", "data": {"K": "v"}, "reason": "incident 42"}),
        },
        Case {
            schema: "NewWrap",
            members: members::<NewWrapBody>(),
            parse: |b| ok(NewWrap::parse(b)),
            minimal: json!({"value": "v"}),
        },
        Case {
            schema: "Unwrap",
            members: members::<UnwrapBody>(),
            parse: |b| ok(parse_unwrap(b)),
            minimal: json!({"wrap_token": "lk_wrap_tn_0123456789abcdef_x"}),
        },
        Case {
            schema: "ProxyRequest",
            members: members::<ProxyRequestBody>(),
            parse: |b| ok(ProxyRequest::parse(b)),
            minimal: json!({
                "method": "GET",
                "url": "https://api.example.com/v1?key={{K}}",
                "secrets": {"K": "a/b"},
            }),
        },
        Case {
            schema: "KvWrite",
            members: members::<KvWriteBody>(),
            parse: |b| ok(KvWrite::parse(b)),
            minimal: json!({"data": {"a": "b"}}),
        },
        Case {
            schema: "ApiLogin",
            members: members::<LoginBody>(),
            parse: |b| {
                let tenant = TenantId::parse("tn_0123456789abcdef").expect("a tenant id");
                ok(face::login_request(b, None, Some(&tenant)))
            },
            minimal: json!({"email": "ada@example.com", "password": "correct horse"}),
        },
        Case {
            schema: "ApiApprove",
            members: members::<face::ApproveBody>(),
            parse: |b| ok(face::decision(b, "comment")),
            minimal: json!({}),
        },
        Case {
            schema: "ApiReject",
            members: members::<face::RejectBody>(),
            parse: |b| ok(face::decision(b, "reason")),
            minimal: json!({}),
        },
        Case {
            schema: "ApiCancel",
            members: members::<face::CancelBody>(),
            parse: |b| ok(face::cancel_actor(b)),
            minimal: json!({}),
        },
        Case {
            schema: "MintAgent",
            members: members::<MintBody>(),
            parse: |b| ok(Registration::parse_mint(b)),
            minimal: json!({}),
        },
        Case {
            schema: "Empty",
            members: &[],
            parse: check_dek_body,
            minimal: json!({}),
        },
        Case {
            schema: "NewJob",
            members: members::<JobBody>(),
            parse: |b| ok(JobRequest::parse(b)),
            minimal: json!({"agent_id": "agt_0123456789abcdef01234567", "type": "sync"}),
        },
        Case {
            schema: "JobCompletion",
            members: members::<CompletionBody>(),
            parse: |b| ok(Completion::parse(b)),
            minimal: json!({"status": "succeeded"}),
        },
        Case {
            schema: "AgentPublicKey",
            members: members::<PublicKeyBody>(),
            parse: |b| ok(parse_public_key_body(b)),
            // The X25519 base point (u = 9).
            minimal: json!({"public_key": "CQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}),
        },
        Case {
            schema: "DiscoveredReport",
            members: &["secrets"],
            parse: |b| ok(parse_bulk(b)),
            minimal: json!({"secrets": [{"cluster_name": "c", "provider": "k8s", "ref": "ns/s"}]}),
        },
        Case {
            schema: "AgentWrapPost",
            members: members::<AgentPostBody>(),
            parse: |b| ok(AgentPost::parse(b)),
            minimal: json!({
                "job_id": "job_0123456789abcdef01234567",
                "key_id": "dek_0123456789abcdef01234567",
                "nonce": "AAAAAAAAAAAAAAAA",
                "ciphertext": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            }),
        },
        Case {
            schema: "NewProject",
            members: members::<NewProjectBody>(),
            parse: |b| ok(NewProject::parse(b)),
            minimal: json!({"name": "payments"}),
        },
        Case {
            schema: "ProjectStatus",
            members: members::<StatusBody>(),
            parse: |b| ok(parse_status(b)),
            minimal: json!({"status": "archived"}),
        },
        Case {
            schema: "NewEnvironment",
            members: members::<NewEnvironmentBody>(),
            parse: |b| ok(NewEnvironment::parse(b)),
            minimal: json!({
                "project_id": "prj_0123456789abcdef01234567",
                "name": "prod",
                "path_prefix": "prod/payments/",
            }),
        },
        Case {
            schema: "NewWorkflow",
            members: members::<WorkflowBody>(),
            parse: |b| ok(NewWorkflow::parse(b)),
            minimal: json!({
                "name": "two keys",
                "stages": [{"approvers": {"any": true}, "approvals": 1, "timeout_seconds": 3600}],
            }),
        },
        Case {
            schema: "NewWorkflowPolicy",
            members: members::<PolicyBody>(),
            parse: |b| ok(NewPolicy::parse(b)),
            minimal: json!({
                "name": "prod",
                "workflow_id": "wfl_0123456789abcdef01234567",
                "kind": "token",
            }),
        },
        Case {
            schema: "NewArgoEndpoint",
            members: members::<NewEndpointBody>(),
            parse: |b| ok(NewEndpoint::parse(b)),
            minimal: json!({"name": "prod", "url": "https://argocd.example.com", "token": "abc.def"}),
        },
        Case {
            schema: "ArgoEnabled",
            members: members::<EnabledBody>(),
            parse: |b| ok(parse_enabled(b)),
            minimal: json!({"enabled": false}),
        },
        Case {
            schema: "NewAppMapping",
            members: members::<NewMappingBody>(),
            parse: |b| ok(NewMapping::parse(b)),
            minimal: json!({
                "endpoint_id": "argo_0123456789abcdef01234567",
                "app_name": "payments",
                "paths": ["prod/payments/db"],
            }),
        },
        Case {
            schema: "KvVersions",
            members: members::<KvVersionsBody>(),
            parse: |b| ok(parse_versions(b)),
            minimal: json!({"versions": [1]}),
        },
    ]
}

/// `components.schemas`, with members in the document's order (`serde_json` sorts them).
fn schemas() -> Json {
    latchkey_openapi::document()
        .get("components")
        .and_then(|c| c.get("schemas"))
        .cloned()
        .expect("components.schemas")
}

fn at<'a>(schema: &'a Json, path: &[&str]) -> &'a Json {
    path.iter().fold(schema, |json, key| {
        json.get(key)
            .unwrap_or_else(|| panic!("no {key} in {json:?}"))
    })
}

/// A schema's property names, in order, and its `required` list.
fn shape(schema: &Json) -> (Vec<String>, Vec<String>) {
    let properties = schema
        .get("properties")
        .map(|p| p.keys().into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let required = match schema.get("required") {
        Some(Json::Arr(items)) => items
            .iter()
            .filter_map(|item| match item {
                Json::Str(name) => Some(name.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    (properties, required)
}

/// The member each alternative of a schema's `anyOf` or `oneOf` requires.
fn alternatives(schema: &Json) -> Vec<String> {
    let Some(Json::Arr(items)) = schema.get("anyOf").or(schema.get("oneOf")) else {
        return Vec::new();
    };
    items.iter().flat_map(|item| shape(item).1).collect()
}

#[test]
fn every_request_body_is_a_wire_struct() {
    let schemas = schemas();
    let cases = cases();
    let doc: Value = serde_json::from_str(&latchkey_openapi::render()).expect("JSON");
    for item in doc["paths"].as_object().expect("paths").values() {
        for operation in item.as_object().expect("path item").values() {
            let Some(reference) =
                operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            else {
                continue;
            };
            let name = reference.trim_start_matches("#/components/schemas/");
            assert!(schemas.get(name).is_some(), "{name}");
            assert!(
                cases.iter().any(|c| c.schema == name),
                "{name} has no wire struct case"
            );
        }
    }
}

#[test]
fn body_schemas_list_the_wire_structs_members_in_order() {
    let schemas = schemas();
    for case in cases() {
        let (properties, required) = shape(at(&schemas, &[case.schema]));
        // The document lists the required members first, each group in the struct's order.
        let (mut expected, optional): (Vec<&str>, Vec<&str>) = case
            .members
            .iter()
            .partition(|m| required.iter().any(|r| r == *m));
        expected.extend(optional);
        assert_eq!(properties, expected, "{}", case.schema);
    }
    // The objects read on their own (a list's items, the webhook): the same members.
    let nested = [
        (
            at(
                &schemas,
                &["PoliciesBody", "properties", "policies", "items"],
            ),
            members::<PolicyRuleBody>(),
        ),
        (at(&schemas, &["NewStage"]), members::<StageBody>()),
        (
            at(&schemas, &["NotificationsBody", "properties", "webhook"]),
            members::<WebhookBody>(),
        ),
        (
            at(
                &schemas,
                &["CertificateReport", "properties", "certificates", "items"],
            ),
            members::<CertificateItem>(),
        ),
        (
            at(&schemas, &["SshReport", "properties", "keys", "items"]),
            members::<SshKeyItem>(),
        ),
    ];
    for (schema, members) in nested {
        let mut documented = shape(schema).0;
        documented.sort();
        let mut members = members.to_vec();
        members.sort_unstable();
        assert_eq!(documented, members, "{schema:?}");
    }
}

#[test]
fn a_body_of_the_required_members_parses_and_each_is_needed() {
    let schemas = schemas();
    for case in cases() {
        let schema = at(&schemas, &[case.schema]);
        let (_, required) = shape(schema);
        let minimal = case.minimal.as_object().expect("an object");
        for member in &required {
            assert!(minimal.contains_key(member), "{}: {member}", case.schema);
        }
        let text = case.minimal.to_string();
        if let Err(e) = (case.parse)(text.as_bytes()) {
            panic!("{}: {text} is refused: {e:?}", case.schema);
        }
        for member in &required {
            let mut without = minimal.clone();
            without.remove(member);
            let text = Value::Object(without).to_string();
            let error = (case.parse)(text.as_bytes())
                .expect_err(&format!("{}: {text} is accepted", case.schema));
            assert_eq!(
                error.details.get("field").and_then(Value::as_str),
                Some(member.as_str()),
                "{}: {text}: {error:?}",
                case.schema
            );
        }
        // A member beyond the required ones is the alternative an anyOf or oneOf asks for.
        for member in minimal.keys().filter(|m| !required.contains(m)) {
            assert!(
                alternatives(schema).contains(member),
                "{}: {member} is not required",
                case.schema
            );
        }
    }
}

#[test]
fn an_object_of_the_required_members_parses_inside_its_body_and_each_is_needed() {
    let schemas = schemas();
    // (body schema, member holding the object, whether it is a list's item, the field its
    // errors name, the body's parser, an object of the required members)
    let nested: [(&str, &str, bool, &str, Parser, Value); 4] = [
        (
            "PoliciesBody",
            "policies",
            true,
            "policies[0]",
            |b| ok(Policies::parse(b)),
            json!({"glob": "a/*"}),
        ),
        (
            "NotificationsBody",
            "webhook",
            false,
            "webhook",
            |b| {
                ok(NotificationConfig::parse(
                    b,
                    OutboundPolicy {
                        allow_http_loopback: false,
                    },
                ))
            },
            json!({"url": "https://hooks.example.com/latchkey", "secret": "0123456789abcdef"}),
        ),
        (
            "CertificateReport",
            "certificates",
            true,
            "certificates",
            |b| ok(DiscoveredCertificate::parse_report(b)),
            json!({
                "subject": "CN=app",
                "fingerprint": "SHA256:abc",
                "not_before": "2025-01-01T00:00:00Z",
                "not_after": "2026-01-01T00:00:00Z",
            }),
        ),
        (
            "SshReport",
            "keys",
            true,
            "keys",
            |b| ok(DiscoveredSshKey::parse_report(b)),
            json!({"fingerprint": "SHA256:k", "key_type": "ssh-ed25519"}),
        ),
    ];
    for (schema, member, listed, field, parse, object) in nested {
        let path: &[&str] = if listed {
            &[schema, "properties", member, "items"]
        } else {
            &[schema, "properties", member]
        };
        let (_, mut required) = shape(at(&schemas, path));
        required.sort();
        let object = object.as_object().expect("an object").clone();
        let mut given: Vec<String> = object.keys().cloned().collect();
        given.sort();
        assert_eq!(given, required, "{schema}.{member}");
        let body = |object: serde_json::Map<String, Value>| {
            let object = Value::Object(object);
            let value = if listed { json!([object]) } else { object };
            json!({ member: value }).to_string()
        };
        let text = body(object.clone());
        if let Err(e) = parse(text.as_bytes()) {
            panic!("{schema}: {text} is refused: {e:?}");
        }
        for name in &required {
            let mut without = object.clone();
            without.remove(name);
            let text = body(without);
            let error = parse(text.as_bytes()).expect_err(&format!("{schema}: {text}"));
            assert_eq!(
                error.details.get("field").and_then(Value::as_str),
                Some(field),
                "{schema}: {text}: {error:?}"
            );
            assert!(error.message.contains(name.as_str()), "{schema}: {error:?}");
        }
    }
}
