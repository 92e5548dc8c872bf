"""The intake as typed values (REFERENCE.md A.1), and its checks against the knowledge base.

:func:`parse_intake` turns JSON-like data into an :class:`Intake` (structure and types);
:func:`check_intake` applies the A.1 rules that need the knowledge base or compare dates (unknown
codes and zones, dates in the wrong order). Both raise :class:`~microneedling.errors.IntakeError`
naming the field, e.g. ``medications[0].stopped_on``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from microneedling.clinical.dates import IsoDate as IsoDate  # the one date type, re-exported
from microneedling.errors import IntakeError, plain_message
from microneedling.knowledge import KnowledgeBase
from microneedling.knowledge.yamlsource import format_path

#: Upper bounds that keep a hostile intake from costing much (no real intake comes close).
MAX_ZONES = 40
MAX_ITEMS = 100


Word = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Patient(_Frozen):
    """Who is being screened."""

    birth_date: IsoDate
    sex: Literal["female", "male", "other"] | None = None
    fitzpatrick: int = Field(ge=1, le=6, description="Fitzpatrick skin type, 1 to 6")


class IntakeItem(_Frozen):
    """One condition, medication, procedure or allergy."""

    code: Word
    zones: list[Word] | None = Field(default=None, max_length=MAX_ZONES)
    on: IsoDate | None = Field(default=None, description="Date of the event (sunburn, procedure)")
    started_on: IsoDate | None = None
    stopped_on: IsoDate | None = Field(
        default=None, description="Stop date; a date after the assessment is a planned stop"
    )
    severity: Word | None = None


class Condition(IntakeItem):
    """A skin or general condition."""


class Medication(IntakeItem):
    """A medication; without `stopped_on` it is in use."""


class Procedure(IntakeItem):
    """A recent procedure (with its date `on`)."""


class Allergy(IntakeItem):
    """An allergy."""


class Intake(_Frozen):
    """A screening questionnaire as submitted."""

    on: IsoDate = Field(description="Assessment date")
    patient: Patient
    zones: list[Word] = Field(min_length=1, max_length=MAX_ZONES, description="Requested zones")
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_ITEMS)
    medications: list[Medication] = Field(default_factory=list, max_length=MAX_ITEMS)
    procedures: list[Procedure] = Field(default_factory=list, max_length=MAX_ITEMS)
    allergies: list[Allergy] = Field(default_factory=list, max_length=MAX_ITEMS)


#: The intake list each finding kind belongs in.
LIST_OF_KIND: Mapping[str, str] = {
    "condition": "conditions",
    "medication": "medications",
    "procedure": "procedures",
    "allergy": "allergies",
}


def parse_intake(data: Any) -> Intake:
    """Validate the structure of ``data`` (a JSON object) into an :class:`Intake`."""
    if not isinstance(data, Mapping):
        raise IntakeError("an intake must be a JSON object")
    try:
        return Intake.model_validate(data)
    except ValidationError as error:
        raise _intake_error(error) from None


def _intake_error(error: ValidationError) -> IntakeError:
    fields: list[tuple[str, str]] = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        kind = item["type"]
        if kind == "too_short" and loc == ("zones",):
            message = "give at least one zone"
        else:
            message = plain_message(item)
            if kind.endswith("_type") and kind != "missing":
                message = f"{message} (got {_short(item.get('input'))})"
        fields.append((format_path(loc) or "intake", message))
    field, message = fields[0]
    more = f" (and {len(fields) - 1} more problems)" if len(fields) > 1 else ""
    return IntakeError(message + more, field=field, fields=fields)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_intake(intake: Intake, kb: KnowledgeBase) -> None:
    """The A.1 input rules that need the knowledge base or compare dates."""
    problems: list[tuple[str, str]] = []
    names = set(kb.zones) | set(kb.zone_groups)

    def check_zones(path: str, zones: list[str]) -> None:
        for index, zone in enumerate(zones):
            if zone not in names:
                problems.append((f"{path}[{index}]", f"unknown zone {zone!r}"))

    if intake.patient.birth_date > intake.on:
        problems.append(("patient.birth_date", "is after the assessment date"))
    check_zones("zones", intake.zones)
    for kind, list_name in LIST_OF_KIND.items():
        for index, item in enumerate(getattr(intake, list_name)):
            path = f"{list_name}[{index}]"
            definition = kb.findings.get(item.code)
            if definition is None or definition.kind == "derived":
                problems.append((f"{path}.code", f"unknown {kind} code {item.code!r}"))
            elif definition.kind != kind:
                problems.append(
                    (
                        f"{path}.code",
                        f"{item.code!r} is a {definition.kind}; list it under "
                        f"{LIST_OF_KIND[definition.kind]!r}",
                    )
                )
            if item.zones is not None:
                check_zones(f"{path}.zones", item.zones)
            if item.on is not None and item.on > intake.on:
                problems.append((f"{path}.on", "is after the assessment date"))
            if item.started_on is not None and item.started_on > intake.on:
                problems.append(
                    (
                        f"{path}.started_on",
                        "is after the assessment date: a medication not yet started is recorded"
                        " when it starts",
                    )
                )
            if (
                item.started_on is not None
                and item.stopped_on is not None
                and item.started_on > item.stopped_on
            ):
                problems.append((f"{path}.started_on", "is after stopped_on"))
    if problems:
        field, message = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise IntakeError(message + more, field=field, fields=problems)


def intake_json_schema(kb: KnowledgeBase) -> dict[str, Any]:
    """The intake's JSON Schema, with the knowledge base's zones and codes as enums."""
    schema = Intake.model_json_schema()
    schema["$id"] = "https://microneedling.example/schemas/intake.json"
    schema["title"] = "Microneedling intake"
    schema["description"] = (
        f"Screening intake (knowledge base {kb.version}, {kb.hash}). Lists other than "
        "`zones` may be omitted."
    )
    zone_names = [*kb.zones, *kb.zone_groups]
    schema["properties"]["zones"]["items"] = {"type": "string", "enum": zone_names}
    defs = schema["$defs"]
    for kind, model in (
        ("condition", "Condition"),
        ("medication", "Medication"),
        ("procedure", "Procedure"),
        ("allergy", "Allergy"),
    ):
        codes = [code for code, f in kb.findings.items() if f.kind == kind]
        props = defs[model]["properties"]
        props["code"] = {"type": "string", "enum": codes, "title": "Code"}
        props["zones"]["anyOf"][0]["items"] = {"type": "string", "enum": zone_names}
    return schema
