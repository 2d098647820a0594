"""Demo calendar: meetings with contacts over the past year and the coming six weeks.

Timed meetings are in the user's office hours, US Eastern time (converted to UTC with the US
daylight-saving rules, written out here so the result does not depend on the machine's time zone
database); all-day events (visits, workshops, conferences) keep their calendar dates, exclusive
end, with instants at UTC midnight. Ids follow ``last_modified_at``, which strictly increases, as
the server assigns it. Each event is linked to its contacts and their company.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from itertools import accumulate

from core.demo import phrases
from core.demo import vocabulary as words
from core.demo.bulk import Row
from core.demo.context import DAY, DemoContext, Me, Person
from core.models import Activity, Attendee, Event, RecordLink
from core.services.event_clock import RESOLUTION, whole_milliseconds

EVENT_COLUMNS = (
    "id", "subject", "description", "location", "start_at", "end_at", "all_day", "start_date",
    "end_date", "timezone", "is_private", "status", "ical_uid", "organizer_address", "source",
    "extra", "created_at", "last_modified_at",
)  # fmt: skip
ATTENDEE_COLUMNS = (
    "id", "event_id", "position", "email_address", "address_key", "name", "contact_id", "status",
    "is_organizer",
)  # fmt: skip
LINK_COLUMNS = ("id", "record_type", "record_id", "entity_type", "entity_id", "origin")
ACTIVITY_COLUMNS = (
    "id", "contact_id", "company_id", "kind", "source", "occurred_at", "title", "body",
    "record_type", "record_id", "data", "created_at",
)  # fmt: skip

_EPOCH = datetime(1970, 1, 1)
_CHUNK = 10_000
_PAST_ANSWERS = ("accepted",) * 15 + ("tentative",) * 2 + ("declined",) + ("needsAction",) * 2
_FUTURE_ANSWERS = ("accepted",) * 9 + ("tentative",) * 3 + ("declined",) + ("needsAction",) * 7
_DURATIONS = (30, 30, 45, 60, 60, 60, 90)


def eastern_to_utc(local: datetime) -> datetime:
    """A naive US Eastern wall-clock time as naive UTC (DST: 2nd Sunday of March to 1st of Nov)."""
    dst_start, dst_end = _dst(local.year)
    return local + timedelta(hours=4 if dst_start <= local < dst_end else 5)


@cache
def _dst(year: int) -> tuple[datetime, datetime]:
    march, november = date(year, 3, 8), date(year, 11, 1)
    start = datetime.combine(march + timedelta(days=(6 - march.weekday()) % 7), time(2))
    end = datetime.combine(november + timedelta(days=(6 - november.weekday()) % 7), time(2))
    return start, end


def _seconds(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds())


@dataclass(slots=True)
class _Meeting:
    person: Person
    attendees: list[Person]
    subject: str
    description: str
    location: str
    start: datetime
    end: datetime
    days: tuple[date, date] | None
    created: int
    modified: int
    organizer_is_me: bool
    status: str
    private: bool

    @property
    def all_day(self) -> bool:
        return self.days is not None


def write_meetings(ctx: DemoContext, total: int) -> None:
    """Write ``total`` events with attendees, links and (optionally) activities."""
    if total <= 0 or not ctx.people:
        return
    rng = ctx.rng("meetings")
    random_ = rng.random
    people = ctx.people
    cum_weights = list(accumulate(person.mail_weight + 0.2 for person in people))
    today = ctx.naive(ctx.now).date()
    meetings: list[_Meeting] = []
    ctx.report("events", 0, total)
    for person in rng.choices(people, cum_weights=cum_weights, k=total):
        org = person.org
        if random_() < 0.15:  # upcoming
            day = today + timedelta(days=1 + int(random_() * 42))
        else:
            span = max(1, min(365, (ctx.now - person.since) // DAY))
            day = today - timedelta(days=int(random_() * span))
        if day.weekday() >= 5:  # weekend: the Friday before, or the Monday after
            friday = day - timedelta(days=day.weekday() - 4)
            monday = day + timedelta(days=7 - day.weekday())
            day = friday if _seconds(datetime.combine(friday, time())) > person.since else monday
        known_by = _seconds(datetime.combine(day, time()))
        attendees = [person]
        for _ in range(int(random_() * 3)):  # up to two colleagues of theirs, known by then
            colleague = org.people[int(random_() * min(12, len(org.people)))]
            if colleague not in attendees and colleague.since <= known_by:
                attendees.append(colleague)
        days: tuple[date, date] | None = None
        if random_() < 0.08:
            end_day = day + timedelta(days=1 + int(random_() * 3 * random_()))
            days = (day, end_day)
            start = datetime.combine(day, time())
            end = datetime.combine(end_day, time())
            template = phrases.ALL_DAY_SUBJECTS[int(random_() * len(phrases.ALL_DAY_SUBJECTS))]
            location = f"{org.name}, {words.PLACES[org.place].city}"
        else:
            local = datetime.combine(day, time(9 + int(random_() * 8), 30 * int(random_() * 2)))
            start = eastern_to_utc(local)
            end = start + timedelta(minutes=_DURATIONS[int(random_() * len(_DURATIONS))])
            template = phrases.MEETING_SUBJECTS[int(random_() * len(phrases.MEETING_SUBJECTS))]
            location = _location(random_(), rng.getrandbits(40), org.name)
        descriptions = phrases.MEETING_DESCRIPTIONS
        created = min(
            _seconds(start) - int((1 + 20 * random_()) * DAY), ctx.now - 60 - int(random_() * DAY)
        )
        meeting = _Meeting(
            person=person,
            attendees=attendees,
            subject=template.format(
                company=org.name, first=person.first, me_company=words.ME_COMPANY
            ),
            description=descriptions[int(random_() * len(descriptions))],
            location=location,
            start=start,
            end=end,
            days=days,
            created=created,
            modified=created + int(random_() * min(3 * DAY, ctx.now - created)),
            organizer_is_me=random_() < 0.75,
            status="cancelled" if random_() < 0.03 else "confirmed",
            private=random_() < 0.03,
        )
        meetings.append(meeting)
    meetings.sort(key=lambda m: (m.modified, m.created))
    _write(ctx, meetings, rng)


def _location(pick: float, number: int, company: str) -> str:
    if pick < 0.35:
        return f"https://zoom.example.com/j/{number % 10**10:010d}"
    if pick < 0.6:
        letters = "".join(chr(97 + (number >> (5 * i)) % 26) for i in range(8))
        return f"https://meet.example.com/{letters[:3]}-{letters[3:]}"
    if pick < 0.75:
        return "Microsoft Teams Meeting"
    if pick < 0.85:
        return "Phone call"
    return f"{company} office"


def _attendees(
    meeting: _Meeting, me: Me, answers: tuple[str, ...], random_: Callable[[], float]
) -> list[tuple[object, ...]]:
    """(address, key, name, contact id, status, is organizer) of each attendee, organizer first."""
    me_status = "accepted" if meeting.organizer_is_me else answers[int(random_() * len(answers))]
    me_row = (me.address, me.key, me.name, None, me_status, meeting.organizer_is_me)
    rows = []
    for index, contact in enumerate(meeting.attendees):
        is_organizer = index == 0 and not meeting.organizer_is_me
        status = "accepted" if is_organizer else answers[int(random_() * len(answers))]
        address, key = contact.addresses[0], contact.keys[0]
        rows.append((address, key, contact.name, contact.id, status, is_organizer))
    if meeting.organizer_is_me:
        return [me_row, *rows]
    return [rows[0], me_row, *rows[1:]]


def _write(ctx: DemoContext, meetings: list[_Meeting], rng: random.Random) -> None:
    me = ctx.me
    assert me is not None
    random_, getrandbits = rng.random, rng.getrandbits
    fmt = ctx.writer.format
    event_id = ctx.next_ids[Event.__tablename__]
    attendee_id = ctx.next_ids[Attendee.__tablename__]
    link_id = ctx.next_ids[RecordLink.__tablename__]
    activity_id = ctx.next_ids[Activity.__tablename__]
    events: list[Row] = []
    attendees: list[Row] = []
    links: list[Row] = []
    activities: list[Row] = []
    previous = datetime.min
    for done, meeting in enumerate(meetings, start=1):
        modified = whole_milliseconds(ctx.naive(meeting.modified))
        if modified <= previous:  # strictly increasing, as the calendar's clock issues them
            modified = previous + RESOLUTION
        previous = modified
        person, org = meeting.person, meeting.person.org
        future = meeting.start > ctx.naive(ctx.now)
        organizer = me.address if meeting.organizer_is_me else person.addresses[0]
        start_date = end_date = None
        if meeting.days is not None:
            start_date, end_date = fmt.day(meeting.days[0]), fmt.day(meeting.days[1])
        row = (
            event_id, meeting.subject, meeting.description, meeting.location,
            fmt.stamp(meeting.start), fmt.stamp(meeting.end), meeting.all_day, start_date,
            end_date, None if meeting.all_day else words.ME_TIMEZONE, meeting.private,
            meeting.status, f"{getrandbits(64):016x}-{event_id}@{words.ME_MESSAGE_HOST}",
            organizer, "demo", "{}", ctx.stamp(meeting.created), fmt.stamp(modified),
        )  # fmt: skip
        events.append(row)

        ordered = _attendees(meeting, me, _FUTURE_ANSWERS if future else _PAST_ANSWERS, random_)
        for position, values in enumerate(ordered):
            attendees.append((attendee_id, event_id, position, *values))
            attendee_id += 1

        links.append((link_id, "event", event_id, "company", org.id_text, "matched"))
        link_id += 1
        occurred = fmt.stamp(meeting.start)
        happened = not future and meeting.status != "cancelled"
        for contact in meeting.attendees:
            links.append((link_id, "event", event_id, "contact", contact.id_text, "matched"))
            link_id += 1
            if ctx.timeline:
                activity = (
                    activity_id, contact.id, org.id, "meeting", "demo", occurred, meeting.subject,
                    None, "event", event_id, "{}", ctx.stamp(meeting.created),
                )  # fmt: skip
                activities.append(activity)
                activity_id += 1
            if happened:
                contact.last_seen = max(contact.last_seen, _seconds(meeting.end))
        event_id += 1
        if len(events) >= _CHUNK or done == len(meetings):
            ctx.insert(Event, EVENT_COLUMNS, events)
            ctx.insert(Attendee, ATTENDEE_COLUMNS, attendees)
            ctx.insert(RecordLink, LINK_COLUMNS, links)
            ctx.insert(Activity, ACTIVITY_COLUMNS, activities)
            for rows in (events, attendees, links, activities):
                rows.clear()
            ctx.report("events", done, len(meetings))
            ctx.writer.commit_if_due()
    ctx.next_ids.update(
        {
            Event.__tablename__: event_id,
            Attendee.__tablename__: attendee_id,
            RecordLink.__tablename__: link_id,
            Activity.__tablename__: activity_id,
        }
    )
