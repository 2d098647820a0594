"""A throwaway PostgreSQL server that the test session starts itself and always stops.

:class:`PostgresServer` runs ``initdb`` into a fresh temporary directory, then runs ``postgres``
directly as a child process (not through ``pg_ctl``, so this process owns it and can always stop
it): it listens on 127.0.0.1 on a free port and on a unix socket inside the temporary directory,
trusts every local connection and never fsyncs. Nothing needs to be running or configured
beforehand; only the PostgreSQL server binaries need to be installed.

PostgreSQL refuses to run as root. When this process is root, ``initdb`` and ``postgres`` run as
the ``postgres`` system user (or ``nobody`` when there is none), and the temporary directory
belongs to that user.

No server outlives the tests: :meth:`PostgresServer.stop` runs at the end of a ``with`` block, at
interpreter exit (``atexit``) if nobody called it, and on Linux the server also gets SIGINT (a fast
shutdown) from the kernel if this process dies without a chance to clean up (``kill -9``).

Set ``HEARTH_PG_BINDIR`` to the directory holding ``initdb`` and ``postgres`` to choose an
installation; otherwise the ones on ``PATH``, ``pg_config --bindir`` and the usual install
locations (newest version first) are tried.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

if TYPE_CHECKING:
    import pwd  # POSIX only; imported where used, so this module imports on Windows too

SUPERUSER = "postgres"
"""The cluster's superuser role (whatever the system user running the server is called)."""

BINDIR_VARIABLE = "HEARTH_PG_BINDIR"
TMPDIR_VARIABLE = "HEARTH_PG_TMPDIR"
_REQUIRED_BINARIES = ("initdb", "postgres")
_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 15.0
_PORT_ATTEMPTS = 5
_STALE_AFTER_S = 600.0
_MIN_FREE_BYTES = 1 << 30  # cluster (~40 MB), WAL (max_wal_size) and the tests' databases
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes; keep room for "/.s.PGSQL.NNNNN"

_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    # Durability is worthless for a server that is deleted at the end of the session.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "64MB",
    "max_wal_size": "256MB",
    "log_min_messages": "warning",
    "log_checkpoints": "off",
}


class PostgresNotInstalled(RuntimeError):
    """The PostgreSQL server binaries (initdb, postgres) were not found."""


