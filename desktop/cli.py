"""The ``hearth`` command: the entry point that wires core, the embedded API and the GUI together.

``hearth`` opens the desktop app; ``hearth serve`` runs headless; ``hearth api-key ...`` manages
keys; ``hearth settings`` lists every option. Qt is imported only when a window is opened, so the
headless commands start fast and work without a display. Mistakes (an unknown option, a port in
use, an unusable data dir) are reported in one line with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import core
from core.errors import HearthError
from core.paths import make_demo_data_dir, resolve_data_dir
from core.runtime import log_to_stderr, open_core
from core.services.api_keys import create_api_key, list_api_keys, revoke_api_key
from core.settings import describe_settings
from desktop.backend import Backend, ServerState

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog.split()[0]} --help)\n")


def _common_options(defaults: bool) -> _Parser:
    # Sub-commands repeat the options with SUPPRESS defaults, so they work before or after the
    # command name (`hearth --port 0 serve` and `hearth serve --port 0`).
    parent = _Parser(add_help=False)
    default = None if defaults else argparse.SUPPRESS
    parent.add_argument(
        "--data-dir",
        default=default,
        metavar="DIR",
        help="where Hearth keeps everything (env HEARTH_DATA_DIR; default: the user data dir)",
    )
    parent.add_argument(
        "--host", default=default, help="address the embedded API listens on (default 127.0.0.1)"
    )
    parent.add_argument(
        "--port",
        default=default,
        type=_port,
        help="port of the embedded API (env HEARTH_PORT; default 8765; 0 = any free port)",
    )
    parent.add_argument(
        "--demo",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="use a throw-away data dir filled with sample data",
    )
    return parent


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r} (a number from 0 to 65535)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The ``hearth`` argument parser."""
    parser = _Parser(
        prog="hearth",
        description="Hearth: your CRM, mail and calendar on your own machine.",
        parents=[_common_options(defaults=True)],
    )
    parser.add_argument("--version", action="version", version=f"hearth {core.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub_options = _common_options(defaults=False)
    commands.add_parser(
        "serve", parents=[sub_options], help="run headless: embedded API and background work"
    )
    keys = commands.add_parser("api-key", parents=[sub_options], help="manage API keys")
    key_commands = keys.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    create = key_commands.add_parser("create", parents=[sub_options], help="create a key")
    create.add_argument("name")
    key_commands.add_parser("list", parents=[sub_options], help="list keys (never the secrets)")
    revoke = key_commands.add_parser("revoke", parents=[sub_options], help="revoke a key")
    revoke.add_argument("name")
    commands.add_parser("settings", help="list every setting with its default and help")
    return parser


def _settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if getattr(args, "host", None) is not None:
        overrides["server.host"] = args.host
    if getattr(args, "port", None) is not None:
        overrides["server.port"] = args.port
    return overrides


def _data_dir(args: argparse.Namespace, env: Mapping[str, str]) -> Path:
    return resolve_data_dir(args.data_dir, env)


@contextmanager
def _session_data_dir(args: argparse.Namespace, env: Mapping[str, str]) -> Iterator[Path]:
    """The data dir for a session; a ``--demo`` run without ``--data-dir`` gets a throw-away one,
    removed when the session ends."""
    if not (args.demo and not args.data_dir):
        yield resolve_data_dir(args.data_dir, env)
        return
    throw_away = make_demo_data_dir()
    try:
        yield throw_away
    finally:
        shutil.rmtree(throw_away, ignore_errors=True)


def _run_serve(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with _session_data_dir(args, env) as data_dir:
        return _serve_until(
            stop,
            Backend(data_dir, env, _settings_overrides(args), demo=args.demo, configure_logs=True),
        )


def _serve_until(stop: threading.Event, backend: Backend) -> int:
    try:
        status = backend.start()
        log_to_stderr()  # once running; a failure to start is the one line main() prints
        if status.demo_key:
            print(f"Demo API key (send as 'Authorization: Bearer KEY'): {status.demo_key}")
        print(f"Hearth is serving {status.url} (data dir {status.data_dir})", flush=True)
        while not stop.wait(0.25):
            if backend.status.state is ServerState.FAILED:
                log.error("%s", backend.status.describe())
                return EXIT_FAILURE
        return EXIT_OK
    finally:
        backend.stop()


def _run_api_key(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    hearth = open_core(_data_dir(args, env), env, _settings_overrides(args))
    try:
        if args.key_command == "create":
            with hearth.database.write() as session:
                info, key = create_api_key(session, args.name)
            print(
                f"Created API key {info.name!r}. It is shown only now; store it safely.",
                file=sys.stderr,
            )
            print(key, flush=True)
        elif args.key_command == "list":
            with hearth.database.read() as session:
                keys = list_api_keys(session)
            if not keys:
                print("No API keys. Create one with: hearth api-key create NAME")
            for info in keys:
                used = (
                    info.last_used_at.isoformat(timespec="seconds")
                    if info.last_used_at
                    else "never"
                )
                created = info.created_at.isoformat(timespec="seconds")
                print(f"{info.name}\t{info.prefix}…\tcreated {created}\tlast used {used}")
        else:
            with hearth.database.write() as session:
                revoke_api_key(session, args.name)
            print(f"Revoked API key {args.name!r}.")
        return EXIT_OK
    finally:
        hearth.close()


def _run_settings() -> int:
    for key, env_name, default, help_text in describe_settings():
        print(f"{key}  ({env_name}, default {default!r})\n    {help_text}")
    return EXIT_OK


def display_available(env: Mapping[str, str]) -> bool:
    """Whether a window can be shown: desktop OS, a chosen Qt platform, or an X/Wayland display."""
    if sys.platform in ("darwin", "win32") or env.get("QT_QPA_PLATFORM"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def _run_desktop(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if not display_available(env):
        print(
            "hearth: no display is available to open the window; "
            "run `hearth serve` for the headless server",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    from desktop.app import run_desktop  # noqa: PLC0415 - Qt only when a window opens

    with _session_data_dir(args, env) as data_dir:
        return run_desktop(data_dir, env, _settings_overrides(args), demo=args.demo)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run ``hearth`` with ``argv`` (default: the command line); returns the exit status."""
    args = build_parser().parse_args(argv)
    env = os.environ if env is None else env
    try:
        if args.command == "serve":
            return _run_serve(args, env)
        if args.command == "api-key":
            return _run_api_key(args, env)
        if args.command == "settings":
            return _run_settings()
        return _run_desktop(args, env)
    except HearthError as e:
        print(f"hearth: {e.message}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
