//! Issue 23's reference agent, `latchkey agent`, run as a process against the shared runtime:
//! it gets in (minted, or registered with a bootstrap token), registers its X25519 key,
//! reports the secrets of a directory (metadata only: no value reaches the server), sends
//! heartbeats, and claims and completes jobs; it keeps running until SIGTERM (with the live
//! socket where the runtime serves one, else polling). The socket and the read and patch
//! flows it carries out are in [`flows`].

mod flows;

use crate::Ctx;
use crate::agent_plane::{admin, as_agent};
use crate::cli::{Out, Scratch, binary, run};
use latchkey_e2e::secret_value;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "agent_reference::minted_agent_reports_metadata_only_and_keeps_its_secret_private",
        minted_agent_reports_metadata_only_and_keeps_its_secret_private,
    ),
    (
        "agent_reference::registered_agent_claims_and_completes_admin_jobs",
        registered_agent_claims_and_completes_admin_jobs,
    ),
    (
        "agent_reference::running_agent_beats_carries_out_a_job_and_stops_on_sigterm",
        running_agent_beats_carries_out_a_job_and_stops_on_sigterm,
    ),
    (
        "agent_reference::agent_minted_elsewhere_starts_from_its_secret",
        agent_minted_elsewhere_starts_from_its_secret,
    ),
    (
        "agent_reference::read_job_opens_the_servers_dek_before_posting_its_wrap",
        read_job_opens_the_servers_dek_before_posting_its_wrap,
    ),
    (
        "agent_reference::job_announced_on_the_socket_is_claimed_before_the_next_poll",
        flows::job_announced_on_the_socket_is_claimed_before_the_next_poll,
    ),
    (
        "agent_reference::read_and_patch_requests_are_carried_out_by_the_agent",
        flows::read_and_patch_requests_are_carried_out_by_the_agent,
    ),
];

/// A `latchkey agent` command: this runtime's URL, a clean environment, `HOME` = `home`.
fn agent_command(ctx: &Ctx, home: &Path, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LATCHKEY_CONFIG", home.join("absent.toml"))
        .env("LATCHKEY_URL", &ctx.runtime.base_url)
        .stdin(Stdio::null());
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

/// A directory to serve: `db/` (one file per key) and `app/.env`, with fresh values.
struct Served {
    scratch: Scratch,
    values: Vec<String>,
}

impl Served {
    fn new() -> Served {
        let scratch = Scratch::new();
        let root = scratch.join("root");
        std::fs::create_dir_all(root.join("db")).unwrap();
        std::fs::create_dir_all(root.join("app")).unwrap();
        let user = secret_value("agent-db-user");
        let password = secret_value("agent-db-password");
        let api_key = secret_value("agent-api-key");
        std::fs::write(root.join("db/username"), &user).unwrap();
        std::fs::write(root.join("db/password"), &password).unwrap();
        std::fs::write(
            root.join("app/.env"),
            format!("# the app\nAPI_KEY={api_key}\nexport MODE=production\n"),
        )
        .unwrap();
        Served {
            scratch,
            values: vec![user, password, api_key],
        }
    }

    fn root(&self) -> String {
        self.scratch.join("root").to_string_lossy().into_owned()
    }

    fn state(&self) -> std::path::PathBuf {
        self.scratch.join("state").join("agent.json")
    }

    fn state_arg(&self) -> String {
        self.state().to_string_lossy().into_owned()
    }

    fn state_json(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.state()).unwrap()).unwrap()
    }

    /// Neither stream of `out` shows a value or the agent's credential.
    #[track_caller]
    fn check_quiet(&self, out: &Out) {
        for value in &self.values {
            out.never_shows(value);
        }
        let state = self.state_json();
        for credential in [
            &state["credential"]["agent_secret"],
            &state["credential"]["jwt"]["token"],
            &state["x25519_secret"],
        ] {
            if let Some(text) = credential.as_str() {
                out.never_shows(text);
            }
        }
    }
}

