//! End-to-end tests against the real local runtime. One `wrangler dev` serves every test
//! (tests that restart the runtime start their own); it is stopped before the process exits.

mod agent_envelopes;
mod agent_plane;
mod agent_reference;
mod agent_requests;
mod agent_socket;
mod agents;
mod approvals;
mod audit;
mod broker;
mod browser;
mod cli;
mod console;
mod console_admin;
mod console_agents;
mod durability;
mod errors;
mod faces_api;
mod faces_ass;
mod faces_maestro;
mod faces_vault002;
mod fields;
mod gitops;
mod hardening;
mod leaks;
mod lifecycle;
mod links;
mod listing;
mod maintenance;
mod mcp;
mod metrics;
mod oauth;
mod origin;
mod people;
mod probes;
mod projects;
mod queries;
mod ratelimit;
mod reliability;
mod requests;
mod schemathesis;
mod secrets;
mod security;
mod tenants;
mod tokens;
mod tools;
mod vault;
mod workflows;

use latchkey_e2e::{Api, Echo, Runtime, Sink};
use libtest_mimic::{Arguments, Trial};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Ctx {
    pub runtime: Runtime,
    pub run_dir: PathBuf,
    /// Receives the Slack, webhook and email deliveries of the shared runtime.
    pub sink: Sink,
    /// The loopback upstream of the secrets broker's tests (`POST /v1/proxy`).
    pub echo: Echo,
}

impl Ctx {
    pub fn api(&self) -> Api {
        self.runtime.api()
    }

    /// A new tenant on the shared runtime: `(tenant_id, master_key)`.
    pub fn new_tenant(&self) -> (String, String) {
        new_tenant(&self.api(), &self.runtime.operator_key)
    }
}

pub fn new_tenant(api: &Api, operator_key: &str) -> (String, String) {
    let reply = api.create_tenant(operator_key, &json!({"name": "e2e tenant", "plan": "pro"}));
    assert_eq!(reply.status, 201, "create tenant: {}", reply.text);
    (
        reply.body["tenant_id"]
            .as_str()
            .expect("tenant_id")
            .to_owned(),
        reply.body["master_key"]
            .as_str()
            .expect("master_key")
            .to_owned(),
    )
}

type Test = fn(&Ctx);

