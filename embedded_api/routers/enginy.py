"""Enginy (Genesy) Custom CRM API (spec 003 and Enginy's public reference): contacts, companies,
associations, activities and users, at the paths Enginy calls (no ``/api/v1`` prefix).

Enginy sends its API key in a header of its choosing (``enginy.api_key_header``, default
``X-API-Key``); ``Authorization: Bearer KEY`` works too. Every failure of these routes answers in
Enginy's error shape, ``{"error": "...", "message": "..."}`` (plus ``field`` when one field is at
fault), never problem+json: :class:`EnginyRoute` does it, checks the key before the body is read,
and reports the server's time in ``Server-Timing: app;dur=MS``. Batches take up to 1,000 records
(Enginy sends 100); a bad record fails alone, in ``errors`` or with ``success: false``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from core.errors import Conflict, HearthError, Invalid, NotFound
from core.models import utcnow
from core.services import enginy as contacts_service
from core.services import enginy_activities as activities_service
from core.services import enginy_companies as companies_service
from core.services.enginy_activities import ActivityInput
from core.services.enginy_fields import BatchTooLarge, EnginyOptions, record_id
from embedded_api.auth import (
    UNAUTHORIZED_HEADERS,
    api_key_scheme,
    authenticate,
    bearer_scheme,
    presented_key,
)
from embedded_api.deps import CoreDep, core_of
from embedded_api.schemas.enginy import (
    ActivityIn,
    ActivityOut,
    AssociationErrorOut,
    AssociationsIn,
    AssociationsOut,
    CompaniesIn,
    ContactsIn,
    CreatedOut,
    CreateOut,
    ErrorOut,
    MatchOut,
    RecordErrorOut,
    SyncOut,
    UpdatedOut,
    UpdateOut,
    UserOut,
)

log = logging.getLogger(__name__)

_TITLES = {
    400: "Invalid request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    500: "Internal server error",
    503: "Service unavailable",
}


def error_response(
    status: int,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    title: str | None = None,
) -> JSONResponse:
    """Enginy's error shape."""
    body = ErrorOut(error=title or _TITLES.get(status, "Error"), message=message, field=field)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _field(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in (location[1:] if location[:1] == ("body",) else location)]
    return "/".join(parts) or "body"


def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
    items = error.errors()
    for item in items:
        if item.get("type") == "json_invalid":
            reason = (item.get("ctx") or {}).get("error", "parse error")
            return error_response(400, f"the request body is not valid JSON ({reason})", "body")
    item = items[0] if items else {}
    field = _field(tuple(item.get("loc", ())))
    if field == "body":
        content_type = request.headers.get("content-type", "")
        if "json" not in content_type.lower():
            message = "send the body as JSON, with Content-Type: application/json"
        else:
            message = "the request body must be a JSON object"
        return error_response(400, message, "body")
    reason = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
    return error_response(400, f"{field}: {reason}", field)


_STATUS_OF = ((Invalid, 400), (NotFound, 404), (Conflict, 409))


def _failure(request: Request, error: Exception) -> JSONResponse:
    """The Enginy-shaped answer to whatever stopped a request."""
    if isinstance(error, RequestValidationError):
        return _validation(request, error)
    if isinstance(error, BatchTooLarge):
        return error_response(413, error.message, error.field, title="Too many records")
    if isinstance(error, HearthError):
        status = next((s for kind, s in _STATUS_OF if isinstance(error, kind)), 400)
        field = error.field if isinstance(error, Invalid) else None
        message = error.message
        if field and status == 400:
            message = f"{field}: {message}"
        return error_response(status, message, field)
    if isinstance(error, HTTPException):
        detail = error.detail if isinstance(error.detail, str) else "the request was refused"
        return error_response(error.status_code, detail, headers=dict(error.headers or {}) or None)
    if isinstance(error, OperationalError):
        log.warning("Enginy request not served, the database is unavailable: %s", error)
        message = "the database is busy or unavailable; retry"
        return error_response(503, message, None, {"Retry-After": "1"})
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "an unexpected error occurred (logged)")


def _timed(response: Response, started: float) -> Response:
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