fn once(ctx: &Ctx, served: &Served, cluster: &str, vars: &[(&str, &str)], extra: &[&str]) -> Out {
    let root = served.root();
    let state = served.state_arg();
    let mut args = vec![
        "agent",
        "--root",
        &root,
        "--state",
        &state,
        "--cluster",
        cluster,
        "--once",
        "--no-socket",
    ];
    args.extend_from_slice(extra);
    run(agent_command(ctx, &served.scratch, vars), &args, None)
}

fn discovered(ctx: &Ctx, key: &str, cluster: &str) -> Vec<Value> {
    let reply = admin(
        ctx,
        "GET",
        &format!("/api/v1/secrets?cluster_name={cluster}"),
        key,
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut rows = reply.body["secrets"].as_array().unwrap().clone();
    rows.sort_by(|a, b| a["ref"].as_str().cmp(&b["ref"].as_str()));
    rows
}

fn agent_row(ctx: &Ctx, key: &str, id: &str) -> Value {
    let reply = admin(ctx, "GET", "/api/v1/agents", key, None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("agent {id} is not listed: {}", reply.text))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn minted_agent_reports_metadata_only_and_keeps_its_secret_private(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let served = Served::new();
    let cluster = latchkey_e2e::unique("c");
    // Without a way in, it says which ones there are.
    let refused = once(ctx, &served, &cluster, &[], &[]);
    refused.exit(2);
    assert!(refused.stderr.contains("--mint"), "{refused:#?}");
    assert!(!served.state().exists());

    let first = once(
        ctx,
        &served,
        &cluster,
        &[("LATCHKEY_TOKEN", &key)],
        &["--mint", "--name", "files-1"],
    );
    first.ok();
    served.check_quiet(&first);
    let state = served.state_json();
    let id = state["agent_id"].as_str().unwrap().to_owned();
    let secret = state["credential"]["agent_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("lk_agt_tn_"), "{state}");
    #[cfg(unix)]
    {
        assert_eq!(mode(&served.state()), 0o600);
        assert_eq!(mode(served.state().parent().unwrap()), 0o700);
    }

    // What it found: names only.
    let rows = discovered(ctx, &key, &cluster);
    let refs: Vec<&str> = rows.iter().map(|r| r["ref"].as_str().unwrap()).collect();
    assert_eq!(refs, ["app/.env", "db"], "{rows:?}");
    assert_eq!(rows[0]["key_names"], json!(["API_KEY", "MODE"]));
    assert_eq!(rows[1]["key_names"], json!(["password", "username"]));
    assert_eq!(rows[1]["provider"], "file");
    assert_eq!(rows[1]["status"], "active");
    assert_eq!(rows[1]["agent_id"], id.as_str());
    let one = admin(
        ctx,
        "GET",
        &format!("/api/v1/secrets/{}", rows[1]["id"].as_str().unwrap()),
        &key,
        None,
    );
    let listing = admin(ctx, "GET", "/api/v1/secrets", &key, None);
    for value in &served.values {
        assert!(!listing.text.contains(value.as_str()), "a value was listed");
        assert!(!one.text.contains(value.as_str()), "a value was shown");
    }
    // Its key is registered: a DEK is issued to it (409 naming public_key otherwise).
    let dek = as_agent(
        ctx,
        "POST",
        &format!("/api/v1/agents/{id}/dek"),
        &secret,
        None,
    );
    assert_eq!(dek.status, 201, "{}", dek.text);
    let row = agent_row(ctx, &key, &id);
    assert_eq!(row["name"], "files-1");
    assert!(row["last_seen_at"].is_string(), "{row}");

    // A file that goes away is reported missing; a new one is reported; the same state is
    // used again (no second agent).
    std::fs::remove_file(served.scratch.join("root/app/.env")).unwrap();
    std::fs::create_dir_all(served.scratch.join("root/cache")).unwrap();
    std::fs::write(served.scratch.join("root/cache/token"), "x").unwrap();
    let second = once(ctx, &served, &cluster, &[], &[]);
    second.ok();
    served.check_quiet(&second);
    assert_eq!(served.state_json()["agent_id"], id.as_str());
    let statuses: Vec<(String, String)> = discovered(ctx, &key, &cluster)
        .iter()
        .map(|r| {
            (
                r["ref"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("app/.env".to_owned(), "missing".to_owned()),
            ("cache".to_owned(), "active".to_owned()),
            ("db".to_owned(), "active".to_owned()),
        ]
    );
    let agents = admin(ctx, "GET", "/api/v1/agents", &key, None);
    assert_eq!(agents.body["data"].as_array().unwrap().len(), 1);
    assert!(!agents.text.contains(&secret));
}

fn registered_agent_claims_and_completes_admin_jobs(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let served = Served::new();
    let cluster = latchkey_e2e::unique("c");
    let boot = admin(ctx, "POST", "/api/v1/agents/bootstrap", &key, None);
    assert_eq!(boot.status, 201, "{}", boot.text);
    let token = boot.body["token"].as_str().unwrap().to_owned();
    let first = once(
        ctx,
        &served,
        &cluster,
        &[("LATCHKEY_BOOTSTRAP_TOKEN", &token)],
        &["--name", "registered-1"],
    );
    first.ok();
    served.check_quiet(&first);
    first.never_shows(&token);
    let state = served.state_json();
    let id = state["agent_id"].as_str().unwrap().to_owned();
    let jwt = state["credential"]["jwt"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(jwt.split('.').count(), 3, "a JWT");
    assert_eq!(discovered(ctx, &key, &cluster).len(), 2);
    // A JWT half way to its expiry is renewed (the state says when it was issued).
    let mut aged = served.state_json();
    aged["credential"]["jwt"]["issued_at"] = json!(0);
    std::fs::write(served.state(), serde_json::to_vec(&aged).unwrap()).unwrap();
    // A JWT's times are in seconds: one issued in the same second would be the same text.
    std::thread::sleep(Duration::from_millis(1_100));
    let renewed = once(ctx, &served, &cluster, &[], &[]);
    renewed.ok();
    served.check_quiet(&renewed);
    renewed.never_shows(&jwt);
    let state = served.state_json();
    let jwt = state["credential"]["jwt"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(state["credential"]["jwt"]["issued_at"], json!(0), "{state}");
    assert_ne!(
        Some(jwt.as_str()),
        aged["credential"]["jwt"]["token"].as_str()
    );

    // Jobs an admin queues: a sync it carries out, a type it does not know.
    let queue = |kind: &str| {
        let reply = admin(
            ctx,
            "POST",
            "/api/v1/jobs",
            &key,
            Some(json!({"agent_id": id, "type": kind, "params": {}})),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.body["id"].as_str().unwrap().to_owned()
    };
    let sync = queue("sync");
    let unknown = queue("rotate_certificate");
    let second = once(ctx, &served, &cluster, &[], &[]);
    second.ok();
    served.check_quiet(&second);
    assert!(
        second
            .stderr
            .contains(&format!("job {sync} (sync) succeeded")),
        "{second:#?}"
    );
    assert!(
        second
            .stderr
            .contains(&format!("job {unknown} (rotate_certificate) failed")),
        "{second:#?}"
    );
    // Nothing is left to claim, and each was completed the way it says: the other outcome
    // is a conflict.
    let bearer = |method: &str, url: &str, body: Option<Value>| admin(ctx, method, url, &jwt, body);
    let claim = bearer("POST", &format!("/api/v1/agents/{id}/jobs/claim"), None);
    assert_eq!(claim.status, 204, "{}", claim.text);
    bearer(
        "POST",
        &format!("/api/v1/agents/{id}/jobs/{sync}/complete"),
        Some(json!({"status": "failed", "error": "x"})),
    )
    .assert_error(409, "conflict");
    bearer(
        "POST",
        &format!("/api/v1/agents/{id}/jobs/{unknown}/complete"),
        Some(json!({"status": "succeeded"})),
    )
    .assert_error(409, "conflict");
    let trail = ctx.api().get("/v1/audit?type=job.completed", Some(&key));
    assert_eq!(trail.status, 200, "{}", trail.text);
    assert!(trail.text.contains(&sync) && trail.text.contains(&unknown));
}

/// `latchkey agent mint` prints the secret once (asked for); an agent started elsewhere with
/// it (`LATCHKEY_AGENT_SECRET` and `--agent-id`) keeps it in its state file, never prints it.
fn agent_minted_elsewhere_starts_from_its_secret(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let served = Served::new();
    let cluster = latchkey_e2e::unique("c");
    let minted = run(
        agent_command(ctx, &served.scratch, &[("LATCHKEY_TOKEN", &key)]),
        &[
            "agent",
            "mint",
            "--name",
            "elsewhere-1",
            "--os-type",
            "linux/amd64",
        ],
        None,
    );
    minted.ok();
    let secret = minted
        .stdout
        .lines()
        .find(|l| l.starts_with("lk_agt_"))
        .unwrap_or_else(|| panic!("no secret printed: {minted:#?}"))
        .to_owned();
    let id = minted
        .stdout
        .split_whitespace()
        .find(|w| w.starts_with("agt_"))
        .unwrap()
        .to_owned();
    assert_eq!(minted.stdout.matches(&secret).count(), 1, "shown once");
    // Without its id: a usage error naming the option.
    let refused = once(
        ctx,
        &served,
        &cluster,
        &[("LATCHKEY_AGENT_SECRET", &secret)],
        &[],
    );
    refused.exit(2);
    assert!(refused.stderr.contains("--agent-id"), "{refused:#?}");
    refused.never_shows(&secret);
    let started = once(
        ctx,
        &served,
        &cluster,
        &[("LATCHKEY_AGENT_SECRET", &secret)],
        &["--agent-id", &id],
    );
    started.ok();
    started.never_shows(&secret);
    served.check_quiet(&started);
    let state = served.state_json();
    assert_eq!(state["agent_id"], id.as_str());
    assert_eq!(state["credential"]["agent_secret"], secret.as_str());
    assert_eq!(discovered(ctx, &key, &cluster).len(), 2);
    assert!(agent_row(ctx, &key, &id)["last_seen_at"].is_string());
}

/// A `read_secret` job an admin queues (no request behind it): the agent reads the keys, gets
/// a DEK from the live `POST …/dek` and opens it with its own envelope code, seals the value,
/// and posts the wrap. Without the `carried` routes (or with them, for a job no request made)
/// the post is refused, and the job fails at that step: not at the envelope.
fn read_job_opens_the_servers_dek_before_posting_its_wrap(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let served = Served::new();
    let cluster = latchkey_e2e::unique("c");
    once(
        ctx,
        &served,
        &cluster,
        &[("LATCHKEY_TOKEN", &key)],
        &["--mint"],
    )
    .ok();
    let id = served.state_json()["agent_id"].as_str().unwrap().to_owned();
    let queue = |params: Value| {
        let reply = admin(
            ctx,
            "POST",
            "/api/v1/jobs",
            &key,
            Some(json!({"agent_id": id, "type": "read_secret", "params": params})),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.body["id"].as_str().unwrap().to_owned()
    };
    let job = queue(json!({
        "request_id": "req_0123456789abcdef01234567",
        "secret_id": "dsc_0123456789abcdef01234567",
        "cluster_name": cluster,
        "provider": "file",
        "ref": "db",
        "keys": ["password"],
    }));
    // A key that is not there, and a secret of another cluster: failed, named, no DEK asked.
    let missing =
        queue(json!({"cluster_name": cluster, "provider": "file", "ref": "db", "keys": ["nope"]}));
    let elsewhere =
        queue(json!({"cluster_name": "other", "provider": "file", "ref": "db", "keys": []}));
    let out = once(ctx, &served, &cluster, &[], &[]);
    out.ok();
    served.check_quiet(&out);
    let line = |job: &str| {
        out.stderr
            .lines()
            .find(|l| l.contains(&format!("job {job} (read_secret)")))
            .unwrap_or_else(|| panic!("no line for {job}: {out:#?}"))
            .to_owned()
    };
    let read = line(&job);
    assert!(read.contains("failed"), "{read}");
    assert!(
        read.contains("failed: posting the wrap:"),
        "the wrap post is what failed: {read}"
    );
    assert!(!read.contains("does not open"), "{read}");
    assert!(
        line(&missing).contains("key 'nope' is not in db"),
        "{out:#?}"
    );
    assert!(line(&elsewhere).contains("cluster"), "{out:#?}");
    // Exactly one DEK was issued to it, for the one job that got that far.
    let trail = ctx.api().get("/v1/audit?type=agent.dek_issued", Some(&key));
    assert_eq!(trail.status, 200, "{}", trail.text);
    assert_eq!(
        trail.body["events"].as_array().map(Vec::len),
        Some(1),
        "{}",
        trail.text
    );
}

/// Polls `check` every 200 ms for up to `within`.
fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn running_agent_beats_carries_out_a_job_and_stops_on_sigterm(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let served = Served::new();
    let cluster = latchkey_e2e::unique("c");
    let root = served.root();
    let state = served.state_arg();
    let mut command = agent_command(ctx, &served.scratch, &[("LATCHKEY_TOKEN", &key)]);
    command
        .args([
            "agent",
            "--root",
            &root,
            "--state",
            &state,
            "--cluster",
            &cluster,
            "--mint",
            // With the socket: where the runtime has none it falls back to polling.
            "--poll-interval",
            "1s",
            "--heartbeat-interval",
            "1s",
            "--scan-interval",
            "1s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut running = Running(Some(command.spawn().expect("start latchkey agent")));
    assert!(
        eventually(Duration::from_secs(20), || served.state().exists()
            && discovered(ctx, &key, &cluster).len() == 2),
        "the agent did not report its directory"
    );
    let id = served.state_json()["agent_id"].as_str().unwrap().to_owned();
    let seen = |ctx: &Ctx| agent_row(ctx, &key, &id)["last_seen_at"].clone();
    let before = seen(ctx);
    assert!(before.is_string(), "{before}");
    assert!(
        eventually(Duration::from_secs(10), || seen(ctx) != before),
        "last_seen_at did not move"
    );
    // A new file is reported without a restart.
    std::fs::create_dir_all(served.scratch.join("root/late")).unwrap();
    std::fs::write(served.scratch.join("root/late/KEY"), "x").unwrap();
    assert!(
        eventually(Duration::from_secs(10), || discovered(ctx, &key, &cluster)
            .len()
            == 3),
        "a new directory was not reported"
    );
    // A job queued now is claimed and completed within a few polls.
    let job = admin(
        ctx,
        "POST",
        "/api/v1/jobs",
        &key,
        Some(json!({"agent_id": id, "type": "sync"})),
    );
    assert_eq!(job.status, 201, "{}", job.text);
    let job = job.body["id"].as_str().unwrap().to_owned();
    assert!(
        eventually(Duration::from_secs(15), || ctx
            .api()
            .get("/v1/audit?type=job.completed", Some(&key))
            .text
            .contains(&job)),
        "the job was not completed"
    );
    // SIGTERM: it stops cleanly, exit 0.
    let child = running.0.take().unwrap();
    let pid = child.id().to_string();
    let signalled = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(signalled.success());
    let output = child.wait_with_output().expect("agent ended");
    let out = Out {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    out.ok();
    assert!(out.stderr.contains("stopped"), "{out:#?}");
    assert!(
        out.stderr.contains("live socket open") || out.stderr.contains("live socket unavailable"),
        "{out:#?}"
    );
    served.check_quiet(&out);
}
