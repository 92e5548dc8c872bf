"""The validated knowledge base: what :func:`~microneedling.knowledge.loader.load_knowledge_base`
returns and every clinical module reads.

It depends on the schema (:mod:`.schema`) only; the registry of file models and the loader depend on
it, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from microneedling.knowledge import schema
from microneedling.knowledge.base import Strict

_T = TypeVar("_T")


@dataclass(frozen=True, eq=False)
class KnowledgeBase:
    """The validated clinical knowledge base. Treat as immutable (compared by identity)."""

    name: str
    version: str
    hash: str
    path: Path
    sources: Mapping[str, schema.Source]
    zone_groups: Mapping[str, schema.ZoneGroup]
    zones: Mapping[str, schema.Zone]
    concern_groups: Mapping[str, schema.ConcernGroup]
    concerns: Mapping[str, schema.Concern]
    findings: Mapping[str, schema.FindingDefinition]
    rules: tuple[schema.Rule, ...]
    messages: schema.ScreeningMessages

    #: Every parsed file by name (A.3–A.5 modules read theirs with :meth:`section`).
    sections: Mapping[str, Strict]
    #: Zones of each zone group, in file order.
    group_members: Mapping[str, tuple[str, ...]]
    #: The rules of each finding code, in file order.
    rules_by_finding: Mapping[str, tuple[schema.Rule, ...]]

    def section(self, name: str, kind: type[_T]) -> _T:
        """The parsed file ``name``, checked to be a ``kind``."""
        return of_type(self.sections[name], kind)

    def stamp(self) -> dict[str, str]:
        """``{"version", "hash"}`` as recorded in every result."""
        return {"version": self.version, "hash": self.hash}


def of_type(value: object, kind: type[_T]) -> _T:
    """``value``, checked to be a ``kind`` (for the type checker and against a mix-up)."""
    assert isinstance(value, kind)
    return value
