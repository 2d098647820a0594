"""Contact-center Email API (spec 001): ``POST /contacts/email``, plus ``/api/v1/contact-center``
(the targets the platform may post to, and the intake queue).

``POST /contacts/email`` answers in the spec's own envelope, never problem+json: success is
``202 {"status": 202, "message": "accepted"}`` once the payload is committed to the intake queue;
every failure (401, malformed JSON, a wrong field, an unknown target, 405, 500, 503) is
``{"status": N, "errors": [{"type", "title", "detail"}]}``. :class:`ContactCenterRoute` does this
for its routes, and checks the API key before the body is read, so a caller without a key learns
that first. The ``/api/v1/contact-center`` resources follow the API's usual conventions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from core import intake
from core.errors import HearthError, Invalid
from core.services import PageRequest
from core.services import contact_center as service
from embedded_api.auth import (
    UNAUTHORIZED_HEADERS,
    api_key_scheme,
    authenticate_async,
    bearer_scheme,
    presented_key,
    require_api_key,
)
from embedded_api.deps import CoreDep, quick_read
from embedded_api.routers._ids import path_id
from embedded_api.schemas.common import PageOut
from embedded_api.schemas.contact_center import (
    EMAIL_EXAMPLE,
    AcceptedOut,
    ContactEmailIn,
    ErrorsOut,
    IntakeItemDetailOut,
    IntakeItemOut,
    TargetIn,
    TargetOut,
)

log = logging.getLogger(__name__)

PAYLOAD_ERROR = "/errors/contact-payload"
AUTH_ERROR = "/errors/unauthorized"
SERVER_ERROR = "/errors/server"
UNAVAILABLE_ERROR = "/errors/unavailable"

Complaint = tuple[str, str, str]
"""``(type, title, detail)`` of one entry of the envelope's ``errors``."""


def envelope(
    status: int, complaints: Sequence[Complaint], headers: dict[str, str] | None = None
) -> JSONResponse:
    """The spec's error answer."""
    errors = [{"type": t, "title": title, "detail": detail} for t, title, detail in complaints]
    return JSONResponse({"status": status, "errors": errors}, status_code=status, headers=headers)


def field_path(location: Sequence[str | int]) -> str:
    """A validation error's location as the spec writes fields: ``data.to[1]``."""
    parts = list(location[1:] if location and location[0] == "body" else location)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "body"


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in {"", "application/json"} or media_type.endswith("+json")


_MESSAGES = {
    "missing": "is required",
    "string_type": "must be a string",
    "string_too_short": "may not be empty",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "list_type": "must be an array of email addresses",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "too_short": "must list at least {min_length} address",
    "too_long": "at most {max_length} addresses (got {actual_length})",
    "string_too_long": "at most {max_length} characters",
}


def _body_message(kind: str, request: Request) -> str:
    if not _is_json(request.headers.get("content-type", "")):
        return "send the email as JSON, with Content-Type: application/json"
    if kind == "missing":
        return "the request body is empty: send the email as JSON"
    return 'must be a JSON object: {"metadata": {...}, "data": {...}}'


def _message(item: dict[str, Any], field: str, request: Request) -> str:
    """A pydantic complaint in the words of this API."""
    kind, ctx = item.get("type", ""), item.get("ctx") or {}
    if field == "body":
        return _body_message(kind, request)
    template = _MESSAGES.get(kind)
    if template is None:
        return str(item.get("msg", "is invalid")).removeprefix("Value error, ")
    message = template.format(**ctx)
    if kind == "string_too_long" and isinstance(item.get("input"), str):
        message += f" (got {len(item['input'])})"
    elif kind.startswith("int_") and field == "data.ts":
        message += " of epoch milliseconds"
    return message


def _validation_complaints(request: Request, error: RequestValidationError) -> list[Complaint]:
    complaints: list[Complaint] = []
    for item in error.errors():
        if item.get("type") == "json_invalid":
            reason = (item.get("ctx") or {}).get("error", "parse error")
            return [(PAYLOAD_ERROR, "body", f"the request body is not valid JSON ({reason})")]
        field = field_path(tuple(item.get("loc", ())))
        complaints.append((PAYLOAD_ERROR, field, _message(item, field, request)))
    return complaints


def _failure(request: Request, error: Exception) -> JSONResponse:
    """The envelope for whatever stopped a request."""
    status, headers = 400, None
    complaints: list[Complaint]
    if isinstance(error, RequestValidationError):
        complaints = _validation_complaints(request, error)
    elif isinstance(error, service.PayloadRejected):
        complaints = [(PAYLOAD_ERROR, p.field or "body", p.message) for p in error.problems]
    elif isinstance(error, Invalid):
        complaints = [(PAYLOAD_ERROR, error.field or "body", error.message)]
    elif isinstance(error, HTTPException):
        status, headers = error.status_code, dict(error.headers or {}) or None
        title = "body" if status == 413 else "request"
        detail = error.detail if isinstance(error.detail, str) else "the request was refused"
        complaints = [(PAYLOAD_ERROR, title, detail)]
    elif isinstance(error, OperationalError):
        log.warning("contact-center email not stored, the database is unavailable: %s", error)
        status, headers = 503, {"Retry-After": "1"}
        complaints = [(UNAVAILABLE_ERROR, "storage", "the database is busy or unavailable; retry")]
    elif isinstance(error, HearthError):
        complaints = [(PAYLOAD_ERROR, "request", error.message)]
    else:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
        status = 500
        complaints = [(SERVER_ERROR, "server", "an unexpected error occurred (logged)")]
    return envelope(status, complaints, headers)


