"""Contacts and companies: the CRM's own records, as the partner specs name their fields."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from core.services.companies import CompanyRecord
from core.services.contacts import ContactRecord
from embedded_api.schemas.common import ApiModel, IdIn, IdOut, InputModel, UtcOut


class PhoneIn(InputModel):
    """A phone number; ``kind`` is free text such as phone, mobile, work."""

    number: str = Field(min_length=1, max_length=64)
    kind: str = Field(default="phone", max_length=32)


class PhoneOut(ApiModel):
    """A phone as written, its kind, and its E.164 form."""

    number: str
    kind: str
    e164: str | None


class ContactIn(InputModel):
    """Fields of a contact. On PATCH: absent = unchanged, null = cleared (RFC 7396)."""

    first_name: str | None = Field(default=None, max_length=256)
    last_name: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=256)
    company_id: IdIn | None = None
    owner_id: IdIn | None = None
    email_addresses: list[str] | None = Field(default=None, max_length=50)
    phones: list[PhoneIn] | None = Field(default=None, max_length=20)
    linkedin_url: str | None = Field(default=None, max_length=2048)
    lead_score: float | None = None
    lifecycle_stage: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=256)
    city: str | None = Field(default=None, max_length=128)
    state: str | None = Field(default=None, max_length=128)
    country: str | None = Field(default=None, max_length=128)
    website: str | None = Field(default=None, max_length=2048)
    bio: str | None = Field(default=None, max_length=100_000)
    tags: list[str] | None = Field(default=None, max_length=100)
    custom_fields: dict[str, Any] | None = None

    @field_validator("phones", mode="before")
    @classmethod
    def _phones_may_be_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"number": item} if isinstance(item, str) else item for item in value]
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, snake_case, for core's services."""
        values = self.model_dump(exclude_unset=True)
        if values.get("phones") is not None:
            values["phones"] = [dict(p) for p in values["phones"]]
        return values


class ContactOut(ApiModel):
    """A contact: BrightSync's Contact object (id, firstName, lastName, emailAddresses,
    companyId) and Hearth's further fields."""

    id: IdOut
    first_name: str | None
    last_name: str | None
    full_name: str
    title: str | None
    company_id: IdOut | None
    owner_id: IdOut | None
    email_addresses: list[str]
    phones: list[PhoneOut]
    linkedin_url: str | None
    lead_score: float | None
    lifecycle_stage: str | None
    location: str | None
    city: str | None
    state: str | None
    country: str | None
    website: str | None
    bio: str | None
    tags: list[str]
    last_activity_at: UtcOut | None
    custom_fields: dict[str, Any]
    created_at: UtcOut
    updated_at: UtcOut

    @classmethod
    def of(cls, record: ContactRecord) -> ContactOut:
        """The wire form of a core contact."""
        full_name = " ".join(p for p in (record.first_name, record.last_name) if p)
        return cls(
            id=record.id,
            first_name=record.first_name,
            last_name=record.last_name,
            full_name=full_name,
            title=record.title,
            company_id=record.company_id,
            owner_id=record.owner_id,
            email_addresses=list(record.email_addresses),
            phones=[PhoneOut(number=p.number, kind=p.kind, e164=p.e164) for p in record.phones],
            linkedin_url=record.linkedin_url,
            lead_score=record.lead_score,
            lifecycle_stage=record.lifecycle_stage,
            location=record.location,
            city=record.city,
            state=record.state,
            country=record.country,
            website=record.website,
            bio=record.bio,
            tags=list(record.tags),
            last_activity_at=record.last_activity_at,
            custom_fields=dict(record.custom_fields),
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class CompanyIn(InputModel):
    """Fields of a company. ``name`` is required on create; on PATCH absent = unchanged,
    null = cleared. ``domains`` accepts domains, URLs or addresses and keeps the bare domain."""

    name: str | None = Field(default=None, min_length=1, max_length=256)
    domains: list[str] | None = Field(default=None, max_length=50)
    website: str | None = Field(default=None, max_length=2048)
    linkedin_url: str | None = Field(default=None, max_length=2048)
    industry: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=100_000)
    phone: str | None = Field(default=None, max_length=64)
    owner_id: IdIn | None = None
    custom_fields: dict[str, Any] | None = None

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, snake_case, for core's services."""
        return self.model_dump(exclude_unset=True)


class CompanyOut(ApiModel):
    """A company."""

    id: IdOut
    name: str
    domains: list[str]
    website: str | None
    linkedin_url: str | None
    industry: str | None
    description: str | None
    phone: str | None
    owner_id: IdOut | None
    custom_fields: dict[str, Any]
    created_at: UtcOut
    updated_at: UtcOut

    @classmethod
    def of(cls, record: CompanyRecord) -> CompanyOut:
        """The wire form of a core company."""
        return cls(
            id=record.id,
            name=record.name,
            domains=list(record.domains),
            website=record.website,
            linkedin_url=record.linkedin_url,
            industry=record.industry,
            description=record.description,
            phone=record.phone,
            owner_id=record.owner_id,
            custom_fields=dict(record.custom_fields),
            created_at=record.created_at,
            updated_at=record.updated_at,
        )
