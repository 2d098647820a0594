"""The demo CRM's people: the user ("me"), companies with their domains, contacts with theirs.

Companies and contacts are built in memory first (mail, meetings and notes need them), then
written in bulk. Each company uses one address pattern for its staff, as real companies do; a
contact's addresses are unique within the company, and phone numbers are unique in the book
(there are only so many fictional numbers, so at large scales most contacts have none).
"""

from __future__ import annotations

import json
import random
import unicodedata
from bisect import bisect
from itertools import accumulate

from sqlalchemy import select

from core.demo import vocabulary as words
from core.demo.bulk import Row
from core.demo.context import DAY, DemoContext, Me, Org, Person
from core.models import Company, CompanyDomain, Contact, ContactEmail, ContactPhone, User
from core.normalize import email_key, name_key

USER_COLUMNS = ("id", "name", "email", "is_me", "timezone", "created_at", "updated_at")
COMPANY_COLUMNS = (
    "id", "name", "name_key", "website", "linkedin_url", "linkedin_key", "industry",
    "description", "phone", "owner_id", "custom_fields", "created_at", "updated_at",
)  # fmt: skip
DOMAIN_COLUMNS = ("id", "company_id", "domain", "position")
CONTACT_COLUMNS = (
    "id", "first_name", "last_name", "name_key", "title", "company_id", "owner_id",
    "linkedin_url", "linkedin_key", "lead_score", "lifecycle_stage", "location", "city", "state",
    "country", "bio", "tags", "custom_fields", "created_at", "updated_at",
)  # fmt: skip
CONTACT_EMAIL_COLUMNS = ("id", "contact_id", "address", "address_key", "position")
PHONE_COLUMNS = ("id", "contact_id", "kind", "number", "e164", "position")

_CHUNK = 20_000
_CUSTOMER_SHARE = 0.3
_PHONE_SHARE = 0.7


def _slug(text: str) -> str:
    """Lower-case ASCII letters only: ``"O'Brien"`` -> ``"obrien"``, ``"Zoë"`` -> ``"zoe"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    folded = ascii_text.replace("ø", "o").lower()
    return "".join(ch for ch in folded if ch.isalnum())


def _scramble(number: int) -> int:
    # Multiplying by an odd constant is a bijection modulo 2**24: distinct, random-looking ids.
    return (number * 0x9E3779B1) & 0xFFFFFF


def write_me(ctx: DemoContext) -> None:
    """Use the database's own "me" user if it has one; otherwise create Alex Morgan."""
    connection = ctx.writer.connection
    row = connection.execute(
        select(User.id, User.name, User.email).where(User.is_me.is_(True)).order_by(User.id)
    ).first()
    if row is not None:
        address = row.email or words.ME_ADDRESS
        first = row.name.split()[0] if row.name.split() else row.name
        ctx.me = Me(row.id, row.name, first, address, email_key(address))
        return
    user_id = ctx.take_ids(User, 1)
    name = f"{words.ME_FIRST_NAME} {words.ME_LAST_NAME}"
    created = ctx.stamp(ctx.now - 1100 * DAY)
    ctx.insert(
        User,
        USER_COLUMNS,
        [(user_id, name, words.ME_ADDRESS, True, words.ME_TIMEZONE, created, created)],
    )
    ctx.me = Me(user_id, name, words.ME_FIRST_NAME, words.ME_ADDRESS, email_key(words.ME_ADDRESS))


def build_people(ctx: DemoContext, companies: int, contacts: int) -> None:
    """Make the companies and contacts (``ctx.orgs``, ``ctx.people``) and write their rows."""
    rng = ctx.rng("people")
    ctx.orgs = _build_orgs(ctx, rng, companies)
    if not ctx.orgs:
        return
    weights = [1.0 / (0.08 + rng.random()) for _ in ctx.orgs]
    # Every company gets someone before the weighted draw, so none looks abandoned.
    assigned = ctx.orgs[: min(contacts, len(ctx.orgs))]
    assigned += rng.choices(ctx.orgs, weights=weights, k=contacts - len(assigned))
    rows = _PeopleRows(ctx, rng, contacts)
    for org in assigned:
        person = rows.add(org)
        org.people.append(person)
        ctx.people.append(person)
    rows.finish()
    _write_companies(ctx, rng)
    ctx.report("contacts", 0, len(rows.contacts))
    for start in range(0, len(rows.contacts), _CHUNK):
        ctx.insert(Contact, CONTACT_COLUMNS, rows.contacts[start : start + _CHUNK])
        ctx.report("contacts", min(start + _CHUNK, len(rows.contacts)), len(rows.contacts))
    for start in range(0, len(rows.emails), _CHUNK):
        ctx.insert(ContactEmail, CONTACT_EMAIL_COLUMNS, rows.emails[start : start + _CHUNK])
    for start in range(0, len(rows.phones), _CHUNK):
        ctx.insert(ContactPhone, PHONE_COLUMNS, rows.phones[start : start + _CHUNK])


