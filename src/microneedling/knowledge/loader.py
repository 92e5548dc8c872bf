"""Loading and validating a knowledge-base folder.

:func:`load_knowledge_base` reads ``manifest.yaml`` and every file it lists, validates each against
its schema (:mod:`.schema`), runs the cross-file checks, and returns an immutable
:class:`KnowledgeBase`. Every problem found is collected and raised together as one
:class:`~microneedling.errors.KnowledgeBaseError`, each naming the file, line and path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from microneedling.errors import KnowledgeBaseError
from microneedling.knowledge import registry, schema
from microneedling.knowledge.base import Strict
from microneedling.knowledge.compiled import load_compiled
from microneedling.knowledge.knowledge_base import KnowledgeBase, of_type
from microneedling.knowledge.problems import Problems
from microneedling.knowledge.yamlsource import Path_, SourceMap, YamlError, format_path, read_yaml

#: The knowledge base shipped with the package.
SHIPPED_PATH = Path(__file__).resolve().parent / "data"

#: Largest file accepted in a knowledge-base folder (the shipped files are a few kB).
MAX_FILE_BYTES = 2_000_000


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")


def content_hash(documents: Mapping[str, Any]) -> str:
    """SHA-256 of the parsed data (file name → content), independent of comments and layout."""
    canonical = json.dumps(
        documents, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _read(folder: Path, name: str, problems: Problems) -> tuple[Any, SourceMap] | None:
    path = folder / name
    if not path.is_file():
        problems.items.append(f"{name}: file not found in {folder}")
        return None
    if path.stat().st_size > MAX_FILE_BYTES:
        problems.items.append(f"{name}: file is larger than {MAX_FILE_BYTES:,} bytes")
        return None
    try:
        return read_yaml(path)
    except YamlError as error:
        problems.items.append(str(error))
        return None


def load_knowledge_base(folder: Path | str | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base in ``folder`` (the shipped one by default)."""
    root = Path(folder) if folder is not None else SHIPPED_PATH
    if not root.is_dir():
        raise KnowledgeBaseError([f"{root}: not a folder"])
    problems = Problems()

    read = _read(root, "manifest.yaml", problems)
    if read is None:
        raise KnowledgeBaseError(problems.items)
    raw_manifest, manifest_map = read
    try:
        manifest = schema.Manifest.model_validate(raw_manifest)
    except ValidationError as error:
        problems.add_validation(manifest_map, error)
        raise KnowledgeBaseError(problems.items) from None

    documents: dict[str, Any] = {"manifest.yaml": raw_manifest}
    parsed: dict[str, Strict] = {}
    maps: dict[str, SourceMap] = {}
    for index, name in enumerate(manifest.files):
        model = registry.FILE_MODELS.get(name)
        if model is None:
            known = ", ".join(sorted(registry.FILE_MODELS))
            problems.add(manifest_map, ("files", index), f"no schema for {name!r} (known: {known})")
            continue
        read = _read(root, name, problems)
        if read is None:
            continue
        raw, smap = read
        documents[name], maps[name] = raw, smap
        try:
            parsed[name] = model.model_validate(raw)
        except ValidationError as error:
            problems.add_validation(smap, error)
    missing = sorted(set(registry.FILE_MODELS) - set(manifest.files))
    for name in missing:
        problems.add(manifest_map, ("files",), f"{name!r} is required but not listed")
    if problems.items:
        raise KnowledgeBaseError(problems.items)

    zones_file = of_type(parsed["zones.yaml"], schema.ZonesFile)
    rules = tuple(of_type(parsed["screening.yaml"], schema.ScreeningFile).rules)
    by_finding: dict[str, list[schema.Rule]] = {}
    for rule in rules:
        by_finding.setdefault(rule.finding, []).append(rule)
    kb = KnowledgeBase(
        name=manifest.name,
        version=manifest.version,
        hash=content_hash(documents),
        path=root,
        sources=of_type(parsed["sources.yaml"], schema.SourcesFile).sources,
        zone_groups=zones_file.groups,
        zones=zones_file.zones,
        concern_groups=of_type(parsed["concerns.yaml"], schema.ConcernsFile).concern_groups,
        concerns=of_type(parsed["concerns.yaml"], schema.ConcernsFile).concerns,
        findings=of_type(parsed["findings.yaml"], schema.FindingsFile).findings,
        rules=rules,
        messages=of_type(parsed["screening.yaml"], schema.ScreeningFile).messages,
        group_members={
            group: tuple(code for code, zone in zones_file.zones.items() if zone.group == group)
            for group in zones_file.groups
        },
        rules_by_finding={code: tuple(items) for code, items in by_finding.items()},
        sections=parsed,
    )
    _check_source_keys(kb, documents, maps, problems)
    _cross_check(kb, maps, problems)
    for name, check in registry.CROSS_CHECKS.items():
        if name in maps:
            check(kb, maps[name], problems)
    if problems.items:
        raise KnowledgeBaseError(problems.items)
    return kb


