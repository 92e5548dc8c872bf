"""Issue 14, item 7: a name holding right-to-left letters, direction overrides or unpaired
isolates cannot reorder the text around it in an audit sentence, an invitation's message or a
line of the command line's output; nor can brackets in it style or break a Rich table."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.table import Table

from microneedling.cli.names import plain_name, shown_name
from microneedling.services.audit_wording import Facts, sentence
from microneedling.text_direction import EMBEDDINGS, FSI, PDI

HOSTILE = [
    "Eve\u202eeciv\u202c",  # RIGHT-TO-LEFT OVERRIDE … POP
    "\u202bمريم\u202c",  # RIGHT-TO-LEFT EMBEDDING around Arabic
    "Dan \u2067unclosed",  # an isolate never closed
    "Zoë \u2069\u2069",  # closers without openers
    "שרה כהן",  # Hebrew, no controls
]


def _balanced_outside(text: str, name_part: str) -> None:
    """No embedding or override anywhere; the name sits inside one FSI … PDI pair."""
    assert not set(text) & EMBEDDINGS
    assert f"{FSI}" in text and text.count(FSI) + text.count("\u2066") + text.count(
        "\u2067"
    ) == text.count(PDI)
    assert name_part in text


@pytest.mark.parametrize("name", HOSTILE)
def test_an_audit_sentence_isolates_each_name(name: str) -> None:
    said = sentence(
        "patient.read_record",
        Facts(who=name, patient=name, has_patient=True, details={}, actor_known=True),
    )
    assert said.count(FSI) == 2
    _balanced_outside(said, " opened the record of ")
    # What follows the names stays where it is written.
    assert said.index(" opened the record of ") < said.rindex(FSI)


def test_plain_ascii_names_stay_as_they_are() -> None:
    said = sentence("staff.add", Facts(who="Ada Lovelace", staff="Dr Cleo", role="clinician"))
    assert said == "Ada Lovelace added Dr Cleo as clinician"


@pytest.mark.parametrize("name", HOSTILE)
def test_a_lot_number_with_an_override_is_isolated_too(name: str) -> None:
    said = sentence("lot.recall", Facts(who="Ada", lot=name, details={}))
    assert not set(said) & EMBEDDINGS
    assert FSI in said


@pytest.mark.parametrize(
    "name", [*HOSTILE, "Ann [/]", "[link=https://evil.example]click[/link]", "[bold]x"]
)
def test_a_name_in_a_rich_table_is_shown_as_typed(name: str) -> None:
    console = Console(record=True, width=200, color_system=None)
    table = Table("name", "after")
    table.add_row(shown_name(name), "AFTER")
    console.print(table)  # "Ann [/]" raised MarkupError before
    out = console.export_text()
    assert "AFTER" in out
    if "[" in name:
        assert name.split("]")[0] in out  # the brackets are shown, not read as markup
    assert not set(out) & EMBEDDINGS


def test_a_plain_line_isolates_and_joins_the_parts() -> None:
    assert plain_name("Ada", None, "Lovelace") == "Ada Lovelace"
    assert plain_name("Eve\u202e", "x") == f"{FSI}Eve x{PDI}"
