"""The topical product check of REFERENCE.md A.4, walked from tables.

Policy (version 2): ingredient classes retinoid, AHA, BHA, vitamin C, fragrance, benzoyl peroxide,
exfoliant and make-up. In the first 24 h only sterile post-procedure products pass; until 72 h
nothing of the classes other than make-up; make-up until the end of the make-up window (48 h);
until 7 days (168 h) no retinoid, AHA, BHA, vitamin C or exfoliant. Windows include their start and
exclude their end: at exactly 24, 48, 72 and 168 h the later rule applies. Mineral sunscreens,
clinic-approved products and the clinic-configurable hours are in test_product_rules_v2.py.

The second half checks that ``ingredients.yaml`` refuses data that would make the policy ambiguous.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from microneedling.clinical.products import ProductCheck, check_product
from microneedling.errors import KnowledgeBaseError, UserError
from microneedling.knowledge import SHIPPED_PATH, KnowledgeBase, load_knowledge_base

BASE = "Aqua, Glycerin, Sodium Hyaluronate"

#: Hours worth checking: inside each window and both sides of each boundary.
HOURS = [0, 1, 12, 23.99, 24, 30, 47.99, 48, 71.99, 72, 100, 167.99, 168, 200, 24 * 365]

# (class, ingredient as on a label, hours from which the class is allowed)
CLASS_ROWS: list[tuple[str, str, int]] = [
    ("retinoid", "Retinol", 168),
    ("retinoid", "Retinal", 168),
    ("retinoid", "Retinaldehyde", 168),
    ("retinoid", "Tretinoin", 168),
    ("retinoid", "Adapalene", 168),
    ("retinoid", "Tazarotene", 168),
    ("retinoid", "Retinyl Palmitate", 168),
    ("retinoid", "Hydroxypinacolone Retinoate", 168),
    ("retinoid", "Retinyl Sunflowerseedate", 168),  # any "retin…" word (stem)
    ("aha", "Glycolic Acid", 168),
    ("aha", "Lactic Acid", 168),
    ("aha", "Mandelic Acid", 168),
    ("aha", "Citric Acid", 168),
    ("aha", "Malic Acid", 168),
    ("aha", "Tartaric Acid", 168),
    ("bha", "Salicylic Acid", 168),
    ("bha", "Betaine Salicylate", 168),
    ("bha", "Willow Bark Extract", 168),
    ("bha", "Salix Alba (Willow) Bark Extract", 168),
    ("vitamin_c", "Ascorbic Acid", 168),
    ("vitamin_c", "L-Ascorbic Acid", 168),
    ("vitamin_c", "Ascorbyl Glucoside", 168),
    ("vitamin_c", "Sodium Ascorbyl Phosphate", 168),
    ("vitamin_c", "Magnesium Ascorbyl Phosphate", 168),
    ("vitamin_c", "Ascorbyl Tetraisopalmitate", 168),
    ("vitamin_c", "Tetrahexyldecyl Ascorbate", 168),
    ("vitamin_c", "3-O-Ethyl Ascorbic Acid", 168),
    ("fragrance", "Parfum", 72),
    ("fragrance", "Fragrance", 72),
    ("fragrance", "Parfum (Fragrance)", 72),
    ("fragrance", "Lavandula Angustifolia (Lavender) Oil", 72),
    ("fragrance", "Citrus Limon (Lemon) Peel Oil", 72),
    ("fragrance", "Linalool", 72),
    ("fragrance", "Limonene", 72),
    ("fragrance", "Geraniol", 72),
    ("fragrance", "Citral", 72),
    ("benzoyl_peroxide", "Benzoyl Peroxide", 72),
    ("exfoliant", "Jojoba Beads", 168),
    ("exfoliant", "Pumice", 168),
    ("exfoliant", "Walnut Shell Powder", 168),
    ("exfoliant", "Silica Beads", 168),
    ("exfoliant", "Microcrystalline Cellulose Beads", 168),
    ("make_up", "Iron Oxides", 48),
    ("make_up", "CI 77491", 48),
    ("make_up", "CI 77492", 48),
    ("make_up", "CI 77499", 48),
    ("make_up", "Mica", 48),
]

# (id, phase code, hours): the window each hour falls in
PHASE_ROWS: list[tuple[float, str]] = [
    (0, "first_24_hours"),
    (23.99, "first_24_hours"),
    (24, "until_72_hours"),
    (71.99, "until_72_hours"),
    (72, "until_7_days"),
    (167.99, "until_7_days"),
    (168, "after_7_days"),
    (24 * 365, "after_7_days"),
]


def check(text: str, hours: float, kb: KnowledgeBase, **flags: bool) -> ProductCheck:
    return check_product(text, hours, kb, **flags)


@pytest.mark.parametrize(("code", "ingredient", "allowed_from"), CLASS_ROWS)
@pytest.mark.parametrize("hours", HOURS)
def test_each_class_is_blocked_in_its_windows_and_allowed_after(
    kb: KnowledgeBase, code: str, ingredient: str, allowed_from: int, hours: float
) -> None:
    # Sterile, so that in the first 24 h only the class itself can block.
    result = check(f"{BASE}, {ingredient}", hours, kb, sterile_post_procedure=True)
    assert [found.to_dict() for found in result.classes_found] == [
        {"class": code, "ingredients": [ingredient]}
    ]
    assert result.unknown_ingredients == ()
    if hours < allowed_from:
        assert result.verdict == "blocked"
        assert [reason.code for reason in result.reasons] == [code]
        assert result.allowed_from_hours == allowed_from
    else:
        assert result.verdict == "allowed"
        assert result.reasons == ()
        assert result.allowed_from_hours is None


@pytest.mark.parametrize(("hours", "phase"), PHASE_ROWS)
def test_the_window_an_hour_falls_in(kb: KnowledgeBase, hours: float, phase: str) -> None:
    assert check(BASE, hours, kb).phase.code == phase


@pytest.mark.parametrize(
    ("hours", "sterile", "verdict", "allowed_from"),
    [
        (0, False, "blocked", 24),
        (23.99, False, "blocked", 24),
        (24, False, "allowed", None),
        (0, True, "allowed", None),
        (23.99, True, "allowed", None),
        (30, True, "allowed", None),
    ],
)
def test_only_sterile_post_procedure_products_pass_in_the_first_24_hours(
    kb: KnowledgeBase, hours: float, sterile: bool, verdict: str, allowed_from: int | None
) -> None:
    result = check(BASE, hours, kb, sterile_post_procedure=sterile)
    assert result.verdict == verdict
    assert result.allowed_from_hours == allowed_from
    if verdict == "blocked":
        [reason] = result.reasons
        assert reason.code == "not_sterile"
        assert reason.sources == ("S-SKINPEN", "S-SOLTANI2014")
        assert "sterile" in reason.message


def test_a_sterile_product_with_a_restricted_class_is_still_blocked_in_the_first_24_hours(
    kb: KnowledgeBase,
) -> None:
    result = check(f"{BASE}, Ascorbic Acid", 2, kb, sterile_post_procedure=True)
    assert result.verdict == "blocked"
    assert [reason.code for reason in result.reasons] == ["vitamin_c"]


def test_a_product_that_is_not_sterile_and_has_a_class_gives_both_reasons(
    kb: KnowledgeBase,
) -> None:
    result = check(f"{BASE}, Parfum", 2, kb)
    assert [reason.code for reason in result.reasons] == ["not_sterile", "fragrance"]
    assert result.allowed_from_hours == 72


def test_issue_example_vitamin_c_and_fragrance_at_30_hours_is_blocked(kb: KnowledgeBase) -> None:
    result = check("Aqua, Glycerin, Ascorbic Acid, Parfum", 30, kb)
    data = result.to_dict()
    assert data["verdict"] == "blocked"
    assert data["phase"]["code"] == "until_72_hours"
    assert data["classes_found"] == [
        {"class": "vitamin_c", "ingredients": ["Ascorbic Acid"]},
        {"class": "fragrance", "ingredients": ["Parfum"]},
    ]
    assert [reason["code"] for reason in data["reasons"]] == ["vitamin_c", "fragrance"]
    assert "168 h (7 days)" in data["reasons"][0]["message"]
    assert "72 h (3 days)" in data["reasons"][1]["message"]
    assert {"S-SOLTANI2014", "S-FRIEDMANN2024"} <= set(data["reasons"][0]["sources"])
    assert data["allowed_from_hours"] == 168
    assert data["unknown_ingredients"] == []


@pytest.mark.parametrize(
    ("hours", "codes", "allowed_from"),
    [
        (30, ["vitamin_c", "fragrance"], 168),
        (71.99, ["vitamin_c", "fragrance"], 168),
        (72, ["vitamin_c"], 168),
        (167.99, ["vitamin_c"], 168),
        (168, [], None),
    ],
)
def test_issue_example_over_time(
    kb: KnowledgeBase, hours: float, codes: list[str], allowed_from: int | None
) -> None:
    result = check("Aqua, Glycerin, Ascorbic Acid, Parfum", hours, kb)
    assert [reason.code for reason in result.reasons] == codes
    assert result.allowed_from_hours == allowed_from


# -- unknown ingredients: block before 72 h, warn until 7 days, listed after --------------------


@pytest.mark.parametrize(
    ("hours", "verdict", "reasons", "warnings", "allowed_from"),
    [
        (0, "blocked", ["unknown_ingredients"], [], 72),
        (23.99, "blocked", ["unknown_ingredients"], [], 72),
        (24, "blocked", ["unknown_ingredients"], [], 72),
        (71.99, "blocked", ["unknown_ingredients"], [], 72),
        (72, "allowed", [], ["unknown_ingredients"], None),
        (167.99, "allowed", [], ["unknown_ingredients"], None),
        (168, "allowed", [], [], None),
    ],
)
def test_unknown_ingredient_policy(
    kb: KnowledgeBase,
    hours: float,
    verdict: str,
    reasons: list[str],
    warnings: list[str],
    allowed_from: int | None,
) -> None:
    result = check(f"{BASE}, Snail Secretion Filtrate", hours, kb, sterile_post_procedure=True)
    assert result.verdict == verdict
    assert result.unknown_ingredients == ("Snail Secretion Filtrate",)  # always listed
    assert [reason.code for reason in result.reasons] == reasons
    assert [warning.code for warning in result.warnings] == warnings
    assert result.allowed_from_hours == allowed_from
    for item in (*result.reasons, *result.warnings):
        assert "Snail Secretion Filtrate" in item.message
        assert "POLICY" in item.sources


def test_unknown_ingredient_block_message_says_cannot_confirm(kb: KnowledgeBase) -> None:
    [reason] = check(f"{BASE}, Mystery Extract", 30, kb).reasons
    assert reason.message.startswith("Cannot confirm Mystery Extract")


def test_unknown_and_restricted_together_take_the_later_time(kb: KnowledgeBase) -> None:
    result = check(f"{BASE}, Mystery Extract, Parfum", 30, kb)
    assert [reason.code for reason in result.reasons] == ["fragrance", "unknown_ingredients"]
    assert result.allowed_from_hours == 72
    result = check(f"{BASE}, Mystery Extract, Retinol", 30, kb)
    assert result.allowed_from_hours == 168


# -- make-up, pigments and mineral sunscreen filters -------------------------------------------


@pytest.mark.parametrize(
    ("hours", "verdict"), [(24, "blocked"), (47.99, "blocked"), (48, "allowed"), (72, "allowed")]
)
def test_make_up_flag_blocks_until_48_hours(kb: KnowledgeBase, hours: float, verdict: str) -> None:
    result = check(BASE, hours, kb, make_up=True)
    assert result.verdict == verdict
    assert [found.code for found in result.classes_found] == ["make_up"]
    assert result.classes_found[0].flagged
    assert result.to_dict()["classes_found"] == [{"class": "make_up", "ingredients": []}]


def test_mineral_sunscreen_filters_are_neutral_from_24_hours(kb: KnowledgeBase) -> None:
    label = "Aqua, Zinc Oxide 20%, Titanium Dioxide (CI 77891), CI 77947, Glycerin"
    result = check(label, 24, kb)
    assert result.verdict == "allowed"
    assert result.classes_found == () and result.unknown_ingredients == ()


def test_a_tinted_mineral_sunscreen_is_not_make_up(kb: KnowledgeBase) -> None:
    label = "Aqua, Zinc Oxide, Titanium Dioxide, Iron Oxides (CI 77491, CI 77492)"
    result = check(label, 30, kb)
    assert result.verdict == "allowed" and result.classes_found == ()
    assert result.mineral_sunscreen
    assert result.tint == ("Iron Oxides (CI 77491, CI 77492)",)


@pytest.mark.parametrize("pigment", ["CI 15850", "C.I. 77007", "CI77288", "D&C Red No. 7 Lake"])
def test_any_colour_pigment_but_the_white_filters_is_make_up(
    kb: KnowledgeBase, pigment: str
) -> None:
    result = check(f"{BASE}, {pigment}", 30, kb)
    assert [found.code for found in result.classes_found] == ["make_up"]


# -- result shape ------------------------------------------------------------------------------


def test_json_keys_and_knowledge_base_stamp(kb: KnowledgeBase) -> None:
    data = check("Aqua, Retinol", 100, kb).to_dict()
    assert list(data) == [
        "verdict",
        "hours_since_session",
        "phase",
        "product",
        "ingredients",
        "classes_found",
        "unknown_ingredients",
        "reasons",
        "warnings",
        "approval",
        "waived",
        "sources",
        "allowed_from_hours",
        "settings",
        "knowledge_base",
    ]
    assert data["hours_since_session"] == 100
    assert data["phase"] == {
        "code": "until_7_days",
        "label": data["phase"]["label"],
        "from_hours": 72,
        "to_hours": 168,
    }
    assert data["knowledge_base"] == kb.stamp()
    assert data["sources"][:1] == ["CLINIC-PRACTICE"]
    assert all(source in kb.sources for source in data["sources"])


def test_an_allowed_product_cites_the_window_it_is_allowed_in(kb: KnowledgeBase) -> None:
    result = check("Aqua, Retinol", 200, kb)
    assert result.verdict == "allowed" and result.sources == ("CLINIC-PRACTICE",)


def test_same_input_gives_the_same_json(kb: KnowledgeBase) -> None:
    label = "Ingredients: Aqua, Parfum, Ascorbic Acid, Mystery, CI 77491"
    assert check(label, 30.5, kb).to_dict() == check(label, 30.5, kb).to_dict()


@pytest.mark.parametrize("hours", [-1, -0.01, float("nan"), float("inf"), True, "30", None])
def test_bad_hours_are_refused(kb: KnowledgeBase, hours: object) -> None:
    with pytest.raises(UserError) as caught:
        check_product(BASE, hours, kb)  # type: ignore[arg-type]
    assert caught.value.field == "hours_since_session"


# -- ingredients.yaml refuses ambiguous data ---------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(SHIPPED_PATH, target)
    return target


def _replace(folder: Path, old: str, new: str) -> None:
    path = folder / "ingredients.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in ingredients.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(folder)
    return caught.value.problems


WINDOW_2 = "    from_hours: 24\n    to_hours: 72\n"
WINDOW_3 = "    from_hours: 72\n    to_hours: 168\n"
BLOCKS_ALL = "blocks: [retinoid, aha, bha, vitamin_c, fragrance, benzoyl_peroxide, exfoliant]"

# (id, old, new, words in a problem, path in the problem)
SCHEMA_ROWS: list[tuple[str, str, str, str, str]] = [
    ("synonym_in_two_classes", "      - Glycolic Acid\n", "      - Glycolic Acid\n      - Retinol\n",
     "'Retinol' is also listed in class 'retinoid'", "classes.aha.names"),
    ("synonym_twice_in_one_class", "      - Lactic Acid\n", "      - Lactic Acid\n      - LACTIC acid\n",
     "listed twice in class 'aha'", "classes.aha.names"),
    ("neutral_name_also_a_class_name", "    - Glycerin\n", "    - Glycerin\n    - Parfum\n",
     "'Parfum' is also listed in class 'fragrance'", "neutral.names"),
    ("neutral_name_containing_a_class_name", "    - Glycerin\n",
     "    - Glycerin\n    - Magnesium Ascorbate Complex\n", "would be matched as 'vitamin_c'",
     "neutral.names"),
    ("neutral_pigment", "    - CI 77891\n    - CI 77947", "    - CI 77891\n    - CI 77947\n    - CI 77491",
     "would be matched as 'make_up'", "neutral.names"),
    ("stem_that_matches_another_class", "    stems: [retin]\n", "    stems: [retin, citr]\n",
     "stem 'citr' also matches", "classes.retinoid.stems"),
    ("window_blocks_an_unknown_class", "    blocks: [retinoid, aha, bha, vitamin_c, exfoliant]\n",
     "    blocks: [retinoid, aha, bha, vitamin_c, exfoliant, peels]\n", "unknown class 'peels'",
     "windows[2].blocks"),
    ("overlapping_windows", WINDOW_2, "    from_hours: 20\n    to_hours: 72\n",
     "it overlaps 'first_24_hours'", "windows[1].from_hours"),
    ("gap_between_windows", WINDOW_3, "    from_hours: 80\n    to_hours: 168\n",
     "it leaves a gap after 'until_72_hours'", "windows[2].from_hours"),
    ("window_ending_before_it_starts", WINDOW_3, "    from_hours: 72\n    to_hours: 70\n",
     "to_hours must be later than from_hours", "windows[2]"),
    ("first_window_not_at_zero", "    from_hours: 0\n", "    from_hours: 1\n",
     "the first window must start at 0 hours", "windows[0].from_hours"),
    ("open_window_before_the_last", WINDOW_3, "    from_hours: 72\n    to_hours: null\n",
     "only the last window may be open-ended", "windows[2].to_hours"),
    ("last_window_closed", "    to_hours: null\n", "    to_hours: 999\n",
     "the last window must be open-ended", "windows[3].to_hours"),
    ("last_window_blocks", "    blocks: []\n", "    blocks: [retinoid]\n",
     "the last window must block nothing", "windows[3]"),
    ("restriction_tightens_later",
     "    to_hours: 72\n    " + BLOCKS_ALL,
     "    to_hours: 72\n    blocks: [retinoid, aha, bha, vitamin_c, fragrance, benzoyl_peroxide]",
     "blocks 'exfoliant', which the earlier window 'until_72_hours' allows", "windows[2].blocks"),
    ("unknown_policy_tightens_later", "    unknown: warn\n    sources: [POLICY",
     "    unknown: allow\n    sources: [POLICY", "'warn' is stricter than 'allow'",
     "windows[2].unknown"),
    ("unknown_block_in_a_window", "    unknown: warn\n", "    unknown: block\n",
     "Input should be", "windows[0].unknown"),
    ("make_up_blocked_by_a_window", "    " + BLOCKS_ALL + "\n    unknown: warn\n    sources: [POLICY",
     "    " + BLOCKS_ALL[:-1] + ", make_up]\n    unknown: warn\n    sources: [POLICY",
     "blocked by settings.make_up_window_hours, not by a window", "windows[1].blocks"),
    ("setting_default_outside_bounds", "    default: 48\n", "    default: 200\n",
     "default 200 is outside 24–168", "settings.make_up_window_hours"),
    ("setting_before_the_sterile_window", "    default: 72\n    min: 24\n",
     "    default: 72\n    min: 12\n", "may not end before the first window",
     "settings.unknown_block_hours.min"),
    ("mineral_filter_not_neutral", "    - Zinc Oxide\n    - Titanium Dioxide\n    - CI 77947\n",
     "    - Zinc Oxide\n    - Titanium Dioxide\n    - Bismuth Oxychloride\n",
     "must be on the neutral list", "sunscreen.mineral_filters[2]"),
    ("tint_that_is_no_pigment", "  tint:\n    - Iron Oxides\n", "  tint:\n    - Glycerin\n",
     "is not a make-up pigment", "sunscreen.tint"),
    ("organic_filter_on_the_neutral_list", "    - Avobenzone\n", "    - Glycerin\n",
     "is on the neutral list", "sunscreen.organic_filters[0]"),
    ("sterile_only_after_a_window_without_it", WINDOW_3,
     WINDOW_3 + "    sterile_only: true\n", "sterile_only may only apply to the first windows",
     "windows[2].sterile_only"),
    ("class_blocked_in_no_window", "  benzoyl_peroxide:\n",
     "  peels:\n    label: Peels\n    names: [Peel Solution]\n    sources: [POLICY]\n"
     "  benzoyl_peroxide:\n", "class 'peels' is blocked in no window", "classes.peels"),
    ("reserved_class_code", "  benzoyl_peroxide:\n",
     "  not_sterile:\n    label: X\n    names: [Xyz Solution]\n    sources: [POLICY]\n"
     "  benzoyl_peroxide:\n", "'not_sterile' is a reserved reason code", "classes.not_sterile"),
    ("make_up_class_missing", "  make_up:\n", "  makeup:\n",
     "the 'make_up' class is required", "classes"),
    ("two_colour_index_rules", "    names:\n      - Benzoyl Peroxide\n",
     "    colour_index: {excluding: []}\n    names:\n      - Benzoyl Peroxide\n",
     "only one class may have a colour_index rule", "classes.make_up.colour_index"),
    ("colour_index_not_five_digits", "excluding: [77891, 77947]", "excluding: [77891, 7794]",
     "not a five-digit Colour Index number", "classes.make_up.colour_index.excluding"),
    ("unknown_source_key", "    sources: [S-SOLTANI2014, S-FRIEDMANN2024, CLINIC-PRACTICE]\n",
     "    sources: [S-SOLTANI2014, S-NOBODY2020, CLINIC-PRACTICE]\n",
     "unknown source key 'S-NOBODY2020'", "classes.vitamin_c.sources[1]"),
    ("class_without_sources", "    sources: [CLINIC-PRACTICE]\n\n  benzoyl_peroxide:",
     "    sources: []\n\n  benzoyl_peroxide:", "at least 1 item", "classes.fragrance.sources"),
    ("window_without_sources", "    sources: [S-SKINPEN, S-SOLTANI2014]\n", "    sources: []\n",
     "at least 1 item", "windows[0].sources"),
    ("unknown_key", "    label: Retinoid\n", "    label: Retinoid\n    strength: high\n",
     "unknown key 'strength'", "classes.retinoid"),
    ("unknown_policy_outside_its_list", "    unknown: warn\n", "    unknown: maybe\n",
     "Input should be", "windows[0].unknown"),
    ("message_with_unknown_placeholder", "    {label} ({ingredients}): not before",
     "    {label} ({ingredient}): not before", "unknown placeholder {ingredient}",
     "messages.class_blocked"),
    ("name_without_letters", "      - Pumice\n", "      - \"--\"\n",
     "has no letters or digits", "classes.exfoliant.names"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "words", "path"),
    [row[1:] for row in SCHEMA_ROWS],
    ids=[row[0] for row in SCHEMA_ROWS],
)
def test_ingredients_yaml_refuses_ambiguous_data(
    folder: Path, old: str, new: str, words: str, path: str
) -> None:
    _replace(folder, old, new)
    problems = _problems(folder)
    matching = [p for p in problems if words in p]
    assert matching, problems
    assert matching[0].startswith("ingredients.yaml, line "), matching[0]
    assert f"({path}" in matching[0], matching[0]


def test_the_shipped_ingredients_file_is_valid_and_broad() -> None:
    kb = load_knowledge_base()
    from microneedling.knowledge.schema_products import IngredientsFile

    data = kb.section("ingredients.yaml", IngredientsFile)
    assert list(data.classes) == [
        "retinoid",
        "aha",
        "bha",
        "vitamin_c",
        "fragrance",
        "benzoyl_peroxide",
        "exfoliant",
        "make_up",
    ]
    assert len(data.neutral.names) >= 100
    assert [(w.from_hours, w.to_hours) for w in data.windows] == [
        (0, 24),
        (24, 72),
        (72, 168),
        (168, None),
    ]


def test_a_clinic_can_move_the_72_hour_boundary_in_data(folder: Path) -> None:
    _replace(folder, WINDOW_2, "    from_hours: 24\n    to_hours: 96\n")
    _replace(folder, WINDOW_3, "    from_hours: 96\n    to_hours: 168\n")
    kb = load_knowledge_base(folder)
    result = check_product("Aqua, Parfum", 80, kb)
    assert result.verdict == "blocked" and result.allowed_from_hours == 96
