"""Every action code the services can write into the audit log has its wording: a plain name
and a sentence that reads without codes or ids."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from microneedling.services import audit_wording
from microneedling.services.access import PERMISSIONS
from microneedling.services.audit_wording import WORDING, Facts, action_name, sentence

SERVICES = Path(audit_wording.__file__).parent


def written_action_codes() -> set[str]:
    """Every action code in the services' source: the action of each ``Transaction(...)`` and
    each ``action=`` given to ``....append(...)``."""
    found: set[str] = set()
    for path in SERVICES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if isinstance(node.func, ast.Name):
                name = node.func.id
            if name == "Transaction" and len(node.args) >= 3:
                code = node.args[2]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    found.add(code.value)
            if name == "append":
                for keyword in node.keywords:
                    value = keyword.value
                    if keyword.arg == "action" and isinstance(value, ast.Constant):
                        found.add(str(value.value))
    return found


def test_every_action_code_the_services_write_has_a_wording() -> None:
    written = written_action_codes()
    assert {"clinic.create", "account.sign_in", "account.sign_in_refused", "chart.create"} <= (
        written
    )
    assert written - set(WORDING) == set()


def test_every_action_of_the_role_matrix_has_a_wording() -> None:
    assert set(PERMISSIONS) - set(WORDING) == set()


@pytest.mark.parametrize("action", sorted(WORDING))
def test_each_sentence_reads_without_codes_or_gaps(action: str) -> None:
    facts = Facts(who="Dr Clara Jansen", patient="Sara Smits", staff="Nadia Newcomer")
    facts["has_patient"] = True
    said = sentence(action, facts)
    assert said[0].isupper()
    assert "{" not in said and "_" not in said and action not in said
    assert "None" not in said and "  " not in said
    assert action_name(action)[0].isupper() and "_" not in action_name(action)


@pytest.mark.parametrize(
    ("action", "facts", "expected"),
    [
        ("patient.read_record", {"who": "Dr Clara Jansen", "patient": "Sara Smits"},
         "Dr Clara Jansen opened the record of Sara Smits"),
        ("staff.add", {"who": "Olivia Owens", "staff": "Nadia Newcomer", "role": "front desk"},
         "Olivia Owens added Nadia Newcomer as front desk"),
        ("series.book", {"who": "Femke de Vries", "patient": "Sara Smits", "sessions": 4},
         "Femke de Vries booked 4 sessions for Sara Smits"),
        ("series.book", {"who": "Femke de Vries", "patient": "Sara Smits", "sessions": 1},
         "Femke de Vries booked 1 session for Sara Smits"),
        ("clinic.create", {"who": "The system (demo loader)", "staff": "Olivia Owens"},
         "The system (demo loader) created the clinic with Olivia Owens as its owner"),
        ("appointment.update_status",
         {"who": "Femke de Vries", "patient": "Sara Smits", "details": {"to": "no_show"}},
         "Femke de Vries marked Sara Smits as a no-show"),
        ("audit.read", {"who": "Olivia Owens", "details": {"export": "csv"}},
         "Olivia Owens downloaded the audit log as CSV"),
        ("patient.search", {"who": "Femke de Vries", "details": {"results": 1}},
         "Femke de Vries looked up patients (1 result)"),
        ("account.sign_in_refused", {"details": {"reason": "wrong password"}},
         "A sign-in was refused (wrong password)"),
    ],
)  # fmt: skip
def test_sentences_name_people(action: str, facts: dict[str, object], expected: str) -> None:
    assert sentence(action, Facts(facts)) == expected


def test_an_unknown_code_still_reads_as_words() -> None:
    assert sentence("future.thing_done", Facts(who="Olivia Owens")) == (
        "Olivia Owens: future thing done"
    )
    assert action_name("future.thing_done") == "Future thing done"
