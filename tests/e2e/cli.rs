//! The `latchkey` binary (crate `latchkey-cli`) against the shared runtime: each test runs
//! the built CLI as a user would, with `LATCHKEY_URL`/`LATCHKEY_TOKEN` or a profile file, and
//! checks what it prints, what it never prints, and its exit codes.

use crate::Ctx;
use crate::tokens::mint;
use latchkey_e2e::runtime::repo_root;
use latchkey_e2e::{secret_value, unique};
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, crate::Test)] = &[
    (
        "cli::secrets_round_trip_through_the_binary",
        secrets_round_trip_through_the_binary,
    ),
    (
        "cli::tokens_are_created_listed_and_revoked",
        tokens_are_created_listed_and_revoked,
    ),
    (
        "cli::errors_say_what_to_do_next",
        errors_say_what_to_do_next,
    ),
    (
        "cli::a_token_request_waits_for_approval_then_prints_the_token",
        a_token_request_waits_for_approval_then_prints_the_token,
    ),
    (
        "cli::run_hands_secrets_to_the_command_without_printing_them",
        run_hands_secrets_to_the_command_without_printing_them,
    ),
    (
        "cli::audit_tail_follows_the_stream",
        audit_tail_follows_the_stream,
    ),
    (
        "cli::generate_prints_or_stores_a_password",
        generate_prints_or_stores_a_password,
    ),
    (
        "cli::profiles_live_in_private_files",
        profiles_live_in_private_files,
    ),
    (
        "cli::proxy_uses_a_secret_the_caller_never_sees",
        proxy_uses_a_secret_the_caller_never_sees,
    ),
];

/// The built binary: `$CARGO_TARGET_DIR/debug/latchkey`, else `<repo>/target/debug/latchkey`.
pub(crate) fn binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                repo_root().join(dir)
            }
        })
        .unwrap_or_else(|| repo_root().join("target"));
    let path = target.join("debug").join("latchkey");
    assert!(
        path.exists(),
        "the CLI binary {} is missing: build it first with `cargo build --locked -p latchkey-cli` \
         (scripts/test does this before the end-to-end tests)",
        path.display()
    );
    path
}

/// What one run printed and how it ended.
#[derive(Debug)]
pub(crate) struct Out {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Out {
    #[track_caller]
    pub(crate) fn ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "{self:#?}");
        self
    }

    #[track_caller]
    pub(crate) fn exit(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "{self:#?}");
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("--json output does not parse ({e}): {self:#?}"))
    }

    /// Neither stream carries `needle`.
    #[track_caller]
    pub(crate) fn never_shows(&self, needle: &str) -> &Self {
        assert!(
            !self.stdout.contains(needle) && !self.stderr.contains(needle),
            "printed a value it must not: {self:#?}"
        );
        self
    }
}

/// A `latchkey` command with a clean environment: this runtime's URL, `token`, and a config
/// path that does not exist (so no user file is ever read).
fn cli(ctx: &Ctx, token: &str, scratch: &Path) -> Command {
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch)
        .env("LATCHKEY_CONFIG", scratch.join("absent.toml"))
        .env("LATCHKEY_URL", &ctx.runtime.base_url)
        .env("LATCHKEY_TOKEN", token)
        .stdin(Stdio::null());
    command
}

/// The client side's own directory (HOME, config, value files), outside the runtime's state
/// (whose at-rest scan must not find the value files written here); removed when dropped.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new() -> Scratch {
        let dir = std::env::temp_dir().join(unique("latchkey-cli-e2e"));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs to the end, with `input` on stdin.
pub(crate) fn run(mut command: Command, args: &[&str], input: Option<&str>) -> Out {
    command.args(args);
    if input.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start latchkey");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    finish(child)
}

