"""The knowledge-base schema refuses bad data, naming file, line and what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from microneedling.errors import KnowledgeBaseError
from microneedling.knowledge import SHIPPED_PATH, load_knowledge_base
from microneedling.knowledge.loader import content_hash


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(SHIPPED_PATH, target)
    return target


def _replace(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(folder)
    return caught.value.problems


def _line_of(folder: Path, name: str, text: str) -> int:
    for number, line in enumerate((folder / name).read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(text)


def test_the_shipped_knowledge_base_is_valid() -> None:
    kb = load_knowledge_base()
    assert kb.version == "2.0.0"
    assert kb.hash.startswith("sha256:") and len(kb.hash) == 7 + 64


def test_unknown_key_is_refused_with_file_line_and_path(folder: Path) -> None:
    _replace(folder, "screening.yaml", "  - finding: bleeding_disorder\n",
             "  - finding: bleeding_disorder\n    severty: absolute\n")  # fmt: skip
    line = _line_of(folder, "screening.yaml", "severty")
    [problem] = _problems(folder)
    assert problem.startswith(f"screening.yaml, line {line} (rules[")
    assert "unknown key 'severty'" in problem


def test_duplicate_key_is_refused(folder: Path) -> None:
    _replace(folder, "zones.yaml", "  nose: {label: Nose, group: face}\n",
             "  nose: {label: Nose, group: face}\n  nose: {label: Nose again, group: face}\n")  # fmt: skip
    [problem] = _problems(folder)
    assert "zones.yaml, line" in problem and "duplicate key 'nose'" in problem


def test_unknown_finding_code_in_a_rule_is_refused(folder: Path) -> None:
    _replace(folder, "screening.yaml", "finding: bleeding_disorder", "finding: bleeding_disordr")
    problems = _problems(folder)
    assert any("unknown finding code 'bleeding_disordr'" in p for p in problems)
    # and the finding left without a rule is reported too
    assert any("no screening rule for 'bleeding_disorder'" in p for p in problems)


def test_rule_without_sources_is_refused(folder: Path) -> None:
    _replace(folder, "screening.yaml",
             '    message: "Bleeding disorder: do not treat."\n    sources: [S-SKINPEN]\n',
             '    message: "Bleeding disorder: do not treat."\n    sources: []\n')  # fmt: skip
    [problem] = _problems(folder)
    assert "screening.yaml, line" in problem and "sources" in problem
    assert "at least 1 item" in problem


def test_rule_missing_its_sources_key_is_refused(folder: Path) -> None:
    _replace(folder, "screening.yaml",
             '    message: "Bleeding disorder: do not treat."\n    sources: [S-SKINPEN]\n',
             '    message: "Bleeding disorder: do not treat."\n')  # fmt: skip
    [problem] = _problems(folder)
    assert "missing required key 'sources'" in problem


def test_unknown_source_key_is_refused(folder: Path) -> None:
    _replace(folder, "screening.yaml", "sources: [S-SKINPEN]", "sources: [S-SKINPEN, S-NOBODY2020]")
    [problem] = _problems(folder)
    assert "unknown source key 'S-NOBODY2020'" in problem
    assert problem.startswith("screening.yaml, line ")


@pytest.mark.parametrize(
    ("name", "old", "new", "words"),
    [
        ("screening.yaml", "days: 7, if_missing: unknown", "days: -7, if_missing: unknown",
         "greater than or equal to 1"),
        ("screening.yaml", "{from: stopped_on, months: 6}", "{from: stopped_on, months: 6, days: 3}",
         "exactly one of days or months"),
        ("screening.yaml", "    severity: absolute\n", "    severity: forbidden\n", "Input should be"),
        ("findings.yaml", "fitzpatrick_from: 4, fitzpatrick_to: 6",
         "fitzpatrick_from: 4, fitzpatrick_to: 9", "less than or equal to 6"),
        ("findings.yaml", "fitzpatrick_from: 4, fitzpatrick_to: 6",
         "fitzpatrick_from: 6, fitzpatrick_to: 4", "greater than fitzpatrick_to"),
        ("findings.yaml", "age_below_years: 18", "age_below_years: -18", "greater than or equal"),
        ("findings.yaml", "scope: systemic, label: Pregnancy", "scope: galactic, label: Pregnancy",
         "Input should be"),
        ("zones.yaml", "cheeks: {label: Cheeks, group: face}", "cheeks: {label: Cheeks, group: torso}",
         "unknown group 'torso'"),
        ("screening.yaml", 'on {zones}: do not treat."', 'on {zone}: do not treat."',
         "unknown placeholder {zone}"),
        ("manifest.yaml", 'version: "2.0.0"', 'version: "one"', "String should match pattern"),
        ("manifest.yaml", "  - screening.yaml\n", "  - screening.yaml\n  - nonsense.yaml\n",
         "no schema for 'nonsense.yaml'"),
        ("manifest.yaml", "  - screening.yaml\n", "", "'screening.yaml' is required but not listed"),
        ("screening.yaml", "    when: in_use\n", "    when: sometimes\n", "Input should be"),
        ("screening.yaml", "  - finding: skin_cancer_history\n",
         "  - finding: skin_cancer_history\n    when: outside_zones\n",
         "'when: outside_zones' applies to local findings only"),
        ("screening.yaml", "  - finding: tanning\n", "  - finding: tanning\n    when: stopped\n",
         "applies to medications only"),
    ],
)  # fmt: skip
def test_impossible_values_are_refused(
    folder: Path, name: str, old: str, new: str, words: str
) -> None:
    _replace(folder, name, old, new)
    problems = _problems(folder)
    assert any(words in p for p in problems), problems


def test_invalid_yaml_names_file_and_line(folder: Path) -> None:
    _replace(
        folder,
        "zones.yaml",
        "  nose: {label: Nose, group: face}",
        "  nose: {label: Nose, group: [face}",
    )
    [problem] = _problems(folder)
    assert problem.startswith("zones.yaml, line ") and "not valid YAML" in problem


def test_missing_file_is_reported(folder: Path) -> None:
    (folder / "concerns.yaml").unlink()
    [problem] = _problems(folder)
    assert problem.startswith("concerns.yaml: file not found")


def test_all_problems_are_reported_together(folder: Path) -> None:
    _replace(folder, "screening.yaml", "sources: [S-SKINPEN]", "sources: [S-NOPE]")
    _replace(
        folder,
        "zones.yaml",
        "cheeks: {label: Cheeks, group: face}",
        "cheeks: {label: Cheeks, group: torso}",
    )
    assert len(_problems(folder)) == 2


def test_not_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="not a folder"):
        load_knowledge_base(tmp_path / "nowhere")


def test_yaml_aliases_are_refused(folder: Path) -> None:
    _replace(
        folder,
        "zones.yaml",
        "  nose: {label: Nose, group: face}",
        "  nose: &n {label: Nose, group: face}\n  x: *n",
    )
    [problem] = _problems(folder)
    assert "anchors and aliases" in problem


def test_hash_ignores_comments_but_not_values(folder: Path) -> None:
    shipped = load_knowledge_base().hash
    (folder / "zones.yaml").write_text(
        "# an extra comment\n" + (folder / "zones.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    assert load_knowledge_base(folder).hash == shipped
    _replace(
        folder, "screening.yaml", "days: 7, if_missing: unknown", "days: 8, if_missing: unknown"
    )
    assert load_knowledge_base(folder).hash != shipped


def test_content_hash_is_order_independent_for_keys() -> None:
    assert content_hash({"a": {"x": 1, "y": 2}}) == content_hash({"a": {"y": 2, "x": 1}})


def test_every_b3_source_key_is_in_sources_yaml() -> None:
    reference = Path(__file__).resolve().parents[3] / "shared" / "clinical" / "REFERENCE.md"
    if not reference.exists():
        pytest.skip(f"shared reference not found at {reference}")
    import re

    section = reference.read_text(encoding="utf-8").split("### B.3 Sources", 1)[1]
    keys = set(re.findall(r"\*\*([A-Z][A-Z0-9.\-]+)\*\*", section))
    kb = load_knowledge_base()
    assert keys, "no keys parsed from B.3"
    assert keys <= set(kb.sources), sorted(keys - set(kb.sources))
