//! `latchkey agent`: the reference agent of issue 23. It gets in (a minted agent's secret, or
//! seed 000's bootstrap token → registration → one-hour JWT, renewed), registers an X25519
//! key, reports what it finds under its root directory (metadata only), sends heartbeats, and
//! claims and carries out jobs: approved reads (the value goes back sealed under a DEK) and
//! patches (the values come sealed to its key; files are written atomically).
//!
//! Nothing it holds is printed: not its secret (except by `latchkey agent mint`, which shows
//! it once because the user asked for it), not its JWT or key, not a value.

mod envelope;
mod jobs;
mod provider;
mod socket;
mod state;

use crate::args::{AgentAction, AgentArgs, AgentMintArgs, AgentRunArgs};
use crate::client::{Client, Reply};
use crate::config::{self, ENV_TOKEN, ENV_URL, Settings};
use crate::ctx::Ctx;
use crate::error::CliError;
use crate::secret::Secret;
use serde_json::{Value, json};
use state::{Credential, State};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const ENV_AGENT_SECRET: &str = "LATCHKEY_AGENT_SECRET";
pub const ENV_AGENT_ID: &str = "LATCHKEY_AGENT_ID";
pub const ENV_BOOTSTRAP_TOKEN: &str = "LATCHKEY_BOOTSTRAP_TOKEN";
const SECRET_HEADER: &str = "X-Agent-Secret";
/// A registered agent's JWT lives an hour; it is renewed after half of that.
const JWT_RENEW_AFTER_SECS: u64 = 30 * 60;
/// Discovery is uploaded when it changed, and at least this often.
const UPLOAD_AT_LEAST_EVERY: Duration = Duration::from_secs(10 * 60);
const STATE_SOURCE: &str = "the agent's state file";
/// While the socket is open it announces jobs; polling goes on at least this often anyway.
const SOCKET_POLL_EVERY: Duration = Duration::from_secs(30);

fn log(message: &str) {
    eprintln!("latchkey agent: {message}");
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hostname() -> String {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    read("/proc/sys/kernel/hostname")
        .or_else(|| read("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "latchkey-agent".to_owned())
}

fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}/{arch}", std::env::consts::OS)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A credential from a file (trimmed), else from an environment variable.
fn credential_from(file: Option<&PathBuf>, var: &str) -> Result<Option<Secret>, CliError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
        let secret = Secret::new(text.trim().to_owned());
        if secret.is_empty() {
            return Err(CliError::usage(format!("{} is empty", path.display())));
        }
        return Ok(Some(secret));
    }
    Ok(env(var).map(|v| Secret::new(v.trim().to_owned())))
}

fn checked_url(text: &str, source: &str) -> Result<String, CliError> {
    config::check_url(text).map_err(|why| CliError::usage(format!("{source}: {why}")))
}

pub fn agent(ctx: &Ctx, args: AgentArgs) -> Result<u8, CliError> {
    match args.action {
        Some(AgentAction::Mint(mint)) => mint_and_print(ctx, &mint),
        None => run(ctx, &args.run),
    }
}

fn mint_body(name: &str, hostname: Option<&str>, os_type: Option<&str>) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("name".into(), json!(name));
    if let Some(h) = hostname {
        body.insert("hostname".into(), json!(h));
    }
    if let Some(o) = os_type {
        body.insert("os_type".into(), json!(o));
    }
    Value::Object(body)
}

/// `latchkey agent mint`: the one place an agent secret is printed, once, because it was asked.
fn mint_and_print(ctx: &Ctx, args: &AgentMintArgs) -> Result<u8, CliError> {
    let client = ctx.client()?;
    let body = mint_body(
        &args.name,
        args.hostname.as_deref(),
        args.os_type.as_deref(),
    );
    let reply = client.post("/api/v1/agents", &body)?;
    if ctx.json {
        println!("{}", reply.body);
        return Ok(0);
    }
    let id = str_member(&reply, "id")?;
    let secret = Secret::new(str_member(&reply, "agent_secret")?);
    println!("Minted agent {id} ({})", args.name);
    println!("{}", secret.expose());
    eprintln!(
        "This secret is shown once. Start the agent with {ENV_AGENT_SECRET}=<it> and --agent-id {id}."
    );
    Ok(0)
}

/// A running agent's connection to the API.
pub struct Session {
    client: Client,
    state: State,
    state_path: PathBuf,
    keys: envelope::KeyPair,
    root: PathBuf,
    cluster: String,
    /// What the last upload reported, and when.
    uploaded: Option<(Vec<provider::Found>, Instant)>,
    /// The live socket's thread, told of renewed credentials.
    link: Option<Arc<socket::Link>>,
}

