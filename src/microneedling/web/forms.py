"""Forms: what was typed, what is wrong with it, and reading typed values safely.

A :class:`Form` keeps every submitted value (so a form that fails validation comes back as it was
typed), an error per field (shown beside the field and in a summary at the top, each a link to its
field), and the labels the messages use. Values are read with helpers that record an error instead
of raising, so every problem in a form is reported at once; a :class:`UserError` from a use case is
attached to the fields it names.

One pass finds every problem: the helpers check what was typed, and :meth:`Form.check` checks the
values read so far against the use case's own input model (its lengths, ranges and formats) in
the same pass, before the use case is called. Messages are the receptionist's words, written by
the one translation in :mod:`microneedling.errors` (``at most 100,000 characters``, "Enter a date
like 14/03/1988").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ValidationError

from microneedling.clinical.dates import FIRST_YEAR, LAST_YEAR, YEAR_RANGE
from microneedling.errors import UserError, field_message, plain_message, plain_number
from microneedling.knowledge.yamlsource import format_path

#: Characters that cannot be stored or shown sensibly (controls other than tab and newline).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
#: A date as people type it in the clinic: day first (14/03/1988, 14.03.1988, 14-03-1988).
_TYPED_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_TIME = re.compile(r"^\d{1,2}[:.]\d{2}$")

#: What a date field asks for.
ENTER_A_DATE = "Enter a date like 14/03/1988"
ENTER_A_TIME = "Enter a time like 14:30 (24-hour clock)"


def field_id(name: str) -> str:
    """The HTML id of a field: ``zones[0].depth_mm`` → ``f-zones-0-depth_mm``."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


