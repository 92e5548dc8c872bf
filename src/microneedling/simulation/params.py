"""The simulation parameter table: every number a model uses, with its unit and source.

MODELS.md §1.2: one table holds every record as ``name, value, unit, source, status, note``.
``source`` is a key of the MODELS.md §7 bibliography (or "derived"/"assumption" with working in the
note); ``status`` is one of ``verified``, ``to_verify``, ``derived``, ``assumption``, ``fitted``.

Each model keeps its records in its own module (``params_geometry``, ``params_transport``,
``params_healing``) as a tuple ``PARAMS`` of :class:`Param`; :func:`table` merges them and refuses a
duplicate name, and :func:`get` looks one up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Literal

Status = Literal["verified", "to_verify", "derived", "assumption", "fitted"]
STATUSES: tuple[Status, ...] = ("verified", "to_verify", "derived", "assumption", "fitted")

#: Modules holding a ``PARAMS`` tuple, one per model.
PARAM_MODULES: tuple[str, ...] = (
    "microneedling.simulation.params_geometry",
    "microneedling.simulation.params_transport",
    "microneedling.simulation.params_healing",
)


@dataclass(frozen=True, slots=True)
class Param:
    """One sourced number."""

    name: str
    value: float
    unit: str
    source: str
    status: Status
    note: str = ""

    @property
    def needs_warning(self) -> bool:
        """Reports that use this value must show a warning (MODELS.md §1.2)."""
        return self.status in ("to_verify", "assumption")


@cache
def table() -> dict[str, Param]:
    """All parameter records by name, from every model module."""
    merged: dict[str, Param] = {}
    for module_name in PARAM_MODULES:
        module = import_module(module_name)
        for record in module.PARAMS:
            if record.name in merged:
                raise ValueError(f"duplicate simulation parameter {record.name!r} in {module_name}")
            merged[record.name] = record
    return merged


def get(name: str) -> Param:
    """The record called ``name``; KeyError names it if missing."""
    try:
        return table()[name]
    except KeyError:
        raise KeyError(f"unknown simulation parameter {name!r}") from None


def value(name: str) -> float:
    """Shorthand for ``get(name).value``."""
    return get(name).value
