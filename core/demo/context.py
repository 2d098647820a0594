"""The state the demo generator's stages share: clock, random streams, ids, people and counts."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.demo.bulk import BulkWriter, Constants, Model, Row, table_of

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called now and then (never once per row)."""

_UNIX_EPOCH = datetime(1970, 1, 1)
DAY = 86_400
HOUR = 3_600


class Org:
    """A demo company, as the generator keeps it in memory."""

    __slots__ = (
        "customer",
        "domains",
        "id",
        "id_text",
        "industry",
        "message_host",
        "name",
        "people",
        "place",
    )

    def __init__(
        self, id: int, name: str, domains: tuple[str, ...], industry: str, place: int
    ) -> None:
        self.id = id
        self.id_text = str(id)
        self.name = name
        self.domains = domains
        self.industry = industry
        self.place = place
        self.message_host = f"mail.{domains[0]}"
        self.customer = False
        self.people: list[Person] = []


class Person:
    """A demo contact: what mail, meetings and notes need to know about them."""

    __slots__ = (
        "addresses",
        "first",
        "id",
        "id_text",
        "keys",
        "last_seen",
        "mail_weight",
        "name",
        "org",
        "signature",
        "since",
        "stage",
    )

    def __init__(self, id: int, org: Org, *, first: str, last: str, stage: str, since: int) -> None:
        self.id = id
        self.id_text = str(id)
        self.org = org
        self.first = first
        self.name = f"{first} {last}"
        self.stage = stage
        self.since = since  # epoch seconds of the contact's creation
        self.addresses: list[str] = []
        self.keys: list[str] = []
        self.signature = ""
        self.mail_weight = 0.0
        self.last_seen = 0  # epoch seconds of the latest email, meeting or note; 0 = none


@dataclass(frozen=True)
class Me:
    """The user whose CRM this is."""

    id: int
    name: str
    first: str
    address: str
    key: str


@dataclass
class DemoContext:
    """Everything the stages share. Times are whole seconds since the Unix epoch, in UTC."""

    seed: int
    writer: BulkWriter
    now: int
    timeline: bool
    progress: Progress | None
    next_ids: dict[str, int]
    me: Me | None = None
    orgs: list[Org] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def rng(self, stage: str) -> random.Random:
        """The random stream of one stage: stages stay stable when another one changes."""
        return random.Random(f"hearth-demo:{self.seed}:{stage}")

    def naive(self, seconds: int) -> datetime:
        """The naive UTC datetime of an epoch second."""
        return _UNIX_EPOCH + timedelta(seconds=seconds)

    def stamp(self, seconds: int) -> object:
        """The value to bind for an epoch second in a UTC datetime column."""
        return self.writer.format.epoch_stamp(seconds)

    def take_ids(self, model: Model, count: int) -> int:
        """Reserve ``count`` consecutive ids of the model's table; returns the first."""
        table = table_of(model)
        first = self.next_ids[table.name]
        self.next_ids[table.name] = first + count
        return first

    def insert(
        self, model: Model, columns: Sequence[str], rows: Sequence[Row], constants: Constants = ()
    ) -> None:
        """Insert rows into the model's table and count them under the table's name."""
        written = self.writer.insert(model, columns, rows, constants)
        name = table_of(model).name
        self.counts[name] = self.counts.get(name, 0) + written

    def report(self, stage: str, done: int, total: int) -> None:
        """Tell the progress callback, if there is one."""
        if self.progress is not None:
            self.progress(stage, done, total)


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since the Unix epoch of an aware datetime."""
    return int((moment.astimezone(UTC).replace(tzinfo=None) - _UNIX_EPOCH).total_seconds())
