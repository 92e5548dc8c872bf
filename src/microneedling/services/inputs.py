"""Input models for the use cases, and turning their validation errors into a UserError.

The models are strict (unknown fields refused) and bounded (lengths, ranges), so the API can take
them as request bodies and the CLI can build them from files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

# Days and moments outside FIRST_YEAR to LAST_YEAR are typing mistakes (re-exported).
from microneedling.clinical.dates import FIRST_YEAR as FIRST_YEAR
from microneedling.clinical.dates import LAST_YEAR as LAST_YEAR
from microneedling.clinical.dates import YEAR_RANGE, IsoDate, IsoMoment
from microneedling.errors import UserError, plain_message, plain_number
from microneedling.knowledge.yamlsource import format_path

ModelT = TypeVar("ModelT", bound=BaseModel)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("Enter an e-mail address like name@example.com")
    return value.lower()


def _phone(value: str) -> str:
    if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 5:
        raise ValueError("Enter a phone number like +31 20 123 4567 (digits, spaces, + - ( ) . /)")
    return value


Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_phone)
]


#: The largest id a record can have (the databases' 32-bit integer keys).
MAX_ID = 2**31 - 1
#: A record's id as given by a person or another system: positive, and fits the database.
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
#: Largest page of a list.
MAX_PAGE = 200
#: Furthest a list can be paged.
MAX_OFFSET = 1_000_000


def check_day(day: date, field: str) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UserError(YEAR_RANGE, field=field)
    return day


def check_moment(moment: datetime, field: str) -> datetime:
    """A moment with its time zone, in a plausible year."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise UserError("give the time with its time zone", field=field)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise UserError(YEAR_RANGE, field=field)
    return moment


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise UserError(f"Enter a number from 1 to {MAX_PAGE}", field="limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise UserError(f"Enter a number from 0 to {plain_number(MAX_OFFSET)}", field="offset")


def check_id(value: int, field: str) -> int:
    if not 1 <= value <= MAX_ID:
        raise UserError(f"Enter an id from 1 to {plain_number(MAX_ID)}", field=field)
    return value


def plausible_day(value: date) -> date:
    """A validator: the day's year is plausible."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(YEAR_RANGE)
    return value


def plausible_moment(value: datetime) -> datetime:
    """A validator: the moment has its time zone and a plausible year."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("give the time with its time zone")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(YEAR_RANGE)
    return value


#: A day in a plausible year, given as ``YYYY-MM-DD`` (a number is refused, not read as 1970).
Day = IsoDate
#: A moment with its time zone, in a plausible year, given as ISO text (never a number).
Moment = Annotated[IsoMoment, AfterValidator(plausible_moment)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def problems(error: ValidationError, what: str) -> list[tuple[str, str]]:
    """Every problem of a validation error as ``(field path, message in plain words)``."""
    return [
        (format_path(tuple(item["loc"])) or what, plain_message(item))
        for item in error.errors(include_url=False)
    ]


def user_error(fields: list[tuple[str, str]]) -> UserError:
    """One UserError for several problems: the first one's message, with how many more."""
    field, message = fields[0]
    more = f" (and {len(fields) - 1} more problems)" if len(fields) > 1 else ""
    return UserError(message + more, field=field, fields=fields)


def parse(model: type[ModelT], data: Mapping[str, Any] | ModelT, *, what: str) -> ModelT:
    """``data`` as a ``model``; a UserError names the first bad field (all are in ``fields``)."""
    if isinstance(data, model):
        return data
    if not isinstance(data, Mapping):
        raise UserError(f"{what} must be an object with named fields")
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        raise user_error(problems(error, what)) from None
