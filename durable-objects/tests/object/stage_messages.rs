//! Issue 24: every kind of request tells its stages' approvers: a read (or patch) request and
//! an agent's password request queue the current stage's messages when filed and the next
//! stage's when one completes, and the messages name what is asked, the stage, and a console
//! link (which carries no right) instead of a deciding link.

use crate::people::{create_role, person};
use crate::support::Object;
use crate::workflows::{create_policy, create_workflow};
use latchkey_contract::caller::access_requests::{ApproveAccess, CreateAccessRequest};
use latchkey_contract::caller::agents::{CreateBootstrap, CreateGrant, RegisterAgent};
use latchkey_contract::caller::notifications::SetNotifications;
use latchkey_contract::caller::passwords::{
    ApprovePasswordRequest, CreatePasswordRequest, ListPasswordRequests,
};
use latchkey_core::access_request::{AccessRequestView, NewAccessRequest};
use latchkey_core::agent::password::NewPasswordRequest;
use latchkey_core::agent::{BootstrapRequest, Labels, Registration};
use latchkey_core::grant::GrantRequest;
use latchkey_core::notification::{NotificationConfig, OutboundPolicy};
use latchkey_durable_objects::tenant::EmailApi;
use serde_json::Value;

const ORIGIN: &str = "https://latchkey.example";
const MAIL_API: &str = "https://mail.example/send";
const HOOK: &str = "https://hooks.example.com/latchkey";

/// A tenant with links and email configured, a webhook channel, and a two-stage workflow on
/// `prod/*` (leads: Ann; then Carol), plus the tokens and people the tests use.
struct Tenant {
    object: Object,
    writer: String,
    ann: String,
    carol: String,
}