/// The header (`None`: `Authorization: Bearer`) and the credential.
fn credential_of(state: &State) -> (Option<&'static str>, Secret) {
    match &state.credential {
        Credential::AgentSecret(secret) => (Some(SECRET_HEADER), Secret::new(secret.clone())),
        Credential::Jwt { token, .. } => (None, Secret::new(token.clone())),
    }
}

fn client_for(state: &State) -> Client {
    let (header, token) = credential_of(state);
    let settings = Settings {
        url: state.url.clone(),
        url_source: STATE_SOURCE.to_owned(),
        token,
        token_source: STATE_SOURCE.to_owned(),
    };
    match header {
        Some(name) => Client::with_secret_header(settings, name),
        None => Client::new(settings),
    }
}

/// Gets in: the state file, else an agent secret, a bootstrap token, or `--mint`.
fn establish(ctx: &Ctx, args: &AgentRunArgs, path: &Path) -> Result<State, CliError> {
    let url_flag = match (&args.url, env(ENV_URL)) {
        (Some(url), _) => Some(checked_url(url, "--url")?),
        (None, Some(url)) => Some(checked_url(&url, ENV_URL)?),
        (None, None) => None,
    };
    if let Some(state) = State::load(path)? {
        if args.mint {
            log(&format!(
                "{} holds agent {} already: --mint makes no second one",
                path.display(),
                state.agent_id
            ));
        }
        if let Some(url) = &url_flag
            && *url != state.url
        {
            return Err(CliError::usage_hint(
                format!(
                    "the agent's state file {} belongs to {}, not {url}",
                    path.display(),
                    state.url
                ),
                "give another --state for another server",
            ));
        }
        return Ok(state);
    }
    let name = args.name.clone().unwrap_or_else(hostname);
    if let Some(secret) = credential_from(args.agent_secret_file.as_ref(), ENV_AGENT_SECRET)? {
        let id = args
            .agent_id
            .clone()
            .or_else(|| env(ENV_AGENT_ID))
            .ok_or_else(|| {
                CliError::usage(
                    "an agent secret needs its agent's id: --agent-id or LATCHKEY_AGENT_ID",
                )
            })?;
        let tenant = state::tenant_of_secret(secret.expose()).ok_or_else(|| {
            CliError::usage("the agent secret is not one (it starts with lk_agt_tn_…)")
        })?;
        let url =
            url_flag.ok_or_else(|| CliError::usage("give the API's URL: --url or LATCHKEY_URL"))?;
        return State::new(
            url,
            id,
            tenant,
            Credential::AgentSecret(secret.expose().to_owned()),
        );
    }
    if let Some(token) = credential_from(args.bootstrap_token_file.as_ref(), ENV_BOOTSTRAP_TOKEN)? {
        let url =
            url_flag.ok_or_else(|| CliError::usage("give the API's URL: --url or LATCHKEY_URL"))?;
        let anonymous = Client::new(Settings {
            url: url.clone(),
            url_source: "--url/LATCHKEY_URL".to_owned(),
            token: Secret::new(String::new()),
            token_source: ENV_BOOTSTRAP_TOKEN.to_owned(),
        });
        let reply = anonymous.post(
            "/api/v1/agents/register",
            &json!({
                "token": token.expose(),
                "name": name,
                "hostname": hostname(),
                "os_type": platform(),
            }),
        )?;
        let id = str_member(&reply, "id")?;
        let jwt = str_member(&reply, "token")?;
        let tenant = state::tenant_of_jwt(&jwt)
            .ok_or_else(|| CliError::failed("the registration's JWT names no tenant"))?;
        log(&format!("registered as agent {id}"));
        return State::new(
            url,
            id,
            tenant,
            Credential::Jwt {
                token: jwt,
                issued_at: now_secs(),
            },
        );
    }
    if args.mint {
        let settings = config::resolve(ctx.profile.as_deref(), &config::process_env)?;
        let url = settings.url.clone();
        if let Some(flag) = &url_flag
            && *flag != url
        {
            return Err(CliError::usage(format!(
                "--mint uses the admin credential's URL {url}, not {flag}"
            )));
        }
        let admin = Client::new(settings);
        let reply = admin.post(
            "/api/v1/agents",
            &mint_body(&name, Some(&hostname()), Some(&platform())),
        )?;
        let id = str_member(&reply, "id")?;
        let secret = str_member(&reply, "agent_secret")?;
        let tenant = state::tenant_of_secret(&secret)
            .ok_or_else(|| CliError::failed("the minted agent secret names no tenant"))?;
        log(&format!(
            "minted agent {id}; its secret is kept in {} (mode 0600), not printed",
            path.display()
        ));
        return State::new(url, id, tenant, Credential::AgentSecret(secret));
    }
    Err(CliError::usage_hint(
        format!("no agent state in {} and no way in", path.display()),
        format!(
            "start it with --mint (admin credential in {ENV_TOKEN} or a profile), with \
             {ENV_BOOTSTRAP_TOKEN}, or with {ENV_AGENT_SECRET} and --agent-id"
        ),
    ))
}

