"""Demo notes and documents: what a salesperson writes down and keeps about their accounts.

Notes are ``Activity`` rows of kind ``note`` on a contact's timeline. Documents are small text,
Markdown and CSV files made here, stored in the :class:`core.blobstore.BlobStore` under the
documents folder, recorded as ``Blob`` + ``Document`` (status ``ready``) and linked to their
company (and contact, for meeting notes) with ``origin`` "explicit", as a user's upload would be.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import accumulate

from sqlalchemy import select

from core.blobstore import BlobStore
from core.demo import phrases
from core.demo import vocabulary as words
from core.demo.bulk import Row
from core.demo.context import DAY, HOUR, DemoContext, Org, Person
from core.models import Activity, Blob, Document, RecordLink

ACTIVITY_COLUMNS = (
    "id", "contact_id", "company_id", "kind", "source", "occurred_at", "title", "body",
    "record_type", "record_id", "data", "created_at",
)  # fmt: skip
DOCUMENT_COLUMNS = (
    "id", "file_name", "content_type", "status", "size", "sha256", "confirmed_at", "source",
    "created_at", "updated_at",
)  # fmt: skip
BLOB_COLUMNS = ("sha256", "size", "created_at")
LINK_COLUMNS = ("id", "record_type", "record_id", "entity_type", "entity_id", "origin")

_CHUNK = 10_000


def write_notes(ctx: DemoContext, total: int) -> None:
    """Write ``total`` notes on contacts' timelines, more on the busier contacts."""
    if total <= 0 or not ctx.people:
        return
    rng = ctx.rng("notes")
    random_ = rng.random
    cum_weights = list(accumulate(person.mail_weight + 0.1 for person in ctx.people))
    activity_id = ctx.take_ids(Activity, total)
    rows: list[Row] = []
    sentences = phrases.NOTE_SENTENCES
    for done, person in enumerate(
        rng.choices(ctx.people, cum_weights=cum_weights, k=total), start=1
    ):
        at = ctx.now - int((ctx.now - person.since) * random_())
        at -= at % 60
        body = " ".join(rng.sample(sentences, 1 + int(random_() * 3)))
        title = phrases.NOTE_TITLES[int(random_() * len(phrases.NOTE_TITLES))]
        stamp = ctx.stamp(at)
        row = (
            activity_id, person.id, person.org.id, "note", "demo", stamp, title, body, None,
            None, "{}", stamp,
        )  # fmt: skip
        rows.append(row)
        activity_id += 1
        person.last_seen = max(person.last_seen, at)
        if len(rows) >= _CHUNK or done == total:
            ctx.insert(Activity, ACTIVITY_COLUMNS, rows)
            rows.clear()
            ctx.report("notes", done, total)
            ctx.writer.commit_if_due()


def _proposal(org: Org, person: Person, rng: random.Random) -> tuple[str, str, str]:
    seats = 10 * (2 + int(rng.random() * 30))
    price = 29 + 10 * int(rng.random() * 5)
    text = (
        f"# Proposal for {org.name}\n\n"
        f"Prepared for {person.name} by {words.ME_FIRST_NAME} {words.ME_LAST_NAME}.\n\n"
        "## Scope\n\n"
        f"- {seats} seats with the full CRM suite\n"
        "- Mail and calendar sync for every seat\n"
        "- Onboarding workshop and premium support\n\n"
        "## Pricing\n\n"
        "| Item | Quantity | Unit price | Total |\n| --- | ---: | ---: | ---: |\n"
        f"| Seats (annual) | {seats} | ${price} | ${seats * price * 12:,} |\n"
        "| Onboarding workshop | 1 | $2,500 | $2,500 |\n\n"
        "Valid for 30 days. Payment terms: net 30.\n"
    )
    return f"Proposal - {org.name}.md", "text/markdown", text


def _pricing(org: Org, person: Person, rng: random.Random) -> tuple[str, str, str]:
    lines = ["item,quantity,unit_price_usd,discount_pct"]
    for item in ("Core seats", "Analytics add-on", "Premium support", "Sandbox"):
        quantity = 1 + int(rng.random() * 150)
        lines.append(f"{item},{quantity},{19 + int(rng.random() * 60)},{int(rng.random() * 4) * 5}")
    return f"{org.name} pricing 2026.csv", "text/csv", "\n".join(lines) + "\n"


