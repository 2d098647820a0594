"""Enginy's batch endpoints on a CRM of 100,000 contacts: ``POST /contacts/sync`` and
``PUT /contacts`` with 1,000 records each.

Run: ``.venv/bin/python tests/benchmarks/bench_enginy.py [--data-dir DIR] [--runs 5]``.

It fills a data dir with the demo generator (100,000 contacts at 2,000 companies, with their
addresses, phones and LinkedIn URLs, and no mail: the sync reads none), once, or reuses
``--data-dir``; starts ``hearth serve`` on it as a real process; and prints, against the goals of
the issue:

- ``POST /contacts/sync`` of 1,000 records (a mix matching by email in another case or by a
  secondary address, by LinkedIn URL in another form, by phone in another format, by name and
  company, and misses): server time under 300 ms;
- ``PUT /contacts`` of 1,000 updates (a known field and engagement fields that change on every
  run, so each run writes 1,000 timeline entries): under 1 s.

Server time is what the server reports in ``Server-Timing: app;dur=MS`` (from the request's
arrival at the route to its answer, auth and body parsing included); the round trip as the
client saw it is printed beside it. Median and worst of ``--runs`` runs, after one warm-up run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import phonenumbers

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from core.demo import DemoScale, generate_demo_data  # noqa: E402
from core.models import Company, Contact, ContactEmail, ContactPhone  # noqa: E402
from core.runtime import open_core  # noqa: E402
from core.services.api_keys import create_api_key  # noqa: E402
from tests.benchmarks.serving import Server  # noqa: E402

SCALE = DemoScale(
    companies=2_000, contacts=100_000, emails=0, events=0, documents=0, notes=0, timeline=False
)
BATCH = 1_000
MIX = {"email": 250, "secondary": 100, "linkedin": 150, "phone": 100, "composite": 150}
SYNC_GOAL_MS = 300
UPDATE_GOAL_MS = 1_000


def prepare(data_dir: Path) -> str:
    """Fill ``data_dir`` (once) and return a fresh API key."""
    hearth = open_core(data_dir, {})
    try:
        marker = data_dir / ".bench-enginy-filled"
        if not marker.exists():
            began = time.perf_counter()
            summary = generate_demo_data(hearth.database, scale=SCALE, documents_dir=None)
            marker.write_text(json.dumps({"contacts": summary.contacts}))
            print(
                f"filled {data_dir}: {summary.contacts:,} contacts, "
                f"{summary.contact_emails:,} addresses, {summary.contact_phones:,} phones "
                f"in {time.perf_counter() - began:.1f} s",
                flush=True,
            )
        with hearth.database.write() as session:
            _, key = create_api_key(session, f"bench-{int(time.time() * 1000)}")
        return key
    finally:
        hearth.close()


def sync_records(data_dir: Path, rng: random.Random) -> list[dict[str, object]]:
    """1,000 records: matches by each strategy (in forms other than stored) and misses."""
    hearth = open_core(data_dir, {})
    try:
        with hearth.database.read() as session:
            emails = session.execute(
                select(ContactEmail.contact_id, ContactEmail.address, ContactEmail.position)
            ).all()
            linkedin = session.execute(
                select(Contact.id, Contact.linkedin_url).where(Contact.linkedin_url.is_not(None))
            ).all()
            phones = session.execute(select(ContactPhone.contact_id, ContactPhone.e164)).all()
            people = session.execute(
                select(Contact.id, Contact.first_name, Contact.last_name, Company.name).join(
                    Company, Company.id == Contact.company_id
                )
            ).all()
    finally:
        hearth.close()
    primary = [(cid, a) for cid, a, position in emails if position == 0]
    secondary = [(cid, a) for cid, a, position in emails if position > 0]
    records: list[dict[str, object]] = []

    def add(kind: str, fields: dict[str, object]) -> None:
        records.append({"externalId": f"{kind}-{len(records)}", **fields})

    for _, address in rng.sample(primary, MIX["email"]):
        add("email", {"email": address.upper(), "firstName": "X", "lastName": "Y"})
    for _, address in rng.sample(secondary, min(MIX["secondary"], len(secondary))):
        add("secondary", {"email": address})
    for _, url in rng.sample(linkedin, MIX["linkedin"]):
        add("linkedin", {"linkedinUrl": url.replace("https://www.", "uk.") + "/?trk=x"})
    for _, e164 in rng.sample(phones, min(MIX["phone"], len(phones))):
        written = phonenumbers.format_number(
            phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        add("phone", {"phone": written.replace(" ", "-")})  # +44-20-7946-0018
    for _, first, last, company in rng.sample(people, MIX["composite"]):
        add("composite", {"firstName": first, "lastName": last, "company": company.upper()})
    while len(records) < BATCH:
        n = len(records)
        add(
            "miss",
            {
                "email": f"prospect{n}@nowhere{n}.example",
                "firstName": f"New{n}",
                "lastName": "Prospect",
                "company": f"Unknown {n}",
                "linkedinUrl": f"https://linkedin.com/in/nobody-{n}",
                "phone": f"+1 202 555 {n % 10000:04d}",
            },
        )
    rng.shuffle(records)
    return records


def update_records(contact_ids: list[int], run: int) -> list[dict[str, object]]:
    """1,000 updates whose engagement fields change on every run."""
    stamp = f"2026-05-{(run % 28) + 1:02d}T10:00:00Z"
    return [
        {
            "crmId": str(cid),
            "title": f"Title {run}",
            "genesy_engagement_status": f"Message Sent ({run % 3 + 1}/3) - LINKEDIN",
            "genesy_sequence_status": "Ongoing",
            "genesy_last_engaged_at": stamp,
            "campaignOpens": str(run),
        }
        for cid in contact_ids
    ]


def timed(
    client: httpx.Client, method: str, path: str, body: dict[str, object]
) -> tuple[float, float, httpx.Response]:
    """``(server ms, round-trip ms, response)`` of one request."""
    began = time.perf_counter()
    response = client.request(method, path, json=body)
    round_trip = (time.perf_counter() - began) * 1000
    response.raise_for_status()
    server = float(response.headers["server-timing"].split("dur=")[1])
    return server, round_trip, response


def report(name: str, samples: list[tuple[float, float]], goal_ms: float) -> None:
    servers = [s for s, _ in samples]
    trips = [t for _, t in samples]
    verdict = "meets" if max(servers) < goal_ms else "MISSES"
    print(
        f"{name}: server median {statistics.median(servers):.0f} ms, worst {max(servers):.0f} ms "
        f"(round trip median {statistics.median(trips):.0f} ms, worst {max(trips):.0f} ms) "
        f"over {len(samples)} runs; goal < {goal_ms} ms: {verdict}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="reuse (or fill) this data dir")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scratch = None
    if args.data_dir is None:
        scratch = tempfile.TemporaryDirectory(prefix="hearth-bench-enginy-")
        args.data_dir = Path(scratch.name)
    rng = random.Random(3)
    key = prepare(args.data_dir)
    records = sync_records(args.data_dir, rng)
    server = Server(args.data_dir)
    try:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=60) as client:
            body = {"contacts": records}
            _, _, first = timed(client, "POST", "/contacts/sync", body)  # warm-up
            answer = first.json()
            matched = [int(r["crmId"]) for r in answer["results"]]
            by_kind: dict[str, int] = {}
            for result in answer["results"]:
                kind = result["externalId"].split("-")[0]
                by_kind[kind] = by_kind.get(kind, 0) + 1
            print(
                f"sync of {len(records)}: {len(matched)} matched {by_kind}, "
                f"{len(answer.get('errors', []))} ambiguous, "
                f"{len(records) - len(matched) - len(answer.get('errors', []))} not found",
                flush=True,
            )
            samples = [timed(client, "POST", "/contacts/sync", body)[:2] for _ in range(args.runs)]
            report("POST /contacts/sync x1,000", samples, SYNC_GOAL_MS)
            targets = sorted(set(matched))
            extra = [c for c in range(1, 100_001) if c not in set(targets)]
            targets = (targets + rng.sample(extra, BATCH))[:BATCH]
            timed(client, "PUT", "/contacts", {"contacts": update_records(targets, 0)})
            samples = []
            for run in range(1, args.runs + 1):
                server_ms, trip_ms, response = timed(
                    client, "PUT", "/contacts", {"contacts": update_records(targets, run)}
                )
                failed = [r for r in response.json()["results"] if not r["success"]]
                if failed:
                    raise RuntimeError(f"{len(failed)} updates failed: {failed[:3]}")
                samples.append((server_ms, trip_ms))
            report("PUT /contacts x1,000 (1,000 timeline entries each)", samples, UPDATE_GOAL_MS)
    finally:
        server.stop()
        if scratch is not None:
            scratch.cleanup()


if __name__ == "__main__":
    main()
