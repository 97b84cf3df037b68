"""A local runtime for the Python drivers (scripts/bench.py, scripts/schemathesis.py): wrangler dev
on a free 127.0.0.1 port with a fresh state directory and fresh ROOT_KEY/OPERATOR_KEY, in its own
process group so that stopping it stops workerd too; and a small JSON client for the API."""
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
    vars_file = run_dir / "dev.vars"
    vars_file.write_text(
        f"ROOT_KEY={base64.b64encode(os.urandom(32)).decode()}\nOPERATOR_KEY={operator}\n"
        + extra_vars
    )
    env = dict(os.environ, CI="true", WRANGLER_SEND_METRICS="false", X_LOCAL_OBSERVABILITY="false")
    subprocess.run(
        ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(state)],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    log = open(run_dir / "wrangler.log", "w")
    child = subprocess.Popen(
        ["wrangler", "dev", "--ip", "127.0.0.1", "--port", str(port),
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
