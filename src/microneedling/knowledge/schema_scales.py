"""Outcome scales (REFERENCE.md A.5): the file model and its cross-check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microneedling.knowledge.base import Strict
from microneedling.knowledge.problems import Problems
from microneedling.knowledge.yamlsource import SourceMap

if TYPE_CHECKING:
    from microneedling.knowledge.loader import KnowledgeBase


class ScalesFile(Strict):
    """Placeholder until the section is written."""

    scales: dict[str, Any]


def cross_check(kb: KnowledgeBase, smap: SourceMap, problems: Problems) -> None:
    """Checks beyond the model (none yet)."""
