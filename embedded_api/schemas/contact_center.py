"""The contact-center Email API (spec 001): the posted email, its answers, and Hearth's own
``/api/v1/contact-center`` resources (targets, the intake queue).

The posted email is checked here for what the spec's table gives: presence, type and length of
every attribute. Meaning (language, addresses, metadata keys, the target) is core's
(:func:`core.services.contact_center.check_email`). Choices where the spec is loose:

- Strings are strings: a number where a string is due is refused, except for the identifiers
  (``convId``, ``msgId``, ``agentId``, ``psId``, ``journeyId``), which, like every id in this API,
  may also be sent as whole numbers.
- Mandatory strings may not be empty (or only spaces), except ``sub`` and ``body``: mail without
  a subject or text exists. Lengths count characters; ``body``'s 1 MB is 1,048,576 bytes of UTF-8.
- ``to`` lists 1 to 500 addresses, ``cc`` and ``bcc`` up to 500 each.
- ``ts`` is a whole number of epoch milliseconds.
- Attributes the spec does not name are ignored (the platform may send more than this version
  knows).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from core.intake import IntakeRecord
from core.services.contact_center import ContactCenterEmail, TargetRecord
from embedded_api.schemas.common import ApiModel, IdOut, InputModel, UtcOut

MAX_BODY_BYTES = 1024 * 1024
MAX_ADDRESSES = 500


def _id_text(value: Any) -> Any:
    """Identifiers may come as whole numbers; they are kept as their decimal text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _at_most_1_mb(value: str) -> str:
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_BODY_BYTES:
        raise ValueError(f"at most 1 MB: {MAX_BODY_BYTES} bytes of UTF-8 (got {size})")
    return value


def _text(max_length: int, *, empty: bool = False) -> Any:
    return StringConstraints(
        strict=True, strip_whitespace=not empty, min_length=0 if empty else 1, max_length=max_length
    )


Name = Annotated[str, _text(128)]
Address = Annotated[str, _text(256)]
# The number-to-text step is listed last so it runs first (then the checks, on the text).
Identifier50 = Annotated[str, _text(50), BeforeValidator(_id_text)]
Identifier36 = Annotated[str, _text(36), BeforeValidator(_id_text)]
Identifier256 = Annotated[str, _text(256), BeforeValidator(_id_text)]


class _Lenient(BaseModel):
    """Spec attributes by their exact names; others ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=False)


class EmailMetadataIn(_Lenient):
    """``metadata``: where the email belongs, and non-speech metadata."""

    tenant_name: Name = Field(alias="tenantName", description="Name of the client (tenant).")
    org_name: Name = Field(alias="orgName", description="Name of the organization.")
    cat_name: Name = Field(alias="catName", description="Name of the category.")
    metadata_map: dict[str, Any] | None = Field(
        default=None,
        alias="metadataMap",
        description="Non-speech metadata: at most 50 keys, string values (at most 1024 "
        "characters), keys of at most 128 characters and not restricted (see the endpoint).",
    )


class EmailDataIn(_Lenient):
    """``data``: the message and who wrote it."""

    conv_id: Identifier256 = Field(alias="convId", description="Conversation id (a UUID).")
    msg_id: Identifier36 = Field(
        alias="msgId", description="Message id (a UUID); a repeat post of it changes nothing."
    )
    lang: Annotated[str, _text(5)] = Field(description="Language code, e.g. us-en.")
    sub: Annotated[str, _text(78, empty=True)] = Field(description="Subject (RFC 5322).")
    ts: int = Field(
        strict=True, description="Sent/received time in epoch milliseconds (1577836800000)."
    )
    body: Annotated[str, _text(MAX_BODY_BYTES, empty=True), AfterValidator(_at_most_1_mb)] = Field(
        description="The email body (text or HTML), at most 1 MB (1,048,576 bytes of UTF-8)."
    )
    agent_id: Identifier50 = Field(alias="agentId", description="Agent identifier.")
    ps_id: Identifier50 = Field(alias="psId", description="Participant identifier.")
    agent_email_id: Address = Field(
        alias="agentEmailId", description="The agent's address: `from` equal to it = outbound."
    )
    ps_email_id: Address = Field(
        alias="psEmailId", description="The participant's address: linked to their contact."
    )
    from_address: Address = Field(alias="from", description="Sender address.")
    to: list[Address] = Field(min_length=1, max_length=MAX_ADDRESSES)
    cc: list[Address] | None = Field(default=None, max_length=MAX_ADDRESSES)
    bcc: list[Address] | None = Field(default=None, max_length=MAX_ADDRESSES)
    journey_id: Identifier256 | None = Field(
        default=None, alias="journeyId", description="Customer journey id (a UUID)."
    )


class ContactEmailIn(_Lenient):
    """The spec's request: ``{"metadata": {...}, "data": {...}}``."""

    metadata: EmailMetadataIn
    data: EmailDataIn

    def email(self) -> ContactCenterEmail:
        """The payload for core."""
        m, d = self.metadata, self.data
        return ContactCenterEmail(
            tenant_name=m.tenant_name,
            org_name=m.org_name,
            cat_name=m.cat_name,
            metadata_map=dict(m.metadata_map or {}),
            conv_id=d.conv_id,
            msg_id=d.msg_id,
            lang=d.lang,
            sub=d.sub,
            ts=d.ts,
            body=d.body,
            agent_id=d.agent_id,
            ps_id=d.ps_id,
            agent_email_id=d.agent_email_id,
            ps_email_id=d.ps_email_id,
            from_address=d.from_address,
            to=tuple(d.to),
            cc=tuple(d.cc or ()),
            bcc=tuple(d.bcc or ()),
            journey_id=d.journey_id,
        )


