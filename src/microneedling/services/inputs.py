"""Input models for the use cases, and turning their validation errors into a UserError.

The models are strict (unknown fields refused) and bounded (lengths, ranges), so the API can take
them as request bodies and the CLI can build them from files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError

from microneedling.errors import UserError
from microneedling.knowledge.yamlsource import format_path

ModelT = TypeVar("ModelT", bound=BaseModel)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("expected an e-mail address such as name@example.com")
    return value.lower()


def _phone(value: str) -> str:
    if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 5:
        raise ValueError("expected a phone number (digits, spaces, + - ( ) . /)")
    return value


Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_phone)
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def parse(model: type[ModelT], data: Mapping[str, Any] | ModelT, *, what: str) -> ModelT:
    """``data`` as a ``model``; a UserError names the first bad field (all are in ``fields``)."""
    if isinstance(data, model):
        return data
    if not isinstance(data, Mapping):
        raise UserError(f"{what} must be an object with named fields")
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        fields: list[tuple[str, str]] = []
        for item in error.errors(include_url=False):
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "missing":
                message = "is required"
            elif item["type"] == "extra_forbidden":
                message = "is not a known field"
            fields.append((format_path(tuple(item["loc"])) or what, message))
        field, message = fields[0]
        more = f" (and {len(fields) - 1} more problems)" if len(fields) > 1 else ""
        raise UserError(message + more, field=field, fields=fields) from None
