"""Hearth's tables, as typed SQLAlchemy models. Importing this package registers them all."""

from core.models.access import ApiKey, ContactCenterTarget, IntakeItem
from core.models.activity import Activity, Task, Tombstone
from core.models.base import Base, utcnow
from core.models.calendar import Attendee, Event
from core.models.crm import (
    Company,
    CompanyDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    ExternalId,
    RecordLink,
    User,
)
from core.models.documents import Blob, Document
from core.models.mail import Attachment, Email, EmailRecipient, EmailThread
from core.models.sync import Connection, OutboxItem, SyncCursor, SyncRun

__all__ = [
    "Activity",
    "ApiKey",
    "Attachment",
    "Attendee",
    "Base",
    "Blob",
    "Company",
    "CompanyDomain",
    "Connection",
    "Contact",
    "ContactCenterTarget",
    "ContactEmail",
    "ContactPhone",
    "Document",
    "Email",
    "EmailRecipient",
    "EmailThread",
    "Event",
    "ExternalId",
    "IntakeItem",
    "OutboxItem",
    "RecordLink",
    "SyncCursor",
    "SyncRun",
    "Task",
    "Tombstone",
    "User",
    "utcnow",
]