fn str_member(reply: &Reply, name: &str) -> Result<String, CliError> {
    reply
        .body
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| CliError::failed(format!("the server's answer has no {name}")))
}

impl Session {
    fn agent_url(&self, rest: &str) -> String {
        format!("/api/v1/agents/{}{rest}", self.state.agent_id)
    }

    /// Renews a registered agent's JWT when it is half way to expiry (or `force`).
    fn renew(&mut self, force: bool) -> Result<(), CliError> {
        let Credential::Jwt { issued_at, .. } = &self.state.credential else {
            return Ok(());
        };
        if !force && now_secs().saturating_sub(*issued_at) < JWT_RENEW_AFTER_SECS {
            return Ok(());
        }
        let reply = self
            .client
            .post("/api/v1/agents/me/refresh-token", &json!({}))
            .map_err(|e| {
                fatal_hint(
                    e,
                    "the JWT could not be renewed; register again with a new bootstrap token",
                )
            })?;
        let token = str_member(&reply, "token")?;
        self.state.credential = Credential::Jwt {
            token,
            issued_at: now_secs(),
        };
        self.state.save(&self.state_path)?;
        self.client = client_for(&self.state);
        if let Some(link) = &self.link {
            let (header, token) = credential_of(&self.state);
            link.set_credential(header, token);
        }
        Ok(())
    }

