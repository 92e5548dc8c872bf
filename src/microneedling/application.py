"""The application ``microneedling web`` serves: the JSON API and the staff pages as one.

Each request goes to exactly one of them, by its path, before any of their own layers run:
``/api/…``, ``/openapi.json``, ``/docs…`` and ``/fhir/…`` (the FHIR R4 interface, mounted inside
the API: api/fhir/app.py) to the API (so an unknown path or method under ``/api`` gets the API's
JSON error, and one under ``/fhir`` a FHIR OperationOutcome, never a page), everything else to
the pages. Neither adds security headers of its own;
:class:`~microneedling.security_headers.SecurityHeaders` adds them once, around both. The API's request limits (JSON, 1 MB) apply to the API only and the pages'
(forms, photo uploads, same-origin posts) to the pages only.
"""

from __future__ import annotations

from fastapi import FastAPI

from microneedling.api.app import create_app
from microneedling.config import Settings
from microneedling.security_headers import ASGIApp, Receive, Scope, SecurityHeaders, Send
from microneedling.services.clock import Clock, utc_now
from microneedling.services.maintenance import open_database
from microneedling.store import Database
from microneedling.web import create_web_app

#: Paths that belong to the API, FHIR included (the rest are pages).
API_PREFIXES = ("/api/", "/docs/", "/fhir/")
API_PATHS = frozenset({"/api", "/openapi.json", "/docs", "/fhir"})


def is_api_path(path: str) -> bool:
    return path in API_PATHS or path.startswith(API_PREFIXES)


class ApiAndPages:
    """ASGI: the API for its paths, the pages for the rest; the API's lifespan (start-up work)
    is the application's."""

    def __init__(self, api: FastAPI, pages: FastAPI) -> None:
        self.api = api
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or is_api_path(scope.get("path", "")):
            await self.api(scope, receive, send)
        else:
            await self.pages(scope, receive, send)


def create_clinic_app(
    config: Settings,
    *,
    database: Database | None = None,
    clock: Clock = utc_now,
) -> ASGIApp:
    """The API and the pages on one database and one clock, behind one set of headers."""
    database = database or open_database(config)
    api = create_app(config, database=database, clock=clock, security_headers=False)
    pages = create_web_app(config, database=database, clock=clock, security_headers=False)
    return SecurityHeaders(ApiAndPages(api, pages), hsts_seconds=config.hsts_seconds)
