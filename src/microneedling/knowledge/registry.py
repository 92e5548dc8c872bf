"""Which model validates each knowledge-base file, and which cross-file check runs on it.

Every file registered here is required in the manifest. A section's cross-check receives the loaded
:class:`~microneedling.knowledge.knowledge_base.KnowledgeBase`, the file's source map and the problem list;
``sources:`` lists everywhere are checked by the loader itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from microneedling.knowledge import schema, schema_planning, schema_products, schema_scales
from microneedling.knowledge.base import Strict
from microneedling.knowledge.problems import Problems
from microneedling.knowledge.yamlsource import SourceMap

if TYPE_CHECKING:
    from microneedling.knowledge.knowledge_base import KnowledgeBase

CrossCheck = Callable[["KnowledgeBase", SourceMap, Problems], None]

#: The model for each file a manifest may list (every one is required).
FILE_MODELS: dict[str, type[Strict]] = {
    "sources.yaml": schema.SourcesFile,
    "zones.yaml": schema.ZonesFile,
    "concerns.yaml": schema.ConcernsFile,
    "findings.yaml": schema.FindingsFile,
    "screening.yaml": schema.ScreeningFile,
    "planning.yaml": schema_planning.PlanningFile,
    "care.yaml": schema_planning.CareFile,
    "ingredients.yaml": schema_products.IngredientsFile,
    "scales.yaml": schema_scales.ScalesFile,
}

#: Extra checks per file, beyond its model (A.1–A.2 checks live in the loader).
CROSS_CHECKS: dict[str, CrossCheck] = {
    "planning.yaml": schema_planning.cross_check_planning,
    "care.yaml": schema_planning.cross_check_care,
    "ingredients.yaml": schema_products.cross_check,
    "scales.yaml": schema_scales.cross_check,
}
