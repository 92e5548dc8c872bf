"""Every row of REFERENCE.md A.5, walked from tables.

The tables below are written from A.5 by hand, not read from scales.yaml: each scale's inputs and
their ranges, a worked example per scale with its total and interpretation, the lowest and highest
totals, and every range boundary just in and just out. The last part checks that a broken copy of
scales.yaml is refused, naming file, line and what is wrong.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from microneedling.clinical.scales import list_scales, score
from microneedling.errors import KnowledgeBaseError, UserError
from microneedling.knowledge import SHIPPED_PATH, KnowledgeBase, load_knowledge_base

MMASI_REGIONS = ("forehead", "right_malar", "left_malar", "chin")
GOODMAN_LESIONS = {
    # lesion type: points (A.5: 1, 2, 3; hyperplastic papular 2)
    "macular": 1,
    "mildly_atrophic": 1,
    "moderately_atrophic": 2,
    "punched_out_shallow": 2,
    "shallow_broad_atrophic": 2,
    "punched_out_deep_normal": 3,
    "punched_out_deep_abnormal": 3,
    "linear_troughed": 3,
    "deep_broad_atrophic": 3,
    "papular": 2,
}
#: Hypertrophic or keloidal scarring, scored by the area involved (A.5, policy 2): level → points.
GOODMAN_AREA_POINTS = {0: 0, 1: 6, 2: 12, 3: 18}
POSAS_OBSERVER = (
    "vascularity",
    "pigmentation",
    "thickness",
    "relief",
    "pliability",
    "surface_area",
)
POSAS_PATIENT = ("pain", "itching", "colour", "stiffness", "thickness", "irregularity")

# (scale, input, min, max): every input of every scale, as A.5 gives its range.
INPUT_RANGES: list[tuple[str, str, int, int]] = [
    ("gais", "grade", 1, 5),
    ("goodman_qualitative", "grade", 1, 4),
    *[("goodman_quantitative", lesion, 0, 1000) for lesion in GOODMAN_LESIONS],
    ("goodman_quantitative", "hypertrophic_keloid", 0, 3),
    *[("mmasi", f"{region}.area", 0, 6) for region in MMASI_REGIONS],
    *[("mmasi", f"{region}.darkness", 0, 4) for region in MMASI_REGIONS],
    ("vss", "vascularity", 0, 3),
    ("vss", "pigmentation", 0, 2),
    ("vss", "pliability", 0, 5),
    ("vss", "height", 0, 3),
    *[("posas", f"observer.{item}", 1, 10) for item in (*POSAS_OBSERVER, "overall")],
    *[("posas", f"patient.{item}", 1, 10) for item in (*POSAS_PATIENT, "overall")],
    ("glogau", "type", 1, 4),
    ("satisfaction", "vas", 0, 10),
]


def _mmasi(**regions: tuple[int, int]) -> dict[str, Any]:
    """mMASI inputs, nested: ``forehead=(area, darkness)``; regions not given are 0, 0."""
    return {
        region: {"area": regions.get(region, (0, 0))[0], "darkness": regions.get(region, (0, 0))[1]}
        for region in MMASI_REGIONS
    }


def _goodman(hypertrophic_keloid: int = 0, **counts: int) -> dict[str, int]:
    inputs = {lesion: counts.get(lesion, 0) for lesion in GOODMAN_LESIONS}
    return inputs | {"hypertrophic_keloid": hypertrophic_keloid}


def _posas(observer: list[int], patient: list[int]) -> dict[str, Any]:
    """Six item scores then the overall opinion, for each part."""
    return {
        "observer": dict(zip((*POSAS_OBSERVER, "overall"), observer, strict=True)),
        "patient": dict(zip((*POSAS_PATIENT, "overall"), patient, strict=True)),
    }


# (id, scale, inputs, score, band, interpretation label)
WORKED_EXAMPLES: list[tuple[str, str, dict[str, Any], Any, str | None, str]] = [
    ("gais_much_improved", "gais", {"grade": 2}, 2, "much_improved", "Much improved"),
    ("goodman_qualitative_moderate", "goodman_qualitative", {"grade": 3}, 3, "moderate",
     "Grade 3: moderate"),
    # macular 5 → 1×1; mildly atrophic 12 → 1×2; punched-out shallow 25 → 2×3; papular 11 → 2×2
    ("goodman_quantitative_mixed", "goodman_quantitative",
     _goodman(macular=5, mildly_atrophic=12, punched_out_shallow=25, papular=11), 13, None,
     "Goodman & Baron quantitative 13 (range 0–84)"),
    # the same plus hypertrophic or keloidal scarring over 5–20 cm² (12 points)
    ("goodman_quantitative_with_keloid", "goodman_quantitative",
     _goodman(2, macular=5, mildly_atrophic=12, punched_out_shallow=25, papular=11), 25, None,
     "Goodman & Baron quantitative 25 (range 0–84)"),
    # 0.3·2·1 + 0.3·3·2 + 0.3·3·2 + 0.1·1·1 = 0.6 + 1.8 + 1.8 + 0.1
    ("mmasi_mixed", "mmasi",
     _mmasi(forehead=(2, 1), right_malar=(3, 2), left_malar=(3, 2), chin=(1, 1)), 4.3, None,
     "mMASI 4.3 (range 0–24)"),
    ("vss_mixed", "vss", {"vascularity": 1, "pigmentation": 1, "pliability": 2, "height": 1}, 5,
     None, "VSS 5 (range 0–13)"),
    ("posas_mixed", "posas", _posas([3, 2, 4, 3, 2, 1, 4], [1, 2, 5, 3, 4, 6, 6]),
     {"observer": 15, "patient": 21, "observer_overall": 4, "patient_overall": 6}, None,
     "POSAS observer 15, patient 21 (range 6–60 each)"),
    ("glogau_roman_numeral", "glogau", {"type": "III"}, 3, "type_iii", "Type III"),
    ("satisfaction_decimal", "satisfaction", {"vas": 7.5}, 7.5, None,
     "Satisfaction VAS 7.5 (range 0–10)"),
]  # fmt: skip

# (scale, lowest total, highest total)
TOTALS: list[tuple[str, Any, Any]] = [
    ("gais", 1, 5),
    ("goodman_qualitative", 1, 4),
    ("goodman_quantitative", 0, 84),
    ("mmasi", 0, 24),
    ("vss", 0, 13),
    ("posas", 6, 60),
    ("glogau", 1, 4),
    ("satisfaction", 0, 10),
]

# (scale, value, band, label, description)
GRADES: list[tuple[str, Any, str, str, str | None]] = [
    ("gais", 1, "very_much_improved", "Very much improved", None),
    ("gais", 2, "much_improved", "Much improved", None),
    ("gais", 3, "improved", "Improved", None),
    ("gais", 4, "no_change", "No change", None),
    ("gais", 5, "worse", "Worse", None),
    ("goodman_qualitative", 1, "macular", "Grade 1: macular", "a change of colour"),
    ("goodman_qualitative", 2, "mild", "Grade 2: mild", "covered by make-up"),
    ("goodman_qualitative", 3, "moderate", "Grade 3: moderate", "flattens when the skin is stretched"),
    ("goodman_qualitative", 4, "severe", "Grade 4: severe", "does not flatten"),
    ("glogau", 1, "type_i", "Type I", "No wrinkles"),
    ("glogau", "II", "type_ii", "Type II", "Wrinkles in motion"),
    ("glogau", "iii", "type_iii", "Type III", "Wrinkles at rest"),
    ("glogau", 4, "type_iv", "Type IV", "Only wrinkles"),
    ("glogau", "IV", "type_iv", "Type IV", "Only wrinkles"),
]  # fmt: skip

SOURCES = {
    "gais": ["S-GAIS"],
    "goodman_qualitative": ["S-GOODMAN2006A"],
    "goodman_quantitative": ["S-GOODMAN2006B"],
    "mmasi": ["S-PANDYA2011"],
    "vss": ["S-VSS"],
    "posas": ["S-VANDEKAR2005"],
    "glogau": ["S-GLOGAU"],
    "satisfaction": ["S-DOGRA2014"],
}
BETTER = {"satisfaction": "higher"}


def _inputs_at(scale: str, pick: str) -> dict[str, Any]:
    """Every input of ``scale`` at its ``min`` or ``max`` (from the table above)."""
    return {name: (low if pick == "min" else high)
            for code, name, low, high in INPUT_RANGES if code == scale}  # fmt: skip


def _example(scale: str) -> dict[str, Any]:
    return next(inputs for _, code, inputs, *_ in WORKED_EXAMPLES if code == scale)


def _flat(inputs: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in inputs.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{inner}": item for inner, item in value.items()})
        else:
            flat[key] = value
    return flat


# The tables cover the knowledge base -------------------------------------------------------


def test_the_tables_name_every_scale_and_input_of_the_knowledge_base(kb: KnowledgeBase) -> None:
    shipped = {info.code: [spec.name for spec in info.inputs] for info in list_scales(kb)}
    table: dict[str, list[str]] = {}
    for scale, name, _, _ in INPUT_RANGES:
        table.setdefault(scale, []).append(name)
    assert {scale: sorted(names) for scale, names in shipped.items()} == {
        scale: sorted(names) for scale, names in table.items()
    }
    assert set(shipped) == set(SOURCES) == {scale for scale, *_ in TOTALS}


@pytest.mark.parametrize(("scale", "name", "low", "high"), INPUT_RANGES)
def test_each_input_has_the_range_of_a5(
    kb: KnowledgeBase, scale: str, name: str, low: int, high: int
) -> None:
    [spec] = [spec for info in list_scales(kb) if info.code == scale
              for spec in info.inputs if spec.name == name]  # fmt: skip
    assert (spec.min, spec.max) == (Decimal(low), Decimal(high))


# Worked examples -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "inputs", "expected", "band", "label"),
    [pytest.param(*row[1:], id=row[0]) for row in WORKED_EXAMPLES],
)
def test_worked_example(
    kb: KnowledgeBase,
    scale: str,
    inputs: dict[str, Any],
    expected: Any,
    band: str | None,
    label: str,
) -> None:
    result = score(scale, inputs, kb).to_dict()
    assert result["score"] == expected
    assert result["interpretation"]["band"] == band
    assert result["interpretation"]["label"] == label
    assert result["better"] == BETTER.get(scale, "lower")
    assert result["sources"] == SOURCES[scale]


@pytest.mark.parametrize(("scale", "inputs"), [(row[1], row[2]) for row in WORKED_EXAMPLES])
def test_flat_and_nested_inputs_give_the_same_result(
    kb: KnowledgeBase, scale: str, inputs: dict[str, Any]
) -> None:
    assert score(scale, _flat(inputs), kb).to_dict() == score(scale, inputs, kb).to_dict()


def test_result_has_exactly_the_contract_keys(kb: KnowledgeBase) -> None:
    result = score("vss", _example("vss"), kb).to_dict()
    assert list(result) == [
        "scale", "version", "inputs", "score", "range", "interpretation", "better", "warnings",
        "sources", "knowledge_base",
    ]  # fmt: skip
    assert result["scale"] == "vss"
    assert result["inputs"] == {"vascularity": 1, "pigmentation": 1, "pliability": 2, "height": 1}
    assert result["range"] == {"min": 0, "max": 13}
    assert set(result["interpretation"]) == {"band", "label", "description"}
    assert result["knowledge_base"] == kb.stamp()


def test_numeric_strings_are_normalised_to_numbers(kb: KnowledgeBase) -> None:
    result = score("vss", {"vascularity": "1", "pigmentation": " 0 ", "pliability": "2.0",
                           "height": 3.0}, kb)  # fmt: skip
    assert result.to_dict()["inputs"] == {
        "vascularity": 1, "pigmentation": 0, "pliability": 2, "height": 3}  # fmt: skip
    assert result.score == 6


def test_scale_names_are_case_and_hyphen_tolerant(kb: KnowledgeBase) -> None:
    assert score("Goodman-Qualitative", {"grade": 2}, kb).scale == "goodman_qualitative"
    assert score(" GAIS ", {"grade": 2}, kb).scale == "gais"


# Versions, conventions and warnings ----------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "words"),
    [
        ("gais", "1 = very much improved to 5 = worse"),
        ("vss", "Sullivan 1990"),
        ("vss", "total 0–13"),
        ("mmasi", "range 0–24"),
        ("posas", "observer 6 items and patient 6 items"),
        ("posas", "POSAS 2.0 (van de Kar 2005)"),
        ("glogau", "types I–IV"),
        ("goodman_quantitative", "hypertrophic/keloidal scarring by area; total 0–84"),
    ],
)
def test_results_record_the_scale_version_or_convention(
    kb: KnowledgeBase, scale: str, words: str
) -> None:
    assert words in score(scale, _example(scale), kb).version


def test_every_goodman_quantitative_result_warns_the_point_table_is_to_verify(
    kb: KnowledgeBase,
) -> None:
    for inputs in (_goodman(), _goodman(macular=3), _inputs_at("goodman_quantitative", "max")):
        warnings = score("goodman_quantitative", inputs, kb).warnings
        assert any("to be verified against the original" in w for w in warnings), warnings


def test_every_gais_result_warns_its_source_is_to_verify(kb: KnowledgeBase) -> None:
    for grade in range(1, 6):
        warnings = score("gais", {"grade": grade}, kb).warnings
        assert any("GAIS source" in w and "to be verified" in w for w in warnings), warnings


@pytest.mark.parametrize("scale", [s for s in SOURCES if s not in ("goodman_quantitative", "gais")])
def test_other_scales_carry_no_warning(kb: KnowledgeBase, scale: str) -> None:
    assert score(scale, _example(scale), kb).warnings == ()


def test_the_goodman_quantitative_table_is_flagged_to_verify_in_the_data(
    kb: KnowledgeBase,
) -> None:
    [info] = [info for info in list_scales(kb) if info.code == "goodman_quantitative"]
    assert any("still to be verified against the original" in text and warn
               for text, warn in info.to_verify)  # fmt: skip
    assert any("keloidal area levels" in text for text, _ in info.to_verify)


# What was verified, and where (recorded in the data) -----------------------------------------

# (scale, words in a verified note's `where`): the sources read for policy 2 (issue 15).
VERIFIED_WHERE: list[tuple[str, str]] = [
    ("gais", "flexikon.doccheck.com"),
    ("goodman_qualitative", "pubmed.ncbi.nlm.nih.gov/17199653"),
    ("goodman_quantitative", "10.1111/j.1473-2165.2006.00222.x"),
    ("posas", "posas.nl/instructions"),
]


@pytest.mark.parametrize(("scale", "where"), VERIFIED_WHERE)
def test_each_corrected_scale_records_what_was_verified_and_where(
    kb: KnowledgeBase, scale: str, where: str
) -> None:
    [info] = [info for info in list_scales(kb) if info.code == scale]
    assert any(where in note_where for _, _, note_where, _ in info.verified), info.verified
    data = info.to_dict()
    assert all(set(note) == {"row", "what", "where", "kind"} for note in data["verified"])


@pytest.mark.parametrize("scale", ["gais", "goodman_quantitative"])
def test_what_could_not_be_verified_is_marked_to_verify(kb: KnowledgeBase, scale: str) -> None:
    [info] = [info for info in list_scales(kb) if info.code == scale]
    assert any(warn for _, warn in info.to_verify)


def test_posas_cites_version_2_and_gais_no_longer_cites_the_skinpen_trial(
    kb: KnowledgeBase,
) -> None:
    infos = {info.code: info for info in list_scales(kb)}
    assert infos["posas"].sources == ("S-VANDEKAR2005",)
    assert "S-SKINPEN" not in infos["gais"].sources
    assert "S-SKINPEN-TRIAL" not in infos["gais"].sources


# The hypertrophic/keloidal row of Goodman & Baron quantitative --------------------------------


@pytest.mark.parametrize(("level", "points"), list(GOODMAN_AREA_POINTS.items()))
def test_goodman_hypertrophic_keloid_scores_by_area(
    kb: KnowledgeBase, level: int, points: int
) -> None:
    assert score("goodman_quantitative", _goodman(level), kb).score == points
    with_lesions = _goodman(level, deep_broad_atrophic=21)  # 3 × 3 = 9
    assert score("goodman_quantitative", with_lesions, kb).score == points + 9


def test_goodman_area_levels_are_worded_with_their_points(kb: KnowledgeBase) -> None:
    [info] = [info for info in list_scales(kb) if info.code == "goodman_quantitative"]
    [spec] = [spec for spec in info.inputs if spec.name == "hypertrophic_keloid"]
    assert spec.levels == (
        (0, "None (0 points)"),
        (1, "Area < 5 cm² (6 points)"),
        (2, "Area 5–20 cm² (12 points)"),
        (3, "Area > 20 cm² (18 points)"),
    )


# Grades and bands ----------------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "value", "band", "label", "description"), GRADES)
def test_each_grade_reads_as_a5_says(
    kb: KnowledgeBase, scale: str, value: Any, band: str, label: str, description: str | None
) -> None:
    [name] = [name for code, name, *_ in INPUT_RANGES if code == scale]
    interpretation = score(scale, {name: value}, kb).interpretation
    assert (interpretation.band, interpretation.label) == (band, label)
    if description is None:
        assert interpretation.description is None
    else:
        assert description in (interpretation.description or "")


# Formulas ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "weight"),
    [("forehead", Decimal("0.3")), ("right_malar", Decimal("0.3")),
     ("left_malar", Decimal("0.3")), ("chin", Decimal("0.1"))],
)  # fmt: skip
@pytest.mark.parametrize(("area", "darkness"), [(1, 1), (6, 4), (3, 2), (0, 4), (6, 0)])
def test_mmasi_weighs_each_region_by_area_times_darkness(
    kb: KnowledgeBase, region: str, weight: Decimal, area: int, darkness: int
) -> None:
    result = score("mmasi", _mmasi(**{region: (area, darkness)}), kb)
    assert result.score == float(weight * area * darkness)


@pytest.mark.parametrize(
    ("count", "multiplier"),
    [(0, 0), (1, 1), (10, 1), (11, 2), (20, 2), (21, 3), (1000, 3)],
)
@pytest.mark.parametrize(("lesion", "points"), list(GOODMAN_LESIONS.items()))
def test_goodman_quantitative_scores_points_times_count_band(
    kb: KnowledgeBase, lesion: str, points: int, count: int, multiplier: int
) -> None:
    assert (
        score("goodman_quantitative", _goodman(**{lesion: count}), kb).score == points * multiplier
    )


def test_posas_overall_opinions_are_not_added_to_the_totals(kb: KnowledgeBase) -> None:
    low = score("posas", _posas([1] * 6 + [10], [1] * 6 + [10]), kb).score
    assert low == {"observer": 6, "patient": 6, "observer_overall": 10, "patient_overall": 10}


# Lowest and highest totals -------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "lowest", "highest"), TOTALS)
def test_lowest_and_highest_totals(
    kb: KnowledgeBase, scale: str, lowest: Any, highest: Any
) -> None:
    low = score(scale, _inputs_at(scale, "min"), kb)
    high = score(scale, _inputs_at(scale, "max"), kb)
    assert low.range == (lowest, highest) == high.range
    if scale == "posas":
        assert low.score == {"observer": 6, "patient": 6, "observer_overall": 1,
                             "patient_overall": 1}  # fmt: skip
        assert high.score == {"observer": 60, "patient": 60, "observer_overall": 10,
                              "patient_overall": 10}  # fmt: skip
    else:
        assert (low.score, high.score) == (lowest, highest)


# Range boundaries: in and just out -----------------------------------------------------------


def _with(scale: str, name: str, value: Any) -> dict[str, Any]:
    inputs = _inputs_at(scale, "min")
    inputs[name] = value
    return inputs


@pytest.mark.parametrize(("scale", "name", "low", "high"), INPUT_RANGES)
def test_range_boundaries_are_accepted(
    kb: KnowledgeBase, scale: str, name: str, low: int, high: int
) -> None:
    assert score(scale, _with(scale, name, low), kb).inputs[name] == low
    assert score(scale, _with(scale, name, high), kb).inputs[name] == high


@pytest.mark.parametrize(("scale", "name", "low", "high"), INPUT_RANGES)
def test_just_outside_the_range_is_refused_naming_the_input(
    kb: KnowledgeBase, scale: str, name: str, low: int, high: int
) -> None:
    step = Decimal("0.1") if scale == "satisfaction" else 1
    for outside in (low - step, high + step):
        with pytest.raises(UserError) as caught:
            score(scale, _with(scale, name, outside), kb)
        assert caught.value.field == name
        assert str(caught.value).startswith(f"{name}: must be {low}–{high}")
        assert f"got {outside}" in str(caught.value)


def test_the_example_of_the_brief(kb: KnowledgeBase) -> None:
    inputs = _flat(_example("mmasi"))
    inputs["right_malar.area"] = 7
    with pytest.raises(UserError) as caught:
        score("mmasi", inputs, kb)
    assert str(caught.value) == "right_malar.area: must be 0–6, got 7"


# Input errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "change", "words"),
    [
        ("vss", {"vascularity": 1.5}, "vascularity: must be a whole number, got 1.5"),
        ("vss", {"height": "2.5"}, "height: must be a whole number, got 2.5"),
        ("vss", {"height": "two"}, "height: must be 0–3, got 'two'"),
        ("vss", {"height": True}, "height: must be a number, got true"),
        ("vss", {"height": None}, "height: must be a number, got null"),
        ("vss", {"height": float("nan")}, "height: must be a number, got nan"),
        ("vss", {"height": [1]}, "height: must be a number, got a list"),
        ("vss", {"height": 10**40}, "height: must be 0–3, got a number that large"),
        ("vss", {"colour": 1}, "colour: not an input of VSS"),
        ("vss", {"vascularty": 1}, "did you mean 'vascularity'?"),
        ("satisfaction", {"vas": 7.25}, "vas: must have at most 1 decimal place, got 7.25"),
        ("glogau", {"type": "V"}, "type: must be 1–4 or I, II, III, IV, got 'V'"),
        ("goodman_quantitative", {"papular": 1001}, "papular: must be 0–1000, got 1001"),
        (
            "goodman_quantitative",
            {"hypertrophic_keloid": 4},
            "hypertrophic_keloid: must be 0–3, got 4",
        ),
        (
            "goodman_quantitative",
            {"hypertrophic_keloid": 1.5},
            "hypertrophic_keloid: must be a whole number, got 1.5",
        ),
        (
            "goodman_quantitative",
            {"hypertrophic_keloid": "large"},
            "hypertrophic_keloid: must be 0–3, got 'large'",
        ),
        (
            "goodman_quantitative",
            {"hypertrophic_keloid": "6 cm2"},
            "hypertrophic_keloid: must be 0–3, got '6 cm2'",
        ),
        (
            "goodman_quantitative",
            {"hypertrophic_keloid": -1},
            "hypertrophic_keloid: must be 0–3, got -1",
        ),
        (
            "goodman_quantitative",
            {"hypertrophic_keloid": None},
            "hypertrophic_keloid: must be a number, got null",
        ),
        (
            "goodman_quantitative",
            {"hypertrophic_keloids": 1},
            "did you mean 'hypertrophic_keloid'?",
        ),
        ("goodman_quantitative", {"keloid": 1}, "keloid: not an input of Goodman & Baron"),
    ],
)
def test_bad_values_are_refused_naming_the_input(
    kb: KnowledgeBase, scale: str, change: dict[str, Any], words: str
) -> None:
    with pytest.raises(UserError) as caught:
        score(scale, {**_example(scale), **change}, kb)
    assert words in str(caught.value)


def test_the_keloid_row_is_required(kb: KnowledgeBase) -> None:
    inputs = _goodman()
    del inputs["hypertrophic_keloid"]
    with pytest.raises(UserError) as caught:
        score("goodman_quantitative", inputs, kb)
    assert str(caught.value) == "hypertrophic_keloid: is required"


def test_a_missing_input_is_named(kb: KnowledgeBase) -> None:
    inputs = _example("vss")
    del inputs["height"]
    with pytest.raises(UserError) as caught:
        score("vss", inputs, kb)
    assert str(caught.value) == "height: is required"


def test_every_missing_input_is_listed(kb: KnowledgeBase) -> None:
    with pytest.raises(UserError) as caught:
        score("vss", {"vascularity": 1}, kb)
    assert str(caught.value) == "missing inputs: pigmentation, pliability, height"
    assert [field for field, _ in caught.value.fields] == ["pigmentation", "pliability", "height"]


def test_an_input_given_flat_and_nested_is_refused(kb: KnowledgeBase) -> None:
    inputs = _example("mmasi") | {"forehead.area": 1}
    with pytest.raises(UserError, match=r"forehead\.area: is given twice"):
        score("mmasi", inputs, kb)


def test_an_unknown_scale_is_refused_listing_the_known_ones(kb: KnowledgeBase) -> None:
    with pytest.raises(UserError) as caught:
        score("masi", {}, kb)
    assert caught.value.field == "scale"
    assert "unknown scale 'masi'" in str(caught.value) and "mmasi" in str(caught.value)


# Schema refusals -----------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(SHIPPED_PATH, target)
    return target


def _replace(folder: Path, old: str, new: str) -> None:
    path = folder / "scales.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in scales.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(folder)
    return caught.value.problems


def _line_of(folder: Path, text: str) -> int:
    lines = (folder / "scales.yaml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


GAIS_IMPROVED = "      - {min: 3, max: 3, code: improved, label: Improved}\n"
GAIS_NO_CHANGE = "      - {min: 4, max: 4, code: no_change, label: No change}\n"
GAIS_WORSE = "      - {min: 5, max: 5, code: worse, label: Worse}\n"
VSS_RANGE = "    method: sum\n    range: {min: 0, max: 13}\n"
KELOID_LEVEL_2 = '          - {value: 2, label: "Area 5–20 cm²", points: 12}\n'


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (GAIS_IMPROVED, "", "band 'no_change' leaves a gap after band 'much_improved'"),
        (GAIS_NO_CHANGE, GAIS_NO_CHANGE.replace("min: 4", "min: 3"),
         "band 'no_change' overlaps band 'improved'"),
        (GAIS_WORSE, "", "bands must end at the range's max (5)"),
        (GAIS_WORSE, GAIS_WORSE.replace("code: worse", "code: improved"),
         "band code 'improved' is repeated"),
        (VSS_RANGE, VSS_RANGE.replace("max: 13", "max: 14"),
         "declared range 0–14, but the inputs give 0–13"),
        ("chin: {label: Chin, weight: 0.1}", "chin: {label: Chin, weight: 0.2}",
         "declared range 0–24, but the inputs give 0–26.4"),
        ("chin: {label: Chin, weight: 0.1}", "chin: {label: Chin, weight: -0.1}",
         "greater than 0"),
        ("label: Vascularity\n        min: 0\n", "label: Vascularity\n        min: 4\n",
         "min (4) is greater than max (3)"),
        ("label: Height\n        min: 0\n        max: 3\n",
         "label: Height\n        min: 0\n        max: 3.5\n",
         "a whole-number item needs whole-number min and max"),
        ("label: Pigmentation\n        min: 0\n        max: 2\n",
         "label: Pigmentation\n        min: 0\n        max: 3\n",
         "levels must describe each value from 0 to 3"),
        ("papular: {label: Papular scars, group: hyperplastic",
         "papular: {label: Papular scars, group: hypertrophic", "unknown lesion group 'hypertrophic'"),
        ("{min: 11, max: 20, multiplier: 2}", "{min: 12, max: 20, multiplier: 2}",
         "count bands must follow on: expected min 11"),
        ("{min: 21, multiplier: 3}", "{min: 21, max: 30, multiplier: 3}",
         "counts from 31 to max_count (1000) fall in no band"),
        ("{min: 21, multiplier: 3}", "{min: 21, multiplier: 1}",
         "multipliers must increase with the count"),
        ("sources: [S-VSS]", "sources: [S-VSS, S-NOBODY2020]", "unknown source key 'S-NOBODY2020'"),
        ("sources: [S-VSS]", "sources: []", "at least 1 item"),
        ("sources: [S-VSS]", "sources: [S-VSS, S-VSS]", "a source is listed twice"),
        (VSS_RANGE, VSS_RANGE.replace("method: sum", "method: regions"),
         "method 'regions' needs 'factors'"),
        (VSS_RANGE, VSS_RANGE + "    max_count: 5\n", "'max_count' is only used with method"),
        ("    better: higher\n", "    better: up\n", "Input should be 'lower' or 'higher'"),
        ("    better: higher\n", "    better: higher\n    weights: {vas: 1}\n", "unknown key 'weights'"),
        ("kind: decimal\n        decimals: 1\n", "kind: decimal\n", "needs 'decimals'"),
        ("          pain: {label: Pain, min: 1, max: 10}\n",
         "          pain: {label: Pain, min: 1, max: 10}\n"
         "          overall: {label: Overall, min: 1, max: 10}\n", "'overall' is the overall opinion"),
        ("          pain: {label: Pain, min: 1, max: 10}\n",
         "          pain: {label: Pain, min: 1, max: 9}\n",
         "part totals 6–59 differ from the declared range 6–60"),
        ("code: type_iv, symbol: IV", "code: type_iv, symbol: III", "symbol 'III' is repeated"),
        (KELOID_LEVEL_2, KELOID_LEVEL_2.replace("points: 12", "points: 4"),
         "points must increase with the area, got [0, 6, 4, 18]"),
        (KELOID_LEVEL_2, KELOID_LEVEL_2.replace("value: 2", "value: 5"),
         "levels must be numbered 0, 1, 2"),
        ("{value: 0, label: None, points: 0}", "{value: 0, label: None, points: 1}",
         "level 0 means none of it and scores 0 points"),
        ("        group: hyperplastic\n        levels:", "        group: keloid\n        levels:",
         "unknown lesion group 'keloid'"),
        ("    range: {min: 0, max: 84}", "    range: {min: 0, max: 66}",
         "declared range 0–66, but the inputs give 0–84"),
        (VSS_RANGE, VSS_RANGE + "    area_rows: {x: {label: X, group: g, levels: "
         "[{value: 0, label: N, points: 0}, {value: 1, label: Y, points: 1}]}}\n",
         "'area_rows' is only used with method 'lesion_counts'"),
        ("      papular: {label: Papular scars, group: hyperplastic, points: 2}\n",
         "      papular: {label: Papular scars, group: hyperplastic, points: 2}\n"
         "      hypertrophic_keloid: {label: X, group: hyperplastic, points: 2}\n",
         "'hypertrophic_keloid' is both a lesion type and an area row"),
        ("        kind: secondary\n", "        kind: hearsay\n", "Input should be 'original'"),
        ("    verified:\n      - what:", "    verified:\n      - when:", "unknown key 'when'"),
    ],
)  # fmt: skip
def test_a_broken_scales_file_is_refused(folder: Path, old: str, new: str, words: str) -> None:
    _replace(folder, old, new)
    problems = _problems(folder)
    assert any(words in problem for problem in problems), problems
    assert all(problem.startswith("scales.yaml") for problem in problems), problems


def test_a_scale_without_bands_needs_an_interpretation(folder: Path) -> None:
    path = folder / "scales.yaml"
    text = path.read_text(encoding="utf-8")
    cut = re.sub(r"    interpretation: >-\n      0–10, higher[^\n]*\n[^\n]*\n", "", text)
    assert cut != text
    path.write_text(cut, encoding="utf-8")
    [problem] = _problems(folder)
    assert problem.startswith("scales.yaml, line ") and "(scales.satisfaction)" in problem
    assert "a scale without bands needs an 'interpretation'" in problem


def test_a_band_problem_names_the_line_of_the_band(folder: Path) -> None:
    _replace(folder, GAIS_NO_CHANGE, GAIS_NO_CHANGE.replace("min: 4", "min: 3"))
    line = _line_of(folder, "code: no_change")
    [problem] = _problems(folder)
    assert problem.startswith(f"scales.yaml, line {line} (scales.gais.bands[3].min):"), problem


def test_an_unknown_group_names_the_line_of_the_lesion(folder: Path) -> None:
    _replace(folder, "papular: {label: Papular scars, group: hyperplastic",
             "papular: {label: Papular scars, group: hypertrophic")  # fmt: skip
    line = _line_of(folder, "papular: {label")
    problems = _problems(folder)
    assert f"scales.yaml, line {line} (scales.goodman_quantitative.lesion_types.papular.group):" \
        " unknown lesion group 'hypertrophic'" in problems  # fmt: skip
    # The hypertrophic/keloidal area row still belongs to the hyperplastic group.
    assert not any("group 'hyperplastic' has no lesions" in problem for problem in problems)


def test_the_scales_file_is_in_the_content_hash(folder: Path) -> None:
    shipped = load_knowledge_base().hash
    _replace(folder, "max_count: 1000", "max_count: 999")
    assert load_knowledge_base(folder).hash != shipped
