"""Storage: what every part of Hearth relies on from the database, on SQLite and PostgreSQL.

Migrations build exactly the models; SQLite runs in WAL mode with foreign keys and a busy
timeout, so threads can write at once; ``write()`` is all or nothing and ``read()`` keeps
nothing; deletes cascade or set null as the models say; times come back as aware UTC instants and
JSON columns keep what they were given.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from core.db import Database, migrate, open_database, sqlite_url
from core.models import Activity, Base, Company, Contact, ContactEmail, ContactPhone
from core.models.mail import described_by_models


def _count(database: Database, model: type[Base]) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _contact(name: str, *addresses: str, **fields: Any) -> Contact:
    return Contact(
        first_name=name,
        name_key=name.casefold(),
        emails=[
            ContactEmail(address=address, address_key=address.casefold(), position=position)
            for position, address in enumerate(addresses)
        ],
        **fields,
    )


class _Boom(Exception):
    """What a failing block raises."""


def _fail_after_flushing(
    block: AbstractContextManager[Session], contact: Contact, flushed: list[int] | None = None
) -> None:
    with block as session:
        session.add(contact)
        session.flush()
        if flushed is not None:
            flushed.append(session.scalar(select(func.count()).select_from(ContactEmail)) or 0)
        raise _Boom


def _write(database: Database, *records: Base) -> None:
    with database.write() as session:
        session.add_all(records)


def _head_revision() -> str | None:
    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


# -- migrations ----------------------------------------------------------------------------------


def test_migrations_build_exactly_the_models(empty_database_url: str) -> None:
    database = open_database(empty_database_url)  # a real upgrade, from nothing to head
    try:
        with database.engine.connect() as connection:
            options = {"compare_type": True, "include_name": described_by_models}
            context = MigrationContext.configure(connection, opts=options)
            assert context.get_current_revision() == _head_revision()
            assert set(inspect(connection).get_table_names()) >= set(Base.metadata.tables)
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
    finally:
        database.dispose()


def test_opening_a_database_at_head_again_changes_nothing(database_url: str) -> None:
    for _ in range(2):
        database = open_database(database_url)
        try:
            with database.engine.connect() as connection:
                revision = MigrationContext.configure(connection).get_current_revision()
            assert revision == _head_revision()
        finally:
            database.dispose()


_REBUILD_CONTACTS = """
import sqlalchemy as sa
from alembic import op

revision = "zz_test_rebuild_contacts"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts", recreate="always") as batch:
        batch.add_column(sa.Column("nickname", sa.String(64)))


def downgrade():
    pass