fn all_tests() -> Vec<(&'static str, Test)> {
    let mut tests: Vec<(&'static str, Test)> = Vec::new();
    tests.extend(probes::TESTS);
    tests.extend(metrics::TESTS);
    tests.extend(tenants::TESTS);
    tests.extend(secrets::TESTS);
    tests.extend(lifecycle::TESTS);
    tests.extend(listing::TESTS);
    tests.extend(errors::TESTS);
    tests.extend(fields::TESTS);
    tests.extend(tokens::TESTS);
    tests.extend(agents::TESTS);
    tests.extend(agent_plane::TESTS);
    tests.extend(gitops::TESTS);
    tests.extend(agent_socket::TESTS);
    tests.extend(agent_envelopes::TESTS);
    tests.extend(agent_requests::TESTS);
    tests.extend(agent_reference::TESTS);
    tests.extend(people::TESTS);
    tests.extend(requests::TESTS);
    tests.extend(approvals::TESTS);
    tests.extend(links::TESTS);
    tests.extend(origin::TESTS);
    tests.extend(browser::TESTS);
    tests.extend(console::TESTS);
    tests.extend(console_admin::TESTS);
    tests.extend(console_agents::TESTS);
    tests.extend(hardening::TESTS);
    tests.extend(audit::TESTS);
    tests.extend(reliability::TESTS);
    tests.extend(ratelimit::TESTS);
    tests.extend(tools::TESTS);
    tests.extend(cli::TESTS);
    tests.extend(schemathesis::TESTS);
    tests.extend(maintenance::TESTS);
    tests.extend(durability::TESTS);
    tests.extend(vault::TESTS);
    tests.extend(faces_maestro::TESTS);
    tests.extend(faces_vault002::TESTS);
    tests.extend(faces_api::TESTS);
    tests.extend(faces_ass::TESTS);
    tests.extend(broker::TESTS);
    tests.extend(mcp::TESTS);
    tests.extend(oauth::TESTS);
    tests.extend(oauth::REFUSAL_TESTS);
    tests.extend(leaks::TESTS);
    tests.extend(security::TESTS);
    tests.extend(queries::TESTS);
    tests.extend(projects::TESTS);
    tests.extend(workflows::TESTS);
    tests
}

fn main() {
    let args = Arguments::from_args();
    let tests = all_tests();
    let selected = tests.iter().any(|(name, _)| {
        args.skip.iter().all(|s| !name.contains(s.as_str()))
            && args.filter.as_deref().is_none_or(|f| name.contains(f))
    });
    if args.list || !selected {
        let trials = tests
            .into_iter()
            .map(|(name, _)| Trial::test(name, || Ok(())))
            .collect();
        libtest_mimic::run(&args, trials).exit();
    }
    let run_dir = std::env::var_os("LATCHKEY_E2E_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            latchkey_e2e::runtime::repo_root()
                .join(".tmp")
                .join(latchkey_e2e::unique("e2e"))
        });
    std::fs::create_dir_all(&run_dir).expect("create e2e run dir");
    eprintln!("e2e: state under {}", run_dir.display());
    let sink = Sink::start();
    let echo = Echo::start();
    let email_api = format!("{}/email", sink.base_url);
    let runtime = Runtime::start_with_vars(
        &run_dir,
        "shared",
        &[
            ("ALLOW_HTTP_LOOPBACK", "true"),
            ("EMAIL_API_URL", &email_api),
            ("EMAIL_FROM", "latchkey@test.example"),
            // The broker refuses loopback upstreams unless listed here; the echo server is one.
            ("PROXY_INSECURE_HOSTS", "127.0.0.1,localhost,::1"),
        ],
    );
    let ctx = Arc::new(Ctx {
        runtime,
        run_dir: run_dir.clone(),
        sink,
        echo,
    });
    let trials = tests
        .into_iter()
        .map(|(name, test)| {
            let ctx = Arc::clone(&ctx);
            Trial::test(name, move || {
                test(&ctx);
                Ok(())
            })
        })
        .collect();
    let mut conclusion = libtest_mimic::run(&args, trials);
    match Arc::try_unwrap(ctx) {
        Ok(mut ctx) => ctx.runtime.stop(),
        Err(_) => eprintln!("e2e: runtime still shared at exit; dropping it"),
    }
    // The at-rest scan: no secret value any test stored is in any file of any runtime's state.
    // First, proof that the scan finds a value that is there.
    let canary = latchkey_e2e::secret_value("scan-canary");
    let canary_file = run_dir.join("scan-canary.bin");
    let _ = std::fs::write(&canary_file, format!("xx{canary}yy"));
    let canary_found =
        latchkey_e2e::runtime::files_containing_any(&run_dir, std::slice::from_ref(&canary));
    let _ = std::fs::remove_file(&canary_file);
    if canary_found.len() != 1 {
        eprintln!("e2e: the at-rest scan does not find a planted value");
        conclusion.num_failed += 1;
    }
    let values: Vec<String> = latchkey_e2e::SECRET_VALUES
        .lock()
        .map(|v| v.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|v| *v != canary)
        .collect();
    let leaks = latchkey_e2e::runtime::files_containing_any(&run_dir, &values);
    eprintln!(
        "e2e: at-rest scan of {} for {} secret values: {} found",
        run_dir.display(),
        values.len(),
        leaks.len()
    );
    if !leaks.is_empty() {
        for (file, value) in &leaks {
            eprintln!("e2e: plaintext {value} in {}", file.display());
        }
        conclusion.num_failed += 1;
    }
    if !conclusion.has_failed() {
        remove_dir(&run_dir);
    } else {
        eprintln!("e2e: kept {} for inspection", run_dir.display());
    }
    conclusion.exit();
}

fn remove_dir(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}