EMAIL_EXAMPLE: dict[str, Any] = {
    "metadata": {
        "tenantName": "Acme Corp",
        "orgName": "Sales",
        "catName": "Leads",
        "metadataMap": {"custom-test-key-3": "custom-test-value-3"},
    },
    "data": {
        "convId": "0238ef3c-4252-11ea-b77f-2e728ce88125",
        "msgId": "0238f22a-4252-11ea-b77f-2e728ce88125",
        "lang": "us-en",
        "sub": "Goods Delivery Status",
        "ts": 1577836800000,
        "body": "Hi John, I'm writing this email to enquire about my delivery status",
        "agentId": "Agent1",
        "psId": "Participant1",
        "agentEmailId": "agent1@xyz.com",
        "psEmailId": "ps1@acmecorp.com",
        "from": "agent1@xyz.com",
        "to": ["ps1@acmecorp.com", "ps2@acmecorp.com"],
        "journeyId": "02d8f01e-42b0-11ea-b77f-2e728ce88125",
    },
}


class AcceptedOut(BaseModel):
    """The spec's success answer."""

    status: Literal[202] = 202
    message: Literal["accepted"] = "accepted"


class ErrorOut(BaseModel):
    """One complaint: ``title`` names the field (``data.sub``) or the matter
    (``entity-identifier``, ``authorization``), ``detail`` says what is wrong."""

    type: str
    title: str
    detail: str


class ErrorsOut(BaseModel):
    """The spec's error envelope."""

    status: int
    errors: list[ErrorOut]


# --- Targets --------------------------------------------------------------------------------------


class TargetIn(InputModel):
    """A tenant/org/category triple the platform may post to. On PATCH: absent = unchanged; null
    clears the description (names cannot be cleared)."""

    tenant_name: str | None = Field(default=None, max_length=128, examples=["Acme Corp"])
    org_name: str | None = Field(default=None, max_length=128, examples=["Sales"])
    cat_name: str | None = Field(default=None, max_length=128, examples=["Leads"])
    description: str | None = Field(default=None, max_length=10_000)

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, snake_case."""
        return self.model_dump(exclude_unset=True)


class TargetOut(ApiModel):
    """A configured target."""

    id: IdOut
    tenant_name: str
    org_name: str
    cat_name: str
    description: str | None
    created_at: UtcOut
    updated_at: UtcOut

    @classmethod
    def of(cls, record: TargetRecord) -> TargetOut:
        """The wire form of a core target."""
        return cls(
            id=record.id,
            tenant_name=record.tenant_name,
            org_name=record.org_name,
            cat_name=record.cat_name,
            description=record.description,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


# --- The intake queue -----------------------------------------------------------------------------


class IntakeItemOut(ApiModel):
    """A posted email in the intake queue. ``status``: ``pending`` (accepted, not yet processed),
    ``done`` (``emailId`` is the email) or ``failed`` (``error`` says why; retry it)."""

    id: IdOut
    msg_id: str
    status: str
    attempts: int = Field(description="How many times processing was tried.")
    error: str | None
    email_id: IdOut | None
    tenant_name: str | None
    org_name: str | None
    cat_name: str | None
    conv_id: str | None
    subject: str | None
    received_at: UtcOut = Field(description="When the post was accepted.")
    updated_at: UtcOut
    processed_at: UtcOut | None

    @classmethod
    def of(cls, record: IntakeRecord) -> IntakeItemOut:
        """The wire form of a core intake item (its summary, without the body)."""
        metadata = record.payload.get("metadata") or {}
        data = record.payload.get("data") or {}
        return cls(
            id=record.id,
            msg_id=record.external_id,
            status=record.status,
            attempts=record.attempts,
            error=record.error,
            email_id=record.email_id,
            tenant_name=metadata.get("tenantName"),
            org_name=metadata.get("orgName"),
            cat_name=metadata.get("catName"),
            conv_id=data.get("convId"),
            subject=data.get("sub"),
            received_at=record.created_at,
            updated_at=record.updated_at,
            processed_at=record.processed_at,
        )


class IntakeItemDetailOut(IntakeItemOut):
    """An intake item with the whole payload as it was accepted."""

    payload: dict[str, Any]

    @classmethod
    def of(cls, record: IntakeRecord) -> IntakeItemDetailOut:
        """The wire form with the payload."""
        summary = IntakeItemOut.of(record)
        return cls(**dict(summary), payload=dict(record.payload))
