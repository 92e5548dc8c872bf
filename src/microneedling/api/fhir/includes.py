"""``_include``: a search's Bundle also carries the resources its matches refer to
(``Appointment?_include=Appointment:patient``). The included resources are read as a search of
their own type by id, so the caller's role, their clinic and the audit apply to them exactly as
to any search: another clinic's record is never included, a type the role may not read is
refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from microneedling.api.fhir import queries
from microneedling.api.fhir.resources import Resource
from microneedling.services.access import Actor
from microneedling.services.clock import Clock
from microneedling.store import UnitOfWork

#: (source type, search parameter) → the type it refers to.
INCLUDES: Mapping[tuple[str, str], str] = {
    ("Appointment", "patient"): "Patient",
    ("Appointment", "practitioner"): "Practitioner",
    ("Procedure", "patient"): "Patient",
    ("Procedure", "performer"): "Practitioner",
    ("Observation", "patient"): "Patient",
    ("Consent", "patient"): "Patient",
    ("CarePlan", "patient"): "Patient",
    ("RiskAssessment", "patient"): "Patient",
    ("AdverseEvent", "subject"): "Patient",
    ("Media", "patient"): "Patient",
    ("QuestionnaireResponse", "patient"): "Patient",
    ("PractitionerRole", "practitioner"): "Practitioner",
}
#: At most this many ``_include`` values in one search.
MAX_INCLUDES = 4


class IncludeError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def includes_of(resource_type: str) -> list[str]:
    """The ``_include`` values a search of ``resource_type`` takes (for the statement)."""
    return [f"{source}:{name}" for source, name in INCLUDES if source == resource_type]


def parse(resource_type: str, values: Sequence[str]) -> list[str]:
    """The types to include for these ``_include`` values (refused when not ours)."""
    if len(values) > MAX_INCLUDES:
        raise IncludeError(f"_include: at most {MAX_INCLUDES} at once")
    targets: list[str] = []
    for value in values:
        source, _, name = value.partition(":")
        target = INCLUDES.get((source, name))
        if source != resource_type or target is None:
            known = ", ".join(includes_of(resource_type)) or "none"
            raise IncludeError(
                f"_include: {value[:60]!r} is not one this search takes (known: {known})"
            )
        if target not in targets:
            targets.append(target)
    return targets


def _references(value: Any, kind: str) -> Iterator[int]:
    """The ids of ``kind`` that a resource refers to (``{"reference": "Patient/12"}``)."""
    if isinstance(value, Mapping):
        reference = value.get("reference")
        if isinstance(reference, str) and reference.startswith(f"{kind}/"):
            row_id = reference.removeprefix(f"{kind}/")
            if row_id.isdigit():
                yield int(row_id)
        for item in value.values():
            if isinstance(item, dict | list):
                yield from _references(item, kind)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item, kind)


def _fixed(condition: Any) -> queries.Condition:
    return lambda zone: condition


def included(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    matches: Sequence[Resource],
    targets: Sequence[str],
) -> list[Resource]:
    """The resources of ``targets`` that ``matches`` refer to, each type read as one search by
    id in the actor's clinic (audited as that type's search)."""
    found: list[Resource] = []
    for target in targets:
        ids = sorted({row_id for match in matches for row_id in _references(match, target)})
        if not ids:
            continue
        kind = queries.KINDS[target]
        condition = kind.row_id().in_(ids)
        filters = queries.Filters(conditions=[_fixed(condition)], count=len(ids))
        page = queries.search(uow, actor, kind, filters, ["_id"], clock)
        found.extend(page.resources)
    return found
