"""Alembic environment: runs migrations on the engine Hearth hands over (or a URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from core.models import Base
from core.models.mail import described_by_models

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        # The search index's own tables and triggers are not models: autogenerate leaves them be.
        include_name=described_by_models,
    )
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_foreign_keys(connection: Connection, enabled: bool) -> None:
    # The pragma is ignored inside a transaction, so it goes straight to the driver connection
    # (which runs in autocommit mode), before SQLAlchemy begins one.
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")


def run_migrations_online() -> None:
    """Migrate through the engine in ``config.attributes`` or one made from the URL.

    On SQLite, foreign keys are off while migrating: a batch migration rebuilds a table by
    dropping it, which would otherwise fire ON DELETE CASCADE / SET NULL on every row pointing at
    it. Integrity is checked afterwards instead, and the migration fails if anything dangles.
    """
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        if is_sqlite:
            _sqlite_foreign_keys(connection, enabled=False)
        try:
            _run(connection)
            if is_sqlite:
                dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if dangling:
                    connection.rollback()
                    raise RuntimeError(f"migration left dangling foreign keys: {dangling[:5]}")
            connection.commit()
        finally:
            if is_sqlite:
                _sqlite_foreign_keys(connection, enabled=True)


run_migrations_online()
