"""The API's documentation pages: Swagger UI at ``/docs``, with its script and style served by
the application itself (``static/swagger-ui/``, vendored: see its README), so the page works
without a network. FastAPI's own ``/docs`` loads them from a CDN, and is turned off
(``docs_url=None``) in favour of these routes:

- ``GET /docs``: the Swagger UI page for ``/openapi.json``;
- ``GET /docs/oauth2-redirect``: the page the "Authorize" button's OAuth2 flow returns to;
- ``/docs/static/...``: the vendored files (a static mount, not a route with methods), and
  ``swagger-init.js``, ours, which starts Swagger UI: the page has no inline script, so its
  Content-Security-Policy (``security_headers.DOCS_POLICY``) forbids them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS = "/docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
ASSETS = "/docs/static"
SWAGGER_UI = Path(__file__).parent / "static" / "swagger-ui"


def _page(title: str, root: str, openapi_url: str) -> str:
    assets = f"{root}{ASSETS}"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(root + openapi_url)}"
     data-oauth2-redirect-url="{escape(root + OAUTH2_REDIRECT)}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-init.js"></script>
</body>
</html>
"""


def _inline_script_hashes(html: str) -> str:
    """CSP sources allowing exactly the inline scripts of ``html`` (by their SHA-256)."""
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    )


def install(app: FastAPI, *, openapi_url: str, title: str) -> None:
    """Serve Swagger UI for ``openapi_url`` at ``/docs`` from the vendored files."""
    redirect = bytes(get_swagger_ui_oauth2_redirect_html().body).decode("utf-8")
    # Swagger UI's own OAuth2 return page is one inline script: allowed by its hash only.
    redirect_policy = (
        f"default-src 'none'; script-src {_inline_script_hashes(redirect)}; "
        "base-uri 'none'; frame-ancestors 'none'"
    )

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return HTMLResponse(_page(f"{title} - Swagger UI", root, openapi_url))

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return HTMLResponse(redirect, headers={"content-security-policy": redirect_policy})

    app.add_route(DOCS, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT, oauth2_redirect, include_in_schema=False)
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
