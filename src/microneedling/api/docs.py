"""The API's documentation pages: Swagger UI at ``/docs``, with its script and style served by
the application itself (``static/swagger-ui/``, vendored: see its README), so the page works
without a network. FastAPI's own ``/docs`` loads them from a CDN, and is turned off
(``docs_url=None``) in favour of these routes:

- ``GET /docs``: the Swagger UI page for ``/openapi.json``;
- ``GET /docs/oauth2-redirect``: the page the "Authorize" button's OAuth2 flow returns to;
- ``/docs/static/...``: the vendored files (a static mount, not a route with methods).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS = "/docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
ASSETS = "/docs/static"
SWAGGER_UI = Path(__file__).parent / "static" / "swagger-ui"


def install(app: FastAPI, *, openapi_url: str, title: str) -> None:
    """Serve Swagger UI for ``openapi_url`` at ``/docs`` from the vendored files."""

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=root + OAUTH2_REDIRECT,
        )

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_route(DOCS, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT, oauth2_redirect, include_in_schema=False)
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
