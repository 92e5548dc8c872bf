"""docs/clinical-policy.md states the policy the knowledge base holds: every finding code, zone and
clinic override is named there, and its generated tables are up to date."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from microneedling.knowledge import shipped_knowledge_base
from microneedling.knowledge.overrides import PolicyOverrides

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "clinical-policy.md"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_finding_code_is_in_the_policy_page() -> None:
    missing = [code for code in shipped_knowledge_base().findings if f"`{code}`" not in _text()]
    assert missing == [], f"docs/clinical-policy.md does not name these findings: {missing}"


def test_every_zone_is_in_the_policy_page() -> None:
    missing = [code for code in shipped_knowledge_base().zones if f"`{code}`" not in _text()]
    assert missing == [], f"docs/clinical-policy.md does not name these zones: {missing}"


def test_every_clinic_override_is_in_the_policy_page() -> None:
    missing = [name for name in PolicyOverrides.model_fields if f"`{name}`" not in _text()]
    assert missing == [], f"docs/clinical-policy.md does not list these overrides: {missing}"


def test_the_generated_tables_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location(
        "clinical_policy_tables", ROOT / "tools" / "clinical_policy_tables.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert module.render(_text()) == _text(), (
        "docs/clinical-policy.md is out of date: run .venv/bin/python tools/clinical_policy_tables.py"
    )


@pytest.mark.parametrize("path", ["README.md", "docs/architecture.md", "docs/clinical-policy.md"])
def test_the_project_docs_do_not_point_outside_the_repository(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    assert "../shared" not in text
    assert "shared/clinical" not in text and "shared/DESIGN" not in text