_UNAUTHORIZED: Complaint = (
    AUTH_ERROR,
    "authorization",
    "a valid API key is required: Authorization: Bearer KEY or X-API-Key: KEY",
)


class ContactCenterRoute(APIRoute):
    """A route that speaks the spec's envelope for every failure, and checks the API key
    (``Authorization: Bearer KEY`` or ``X-API-Key: KEY``) before reading the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                info = await authenticate_async(request, presented_key(request))
                if info is None:
                    return envelope(401, [_UNAUTHORIZED], UNAUTHORIZED_HEADERS)
                request.state.api_key = info
                return await handler(request)
            except Exception as e:
                return _failure(request, e)

        return guarded

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A method the route does not serve is a 405 in the envelope too."""
        if self.methods and scope["method"] not in self.methods:
            allowed = ", ".join(sorted(self.methods))
            detail = f"{scope['method']} is not allowed here; use {allowed}"
            response = envelope(405, [(PAYLOAD_ERROR, "method", detail)], {"Allow": allowed})
            await response(scope, receive, send)
            return
        await super().handle(scope, receive, send)


_RESTRICTED = ", ".join(f"`{key}`" for key in service.RESTRICTED_METADATA_KEYS)
EMAIL_DESCRIPTION = f"""\
The contact center posts one email (an agent's or a participant's) with its tenant, organization
and category. **202** means the email is safely queued: Hearth commits it to its intake queue
before answering and turns it into an email (visible at `/api/v1/emails/{{id}}`) in the
background; `GET /api/v1/contact-center/intake` shows the queue and any failure.

- **Key.** `Authorization: Bearer KEY` (or `X-API-Key: KEY`), checked before anything else.
- **Target.** `metadata.tenantName`/`orgName`/`catName` must name a target configured at
  `/api/v1/contact-center/targets`, exactly (surrounding spaces ignored); otherwise 400
  `tenant/org/cat not found!` (title `entity-identifier`).
- **Mandatory** (type, length): `metadata.tenantName`, `orgName`, `catName` (string, 128);
  `data.convId` (string, 256), `msgId` (string, 36), `agentId`, `psId` (string, 50), `lang`
  (one of the configured `contact_center.languages`, by default us-en, au-en, gb-en), `sub`
  (string, 78; may be empty), `ts` (whole epoch milliseconds; seconds are refused), `body`
  (string, 1 MB = 1,048,576 bytes of UTF-8; may be empty; HTML if it has tags), `agentEmailId`,
  `psEmailId`, `from` (address, 256), `to` (1 to 500 addresses of up to 256 characters).
- **Optional:** `data.cc`, `data.bcc` (up to 500 addresses each), `data.journeyId` (string, 256),
  `metadata.metadataMap` (object of at most 50 keys per category; keys of at most 128
  characters, values strings of at most 1024).
- **Restricted metadata keys**, refused in `metadataMap` (compared ignoring case and anything but
  letters and digits, so `agent_id` is `agentId`; keys starting with `hearth` too): {_RESTRICTED}.
- Identifiers (`convId`, `msgId`, `agentId`, `psId`, `journeyId`) may also be whole numbers;
  other attributes must have their own type (a number where text is due is refused).
  Attributes the spec does not name are ignored.
- **Repeats.** A `msgId` already posted answers 202 again and changes nothing.
- **The email.** `convId` threads the conversation (`syncThreadId` `contact-center:<convId>`);
  `from` = `agentEmailId` makes it outbound, else inbound; it is linked to the contacts owning its
  addresses and to the participant's contact (by `psEmailId`) with their companies, whose
  timelines show it (`contact_center_email`) at `ts`; the contact-center fields are kept with it.
- **Errors** are `{{"status": N, "errors": [{{"type", "title", "detail"}}]}}` with `title` naming
  the field (`data.sub`, `metadata.metadataMap.key`) and one entry per problem: 400 (the
  payload), 401 (the key), 405, 500, 503 (database busy: retry). The server's guards answer
  before this endpoint, in problem+json: 413 for bodies over `server.max_body_bytes`, 403 for a
  non-loopback `Host` or `Origin`.
"""

_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorsOut, "description": "Invalid payload or unknown tenant/org/cat."},
    401: {"model": ErrorsOut, "description": "Missing or invalid API key."},
    500: {"model": ErrorsOut, "description": "Unexpected error (logged)."},
    503: {"model": ErrorsOut, "description": "Database busy or unavailable: retry."},
}

