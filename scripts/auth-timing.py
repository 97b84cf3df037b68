#!/usr/bin/env python3
"""How long a 401 takes for a tenant that exists (a wrong secret) and for one that does not.

Not part of scripts/test: a measurement run by hand. It starts its own `wrangler dev` (fresh
state, the Worker built in <root>/worker/build), creates tenants, warms every object up, then
sends alternating requests: a wrong master key (or token) of a known tenant, then one of an
unknown tenant, and so on. Each known tenant takes at most 100 refusals, so every one of them
is within the tenant's budget for unauthenticated events (the refusals that record an event):
the case where the two paths differ most. Prints the answers (which must be equal) and, per
path, the median, p90 and mean latency seen by the client over one kept-alive connection.

    python3 scripts/auth-timing.py [--pairs 300] [--kind master|token] [--root DIR]
"""
import argparse
import base64
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import localruntime  # noqa: E402

PER_TENANT = 100  # the budget for unauthenticated events, per tenant and minute


def secret():
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def unknown_tenant():
    return "tn_" + os.urandom(8).hex()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--kind", choices=["master", "token"], default="master")
    parser.add_argument("--root", default=str(localruntime.ROOT),
                        help="the checkout whose built Worker to run (default: this one)")
    args = parser.parse_args()
    localruntime.ROOT = Path(args.root)
    os.environ["PATH"] = f"{localruntime.ROOT / 'node_modules/.bin'}:{os.environ['PATH']}"
    prefix = {"master": "lk_live", "token": "lk_tok"}[args.kind]
    run_dir = Path(tempfile.mkdtemp(prefix="auth-timing-"))
    child, base, operator = localruntime.start_runtime(run_dir, "timing")
    try:
        rounds = (args.pairs + PER_TENANT - 1) // PER_TENANT
        known = []
        for _ in range(rounds):
            status, body = localruntime.call(base, "POST", "/v1/admin/tenants", operator,
                                             {"name": "timing", "plan": "enterprise"})
            assert status == 201, body
            known.append((body["tenant_id"], body["master_key"]))
        unknown = [unknown_tenant() for _ in range(rounds)]
        host = base.removeprefix("http://")
        conn = http.client.HTTPConnection(host, timeout=30)

        def once(tenant):
            credential = f"{prefix}_{tenant}_{secret()}"
            started = time.perf_counter()
            conn.request("GET", "/v1/secrets/a%2Fb", headers={
                "Authorization": f"Bearer {credential}", "Accept-Encoding": "identity"})
            response = conn.getresponse()
            text = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            headers = sorted((k.lower(), v) for k, v in response.getheaders()
                             if k.lower() not in ("x-request-id", "date"))
            return elapsed, (response.status, text, headers)

        # Warm-up: the isolate and the connection on a tenant of its own, every measured object
        # instantiated, each known one loaded by authenticated requests (which spend none of
        # its budget for unauthenticated events).
        status, body = localruntime.call(base, "POST", "/v1/admin/tenants", operator,
                                         {"name": "warm", "plan": "enterprise"})
        for _ in range(50):
            once(body["tenant_id"])
            once(unknown_tenant())
        for tenant, key in known:
            for _ in range(3):
                localruntime.call(base, "GET", "/v1/info", key)
        for tenant in unknown:
            for _ in range(3):
                once(tenant)
        time.sleep(2)  # the warm-up's write-backs and alarms are over
        times = {"known": [], "unknown": []}
        answers = set()
        for i in range(args.pairs):
            t = i // PER_TENANT
            for label, tenant in (("known", known[t][0]), ("unknown", unknown[t])):
                elapsed, answer = once(tenant)
                times[label].append(elapsed)
                answers.add(json.dumps([answer[0], answer[1].decode(), answer[2]]))
        conn.close()
        print(f"{args.pairs} alternating refusals each ({args.kind}), {rounds} tenant(s) of each kind")
        print(f"distinct answers: {len(answers)}")
        for answer in sorted(answers):
            print(f"  {answer}")
        for label in ("known", "unknown"):
            xs = sorted(times[label])
            p90 = xs[int(len(xs) * 0.9) - 1]
            print(f"{label:>8}: median {statistics.median(xs):.3f} ms, p90 {p90:.3f} ms, "
                  f"mean {statistics.fmean(xs):.3f} ms")
        diff = statistics.median(times["known"]) - statistics.median(times["unknown"])
        print(f"median difference (known - unknown): {diff:+.3f} ms")
    finally:
        localruntime.stop(child)


if __name__ == "__main__":
    main()