class PostgresStartError(RuntimeError):
    """The server did not come up; the message holds the end of its log."""


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``postgres``, or :class:`PostgresNotInstalled`."""
    explicit = os.environ.get(BINDIR_VARIABLE)
    if explicit:
        bindir = Path(explicit)
        if _has_binaries(bindir):
            return bindir
        raise PostgresNotInstalled(
            f"{BINDIR_VARIABLE}={explicit} does not hold {' and '.join(_REQUIRED_BINARIES)}"
        )
    tried: list[Path] = []
    for bindir in _candidate_bindirs():
        if bindir in tried:
            continue
        tried.append(bindir)
        if _has_binaries(bindir):
            return bindir
    raise PostgresNotInstalled(
        "PostgreSQL server binaries (initdb, postgres) not found; tried: "
        + (", ".join(str(path) for path in tried) or "nothing")
        + ".\nInstall the server (Debian/Ubuntu: `apt-get install postgresql`), set "
        f"{BINDIR_VARIABLE} to the directory holding initdb and postgres, or skip the "
        'PostgreSQL tests with `pytest -m "not postgres"`.'
    )


def _candidate_bindirs() -> list[Path]:
    candidates: list[Path] = []
    for name in _REQUIRED_BINARIES:
        found = shutil.which(name)
        if found:
            # Debian puts symlinks on PATH; the real directory has the sibling binaries.
            candidates.append(Path(found).resolve().parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
    patterns = [
        "/usr/lib/postgresql/*/bin",  # Debian, Ubuntu
        "/usr/pgsql-*/bin",  # RHEL, Fedora (PGDG)
        "/opt/homebrew/opt/postgresql@*/bin",  # macOS, Homebrew
        "/usr/local/opt/postgresql@*/bin",
        "/Applications/Postgres.app/Contents/Versions/*/bin",
    ]
    for pattern in patterns:
        root = Path("/")
        matches = sorted(root.glob(pattern.lstrip("/")), key=_version_key, reverse=True)
        candidates.extend(matches)
    candidates.extend(Path(p) for p in ("/usr/local/pgsql/bin", "/usr/local/bin", "/usr/bin"))
    return candidates


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(number) for number in re.findall(r"\d+", str(path)))


def _has_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in _REQUIRED_BINARIES)


def _server_account() -> pwd.struct_passwd | None:
    """The system user to run the server as: None (ourselves) unless we are root."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd  # POSIX only

    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresStartError(
        "running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _reachable_by(path: Path, account: pwd.struct_passwd) -> bool:
    """Whether ``account`` may traverse every directory down to ``path`` (roughly: o+x or owner)."""
    for directory in [path, *path.parents]:
        try:
            info = directory.stat()
        except OSError:
            return False
        if info.st_uid == account.pw_uid:
            if not info.st_mode & stat.S_IXUSR:
                return False
        elif not info.st_mode & stat.S_IXOTH:
            return False
    return True


def _base_directory(account: pwd.struct_passwd | None) -> Path:
    """Where to make the server's directory.

    ``HEARTH_PG_TMPDIR`` if set; else ``/dev/shm`` when it is a roomy tmpfs (on a disk, even with
    fsync off, ``CREATE DATABASE`` takes ~130 ms instead of ~10 ms); else the usual temp dir.
    """
    explicit = os.environ.get(TMPDIR_VARIABLE)
    if explicit:
        return Path(explicit)
    candidates = [Path("/dev/shm"), Path(tempfile.gettempdir()).resolve()]
    for candidate in candidates:
        if _usable_base(candidate, account):
            return candidate
    return Path("/tmp")  # world-traversable and short; mkdtemp makes ours private


def _usable_base(directory: Path, account: pwd.struct_passwd | None) -> bool:
    # Room for "/hearth-pg-XXXXXXXX/.s.PGSQL.NNNNN" within the unix socket path limit.
    if len(str(directory)) + 40 > _SOCKET_PATH_MAX:
        return False
    try:
        usage = os.statvfs(directory)
    except OSError:
        return False
    if usage.f_bavail * usage.f_frsize < _MIN_FREE_BYTES or not os.access(directory, os.W_OK):
        return False
    return account is None or _reachable_by(directory, account)


def _remove_stale_directories(base: Path) -> None:
    """Delete what servers of killed test runs left behind (their processes are long gone)."""
    for directory in base.glob("hearth-pg-*"):
        try:
            if time.time() - directory.stat().st_mtime < _STALE_AFTER_S:
                continue  # perhaps another test run, still starting
            pid_file = directory / "data" / "postmaster.pid"
            if pid_file.exists() and _alive(int(pid_file.read_text().split()[0])):
                continue
        except (OSError, ValueError, IndexError):
            continue
        shutil.rmtree(directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_us_prefix() -> list[str]:
    """A command prefix making the server get SIGINT (fast shutdown) if the test process dies.

    Uses util-linux's ``setpriv --pdeathsig`` (Linux); elsewhere, or without it, nothing: the
    ``with`` block and the atexit hook still stop the server on any ordinary exit.
    """
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return []  # the parent-death signal follows the forking *thread*, not the process
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return []
    probe = subprocess.run(
        [setpriv, "--pdeathsig", "INT", "--", "true"], capture_output=True, check=False
    )
    return [setpriv, "--pdeathsig", "INT", "--"] if probe.returncode == 0 else []


class PostgresServer:
    """One private PostgreSQL server: ``start()``, ``create_database()``..., ``stop()``.

    Also a context manager. Thread-safe for creating and dropping databases.
    """

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.directory: Path | None = None
        self.bindir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._admin: psycopg.Connection[tuple[object, ...]] | None = None
        self._lock = threading.RLock()

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def data_directory(self) -> Path:
        return self._require_directory() / "data"

    @property
    def socket_directory(self) -> Path:
        """Where the unix socket ``.s.PGSQL.<port>`` lives (libpq's ``host`` for a socket)."""
        return self._require_directory()

    @property
    def log_path(self) -> Path:
        return self._require_directory() / "postgres.log"

    def start(self) -> Self:
        """Make a cluster and start the server; returns once it accepts connections."""
        with self._lock:
            if self._process is not None:
                return self
            self.bindir = find_bindir()
            account = _server_account()
            atexit.register(self.stop)
            try:
                base = _base_directory(account)
                _remove_stale_directories(base)
                self.directory = Path(tempfile.mkdtemp(prefix="hearth-pg-", dir=base))
                if account is not None:
                    os.chown(self.directory, account.pw_uid, account.pw_gid)
                self._initdb(account)
                self._launch(account)
            except BaseException:
                self.stop()
                raise
            return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its files. Safe to call again."""
        with self._lock:
            if self._admin is not None:
                with contextlib.suppress(Exception):
                    self._admin.close()
                self._admin = None
            if self._process is not None:
                # If this is interrupted (a second Ctrl+C), the atexit hook is still registered.
                _terminate(self._process)
                self._process = None
            if self._log is not None:
                self._log.close()
                self._log = None
            if self.directory is not None:
                shutil.rmtree(self.directory, ignore_errors=True)
                self.directory = None
            self.port = None
            atexit.unregister(self.stop)

    # -- databases ---------------------------------------------------------------------------

    @property
    def admin_url(self) -> str:
        """SQLAlchemy URL of the maintenance database ``postgres``, as the superuser."""
        return self.url("postgres")

    def url(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver, over TCP) of ``database`` on this server."""
        if self.port is None:
            raise RuntimeError("the PostgreSQL server is not running")
        return URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            host=self.host,
            port=self.port,
            database=database,
        ).render_as_string(hide_password=False)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create ``name`` (a copy of ``template`` when given) and return its SQLAlchemy URL.

        The template must have no open connection while it is copied.
        """
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            if self._server_version() >= 150000:
                # Copying the files beats WAL-logging every block for a small database.
                statement += sql.SQL(" STRATEGY = FILE_COPY")
        self._execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, closing whatever connections it still has."""
        statement = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
        if self._server_version() >= 130000:
            statement += sql.SQL(" WITH (FORCE)")
        self._execute(statement)

    def seal_template(self, name: str) -> None:
        """Mark ``name`` as a template nobody may connect to (so copying it never fails)."""
        self._execute(
            sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                sql.Identifier(name)
            )
        )

    def _server_version(self) -> int:
        with self._lock:
            return self._admin_connection().info.server_version

    def _execute(self, statement: sql.Composed) -> None:
        with self._lock:
            admin = self._admin_connection()
            admin.execute(statement)

    def _admin_connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._admin is None or self._admin.closed:
            if not self.running:
                raise RuntimeError("the PostgreSQL server is not running")
            self._admin = self._connect("postgres")
        return self._admin

    def _connect(
        self, database: str, timeout_s: int = 10
    ) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=SUPERUSER,
            dbname=database,
            autocommit=True,
            connect_timeout=timeout_s,
        )

    # -- internals ---------------------------------------------------------------------------

    def _require_directory(self) -> Path:
        if self.directory is None:
            raise RuntimeError("the PostgreSQL server is not started")
        return self.directory

    def _run_options(self, account: pwd.struct_passwd | None) -> dict[str, Any]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env["LC_ALL"] = "C"
        options: dict[str, Any] = {"env": env, "cwd": self.directory, "stdin": subprocess.DEVNULL}
        if account is not None:
            env.update(HOME=str(self.directory), USER=account.pw_name, LOGNAME=account.pw_name)
            options.update(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
        return options

    def _initdb(self, account: pwd.struct_passwd | None) -> None:
        assert self.bindir is not None
        command = [
            str(self.bindir / "initdb"),
            "--pgdata",
            str(self.data_directory),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        ]
        result = subprocess.run(  # noqa: PLW1510 - the return code is checked below
            command,
            capture_output=True,
            text=True,
            **self._run_options(account),
        )
        if result.returncode != 0:
            raise PostgresStartError(
                f"initdb failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
            )

    def _launch(self, account: pwd.struct_passwd | None) -> None:
        assert self.bindir is not None
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the server's life
        for _attempt in range(_PORT_ATTEMPTS):
            self.port = _free_port()
            command = [
                str(self.bindir / "postgres"),
                "-D",
                str(self.data_directory),
                "-p",
                str(self.port),
                "-k",
                str(self.socket_directory),
            ]
            for setting, value in _SERVER_SETTINGS.items():
                command += ["-c", f"{setting}={value}"]
            self._process = subprocess.Popen(
                [*_die_with_us_prefix(), *command],
                stdout=self._log,
                stderr=subprocess.STDOUT,
                # Own session: a Ctrl+C in the terminal reaches pytest, which then stops us.
                start_new_session=True,
                **self._run_options(account),
            )
            if self._wait_until_ready():
                return
            # Exited before accepting connections: most likely someone took the port meanwhile.
            _terminate(self._process)
            self._process = None
            if "already in use" not in self._log_tail():
                break
        raise PostgresStartError(f"PostgreSQL did not start; its log says:\n{self._log_tail()}")

    def _wait_until_ready(self) -> bool:
        """Wait for the server to accept connections; False if it exited first."""
        assert self._process is not None
        deadline = time.monotonic() + _START_TIMEOUT_S
        expected = str(self.data_directory.resolve())
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with self._connect("postgres", timeout_s=2) as connection:
                    row = connection.execute("SHOW data_directory").fetchone()
            except psycopg.OperationalError:
                time.sleep(0.02)
                continue
            if row is None or os.path.realpath(str(row[0])) != expected:
                raise PostgresStartError(
                    f"another PostgreSQL server answered on port {self.port} ({row})"
                )
            return True
        _terminate(self._process)
        self._process = None
        raise PostgresStartError(
            f"PostgreSQL did not accept connections within {_START_TIMEOUT_S:.0f} s; its log:\n"
            + self._log_tail()
        )

    def _log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except (OSError, RuntimeError):
            return "(no log)"


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT), harder signals if the server hangs; reaps it and its backends."""
    escalation = [
        (signal.SIGINT, _STOP_TIMEOUT_S),
        (getattr(signal, "SIGQUIT", signal.SIGTERM), 5.0),  # immediate shutdown
        (getattr(signal, "SIGKILL", signal.SIGTERM), 5.0),
    ]
    for sig, timeout_s in escalation:
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout_s)
    # The server led its own process group: anything left in it (a stuck backend) goes too.
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
