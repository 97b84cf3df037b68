//! Starts and stops `wrangler dev` for the tests: bound to 127.0.0.1 on a free port, with its
//! own state directory and its own `ROOT_KEY`/`OPERATOR_KEY`, in its own process group so that
//! stopping it stops workerd too. Both scripts run in the one session, as deployed: the front
//! Worker (`wrangler.toml`) and the tenant object's script (`wrangler.tenant.toml`), each
//! with only its own secret.

use base64::Engine as _;
use std::io::Read as _;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Runtime {
    child: Option<Child>,
    port: u16,
    pub base_url: String,
    pub state_dir: PathBuf,
    pub operator_key: String,
    vars_file: PathBuf,
    /// The Worker vars, written to `vars_file` at each launch with `PUBLIC_URL` after them.
    vars_text: String,
    /// Whether each launch sets `PUBLIC_URL` to the runtime's own base URL (its port is only
    /// known then, and changes with [`Runtime::relaunch`] and [`Runtime::restart`]).
    sets_public_url: bool,
    log_file: PathBuf,
}

/// The repository root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn wrangler() -> PathBuf {
    repo_root().join("node_modules/.bin/wrangler")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn random_b64(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("randomness");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Runtime {
    /// A fresh runtime with a fresh state directory under `run_dir`. Like every runtime
    /// started here (unless [`Runtime::start_without_public_url`]), its `PUBLIC_URL` is its own
    /// base URL: approval links point there and nowhere else.
    pub fn start_fresh(run_dir: &Path, name: &str) -> Runtime {
        Self::start(run_dir, name, true, &[], true)
    }

    /// Like [`Runtime::start_fresh`], with extra Worker vars (e.g. a short restore window).
    /// A `PUBLIC_URL` among them replaces the runtime's own.
    pub fn start_with_vars(run_dir: &Path, name: &str, vars: &[(&str, &str)]) -> Runtime {
        Self::start(run_dir, name, true, vars, true)
    }

    /// Like [`Runtime::start_with_vars`], with no `PUBLIC_URL` at all: approval links have no
    /// origin, so no approver is notified.
    pub fn start_without_public_url(run_dir: &Path, name: &str, vars: &[(&str, &str)]) -> Runtime {
        Self::start(run_dir, name, true, vars, false)
    }

    /// Like [`Runtime::start_fresh`], without applying the D1 migrations (readiness tests).
    pub fn start_unmigrated(run_dir: &Path, name: &str) -> Runtime {
        Self::start(run_dir, name, false, &[], true)
    }

    fn start(
        run_dir: &Path,
        name: &str,
        migrated: bool,
        vars: &[(&str, &str)],
        public_url: bool,
    ) -> Runtime {
        let dir = run_dir.join(name);
        std::fs::create_dir_all(&dir).expect("create run dir");
        let vars_file = dir.join("dev.vars");
        let operator_key = format!("lk_op_{}", crate::unique("e2e"));
        let mut vars_text = format!("ROOT_KEY={}\nOPERATOR_KEY={operator_key}\n", random_b64(32));
        for (name, value) in vars {
            vars_text.push_str(&format!("{name}={value}\n"));
        }
        let sets_public_url = public_url && !vars.iter().any(|(name, _)| *name == "PUBLIC_URL");
        let mut runtime = Runtime {
            child: None,
            port: free_port(),
            base_url: String::new(),
            state_dir: dir.join("state"),
            operator_key,
            vars_file,
            vars_text,
            sets_public_url,
            log_file: dir.join("wrangler.log"),
        };
        if migrated {
            runtime.migrate();
        }
        runtime.launch();
        runtime
    }

    fn migrate(&self) {
        let output = Command::new(wrangler())
            .current_dir(repo_root())
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(&self.state_dir)
            .env("CI", "true")
            .stdin(Stdio::null())
            .output()
            .expect("run wrangler d1 migrations apply");
        assert!(
            output.status.success(),
            "d1 migrations failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn launch(&mut self) {
        for script in ["worker", "durable-objects"] {
            assert!(
                repo_root()
                    .join(script)
                    .join("build/worker/shim.mjs")
                    .exists(),
                "{script} is not built: run scripts/build (scripts/test does)"
            );
        }
        self.base_url = format!("http://127.0.0.1:{}", self.port);
        let mut vars_text = self.vars_text.clone();
        if self.sets_public_url {
            vars_text.push_str(&format!("PUBLIC_URL={}\n", self.base_url));
        }
        std::fs::write(&self.vars_file, without_var(&vars_text, "ROOT_KEY")).expect("write vars");
        let tenant_config = self.write_tenant_config(&without_var(&vars_text, "OPERATOR_KEY"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_file)
            .expect("open wrangler log");
        let child = Command::new(wrangler())
            .current_dir(repo_root())
            // No local trace store: it would keep broker calls' URLs (queries with values).
            .env("X_LOCAL_OBSERVABILITY", "false")
            .arg("dev")
            .arg("--config")
            .arg(repo_root().join("wrangler.toml"))
            .arg("--config")
            .arg(&tenant_config)
            .args(["--ip", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .arg("--inspector-port")
            .arg(free_port().to_string())
            .arg("--persist-to")
            .arg(&self.state_dir)
            .arg("--env-file")
            .arg(&self.vars_file)
            .args([
                "--show-interactive-dev-session=false",
                "--log-level",
                "warn",
            ])
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("spawn wrangler dev");
        self.child = Some(child);
        self.wait_ready();
    }

    /// The tenant script's config for this runtime: the repository's `wrangler.tenant.toml`
    /// with absolute paths, in a directory of its own whose `.dev.vars` holds `vars` (wrangler
    /// applies `--env-file` to the first config only and reads a second config's vars next to
    /// it).
    fn write_tenant_config(&self, vars: &str) -> PathBuf {
        let dir = self.state_dir.with_file_name("tenant-script");
        std::fs::create_dir_all(&dir).expect("create the tenant script's dir");
        let root = repo_root();
        let config = std::fs::read_to_string(root.join("wrangler.tenant.toml"))
            .expect("read wrangler.tenant.toml");
        let config = config
            .replace(
                "main = \"durable-objects/",
                &format!("main = \"{}/durable-objects/", root.display()),
            )
            .replace(
                "migrations_dir = \"schema\"",
                &format!("migrations_dir = \"{}/schema\"", root.display()),
            );
        std::fs::write(dir.join(".dev.vars"), vars).expect("write the tenant script's vars");
        let path = dir.join("wrangler.toml");
        std::fs::write(&path, config).expect("write the tenant script's config");
        path
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        let agent = crate::client::agent();
        loop {
            if let Ok(response) = agent.get(format!("{}/healthz", self.base_url)).call()
                && response.status().as_u16() == 200
            {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("wrangler dev exited early ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "wrangler dev did not become ready in 90 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log_file) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// Stops the runtime (SIGTERM to its process group, SIGKILL after 10 s).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = format!("-{}", child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // workerd may outlive wrangler's node process: clear the whole group either way.
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Kills the runtime without warning (SIGKILL to its whole process group): a crash.
    pub fn kill(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = format!("-{}", child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts again on the same state directory (and a new port) after [`Runtime::kill`].
    pub fn relaunch(&mut self) {
        self.port = free_port();
        self.launch();
    }

    /// Stops and starts again on the same state directory (and a new port).
    pub fn restart(&mut self) {
        self.stop();
        self.port = free_port();
        self.launch();
    }

    pub fn api(&self) -> crate::Api {
        crate::Api::new(&self.base_url)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Every file under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|path| {
            std::fs::read(path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        })
        .collect()
}

/// Every `(file, value)` pair where a file under `dir` contains one of `values` (all made by
/// [`crate::secret_value`]); each file is read once and searched for the shared marker only.
pub fn files_containing_any(dir: &Path, values: &[String]) -> Vec<(PathBuf, String)> {
    use std::collections::HashMap;
    let by_key: HashMap<&[u8], &String> = values
        .iter()
        .filter_map(|v| v.as_bytes().get(..crate::SECRET_KEY_LEN).map(|k| (k, v)))
        .collect();
    let marker = crate::SECRET_MARKER.as_bytes();
    let mut found = Vec::new();
    for path in files_under(dir) {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let mut start = 0;
        while let Some(offset) = bytes[start..].iter().position(|&b| b == marker[0]) {
            let at = start + offset;
            if bytes[at..].starts_with(marker)
                && let Some(key) = bytes.get(at..at + crate::SECRET_KEY_LEN)
                && let Some(value) = by_key.get(key)
            {
                found.push((path.clone(), (*value).clone()));
            }
            start = at + 1;
        }
    }
    found
}

/// How many files lie under `dir` (to show a scan looked at something).
pub fn count_files(dir: &Path) -> usize {
    files_under(dir).len()
}

/// `vars` (`NAME=value` lines) without `name`: each script gets only its own secret.
fn without_var(vars: &str, name: &str) -> String {
    let prefix = format!("{name}=");
    vars.lines()
        .filter(|line| !line.starts_with(&prefix))
        .map(|line| format!("{line}\n"))
        .collect()
}
