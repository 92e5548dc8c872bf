"""Forms: what was typed, what is wrong with it, and reading typed values safely.

A :class:`Form` keeps every submitted value (so a form that fails validation comes back as it was
typed), an error per field (shown beside the field and in a summary at the top, each a link to its
field), and the labels the messages use. Values are read with helpers that record an error instead
of raising, so every problem in a form is reported at once; a :class:`UserError` from a use case is
attached to the fields it names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from microneedling.errors import UserError

#: Characters that cannot be stored or shown sensibly (controls other than tab and newline).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")


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
        if not re.fullmatch(r"[+-]?\d{1,9}", raw):
            self.add(name, "expected a whole number")
            return None
        value = int(raw)
        if (low is not None and value < low) or (high is not None and value > high):
            self.add(name, f"expected a whole number from {low} to {high}")
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
            self.add(name, "expected a number such as 1.25")
            return None
        value = float(number)
        if (low is not None and value < low) or (high is not None and value > high):
            self.add(name, f"expected a number from {low:g} to {high:g}")
            return None
        return value

    def day(self, name: str, *, required: bool = False) -> date | None:
        raw = self.get(name).strip()
        if not raw:
            if required:
                self.add(name, "is required")
            return None
        if not _ISO_DATE.match(raw):
            self.add(name, "expected a date as YYYY-MM-DD")
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            self.add(name, f"{raw} is not a real date")
            return None
        if not 1900 <= value.year <= 2999:
            self.add(name, "expected a year from 1900 to 2999")
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
            return datetime.strptime(raw, "%H:%M").time()
        except ValueError:
            self.add(name, "expected a time as HH:MM (24-hour clock)")
            return None

    def choice(
        self, name: str, options: Mapping[str, Any], *, required: bool = False
    ) -> str | None:
        value = self.get(name).strip()
        if not value:
            if required:
                self.add(name, "choose one")
            return None
        if value not in options:
            self.add(name, "choose one of the options given")
            return None
        return value
