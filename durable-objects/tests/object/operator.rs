//! The operator's commands (creating a tenant, setting its plan) and the probes (readiness,
//! the benchmark's baseline).

use crate::store::{Shared, SqliteStore};
use crate::support::{Object, START_MS, reply_of, root_key};
use latchkey_contract::caller::tenant::Touch;
use latchkey_contract::operator::{InitTenant, SetPlan};
use latchkey_contract::probe::{BenchBaseline, Ping};
use latchkey_contract::{Channel, Command, RequestOrigin, TenantRequest, TenantResponse};
use latchkey_core::credential::{mint_master_key, parse_bearer};
use latchkey_core::ratelimit::RateState;
use latchkey_core::tenant::TenantName;
use latchkey_core::{ApiError, ErrorCode, Plan, TenantId, Timestamp};
use latchkey_durable_objects::sql::{Store, Value as V};
use latchkey_durable_objects::tenant::{Tenant, TenantConfig};
use serde_json::{Value, json};
use std::rc::Rc;

/// An object whose tenant was never created: what a guessed tenant id reaches.
struct Bare {
    tenant: Tenant,
    db: Rc<SqliteStore>,
}

impl Bare {
    fn new() -> Self {
        let db = SqliteStore::in_memory();
        let tenant = Tenant::new(
            Box::new(Shared(db.clone())),
            TenantConfig::with_root_key(root_key()),
            Box::new(|| Timestamp::from_unix_ms(START_MS).unwrap()),
        );
        Bare { tenant, db }
    }

    fn send(&self, channel: Channel) -> TenantResponse {
        self.tenant
            .answer(TenantRequest {
                origin: RequestOrigin::default(),
                channel,
            })
            .response
    }

    fn operator<C>(&self, command: C) -> Result<C::Reply, ApiError>
    where
        C: Command,
        C::Channel: Into<Channel>,
    {
        reply_of::<C>(self.send(command.into().into()))
    }

    fn tables(&self) -> i64 {
        self.db
            .query("SELECT count(*) FROM sqlite_master", Vec::<V>::new())
            .unwrap()
            .first()
            .unwrap()
            .int(0)
            .unwrap()
    }
}

fn init(tenant_id: &TenantId, plan: Plan) -> (InitTenant, String) {
    let master = mint_master_key(tenant_id).unwrap();
    (
        InitTenant {
            tenant_id: tenant_id.clone(),
            name: TenantName::parse("globex").unwrap(),
            plan,
            master_key_hash: master.hash,
        },
        master.value.to_string(),
    )
}

/// A request of `key` that is only counted, as the Worker sends it.
fn touch(key: &str) -> Channel {
    Channel::Caller {
        credential: parse_bearer(key).unwrap(),
        purpose: None,
        command: Some(Touch.into()),
    }
}

/// The rate state the master key's next request reports.
fn rate(object: &Object) -> RateState {
    let response = object.send(touch(&object.master));
    assert!(response.result.is_ok());
    response.rate.unwrap()
}

fn event(object: &Object, event_type: &str) -> (String, Value) {
    let rows = object.rows(&format!(
        "SELECT actor, details FROM audit_events WHERE type = '{event_type}'
         ORDER BY seq DESC LIMIT 1"
    ));
    let row = rows.first().unwrap();
    (
        row.text(0).unwrap(),
        serde_json::from_str(&row.text(1).unwrap()).unwrap(),
    )
}

fn tenant_row(object: &Object) -> (String, String, String, Option<i64>) {
    let rows = object.rows("SELECT name, plan, master_key_hash, rate_limit_per_minute FROM tenant");
    assert_eq!(rows.len(), 1);
    let row = rows.first().unwrap();
    (
        row.text(0).unwrap(),
        row.text(1).unwrap(),
        row.text(2).unwrap(),
        row.opt_int(3).unwrap(),
    )
}

#[test]
fn init_tenant_creates_the_tenant_and_opens_its_chain() {
    let object = Object::new();
    let rows = object.rows("SELECT tenant_id, created_at, hex(wrapped_tenant_key) FROM tenant");
    let row = rows.first().unwrap();
    assert_eq!(row.text(0).unwrap(), object.tenant_id.as_str());
    assert_eq!(row.int(1).unwrap(), START_MS);
    assert!(!row.blob(2).unwrap().is_empty());
    assert_eq!(
        tenant_row(&object),
        (
            "acme".to_owned(),
            "enterprise".to_owned(),
            Object::hash_of(&object.master).to_hex(),
            None
        )
    );
    assert_eq!(object.events(), [("tenant.created".to_owned(), true)]);
    let (actor, details) = event(&object, "tenant.created");
    assert_eq!(actor, "operator");
    assert_eq!(details, json!({"name": "acme", "plan": "enterprise"}));
    assert_eq!(rate(&object).limit, 10_000);
}

#[test]
fn init_tenant_on_a_new_object_answers_when_it_was_created() {
    let bare = Bare::new();
    let tenant_id = TenantId::generate().unwrap();
    let (command, master) = init(&tenant_id, Plan::Free);
    let created = bare.operator(command).unwrap();
    assert_eq!(created.unix_ms(), START_MS);
    let response = bare.send(touch(&master));
    assert!(response.result.is_ok());
    assert_eq!(response.rate.unwrap().limit, 100, "the Free plan's limit");
}

