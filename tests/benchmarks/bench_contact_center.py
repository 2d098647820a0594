"""Contact-center intake under load: ``POST /contacts/email`` accepted/s and processed/s.

Run: ``.venv/bin/python tests/benchmarks/bench_contact_center.py [--seconds 20] [--rate 300]``.

It prepares a temp data dir (an API key, the target, 1,000 contacts whose addresses the
participants use), starts ``hearth serve`` on it as a real process, and drives it with ``wrk``
(installed with apt-get when missing) posting emails with unique msgIds, half from the agent and
half from the participant. Two runs:

1. **flat out**: as fast as wrk can post (4 connections) — the intake's ceiling;
2. **paced** at ``--rate`` emails/s (wrk's ``delay()``, 8 connections) — the goal of the issue:
   at least 300 emails/s accepted *with processing keeping up*.

For each it prints accepted/s (wrk's rate; every answer must be 202), processed/s over the run
(items that became emails, counted through ``GET /api/v1/contact-center/intake``), the backlog
(pending items) at the end, and how long the backlog then takes to drain. ``--profile N`` also
processes N queued emails in this process under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core.runtime import open_core  # noqa: E402
from core.services import contact_center  # noqa: E402
from core.services.api_keys import create_api_key  # noqa: E402
from core.services.contacts import create_contact  # noqa: E402
from tests.benchmarks.serving import Server, ensure_wrk  # noqa: E402

TARGET = {"tenant_name": "Acme Corp", "org_name": "Sales", "cat_name": "Leads"}
CONTACTS = 1_000
INTAKE = "/api/v1/contact-center/intake"

POST_LUA = """
wrk.headers["Content-Type"] = "application/json"
local counter = 0
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
{delay}
request = function()
  counter = counter + 1
  local person = counter % {contacts}
  local agent = "agent" .. (counter % 7) .. "@center.example"
  local participant = "buyer" .. person .. "@load.example"
  local sender = agent
  local recipient = participant
  if counter % 2 == 0 then sender = participant; recipient = agent end
  local body = string.format(
    '{{"metadata":{{"tenantName":"Acme Corp","orgName":"Sales","catName":"Leads",'
    .. '"metadataMap":{{"queue":"priority","region":"emea"}}}},'
    .. '"data":{{"convId":"conv-{run}-%s-%d","msgId":"{run}-%s-%d","lang":"us-en",'
    .. '"sub":"Order %d status","ts":%d,"body":"Hello, this is message %d about order %d.",'
    .. '"agentId":"A%d","psId":"P%d","agentEmailId":"%s","psEmailId":"%s","from":"%s",'
    .. '"to":["%s"],"journeyId":"journey-%d"}}}}',
    tostring(tid), math.floor(counter / 4), tostring(tid), counter, counter,
    1780000000000 + counter, counter, counter, counter % 7, person, agent, participant, sender,
    recipient, person)
  return wrk.format("POST", "/contacts/email", nil, body)
end
"""


def prepare(data_dir: Path) -> str:
    """An API key, the target and the participants' contacts; returns the key."""
    hearth = open_core(data_dir, {})
    try:
        with hearth.database.write() as session:
            contact_center.create_target(session, TARGET)
            for n in range(CONTACTS):
                create_contact(
                    session,
                    {"first_name": f"Buyer {n}", "email_addresses": [f"buyer{n}@load.example"]},
                    "US",
                )
            _, key = create_api_key(session, "bench")
        return key
    finally:
        hearth.close()


def counts(client: httpx.Client) -> dict[str, int]:
    """Items per status, through the API."""
    found = {}
    for status in ("pending", "done", "failed"):
        response = client.get(INTAKE, params={"status": status, "limit": 1})
        response.raise_for_status()
        found[status] = response.json()["total"]
    return found


@dataclass
class RunResult:
    name: str
    seconds: float
    accepted_per_s: float
    processed_per_s: float
    backlog: int
    failed: int
    drain_seconds: float

    @property
    def drain_rate(self) -> float:
        """Processed per second while only processing (after the load)."""
        return self.backlog / self.drain_seconds if self.drain_seconds else 0.0