def write_last_activity(ctx: DemoContext) -> None:
    """Set each contact's ``last_activity_at`` to their latest email, meeting or note."""
    rows = [(ctx.stamp(p.last_seen), p.id) for p in ctx.people if p.last_seen]
    for start in range(0, len(rows), _CHUNK):
        ctx.writer.execute_many(
            "UPDATE contacts SET last_activity_at = ? WHERE id = ?", rows[start : start + _CHUNK]
        )


def _build_orgs(ctx: DemoContext, rng: random.Random, count: int) -> list[Org]:
    combos = [(stem, kind) for stem in words.COMPANY_STEMS for kind in words.COMPANY_KINDS]
    rng.shuffle(combos)
    first_id = ctx.take_ids(Company, count)
    orgs = []
    for index in range(count):
        stem, (kind, industry) = combos[index % len(combos)]
        round_ = index // len(combos)
        suffix = str(round_ + 1) if round_ else ""
        name = f"{stem} {kind}" + (f" {suffix}" if suffix else "")
        slug = f"{_slug(stem)}{_slug(kind)}{suffix}"
        domains: tuple[str, ...] = (f"{slug}.example",)
        pick = rng.random()
        if pick < 0.15:
            domains += (f"{_slug(stem)}-{_slug(kind)}{suffix}.example.net",)
        elif pick < 0.3:
            domains += (f"{slug}.example.com",)
        place = bisect(_PLACE_WEIGHTS, rng.random() * _PLACE_WEIGHTS[-1])
        org = Org(first_id + index, name, domains, industry, place)
        org.customer = rng.random() < _CUSTOMER_SHARE
        orgs.append(org)
    return orgs


def _write_companies(ctx: DemoContext, rng: random.Random) -> None:
    assert ctx.me is not None
    phones = _Phones(rng)
    tiers = [tier for tier, weight in words.COMPANY_TIERS for _ in range(weight)]
    companies: list[Row] = []
    domains: list[Row] = []
    domain_id = ctx.take_ids(CompanyDomain, sum(len(o.domains) for o in ctx.orgs))
    for org in ctx.orgs:
        place = words.PLACES[org.place]
        tier = tiers[int(rng.random() * len(tiers))]
        low = {"Enterprise": 1000, "Mid-market": 100, "SMB": 5}[tier]
        employees = int(low * (1 + 9 * rng.random()))
        blurb = words.COMPANY_BLURBS[int(rng.random() * len(words.COMPANY_BLURBS))]
        industry = org.industry.lower()
        description = blurb.format(
            name=org.name,
            industry_lower=industry,
            a_industry=f"{'an' if industry[0] in 'aeiou' else 'a'} {industry}",
            city=place.city,
            country=place.country,
        )
        handle = org.domains[0].removesuffix(".example").replace(".", "-")
        phone = phones.take(org.place, mobile=False) if rng.random() < 0.8 else None
        earliest = min((p.since for p in org.people), default=ctx.now - 200 * DAY)
        created = ctx.stamp(earliest - int(rng.random() * 60 * DAY))
        custom = json.dumps({"tier": tier, "employees": employees})
        linkedin = (f"https://www.linkedin.com/company/{handle}", f"linkedin.com/company/{handle}")
        row = (
            org.id, org.name, name_key(org.name), f"https://www.{org.domains[0]}", *linkedin,
            org.industry, description, phone[0] if phone else None, ctx.me.id, custom,
            created, created,
        )  # fmt: skip
        companies.append(row)
        for position, domain in enumerate(org.domains):
            domains.append((domain_id, org.id, domain, position))
            domain_id += 1
    for start in range(0, len(companies), _CHUNK):
        ctx.insert(Company, COMPANY_COLUMNS, companies[start : start + _CHUNK])
    ctx.insert(CompanyDomain, DOMAIN_COLUMNS, domains)
    ctx.report("companies", len(companies), len(companies))


