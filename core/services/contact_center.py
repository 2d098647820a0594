"""The contact-center Email API (spec 001) in core: the targets a platform may post to, the rules a
posted email must meet, queueing it, and turning a queued payload into an email.

Choices where the spec is loose (the API docs and the README say the same):

- **Target.** ``tenantName``/``orgName``/``catName`` must name a configured
  :class:`~core.models.ContactCenterTarget` exactly (case and inner spaces count; surrounding
  space is ignored); otherwise the spec's error ``tenant/org/cat not found!``.
- **One message, once.** ``msgId`` keys the intake queue and is kept as the email's external id
  ``("contact_center", msgId)``: a repeat post changes nothing.
- **Thread.** ``convId`` becomes the email's ``syncThreadId`` as ``contact-center:<convId>``, so a
  conversation's messages share one thread and never meet a BrightSync thread id by accident.
- **Direction.** Outbound (folder ``sent``, read) when ``from`` is the agent's address
  (``agentEmailId``, any case), else inbound: the participant (or someone on their side) wrote.
- **Body.** Stored as the HTML body when it contains HTML tags, else as the text body.
- **Time.** ``ts`` (epoch milliseconds) is both the sent and the received time.
- **Participant.** The email is linked, like any email, to the contacts owning its addresses and
  their companies. If the contact owning ``psEmailId`` is not among them (the participant's
  address is not on the message), the links become explicit: those matched plus the participant's
  contact and company.
- **Timeline.** In place of the generic ``email`` entries, one ``contact_center_email`` entry at
  ``ts`` per linked contact (with the company they work for, as :mod:`core.services.timeline`
  asks) and per linked company no such entry names, carrying the contact-center context; the same
  context is kept on the email as ``extra["contactCenter"]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, Invalid
from core.events import note_change
from core.intake import enqueue
from core.models import Activity, ContactCenterTarget, Email, utcnow
from core.normalize import email_key
from core.services import Page, PageRequest
from core.services.email_content import my_address_keys
from core.services.email_model import EmailData, EmailRecord, EntityRef, Mailbox, clean_mailbox
from core.services.emails import ingest_email
from core.services.matching import (
    company_ids_of_contacts,
    contact_ids_by_address,
    match_addresses,
)
from core.services.records import load

SOURCE = "contact_center"
"""The intake source, the emails' ``source`` and the external ids' source."""
ACTIVITY_KIND = "contact_center_email"
THREAD_PREFIX = "contact-center:"
TARGET_NOT_FOUND = "tenant/org/cat not found!"
TARGET_FIELD = "entity-identifier"

MAX_NAME = 128
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY = 128
MAX_METADATA_VALUE = 1024
MIN_TS = 100_000_000_000
"""1973-03-03 in epoch milliseconds: a smaller ``ts`` is almost surely in seconds."""
MAX_TS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z."""

RESTRICTED_METADATA_KEYS = (
    # The payload's own attributes: metadata may not restate or contradict them.
    *("tenantName", "orgName", "catName", "metadataMap", "convId", "msgId", "journeyId", "lang"),
    *("sub", "subject", "ts", "body", "agentId", "psId", "agentEmailId", "psEmailId", "from"),
    *("to", "cc", "bcc"),
    # Speech-analytics fields: the map holds non-speech metadata only.
    *("callId", "contactId", "transcript", "audio", "duration", "sentiment", "channel"),
    # What Hearth itself sets on the email and its timeline entries.
    *("id", "emailId", "threadId", "companyId", "direction", "source", "folder", "createdAt"),
    "updatedAt",
)
"""Keys ``metadataMap`` may not use. Compared ignoring case and anything but letters and digits
(``agent_id`` and ``Agent-ID`` are ``agentId``); keys starting with ``hearth`` are reserved too."""


