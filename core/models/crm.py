"""People and organisations: users, companies, contacts and their addresses, domains and phones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import NEVER_REUSE_IDS, Base, Timestamped


class User(Base, Timestamped):
    """A CRM user: the salesperson (``is_me``) and, in team mode, colleagues. Owners of records."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    is_me: Mapped[bool] = mapped_column(default=False)
    timezone: Mapped[str | None] = mapped_column(String(64))


class Company(Base, Timestamped):
    """An organisation. It may own several domains; ``name_key`` is the name folded for matching."""

    __tablename__ = "companies"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    name_key: Mapped[str] = mapped_column(String(256), index=True)
    website: Mapped[str | None] = mapped_column(String(2048))
    linkedin_url: Mapped[str | None] = mapped_column(String(2048))
    linkedin_key: Mapped[str | None] = mapped_column(String(512), index=True)
    industry: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(64))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    domains: Mapped[list[CompanyDomain]] = relationship(
        back_populates="company",
        cascade="all, delete-orphan",
        order_by="CompanyDomain.position",
        lazy="selectin",
    )


class CompanyDomain(Base):
    """One of a company's domains, normalised (lower case, no ``www.``)."""

    __tablename__ = "company_domains"
    __table_args__ = (UniqueConstraint("company_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253), index=True)
    position: Mapped[int] = mapped_column(default=0)

    company: Mapped[Company] = relationship(back_populates="domains")


class Contact(Base, Timestamped):
    """A person. Addresses and phones live in their own tables so every one of them matches."""

    __tablename__ = "contacts"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(256))
    last_name: Mapped[str | None] = mapped_column(String(256))
    name_key: Mapped[str] = mapped_column(String(512), default="", index=True)
    title: Mapped[str | None] = mapped_column(String(256))
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linkedin_url: Mapped[str | None] = mapped_column(String(2048))
    linkedin_key: Mapped[str | None] = mapped_column(String(512), index=True)
    lead_score: Mapped[float | None]
    lifecycle_stage: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(256))
    city: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str | None] = mapped_column(String(128))
    country: Mapped[str | None] = mapped_column(String(128))
    website: Mapped[str | None] = mapped_column(String(2048))
    bio: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(default=list)
    last_activity_at: Mapped[datetime | None]
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    emails: Mapped[list[ContactEmail]] = relationship(
        back_populates="contact",
        cascade="all, delete-orphan",
        order_by="ContactEmail.position",
        lazy="selectin",
    )
    phones: Mapped[list[ContactPhone]] = relationship(
        back_populates="contact",
        cascade="all, delete-orphan",
        order_by="ContactPhone.position",
        lazy="selectin",
    )


class ContactEmail(Base):
    """One of a contact's addresses. ``address_key`` is the lower-cased form every match uses."""

    __tablename__ = "contact_emails"
    __table_args__ = (UniqueConstraint("contact_id", "address_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
    address_key: Mapped[str] = mapped_column(String(320), index=True)
    position: Mapped[int] = mapped_column(default=0)

    contact: Mapped[Contact] = relationship(back_populates="emails")


class ContactPhone(Base):
    """A contact's phone: as written, and in E.164 when it parses (``e164`` is what matches)."""

    __tablename__ = "contact_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32), default="phone")
    number: Mapped[str] = mapped_column(String(64))
    e164: Mapped[str | None] = mapped_column(String(32), index=True)
    position: Mapped[int] = mapped_column(default=0)

    contact: Mapped[Contact] = relationship(back_populates="phones")


class ExternalId(Base):
    """An id some other system gave one of our records (Gmail id, Graph id, Enginy externalId...).

    ``record_type`` is ``email``, ``event``, ``contact`` or ``company``; a source's id maps to one
    record of a type, which is what makes ingestion idempotent whichever path a record takes.
    """

    __tablename__ = "external_ids"
    __table_args__ = (
        UniqueConstraint("record_type", "source", "external_id"),
        Index("ix_external_ids_record", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int]
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(512))


class RecordLink(Base):
    """Links an email, event or document to a CRM entity (contact, company, or a partner's type).

    ``origin`` says how the link came to be: ``explicit`` (a partner's ``relatedTo`` or the user)
    or ``matched`` (by address or domain), so re-matching can replace only what it made.
    """

    __tablename__ = "record_links"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", "entity_type", "entity_id"),
        Index("ix_record_links_entity", "entity_type", "entity_id", "record_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int]
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(128))
    origin: Mapped[str] = mapped_column(String(16), default="explicit")
