"""BrightSync endpoints under load, on a database of 100,000 contacts and 1,000,000 emails.

Run: ``.venv/bin/python tests/benchmarks/bench_brightsync.py [--db PATH] [--seconds 10]``.

It fills a data dir with the demo generator at benchmark scale (or reuses ``--data-dir``), starts
``hearth serve`` on it as a real process, and drives it with ``wrk`` (installed with apt-get when
missing) from another process on loopback. It prints, against the goals of issue 3:

- ``GET /api/v1/emails/{id}`` requests/s as a ratio of ``GET /health`` in the same run (>= 0.5);
- p99 of ``GET /api/v1/contacts/lookup`` with 10 addresses (< 10 ms);
- sustained ``POST /api/v1/emails`` per second (>= 800);
- p99 of ``GET /api/v1/events?since=`` over 50,000 events (< 20 ms).

Latency percentiles come from a single connection issuing requests back to back (what one sync
client sees); throughput from wrk with several connections.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core.demo import DemoScale, generate_demo_data  # noqa: E402
from core.runtime import open_core  # noqa: E402
from core.services.api_keys import create_api_key  # noqa: E402
from tests.benchmarks.serving import Server, ensure_wrk  # noqa: E402


def prepare(data_dir: Path) -> str:
    """Fill ``data_dir`` at benchmark scale (once) and return a fresh API key."""
    hearth = open_core(data_dir, {})
    try:
        marker = data_dir / ".bench-filled"
        if not marker.exists():
            began = time.perf_counter()
            summary = generate_demo_data(
                hearth.database, scale=DemoScale.benchmark(), documents_dir=None
            )
            marker.write_text(json.dumps({"emails": summary.emails}))
            print(f"filled {data_dir} in {time.perf_counter() - began:.1f} s", flush=True)
        with hearth.database.write() as session:
            _, key = create_api_key(session, f"bench-{int(time.time() * 1000)}")
        return key
    finally:
        hearth.close()


def run_wrk(
    wrk: str, url: str, path: str, key: str | None, seconds: int, *, script: str | None = None
) -> float:
    """Requests per second wrk sustained on ``path`` (4 connections, 2 threads)."""
    command = [wrk, "-t2", "-c4", f"-d{seconds}s"]
    if key:
        command += ["-H", f"Authorization: Bearer {key}"]
    with tempfile.TemporaryDirectory() as scratch:
        if script:
            lua = Path(scratch) / "requests.lua"
            lua.write_text(script)
            command += ["-s", str(lua)]
        command.append(url + path)
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{path}: {errors.group(1)} failed responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def latencies(client: httpx.Client, make_request, count: int) -> list[float]:
    """Milliseconds of ``count`` requests, one after another on one connection."""
    timings = []
    for _ in range(count):
        began = time.perf_counter()
        response = make_request()
        timings.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    return timings


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


EMAIL_BY_ID_LUA = """
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/emails/" .. math.random(1, {count}))
end
"""

POST_EMAIL_LUA = """
wrk.headers["Content-Type"] = "application/json"  -- passing headers to format() would drop -H ones
local counter = 0
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
request = function()
  counter = counter + 1
  local body = string.format(
    '{{"subject":"Load %d","textBody":"Hello from the benchmark, message %d.",'
    .. '"rfc822MsgId":"<bench-{run}-%s-%d@load.example>","fromAddress":"buyer%d@load.example",'
    .. '"toAddresses":["alex.morgan@hearth-demo.example"],"receivedAt":"2026-06-01T10:00:00Z"}}',
    counter, counter, tostring(tid), counter, counter % 50)
  return wrk.format("POST", "/api/v1/emails", nil, body)
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="reuse (or fill once) this data dir")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per endpoint")
    parser.add_argument("--samples", type=int, default=2000, help="latency samples per endpoint")
    args = parser.parse_args()
    wrk = ensure_wrk()
    scratch = None
    if args.data_dir is None:
        scratch = tempfile.TemporaryDirectory(prefix="hearth-bench-")
        args.data_dir = Path(scratch.name) / "data"
    key = prepare(args.data_dir)
    server = Server(args.data_dir)
    try:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            emails = client.get("/api/v1/emails", params={"rfc822MsgId": "none"})
            emails.raise_for_status()
            rng = random.Random(7)
            contacts = client.get("/api/v1/contacts", params={"limit": 500}).json()["items"]
            addresses = [a for c in contacts for a in c["emailAddresses"]]

            health_rps = run_wrk(wrk, server.url, "/health", None, args.seconds)
            email_rps = run_wrk(
                wrk,
                server.url,
                "/api/v1/emails/1",
                key,
                args.seconds,
                script=EMAIL_BY_ID_LUA.format(count=1_000_000),
            )

            def lookup():
                picked = [*rng.sample(addresses, 8), "nobody@nowhere.example", "x@y.example"]
                return client.get("/api/v1/contacts/lookup", params={"emails": ",".join(picked)})

            lookup_ms = latencies(client, lookup, args.samples)

            newest = client.get("/api/v1/events", params={"limit": 1, "since": 0}).json()
            since_values = [0, "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z"]

            def since():
                return client.get("/api/v1/events", params={"since": rng.choice(since_values)})

            since_ms = latencies(client, since, args.samples // 2)
            total_events = newest.get("total")

            post_rps = run_wrk(
                wrk,
                server.url,
                "/api/v1/emails",
                key,
                args.seconds,
                script=POST_EMAIL_LUA.format(run=int(time.time())),
            )
    finally:
        server.stop()
        if scratch:
            scratch.cleanup()

    print("BrightSync endpoints, 100,000 contacts / 1,000,000 emails, hearth serve + wrk -t2 -c4")
    print(f"  GET /health                 {health_rps:9.0f} req/s")
    print(
        f"  GET /api/v1/emails/{{id}}     {email_rps:9.0f} req/s  "
        f"ratio to /health {email_rps / health_rps:.2f} (goal >= 0.5)"
    )
    print(
        f"  GET contacts/lookup (10)    p50 {statistics.median(lookup_ms):.2f} ms  "
        f"p99 {p99(lookup_ms):.2f} ms (goal p99 < 10 ms)"
    )
    print(f"  POST /api/v1/emails         {post_rps:9.0f} req/s sustained (goal >= 800)")
    print(
        f"  GET events?since ({total_events} events)  p50 {statistics.median(since_ms):.2f} ms  "
        f"p99 {p99(since_ms):.2f} ms (goal p99 < 20 ms)"
    )


if __name__ == "__main__":
    main()
