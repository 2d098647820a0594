"""Uploading and downloading a 100 MB document through a real ``hearth serve``.

Run: ``.venv/bin/python tests/benchmarks/bench_documents.py [--mb 100] [--runs 5]``.

Goals: each transfer at least half as fast as a plain file copy of the same bytes on the same disk
(``shutil.copyfile``, measured in the same run), and the server's resident memory flat during a
transfer (a few MB, not the document's size).

The server is a ``hearth serve`` process of its own (launched through the console script), so its
memory is measured alone: before each transfer its peak-RSS mark is reset (``/proc/PID/clear_refs``
5) and afterwards ``VmHWM`` says the highest resident size reached meanwhile. The client streams
both ways with the standard library's ``http.client``: the upload reads the file in 1 MiB pieces
and PUTs them with a ``Content-Length`` to the presigned URL, the download reads the response into
a 1 MiB buffer and writes it to a file as it arrives. (httpx, used for the API calls, parses a
body in 64 KiB pieces in pure Python: it alone would take longer than the server.) Each run
uploads new content, as real documents are. The upload includes the server's fsync of the
content (the store's durability promise); the copy has none.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

HEARTH = str(Path(sys.executable).with_name("hearth"))
PIECE = 1024 * 1024


def _environment(data_dir: Path, mb: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env["HEARTH_DATA_DIR"] = str(data_dir)
    env["HEARTH_DOCUMENTS_MAX_UPLOAD_BYTES"] = str(max(mb * 2, 200) * 1024 * 1024)
    return env


def create_key(env: dict[str, str]) -> str:
    """A fresh API key from ``hearth api-key create`` (its last line of output)."""
    done = subprocess.run(
        [HEARTH, "api-key", "create", "bench"], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def start_server(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """Launch ``hearth serve`` and wait for a healthy ``/health``."""
    server_file = data_dir / "server.json"
    server_file.unlink(missing_ok=True)
    process = subprocess.Popen(
        [HEARTH, "serve", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("hearth serve exited early")
        if server_file.exists():
            try:
                url: str = json.loads(server_file.read_text())["url"]
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    return process, url
            except (ValueError, httpx.HTTPError):
                pass
        time.sleep(0.01)
    process.kill()
    raise RuntimeError("hearth serve did not become healthy")


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> int:
    """Reset the process's peak-RSS mark; returns its resident KiB now."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _status_kib(pid, "VmRSS")


def peak_growth_mb(pid: int, baseline_kib: int) -> float:
    """How far the peak resident size rose above ``baseline_kib`` since :func:`reset_peak`."""
    return (_status_kib(pid, "VmHWM") - baseline_kib) / 1024


def _connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    """A plain HTTP connection to ``url``'s server, and the path and query to ask for."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=300)
    connection.blocksize = PIECE  # send the body in 1 MiB pieces
    return connection, f"{parts.path}?{parts.query}"


def upload(client: httpx.Client, source: Path) -> tuple[float, str]:
    """Seconds to PUT ``source`` to a fresh upload URL; returns them and the document id."""
    started = client.post(
        "/api/v1/integrations/documents/upload",
        json={"fileName": "big.bin", "contentType": "application/octet-stream"},
    )
    started.raise_for_status()
    grant = started.json()
    size = source.stat().st_size
    connection, target = _connection(grant["uploadUrl"])
    headers = {**grant["headers"], "Content-Length": str(size)}
    began = time.perf_counter()
    with source.open("rb") as body:
        connection.request("PUT", target, body=body, headers=headers)
        answer = connection.getresponse()
        reply = answer.read()
    elapsed = time.perf_counter() - began
    connection.close()
    if answer.status != 200:
        raise RuntimeError(f"upload failed: {answer.status} {reply!r}")
    confirmed = client.post(f"/api/v1/integrations/documents/{grant['id']}/confirm")
    confirmed.raise_for_status()
    assert confirmed.json()["size"] == size
    return elapsed, grant["id"]


def download(client: httpx.Client, document_id: str, target: Path) -> float:
    """Seconds to stream the document's content into ``target`` through its download URL."""
    link = client.get(f"/api/v1/integrations/documents/{document_id}/download")
    link.raise_for_status()
    connection, path = _connection(link.json()["url"])
    buffer = bytearray(PIECE)
    view = memoryview(buffer)
    began = time.perf_counter()
    connection.request("GET", path)
    answer = connection.getresponse()
    if answer.status != 200:
        raise RuntimeError(f"download failed: {answer.status}")
    with target.open("wb") as out:
        while count := answer.readinto(buffer):
            out.write(view[:count])
    elapsed = time.perf_counter() - began
    connection.close()
    return elapsed