"""


def test_a_migration_that_rebuilds_a_table_on_sqlite_loses_no_rows(
    sqlite_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite_database.write() as session:
        contact = _contact("Kept", "kept@example.com", "kept@work.example")
        contact.phones = [ContactPhone(number="+34 600 000 000")]
        session.add(contact)
    # The project's migrations plus one that alters `contacts` the way SQLite must: by copying it
    # and dropping the original, which must not fire ON DELETE CASCADE / SET NULL on its children.
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "zz_test_rebuild_contacts.py").write_text(
        _REBUILD_CONTACTS.format(head=_head_revision())
    )
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)

    migrate.upgrade_to_head(sqlite_database)

    assert _count(sqlite_database, Contact) == 1
    assert _count(sqlite_database, ContactEmail) == 2
    assert _count(sqlite_database, ContactPhone) == 1
    # ...and every pooled connection enforces foreign keys again afterwards.
    connections = [sqlite_database.engine.connect() for _ in range(3)]
    try:
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        for connection in connections:
            connection.close()


# -- SQLite settings -----------------------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_the_busy_timeout(tmp_path: Path) -> None:
    database = open_database(sqlite_url(tmp_path / "hearth.sqlite3"), busy_timeout_ms=4321)
    try:
        # Several connections at once, so each is a separate connection of the pool.
        connections = [database.engine.connect() for _ in range(3)]
        try:
            for connection in connections:
                pragma = connection.exec_driver_sql
                assert pragma("PRAGMA journal_mode").scalar() == "wal"
                assert pragma("PRAGMA foreign_keys").scalar() == 1
                assert pragma("PRAGMA busy_timeout").scalar() == 4321
                assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
        finally:
            for connection in connections:
                connection.close()
        # And through the sessions that services actually get.
        with database.write() as session:
            assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with database.read() as session:
            assert session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
    finally:
        database.dispose()


def test_sqlite_default_busy_timeout_is_ten_seconds(sqlite_database: Database) -> None:
    with sqlite_database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


# -- transactions --------------------------------------------------------------------------------


def _run_threads(targets: list[Callable[[], None]], timeout_s: float = 60.0) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as error:  # collected and reported by the test
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout_s)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors


def test_concurrent_writers_all_succeed_while_a_reader_reads(database: Database) -> None:
    writers, transactions = 4, 50
    start = threading.Barrier(writers + 1)
    still_writing = threading.Semaphore(0)  # released once by each writer that finishes
    seen_counts: list[int] = []

    def writer(number: int) -> Callable[[], None]:
        def run() -> None:
            try:
                start.wait()
                for i in range(transactions):
                    with database.write() as session:
                        # Read, then write, in one transaction: the pattern that fails with
                        # "database is locked" on SQLite unless writers lock when they begin.
                        session.scalar(select(func.count()).select_from(Contact))
                        session.add(_contact(f"w{number}-{i}", f"w{number}-{i}@example.com"))
            finally:
                still_writing.release()

        return run

    def reader() -> None:
        start.wait()
        finished = 0
        while finished < writers:
            seen_counts.append(_count(database, Contact))
            while still_writing.acquire(blocking=False):
                finished += 1

    errors = _run_threads([writer(n) for n in range(writers)] + [reader])

    assert errors == []
    total = writers * transactions
    assert _count(database, Contact) == total
    assert _count(database, ContactEmail) == total
    with database.read() as session:
        names = set(session.scalars(select(Contact.first_name)))
    assert names == {f"w{n}-{i}" for n in range(writers) for i in range(transactions)}
    assert len(seen_counts) > 1, "the reader never read while writers wrote"
    assert seen_counts == sorted(seen_counts), "a reader saw the count go down"
    assert seen_counts[-1] <= total


def test_a_write_that_raises_leaves_nothing_behind(database: Database) -> None:
    flushed: list[int] = []
    with pytest.raises(_Boom):
        _fail_after_flushing(
            database.write(), _contact("Ada", "ada@example.com", "ada@work.example"), flushed
        )
    assert flushed == [2]  # the rows really reached the database before the failure

    assert _count(database, Contact) == 0
    assert _count(database, ContactEmail) == 0


def test_a_contact_whose_second_email_is_refused_is_not_kept_at_all(database: Database) -> None:
    with pytest.raises(IntegrityError), database.write() as session:
        # The same address twice breaks (contact_id, address_key) uniqueness on the second row.
        session.add(_contact("Grace", "grace@example.com", "GRACE@example.com"))

    assert _count(database, Contact) == 0
    assert _count(database, ContactEmail) == 0


def test_the_database_takes_writes_again_after_a_failed_one(database: Database) -> None:
    with pytest.raises(_Boom):
        _fail_after_flushing(database.write(), _contact("Lost"))

    # Another thread (another connection) must not wait on a lock the failed write kept.
    def write_one() -> None:
        with database.write() as session:
            session.add(_contact("Kept"))

    assert _run_threads([write_one], timeout_s=20) == []
    with database.read() as session:
        assert list(session.scalars(select(Contact.first_name))) == ["Kept"]


def test_read_never_keeps_what_it_did(database: Database) -> None:
    with database.read() as session:
        session.add(_contact("Ephemeral", "e@example.com"))
        session.flush()
        assert session.scalar(select(func.count()).select_from(Contact)) == 1

    with pytest.raises(_Boom):
        _fail_after_flushing(database.read(), _contact("Also ephemeral"))

    assert _count(database, Contact) == 0
    assert _count(database, ContactEmail) == 0

    # Whatever a read did, writers are not kept waiting afterwards.
    with database.write() as session:
        session.add(_contact("Real"))
    assert _count(database, Contact) == 1


def test_read_refuses_to_commit(database: Database) -> None:
    with pytest.raises(RuntimeError, match="never commits"), database.read() as session:
        session.add(_contact("Sneaky", "s@example.com"))
        session.commit()
    assert _count(database, Contact) == 0


def test_write_commits_when_the_block_ends(database: Database) -> None:
    with database.write() as session:
        contact = _contact("Linus", "linus@example.com")
        session.add(contact)
    assert contact.id is not None
    with database.read() as session:
        stored = session.get(Contact, contact.id)
        assert stored is not None
        assert [email.address for email in stored.emails] == ["linus@example.com"]


# -- foreign keys --------------------------------------------------------------------------------


def test_deleting_a_contact_deletes_its_emails_and_phones(database: Database) -> None:
    with database.write() as session:
        doomed = _contact("Doomed", "d1@example.com", "d2@example.com")
        doomed.phones = [ContactPhone(number="+34 600 000 000", e164="+34600000000")]
        kept = _contact("Kept", "k@example.com")
        kept.phones = [ContactPhone(number="+1 202 555 0100", e164="+12025550100")]
        session.add_all([doomed, kept])
    with database.write() as session:
        # A plain SQL delete: only the database's own ON DELETE CASCADE can remove the children.
        session.execute(delete(Contact).where(Contact.id == doomed.id))

    with database.read() as session:
        assert list(session.scalars(select(ContactEmail.address))) == ["k@example.com"]
        assert list(session.scalars(select(ContactPhone.e164))) == ["+12025550100"]
        assert list(session.scalars(select(Contact.first_name))) == ["Kept"]


def test_deleting_a_company_keeps_its_contacts_without_a_company(database: Database) -> None:
    with database.write() as session:
        company = Company(name="Acme", name_key="acme")
        session.add(company)
        session.flush()
        session.add_all(
            [_contact("Wile", company_id=company.id), _contact("Road", company_id=company.id)]
        )
    with database.write() as session:
        session.execute(delete(Company).where(Company.id == company.id))

    with database.read() as session:
        rows = session.execute(select(Contact.first_name, Contact.company_id)).all()
    assert sorted(rows) == [("Road", None), ("Wile", None)]


def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError):
        _write(database, ContactEmail(contact_id=987_654, address="x@example.com", address_key="x"))
    with pytest.raises(IntegrityError):
        _write(database, _contact("Orphan", company_id=987_654))
    assert _count(database, Contact) == 0
    assert _count(database, ContactEmail) == 0


# -- column types --------------------------------------------------------------------------------


def test_utc_columns_refuse_naive_datetimes(database: Database) -> None:
    naive = _contact("Naive", last_activity_at=datetime(2024, 5, 1, 12, 0))
    with pytest.raises(StatementError) as refused:
        _write(database, naive)
    assert isinstance(refused.value.orig, ValueError)
    assert "naive" in str(refused.value.orig)
    assert _count(database, Contact) == 0


@pytest.mark.parametrize(
    "offset",
    [timedelta(0), timedelta(hours=-8), timedelta(hours=5, minutes=30), timedelta(hours=14)],
    ids=["utc", "minus-8", "plus-5h30", "plus-14"],
)
def test_utc_columns_return_the_same_instant_in_utc(database: Database, offset: timedelta) -> None:
    given = datetime(2024, 3, 31, 1, 30, 15, 123_456, tzinfo=timezone(offset))
    with database.write() as session:
        contact = _contact("Timely", last_activity_at=given)
        session.add(contact)

    with database.read() as session:
        stored = session.scalars(select(Contact.last_activity_at)).one()
        # Looking it up by the same instant written with another offset finds it.
        in_other_zone = given.astimezone(timezone(timedelta(hours=-3)))
        found = session.scalars(
            select(Contact.id).where(Contact.last_activity_at == in_other_zone)
        ).all()
        earlier = session.scalars(
            select(Contact.id).where(Contact.last_activity_at < in_other_zone)
        ).all()
    assert stored is not None
    assert stored.tzinfo is UTC
    assert stored == given
    assert stored.replace(tzinfo=None) == given.astimezone(UTC).replace(tzinfo=None)
    assert found == [contact.id]
    assert earlier == []


def test_timestamps_are_set_and_aware(database: Database) -> None:
    before = datetime.now(UTC)
    with database.write() as session:
        contact = _contact("Stamped")
        session.add(contact)
    with database.read() as session:
        stored = session.get(Contact, contact.id)
        assert stored is not None
        assert stored.created_at.tzinfo is UTC
        assert before - timedelta(seconds=5) <= stored.created_at <= datetime.now(UTC)


NESTED: dict[str, Any] = {
    "plain": "text",
    "unicode": "Zoë Ñúñez — 東京 🚀",
    "nested": {"list": [1, 2.5, None, True, False, "é"], "deeper": {"empty": {}, "none": None}},
    "numbers": [0, -1, 10**15, 3.25],
    "clé": ["ünïcödé keys too"],
    "empty_list": [],
}


def test_json_columns_round_trip_nested_values(database: Database) -> None:
    with database.write() as session:
        contact = _contact("Jason", custom_fields=NESTED, tags=["vip", "λ", "東京"])
        activity = Activity(kind="note", occurred_at=datetime.now(UTC), data={"items": [NESTED]})
        session.add_all([contact, activity])

    with database.read() as session:
        stored = session.get(Contact, contact.id)
        stored_activity = session.get(Activity, activity.id)
        assert stored is not None
        assert stored_activity is not None
        assert stored.custom_fields == NESTED
        assert stored.tags == ["vip", "λ", "東京"]
        assert stored_activity.data == {"items": [NESTED]}


def test_json_columns_default_to_empty_containers(database: Database) -> None:
    with database.write() as session:
        contact = _contact("Defaults")
        session.add(contact)
    with database.read() as session:
        row = session.execute(
            select(Contact.custom_fields, Contact.tags).where(Contact.id == contact.id)
        ).one()
    assert row == ({}, [])


def test_the_test_database_is_private_and_empty(database: Database, backend: str) -> None:
    assert database.is_sqlite == (backend == "sqlite")
    with database.read() as session:
        for table in Base.metadata.sorted_tables:
            assert session.scalar(select(func.count()).select_from(table)) == 0, table.name