@dataclass
class Form:
    """A form's values and errors."""

    labels: Mapping[str, str] = field(default_factory=dict)
    data: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, multi: Any, labels: Mapping[str, str] | None = None) -> Form:
        """From submitted form data (a Starlette ``FormData``; files are left out)."""
        data: dict[str, list[str]] = {}
        for key, value in multi.multi_items():
            if isinstance(value, str) and key != "csrf_token":
                data.setdefault(key, []).append(value)
        return cls(labels=labels or {}, data=data)

    @classmethod
    def blank(cls, labels: Mapping[str, str] | None = None, **values: Any) -> Form:
        data: dict[str, list[str]] = {}
        for key, value in values.items():
            if value is None:
                continue
            if isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = [str(value)]
        return cls(labels=labels or {}, data=data)

    # Values ----------------------------------------------------------------------------------

    def get(self, name: str, default: str = "") -> str:
        values = self.data.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self.data.get(name, []))

    def set(self, name: str, value: Any) -> None:
        self.data[name] = [] if value is None else [str(value)]

    def checked(self, name: str, value: str = "on") -> bool:
        return value in self.data.get(name, [])

    # Errors ----------------------------------------------------------------------------------

    @property
    def ok(self) -> bool:
        return not self.errors and not self.general

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def add(self, name: str | None, message: str) -> None:
        """Note a problem with a field (or the whole form when ``name`` is None)."""
        if name is None:
            if message not in self.general:
                self.general.append(message)
        elif name not in self.errors:
            self.errors[name] = message

    def label(self, name: str) -> str:
        return self.labels.get(name, name.replace("_", " ").capitalize())

    def summary(self) -> list[tuple[str | None, str]]:
        """(field id or None, "Label: message") for the error summary, fields first."""
        items: list[tuple[str | None, str]] = [
            (field_id(name), f"{self.label(name)}: {message}")
            for name, message in self.errors.items()
        ]
        items.extend((None, message) for message in self.general)
        return items

    def check(
        self,
        model: type[BaseModel],
        values: Mapping[str, Any],
        where: Mapping[str, str] | Callable[[str], str | None] | None = None,
    ) -> None:
        """Check the values read so far against the use case's input ``model`` in this same
        pass, so its problems (lengths, ranges, formats it checks) come with the form's own
        rather than on the next submit. A field the form already found wrong keeps its message;
        values left out because they were wrong are not reported again."""
        present = {key: value for key, value in values.items() if value is not None}
        try:
            model.model_validate(present)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                path = format_path(tuple(item["loc"]))
                name = path.split(".")[0].split("[")[0]
                if item["type"] == "extra_forbidden":
                    continue  # the route's own extras (a confirmation, say) are its business
                if item["type"] == "missing" and (name in self.errors or name not in values):
                    continue  # already reported, or not the form's to give
                self._attach(path, plain_message(item), where)

    def check_by(
        self,
        validate: Callable[[], object],
        where: Mapping[str, str] | Callable[[str], str | None] | None = None,
    ) -> None:
        """Run a pure check of the use case (one that reads no records, such as the intake's
        rules or a scale's inputs) in this same pass, attaching each problem it finds; fields
        the form already found wrong keep their message."""
        try:
            validate()
        except UserError as error:
            self.add_user_error(error, where)

    def _attach(
        self,
        path: str,
        message: str,
        where: Mapping[str, str] | Callable[[str], str | None] | None,
    ) -> None:
        name: str | None
        if where is None:
            name = None
        elif callable(where):
            name = where(path)
        else:
            name = where.get(path)
        if name is None and path in self.labels:
            name = path
        if name is None:
            self.add(None, f"{path}: {message}" if path else message)
        else:
            self.add(name, message)

    def add_user_error(
        self,
        error: UserError,
        where: Mapping[str, str] | Callable[[str], str | None] | None = None,
    ) -> None:
        """Attach each problem of ``error`` to the field it names (through ``where``, from the
        use case's field path to the form's field name; unmapped paths that are form fields
        are used as they are; anything else goes to the summary)."""
        problems = error.fields or [(error.field or "", error.message)]
        for path, message in problems:
            self._attach(path, message, where)

    # Reading typed values --------------------------------------------------------------------

    def text(
        self, name: str, *, required: bool = False, max_length: int = 200, multiline: bool = False
    ) -> str | None:
        value = self.get(name).strip()
        if not value:
            if required:
                self.add(name, "is required")
            return None
        if len(value) > max_length:
            self.add(name, f"is too long: at most {max_length:,} characters")
            return None
        if _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
            self.add(name, "contains characters that cannot be stored (control characters)")
            return None
        return value

    def integer(
        self, name: str, *, required: bool = False, low: int | None = None, high: int | None = None
    ) -> int | None:
        raw = self.get(name).strip()
        if not raw:
            if required:
                self.add(name, "is required")
            return None
        if not re.fullmatch(r"[+-]?\d{1,9}", raw.replace(",", "")):
            self.add(name, field_message(name) or "Enter a whole number, like 12")
            return None
        value = int(raw.replace(",", ""))
        if (low is not None and value < low) or (high is not None and value > high):
            self.add(name, field_message(name) or f"Enter a whole number {_bounds(low, high)}")
            return None
        return value

    def decimal(
        self,
        name: str,
        *,
        required: bool = False,
        low: float | None = None,
        high: float | None = None,
    ) -> float | None:
        raw = self.get(name).strip().replace(",", ".")
        if not raw:
            if required:
                self.add(name, "is required")
            return None
        try:
            if len(raw) > 20:
                raise InvalidOperation
            number = Decimal(raw)
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.add(name, field_message(name) or "Enter a number such as 1.25")
            return None
        value = float(number)
        if (low is not None and value < low) or (high is not None and value > high):
            self.add(name, field_message(name) or f"Enter a number {_bounds(low, high)}")
            return None
        return value

    def day(
        self,
        name: str,
        *,
        required: bool = False,
        not_after: date | None = None,
        after_message: str = "cannot be in the future",
    ) -> date | None:
        """A date as the date picker sends it (``1988-03-14``) or as typed (``14/03/1988``), in
        a plausible year, and not after ``not_after`` when given (a birth date: today)."""
        raw = self.get(name).strip()
        if not raw:
            if required:
                self.add(name, "is required")
            return None
        iso, typed = _ISO_DATE.match(raw), _TYPED_DATE.match(raw)
        if iso:
            year, month, day_ = (int(part) for part in iso.groups())
        elif typed:
            day_, month, year = (int(part) for part in typed.groups())
        else:
            self.add(name, ENTER_A_DATE)
            return None
        try:
            value = date(year, month, day_)
        except ValueError:
            self.add(name, f"{raw} is not a real date")
            return None
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            self.add(name, YEAR_RANGE)
            return None
        if not_after is not None and value > not_after:
            self.add(name, after_message)
            return None
        return value

    def clock_time(self, name: str, *, required: bool = False) -> time | None:
        raw = self.get(name).strip()
        if not raw:
            if required:
                self.add(name, "is required")
            return None
        try:
            if not _TIME.match(raw):
                raise ValueError
            return datetime.strptime(raw.replace(".", ":"), "%H:%M").time()
        except ValueError:
            self.add(name, ENTER_A_TIME)
            return None

    def choice(
        self, name: str, options: Mapping[str, Any], *, required: bool = False
    ) -> str | None:
        value = self.get(name).strip()
        if not value:
            if required:
                self.add(name, field_message(name) or "choose one")
            return None
        if value not in options:
            self.add(name, field_message(name) or "choose one of the options given")
            return None
        return value


def _bounds(low: float | None, high: float | None) -> str:
    """``from 1 to 6``, ``of at least 1``, ``of at most 1,000,000`` (numbers written plainly)."""
    if low is not None and high is not None:
        return f"from {plain_number(low)} to {plain_number(high)}"
    if low is not None:
        return f"of at least {plain_number(low)}"
    return f"of at most {plain_number(high)}"
