"""The MCP conformance step behind scripts/mcp-conformance (run that, not this).

Starts its own `wrangler dev` (fresh state, fresh keys) and a fresh tenant, then runs the
pinned `@modelcontextprotocol/conformance` server scenarios of revisions 2025-11-25 and
2026-07-28 against `/mcp`, each with the expected failures in
scripts/mcp-conformance-baseline.yml; exits non-zero on any failure not listed there (and on a
listed one that now passes, which the suite reports as stale).

The suite's `server` command sends no credential. Rather than give the Worker an
unauthenticated path (which a deployment could then be configured into), this script puts a
loopback proxy in front of the runtime that adds the tenant's master key as
`Authorization: Bearer` to requests that carry none, and forwards everything else as sent.
`PUBLIC_URL` is the proxy's origin, so the suite's same-origin `Origin` is this server's own.
"""
import argparse
import http.client
import http.server
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from localruntime import ROOT, call, free_port, start_runtime, stop

BASELINE = ROOT / "scripts/mcp-conformance-baseline.yml"
REVISIONS = ["2025-11-25", "2026-07-28"]
# Not forwarded as received: the connection's own and the proxy's business.
HOP = {"host", "connection", "content-length", "transfer-encoding", "keep-alive"}


def conformance_bin():
    override = os.environ.get("MCP_CONFORMANCE_BIN")
    if override:
        return override
    return str(ROOT / "node_modules/.bin/conformance")


def proxy(upstream_port, bearer):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            if not any(k.lower() == "authorization" for k in headers):
                headers["Authorization"] = f"Bearer {bearer}"
            conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                reply = conn.getresponse()
                data = reply.read()
                self.send_response(reply.status)
                for k, v in reply.getheaders():
                    if k.lower() not in HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            finally:
                conn.close()

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = forward

    return Handler


class Quiet(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The suite drops connections on purpose (stream time-outs): nothing to report.
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--revision", action="append", choices=REVISIONS,
                        help="run only this revision's scenarios (repeatable)")
    parser.add_argument("--scenario", help="run one scenario (with the first --revision)")
    args = parser.parse_args()
    revisions = args.revision or REVISIONS

    run_dir = ROOT / ".tmp/mcp-conformance-run" / time.strftime("%Y%m%d-%H%M%S")
    proxy_port = free_port()
    front = f"http://127.0.0.1:{proxy_port}"
    child, base, operator = start_runtime(run_dir, "mcpconf", extra_vars=f"PUBLIC_URL={front}\n")
    server = None
    try:
        status, tenant = call(base, "POST", "/v1/admin/tenants", operator,
                              {"name": "mcp-conformance", "plan": "enterprise"})
        if status != 201:
            raise SystemExit(f"create tenant answered {status}: {tenant}")
        status, body = call(base, "PATCH", f"/v1/admin/tenants/{tenant['tenant_id']}", operator,
                            {"rate_limit_per_minute": 1_000_000})
        if status != 200:
            raise SystemExit(f"raise the rate limit answered {status}: {body}")
        upstream_port = int(base.rsplit(":", 1)[1])
        server = Quiet(("127.0.0.1", proxy_port), proxy(upstream_port, tenant["master_key"]))
        threading.Thread(target=server.serve_forever, daemon=True).start()

        failed = []
        for revision in revisions:
            command = [conformance_bin(), "server", "--url", f"{front}/mcp",
                       "--expected-failures", str(BASELINE),
                       "-o", str(run_dir / f"results-{revision}")]
            if args.scenario:
                command += ["--scenario", args.scenario, "--spec-version", revision]
            else:
                command += ["--requirements", revision]
            print(f"==> conformance {' '.join(command[1:])}", flush=True)
            started = time.time()
            log = run_dir / f"conformance-{revision}.log"
            with open(log, "w") as out:
                rc = subprocess.run(command, cwd=run_dir, stdout=out, stderr=subprocess.STDOUT).returncode
            text = log.read_text()
            total = re.search(r"Total: (\d+) passed, (\d+) failed", text)
            counts = (f"{total[1]} checks passed, {total[2]} not (in the baseline, or unscored tasks-extension checks)"
                      if total and rc == 0 else "")
            print(f"==> {revision}: exit {rc} after {time.time() - started:.0f} s; {counts}"
                  f" log: {log}", flush=True)
            if rc != 0:
                # The suite's verdict: which failures are not in the baseline, or stale entries.
                print(text[text.find("=== SUMMARY ==="):], flush=True)
            if rc != 0:
                failed.append(revision)
        if failed:
            print(f"==> unexpected conformance results for {', '.join(failed)}; "
                  f"runtime log: {run_dir / 'wrangler.log'}", flush=True)
            return 1
        return 0
    finally:
        if server is not None:
            server.shutdown()
        stop(child)


if __name__ == "__main__":
    sys.exit(main())