def metadata_key_form(key: str) -> str:
    """The form metadata keys are compared in: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", key.lower())


_RESTRICTED_FORMS = frozenset(metadata_key_form(k) for k in RESTRICTED_METADATA_KEYS)
_HTML = re.compile(
    r"<\s*(html|body|div|p|br|table|span|a|b|i|u|strong|em|ul|ol|li|font|img|h[1-6])\b[^>]*>",
    re.IGNORECASE,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class PayloadRejected(Invalid):
    """A posted email breaks one or more rules; ``problems`` has one ``Invalid`` per field."""

    def __init__(self, problems: Sequence[Invalid]) -> None:
        first = problems[0]
        super().__init__(first.message, field=first.field)
        self.problems = list(problems)


# --- Targets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRecord:
    """A tenant/org/category triple the platform may post to."""

    id: int
    tenant_name: str
    org_name: str
    cat_name: str
    description: str | None
    created_at: datetime
    updated_at: datetime


_NAME_FIELDS = {"tenant_name": "tenantName", "org_name": "orgName", "cat_name": "catName"}
TARGET_FIELDS = frozenset({*_NAME_FIELDS, "description"})


def _target_record(row: ContactCenterTarget) -> TargetRecord:
    return TargetRecord(
        id=row.id,
        tenant_name=row.tenant_name,
        org_name=row.org_name,
        cat_name=row.cat_name,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _checked_target_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - TARGET_FIELDS)
    if unknown:
        raise Invalid(f"unknown field {unknown[0]}", field=unknown[0])
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name == "description":
            checked[name] = value.strip() or None if isinstance(value, str) else None
            continue
        wire = _NAME_FIELDS[name]
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            raise Invalid("is required and may not be empty", field=wire)
        if len(text) > MAX_NAME:
            raise Invalid(f"at most {MAX_NAME} characters", field=wire)
        checked[name] = text
    return checked


def _check_unique(session: Session, names: tuple[str, str, str], target_id: int | None) -> None:
    tenant, org, cat = names
    holder = session.scalar(
        select(ContactCenterTarget.id).where(
            ContactCenterTarget.tenant_name == tenant,
            ContactCenterTarget.org_name == org,
            ContactCenterTarget.cat_name == cat,
            ContactCenterTarget.id != (target_id or 0),
        )
    )
    if holder is not None:
        raise Conflict(f"target {tenant}/{org}/{cat} already exists (id {holder})")


def _save_target(session: Session, row: ContactCenterTarget) -> None:
    """Flush ``row`` (new or changed); ``Conflict`` if another target has its names."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as e:  # made by another transaction since the check
        raise Conflict(
            f"target {row.tenant_name}/{row.org_name}/{row.cat_name} already exists"
        ) from e


def create_target(session: Session, values: Mapping[str, Any]) -> TargetRecord:
    """Create a target from ``tenant_name``, ``org_name``, ``cat_name`` (required, at most 128
    characters, trimmed) and an optional ``description``; ``Conflict`` if the triple exists."""
    checked = _checked_target_values(values)
    for name, wire in _NAME_FIELDS.items():
        if name not in checked:
            raise Invalid("is required and may not be empty", field=wire)
    row = ContactCenterTarget(**checked)
    _check_unique(session, (row.tenant_name, row.org_name, row.cat_name), None)
    _save_target(session, row)
    note_change(session, "contact_center_target", "created", row.id)
    return _target_record(row)


def get_target(session: Session, target_id: int) -> TargetRecord:
    """The target with this id; ``NotFound`` when there is none."""
    return _target_record(load(session, ContactCenterTarget, target_id, "target"))


def list_targets(session: Session, page: PageRequest) -> Page[TargetRecord]:
    """Every target, by tenant, org and category name."""
    total = session.scalar(select(func.count()).select_from(ContactCenterTarget)) or 0
    rows = session.scalars(
        select(ContactCenterTarget)
        .order_by(
            ContactCenterTarget.tenant_name,
            ContactCenterTarget.org_name,
            ContactCenterTarget.cat_name,
            ContactCenterTarget.id,
        )
        .offset(page.offset)
        .limit(page.limit)
    )
    return Page([_target_record(r) for r in rows], total, page.page, page.limit)


def update_target(session: Session, target_id: int, changes: Mapping[str, Any]) -> TargetRecord:
    """Change a target (RFC 7396: absent unchanged; ``None`` clears the description, and is
    refused for a name); ``Conflict`` if the new triple exists."""
    row = load(session, ContactCenterTarget, target_id, "target")
    checked = _checked_target_values(changes)
    names = tuple(checked.get(name, getattr(row, name)) for name in _NAME_FIELDS)
    _check_unique(session, (names[0], names[1], names[2]), row.id)
    for name, value in checked.items():
        setattr(row, name, value)
    _save_target(session, row)
    note_change(session, "contact_center_target", "updated", row.id)
    return _target_record(row)


