"""Properties of the outcome-scale calculators over generated inputs (Hypothesis)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microneedling.clinical.scales import InputSpec, ScaleInfo, list_scales, score
from microneedling.errors import UserError
from microneedling.knowledge import shipped_knowledge_base

KB = shipped_knowledge_base()
SCALES = list_scales(KB)


def _value(spec: InputSpec) -> st.SearchStrategy[int | float]:
    """Any accepted value of ``spec``: a whole number, or a decimal with its places."""
    if spec.kind == "integer":
        return st.integers(min_value=int(spec.min), max_value=int(spec.max))
    scale = 10**spec.decimals
    return st.integers(int(spec.min * scale), int(spec.max * scale)).map(
        lambda n: float(Decimal(n) / scale)
    )


@st.composite
def assessments(draw: st.DrawFn, info: ScaleInfo | None = None) -> tuple[ScaleInfo, dict[str, Any]]:
    """A scale and in-range inputs for every one of its inputs."""
    chosen = info if info is not None else draw(st.sampled_from(SCALES))
    return chosen, {spec.name: draw(_value(spec)) for spec in chosen.inputs}


def _totals(result_score: Any) -> list[Any]:
    """The totals that must lie within the range (POSAS: each part's, not the opinions)."""
    if isinstance(result_score, dict):
        return [value for name, value in result_score.items() if not name.endswith("_overall")]
    return [result_score]


@settings(max_examples=400, deadline=None)
@given(assessments())
def test_any_in_range_inputs_give_a_total_within_the_scale_range(
    case: tuple[ScaleInfo, dict[str, Any]],
) -> None:
    info, inputs = case
    result = score(info.code, inputs, KB).to_dict()
    low, high = result["range"]["min"], result["range"]["max"]
    assert (low, high) == info.range
    for total in _totals(result["score"]):
        assert low <= total <= high
    assert result["inputs"] == inputs
    assert result["knowledge_base"] == KB.stamp()


@settings(max_examples=200, deadline=None)
@given(assessments())
def test_scoring_is_deterministic_byte_for_byte(case: tuple[ScaleInfo, dict[str, Any]]) -> None:
    info, inputs = case
    first = json.dumps(score(info.code, inputs, KB).to_dict(), ensure_ascii=False)
    again = json.dumps(score(info.code, dict(reversed(inputs.items())), KB).to_dict(),
                       ensure_ascii=False)  # fmt: skip
    assert first == again


@settings(max_examples=200, deadline=None)
@given(assessments())
def test_a_banded_total_falls_in_the_band_it_is_given(
    case: tuple[ScaleInfo, dict[str, Any]],
) -> None:
    info, inputs = case
    result = score(info.code, inputs, KB)
    if not info.bands:
        assert result.interpretation.band is None
        return
    [band] = [band for band in info.bands if band.code == result.interpretation.band]
    assert band.min <= result.score <= band.max  # type: ignore[operator]


@settings(max_examples=300, deadline=None)
@given(assessments(), st.data())
def test_raising_one_input_never_lowers_a_total(
    case: tuple[ScaleInfo, dict[str, Any]], data: st.DataObject
) -> None:
    info, inputs = case
    spec = data.draw(st.sampled_from(info.inputs))
    raised = dict(inputs)
    raised[spec.name] = data.draw(_value(spec).filter(lambda value: value >= inputs[spec.name]))
    before = _totals(score(info.code, inputs, KB).to_dict()["score"])
    after = _totals(score(info.code, raised, KB).to_dict()["score"])
    assert all(b <= a for b, a in zip(before, after, strict=True))


@settings(max_examples=300, deadline=None)
@given(assessments(), st.data())
def test_any_out_of_range_input_is_refused_naming_it(
    case: tuple[ScaleInfo, dict[str, Any]], data: st.DataObject
) -> None:
    info, inputs = case
    spec = data.draw(st.sampled_from(info.inputs))
    below = st.integers(max_value=int(spec.min) - 1)
    above = st.integers(min_value=int(spec.max) + 1)
    inputs[spec.name] = data.draw(below | above)
    with pytest.raises(UserError) as caught:
        score(info.code, inputs, KB)
    assert caught.value.field == spec.name
    assert str(caught.value).startswith(f"{spec.name}: must be ")


@settings(max_examples=200, deadline=None)
@given(assessments())
def test_numbers_given_as_text_score_the_same(case: tuple[ScaleInfo, dict[str, Any]]) -> None:
    info, inputs = case
    as_text = {name: str(value) for name, value in inputs.items()}
    assert score(info.code, as_text, KB).to_dict() == score(info.code, inputs, KB).to_dict()
