"""Errors as RFC 9457 problem details (``application/problem+json``), mapped in one place.

Core's errors become 404/409/422; request validation becomes 400 (malformed JSON) or 422 naming
each offending field; anything unexpected is logged with its traceback and answered with a bare
500 that reveals nothing. Routers whose partner spec fixes another envelope convert these
themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from core.errors import AuthExpired, Conflict, HearthError, Invalid, NotFound

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid request",
    500: "Internal server error",
}


def problem(
    status: int,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    title: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {"type": type_, "title": title or _TITLES.get(status, "Error")}
    body["status"] = status
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_name(location: Sequence[str | int]) -> str:
    """A validation error's location as a field path: ``("body", "phones", 0)`` -> ``phones/0``."""
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return "/".join(parts) or "body"


def validation_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    """Each complaint of a validation error as ``{"field", "message"}``."""
    return [
        {
            "field": field_name(item.get("loc", ())),
            "message": str(item.get("msg", "invalid")).removeprefix("Value error, "),
        }
        for item in error.errors()
    ]


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def _on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    raw = error.errors()
    if any(item.get("type") == "json_invalid" for item in raw):
        ctx = next(item.get("ctx", {}) for item in raw if item.get("type") == "json_invalid")
        return problem(
            400,
            f"the request body is not valid JSON ({ctx.get('error', 'parse error')})",
            type_="/problems/malformed-json",
            title="Malformed JSON",
        )
    body_errors = [item for item in raw if tuple(item.get("loc", ())) == ("body",)]
    if body_errors and not _is_json(request.headers.get("content-type", "")):
        return problem(
            415,
            "send the request body as JSON, with Content-Type: application/json",
            type_="/problems/unsupported-media-type",
        )
    errors = validation_errors(error)
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return problem(
        422,
        f"{first['field']}: {first['message']}",
        type_="/problems/validation",
        errors=errors,
    )


async def _on_hearth_error(request: Request, error: Exception) -> Response:
    if isinstance(error, NotFound):
        return problem(404, error.message, type_="/problems/not-found")
    if isinstance(error, Conflict):
        return problem(409, error.message, type_="/problems/conflict")
    if isinstance(error, Invalid):
        field = error.field or "body"
        return problem(
            422,
            f"{field}: {error.message}",
            type_="/problems/validation",
            errors=[{"field": field, "message": error.message}],
        )
    if isinstance(error, AuthExpired):
        return problem(409, error.message, type_="/problems/reauthorization-needed")
    assert isinstance(error, HearthError)
    return problem(400, error.message)


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    headers = dict(error.headers) if error.headers else None
    detail: str | None = error.detail if isinstance(error.detail, str) else None
    if detail == _TITLES.get(error.status_code):
        detail = None
    return problem(error.status_code, detail, headers=headers)


async def _on_unexpected(request: Request, error: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500)


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error to problem+json on ``app``."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HearthError, _on_hearth_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