def _make_distinct(source: Path, run: int) -> None:
    """Change the first bytes, so each run uploads content the store does not have yet."""
    with source.open("r+b") as out:
        out.write(run.to_bytes(8, "big") + os.urandom(8))


def copy_time(source: Path, target: Path) -> float:
    """Seconds for ``shutil.copyfile`` of ``source`` to ``target`` (removed first)."""
    target.unlink(missing_ok=True)
    began = time.perf_counter()
    shutil.copyfile(source, target)
    return time.perf_counter() - began


def loop_copy_time(source: Path, target: Path) -> float:
    """Seconds for a copy through user space (read and write 1 MiB pieces), for context."""
    target.unlink(missing_ok=True)
    began = time.perf_counter()
    with source.open("rb") as src, target.open("wb") as out:
        while piece := src.read(PIECE):
            out.write(piece)
    return time.perf_counter() - began


def hash_time(source: Path) -> float:
    """Seconds to SHA-256 the file (which an upload must do on the way)."""
    began = time.perf_counter()
    digest = hashlib.sha256()
    with source.open("rb") as src:
        while piece := src.read(PIECE):
            digest.update(piece)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=100, help="document size in MB (MiB)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as scratch:
        root = Path(scratch)
        data_dir = root / "data"
        env = _environment(data_dir, args.mb)
        key = create_key(env)
        process, url = start_server(data_dir, env)
        source = root / "source.bin"
        with source.open("wb") as out:
            for _ in range(args.mb):
                out.write(os.urandom(PIECE))
        copies, loop_copies, hashes = [], [], []
        uploads, downloads, upload_rss, download_rss = [], [], [], []
        try:
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60
            ) as client:
                upload(client, source)  # warm-up: first request, signing key, blob folder
                for run in range(args.runs):
                    _make_distinct(source, run)  # a new document each time, as in real use
                    copies.append(copy_time(source, root / "copy.bin"))
                    loop_copies.append(loop_copy_time(source, root / "copy.bin"))
                    hashes.append(hash_time(source))
                    baseline = reset_peak(process.pid)
                    seconds, document_id = upload(client, source)
                    uploads.append(seconds)
                    upload_rss.append(peak_growth_mb(process.pid, baseline))
                    baseline = reset_peak(process.pid)
                    downloads.append(download(client, document_id, root / "download.bin"))
                    download_rss.append(peak_growth_mb(process.pid, baseline))
                    assert (root / "download.bin").stat().st_size == source.stat().st_size
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    copy = statistics.median(copies)
    up = statistics.median(uploads)
    down = statistics.median(downloads)
    mb = args.mb
    print(f"{mb} MiB document through hearth serve, median of {args.runs} runs")
    print(f"  file copy (shutil.copyfile):  {copy:.3f} s  {mb / copy:7.0f} MiB/s")
    print(
        f"  upload   (PUT presigned URL): {up:.3f} s  {mb / up:7.0f} MiB/s  "
        f"ratio to copy {copy / up:.2f} (goal >= 0.5)"
    )
    print(
        f"  download (GET presigned URL): {down:.3f} s  {mb / down:7.0f} MiB/s  "
        f"ratio to copy {copy / down:.2f} (goal >= 0.5)"
    )
    print(
        f"  server peak RSS growth: upload max {max(upload_rss):.1f} MB, "
        f"download max {max(download_rss):.1f} MB (goal: a few MB)"
    )
    loop, digest = statistics.median(loop_copies), statistics.median(hashes)
    print(f"  for context: user-space copy {loop:.3f} s, SHA-256 of the file {digest:.3f} s")
    print(f"  runs: copy {_list(copies)}; upload {_list(uploads)}; download {_list(downloads)}")


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


if __name__ == "__main__":
    main()