def _cross_check(kb: KnowledgeBase, maps: Mapping[str, SourceMap], problems: Problems) -> None:
    """Checks that span files: references resolve, nothing is left without a rule."""
    zones_map, concerns_map = maps["zones.yaml"], maps["concerns.yaml"]
    findings_map, screening_map = maps["findings.yaml"], maps["screening.yaml"]

    clash = sorted(set(kb.zones) & set(kb.zone_groups))
    for code in clash:
        problems.add(zones_map, ("zones", code), f"{code!r} is both a zone and a group name")
    for code, zone in kb.zones.items():
        if zone.group is not None and zone.group not in kb.zone_groups:
            problems.add(zones_map, ("zones", code, "group"), f"unknown group {zone.group!r}")
    for group in kb.zone_groups:
        if not any(zone.group == group for zone in kb.zones.values()):
            problems.add(zones_map, ("groups", group), f"group {group!r} has no zones")
    if "face" not in kb.zone_groups:
        problems.add(zones_map, ("groups",), "the 'face' group is required (face-scoped findings)")

    for code, concern in kb.concerns.items():
        if concern.group is not None and concern.group not in kb.concern_groups:
            problems.add(
                concerns_map, ("concerns", code, "group"), f"unknown group {concern.group!r}"
            )
        if len(set(concern.subtypes)) != len(concern.subtypes):
            problems.add(concerns_map, ("concerns", code, "subtypes"), "a subtype is listed twice")

    names = set(kb.zones) | set(kb.zone_groups)
    for code, definition in kb.findings.items():
        for index, zone_name in enumerate(definition.default_zones):
            if zone_name not in names:
                problems.add(
                    findings_map,
                    ("findings", code, "default_zones", index),
                    f"unknown zone {zone_name!r}",
                )

    for index, rule in enumerate(kb.rules):
        where = ("rules", index)
        found = kb.findings.get(rule.finding)
        if found is None:
            problems.add(
                screening_map, (*where, "finding"), f"unknown finding code {rule.finding!r}"
            )
            continue
        if rule.when in ("in_use", "stopped") and found.kind != "medication":
            problems.add(
                screening_map, (*where, "when"), f"'when: {rule.when}' applies to medications only"
            )
        if rule.when == "outside_zones" and found.scope != "local":
            problems.add(
                screening_map,
                (*where, "when"),
                "'when: outside_zones' applies to local findings only",
            )
        window = rule.window
        if window is not None:
            if window.from_ == "on" and found.kind == "medication":
                problems.add(screening_map, (*where, "window", "from"), "medications have no 'on'")
            if window.from_ == "stopped_on" and found.kind != "medication":
                problems.add(
                    screening_map, (*where, "window", "from"), "only medications have 'stopped_on'"
                )
            if window.from_ == "on" and found.dated != "on":
                problems.add(
                    screening_map,
                    (*where, "window", "from"),
                    f"{rule.finding!r} is not marked 'dated: on' in findings.yaml",
                )
        if rule.severity == "precaution" and rule.precaution is None:
            problems.add(screening_map, where, "a precaution-severity rule needs a precaution text")
        if rule.severity in ("absolute", "temporary") and rule.precaution is not None:
            problems.add(
                screening_map,
                (*where, "precaution"),
                f"a {rule.severity} finding blocks treatment; it cannot carry a precaution",
            )
    covered = {rule.finding for rule in kb.rules}
    for code, finding in kb.findings.items():
        if code not in covered:
            problems.add(findings_map, ("findings", code), f"no screening rule for {code!r}")
        if finding.dated == "on" and not any(
            rule.window is not None and rule.window.from_ == "on"
            for rule in kb.rules_by_finding.get(code, ())
        ):
            problems.add(
                findings_map,
                ("findings", code, "dated"),
                "dated, but no rule has a window 'from: on'",
            )


def _check_source_keys(
    kb: KnowledgeBase,
    documents: Mapping[str, Any],
    maps: Mapping[str, SourceMap],
    problems: Problems,
) -> None:
    """Every ``sources:`` list in every file must name keys of sources.yaml."""

    def walk(node: Any, path: Path_, smap: SourceMap) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "sources" and isinstance(value, list):
                    for index, source in enumerate(value):
                        if isinstance(source, str) and source not in kb.sources:
                            problems.add(
                                smap, (*path, key, index), f"unknown source key {source!r}"
                            )
                else:
                    walk(value, (*path, key), smap)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index), smap)

    for name, document in documents.items():
        if name not in ("manifest.yaml", "sources.yaml"):
            walk(document, (), maps[name])


@cache
def shipped_knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base, loaded once per process (from its compiled copy when the files
    and the code are unchanged since it was made: :mod:`.compiled`)."""
    return load_compiled(SHIPPED_PATH, load_knowledge_base)


__all__ = [
    "SHIPPED_PATH",
    "KnowledgeBase",
    "content_hash",
    "format_path",
    "load_knowledge_base",
    "shipped_knowledge_base",
]
