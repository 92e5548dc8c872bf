"""Names cannot reorder the text around them: direction overrides and unpaired isolates are
removed, and the name is isolated (FSI … PDI)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from microneedling.text_direction import (
    CONTROLS,
    EMBEDDINGS,
    FSI,
    ISOLATES,
    PDI,
    balanced,
    isolated,
    without_controls,
)

#: Text made mostly of direction controls, with some letters of both directions.
BIDI_TEXT = st.text(alphabet=st.sampled_from(sorted(CONTROLS) + list("aZ אב ,.")), max_size=60)


def _is_balanced(text: str) -> bool:
    depth = 0
    for c in text:
        if c in ISOLATES and c != PDI:
            depth += 1
        elif c == PDI:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def test_a_right_to_left_override_is_removed_and_the_name_isolated() -> None:
    assert isolated("Ada\u202eecilA") == f"{FSI}AdaecilA{PDI}"


def test_paired_isolates_are_kept_and_unpaired_ones_dropped() -> None:
    assert balanced("\u2069a\u2067b\u2069\u2068") == "a\u2067b\u2069"
    assert balanced("\u2066\u2066x\u2069") == "\u2066x\u2069"


def test_an_ordinary_name_is_unchanged_inside_the_isolate() -> None:
    assert isolated("Nguyễn 王芳") == f"{FSI}Nguyễn 王芳{PDI}"
    assert isolated("") == f"{FSI}{PDI}"
    assert without_controls("José Ñúñez") == "José Ñúñez"


@given(st.one_of(BIDI_TEXT, st.text(max_size=80)))
def test_any_name_comes_out_balanced_with_no_override(name: str) -> None:
    result = isolated(name)
    assert result.startswith(FSI) and result.endswith(PDI)
    assert _is_balanced(result)
    assert not set(result) & EMBEDDINGS
    assert without_controls(name) == without_controls(result)


@given(st.one_of(BIDI_TEXT, st.text(max_size=80)))
def test_without_controls_leaves_no_control_and_every_other_character(name: str) -> None:
    result = without_controls(name)
    assert not set(result) & CONTROLS
    assert result == "".join(c for c in name if c not in CONTROLS)


@given(BIDI_TEXT)
def test_balancing_twice_changes_nothing(name: str) -> None:
    assert balanced(balanced(name)) == balanced(name)
