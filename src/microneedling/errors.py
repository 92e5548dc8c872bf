"""The exception tree.

::

    MicroneedlingError              anything this package raises on purpose
    ├── UserError                   bad input a person can fix; message says which field and what
    │   ├── IntakeError             an intake that breaks A.1 (unknown code, dates in the wrong order...)
    │   ├── PlanRequestError        a plan request that is malformed or refused by policy
    │   ├── InputFileError          a file that cannot be read or parsed (missing, too large, not JSON)
    │   │   └── PhotoError          a file offered as a photo that is not an acceptable image
    │   ├── KnowledgeBaseError      knowledge-base data that fails its schema (file, place, problem)
    │   ├── NotFound                no such record in the acting user's clinic (another clinic's
    │   │                           record is reported exactly like a missing one)
    │   ├── PermissionDenied        the acting user's role may not do this
    │   ├── Conflict                someone else got there first (the session is already charted,
    │   │                           the e-mail is taken, the database is busy): reload and retry
    │   ├── RuleViolation           a rule the clinic relies on refuses it (no signed consent,
    │   │                           expired or recalled cartridge lot, screening not valid...)
    │   └── SchedulingError         a calendar, booking or scheduling request that is malformed
    │                               or cannot be met
    └── InternalError               a bug or broken invariant; never shown to users verbatim

Every `UserError` carries an optional ``field`` (a dotted path such as ``medications[0].stopped_on``)
so the CLI can print one line, the API can fill ``fields``, and the web UI can mark the input.
``fields`` lists every ``(field, message)`` found when there is more than one.

:func:`plain_message` is the one translation of a validation problem (Pydantic's error types) into
the words a receptionist reads, used by the use cases' input models, the API's ``fields`` and the
web forms; :func:`plain_number` writes numbers the same way everywhere (``100,000``, never
``1e+05``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


class MicroneedlingError(Exception):
    """Base class for every error this package raises deliberately."""


class UserError(MicroneedlingError):
    """Bad input that the person who gave it can correct."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        fields: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.fields: list[tuple[str, str]] = fields or ([(field, message)] if field else [])

    def __str__(self) -> str:
        if self.field:
            return f"{self.field}: {self.message}"
        return self.message


class IntakeError(UserError):
    """An intake that does not satisfy the vocabulary and rules of REFERENCE A.1."""


class PlanRequestError(UserError):
    """A plan request that is malformed, or that the planning policy refuses."""


class InputFileError(UserError):
    """A file that cannot be read or parsed."""


class KnowledgeBaseError(UserError):
    """Knowledge-base data that fails validation.

    ``problems`` lists every problem found (each already naming file, place and what is wrong), so
    `kb validate` can report them all at once rather than one per run.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        head = problems[0] if problems else "invalid knowledge base"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(head + more)


class PhotoError(InputFileError):
    """A file offered as a photo that is not a real image, or is too large."""


class NotFound(UserError):
    """No such record in the acting user's clinic.

    A record of another clinic raises this too, with the same message, so that ids cannot be
    probed across clinics.
    """


class PermissionDenied(UserError):
    """The acting user's role does not allow this action (or the account is not active)."""


class Conflict(UserError):
    """The change lost a race or collides with an existing record; reload and try again."""


class RuleViolation(UserError):
    """A clinic rule refuses the action; the message says which rule and what would satisfy it."""


class SchedulingError(UserError):
    """A calendar, booking or scheduling request that is malformed or cannot be met."""


class InternalError(MicroneedlingError):
    """A broken invariant: a bug, not bad input."""


# Plain words for validation problems --------------------------------------------------------------

#: An example of each kind of value, as the messages show it.
DATE_EXAMPLE = "1988-03-14"
MOMENT_EXAMPLE = "2026-12-07T10:30:00+01:00"
#: What to write for a date (the API and files take ISO dates).
ENTER_A_DATE = f"Enter a date like {DATE_EXAMPLE} (YYYY-MM-DD)"
ENTER_A_MOMENT = f"Enter a date and time with its time zone, like {MOMENT_EXAMPLE}"

#: A field's own message for any problem with its value, by the field's last name.
_FIELD_MESSAGES = {
    "fitzpatrick": "Choose a Fitzpatrick type between 1 and 6",
}


def field_message(name: str) -> str | None:
    """A field's own message for a value it cannot take (``fitzpatrick``: "Choose a Fitzpatrick
    type between 1 and 6"), by the field's name or path; None when it has none."""
    last = name.replace("[", ".").split(".")[-1]
    return _FIELD_MESSAGES.get(last)


def plain_number(value: Any) -> str:
    """A number as people write it: thousands separated, no exponent (``1,000,000``, ``0.05``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:  # pragma: no cover - every int, float and Decimal converts
        return str(value)
    if not number.is_finite():
        return str(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def _options(expected: Any) -> str:
    return str(expected).replace("'", "")


def plain_message(item: Mapping[str, Any]) -> str:
    """One validation problem (a Pydantic error: ``type``, ``msg``, ``ctx``, ``loc``) in plain
    words: what to enter, with numbers written plainly."""
    kind = str(item.get("type", ""))
    ctx: Mapping[str, Any] = item.get("ctx") or {}
    loc = tuple(item.get("loc") or ())
    names = [str(part) for part in loc if not isinstance(part, int)]
    own = field_message(names[-1]) if names else None
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "json_invalid":
        return "is not valid JSON"
    if own is not None and kind not in ("value_error", "assertion_error"):
        return own
    if kind == "string_too_long":
        return f"is too long: at most {plain_number(ctx.get('max_length'))} characters"
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        if least == 1:
            return "is required"
        return f"is too short: at least {plain_number(least)} characters"
    if kind == "too_long":
        return f"has too many: at most {plain_number(ctx.get('max_length'))}"
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return "give at least one" if least == 1 else f"give at least {plain_number(least)}"
    if kind == "greater_than_equal":
        return f"must be at least {plain_number(ctx.get('ge'))}"
    if kind == "greater_than":
        return f"must be more than {plain_number(ctx.get('gt'))}"
    if kind == "less_than_equal":
        return f"must be at most {plain_number(ctx.get('le'))}"
    if kind == "less_than":
        return f"must be less than {plain_number(ctx.get('lt'))}"
    if kind == "multiple_of":
        return f"must be a multiple of {plain_number(ctx.get('multiple_of'))}"
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return "Enter a whole number"
    if kind in ("float_type", "float_parsing", "decimal_type", "decimal_parsing"):
        return "Enter a number such as 1.25"
    if kind in ("finite_number",):
        return "Enter an ordinary number"
    if kind in ("bool_type", "bool_parsing"):
        return "Enter true or false"
    if kind in ("string_type", "string_unicode", "string_sub_type"):
        return "Enter text"
    if kind in ("literal_error", "enum"):
        return f"Choose one of {_options(ctx.get('expected', 'the options given'))}"
    if kind.startswith("datetime_") or kind.startswith("timezone_"):
        return ENTER_A_MOMENT
    if kind.startswith("date_"):
        return ENTER_A_DATE
    if kind in ("time_type", "time_parsing"):
        return "Enter a time like 14:30"
    if kind in ("list_type", "tuple_type", "set_type", "iterable_type"):
        return "Enter a list"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return "Enter an object with named fields"
    if kind == "string_pattern_mismatch":
        return "is not in the expected form"
    if kind in ("url_type", "url_parsing"):
        return "Enter a web address"
    if kind in ("uuid_type", "uuid_parsing"):
        return "Enter an id like 123e4567-e89b-12d3-a456-426614174000"
    message = str(item.get("msg", "is not valid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message
