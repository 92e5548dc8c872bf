"""The shape of each knowledge-base file, as strict Pydantic models.

Every model forbids unknown keys and is frozen. Cross-file checks (source keys exist, finding codes
exist, every finding has a rule...) live in :mod:`microneedling.knowledge.loader`, which also turns
validation errors into "file, line N (path): problem" messages.

To add a file (A.3 planning, A.4 care, A.5 scales): define its model in a module of its own
(``schema_<topic>.py``, building on :mod:`.base`), register it and its cross-check in
:mod:`.registry`, and list it in ``data/manifest.yaml``.
"""

from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from microneedling.knowledge.base import Code, SourceKey, Strict, Text, Version

Severity = Literal["absolute", "temporary", "relative", "precaution"]
#: Most severe first.
SEVERITY_ORDER: tuple[Severity, ...] = ("absolute", "temporary", "relative", "precaution")
FindingKind = Literal["condition", "medication", "procedure", "allergy", "derived"]
Scope = Literal["local", "face", "systemic"]

#: Placeholders a screening message may use.
MESSAGE_FIELDS = frozenset({"label", "zones", "until", "date", "age", "fitzpatrick"})


# manifest.yaml -------------------------------------------------------------------------------


class Manifest(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9\-]*$", max_length=64)]
    version: Version
    reference: Text
    files: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.yaml$")]] = Field(
        min_length=1
    )

    @field_validator("files")
    @classmethod
    def _unique_files(cls, files: list[str]) -> list[str]:
        seen: set[str] = set()
        for name in files:
            if name in seen:
                raise ValueError(f"{name!r} is listed twice")
            seen.add(name)
        return files


# sources.yaml --------------------------------------------------------------------------------


class Source(Strict):
    kind: Literal["article", "labeling", "trial", "regulation", "literature", "policy"]
    title: Text
    file: str | None = None


class SourcesFile(Strict):
    sources: dict[SourceKey, Source] = Field(min_length=1)


# zones.yaml ----------------------------------------------------------------------------------


class ZoneGroup(Strict):
    label: Text


class Zone(Strict):
    label: Text
    group: Code | None
    notes: Text | None = None
    sources: list[SourceKey] = Field(default_factory=list)


class ZonesFile(Strict):
    groups: dict[Code, ZoneGroup]
    zones: dict[Code, Zone] = Field(min_length=1)


# concerns.yaml -------------------------------------------------------------------------------


class ConcernGroup(Strict):
    label: Text


class Concern(Strict):
    label: Text
    group: Code | None = None
    subtypes: list[Code] = Field(default_factory=list)
    notes: Text | None = None


class ConcernsFile(Strict):
    concern_groups: dict[Code, ConcernGroup]
    concerns: dict[Code, Concern] = Field(min_length=1)


# findings.yaml -------------------------------------------------------------------------------


class Trigger(Strict):
    """When a derived finding applies (all given bounds must hold)."""

    age_below_years: int | None = Field(default=None, ge=1, le=130)
    fitzpatrick_from: int | None = Field(default=None, ge=1, le=6)
    fitzpatrick_to: int | None = Field(default=None, ge=1, le=6)

    @model_validator(mode="after")
    def _something(self) -> Trigger:
        if self.age_below_years is None and self.fitzpatrick_from is None:
            raise ValueError("a trigger needs age_below_years or fitzpatrick_from")
        if (self.fitzpatrick_from is None) != (self.fitzpatrick_to is None):
            raise ValueError("fitzpatrick_from and fitzpatrick_to go together")
        if (
            self.fitzpatrick_from is not None
            and self.fitzpatrick_to is not None
            and self.fitzpatrick_from > self.fitzpatrick_to
        ):
            raise ValueError("fitzpatrick_from is greater than fitzpatrick_to")
        return self


class FindingDefinition(Strict):
    kind: FindingKind
    scope: Scope
    label: Text
    notes: Text | None = None
    default_zones: list[Code] = Field(default_factory=list)
    dated: Literal["on"] | None = None
    trigger: Trigger | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FindingDefinition:
        if (self.kind == "derived") != (self.trigger is not None):
            raise ValueError("a derived finding needs a trigger, and only a derived one has one")
        if self.default_zones and self.scope != "local":
            raise ValueError("default_zones only makes sense for a local finding")
        return self


class FindingsFile(Strict):
    findings: dict[Code, FindingDefinition] = Field(min_length=1)


# screening.yaml ------------------------------------------------------------------------------


class Window(Strict):
    """A wait after a dated event; see screening.yaml's header."""

    from_: Literal["on", "stopped_on"] = Field(alias="from")
    days: int | None = Field(default=None, ge=1, le=3650)
    months: int | None = Field(default=None, ge=1, le=120)
    if_missing: Literal["assessment_date", "unknown"] = "unknown"
    show_until: bool = True

    @model_validator(mode="after")
    def _one_length(self) -> Window:
        if (self.days is None) == (self.months is None):
            raise ValueError("give exactly one of days or months")
        return self


def _check_template(text: str) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise ValueError(f"message is not a valid template: {error}") from None
    unknown = sorted(n for n in names if n not in MESSAGE_FIELDS)
    if unknown:
        allowed = ", ".join("{" + f + "}" for f in sorted(MESSAGE_FIELDS))
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} (allowed: {allowed})")
    return text


class Rule(Strict):
    finding: Code
    when: Literal["any", "in_use", "stopped", "outside_zones"] = "any"
    severity: Severity
    window: Window | None = None
    message: Text
    precaution: Text | None = None
    sources: list[SourceKey] = Field(min_length=1)

    @field_validator("message", "precaution")
    @classmethod
    def _template(cls, text: str | None) -> str | None:
        return None if text is None else _check_template(text)

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, sources: list[str]) -> list[str]:
        if len(set(sources)) != len(sources):
            raise ValueError("a source is listed twice")
        return sources


class ScreeningMessages(Strict):
    missing_date: Text

    @field_validator("missing_date")
    @classmethod
    def _template(cls, text: str) -> str:
        return _check_template(text)


class ScreeningFile(Strict):
    messages: ScreeningMessages
    rules: list[Rule] = Field(min_length=1)