def delete_target(session: Session, target_id: int) -> None:
    """Delete a target: the platform can no longer post to it (queued emails are unaffected)."""
    row = load(session, ContactCenterTarget, target_id, "target")
    session.delete(row)
    session.flush()
    note_change(session, "contact_center_target", "deleted", target_id)


def find_target(session: Session, tenant_name: str, org_name: str, cat_name: str) -> int | None:
    """The id of the target with exactly these names (trimmed), if any."""
    names = {"b_tenant": tenant_name.strip(), "b_org": org_name.strip(), "b_cat": cat_name.strip()}
    return session.connection().execute(_FIND_TARGET, names).scalar()


_FIND_TARGET = select(ContactCenterTarget.id).where(  # built once: it runs on every post
    ContactCenterTarget.tenant_name == bindparam("b_tenant"),
    ContactCenterTarget.org_name == bindparam("b_org"),
    ContactCenterTarget.cat_name == bindparam("b_cat"),
)


# --- The posted email -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactCenterEmail:
    """One posted email, types and lengths already checked (the API's schema does that): what
    :func:`queue_email` takes and the queue keeps (as :meth:`to_payload`)."""

    tenant_name: str
    org_name: str
    cat_name: str
    conv_id: str
    msg_id: str
    lang: str
    sub: str
    ts: int
    body: str
    agent_id: str
    ps_id: str
    agent_email_id: str
    ps_email_id: str
    from_address: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    journey_id: str | None = None
    metadata_map: Mapping[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """The spec's JSON shape (``{"metadata": ..., "data": ...}``), as queued."""
        data: dict[str, Any] = {
            "convId": self.conv_id,
            "msgId": self.msg_id,
            "lang": self.lang,
            "sub": self.sub,
            "ts": self.ts,
            "body": self.body,
            "agentId": self.agent_id,
            "psId": self.ps_id,
            "agentEmailId": self.agent_email_id,
            "psEmailId": self.ps_email_id,
            "from": self.from_address,
            "to": list(self.to),
            "cc": list(self.cc),
            "bcc": list(self.bcc),
            "journeyId": self.journey_id,
        }
        metadata = {
            "tenantName": self.tenant_name,
            "orgName": self.org_name,
            "catName": self.cat_name,
            "metadataMap": dict(self.metadata_map),
        }
        return {"metadata": metadata, "data": data}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ContactCenterEmail:
        """Read back what :meth:`to_payload` made."""
        metadata, data = payload["metadata"], payload["data"]
        return cls(
            tenant_name=metadata["tenantName"],
            org_name=metadata["orgName"],
            cat_name=metadata["catName"],
            metadata_map=dict(metadata.get("metadataMap") or {}),
            conv_id=data["convId"],
            msg_id=data["msgId"],
            lang=data["lang"],
            sub=data["sub"],
            ts=data["ts"],
            body=data["body"],
            agent_id=data["agentId"],
            ps_id=data["psId"],
            agent_email_id=data["agentEmailId"],
            ps_email_id=data["psEmailId"],
            from_address=data["from"],
            to=tuple(data["to"]),
            cc=tuple(data.get("cc") or ()),
            bcc=tuple(data.get("bcc") or ()),
            journey_id=data.get("journeyId"),
        )

    @property
    def sent_at(self) -> datetime:
        """``ts`` as a UTC time."""
        return _EPOCH + timedelta(milliseconds=self.ts)

    def context(self) -> dict[str, Any]:
        """What the contact center said about the message beyond the mail itself: kept on the
        email (``extra["contactCenter"]``) and on its timeline entries."""
        return {
            "tenantName": self.tenant_name,
            "orgName": self.org_name,
            "catName": self.cat_name,
            "convId": self.conv_id,
            "msgId": self.msg_id,
            "journeyId": self.journey_id,
            "lang": self.lang,
            "agentId": self.agent_id,
            "agentEmailId": self.agent_email_id,
            "psId": self.ps_id,
            "psEmailId": self.ps_email_id,
            "metadataMap": dict(self.metadata_map),
        }


def check_email(
    session: Session, email: ContactCenterEmail, languages: Sequence[str]
) -> list[Invalid]:
    """Every rule ``email`` breaks beyond types and lengths, one ``Invalid`` per field (field
    names as the spec writes them: ``data.lang``, ``metadata.metadataMap.key``); empty if none."""
    problems: list[Invalid] = []
    if email.lang.lower() not in {code.lower() for code in languages}:
        problems.append(Invalid(f"must be one of {', '.join(languages)}", field="data.lang"))
    if email.ts < MIN_TS:
        problems.append(
            Invalid(
                f"must be epoch milliseconds ({email.ts} would be before 1973; seconds?)",
                field="data.ts",
            )
        )
    elif email.ts > MAX_TS:
        problems.append(Invalid("must be epoch milliseconds before the year 10000", "data.ts"))
    addresses = [
        ("data.from", email.from_address),
        ("data.agentEmailId", email.agent_email_id),
        ("data.psEmailId", email.ps_email_id),
        *((f"data.to[{i}]", a) for i, a in enumerate(email.to)),
        *((f"data.cc[{i}]", a) for i, a in enumerate(email.cc)),
        *((f"data.bcc[{i}]", a) for i, a in enumerate(email.bcc)),
    ]
    for name, address in addresses:
        try:
            clean_mailbox(Mailbox(address), name)
        except Invalid as e:
            problems.append(e)
    problems.extend(_metadata_problems(email.metadata_map))
    if find_target(session, email.tenant_name, email.org_name, email.cat_name) is None:
        problems.append(Invalid(TARGET_NOT_FOUND, field=TARGET_FIELD))
    return problems


def _metadata_problems(metadata_map: Mapping[str, Any]) -> list[Invalid]:
    where = "metadata.metadataMap"
    if len(metadata_map) > MAX_METADATA_KEYS:
        return [
            Invalid(
                f"at most {MAX_METADATA_KEYS} keys per category (got {len(metadata_map)})", where
            )
        ]
    problems: list[Invalid] = []
    for key, value in metadata_map.items():
        form = metadata_key_form(key)
        if not key.strip():
            problems.append(Invalid("a key may not be empty", where))
        elif len(key) > MAX_METADATA_KEY:
            problems.append(Invalid(f"a key has at most {MAX_METADATA_KEY} characters", where))
        elif form in _RESTRICTED_FORMS or form.startswith("hearth"):
            problems.append(Invalid("is a restricted metadata key", f"{where}.{key}"))
        elif not isinstance(value, str):
            problems.append(Invalid("must be a string", f"{where}.{key}"))
        elif len(value) > MAX_METADATA_VALUE:
            problems.append(Invalid(f"at most {MAX_METADATA_VALUE} characters", f"{where}.{key}"))
    return problems


def reject_invalid(session: Session, email: ContactCenterEmail, languages: Sequence[str]) -> None:
    """Raise :class:`PayloadRejected` listing every rule ``email`` breaks (none: return)."""
    problems = check_email(session, email, languages)
    if problems:
        raise PayloadRejected(problems)


def queue_email(
    session: Session, email: ContactCenterEmail, *, languages: Sequence[str]
) -> tuple[int, bool]:
    """Check ``email`` and queue it for processing: ``(item id, True)`` when queued now,
    ``(earlier item's id, False)`` when its ``msgId`` was queued before (nothing changes).
    Raises :class:`PayloadRejected` listing every broken rule; nothing is written then."""
    reject_invalid(session, email, languages)
    return enqueue(session, SOURCE, email.msg_id, email.to_payload())


# --- Processing ---------------------------------------------------------------------------------


def process_email(session: Session, payload: Mapping[str, Any]) -> int:
    """Turn a queued payload into an email (the intake handler of ``contact_center``); returns
    the email's id. Idempotent: processing the same payload again updates the same email."""
    email = ContactCenterEmail.from_payload(payload)
    html = bool(_HTML.search(email.body))
    data = EmailData(
        subject=email.sub,
        text_body=None if html else email.body,
        html_body=email.body if html else None,
        from_address=email.from_address,
        to_addresses=tuple(Mailbox(a) for a in email.to),
        cc_addresses=tuple(Mailbox(a) for a in email.cc),
        bcc_addresses=tuple(Mailbox(a) for a in email.bcc),
        sync_thread_id=THREAD_PREFIX + email.conv_id,
        received_at=email.sent_at,
        sent_at=email.sent_at,
        related_to=_participant_links(session, email),
    )
    record, created = ingest_email(
        session, data, source=SOURCE, external_ids=[(SOURCE, email.msg_id)]
    )
    direction = _set_direction_and_context(session, record, email, created=created)
    _refresh_timeline(session, record, email, direction)
    return record.id


def _bare(address: str) -> str:
    return email_key(clean_mailbox(Mailbox(address), "address").address)


def _participant_links(session: Session, email: ContactCenterEmail) -> tuple[EntityRef, ...]:
    """Explicit links when the participant's address is not on the message but a contact owns
    it: every record the addresses match, plus the participant's contact and company. Empty
    otherwise, so Hearth links by address as it does for any email."""
    participant = _bare(email.ps_email_id)
    on_message = [email.from_address, *email.to, *email.cc, *email.bcc]
    if participant in {_bare(a) for a in on_message}:
        return ()
    if not contact_ids_by_address(session, [participant]):
        return ()
    mine = my_address_keys(session)
    addresses = [a for a in [*on_message, participant] if _bare(a) not in mine]
    contact_ids, company_ids = match_addresses(session, addresses)
    return tuple(
        [EntityRef("contact", i) for i in contact_ids]
        + [EntityRef("company", i) for i in company_ids]
    )


def _set_direction_and_context(
    session: Session, record: EmailRecord, email: ContactCenterEmail, *, created: bool
) -> str:
    """Set the direction from who wrote (agent or participant) and keep the contact-center
    context on the email; returns the direction."""
    session.flush()  # nothing the ingestion left pending may overwrite what is set here
    outbound = _bare(email.from_address) == _bare(email.agent_email_id)
    extra: dict[str, Any] = {}
    if not created:
        extra = dict(session.scalar(select(Email.extra).where(Email.id == record.id)) or {})
    session.connection().execute(
        _SET_DIRECTION,
        {
            "b_id": record.id,
            "b_direction": "outbound" if outbound else "inbound",
            # An archived email stays archived; what the agent wrote needs no reading.
            "b_folder": ("sent" if outbound else "inbox")
            if record.folder in {"inbox", "sent"}
            else record.folder,
            "b_read": outbound if created else record.is_read,
            "b_extra": {**extra, "contactCenter": email.context()},
            "b_now": utcnow(),
        },
    )
    return "outbound" if outbound else "inbound"


def _refresh_timeline(
    session: Session, record: EmailRecord, email: ContactCenterEmail, direction: str
) -> None:
    """The email's timeline entries, as ``contact_center_email`` in place of the generic
    ``email`` ones the ingestion wrote: one per linked contact (with the company they work for
    now) and one per linked company that no such entry already names."""
    connection = session.connection()
    connection.execute(_DELETE_ENTRIES, {"b_email": record.id})
    contact_ids = [int(link.id) for link in record.links if link.type == "contact"]
    employers = company_ids_of_contacts(session, contact_ids) if contact_ids else {}
    entries: list[tuple[int | None, int | None]] = [(c, employers.get(c)) for c in contact_ids]
    named = set(employers.values())
    entries += [
        (None, int(link.id))
        for link in record.links
        if link.type == "company" and int(link.id) not in named
    ]
    if not entries:
        return
    data = {"direction": direction, **email.context()}
    connection.execute(
        _INSERT_ENTRY,
        [
            {
                "contact_id": contact_id,
                "company_id": company_id,
                "kind": ACTIVITY_KIND,
                "source": SOURCE,
                "occurred_at": email.sent_at,
                "title": record.subject,
                "body": record.snippet,
                "record_type": "email",
                "record_id": record.id,
                "data": data,
                "created_at": utcnow(),
            }
            for contact_id, company_id in entries
        ],
    )


# Built once (see core.db.statements): they run for every processed email.
_SET_DIRECTION = (
    update(Email)
    .where(Email.id == bindparam("b_id"))
    .values(
        direction=bindparam("b_direction"),
        folder=bindparam("b_folder"),
        is_read=bindparam("b_read"),
        extra=bindparam("b_extra"),
        updated_at=bindparam("b_now"),
    )
)
_INSERT_ENTRY = insert(Activity)
_DELETE_ENTRIES = delete(Activity).where(
    Activity.record_type == "email",
    Activity.record_id == bindparam("b_email"),
    Activity.kind.in_(("email", ACTIVITY_KIND)),
)
