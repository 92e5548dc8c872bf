"""Answering with a response model from a route's own thread.

For a plain ``def`` route FastAPI validates the returned value against the response model in its
thread pool, a second trip after the route's own. A route that returns a large body on a hot path
(a patient's full record) can instead validate and serialize it where it already runs, with
:func:`model_json`: the same checks and the same JSON (by alias), one trip fewer. The route keeps
its ``response_model`` for the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from fastapi.exceptions import ResponseValidationError
from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_json

_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(model: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter


def plain_json(content: Any, *, status_code: int = 200) -> Response:
    """``content`` (dicts, lists, text, numbers, dates) as JSON, without a response model's check.

    For the stateless computations, whose answer is built by typed code to the contract their
    tests hold it to (the same JSON as the CLI's ``--json``): FastAPI's check of it against the
    response model, and its serialization, cost more than screening itself. The route keeps its
    ``response_model`` for the OpenAPI document.
    """
    return Response(to_json(content), status_code=status_code, media_type="application/json")


def model_json(model: type[Any], content: Any, *, status_code: int = 200) -> Response:
    """``content`` checked against ``model`` and serialized as FastAPI does for a response model;
    content that does not match it is the same server error as FastAPI's own check gives."""
    adapter = _adapter(model)
    try:
        value = adapter.validate_python(content)
    except ValidationError as error:
        raise ResponseValidationError(errors=error.errors(include_input=False)) from None
    return Response(
        adapter.dump_json(value, by_alias=True),
        status_code=status_code,
        media_type="application/json",
    )
