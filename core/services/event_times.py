"""When an event happens: turning the times a client wrote into what Hearth stores.

A client writes an event's start and end as calendar dates (``2026-07-01``) or as dates and times,
with an offset (``2026-07-01T10:00:00-07:00``) or without one (a wall-clock time in the event's
time zone). This module decides what they mean:

**Timed events** are two instants, stored in UTC. A time without an offset is read in the event's
``timezone`` (an IANA name such as ``America/Los_Angeles``); with neither, it is refused, because
guessing (UTC? the server's zone?) is how events end up shifted. A date without a time is refused
too. The end may equal the start (a zero-length event), never precede it.

**All-day events** are calendar dates, which mean the same days in every time zone. The date is
taken as written: from a date, or from a date and time *in the offset it was written in*
(``2026-07-01T00:00:00-07:00`` is July 1, although it is 07:00 UTC), its time of day ignored. The
end is exclusive, as in iCalendar and Google Calendar: July 1 to July 2 is one day. Writers that
think of the end as inclusive are understood too: an end equal to the start means one day, and an
end given as a date and time other than midnight (``2026-07-01T23:59:59``) includes its day. The
instants stored alongside (``start_at``/``end_at``) are UTC midnights of those dates, for range
queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import Invalid
from core.models import Event

EventTime = date | datetime
"""A start or end as a client wrote it: a date, or a datetime (aware, or naive = wall-clock time
in the event's time zone)."""

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class EventSpan:
    """When an event happens, as stored: UTC instants, plus the dates of an all-day event."""

    all_day: bool
    start_at: datetime
    end_at: datetime
    start_date: date | None = None
    end_date: date | None = None
    """Exclusive: the day after the last day."""


def is_date_only(value: object) -> bool:
    """Whether ``value`` is a calendar date without a time of day."""
    return isinstance(value, date) and not isinstance(value, datetime)


def time_zone(name: str | None, field: str = "timeZone") -> ZoneInfo | None:
    """The IANA time zone called ``name`` (``None`` for no name); ``Invalid`` for unknown names."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise Invalid(
            f"{name!r} is not an IANA time zone name such as America/New_York or UTC", field=field
        ) from e


def resolve_span(
    start: EventTime, end: EventTime, all_day: bool, zone: ZoneInfo | None
) -> EventSpan:
    """The stored form of an event from ``start``/``end`` as written (see the module doc).

    Raises ``Invalid`` naming ``startTime`` or ``endTime``.
    """
    if all_day:
        first = _first_day(start)
        after_last = _day_after_last(end)
        if after_last < first:
            raise Invalid("must not be before startTime", field="endTime")
        if after_last == first:  # an inclusive end: the event's one day
            after_last = first + ONE_DAY
        return EventSpan(True, _utc_midnight(first), _utc_midnight(after_last), first, after_last)
    start_at = _instant(start, zone, "startTime")
    end_at = _instant(end, zone, "endTime")
    if end_at < start_at:
        raise Invalid("must not be before startTime", field="endTime")
    return EventSpan(False, start_at, end_at)


def written_times(event: Event, all_day: bool) -> tuple[EventTime, EventTime]:
    """A stored event's start and end as a client would write them, to resolve again when some
    of its fields change (``all_day`` is what it is becoming). For an all-day event: its dates, or
    a timed event's instants in its time zone (UTC when it has none), whose dates are those its
    owner sees. For a timed event: its instants (UTC midnights, if it was all-day)."""
    if not all_day:
        return event.start_at, event.end_at
    if event.all_day and event.start_date is not None and event.end_date is not None:
        return event.start_date, event.end_date
    try:
        zone = time_zone(event.timezone) or UTC
    except Invalid:  # a name that was valid once; the dates in UTC are the best left
        zone = UTC
    return event.start_at.astimezone(zone), event.end_at.astimezone(zone)


def _first_day(value: EventTime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _day_after_last(value: EventTime) -> date:
    if not isinstance(value, datetime):
        return value
    if value.time() == time(0):  # midnight ends the day before: exclusive
        return value.date()
    return value.date() + ONE_DAY  # a time during the day: that day is included


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _instant(value: EventTime, zone: ZoneInfo | None, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise Invalid(
            "a date without a time of day is only valid for an all-day event (allDay: true)",
            field=field,
        )
    if value.tzinfo is None:
        if zone is None:
            raise Invalid(
                "needs an offset such as Z or -07:00 (or a timeZone for the event), "
                "or epoch milliseconds",
                field=field,
            )
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)
