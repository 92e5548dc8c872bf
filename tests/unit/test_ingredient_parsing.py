"""Reading ingredient lists as printed on real labels, and refusing what is not one."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microneedling.clinical.products import (
    MAX_INGREDIENTS,
    MAX_LABEL_CHARS,
    check_product,
    parse_ingredient_list,
)
from microneedling.errors import UserError
from microneedling.knowledge import shipped_knowledge_base
from microneedling.knowledge.schema_products import IngredientsFile, normalise_name

KB = shipped_knowledge_base()
DATA = KB.section("ingredients.yaml", IngredientsFile)
CLASS_NAMES = sorted((code, name) for code, klass in DATA.classes.items() for name in klass.names)
NEUTRAL_NAMES = sorted(DATA.neutral.names)
MINERAL_FILTERS = frozenset(DATA.sunscreen.mineral_filters)

# (id, label text, names read)
LABELS: list[tuple[str, str, list[str]]] = [
    ("commas", "Aqua, Glycerin, Ascorbic Acid, Parfum",
     ["Aqua", "Glycerin", "Ascorbic Acid", "Parfum"]),
    ("semicolons_and_newlines", "Aqua; Glycerin\nPanthenol\r\nAllantoin",
     ["Aqua", "Glycerin", "Panthenol", "Allantoin"]),
    ("ingredients_prefix", "Ingredients: Aqua, Glycerin", ["Aqua", "Glycerin"]),
    ("ingredients_heading_on_its_own_line", "INGREDIENTS\nAqua, Glycerin", ["Aqua", "Glycerin"]),
    ("french_heading_and_accents", "Ingrédients : Eau, Glycérine", ["Eau", "Glycérine"]),
    ("inci_prefix", "INCI: Aqua, Glycerin", ["Aqua", "Glycerin"]),
    ("active_and_inactive", "Active Ingredients: Zinc Oxide 20%. Inactive Ingredients: Water, Glycerin",
     ["Zinc Oxide", "Water", "Glycerin"]),
    ("aside_kept_with_its_name", "Aqua (Water), Parfum (Fragrance)",
     ["Aqua (Water)", "Parfum (Fragrance)"]),
    ("comma_inside_an_aside", "Aqua (Water, Eau), Glycerin", ["Aqua (Water, Eau)", "Glycerin"]),
    ("aside_in_the_middle", "Citrus Limon (Lemon) Peel Oil", ["Citrus Limon (Lemon) Peel Oil"]),
    ("slashes", "Aqua/Water/Eau, Glycerin", ["Aqua/Water/Eau", "Glycerin"]),
    ("percent_after", "Ascorbic Acid 15%, Niacinamide 4 %", ["Ascorbic Acid", "Niacinamide"]),
    ("percent_before", "10% Niacinamide", ["Niacinamide"]),
    ("decimal_comma_percent", "Retinol 0,3%, Aqua", ["Retinol", "Aqua"]),
    ("percent_in_an_aside", "Aqua (70%), Glycerin", ["Aqua", "Glycerin"]),
    ("comma_inside_a_chemical_name", "1,2-Hexanediol, Aqua", ["1,2-Hexanediol", "Aqua"]),
    ("may_contain", "Mica, Dimethicone. May contain (+/-): CI 77891, CI 77491",
     ["Mica", "Dimethicone", "CI 77891", "CI 77491"]),
    ("plus_minus_in_brackets", "Talc [+/- CI 77891, CI 77491]", ["Talc", "CI 77891", "CI 77491"]),
    ("may_contain_two_languages", "Talc. May contain/Peut contenir: CI 77491",
     ["Talc", "CI 77491"]),
    ("organic_asterisks_and_footnote", "Aloe Barbadensis Leaf Juice*, Glycerin.\n*organic",
     ["Aloe Barbadensis Leaf Juice", "Glycerin"]),
    ("footnote_sentence", "Aqua, Linalool**\n** Natural component of essential oils",
     ["Aqua", "Linalool"]),
    ("superscript_footnote_marker", "Aqua, Squalane¹\n¹ from olives", ["Aqua", "Squalane"]),
    ("marked_name_that_is_no_footnote", "Aqua, *Wild Lemon Extract", ["Aqua", "Wild Lemon Extract"]),
    ("case_and_spaces", "  aQuA ,   GLYCERIN   ,\tsodium   hyaluronate  ",
     ["aQuA", "GLYCERIN", "sodium hyaluronate"]),
    ("trailing_period", "Aqua, Glycerin.", ["Aqua", "Glycerin"]),
    ("repeated_ingredient_once", "Aqua, Glycerin, aqua, GLYCERIN", ["Aqua", "Glycerin"]),
    ("blend_with_and", "Cetearyl Alcohol (and) Ceteareth-20", ["Cetearyl Alcohol", "Ceteareth-20"]),
    ("nano_marker", "Titanium Dioxide [nano], Zinc Oxide (nano)", ["Titanium Dioxide", "Zinc Oxide"]),
    ("trademarks", "Matrixyl™ 3000, Aqua®", ["Matrixyl 3000", "Aqua"]),
    ("no_dot_number_is_not_a_sentence", "D&C Red No. 7 Lake, Aqua", ["D&C Red No. 7 Lake", "Aqua"]),
    ("decimal_point", "Retinol 0.5%, Aqua", ["Retinol", "Aqua"]),
    ("bullets_and_pipes", "• Aqua • Glycerin | Panthenol", ["Aqua", "Glycerin", "Panthenol"]),
    ("fullwidth_commas", "Aqua，Glycerin", ["Aqua", "Glycerin"]),
    ("zero_width_space_removed", "Ret\u200binol, Aqua", ["Retinol", "Aqua"]),
    ("control_characters", "Aqua\x00, Glyc\x07erin", ["Aqua", "Glyc erin"]),
    ("unbalanced_parenthesis", "Aqua (Water, Glycerin", ["Aqua Water", "Glycerin"]),
    ("stray_closing_parenthesis", "Aqua), Glycerin", ["Aqua", "Glycerin"]),
    ("other_script_is_kept", "Вода, 水", ["Вода", "水"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"), [row[1:] for row in LABELS], ids=[row[0] for row in LABELS]
)
def test_label_text_is_read(text: str, expected: list[str]) -> None:
    assert parse_ingredient_list(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no ingredients found"),
        ("   \n\t ", "no ingredients found"),
        (",,, ;;; ...", "no ingredients found"),
        ("Ingredients:", "no ingredients found"),
        ("May contain (+/-):", "no ingredients found"),
        ("*organic", "no ingredients found"),
        ("x" * (MAX_LABEL_CHARS + 1), "20,001 characters; the limit is 20,000"),
        (", ".join(f"Ingredient {n}" for n in range(MAX_INGREDIENTS + 1)), "more than 300"),
    ],
    ids=["empty", "whitespace", "punctuation", "heading_only", "marker_only", "footnote_only",
         "too_long", "too_many"],
)  # fmt: skip
def test_unusable_lists_are_refused(text: str, words: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_ingredient_list(text)
    assert words in caught.value.message
    assert caught.value.field == "ingredients"


def test_exactly_the_limits_are_accepted() -> None:
    names = [f"Ingredient {n}" for n in range(MAX_INGREDIENTS)]
    assert len(parse_ingredient_list(", ".join(names))) == MAX_INGREDIENTS
    assert parse_ingredient_list("A" * MAX_LABEL_CHARS) == ["A" * MAX_LABEL_CHARS]


def test_non_text_is_refused() -> None:
    with pytest.raises(UserError):
        parse_ingredient_list(b"Aqua")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("L-Ascorbic Acid", "l ascorbic acid"),
        ("C.I. 77891", "ci 77891"),
        ("CI77891", "ci 77891"),
        ("Glycérine", "glycerine"),
        ("  PARFUM/Fragrance ", "parfum fragrance"),
        ("3-O-Ethyl Ascorbic Acid", "3 o ethyl ascorbic acid"),
    ],
)
def test_names_are_compared_normalised(text: str, normalised: str) -> None:
    assert normalise_name(text) == normalised


# -- recognising names inside real label spellings -----------------------------------------------


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("RETINOL", "retinoid"),
        ("Rétinol", "retinoid"),
        ("Retinol (Vitamin A)", "retinoid"),
        ("Vitamin A Palmitate", "retinoid"),
        ("Granactive Retinoid", "retinoid"),
        ("Ascorbic Acid 15%", "vitamin_c"),
        ("Vitamin C (as Ascorbic Acid)", "vitamin_c"),
        ("Ascorbyl Palmitate", "vitamin_c"),
        ("Parfum/Fragrance", "fragrance"),
        ("Aqua/Parfum", "fragrance"),
        ("Lavandula Angustifolia (Lavender) Flower Oil", "fragrance"),
        ("d-Limonene", "fragrance"),
        ("Salicylic Acid 2%", "bha"),
        ("Capryloyl Salicylic Acid", "bha"),
        ("Juglans Regia (Walnut) Shell Powder", "exfoliant"),
        ("Iron Oxides (CI 77491, CI 77492, CI 77499)", "make_up"),
    ],
)
def test_restricted_names_are_found_in_label_spellings(label: str, code: str) -> None:
    result = check_product(f"Aqua, {label}", 100, KB)
    assert code in [found.code for found in result.classes_found]
    assert label not in result.unknown_ingredients


@pytest.mark.parametrize(
    "label",
    [
        "Aqua (Water)",
        "Aqua/Water/Eau",
        "Water (Aqua) (Eau)",
        "Titanium Dioxide (CI 77891)",
        "CI 77891 (Titanium Dioxide)",
        "Butyrospermum Parkii (Shea) Butter",
        "Caprylic/Capric Triglyceride",
        "Simmondsia Chinensis (Jojoba) Seed Oil",
        "Glycerin (Vegetable)",
    ],
)
def test_neutral_names_in_label_spellings(label: str) -> None:
    result = check_product(f"Glycerin, {label}", 100, KB)
    assert result.classes_found == () and result.unknown_ingredients == ()


def test_an_aside_alone_does_not_make_an_unknown_name_neutral() -> None:
    result = check_product("Mystery (Water)", 30, KB)
    assert result.unknown_ingredients == ("Mystery (Water)",)
    assert result.verdict == "blocked"


def test_a_footnote_naming_a_restricted_class_still_counts() -> None:
    result = check_product("Aqua\n*natural component of essential oils", 100, KB)
    assert [found.code for found in result.classes_found] == ["fragrance"]


def test_salicylate_esters_that_are_not_bha_are_not_bha() -> None:
    result = check_product("Aqua, Ethylhexyl Salicylate, Benzyl Salicylate", 100, KB)
    assert [found.code for found in result.classes_found] == ["fragrance"]
    assert result.unknown_ingredients == ("Ethylhexyl Salicylate",)


# -- properties ----------------------------------------------------------------------------------

LABEL_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
LABEL_PUNCTUATION = st.sampled_from([*",;.:()[]/*%+-\n\t ", "(and)", "may contain", "+/-"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=LABEL_ALPHABET, max_size=400))
def test_any_text_parses_or_is_refused_cleanly_and_the_same_way_twice(text: str) -> None:
    try:
        first = parse_ingredient_list(text)
    except UserError:
        with pytest.raises(UserError):
            parse_ingredient_list(text)
        return
    assert first == parse_ingredient_list(text)
    assert 1 <= len(first) <= MAX_INGREDIENTS
    for name in first:
        assert name == name.strip() and name
        assert any(char.isalnum() for char in name)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), LABEL_PUNCTUATION), max_size=60))
def test_label_like_noise_parses_or_is_refused_cleanly(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        result = check_product(text, 30, KB)
    except UserError:
        return
    assert result.verdict in ("allowed", "blocked")
    assert result.to_dict() == check_product(text, 30, KB).to_dict()


@st.composite
def decorated(draw: st.DrawFn, name: str) -> str:
    """A name as a label might print it: case, percentage, marker, spacing."""
    text = draw(st.sampled_from([name, name.upper(), name.lower(), name.title()]))
    if draw(st.booleans()):
        text = f"{text} {draw(st.integers(1, 30))}%"
    if draw(st.booleans()):
        text += draw(st.sampled_from(["*", "**", "†", "¹"]))
    return draw(st.sampled_from(["", " ", "  "])) + text + draw(st.sampled_from(["", " ", "."]))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_restricted_ingredient_is_never_passed_whatever_surrounds_it(data: st.DataObject) -> None:
    code, name = data.draw(st.sampled_from(CLASS_NAMES))
    neutral = data.draw(st.lists(st.sampled_from(NEUTRAL_NAMES), max_size=20))
    if code == "make_up":  # an iron-oxide tint beside a mineral filter is a sunscreen (policy 2)
        neutral = [item for item in neutral if item not in MINERAL_FILTERS]
    position = data.draw(st.integers(0, len(neutral)))
    names = [*neutral[:position], data.draw(decorated(name)), *neutral[position:]]
    separator = data.draw(st.sampled_from([", ", ",", "; ", "\n", " , "]))
    prefix = data.draw(st.sampled_from(["", "Ingredients: ", "INGREDIENTS:\n", "Inci: "]))
    result = check_product(prefix + separator.join(names), 30, KB, sterile_post_procedure=True)
    assert code in [found.code for found in result.classes_found]
    assert result.verdict == "blocked"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(NEUTRAL_NAMES), min_size=1, max_size=30))
def test_a_list_of_neutral_names_has_nothing_unknown(names: list[str]) -> None:
    result = check_product(", ".join(names), 30, KB)
    assert result.unknown_ingredients == () and result.classes_found == ()
    assert result.verdict == "allowed"


def test_a_list_at_the_limits_is_checked() -> None:
    names = [f"Plant {n} Extract" for n in range(MAX_INGREDIENTS - 3)] + [
        "Retinol",
        "Parfum (Fragrance)",
        "Aqua (Water, Eau)",
    ]
    text = ", ".join(names)
    text += " " * (MAX_LABEL_CHARS - len(text))
    result = check_product(text, 30, KB)
    assert [found.code for found in result.classes_found] == ["retinoid", "fragrance"]
