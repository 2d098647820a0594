"""What the benchmarks share: a real ``hearth serve`` process on a data dir, and ``wrk``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HEARTH = str(Path(sys.executable).with_name("hearth"))


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian's packages when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


class Server:
    """``hearth serve`` on the data dir, as a separate process (no ``HEARTH_*`` settings from
    the caller's environment), listening once ``server.json`` appears."""

    def __init__(self, data_dir: Path) -> None:
        server_file = data_dir / "server.json"
        server_file.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
        self.process = subprocess.Popen(
            [HEARTH, "serve", "--data-dir", str(data_dir), "--port", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        while not server_file.exists():
            if self.process.poll() is not None:
                raise RuntimeError("hearth serve exited early")
            time.sleep(0.05)
        self.url = json.loads(server_file.read_text())["url"]

    def stop(self) -> None:
        """SIGTERM, then wait for the clean exit (queued work finishes first)."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=120)
