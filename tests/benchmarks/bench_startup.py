"""How long ``hearth serve`` takes from launch to a healthy ``/health``.

Run: ``.venv/bin/python tests/benchmarks/bench_startup.py [--runs 10]``. Goal: under 1.5 s.
Measures a first start (creates and migrates the database) and warm restarts (the usual case),
each as a real process launched through the installed console script.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HEARTH = str(Path(sys.executable).with_name("hearth"))


def start_once(data_dir: Path) -> float:
    """Seconds from launching ``hearth serve`` until ``/health`` answers 200."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    server_file = data_dir / "server.json"
    server_file.unlink(missing_ok=True)
    began = time.perf_counter()
    process = subprocess.Popen(
        [HEARTH, "serve", "--data-dir", str(data_dir), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError("hearth serve exited early")
            if server_file.exists():
                try:
                    url = json.loads(server_file.read_text())["url"]
                    if httpx.get(url + "/health", timeout=1).status_code == 200:
                        return time.perf_counter() - began
                except (ValueError, httpx.HTTPError):
                    pass
            time.sleep(0.002)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "data"
        first = start_once(data_dir)
        warm = [start_once(data_dir) for _ in range(args.runs)]
    print(f"hearth serve start-up to healthy /health (goal < 1.5 s), {args.runs} warm runs")
    print(f"  first start (new database, migrations): {first:.3f} s")
    print(
        f"  warm start: median {statistics.median(warm):.3f} s, "
        f"min {min(warm):.3f} s, max {max(warm):.3f} s"
    )


if __name__ == "__main__":
    main()