class EnginyRoute(APIRoute):
    """A route answering every failure in Enginy's shape, checking the API key (in the
    configured header, ``X-API-Key`` or Bearer) before the body is read, and timing itself."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            started = time.perf_counter()
            try:
                header = core_of(request).settings.enginy.api_key_header
                key = presented_key(request, header)
                info = await run_in_threadpool(authenticate, request, key)
                if info is None:
                    message = (
                        f"a valid API key is required, in the {header} header "
                        "(or Authorization: Bearer KEY)"
                    )
                    return _timed(error_response(401, message, None, UNAUTHORIZED_HEADERS), started)
                request.state.api_key = info
                response = await handler(request)
            except Exception as e:
                response = _failure(request, e)
            return _timed(response, started)

        return guarded

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A method the path does not serve is a 405 in Enginy's shape too."""
        if self.methods and scope["method"] not in self.methods:
            allowed = ", ".join(sorted(self.methods))
            response = error_response(
                405, f"{scope['method']} is not allowed on {self.path}", None, {"Allow": allowed}
            )
            await response(scope, receive, send)
            return
        await super().handle(scope, receive, send)


router = APIRouter(
    tags=["Enginy"],
    route_class=EnginyRoute,
    # Declared for the OpenAPI document; EnginyRoute does the checking (with the configured header).
    dependencies=[Security(api_key_scheme), Security(bearer_scheme)],
    responses={
        400: {"model": ErrorOut, "description": "The request as a whole is malformed"},
        401: {"model": ErrorOut, "description": "No valid API key"},
        413: {"model": ErrorOut, "description": "More than 1,000 records"},
    },
)

_SYNC_EXAMPLE = {
    "contacts": [
        {
            "externalId": "lead-123",
            "email": "sarah.chen@techstartup.example",
            "firstName": "Sarah",
            "lastName": "Chen",
            "phone": "+1 415 555 0123",
            "company": "TechStartup",
            "linkedinUrl": "https://linkedin.com/in/sarahchen",
        }
    ]
}
_UPDATE_EXAMPLE = {
    "contacts": [
        {
            "crmId": "42",
            "title": "CTO",
            "genesy_engagement_status": "Message Replied (2/3) - LINKEDIN",
            "genesy_last_activity": "2024-12-31T10:00:00Z",
        }
    ]
}

ContactSync = Annotated[ContactsIn, Body(openapi_examples={"sync": {"value": _SYNC_EXAMPLE}})]
ContactUpdate = Annotated[
    ContactsIn, Body(openapi_examples={"engagement": {"value": _UPDATE_EXAMPLE}})
]


def _options(core: CoreDep) -> EnginyOptions:
    return EnginyOptions.of(core.settings)


def _errors(errors: list[Any]) -> list[RecordErrorOut] | None:
    return [RecordErrorOut.of(e) for e in errors] or None


@router.post("/contacts/sync", response_model_exclude_none=True)
def sync_contacts(core: CoreDep, body: ContactSync) -> SyncOut:
    """Find which of Enginy's contacts Hearth has; answer their crmId and properties.

    Each record is recognised by the contact its externalId is linked to, else by the strategies
    of `enginy.match_strategies` in order: email (any of a contact's addresses, any case),
    linkedin (profile URL, any form), phone (E.164, `crm.default_phone_region` for numbers
    without a country code), composite (first + last name with company name or domain).
    Records Hearth does not have are left out; a record that several contacts match is in
    `errors`, never guessed. `properties` (`enginy.sync_properties`) never holds a null.
    """
    with core.database.read() as session:
        results, errors = contacts_service.sync_contacts(session, body.contacts, _options(core))
    return SyncOut(results=[MatchOut.of(r) for r in results], errors=_errors(errors))


@router.post("/contacts", response_model_exclude_none=True)
def create_contacts(core: CoreDep, body: ContactsIn) -> CreateOut:
    """Create contacts, idempotently by externalId.

    A record whose externalId Hearth knows answers that contact again; a record matching one
    existing contact (as sync would) is linked to it rather than duplicated. Unknown fields are
    kept as custom fields. A record without externalId, or with a bad value (an address that is
    not one, a phone number that does not parse), is in `errors`; the others are created.
    """
    with core.database.write() as session:
        results, errors = contacts_service.create_contacts(
            session, body.contacts, _options(core), utcnow()
        )
    return CreateOut(results=[CreatedOut.of(r) for r in results], errors=_errors(errors))


