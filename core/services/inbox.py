"""The inbox: emails by folder, newest first, with search, an unread filter and folder counts.

These are the same records every ingestion path writes (:mod:`core.services.emails`), seen as a
mail client sees them. Folders:

- ``inbox``: received mail not archived (stored ``folder`` ``inbox``);
- ``sent``: the user's own mail not archived (``folder`` ``sent``);
- ``archive``: archived mail, received or sent (``folder`` ``archive``);
- ``starred``: starred mail in any folder;
- ``all``: every email, whatever its folder.

Hearth keeps ``folder`` in step with the direction and the archive flag (see
:mod:`core.services.inbox_flags`), so these are exact. Lists are ordered by ``occurred_at``
(received, else sent, else stored), newest first, ties by id, and their totals are exact: from
the folder counters when there is no search, counted otherwise.

Pages are read in two steps: the ids of the page from an index (``all`` merges the folders'
indexes), then the page's emails with their recipients and links,
each in one query, whatever the page size. Searches start from the full-text index, so a search
costs what it matches: a rare word a few milliseconds at a million emails, a word in most emails
a few hundred.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, text, true, union_all
from sqlalchemy.orm import Session

from core.errors import Invalid
from core.models import Attachment, Email, EmailRecipient, RecordLink
from core.models.mail import EmailFolderCount
from core.services import Page, PageRequest
from core.services.email_model import LinkRecord
from core.services.inbox_search import Term, fts5_query, parse_query, postgres_match

FOLDERS = ("inbox", "sent", "archive", "starred", "all")
STORED_FOLDERS = ("inbox", "sent", "archive")
"""Folders that are a value of ``Email.folder``; ``starred`` and ``all`` are views across them."""


@dataclass(frozen=True)
class Mailbox:
    address: str
    name: str | None


@dataclass(frozen=True)
class AttachmentInfo:
    file_name: str | None
    content_type: str | None
    size: int | None
    inline: bool
    document_id: int | None


@dataclass(frozen=True)
class InboxItem:
    """An email as a list shows it. ``links`` are the CRM records it is linked to."""

    id: int
    thread_id: int | None
    subject: str | None
    snippet: str | None
    sender: Mailbox | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    received_at: datetime | None
    sent_at: datetime | None
    occurred_at: datetime
    is_read: bool
    is_starred: bool
    is_archived: bool
    folder: str
    direction: str
    has_attachments: bool
    links: tuple[LinkRecord, ...]


@dataclass(frozen=True)
class InboxMessage(InboxItem):
    """An email in full, as a thread shows it."""

    rfc822_msg_id: str | None
    in_reply_to: str | None
    bcc: tuple[str, ...]
    text_body: str | None
    html_body: str | None
    attachments: tuple[AttachmentInfo, ...]


@dataclass(frozen=True)
class FolderCount:
    """How many emails a folder holds, and how many of them are unread."""

    total: int
    unread: int


_NEWEST_FIRST = (Email.occurred_at.desc(), Email.id.desc())


def check_folder(folder: str) -> str:
    """The folder name, or ``Invalid`` naming ``folder``."""
    if folder not in FOLDERS:
        raise Invalid(f"unknown folder {folder!r}: use {', '.join(FOLDERS)}", field="folder")
    return folder


def folder_conditions(folder: str, unread: bool) -> list[ColumnElement[bool]]:
    """The conditions on ``emails`` of a folder (see the module doc), unread only or not.

    Written as the partial indexes' conditions are (``is_read = 0``/``NOT is_read``,
    ``is_starred = 1``/``is_starred``), so the database can use them.
    """
    conditions: list[ColumnElement[bool]] = []
    if folder in STORED_FOLDERS:
        conditions.append(Email.folder == folder)
    elif folder == "starred":
        conditions.append(Email.is_starred == true())
        if unread:
            # IS, not =: the starred index covers is_read, and the unread one (which matches
            # "is_read = 0" only) is far larger.
            conditions.append(Email.is_read.is_(False))
            return conditions
    if unread:
        conditions.append(~Email.is_read)
    return conditions


def list_inbox(
    session: Session,
    page: PageRequest,
    *,
    folder: str = "inbox",
    query: str | None = None,
    unread: bool = False,
) -> Page[InboxItem]:
    """A page of a folder, newest first, only unread emails if ``unread``, only those matching
    ``query`` if one is given (see :mod:`core.services.inbox_search`; a query without a word
    matches nothing). Raises ``Invalid`` for an unknown folder."""
    check_folder(folder)
    if query is None or not query.strip():
        stored = stored_folder_counts(session)
        counts = _view_counts(stored)[folder]
        total = counts.unread if unread else counts.total
        if page.offset >= total:
            return Page([], total, page.page, page.limit)
        if folder == "all":
            holding = [name for name, c in stored.items() if (c.unread if unread else c.total)]
            ids = _merged_page(session, holding, unread, page)
        else:
            ids_query = (
                select(Email.id)
                .where(*folder_conditions(folder, unread))
                .order_by(*_NEWEST_FIRST)
                .offset(page.offset)
                .limit(page.limit)
            )
            ids = list(session.scalars(ids_query))
        return Page(load_items(session, ids), total, page.page, page.limit)
    terms = parse_query(query)
    if not terms:
        return Page([], 0, page.page, page.limit)
    if session.get_bind().dialect.name == "sqlite":
        total, ids = _search_sqlite(session, terms, folder, unread, page)
    else:
        total, ids = _search_postgres(session, terms, folder, unread, page)
    return Page(load_items(session, ids), total, page.page, page.limit)


def _search_sqlite(
    session: Session, terms: list[Term], folder: str, unread: bool, page: PageRequest
) -> tuple[int, list[int]]:
    # From the index to the emails, never the other way: CROSS JOIN fixes SQLite's loop order,
    # so a search costs what it matches (left to itself, the planner may walk a whole folder
    # and run the full-text query for each email).
    where = ["emails_fts MATCH :b_match"]
    if folder in STORED_FOLDERS:
        where.append("emails.folder = :b_folder")
    elif folder == "starred":
        where.append("emails.is_starred = 1")
    if unread:
        where.append("emails.is_read = 0")
    matches = (
        "FROM emails_fts CROSS JOIN emails ON emails.id = emails_fts.rowid "
        f"WHERE {' AND '.join(where)}"
    )
    params: dict[str, Any] = {"b_match": fts5_query(terms), "b_folder": folder}
    total = session.execute(text(f"SELECT count(*) {matches}"), params).scalar() or 0
    if page.offset >= total:
        return total, []
    rows = session.execute(
        text(
            f"SELECT emails.id {matches} ORDER BY emails.occurred_at DESC, emails.id DESC "
            "LIMIT :b_limit OFFSET :b_offset"
        ),
        {**params, "b_limit": page.limit, "b_offset": page.offset},
    )
    return total, [row[0] for row in rows]


def _search_postgres(
    session: Session, terms: list[Term], folder: str, unread: bool, page: PageRequest
) -> tuple[int, list[int]]:
    matches = select(Email.id).where(postgres_match(terms), *folder_conditions(folder, unread))
    total = session.scalar(select(func.count()).select_from(matches.subquery())) or 0
    if page.offset >= total:
        return total, []
    rows = session.scalars(matches.order_by(*_NEWEST_FIRST).offset(page.offset).limit(page.limit))
    return total, list(rows)


def _merged_page(
    session: Session, folders: list[str], unread: bool, page: PageRequest
) -> list[int]:
    """A page of several folders at once, newest first, merged from each folder's index: there
    is no index over every folder (one more page to write for each new email)."""
    if not folders:
        return []
    merged = union_all(
        *(
            select(Email.id, Email.occurred_at).where(*folder_conditions(name, unread))
            for name in folders
        )
    )
    columns = merged.selected_columns
    # ORDER BY on the whole compound: each folder is read in order from its index and the
    # streams are merged (SQLite's merge of ordered arms, PostgreSQL's Merge Append), so a deep
    # page costs what its offset does in one folder, with nothing to sort.
    rows = session.execute(
        merged.order_by(columns.occurred_at.desc(), columns.id.desc())
        .offset(page.offset)
        .limit(page.limit)
    )
    return [row[0] for row in rows]


@dataclass(frozen=True)
class StoredFolderCount:
    """The counters of one value of ``Email.folder``."""

    total: int
    unread: int
    starred: int
    starred_unread: int


def stored_folder_counts(session: Session) -> dict[str, StoredFolderCount]:
    """The counters of every value ``Email.folder`` holds (``inbox``, ``sent``, ``archive``, and
    any other a sync may write), summed over their shards: a handful of rows at any size."""
    rows = session.execute(
        select(
            EmailFolderCount.folder,
            func.sum(EmailFolderCount.total),
            func.sum(EmailFolderCount.unread),
            func.sum(EmailFolderCount.starred),
            func.sum(EmailFolderCount.starred_unread),
        ).group_by(EmailFolderCount.folder)
    ).all()
    return {
        name: StoredFolderCount(*(int(figure or 0) for figure in figures))
        for name, *figures in rows
    }


def folder_counts(session: Session) -> dict[str, FolderCount]:
    """Total and unread emails of every folder in :data:`FOLDERS`, from the counters the
    database keeps (exact, and as cheap at a million emails as at ten)."""
    return _view_counts(stored_folder_counts(session))


def _view_counts(stored: dict[str, StoredFolderCount]) -> dict[str, FolderCount]:
    empty = StoredFolderCount(0, 0, 0, 0)
    counts = {
        name: FolderCount(stored.get(name, empty).total, stored.get(name, empty).unread)
        for name in STORED_FOLDERS
    }
    values = stored.values()
    counts["starred"] = FolderCount(
        sum(c.starred for c in values), sum(c.starred_unread for c in values)
    )
    counts["all"] = FolderCount(sum(c.total for c in values), sum(c.unread for c in values))
    return counts


# --- Loading a page's emails -------------------------------------------------------------------

_ITEM_COLUMNS = (
    Email.id,
    Email.thread_id,
    Email.subject,
    Email.snippet,
    Email.from_address,
    Email.from_name,
    Email.received_at,
    Email.sent_at,
    Email.occurred_at,
    Email.is_read,
    Email.is_starred,
    Email.is_archived,
    Email.folder,
    Email.direction,
    Email.has_attachments,
)
_MESSAGE_COLUMNS = (
    *_ITEM_COLUMNS,
    Email.rfc822_msg_id,
    Email.in_reply_to,
    Email.text_body,
    Email.html_body,
)


def load_items(session: Session, ids: Sequence[int]) -> list[InboxItem]:
    """The emails with these ids, in this order (ids with no email are left out)."""
    return list(_load(session, ids, full=False))


def load_messages(session: Session, ids: Sequence[int]) -> list[InboxMessage]:
    """The emails with these ids in full (bodies, Bcc, attachments), in this order."""
    return [item for item in _load(session, ids, full=True) if isinstance(item, InboxMessage)]


def _load(session: Session, ids: Sequence[int], *, full: bool) -> Iterable[InboxItem]:
    if not ids:
        return []
    wanted = list(ids)
    columns = _MESSAGE_COLUMNS if full else _ITEM_COLUMNS
    rows = {row.id: row for row in session.execute(select(*columns).where(Email.id.in_(wanted)))}
    recipients: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for email_id, kind, address in session.execute(
        select(EmailRecipient.email_id, EmailRecipient.kind, EmailRecipient.address)
        .where(EmailRecipient.email_id.in_(wanted))
        .order_by(EmailRecipient.email_id, EmailRecipient.position)
    ):
        recipients[email_id][kind].append(address)
    links = links_of_emails(session, wanted)
    attachments: dict[int, list[AttachmentInfo]] = defaultdict(list)
    with_files = [i for i in wanted if i in rows and rows[i].has_attachments]
    if full and with_files:
        for attachment in session.scalars(
            select(Attachment)
            .where(Attachment.email_id.in_(with_files))
            .order_by(Attachment.email_id, Attachment.position)
        ):
            attachments[attachment.email_id].append(
                AttachmentInfo(
                    attachment.file_name,
                    attachment.content_type,
                    attachment.size,
                    attachment.is_inline,
                    attachment.document_id,
                )
            )
    items: list[InboxItem] = []
    for email_id in wanted:
        row = rows.get(email_id)
        if row is None:
            continue
        kinds = recipients.get(email_id, {})
        common: dict[str, Any] = {
            "id": row.id,
            "thread_id": row.thread_id,
            "subject": row.subject,
            "snippet": row.snippet,
            "sender": Mailbox(row.from_address, row.from_name) if row.from_address else None,
            "to": tuple(kinds.get("to", ())),
            "cc": tuple(kinds.get("cc", ())),
            "received_at": row.received_at,
            "sent_at": row.sent_at,
            "occurred_at": row.occurred_at,
            "is_read": row.is_read,
            "is_starred": row.is_starred,
            "is_archived": row.is_archived,
            "folder": row.folder,
            "direction": row.direction,
            "has_attachments": row.has_attachments,
            "links": tuple(links.get(email_id, ())),
        }
        if full:
            items.append(
                InboxMessage(
                    **common,
                    rfc822_msg_id=row.rfc822_msg_id,
                    in_reply_to=row.in_reply_to,
                    bcc=tuple(kinds.get("bcc", ())),
                    text_body=row.text_body,
                    html_body=row.html_body,
                    attachments=tuple(attachments.get(email_id, ())),
                )
            )
        else:
            items.append(InboxItem(**common))
    return items


def links_of_emails(session: Session, email_ids: Sequence[int]) -> dict[int, list[LinkRecord]]:
    """The links of each of these emails, in the order they were made (one query)."""
    found: dict[int, list[LinkRecord]] = defaultdict(list)
    rows = session.execute(
        select(
            RecordLink.record_id, RecordLink.entity_type, RecordLink.entity_id, RecordLink.origin
        )
        .where(RecordLink.record_type == "email", RecordLink.record_id.in_(list(email_ids)))
        .order_by(RecordLink.id)
    )
    for email_id, entity_type, entity_id, origin in rows:
        found[email_id].append(LinkRecord(entity_type, entity_id, origin))
    return found
