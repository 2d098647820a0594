"""The embedded API's app factory: routers, guards, error mapping and docs, for one core."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

import core
from core.runtime import HearthCore
from embedded_api.middleware import BodySizeLimit, LoopbackGuard, SecurityHeaders
from embedded_api.problems import install_problem_handlers
from embedded_api.routers import (
    brightsync_calendar,
    brightsync_email,
    companies,
    contact_center,
    contacts,
    enginy,
    health,
    integrations_calendar,
    integrations_documents,
    integrations_email,
    timeline,
)

DESCRIPTION = """\
Hearth's embedded API, served on the user's own machine (loopback only).

**Authentication.** Every endpoint except `/health`, `/docs` and `/openapi.json` needs an API key,
created with `hearth api-key create NAME`, sent as `Authorization: Bearer KEY` or `X-API-Key: KEY`.

**Conventions.** Field names are camelCase. Ids go out as strings and are accepted as strings or
numbers. Timestamps go out as ISO 8601 UTC (`2026-07-01T14:00:00.000Z`). PATCH follows RFC 7396
(absent = unchanged, `null` = cleared). Lists are paginated with `page` and `limit` and answer
`{"items", "total", "page", "limit", "nextPage"}`; ask for `page=nextPage` until it is null.
Errors are RFC 9457 `application/problem+json` naming the offending field, unless a partner's
specification fixes another envelope.
"""


def create_app(hearth: HearthCore) -> FastAPI:
    """The ASGI app serving ``hearth``'s data: every router, guard and error handler."""
    settings = hearth.settings.server
    app = FastAPIOffline(
        title="Hearth embedded API",
        version=core.__version__,
        description=DESCRIPTION,
    )
    app.state.core = hearth
    install_problem_handlers(app)
    for module in (
        health,
        contacts,
        companies,
        brightsync_email,
        brightsync_calendar,
        contact_center,
        timeline,
        enginy,
        integrations_calendar,
        integrations_documents,
        integrations_email,
    ):
        app.include_router(module.router)
    # In team mode (allow_remote) the chosen address and the public URL's host are valid Hosts too.
    extra_hosts: list[str] = []
    if settings.allow_remote:
        candidates = (settings.host, urlsplit(settings.public_url).hostname)
        wildcard = ("0.0.0.0", "::")  # noqa: S104 - compared against, never bound
        extra_hosts = [h for h in candidates if h and h not in wildcard]
    # Added last = outermost: guards first, then the size limit, then the app.
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        limit_for=integrations_documents.upload_body_limit(hearth.settings.documents),
    )
    app.add_middleware(LoopbackGuard, extra_hosts=extra_hosts)
    return app