class _Phones:
    """Hands out each fictional number once, shuffled, per place (and UK mobiles)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._pools: dict[int, list[tuple[str, str]]] = {}
        self._mobiles: list[tuple[str, str]] = []
        self._mobiles_ready = False

    def take(self, place: int, mobile: bool) -> tuple[str, str] | None:
        """An unused (display, E.164) number of the place, or ``None`` when all are taken."""
        if mobile and words.PLACES[place].country == "United Kingdom":
            if not self._mobiles_ready:
                self._mobiles = list(words.UK_MOBILES)
                self._rng.shuffle(self._mobiles)
                self._mobiles_ready = True
            pool = self._mobiles
        else:
            if place not in self._pools:
                numbers = list(words.PLACES[place].numbers)
                self._rng.shuffle(numbers)
                self._pools[place] = numbers
            pool = self._pools[place]
        return pool.pop() if pool else None


_TITLES = [title for title, _ in words.TITLES]
_TITLE_WEIGHTS = list(accumulate(weight for _, weight in words.TITLES))
_PLACE_WEIGHTS = list(accumulate(words.PLACE_WEIGHTS))
_CUSTOMER_STAGES = (
    [s for s, _ in words.CUSTOMER_STAGES],
    list(accumulate(w for _, w in words.CUSTOMER_STAGES)),
)
_PROSPECT_STAGES = (
    [s for s, _ in words.PROSPECT_STAGES],
    list(accumulate(w for _, w in words.PROSPECT_STAGES)),
)
# One tag, or (less often) two.
_TAG_SETS = [json.dumps([tag]) for tag in words.TAGS] * 3 + [
    json.dumps([first, second]) for first in words.TAGS for second in words.TAGS if first < second
][::5]
_LEAD_SOURCES = [json.dumps({"leadSource": source}) for source in words.LEAD_SOURCES]
_FIRST = [(name, _slug(name), name_key(name)) for name in words.FIRST_NAMES]
_LAST = [(name, _slug(name), name_key(name)) for name in words.LAST_NAMES]
_PATTERN_NAMES = [p for p, weight in words.ADDRESS_PATTERNS for _ in range(weight)]


def _local_part(pattern: str, first: str, last: str) -> str:
    if pattern == "first.last":
        return f"{first}.{last}"
    if pattern == "flast":
        return f"{first[0]}{last}"
    if pattern == "first":
        return first
    if pattern == "firstl":
        return f"{first}{last[0]}"
    return f"{first}_{last}"


class _PeopleRows:
    """Builds contacts one at a time: as ``Person`` for the later stages, and as rows."""

    def __init__(self, ctx: DemoContext, rng: random.Random, contacts: int) -> None:
        self.ctx = ctx
        self.rng = rng
        self.phone_pool = _Phones(rng)
        self.contacts: list[Row] = []
        self.emails: list[Row] = []
        self.phones: list[Row] = []
        self.patterns: dict[int, str] = {}
        self.used: dict[int, set[str]] = {}
        self.next_id = ctx.next_ids[Contact.__tablename__]
        self.next_email_id = ctx.next_ids[ContactEmail.__tablename__]
        self.next_phone_id = ctx.next_ids[ContactPhone.__tablename__]
        # The fictional ranges hold about 11,000 numbers: at large scales, fewer people get one.
        self.phone_share = min(_PHONE_SHARE, 8_000 / max(1, contacts))

    def finish(self) -> None:
        """Hand the ids used back to the context."""
        self.ctx.next_ids[Contact.__tablename__] = self.next_id
        self.ctx.next_ids[ContactEmail.__tablename__] = self.next_email_id
        self.ctx.next_ids[ContactPhone.__tablename__] = self.next_phone_id

    def add(self, org: Org) -> Person:
        """Make one contact at ``org``."""
        ctx, rng = self.ctx, self.rng
        assert ctx.me is not None
        first, first_slug, first_key = _FIRST[int(rng.random() * len(_FIRST))]
        last, last_slug, last_key = _LAST[int(rng.random() * len(_LAST))]
        stages, cum_weights = _CUSTOMER_STAGES if org.customer else _PROSPECT_STAGES
        stage = stages[bisect(cum_weights, rng.random() * cum_weights[-1])]
        low, high = words.STAGE_AGE_DAYS[stage]
        since = ctx.now - int((low + rng.random() * (high - low)) * DAY)
        person = Person(self.next_id, org, first=first, last=last, stage=stage, since=since)
        self.next_id += 1
        weight = words.STAGE_MAIL_WEIGHT[stage] * (0.3 + 1.7 * rng.random())
        person.mail_weight = 0.0 if stage == "Lead" and rng.random() < 0.3 else weight

        self._add_addresses(person, first_slug, last_slug)
        place_index = org.place
        if rng.random() >= 0.8:
            place_index = bisect(_PLACE_WEIGHTS, rng.random() * _PLACE_WEIGHTS[-1])
        place = words.PLACES[place_index]
        title = _TITLES[bisect(_TITLE_WEIGHTS, rng.random() * _TITLE_WEIGHTS[-1])]
        phone = None
        if rng.random() < self.phone_share:
            mobile = rng.random() < 0.35
            phone = self.phone_pool.take(place_index, mobile)
            if phone is not None:
                kind = "mobile" if mobile else "work"
                self.phones.append((self.next_phone_id, person.id, kind, phone[0], phone[1], 0))
                self.next_phone_id += 1
        person.signature = f"\n\n{person.name}\n{title}, {org.name}" + (
            f"\n{phone[0]}" if phone else ""
        )

        linkedin_url = linkedin_key = None
        if rng.random() < 0.65:
            handle = f"{first_slug}-{last_slug}-{_scramble(person.id):06x}"
            linkedin_url = f"https://www.linkedin.com/in/{handle}"
            linkedin_key = f"linkedin.com/in/{handle}"
        low_score, high_score = words.STAGE_SCORES[stage]
        score = round(low_score + rng.random() * (high_score - low_score), 1)
        tags = "[]"
        if rng.random() < 0.45:
            tags = _TAG_SETS[int(rng.random() * len(_TAG_SETS))]
        bio = f"{title} at {org.name}, based in {place.city}." if rng.random() < 0.2 else None
        custom = "{}"
        if rng.random() < 0.6:
            custom = _LEAD_SOURCES[int(rng.random() * len(_LEAD_SOURCES))]
        created = ctx.stamp(since)
        region = place.country if place.country == "United Kingdom" else place.state
        location = f"{place.city}, {region}"
        row = (
            person.id, first, last, f"{first_key} {last_key}", title, org.id, ctx.me.id,
            linkedin_url, linkedin_key, score, stage, location, place.city, place.state,
            place.country, bio, tags, custom, created, created,
        )  # fmt: skip
        self.contacts.append(row)
        return person

    def _add_addresses(self, person: Person, first: str, last: str) -> None:
        org, rng = person.org, self.rng
        pattern = self.patterns.get(org.id)
        if pattern is None:
            pattern = self.patterns[org.id] = _PATTERN_NAMES[
                int(rng.random() * len(_PATTERN_NAMES))
            ]
        used = self.used.get(org.id)
        if used is None:
            used = self.used[org.id] = set()
        local = _local_part(pattern, first, last)
        candidates = [f"{local}@{org.domains[0]}"]
        if rng.random() < 0.3:
            if len(org.domains) > 1:
                candidates.append(f"{local}@{org.domains[1]}")
            else:
                other = _local_part("flast" if pattern != "flast" else "first.last", first, last)
                candidates.append(f"{other}@{org.domains[0]}")
        capitalised = rng.random() < 0.15
        for candidate in candidates:
            address = candidate
            serial = 1
            while address in used:  # namesakes at one company: jane.doe2@...
                serial += 1
                head, _, domain = candidate.partition("@")
                address = f"{head}{serial}@{domain}"
            used.add(address)
            display = address[0].upper() + address[1:] if capitalised else address
            person.addresses.append(display)
            person.keys.append(address)
            self.emails.append(
                (self.next_email_id, person.id, display, address, len(person.keys) - 1)
            )
            self.next_email_id += 1