@router.put("/contacts", response_model_exclude_none=True)
def update_contacts(core: CoreDep, body: ContactUpdate) -> UpdateOut:
    """Update contacts by crmId; unknown (engagement) fields are merged into custom fields.

    Known fields (names, email, phone, mobilePhone, title, company, linkedinUrl, location, city,
    state, country, website, bio, tags, leadScore, lifecycleStage, ownerId) are applied; every
    other field is stored as a custom field, merged with what is stored: fields not sent are
    never wiped. A null (or empty string) is ignored unless `enginy.null_clears` is on. A change
    of custom fields is also written on the contact's timeline. Each record succeeds or fails
    alone (`success: false` with `error`).
    """
    with core.database.write() as session:
        results = contacts_service.update_contacts(session, body.contacts, _options(core), utcnow())
    return UpdateOut(results=[UpdatedOut.of(r) for r in results])


@router.post("/companies/sync", response_model_exclude_none=True)
def sync_companies(core: CoreDep, body: CompaniesIn) -> SyncOut:
    """Find which of Enginy's companies Hearth has: by externalId, then domain (`www.`,
    protocol, path and case ignored), LinkedIn page, name (legal suffixes ignored). Properties
    are `enginy.company_sync_properties`."""
    with core.database.read() as session:
        results, errors = companies_service.sync_companies(session, body.companies, _options(core))
    return SyncOut(results=[MatchOut.of(r) for r in results], errors=_errors(errors))


@router.post("/companies", response_model_exclude_none=True)
def create_companies(core: CoreDep, body: CompaniesIn) -> CreateOut:
    """Create companies, idempotently by externalId; one Hearth already has (domain, LinkedIn
    page, name) is linked rather than duplicated. `name` is required to create one."""
    with core.database.write() as session:
        results, errors = companies_service.create_companies(
            session, body.companies, _options(core)
        )
    return CreateOut(results=[CreatedOut.of(r) for r in results], errors=_errors(errors))


@router.put("/companies", response_model_exclude_none=True)
def update_companies(core: CoreDep, body: CompaniesIn) -> UpdateOut:
    """Update companies by crmId, as `PUT /contacts` does contacts (a new `domain` is added as
    the main one; a domain of another company is refused for that record)."""
    with core.database.write() as session:
        results = companies_service.update_companies(
            session, body.companies, _options(core), utcnow()
        )
    return UpdateOut(results=[UpdatedOut.of(r) for r in results])


@router.post("/associations", response_model_exclude_none=True)
def create_associations(core: CoreDep, body: AssociationsIn) -> AssociationsOut:
    """Link contacts to companies (a contact works for one company: this sets it). An existing
    link is skipped; an unknown contact or company is in `errors`."""
    with core.database.write() as session:
        created, errors = companies_service.associate(session, body.associations)
    failed = [AssociationErrorOut.of(e) for e in errors]
    return AssociationsOut(
        success=not body.associations or len(failed) < len(body.associations),
        created=created,
        errors=failed or None,
    )


def _ref(value: str | int | None, noun: str) -> int | None:
    if value is None or value == "":
        return None
    found = record_id(value)
    if found is None:
        raise NotFound(f"{noun.capitalize()} not found: no {noun} with crmId {value!r}")
    return found


@router.post(
    "/activities",
    status_code=201,
    response_model_exclude_none=True,
    responses={200: {"model": ActivityOut, "description": "Already logged (same messageId)"}},
)
def create_activity(core: CoreDep, body: ActivityIn, response: Response) -> ActivityOut:
    """Log a campaign activity (EMAIL, LINKEDIN, LINKEDIN_INMAIL, LINKEDIN_CONNECTION) on the
    contact's timeline (and its company's). A repeat with the same `metadata.messageId`
    answers the first one with 200 instead of logging it twice."""
    activity = ActivityInput(
        type=body.type.upper(),
        subject=body.subject,
        body=body.body,
        direction=body.direction.upper() if body.direction else None,
        owner_id=_ref(body.owner_id, "user"),
        occurred_at=body.occurred_at,
        contact_id=_ref(body.contact_id, "contact"),
        company_id=_ref(body.company_id, "company"),
        metadata=body.metadata or {},
        extra=dict(body.model_extra or {}),
    )
    with core.database.write() as session:
        record, created = activities_service.log_activity(session, activity, utcnow())
    if not created:
        response.status_code = 200
    return ActivityOut.of(record)


@router.get("/users", response_model_exclude_none=True)
def list_users(core: CoreDep) -> list[UserOut]:
    """Hearth's users, for Enginy's owner selection (`ownerId`): the local user first."""
    with core.database.read() as session:
        users = activities_service.list_users(session)
    return [UserOut.of(u) for u in users]
