"""Benchmark: fill a fresh database with the demo generator at benchmark scale and report speed.

Run it as a script (pytest does not collect it)::

    .venv/bin/python tests/benchmarks/bench_demo.py                  # 1,000,000 emails
    .venv/bin/python tests/benchmarks/bench_demo.py --emails 100000 --contacts 10000
    .venv/bin/python tests/benchmarks/bench_demo.py --db /tmp/big.sqlite3   # keep the file
    .venv/bin/python tests/benchmarks/bench_demo.py --url postgresql+psycopg://...  # empty db

Prints emails/s (counting everything that goes with them: threads, recipients, links), total
rows/s, elapsed time, the database's size on disk and the process's peak RSS. The schema is
migrated before the clock starts.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.db import open_database, sqlite_url
from core.demo import DemoScale, generate_demo_data


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _size_on_disk(path: Path) -> int:
    return sum(
        candidate.stat().st_size
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
        if candidate.exists()
    )


def _parse(argv: list[str]) -> argparse.Namespace:
    base = DemoScale.benchmark()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--emails", type=int, default=base.emails)
    parser.add_argument("--contacts", type=int, default=base.contacts)
    parser.add_argument("--companies", type=int, default=base.companies)
    parser.add_argument("--events", type=int, default=base.events)
    parser.add_argument("--notes", type=int, default=base.notes)
    parser.add_argument("--timeline", action="store_true", help="an Activity per email/meeting")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="SQLite file to create (kept); default: a temp")
    parser.add_argument("--url", help="database URL of an empty database (instead of --db)")
    parser.add_argument("--documents", type=Path, help="folder for documents (default: none)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run the benchmark; returns the exit status."""
    args = _parse(argv)
    scale = dataclasses.replace(
        DemoScale.benchmark(),
        emails=args.emails,
        contacts=args.contacts,
        companies=args.companies,
        events=args.events,
        notes=args.notes,
        timeline=args.timeline,
    )
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as scratch:
        path: Path | None = None
        if args.url:
            url = args.url
        else:
            path = args.db or Path(scratch) / "bench.sqlite3"
            if path.exists():
                print(f"{path} exists; give a new file", file=sys.stderr)
                return 2
            url = sqlite_url(path)
        database = open_database(url)
        last_report = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last_report[0] >= 5 or done == total:
                last_report[0] = now
                print(f"  {stage}: {done:,}/{total:,}", file=sys.stderr, flush=True)

        print(f"generating {scale} into {path or url}", file=sys.stderr)
        summary = generate_demo_data(
            database, scale=scale, seed=args.seed, documents_dir=args.documents, progress=progress
        )
        database.dispose()
        elapsed = summary.elapsed_seconds
        print(f"emails:        {summary.emails:,} in {summary.threads:,} threads")
        print(f"rows written:  {summary.total_rows:,}")
        for field in dataclasses.fields(summary):
            if field.name not in {"total_rows", "elapsed_seconds", "stage_seconds"}:
                print(f"  {field.name:15} {getattr(summary, field.name):,}")
        stages = dict(summary.stage_seconds)
        print("stages:        " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()))
        print(f"elapsed:       {elapsed:.1f} s (everything, commits included)")
        print(f"emails/s:      {summary.emails / elapsed:,.0f} over the whole run")
        if stages.get("emails"):
            mail_rate = summary.emails / stages["emails"]
            print(f"               {mail_rate:,.0f} in the mail stage (threads, recipients, links)")
        print(f"rows/s:        {summary.total_rows / elapsed:,.0f}")
        if path is not None:
            print(f"database size: {_size_on_disk(path) / 2**20:,.1f} MiB")
        print(f"peak RSS:      {_peak_rss_mib():,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
