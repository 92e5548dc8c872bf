"""The API's documentation page works without a network: Swagger UI's script, style and icon come
from the application itself (vendored under ``api/static/swagger-ui``), never from a CDN."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from microneedling.api.docs import SWAGGER_UI

ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


def test_the_docs_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert re.findall(r"(?:src|href)=\"([^\"]+)\"", page.text) == [
        "/docs/static/swagger-ui.css",
        "/docs/static/favicon-32x32.png",
        "/docs/static/swagger-ui-bundle.js",
        "/docs/static/swagger-init.js",
    ]
    assert "//" not in "".join(re.findall(r"(?:src|href)=\"([^\"]+)\"", page.text))
    assert 'data-openapi-url="/openapi.json"' in page.text
    assert 'data-oauth2-redirect-url="/docs/oauth2-redirect"' in page.text


def test_the_docs_page_runs_no_inline_script_and_says_so_in_its_policy(client: TestClient) -> None:
    page = client.get("/docs")
    assert "<script>" not in page.text
    policy = page.headers["content-security-policy"]
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    redirect = client.get("/docs/oauth2-redirect")
    assert "script-src 'sha256-" in redirect.headers["content-security-policy"]
    assert len(redirect.headers.get_list("content-security-policy")) == 1


def test_the_vendored_files_are_served_as_shipped(client: TestClient) -> None:
    for name, kind in zip(ASSETS, ("text/javascript", "text/css", "image/png"), strict=True):
        response = client.get(f"/docs/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(kind)
        assert response.content == (SWAGGER_UI / name).read_bytes()
    assert client.get("/docs/static/no-such-file.js").status_code == 404
    assert client.get("/docs/static/../docs.py").status_code == 404


def test_the_oauth2_redirect_page_answers(client: TestClient) -> None:
    page = client.get("/docs/oauth2-redirect")
    assert page.status_code == 200
    assert "oauth2" in page.text.lower()


def test_the_licence_and_version_are_kept_beside_the_files() -> None:
    readme = (SWAGGER_UI / "README.md").read_text(encoding="utf-8")
    assert "swagger-ui-dist" in readme and "Apache-2.0" in readme
    assert (SWAGGER_UI / "LICENSE").is_file() and (SWAGGER_UI / "NOTICE").is_file()
    assert (SWAGGER_UI / "swagger-ui-bundle.js.LICENSE.txt").is_file()