#[test]
fn init_tenant_a_second_time_is_refused_and_changes_nothing() {
    let object = Object::new();
    let before = tenant_row(&object);
    let (command, other_master) = init(&object.tenant_id, Plan::Free);
    let refused = object.operator(command).unwrap_err();
    assert_eq!(refused.code, ErrorCode::Conflict);
    assert_eq!(refused.message, "tenant already exists");
    assert_eq!(tenant_row(&object), before);
    assert_eq!(object.events(), [("tenant.created".to_owned(), true)]);
    // The first master key still works; the second never does.
    assert!(object.send(touch(&object.master)).result.is_ok());
    let refused = object.send(touch(&other_master));
    assert_eq!(refused.result.unwrap_err().code, ErrorCode::Unauthorized);
}

#[test]
fn set_plan_changes_the_plan_and_the_custom_limit_and_is_recorded() {
    let object = Object::new();
    object
        .operator(SetPlan {
            plan: Plan::Pro,
            rate_limit_per_minute: Some(50),
            non_expiring_tokens: None,
            mcp_value_tools: None,
            gitops_enabled: None,
        })
        .unwrap();
    let (_, plan, _, custom) = tenant_row(&object);
    assert_eq!((plan.as_str(), custom), ("pro", Some(50)));
    assert_eq!(
        object.last_event(),
        ("tenant.plan_changed".to_owned(), true)
    );
    let (actor, details) = event(&object, "tenant.plan_changed");
    assert_eq!(actor, "operator");
    assert_eq!(details, json!({"plan": "pro", "rate_limit_per_minute": 50}));
    assert_eq!(rate(&object).limit, 50);
}

#[test]
fn set_plan_without_a_custom_limit_takes_the_plans_own() {
    let object = Object::new();
    for (plan, limit) in [
        (Plan::Free, 100),
        (Plan::Pro, 1000),
        (Plan::Enterprise, 10_000),
    ] {
        object
            .operator(SetPlan {
                plan,
                rate_limit_per_minute: None,
                non_expiring_tokens: None,
                mcp_value_tools: None,
                gitops_enabled: None,
            })
            .unwrap();
        assert_eq!(rate(&object).limit, limit, "{plan:?}");
        assert_eq!(tenant_row(&object).3, None);
    }
    let (_, details) = event(&object, "tenant.plan_changed");
    assert_eq!(
        details,
        json!({"plan": "enterprise", "rate_limit_per_minute": null})
    );
}

#[test]
fn set_plan_takes_effect_on_the_next_request() {
    let object = Object::new();
    assert!(object.send(touch(&object.master)).result.is_ok());
    object
        .operator(SetPlan {
            plan: Plan::Enterprise,
            rate_limit_per_minute: Some(2),
            non_expiring_tokens: None,
            mcp_value_tools: None,
            gitops_enabled: None,
        })
        .unwrap();
    // The window keeps what it admitted: one more fits.
    let next = object.send(touch(&object.master));
    assert!(next.result.is_ok());
    assert_eq!(next.rate.unwrap().remaining, 0);
    let refused = object.send(touch(&object.master));
    assert_eq!(refused.result.unwrap_err().code, ErrorCode::RateLimited);
}

#[test]
fn set_plan_on_an_object_without_a_tenant_is_not_found_and_writes_nothing() {
    let bare = Bare::new();
    let err = bare
        .operator(SetPlan {
            plan: Plan::Pro,
            rate_limit_per_minute: Some(5),
            non_expiring_tokens: None,
            mcp_value_tools: None,
            gitops_enabled: None,
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(bare.tables(), 0);
}

#[test]
fn a_caller_of_an_object_without_a_tenant_is_unauthorized_and_creates_nothing() {
    let bare = Bare::new();
    let tenant_id = TenantId::generate().unwrap();
    let master = mint_master_key(&tenant_id).unwrap();
    let response = bare.send(touch(&master.value));
    assert!(response.rate.is_none());
    let err = response.result.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(err.message, latchkey_core::credential::UNRECOGNIZED);
    assert_eq!(bare.tables(), 0);
}

#[test]
fn ping_answers_without_touching_tenant_data() {
    let object = Object::new();
    let events = object.events();
    object.operator(Ping).unwrap();
    assert_eq!(object.events(), events);
    let response = object.send(Channel::Probe(Ping.into()));
    assert!(response.rate.is_none());
    assert!(response.result.is_ok());
    // Not counted against the tenant's limit.
    assert_eq!(rate(&object).remaining, 9_999);
    let bare = Bare::new();
    bare.operator(Ping).unwrap();
    assert_eq!(bare.tables(), 0);
}

#[test]
fn bench_baseline_is_not_found_unless_the_deployment_enables_it() {
    let object = Object::new();
    let err = object.operator(BenchBaseline).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(
        object.count("SELECT count(*) FROM sqlite_master WHERE name = 'bench'"),
        0
    );
    assert_eq!(object.events().len(), 1);
}

#[test]
fn bench_baseline_when_enabled_writes_one_row_and_nothing_else() {
    let object = Object::with_config(|c| c.bench_enabled = true);
    let events = object.events();
    for _ in 0..3 {
        object.operator(BenchBaseline).unwrap();
    }
    let rows = object.rows("SELECT at FROM bench");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows.first().unwrap().int(0).unwrap(),
        object.now().unix_ms()
    );
    assert_eq!(object.events(), events, "not recorded");
    assert_eq!(rate(&object).remaining, 9_999, "not counted");
}