def _meeting_notes(org: Org, person: Person, rng: random.Random) -> tuple[str, str, str]:
    points = rng.sample(phrases.NOTE_SENTENCES, 4)
    text = (
        f"Meeting notes: {person.name} ({org.name})\n\n"
        + "\n".join(f"- {point}" for point in points)
        + "\n\nNext step: send a recap and book a follow-up.\n"
    )
    return f"Meeting notes - {person.name}.txt", "text/plain", text


def _account_plan(org: Org, person: Person, rng: random.Random) -> tuple[str, str, str]:
    names = ", ".join(p.name for p in org.people[:4]) or person.name
    text = (
        f"# Account plan: {org.name}\n\n"
        f"Industry: {org.industry}. Main contact: {person.name}.\n\n"
        f"## Stakeholders\n\n{names}\n\n"
        "## Goals this year\n\n1. Expand to a second team.\n"
        "2. Renew early with a multi-year term.\n"
        f"3. Reference call by Q{1 + int(rng.random() * 4)}.\n"
    )
    return f"Account plan - {org.name}.md", "text/markdown", text


def _nda(org: Org, person: Person, rng: random.Random) -> tuple[str, str, str]:
    years = 2 + int(rng.random() * 3)
    text = (
        "# Mutual non-disclosure agreement (draft)\n\n"
        f"Between {words.ME_COMPANY} and {org.name}.\n\n"
        f"Each party keeps the other's confidential information secret for {years} years and uses "
        "it only to evaluate a possible business relationship.\n\n"
        f"Signed for {org.name}: {person.name}\n"
    )
    return f"Mutual NDA - {org.name}.md", "text/markdown", text


_KINDS: tuple[Callable[[Org, Person, random.Random], tuple[str, str, str]], ...] = (
    _proposal,
    _pricing,
    _meeting_notes,
    _account_plan,
    _nda,
)


def write_documents(ctx: DemoContext, total: int, store: BlobStore) -> None:
    """Make ``total`` documents about the busiest accounts and store their content in ``store``."""
    if total <= 0 or not ctx.people:
        return
    rng = ctx.rng("documents")
    cum_weights = list(accumulate(person.mail_weight + 0.01 for person in ctx.people))
    document_id = ctx.take_ids(Document, total)
    connection = ctx.writer.connection
    documents: list[Row] = []
    blobs: list[Row] = []
    links: list[Row] = []
    activities: list[Row] = []
    seen: dict[str, bool] = {}
    for index in range(total):
        person = rng.choices(ctx.people, cum_weights=cum_weights)[0]
        org = person.org
        file_name, content_type, text = _KINDS[index % len(_KINDS)](org, person, rng)
        sha256, size = store.put_bytes(text.encode())
        at = ctx.now - int(rng.random() * 90 * DAY) - HOUR
        stamp = ctx.stamp(at)
        if sha256 not in seen:
            seen[sha256] = True
            stored = connection.execute(select(Blob.sha256).where(Blob.sha256 == sha256)).first()
            if stored is None:
                blobs.append((sha256, size, stamp))
        row = (
            document_id,
            file_name,
            content_type,
            "ready",
            size,
            sha256,
            stamp,
            "demo",
            stamp,
            stamp,
        )
        documents.append(row)
        targets = [("company", org.id_text)]
        if _KINDS[index % len(_KINDS)] is _meeting_notes:
            targets.append(("contact", person.id_text))
        for entity_type, entity_id in targets:
            link_id = ctx.take_ids(RecordLink, 1)
            links.append((link_id, "document", document_id, entity_type, entity_id, "explicit"))
        if ctx.timeline:
            activity = (
                ctx.take_ids(Activity, 1), person.id, org.id, "document", "demo", stamp,
                file_name, None, "document", document_id, "{}", stamp,
            )  # fmt: skip
            activities.append(activity)
        document_id += 1
    ctx.insert(Blob, BLOB_COLUMNS, blobs)
    ctx.insert(Document, DOCUMENT_COLUMNS, documents)
    ctx.insert(RecordLink, LINK_COLUMNS, links)
    ctx.insert(Activity, ACTIVITY_COLUMNS, activities)
    ctx.report("documents", total, total)