def run(
    wrk: str,
    client: httpx.Client,
    url: str,
    key: str,
    *,
    name: str,
    seconds: int,
    connections: int,
    delay_ms: float | None,
) -> RunResult:
    """One wrk run, then wait for the backlog to drain."""
    delay = f"delay = function() return {delay_ms:.3f} end" if delay_ms else ""
    script = POST_LUA.format(run=name[:6], contacts=CONTACTS, delay=delay)
    before = counts(client)
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-H", f"Authorization: Bearer {key}"]
    with tempfile.TemporaryDirectory() as scratch:
        lua = Path(scratch) / "post.lua"
        lua.write_text(script)
        began = time.perf_counter()
        output = subprocess.run(
            [*command, "-s", str(lua), url + "/contacts/email"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        elapsed = time.perf_counter() - began
    after = counts(client)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{errors.group(1)} posts were not accepted\n{output}")
    accepted = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    processed = (after["done"] + after["failed"]) - (before["done"] + before["failed"])
    drain_began = time.perf_counter()
    final = after
    while final["pending"]:
        time.sleep(0.2)
        final = counts(client)
    drain = time.perf_counter() - drain_began
    return RunResult(
        name=name,
        seconds=elapsed,
        accepted_per_s=accepted,
        processed_per_s=processed / elapsed,
        backlog=after["pending"],
        failed=final["failed"] - before["failed"],
        drain_seconds=drain,
    )


def profile(count: int) -> None:
    """Queue ``count`` emails in a scratch data dir and process them under cProfile."""
    with tempfile.TemporaryDirectory(prefix="hearth-bench-profile-") as scratch:
        data_dir = Path(scratch) / "data"
        prepare(data_dir)
        hearth = open_core(data_dir, {})
        try:
            with hearth.database.write() as session:
                for n in range(count):
                    person = n % CONTACTS
                    email = contact_center.ContactCenterEmail(
                        tenant_name="Acme Corp",
                        org_name="Sales",
                        cat_name="Leads",
                        conv_id=f"conv-{n // 4}",
                        msg_id=f"profile-{n}",
                        lang="us-en",
                        sub=f"Order {n} status",
                        ts=1780000000000 + n,
                        body=f"Hello, this is message {n}.",
                        agent_id="A1",
                        ps_id=f"P{person}",
                        agent_email_id="agent@center.example",
                        ps_email_id=f"buyer{person}@load.example",
                        from_address="agent@center.example",
                        to=(f"buyer{person}@load.example",),
                        metadata_map={"queue": "priority"},
                    )
                    contact_center.queue_email(session, email, languages=["us-en"])
            profiler = cProfile.Profile()
            began = time.perf_counter()
            profiler.enable()
            hearth.intake.process_pending()
            profiler.disable()
            elapsed = time.perf_counter() - began
        finally:
            hearth.close()
    stats = pstats.Stats(profiler)
    per_item = elapsed / count * 1000
    print(f"\nprocessing {count} emails in process: {per_item:.2f} ms each (under cProfile)")
    entries = stats.stats  # type: ignore[attr-defined]
    for function in (
        "_process_one",
        "ingest_email",
        "_set_direction_and_context",
        "_refresh_timeline",
        "_participant_links",
        "begin_nested",
        "<method 'commit' of 'sqlite3.Connection' objects>",
    ):
        cumulative = sum(v[3] for (_, _, name), v in entries.items() if name == function)
        label = "sqlite commit" if "commit" in function else function
        print(f"  {label:28s} {cumulative / count * 1000:6.2f} ms per email (cumulative)")
    stats.sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20, help="wrk duration per run")
    parser.add_argument("--rate", type=float, default=300.0, help="paced run: emails/s offered")
    parser.add_argument("--profile", type=int, default=0, help="also profile N in process")
    args = parser.parse_args()
    wrk = ensure_wrk()
    results = []
    with tempfile.TemporaryDirectory(prefix="hearth-bench-cc-") as scratch:
        data_dir = Path(scratch) / "data"
        key = prepare(data_dir)
        server = Server(data_dir)
        try:
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
                results.append(
                    run(
                        wrk,
                        client,
                        server.url,
                        key,
                        name="flat",
                        seconds=args.seconds,
                        connections=4,
                        delay_ms=None,
                    )
                )
                connections = 8
                results.append(
                    run(
                        wrk,
                        client,
                        server.url,
                        key,
                        name="paced",
                        seconds=args.seconds,
                        connections=connections,
                        delay_ms=connections * 1000 / args.rate,
                    )
                )
        finally:
            server.stop()
    print(
        f"POST /contacts/email, hearth serve (SQLite) + wrk, {CONTACTS} contacts, "
        f"{os.cpu_count()} CPUs"
    )
    for r in results:
        keeping_up = "yes" if r.backlog <= r.accepted_per_s else "no"
        print(
            f"  {r.name:6s} {r.seconds:5.1f} s: accepted {r.accepted_per_s:7.1f}/s, "
            f"processed {r.processed_per_s:7.1f}/s, backlog at end {r.backlog} "
            f"(drained in {r.drain_seconds:.1f} s, {r.drain_rate:.0f}/s), failed {r.failed}, "
            f"keeping up: {keeping_up}"
        )
    print(
        "  goal: >= 300 emails/s accepted with processing keeping up "
        f"(paced run offered {args.rate:.0f}/s)"
    )
    if args.profile:
        profile(args.profile)


if __name__ == "__main__":
    main()
