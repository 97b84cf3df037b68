"""A local runtime for the Python drivers (scripts/bench.py, scripts/schemathesis.py): wrangler dev
on a free 127.0.0.1 port with a fresh state directory and fresh ROOT_KEY/OPERATOR_KEY, in its own
process group so that stopping it stops workerd too; and a small JSON client for the API.

Both scripts run in the one session, as deployed: the front Worker (wrangler.toml) and the tenant
object's script (wrangler.tenant.toml), each with only its own secret. wrangler applies --env-file
to the first config only and reads a second config's vars from the .dev.vars beside it, so the
tenant script gets a config of its own per runtime (tenant_config; scripts/dev calls it too:
`python3 scripts/localruntime.py tenant-config DIR VARS_FILE` prints the config's path)."""
import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, key=None, body=None):
    """One JSON request: (status, parsed body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode() or "null")


def without_var(text: str, name: str) -> str:
    """NAME=value lines without `name`'s."""
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith(name + "="))


def tenant_config(config_dir: Path, vars_text: str) -> Path:
    """The tenant script's config in config_dir: wrangler.tenant.toml with absolute paths, and a
    .dev.vars beside it holding vars_text without OPERATOR_KEY (the front's secret)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "wrangler.tenant.toml").read_text()
    text = text.replace('main = "durable-objects/', f'main = "{ROOT}/durable-objects/')
    text = text.replace('migrations_dir = "schema"', f'migrations_dir = "{ROOT}/schema"')
    dev_vars = config_dir / ".dev.vars"
    dev_vars.touch(mode=0o600)
    dev_vars.write_text(without_var(vars_text, "OPERATOR_KEY"))
    config = config_dir / "wrangler.toml"
    config.write_text(text)
    return config


def dev_args(tenant_config_path: Path):
    """`wrangler dev` with both scripts, the front first (it answers on the port)."""
    return ["wrangler", "dev", "--config", str(ROOT / "wrangler.toml"),
            "--config", str(tenant_config_path)]


def start_runtime(run_dir: Path, label: str, extra_vars: str = "", inspector_port=None):
    """Starts wrangler dev; returns (child, base URL, operator key). Exits when it won't start.
    PUBLIC_URL (where approval links point; never a request's Host) is the runtime's own base
    URL unless extra_vars sets one."""
    run_dir.mkdir(parents=True, exist_ok=True)
    state = run_dir / "state"
    operator = f"lk_op_{label}_" + secrets.token_hex(12)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if not any(line.startswith("PUBLIC_URL=") for line in extra_vars.splitlines()):
        if extra_vars and not extra_vars.endswith("\n"):
            extra_vars += "\n"
        extra_vars += f"PUBLIC_URL={base}\n"
    vars_text = (
        f"ROOT_KEY={base64.b64encode(os.urandom(32)).decode()}\nOPERATOR_KEY={operator}\n"
        + extra_vars
    )
    vars_file = run_dir / "dev.vars"
    vars_file.write_text(without_var(vars_text, "ROOT_KEY"))
    tenant = tenant_config(run_dir / "tenant-script", vars_text)
    env = dict(os.environ, CI="true", WRANGLER_SEND_METRICS="false", X_LOCAL_OBSERVABILITY="false")
    subprocess.run(
        ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(state)],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    log = open(run_dir / "wrangler.log", "w")
    child = subprocess.Popen(
        dev_args(tenant) + ["--ip", "127.0.0.1", "--port", str(port),
         "--inspector-port", str(inspector_port or free_port()), "--persist-to", str(state),
         "--env-file", str(vars_file), "--show-interactive-dev-session=false",
         "--log-level", "warn"],
        cwd=ROOT, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        if child.poll() is not None:
            break
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return child, base, operator
        except OSError:
            time.sleep(0.3)
    stop(child)
    raise SystemExit(f"wrangler dev did not start; see {run_dir / 'wrangler.log'}")


def stop(child):
    """SIGTERM to the runtime's process group, then SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 4 and sys.argv[1] == "tenant-config":
        print(tenant_config(Path(sys.argv[2]), Path(sys.argv[3]).read_text()))
    else:
        raise SystemExit("usage: localruntime.py tenant-config DIR VARS_FILE")