fn tenant() -> Tenant {
    let object = Object::with_config(|config| {
        config.link_base = Ok(ORIGIN.to_owned());
        config.email_api = EmailApi {
            url: Some(MAIL_API.to_owned()),
            key: None,
            from: "latchkey@example.com".to_owned(),
        };
    });
    let config = NotificationConfig::parse(
        format!(r#"{{"webhook": {{"url": "{HOOK}", "secret": "webhook-shared-secret-0123"}}}}"#)
            .as_bytes(),
        OutboundPolicy {
            allow_http_loopback: false,
        },
    )
    .unwrap();
    let _: Value = object.master(SetNotifications { config }).unwrap();
    let writer = object.token_with("secrets:write:*");
    let leads = create_role(&object, "leads", r#"["secrets:read:dev/*"]"#);
    let plain = create_role(&object, "plain", r#"["secrets:read:dev/*"]"#);
    let (_, ann) = person(&object, "ann@example.com", &leads.id);
    let (carol_user, carol) = person(&object, "carol@example.com", &plain.id);
    let stages = format!(
        r#"[{{"name": "leads", "approvers": {{"role": "{}"}}, "approvals": 1, "timeout_seconds": 600}},
            {{"name": "owners", "approvers": {{"users": ["{}"]}}, "approvals": 1, "timeout_seconds": 600}}]"#,
        leads.id, carol_user.id
    );
    let workflow = create_workflow(&object, &stages);
    create_policy(
        &object,
        &format!(
            r#"{{"name": "prod", "workflow_id": "{}", "path_glob": "prod/*"}}"#,
            workflow.id
        ),
    )
    .unwrap();
    object.secret(r#"{"path": "prod/db", "value": "v", "tier": "standard"}"#);
    Tenant {
        object,
        writer,
        ann,
        carol,
    }
}

/// (channel, recipient, stage) of one request's queued messages, in order.
fn queued(object: &Object, request: &str) -> Vec<(String, String, Option<i64>)> {
    object
        .rows(&format!(
            "SELECT channel, recipient, stage FROM deliveries WHERE request_id = '{request}'
             ORDER BY id"
        ))
        .iter()
        .map(|row| {
            (
                row.text(0).unwrap(),
                row.text(1).unwrap(),
                row.opt_int(2).unwrap(),
            )
        })
        .collect()
}

/// The messages due now, as (url, JSON body), sent (so the next call sees only new ones).
fn sent(object: &Object) -> Vec<(String, Value)> {
    let due = object.tenant().due_messages(50).unwrap();
    due.iter()
        .map(|message| {
            object
                .tenant()
                .record_delivery(message, Ok(()))
                .expect("recorded");
            (
                message.url.clone(),
                serde_json::from_str(&message.body).unwrap(),
            )
        })
        .collect()
}

fn file_read(t: &Tenant) -> AccessRequestView {
    t.object
        .call(
            &t.writer,
            CreateAccessRequest {
                request: NewAccessRequest::parse_read(
                    br#"{"path": "prod/db", "reason": "incident 42"}"#,
                )
                .unwrap(),
            },
        )
        .unwrap()
}

#[test]
fn read_request_tells_each_stage_in_turn_with_a_console_link() {
    let t = tenant();
    let request = file_read(&t);
    let id = request.id.to_string();
    assert_eq!(
        queued(&t.object, &id),
        [
            ("email".into(), "ann@example.com".into(), Some(0)),
            ("webhook".into(), "webhook".into(), Some(0)),
        ]
    );
    let console = format!(
        "{ORIGIN}/console/?tenant={}#/approvals?request={id}",
        t.object.tenant_id
    );
    let messages = sent(&t.object);
    assert_eq!(messages.len(), 2);
    let (url, mail) = &messages[0];
    assert_eq!(url, MAIL_API);
    assert_eq!(mail["to"][0], "ann@example.com");
    assert_eq!(mail["subject"], "Approval requested: read prod/db");
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("asks to read the secret prod/db") && text.contains("stage 1 of 2"),
        "{text}"
    );
    assert!(
        text.contains(&console) && text.contains("decides nothing"),
        "{text}"
    );
    assert!(!text.contains("?t="), "no deciding link: {text}");
    let (url, hook) = &messages[1];
    assert_eq!(url, HOOK);
    assert_eq!(hook["kind"], "read");
    assert_eq!(hook["request_id"], id.as_str());
    assert_eq!(hook["target"], "prod/db");
    assert_eq!(hook["review_url"], console.as_str());
    assert!(hook["stage"].as_str().unwrap().contains("leads"));
    assert!(hook.get("approval_request_id").is_none());

    // Stage 1 done: stage 2's approver (Carol) and the webhook hear of it, naming stage 2.
    let moved = t
        .object
        .call(
            &t.ann,
            ApproveAccess {
                id: request.id.clone(),
                comment: None,
            },
        )
        .unwrap();
    assert_eq!(moved.stage.unwrap().index, 1);
    assert_eq!(
        queued(&t.object, &id)[2..],
        [
            ("email".into(), "carol@example.com".into(), Some(1)),
            ("webhook".into(), "webhook".into(), Some(1)),
        ]
    );
    let next = sent(&t.object);
    assert_eq!(next.len(), 2);
    assert!(
        next[0].1["text"].as_str().unwrap().contains("stage 2 of 2"),
        "{}",
        next[0].1
    );
    // The last stage decides it: nothing more is queued.
    let done = t
        .object
        .call(
            &t.carol,
            ApproveAccess {
                id: request.id.clone(),
                comment: None,
            },
        )
        .unwrap();
    assert_eq!(done.status, "approved");
    assert_eq!(queued(&t.object, &id).len(), 4);
    assert!(sent(&t.object).is_empty());
}

#[test]
fn message_never_carries_the_secret_value() {
    let t = tenant();
    file_read(&t);
    for (_, body) in sent(&t.object) {
        let text = body.to_string();
        // The stored value is "v": no member of the message is exactly it.
        assert!(!text.contains(r#":"v""#), "{text}");
    }
}

/// A registered agent (`db-1`) granted `paths`: its JWT.
pub(crate) fn agent_with_grants(object: &Object, paths: &[&str]) -> String {
    let boot = object
        .master(CreateBootstrap {
            request: BootstrapRequest::parse(b"{}").unwrap(),
        })
        .unwrap();
    let registered = object
        .call(
            &boot.token,
            RegisterAgent {
                registration: Registration {
                    name: "db-1".to_owned(),
                    hostname: None,
                    os_type: None,
                    metadata: Labels::new(),
                },
            },
        )
        .unwrap();
    for path in paths {
        let body = format!(r#"{{"agent_id": "{}", "path": "{path}"}}"#, registered.id);
        object
            .master(CreateGrant {
                request: GrantRequest::parse(body.as_bytes()).unwrap(),
            })
            .unwrap();
    }
    registered.token
}

#[test]
fn password_request_tells_its_stages_or_without_a_workflow_the_channels() {
    let t = tenant();
    let jwt = agent_with_grants(&t.object, &["prod/*", "dev/*"]);
    let staged = t
        .object
        .call(
            &jwt,
            CreatePasswordRequest {
                request: NewPasswordRequest::parse(
                    br#"{"path": "prod/root", "reason": "rotation"}"#,
                )
                .unwrap(),
            },
        )
        .unwrap();
    let id = staged.id.to_string();
    assert_eq!(
        queued(&t.object, &id),
        [
            ("email".into(), "ann@example.com".into(), Some(0)),
            ("webhook".into(), "webhook".into(), Some(0)),
        ]
    );
    let messages = sent(&t.object);
    let hook = &messages[1].1;
    assert_eq!(hook["kind"], "password");
    assert_eq!(hook["path"], "prod/root");
    assert_eq!(hook["requester_description"], "db-1");
    assert!(
        hook["review_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#/approvals?request={id}")),
        "{hook}"
    );
    t.object
        .call(
            &t.ann,
            ApprovePasswordRequest {
                id: staged.id.clone(),
            },
        )
        .unwrap();
    assert_eq!(
        queued(&t.object, &id)[2..],
        [
            ("email".into(), "carol@example.com".into(), Some(1)),
            ("webhook".into(), "webhook".into(), Some(1)),
        ]
    );

    // No workflow governs dev/: one agents:admin decision; the channels hear of it.
    let plain = t
        .object
        .call(
            &jwt,
            CreatePasswordRequest {
                request: NewPasswordRequest::parse(
                    br#"{"path": "dev/root", "reason": "rotation"}"#,
                )
                .unwrap(),
            },
        )
        .unwrap();
    assert_eq!(
        queued(&t.object, plain.id.as_str()),
        [("webhook".into(), "webhook".into(), None)]
    );
    let body = sent(&t.object)
        .into_iter()
        .map(|(_, body)| body)
        .find(|body| body["request_id"] == plain.id.as_str())
        .expect("the channel's message");
    assert_eq!(body["kind"], "password");
    assert!(body["stage"].is_null(), "{body}");

    // A stage's approver finds the request they were told of (only it); an agents:admin
    // holder finds both; a token that can be no approver is refused.
    for person in [&t.ann, &t.carol] {
        let listed = t
            .object
            .call(person, ListPasswordRequests { status: None })
            .unwrap();
        let ids: Vec<&str> = listed.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, [id.as_str()]);
    }
    let every = t
        .object
        .master(ListPasswordRequests { status: None })
        .unwrap();
    assert_eq!(every.len(), 2);
    let e = t
        .object
        .call(&t.writer, ListPasswordRequests { status: None })
        .unwrap_err();
    assert_eq!(e.code, latchkey_core::ErrorCode::PermissionDenied);
}

/// The deciding commands refuse a caller who can be no approver (a token without
/// `approvals:decide` or `agents:admin`) before the call counts as one of its uses: a refused
/// request changes nothing, a `max_uses` token's count included.
#[test]
fn caller_who_can_be_no_approver_is_refused_before_a_use_is_counted() {
    use latchkey_contract::caller::approvals::ApproveRequest;
    use latchkey_contract::caller::passwords::RejectPasswordRequest;
    use latchkey_contract::caller::secrets::GetSecret;
    use latchkey_core::access_request::AccessRequestId;
    use latchkey_core::agent::PasswordRequestId;
    use latchkey_core::approval::ApprovalId;
    let t = tenant();
    // Minted before the secret it reads exists (no approval needed for it).
    let once = t
        .object
        .token(r#"{"scope": "secrets:read:dev/*", "max_uses": 1, "ttl_seconds": 3600}"#);
    t.object
        .secret(r#"{"path": "dev/db", "value": "d", "tier": "standard"}"#);
    let denied = |e: latchkey_core::ApiError| {
        assert_eq!(e.code, latchkey_core::ErrorCode::PermissionDenied, "{e:?}");
    };
    for _ in 0..2 {
        denied(
            t.object
                .call(&once, ListPasswordRequests { status: None })
                .unwrap_err(),
        );
        denied(
            t.object
                .call(
                    &once,
                    ApprovePasswordRequest {
                        id: PasswordRequestId::parse("pwr_0123456789abcdef01234567").unwrap(),
                    },
                )
                .unwrap_err(),
        );
        denied(
            t.object
                .call(
                    &once,
                    RejectPasswordRequest {
                        id: PasswordRequestId::parse("pwr_0123456789abcdef01234567").unwrap(),
                        reason: None,
                    },
                )
                .unwrap_err(),
        );
        denied(
            t.object
                .call(
                    &once,
                    ApproveRequest {
                        id: ApprovalId::parse("apr_0123456789abcdef0123456789abcdef").unwrap(),
                        comment: None,
                    },
                )
                .unwrap_err(),
        );
        denied(
            t.object
                .call(
                    &once,
                    ApproveAccess {
                        id: AccessRequestId::parse("req_0123456789abcdef01234567").unwrap(),
                        comment: None,
                    },
                )
                .unwrap_err(),
        );
    }
    // Its one use is still there; after it, none is.
    let read = |key: &str| {
        t.object.call(
            key,
            GetSecret {
                path: latchkey_core::SecretPath::parse("dev/db").unwrap(),
                version: None,
            },
        )
    };
    assert!(read(&once).is_ok());
    assert!(read(&once).is_err());
}