    /// Sends a request as the agent; a registered agent's refused JWT is renewed once.
    pub fn send(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Reply, CliError> {
        match self.client.send(method, url, body, &[]) {
            Err(CliError::Api(failure))
                if failure.code == "unauthorized"
                    && matches!(self.state.credential, Credential::Jwt { .. }) =>
            {
                self.renew(true)?;
                self.client.send(method, url, body, &[])
            }
            other => other,
        }
    }

    /// Registers the key pair's public half unless the server already has it.
    fn register_key(&mut self) -> Result<(), CliError> {
        let public = self.keys.public_base64();
        if self.state.registered_public_key.as_deref() == Some(public.as_str()) {
            return Ok(());
        }
        let url = self.agent_url("/public-key");
        self.send("PUT", &url, Some(&json!({ "public_key": public })))?;
        self.state.registered_public_key = Some(public);
        self.state.save(&self.state_path)?;
        log("registered its X25519 public key");
        Ok(())
    }

    fn heartbeat(&mut self) -> Result<(), CliError> {
        let url = self.agent_url("/heartbeat");
        self.send("POST", &url, None).map(|_| ())
    }

    /// Looks at the root and uploads the metadata when it changed (or `force`, or it is old).
    fn scan(&mut self, force: bool) -> Result<(), CliError> {
        let found = provider::discover(&self.root).map_err(CliError::failed)?;
        let unchanged = self.uploaded.as_ref().is_some_and(|(list, at)| {
            at.elapsed() < UPLOAD_AT_LEAST_EVERY && list.as_slice() == found.as_slice()
        });
        if !force && unchanged {
            return Ok(());
        }
        let mut items: Vec<Value> = found
            .iter()
            .map(|f| {
                json!({
                    "cluster_name": self.cluster,
                    "provider": "file",
                    "ref": f.reference,
                    "key_names": f.key_names,
                    "status": "active",
                })
            })
            .collect();
        // What was reported before and is gone now.
        for gone in self
            .state
            .reported
            .iter()
            .filter(|r| !found.iter().any(|f| f.reference == **r))
        {
            items.push(json!({
                "cluster_name": self.cluster,
                "provider": "file",
                "ref": gone,
                "status": "missing",
            }));
        }
        if !items.is_empty() {
            let url = self.agent_url("/secrets/bulk");
            for chunk in items.chunks(provider::MAX_SECRETS) {
                let reply = self.send("POST", &url, Some(&json!({ "secrets": chunk })))?;
                log(&format!(
                    "reported {} secret(s) under {} (metadata only): {} new, {} updated",
                    chunk.len(),
                    self.root.display(),
                    count(&reply, "created"),
                    count(&reply, "updated")
                ));
            }
        }
        let reported: Vec<String> = found.iter().map(|f| f.reference.clone()).collect();
        if reported != self.state.reported {
            self.state.reported = reported;
            self.state.save(&self.state_path)?;
        }
        self.uploaded = Some((found, Instant::now()));
        Ok(())
    }
}

fn count(reply: &Reply, name: &str) -> u64 {
    reply.body.get(name).and_then(Value::as_u64).unwrap_or(0)
}

fn fatal_hint(error: CliError, hint: &str) -> CliError {
    match error {
        CliError::Api(failure) => CliError::failed_hint(failure.summary(), hint),
        other => other,
    }
}

/// Errors the loop outlives: the network, a server that is briefly unavailable.
fn transient(error: &CliError) -> bool {
    match error {
        CliError::Network { .. } => true,
        CliError::Api(failure) => {
            matches!(
                failure.code.as_str(),
                "unavailable" | "rate_limited" | "internal_error"
            ) || failure.code.starts_with("http_5")
        }
        _ => false,
    }
}

fn run(ctx: &Ctx, args: &AgentRunArgs) -> Result<u8, CliError> {
    if ctx.json {
        return Err(CliError::usage(
            "--json applies to `latchkey agent mint`; the running agent logs to stderr",
        ));
    }
    let root = args
        .root
        .as_ref()
        .ok_or_else(|| CliError::usage("give the directory it serves: --root DIR"))?;
    let root = root
        .canonicalize()
        .ok()
        .filter(|r| r.is_dir())
        .ok_or_else(|| CliError::usage(format!("--root {} is not a directory", root.display())))?;
    let state_path = match &args.state {
        Some(path) => path.clone(),
        None => state::default_path(&env)?,
    };
    if let Ok(abs) = std::path::absolute(&state_path)
        && abs.starts_with(&root)
    {
        return Err(CliError::usage(
            "the state file must not be under --root (it would be discovered)",
        ));
    }
    let state = establish(ctx, args, &state_path)?;
    state.save(&state_path)?;
    let keys = state.keys()?;
    let mut session = Session {
        client: client_for(&state),
        state,
        state_path,
        keys,
        root,
        cluster: args.cluster.clone().unwrap_or_else(hostname),
        uploaded: None,
        link: None,
    };
    session.renew(false)?;
    session.register_key()?;

    let stop = Arc::new(AtomicBool::new(false));
    // The first SIGTERM/ctrl-c stops it after the request or job at hand; a second one, while
    // it is still stopping, exits at once (code 1).
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)))
            .map_err(|e| CliError::failed(format!("cannot handle signals: {e}")))?;
    }
    // The live socket, unless asked not to (or one pass only): jobs are claimed the moment
    // they are announced; polling goes on, slower, while it is open, and as before when not.
    let socket_thread = if args.no_socket || args.once {
        None
    } else {
        let (header, token) = credential_of(&session.state);
        let link = socket::Link::new(header, token);
        session.link = Some(Arc::clone(&link));
        Some(socket::spawn(&session.state.url, link, Arc::clone(&stop)))
    };
    let tick = Duration::from_millis(200);
    let floor = |d: Duration| d.max(Duration::from_secs(1));
    let mut next_scan = Instant::now();
    let mut next_beat = Instant::now();
    let mut next_poll = Instant::now();
    log(&format!(
        "agent {} serving {} (cluster '{}')",
        session.state.agent_id,
        session.root.display(),
        session.cluster
    ));
    while !stop.load(Ordering::Relaxed) {
        if let Some(link) = &session.link {
            if link.revoked.load(Ordering::Relaxed) {
                stop.store(true, Ordering::Relaxed);
                return Err(CliError::failed_hint(
                    "the server closed the live socket: this agent was revoked",
                    "an admin revoked it; start a new agent (its state file is no longer valid)",
                ));
            }
            if link.poke.swap(false, Ordering::Relaxed) {
                next_poll = Instant::now();
            }
        }
        let socket_open = session
            .link
            .as_ref()
            .is_some_and(|l| l.connected.load(Ordering::Relaxed));
        let poll_every = if socket_open {
            floor(args.poll_interval).max(SOCKET_POLL_EVERY)
        } else {
            floor(args.poll_interval)
        };
        let now = Instant::now();
        let pass = (|| -> Result<(), CliError> {
            session.renew(false)?;
            if now >= next_scan {
                session.scan(false)?;
                next_scan = now + floor(args.scan_interval);
            }
            if now >= next_beat {
                session.heartbeat()?;
                next_beat = now + floor(args.heartbeat_interval);
            }
            if now >= next_poll {
                if session.poll_jobs(&stop)? {
                    // A patch may have changed key names: look again now.
                    next_scan = Instant::now();
                }
                next_poll = now + poll_every;
            }
            Ok(())
        })();
        match pass {
            Ok(()) => {}
            Err(e) if transient(&e) && !args.once => {
                log(&format!("{} (retrying)", e.report().trim_end()));
                std::thread::sleep(Duration::from_secs(2));
            }
            Err(e) => return Err(e),
        }
        if args.once {
            if next_scan <= Instant::now() {
                session.scan(false)?;
            }
            break;
        }
        std::thread::sleep(tick);
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(thread) = socket_thread {
        let _ = thread.join();
    }
    log("stopped");
    Ok(0)
}