email_router = APIRouter(
    tags=["contact center"],
    route_class=ContactCenterRoute,
    strict_content_type=False,  # a platform that forgets Content-Type still sends JSON
    dependencies=[Security(bearer_scheme), Security(api_key_scheme)],  # documents the key
)

EmailBody = Annotated[
    ContactEmailIn,
    Body(openapi_examples={"spec": {"summary": "An agent's email", "value": EMAIL_EXAMPLE}}),
]


@email_router.post(
    "/contacts/email",
    status_code=202,
    summary="Post a contact-center email (queued; 202 accepted)",
    description=EMAIL_DESCRIPTION,
    responses=_ERROR_RESPONSES,
)
async def post_contact_email(core: CoreDep, body: EmailBody) -> AcceptedOut:
    """Queue a contact-center email; it becomes an email in the background."""
    email, languages = body.email(), core.settings.contact_center.languages
    # The rules (the target included) on a quick read, so that only a valid email joins a group
    # commit; queue_email checks the target again in the write, in case it was just deleted.
    await quick_read(core, lambda session: service.reject_invalid(session, email, languages))

    def queue(session: Session) -> tuple[int, bool]:
        return service.queue_email(session, email, languages=languages)

    await asyncio.wrap_future(core.database.submit_write(queue))
    core.intake.wake()
    return AcceptedOut()


admin_router = APIRouter(
    prefix="/api/v1/contact-center",
    tags=["contact center"],
    dependencies=[Depends(require_api_key)],
)

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such record."}}
_TARGET_EXAMPLE = {"tenantName": "Acme Corp", "orgName": "Sales", "catName": "Leads"}
TargetBody = Annotated[TargetIn, Body(openapi_examples={"target": {"value": _TARGET_EXAMPLE}})]


@admin_router.get("/targets")
def list_targets(
    core: CoreDep,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[TargetOut]:
    """List the tenant/org/category targets the platform may post to."""
    with core.database.read() as session:
        result = service.list_targets(session, PageRequest(page, limit))
    return PageOut.of(result, [TargetOut.of(r) for r in result.items])


@admin_router.post(
    "/targets",
    status_code=201,
    responses={409: {"description": "A target with these three names exists."}},
)
def create_target(core: CoreDep, body: TargetBody, response: Response) -> TargetOut:
    """Create a target: tenantName, orgName and catName (each at most 128 characters)."""
    with core.database.write() as session:
        record = service.create_target(session, body.changes())
    response.headers["Location"] = f"{admin_router.prefix}/targets/{record.id}"
    return TargetOut.of(record)


@admin_router.get("/targets/{target_id}", responses=_NOT_FOUND)
def get_target(core: CoreDep, target_id: str) -> TargetOut:
    """Load one target."""
    with core.database.read() as session:
        return TargetOut.of(service.get_target(session, path_id(target_id, "target")))


@admin_router.patch(
    "/targets/{target_id}",
    responses={**_NOT_FOUND, 409: {"description": "A target with these names exists."}},
)
def update_target(core: CoreDep, target_id: str, body: TargetBody) -> TargetOut:
    """Change a target: absent fields stay, null clears the description."""
    with core.database.write() as session:
        record = service.update_target(session, path_id(target_id, "target"), body.changes())
    return TargetOut.of(record)


@admin_router.delete("/targets/{target_id}", status_code=204, responses=_NOT_FOUND)
def delete_target(core: CoreDep, target_id: str) -> Response:
    """Delete a target; emails already queued for it are still processed."""
    with core.database.write() as session:
        service.delete_target(session, path_id(target_id, "target"))
    return Response(status_code=204)


@admin_router.get("/intake")
def list_intake(
    core: CoreDep,
    status: Annotated[
        str | None,
        Query(description="pending, done or failed", pattern="^(pending|done|failed)$"),
    ] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[IntakeItemOut]:
    """The posted emails in queue order (oldest first), optionally of one status."""
    with core.database.read() as session:
        result = intake.list_items(
            session, PageRequest(page, limit), source=service.SOURCE, status=status
        )
    return PageOut.of(result, [IntakeItemOut.of(r) for r in result.items])


@admin_router.get("/intake/{item_id}", responses=_NOT_FOUND)
def get_intake_item(core: CoreDep, item_id: str) -> IntakeItemDetailOut:
    """One posted email with its whole payload, status and error."""
    with core.database.read() as session:
        record = intake.get_item(session, path_id(item_id, "intake item"), source=service.SOURCE)
    return IntakeItemDetailOut.of(record)


@admin_router.post(
    "/intake/{item_id}/retry",
    status_code=202,
    responses={**_NOT_FOUND, 409: {"description": "The item has not failed."}},
)
def retry_intake_item(core: CoreDep, item_id: str) -> IntakeItemOut:
    """Process a failed email again (it goes back to pending)."""
    with core.database.write() as session:
        record = intake.retry_item(session, path_id(item_id, "intake item"), source=service.SOURCE)
    core.intake.wake()
    return IntakeItemOut.of(record)


router = APIRouter()
router.include_router(email_router)
router.include_router(admin_router)
