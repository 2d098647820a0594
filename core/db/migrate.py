"""Schema migrations with Alembic, run programmatically (no alembic.ini needed at run time).

Developers make a new revision after changing the models with::

    python -m core.db.migrate revision "what changed"
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from core.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database: Database | None = None, url: str | None = None) -> Config:
    """An Alembic configuration for ``database`` (or a bare ``url``), pointing at our scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database is not None:
        config.attributes["engine"] = database.engine
    elif url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(database: Database) -> None:
    """Apply every migration the database has not seen yet (in one transaction per revision)."""
    command.upgrade(alembic_config(database), "head")


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "revision":
        print('usage: python -m core.db.migrate revision "message"', file=sys.stderr)
        return 2
    # Autogenerate against a scratch database brought to head, so the revision holds only the
    # difference between the models and the migrations so far.
    import tempfile  # noqa: PLC0415

    from core.db import sqlite_url  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as scratch:
        database = Database(sqlite_url(Path(scratch) / "scratch.sqlite3"))
        upgrade_to_head(database)
        command.revision(alembic_config(database), message=argv[1], autogenerate=True)
        database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
