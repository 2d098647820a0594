"""Helpers for the BrightSync calendar tests: events and contacts made over HTTP, delta reads,
problem checks and row counts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from core.models import Activity, Attendee, Event, RecordLink, Tombstone

EVENTS = "/api/v1/events"
DELETED = "/api/v1/deletedEvents"


def calendar_contact(client, first="Sarah", addresses=("sarah@acme.example",), **fields):
    body = {"firstName": first, "emailAddresses": list(addresses), **fields}
    response = client.post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def create_event(client, **fields):
    body = {
        "subject": "Meeting",
        "startTime": "2026-07-01T10:00:00Z",
        "endTime": "2026-07-01T11:00:00Z",
        **fields,
    }
    response = client.post(EVENTS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def counts(hearth) -> dict[str, int]:
    with hearth.database.read() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Event, Attendee, RecordLink, Activity, Tombstone)
        }


def delta(client, since, limit=50, **params):
    """Every page of a delta read from ``since``, following nextSince."""
    pages = []
    while True:
        response = client.get(EVENTS, params={"since": since, "limit": limit, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        assert body["nextPage"] is None
        if body["nextSince"] is None:
            return pages
        since = body["nextSince"]


def assert_problem(response, field, status=422):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == field, problem
    return problem