fn finish(child: Child) -> Out {
    let output = child.wait_with_output().expect("latchkey ran");
    Out {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn secrets_round_trip_through_the_binary(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let dir = Scratch::new();
    let lk = |args: &[&str], input: Option<&str>| run(cli(ctx, &key, &dir), args, input);
    let first = secret_value("cli-first");
    let second = secret_value("cli-second");
    let rotated = secret_value("cli-rotated");

    // A new path is created (stdin, one trailing newline dropped), an existing one updated.
    let created = lk(
        &[
            "set",
            "app/db/password",
            "--tier",
            "standard",
            "--description",
            "the db",
            "--tag",
            "team=ml",
        ],
        Some(&format!("{first}\n")),
    );
    created.ok().never_shows(&first);
    assert!(
        created
            .stdout
            .contains("Created app/db/password (version 1"),
        "{created:#?}"
    );
    assert_eq!(
        lk(&["get", "app/db/password"], None).ok().stdout,
        format!("{first}\n")
    );
    assert_eq!(
        lk(&["get", "-n", "app/db/password"], None).ok().stdout,
        first
    );

    let file = dir.join("value.txt");
    std::fs::write(&file, &second).expect("value file");
    let updated = lk(
        &[
            "set",
            "app/db/password",
            "--value-file",
            file.to_str().expect("utf-8"),
        ],
        None,
    );
    updated.ok().never_shows(&second);
    assert!(updated.stdout.contains("now version 2"), "{updated:#?}");
    // Check-and-set against a stale version is refused with the current one named.
    let stale = lk(&["set", "app/db/password", "--if-match", "1"], Some("x"));
    stale.exit(1);
    assert!(
        stale.stderr.contains("hint:") && stale.stderr.contains("--if-match 2"),
        "{stale:#?}"
    );

    // Lists: a table for people (never values), JSON for scripts.
    let table = lk(&["list", "--namespace", "app"], None);
    table.ok().never_shows(&second);
    let header = table.stdout.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("PATH") && header.contains("DESCRIPTION"),
        "{table:#?}"
    );
    assert!(table.stdout.contains("app/db/password"), "{table:#?}");
    assert!(table.stdout.contains("team=ml"), "{table:#?}");
    let listed = lk(&["list", "--json", "--all", "--limit", "1"], None)
        .ok()
        .json();
    assert_eq!(listed["items"][0]["path"], "app/db/password");
    assert_eq!(listed["items"][0]["version"], 2);

    let versions = lk(&["versions", "app/db/password", "--json"], None)
        .ok()
        .json();
    assert_eq!(versions["versions"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        lk(&["get", "app/db/password", "--version", "1"], None)
            .ok()
            .stdout,
        format!("{first}\n")
    );

    // Rotation keeps the old version readable during the grace period.
    let rotation = lk(
        &["rotate", "app/db/password", "--grace", "5m"],
        Some(&rotated),
    );
    rotation.ok().never_shows(&rotated);
    assert!(rotation.stdout.contains("now version 3"), "{rotation:#?}");
    assert!(
        rotation.stdout.contains("version 2 stays readable"),
        "{rotation:#?}"
    );
    assert_eq!(
        lk(&["get", "app/db/password"], None).ok().stdout,
        format!("{rotated}\n")
    );
    assert_eq!(
        lk(&["get", "app/db/password", "--version", "2"], None)
            .ok()
            .stdout,
        format!("{second}\n")
    );

    // Soft delete, the hint to restore, restore.
    assert!(
        lk(&["delete", "app/db/password"], None)
            .ok()
            .stdout
            .contains("latchkey restore app/db/password")
    );
    let gone = lk(&["get", "app/db/password"], None);
    gone.exit(1);
    assert!(
        gone.stderr
            .contains("hint: restore it with `latchkey restore app/db/password`"),
        "{gone:#?}"
    );
    lk(&["restore", "app/db/password"], None).ok();
    assert_eq!(
        lk(&["get", "app/db/password"], None).ok().stdout,
        format!("{rotated}\n")
    );

    // A permanent delete needs --yes when nobody can confirm at a terminal.
    let unconfirmed = lk(&["delete", "app/db/password", "--permanent"], None);
    unconfirmed.exit(2);
    assert!(unconfirmed.stderr.contains("--yes"), "{unconfirmed:#?}");
    let erased = lk(
        &[
            "delete",
            "app/db/password",
            "--permanent",
            "--yes",
            "--json",
        ],
        None,
    )
    .ok()
    .json();
    assert_eq!(erased["permanent"], true);
    lk(&["get", "app/db/password"], None).exit(1);
    // Usage errors exit 2.
    lk(&["get"], None).exit(2);
}

fn tokens_are_created_listed_and_revoked(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let dir = Scratch::new();
    let value = secret_value("cli-token-read");
    assert_eq!(
        ctx.api()
            .create_secret(&key, &json!({"path": "ci/deploy", "value": value}))
            .status,
        201
    );
    let created = run(
        cli(ctx, &key, &dir),
        &[
            "token",
            "create",
            "--scope",
            "secrets:read:ci/*",
            "--ttl",
            "10m",
            "--description",
            "ci job",
            "--max-uses",
            "5",
        ],
        None,
    );
    created.ok();
    // The value alone on stdout, what it is on stderr.
    let token = created.stdout.trim().to_owned();
    assert!(
        token.starts_with("lk_tok_") && !token.contains(' '),
        "{created:#?}"
    );
    assert!(
        created.stderr.contains("only time its value is shown"),
        "{created:#?}"
    );
    assert_eq!(
        run(cli(ctx, &token, &dir), &["get", "ci/deploy"], None)
            .ok()
            .stdout,
        format!("{value}\n")
    );

    let json_token = run(
        cli(ctx, &key, &dir),
        &["token", "create", "--scope", "secrets:read:ci/*", "--json"],
        None,
    )
    .ok()
    .json();
    assert!(
        json_token["value"]
            .as_str()
            .is_some_and(|v| v.starts_with("lk_tok_"))
    );

    let listed = run(cli(ctx, &key, &dir), &["token", "list", "--json"], None)
        .ok()
        .json();
    let mine = listed["tokens"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["description"] == "ci job"))
        .cloned()
        .expect("the token is listed");
    let id = mine["id"].as_str().expect("id").to_owned();
    let table = run(cli(ctx, &key, &dir), &["token", "list"], None);
    table.ok().never_shows(&token);
    assert!(
        table.stdout.contains(&id) && table.stdout.contains("1/5"),
        "{table:#?}"
    );

    assert!(
        run(cli(ctx, &key, &dir), &["token", "revoke", &id], None)
            .ok()
            .stdout
            .contains("Revoked")
    );
    let refused = run(cli(ctx, &token, &dir), &["get", "ci/deploy"], None);
    refused.exit(1).never_shows(&value);
    assert!(refused.stderr.contains("LATCHKEY_TOKEN"), "{refused:#?}");
    assert!(refused.stderr.contains("latchkey login"), "{refused:#?}");
}

fn errors_say_what_to_do_next(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let dir = Scratch::new();
    let (reader, _) = mint(ctx, &key, json!({"scope": "secrets:read:app/*"}));
    let denied = run(cli(ctx, &reader, &dir), &["get", "other/x"], None);
    denied.exit(1);
    assert!(
        denied
            .stderr
            .contains("lacks the scope `secrets:read:other/*`")
            && denied
                .stderr
                .contains("latchkey token create --scope 'secrets:read:other/*'"),
        "{denied:#?}"
    );
    let missing = run(cli(ctx, &key, &dir), &["get", "app/none"], None);
    missing.exit(1);
    assert!(
        missing.stderr.contains("latchkey list --namespace app"),
        "{missing:#?}"
    );
    let invalid = run(
        cli(ctx, &key, &dir),
        &["token", "create", "--scope", "secrets:fly:*"],
        None,
    );
    invalid.exit(1);
    assert!(invalid.stderr.contains("fix --scope"), "{invalid:#?}");
    // No server there: the hint asks about the URL.
    let mut offline = cli(ctx, &key, &dir);
    offline.env("LATCHKEY_URL", "http://127.0.0.1:9");
    let unreachable = run(offline, &["list"], None);
    unreachable.exit(1);
    assert!(
        unreachable
            .stderr
            .contains("could not reach http://127.0.0.1:9"),
        "{unreachable:#?}"
    );
    assert!(
        unreachable.stderr.contains("is the URL right"),
        "{unreachable:#?}"
    );
    // Nothing configured at all: how to configure.
    let mut bare = cli(ctx, &key, &dir);
    bare.env_remove("LATCHKEY_URL").env_remove("LATCHKEY_TOKEN");
    let unconfigured = run(bare, &["list"], None);
    unconfigured.exit(2);
    assert!(
        unconfigured
            .stderr
            .contains("latchkey login --profile NAME --url URL"),
        "{unconfigured:#?}"
    );
}

/// The pending request's id, as an approver lists it.
fn pending_request(ctx: &Ctx, approver: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listed = ctx
            .api()
            .get("/v1/approvals?status=pending", Some(approver));
        if let Some(id) = listed.body["approvals"][0]["id"].as_str() {
            return id.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no pending request: {}",
            listed.text
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn a_token_request_waits_for_approval_then_prints_the_token(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let dir = Scratch::new();
    // The agent's token exists before the sensitive secret does, so minting it needed nobody.
    let (agent, _) = mint(
        ctx,
        &key,
        json!({"scope": ["tokens:create", "secrets:read:prod/*"]}),
    );
    let (approver, _) = mint(ctx, &key, json!({"scope": "approvals:decide"}));
    let value = secret_value("cli-sensitive");
    let created = ctx.api().create_secret(
        &key,
        &json!({"path": "prod/db", "value": value, "tier": "sensitive"}),
    );
    assert_eq!(created.status, 201, "{}", created.text);

    // The CLI answers the 202 by waiting; the test approves through the API meanwhile.
    let mut waiting = cli(ctx, &agent, &dir);
    waiting
        .args([
            "token",
            "create",
            "--scope",
            "secrets:read:prod/*",
            "--wait",
            "60s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = waiting.spawn().expect("start latchkey");
    let id = pending_request(ctx, &approver);
    let approved = ctx.api().send(
        "POST",
        &format!("/v1/approvals/{id}/approve"),
        Some(&approver),
        &[],
        latchkey_e2e::client::Body::Json(&json!({"comment": "ok"})),
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    let out = finish(child);
    out.ok();
    assert!(out.stderr.contains("Approval required"), "{out:#?}");
    assert!(
        out.stderr.contains(&format!("/approvals/{id}/review")),
        "{out:#?}"
    );
    let token = out.stdout.trim().to_owned();
    assert!(token.starts_with("lk_tok_"), "{out:#?}");
    assert_eq!(
        run(cli(ctx, &token, &dir), &["get", "prod/db"], None)
            .ok()
            .stdout,
        format!("{value}\n")
    );

    // A second request, denied by an approver using the CLI: the waiting CLI exits 1 with
    // the reason.
    let mut waiting = cli(ctx, &agent, &dir);
    waiting
        .args([
            "token",
            "create",
            "--scope",
            "secrets:read:prod/*",
            "--wait",
            "60s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = waiting.spawn().expect("start latchkey");
    let id = pending_request(ctx, &approver);
    let listed = run(
        cli(ctx, &approver, &dir),
        &["approvals", "list", "--status", "pending"],
        None,
    );
    assert!(listed.ok().stdout.contains(&id), "{listed:#?}");
    let decided = run(
        cli(ctx, &approver, &dir),
        &["approvals", "deny", &id, "--reason", "too broad", "--json"],
        None,
    );
    assert_eq!(decided.ok().json()["status"], "denied");
    let out = finish(child);
    out.exit(1);
    assert!(out.stderr.contains("too broad"), "{out:#?}");
    assert!(out.stdout.is_empty(), "{out:#?}");

    // --no-wait prints the request id for later.
    let queued = run(
        cli(ctx, &agent, &dir),
        &[
            "token",
            "create",
            "--scope",
            "secrets:read:prod/*",
            "--no-wait",
        ],
        None,
    );
    assert!(queued.ok().stdout.trim().starts_with("apr_"), "{queued:#?}");
}

fn run_hands_secrets_to_the_command_without_printing_them(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let dir = Scratch::new();
    let api_key = secret_value("cli-run-key");
    let password = secret_value("cli-run-field");
    assert_eq!(
        ctx.api()
            .create_secret(&key, &json!({"path": "svc/api-key", "value": api_key}))
            .status,
        201
    );
    assert_eq!(
        ctx.api()
            .set_field(&key, "svc/db", "password", &password)
            .status,
        201
    );

    // The child compares against values it gets through its own environment, so no value
    // is ever on a command line either.
    let mut command = cli(ctx, &key, &dir);
    command
        .env("WANT_KEY", &api_key)
        .env("WANT_PASS", &password);
    let out = run(
        command,
        &[
            "run",
            "--secret",
            "API_KEY=svc/api-key",
            "-s",
            "DB_PASS=svc/db#password",
            "--",
            "sh",
            "-c",
            r#"test "$API_KEY" = "$WANT_KEY" && test "$DB_PASS" = "$WANT_PASS" && test -z "$LATCHKEY_TOKEN" && echo child-ok"#,
        ],
        None,
    );
    out.ok().never_shows(&api_key).never_shows(&password);
    assert_eq!(out.stdout, "child-ok\n");

    // The command's exit code is the CLI's.
    let out = run(
        cli(ctx, &key, &dir),
        &["run", "-s", "K=svc/api-key", "--", "sh", "-c", "exit 7"],
        None,
    );
    out.exit(7);

    // One unreadable secret: nothing starts, and the message names it.
    let out = run(
        cli(ctx, &key, &dir),
        &[
            "run",
            "-s",
            "K=svc/api-key",
            "-s",
            "MISSING=svc/none",
            "--",
            "sh",
            "-c",
            "echo started",
        ],
        None,
    );
    out.exit(1).never_shows(&api_key);
    assert!(!out.stdout.contains("started"), "{out:#?}");
    assert!(out.stderr.contains("MISSING ← svc/none"), "{out:#?}");
    assert!(
        out.stderr.contains("the command was not started"),
        "{out:#?}"
    );
}

/// Lines of a child's stdout, as they come.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a JSON line whose `path` is `path`.
fn wait_for_path(rx: &mpsc::Receiver<String>, path: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no event for {path} within 20 s"));
        let event: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if event["path"] == path {
            return event;
        }
    }
}

fn audit_tail_follows_the_stream(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let dir = Scratch::new();
    let create = |path: &str| {
        let reply = ctx
            .api()
            .create_secret(&key, &json!({"path": path, "value": "v"}));
        assert_eq!(reply.status, 201, "{}", reply.text);
    };
    create("tail/before");
    let mut tail = cli(ctx, &key, &dir);
    tail.args(["audit", "tail", "-n", "5", "--json", "--namespace", "tail"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = tail.spawn().expect("start latchkey audit tail");
    let rx = lines_of(&mut child);
    // The recent past first, then what happens while it follows.
    let before = wait_for_path(&rx, "tail/before");
    assert_eq!(before["type"], "secret.created");
    create("tail/after");
    let after = wait_for_path(&rx, "tail/after");
    assert_eq!(after["type"], "secret.created");
    assert!(after["seq"].as_u64() > before["seq"].as_u64());
    let _ = child.kill();
    let _ = child.wait();
}

fn generate_prints_or_stores_a_password(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let dir = Scratch::new();
    let printed = run(
        cli(ctx, &key, &dir),
        &["generate", "--length", "20", "--no-symbols"],
        None,
    );
    let password = printed.ok().stdout.trim_end().to_owned();
    assert_eq!(password.len(), 20, "{printed:#?}");
    assert!(
        password.chars().all(|c| c.is_ascii_alphanumeric()),
        "{password}"
    );
    // Stored: the value is not printed, not even in the JSON.
    let stored = run(
        cli(ctx, &key, &dir),
        &["generate", "--path", "gen/pw", "--json"],
        None,
    )
    .ok()
    .json();
    assert_eq!(stored["stored"], true);
    assert!(stored.get("password").is_none(), "{stored}");
    let read = run(cli(ctx, &key, &dir), &["get", "gen/pw"], None);
    assert_eq!(read.ok().stdout.trim_end().len(), 32, "{read:#?}");
    // `set --generate` replaces a value with a generated one, without showing it.
    let set = run(
        cli(ctx, &key, &dir),
        &["set", "gen/pw", "--generate", "--length", "40"],
        None,
    );
    let now = run(cli(ctx, &key, &dir), &["get", "gen/pw"], None)
        .ok()
        .stdout
        .trim_end()
        .to_owned();
    assert_eq!(now.len(), 40);
    set.ok().never_shows(&now);
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn profiles_live_in_private_files(ctx: &Ctx) {
    use std::os::unix::fs::PermissionsExt as _;
    let (_, key) = ctx.new_tenant();
    let dir = Scratch::new();
    let config = dir.join("latchkey").join("config.toml");
    // A command that knows only the config file (no URL or token in the environment).
    let with_config = || {
        let mut command = cli(ctx, "", &dir);
        command
            .env_remove("LATCHKEY_URL")
            .env_remove("LATCHKEY_TOKEN")
            .env("LATCHKEY_CONFIG", &config);
        command
    };
    // A wrong token is checked against the server and not stored.
    let wrong = run(
        with_config(),
        &["login", "--profile", "e2e", "--url", &ctx.runtime.base_url],
        Some("lk_live_tn_00000000000000000000000000000000_nope\n"),
    );
    wrong.exit(1);
    assert!(wrong.stderr.contains("refused this token"), "{wrong:#?}");
    assert!(!config.exists());

    let login = run(
        with_config(),
        &["login", "--profile", "e2e", "--url", &ctx.runtime.base_url],
        Some(&format!("{key}\n")),
    );
    login.ok().never_shows(&key);
    let token_file = dir.join("latchkey").join("tokens").join("e2e.token");
    assert_eq!(mode(&config), 0o600);
    assert_eq!(mode(&token_file), 0o600);
    assert!(
        !std::fs::read_to_string(&config)
            .expect("config")
            .contains(&key)
    );

    assert!(
        run(with_config(), &["set", "p/x"], Some("v"))
            .ok()
            .stdout
            .contains("Created p/x")
    );
    assert_eq!(
        run(with_config(), &["get", "p/x", "--profile", "e2e"], None)
            .ok()
            .stdout,
        "v\n"
    );
    let profiles = run(with_config(), &["profiles", "--json"], None)
        .ok()
        .json();
    assert_eq!(profiles["profiles"][0]["name"], "e2e");
    assert_eq!(profiles["profiles"][0]["default"], true);

    // A token file others can read is refused, with the fix.
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let refused = run(with_config(), &["get", "p/x"], None);
    refused.exit(2).never_shows(&key);
    assert!(refused.stderr.contains("mode 0644"), "{refused:#?}");
    assert!(
        refused
            .stderr
            .contains(&format!("chmod 600 {}", token_file.display())),
        "{refused:#?}"
    );
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    run(with_config(), &["logout", "--profile", "e2e"], None).ok();
    assert!(!token_file.exists());
    run(with_config(), &["get", "p/x"], None).exit(2);
}

/// What the loopback upstream received.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    authorization: String,
    body: String,
}

/// A tiny upstream on 127.0.0.1 (one thread, one request per connection): `/missing` answers
/// 404, any other path 200 with a JSON echo of the method, the Authorization header and the
/// body. Each request's [`Seen`] goes to the receiver; the thread ends when it is dropped
/// (after its next request).
fn loopback_upstream() -> (u16, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the upstream");
    let port = listener.local_addr().expect("upstream address").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Some(seen) = stream.ok().and_then(serve_one) else {
                continue;
            };
            if tx.send(seen).is_err() {
                break;
            }
        }
    });
    (port, rx)
}

fn serve_one(mut stream: TcpStream) -> Option<Seen> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut authorization = String::new();
    let mut length = 0_usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                authorization = value.trim().to_owned();
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0_u8; length];
    reader.read_exact(&mut body).ok()?;
    let body = String::from_utf8_lossy(&body).into_owned();
    let (status, answer) = if path == "/missing" {
        ("404 Not Found", "no such thing".to_owned())
    } else {
        (
            "200 OK",
            json!({"method": method, "authorization": authorization, "body": body}).to_string(),
        )
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{answer}",
        answer.len()
    );
    stream.write_all(response.as_bytes()).ok()?;
    Some(Seen {
        method,
        path,
        authorization,
        body,
    })
}

/// The next request the upstream received.
fn next_seen(rx: &mpsc::Receiver<Seen>) -> Seen {
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the upstream received no request within 20 s")
}

/// `latchkey proxy` with a token that may use the secret but not read it: the upstream gets
/// the value, the caller gets `[REDACTED]` (needs `PROXY_INSECURE_HOSTS` to list 127.0.0.1,
/// as the shared runtime does).
fn proxy_uses_a_secret_the_caller_never_sees(ctx: &Ctx) {
    let (_, key) = ctx.new_tenant();
    let dir = Scratch::new();
    let value = secret_value("cli-proxy");
    let (port, seen) = loopback_upstream();
    let upstream = format!("http://127.0.0.1:{port}");

    // The admin stores the secret with where it may go (`--allowed-host`), and mints a token
    // that may use it but not read it.
    run(
        cli(ctx, &key, &dir),
        &["set", "svc/api-key", "--allowed-host", "127.0.0.1"],
        Some(&value),
    )
    .ok()
    .never_shows(&value);
    let (user, _) = mint(ctx, &key, json!({"scope": "secrets:use:svc/*"}));
    let lk = |args: &[&str], input: Option<&str>| run(cli(ctx, &user, &dir), args, input);

    // GET (the default without a body): the upstream saw the value, stdout is its body exactly,
    // redacted.
    let echo = format!("{upstream}/echo");
    let out = lk(
        &[
            "proxy",
            "--secret",
            "KEY=svc/api-key",
            "-H",
            "Authorization: Bearer {{KEY}}",
            &echo,
        ],
        None,
    );
    out.ok().never_shows(&value);
    let received = next_seen(&seen);
    assert_eq!(
        (received.method.as_str(), received.path.as_str()),
        ("GET", "/echo")
    );
    assert_eq!(received.authorization, format!("Bearer {value}"));
    assert_eq!(
        out.stdout,
        json!({"method": "GET", "authorization": "Bearer [REDACTED]", "body": ""}).to_string(),
        "{out:#?}"
    );

    // A body from stdin makes it a POST; -i shows the status line and headers first.
    let out = lk(
        &[
            "proxy",
            "-s",
            "KEY=svc/api-key",
            "-H",
            "Content-Type: application/json",
            "--data-file",
            "-",
            "--purpose",
            "e2e of latchkey proxy",
            "-i",
            &echo,
        ],
        Some(r#"{"key": "{{KEY}}"}"#),
    );
    out.ok().never_shows(&value);
    let received = next_seen(&seen);
    assert_eq!(received.method, "POST");
    assert_eq!(received.body, format!(r#"{{"key": "{value}"}}"#));
    assert!(out.stdout.starts_with("HTTP 200 OK\n"), "{out:#?}");
    assert!(
        out.stdout.contains("\ncontent-type: application/json\n"),
        "{out:#?}"
    );
    assert!(out.stdout.contains("[REDACTED]"), "{out:#?}");

    // --json: the broker's whole answer.
    let out = lk(
        &[
            "proxy",
            "-s",
            "KEY=svc/api-key",
            "-H",
            "Authorization: Bearer {{KEY}}",
            "--json",
            &echo,
        ],
        None,
    );
    let envelope = out.ok().never_shows(&value).json();
    next_seen(&seen);
    assert_eq!(envelope["status"], 200, "{envelope}");
    assert_eq!(envelope["body_encoding"], "utf-8", "{envelope}");
    assert!(envelope["redacted"].as_u64() >= Some(1), "{envelope}");

    // The upstream's 404: its body on stdout, exit 1 and one line on stderr.
    let out = lk(
        &[
            "proxy",
            "-s",
            "KEY=svc/api-key",
            "-H",
            "Authorization: Bearer {{KEY}}",
            &format!("{upstream}/missing"),
        ],
        None,
    );
    out.exit(1).never_shows(&value);
    next_seen(&seen);
    assert_eq!(out.stdout, "no such thing");
    assert_eq!(out.stderr, "upstream answered 404\n", "{out:#?}");

    // Use is not read: the value stays out of reach of this token.
    let denied = lk(&["get", "svc/api-key"], None);
    denied.exit(1).never_shows(&value);
    assert!(denied.stderr.contains("secrets:read:svc/*"), "{denied:#?}");
    // A token that may read may not use: the hint names the scope and how to mint it.
    let (reader, _) = mint(ctx, &key, json!({"scope": "secrets:read:svc/*"}));
    let refused = run(
        cli(ctx, &reader, &dir),
        &[
            "proxy",
            "-s",
            "KEY=svc/api-key",
            "-H",
            "Authorization: Bearer {{KEY}}",
            &echo,
        ],
        None,
    );
    refused.exit(1).never_shows(&value);
    assert!(
        refused
            .stderr
            .contains("latchkey token create --scope 'secrets:use:svc/*'"),
        "{refused:#?}"
    );
    // A secret without allowed hosts goes nowhere; the hint says how to set them.
    run(cli(ctx, &key, &dir), &["set", "svc/other"], Some(&value)).ok();
    let nowhere = lk(
        &[
            "proxy",
            "-s",
            "KEY=svc/other",
            "-H",
            "Authorization: Bearer {{KEY}}",
            &echo,
        ],
        None,
    );
    nowhere.exit(1).never_shows(&value);
    assert!(
        nowhere.stderr.contains("hint:") && nowhere.stderr.contains("--allowed-host"),
        "{nowhere:#?}"
    );
    // Usage errors exit 2 before anything is sent.
    lk(&["proxy", "-s", "1KEY=svc/api-key", &echo], None).exit(2);
    lk(
        &["proxy", "-s", "KEY=svc/api-key", "-H", "no colon", &echo],
        None,
    )
    .exit(2);
    assert!(
        seen.try_recv().is_err(),
        "a refused call reached the upstream"
    );
}
