//! What the Worker reads from its deployment (vars and secrets): read once per isolate (they
//! cannot change while it lives), at the front door, and handed to the handlers that need it.
//! The tenant object reads its own (`latchkey_durable_objects::object`).

use latchkey_core::agent::jobs::{JOB_LEASE_SECONDS, JOB_LEASE_VAR};
use latchkey_core::public_url::{LinkBaseProblem, PUBLIC_URL_VAR, link_base};
use latchkey_core::token::MIN_TTL_SECONDS;
use std::cell::OnceCell;
use std::rc::Rc;
use worker::Env;
use zeroize::Zeroizing;

/// The Worker var that enables the benchmark's baseline route (`scripts/bench` only).
pub const BENCH_VAR: &str = "BENCH";

/// The Worker var that lets notification channels use plain http to loopback (`scripts/dev`,
/// tests).
pub const ALLOW_HTTP_LOOPBACK_VAR: &str = "ALLOW_HTTP_LOOPBACK";

/// The Worker var that lowers the minimum token TTL (tests only).
pub const MIN_TTL_VAR: &str = "TOKEN_MIN_TTL_SECONDS";

/// The Worker secret the operator routes check.
pub const OPERATOR_KEY_SECRET: &str = "OPERATOR_KEY";

pub struct Config {
    /// Whether `POST /v1/bench/baseline` routes.
    pub bench_enabled: bool,
    /// Whether notification channels may use plain http to loopback.
    pub allow_http_loopback: bool,
    /// The shortest token TTL a request may ask for: 60 s unless tests lower it.
    pub min_token_ttl_seconds: u64,
    /// How long a claimed agent job is leased (`latchkey_core::agent::jobs`): 300 s unless
    /// tests lower it with `AGENT_JOB_LEASE_SECONDS`.
    pub job_lease_seconds: u64,
    /// The origin links point at: `PUBLIC_URL`, never a host the request named.
    pub link_base: Result<String, LinkBaseProblem>,
    /// `OPERATOR_KEY`, when it is configured and not empty.
    pub operator_key: Option<Zeroizing<String>>,
}

thread_local! {
    static CONFIG: OnceCell<Rc<Config>> = const { OnceCell::new() };
}

impl Config {
    /// The isolate's configuration, read from `env` the first time.
    pub fn of(env: &Env) -> Rc<Config> {
        CONFIG.with(|config| config.get_or_init(|| Rc::new(Config::read(env))).clone())
    }

    fn read(env: &Env) -> Self {
        let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
        Config {
            bench_enabled: var(BENCH_VAR).as_deref() == Some("true"),
            allow_http_loopback: var(ALLOW_HTTP_LOOPBACK_VAR).as_deref() == Some("true"),
            min_token_ttl_seconds: var(MIN_TTL_VAR)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(MIN_TTL_SECONDS),
            job_lease_seconds: var(JOB_LEASE_VAR)
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|s| *s > 0)
                .unwrap_or(JOB_LEASE_SECONDS),
            link_base: link_base(var(PUBLIC_URL_VAR).as_deref()),
            operator_key: env
                .secret(OPERATOR_KEY_SECRET)
                .ok()
                .map(|s| Zeroizing::new(s.to_string()))
                .filter(|key| !key.is_empty()),
        }
    }
}
