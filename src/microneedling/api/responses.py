"""Answering hot routes with JSON made directly, without FastAPI's check against the response model.

For a route that returns a value, FastAPI validates it against the route's response model and
serializes it through that model (in its thread pool for a plain ``def`` route: a second trip
after the route's own). On the hottest routes that check cost more than the work itself: for
``POST /screen`` more than screening, for a patient's full record a tenth of a loaded server's
time. Those routes answer with :func:`plain_json` instead: their content is built by typed code
(the clinical package's results, the record's views), and tests hold it to the model
(tests/api/test_api_full_record.py for the record; the computations' contract tests and the
schemathesis run, which checks every answer against the OpenAPI document). The routes keep their
``response_model`` for that document.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic_core import to_json


def plain_json(content: Any, *, status_code: int = 200) -> Response:
    """``content`` (dicts, lists, text, numbers, dates and times) as JSON, as it is."""
    return Response(to_json(content), status_code=status_code, media_type="application/json")
