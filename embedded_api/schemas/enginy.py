"""Enginy's Custom CRM API: what Enginy sends and what Hearth answers.

Enginy's records are open-ended (it sends every field it has, under names its users choose), so
the batches take plain JSON objects and core reads them field by field; a record that is wrong
fails alone. The answers never contain a null: an absent value is left out, because Enginy clears
a field it receives as null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.services.enginy_activities import ActivityRecord, UserRecord
from core.services.enginy_results import (
    AssociationError,
    Created,
    Matched,
    RecordError,
    Updated,
)
from embedded_api.schemas.common import ApiModel, format_utc
from embedded_api.schemas.timestamps import AnyTimestamp

# --- requests -------------------------------------------------------------------------------

_RECORDS = "Records as JSON objects, at most 1,000 per request (more is a 413)."


class EnginyBatch(BaseModel):
    """A batch envelope; other top-level fields are ignored."""

    model_config = ConfigDict(extra="ignore")


class ContactsIn(EnginyBatch):
    """``{"contacts": [...]}``: for sync and create each needs ``externalId``; for update,
    ``crmId``."""

    contacts: list[Any] = Field(description=_RECORDS)


class CompaniesIn(EnginyBatch):
    """``{"companies": [...]}``: for sync and create each needs ``externalId``; for update,
    ``crmId``."""

    companies: list[Any] = Field(description=_RECORDS)


class AssociationsIn(EnginyBatch):
    """``{"associations": [{"contactCRMId", "companyCRMId"}, ...]}``."""

    associations: list[Any] = Field(description=_RECORDS)


CrmRef = str | int


class ActivityIn(BaseModel):
    """A campaign activity. Fields beyond these are kept with the activity."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    type: str = Field(description="EMAIL, LINKEDIN, LINKEDIN_INMAIL or LINKEDIN_CONNECTION.")
    subject: str | None = Field(default=None, max_length=10_000)
    body: str | None = Field(default=None, max_length=1_000_000)
    direction: str | None = Field(default=None, description="INBOUND or OUTBOUND.")
    owner_id: CrmRef | None = Field(default=None, alias="ownerId")
    occurred_at: AnyTimestamp | None = Field(default=None, alias="occurredAt")
    contact_id: CrmRef | None = Field(default=None, alias="contactId")
    company_id: CrmRef | None = Field(default=None, alias="companyId")
    metadata: dict[str, Any] | None = Field(
        default=None,
        description="messageId (makes a repeat harmless), sequenceIndex, sequenceMessageCount.",
    )


# --- answers --------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """Timestamps as ISO 8601 UTC, everything else as it is."""
    if isinstance(value, datetime):
        return format_utc(value)
    return value


class RecordErrorOut(ApiModel):
    """A record that failed: its ``externalId`` (absent if it had none), its position in the
    request, and why."""

    external_id: str | None = None
    index: int
    error: str

    @classmethod
    def of(cls, error: RecordError) -> RecordErrorOut:
        """The wire form of a core record error."""
        return cls(external_id=error.external_id, index=error.index, error=error.message)


class MatchOut(ApiModel):
    """A record Hearth has: its ``crmId`` and the properties to sync back (never null)."""

    external_id: str
    crm_id: str
    properties: dict[str, Any]

    @classmethod
    def of(cls, match: Matched) -> MatchOut:
        """The wire form of a core match."""
        properties = {name: _clean(value) for name, value in match.properties.items()}
        return cls(external_id=match.external_id, crm_id=str(match.crm_id), properties=properties)


class SyncOut(ApiModel):
    """Only the records Hearth has; ``errors`` (absent when empty) for the ambiguous or bad."""

    results: list[MatchOut]
    errors: list[RecordErrorOut] | None = None


class CreatedOut(ApiModel):
    """A created (or already known) record's ids."""

    external_id: str
    crm_id: str

    @classmethod
    def of(cls, created: Created) -> CreatedOut:
        """The wire form of a core creation."""
        return cls(external_id=created.external_id, crm_id=str(created.crm_id))


class CreateOut(ApiModel):
    """One result per record created or found; ``errors`` (absent when empty) for the rest."""

    results: list[CreatedOut]
    errors: list[RecordErrorOut] | None = None


class UpdatedProperties(ApiModel):
    """What Hearth tells Enginy after an update."""

    last_updated: str


class UpdatedOut(ApiModel):
    """The outcome of one update; ``index`` is the record's position in the request."""

    crm_id: str | None = None
    index: int
    success: bool
    properties: UpdatedProperties | None = None
    error: str | None = None

    @classmethod
    def of(cls, result: Updated) -> UpdatedOut:
        """The wire form of a core update result."""
        crm = None if result.crm_id is None else str(result.crm_id)
        properties = (
            UpdatedProperties(last_updated=format_utc(result.updated_at))
            if result.updated_at
            else None
        )
        return cls(
            crm_id=crm,
            index=result.index,
            success=result.success,
            properties=properties,
            error=result.error,
        )


class UpdateOut(ApiModel):
    """One result per record, in request order."""

    results: list[UpdatedOut]


class AssociationErrorOut(BaseModel):
    """A pair that could not be linked."""

    model_config = ConfigDict(populate_by_name=True)

    contact_crm_id: Any = Field(default=None, alias="contactCRMId")
    company_crm_id: Any = Field(default=None, alias="companyCRMId")
    index: int
    error: str

    @classmethod
    def of(cls, error: AssociationError) -> AssociationErrorOut:
        """The wire form of a core association error."""
        return cls(
            contact_crm_id=error.contact,
            company_crm_id=error.company,
            index=error.index,
            error=error.message,
        )


class AssociationsOut(ApiModel):
    """``success`` unless every pair failed; ``created`` counts new links (existing ones are
    skipped)."""

    success: bool
    created: int
    errors: list[AssociationErrorOut] | None = None


class ActivityOut(ApiModel):
    """A logged activity; ``id`` is what Enginy keeps to avoid logging it twice."""

    id: str
    type: str
    subject: str | None = None
    direction: str | None = None
    occurred_at: str
    contact_id: str | None = None
    company_id: str | None = None

    @classmethod
    def of(cls, record: ActivityRecord) -> ActivityOut:
        """The wire form of a core activity."""
        return cls(
            id=str(record.id),
            type=record.type,
            subject=record.subject,
            direction=record.direction,
            occurred_at=format_utc(record.occurred_at),
            contact_id=None if record.contact_id is None else str(record.contact_id),
            company_id=None if record.company_id is None else str(record.company_id),
        )


class UserOut(ApiModel):
    """A user Enginy may assign as owner (``ownerId``)."""

    id: str
    name: str
    email: str | None = None

    @classmethod
    def of(cls, user: UserRecord) -> UserOut:
        """The wire form of a core user."""
        return cls(id=str(user.id), name=user.name, email=user.email)


class ErrorOut(BaseModel):
    """Enginy's error shape: a short ``error``, a human ``message``, and the ``field`` at fault
    when there is one."""

    error: str
    message: str
    field: str | None = None
