"""Skin layers by zone and the layer a depth reaches (MODELS.md §2.2-§2.3)."""

from __future__ import annotations

import pytest

from microneedling.errors import UserError
from microneedling.simulation.geometry import effective_depth_um
from microneedling.simulation.skin import (
    SITES,
    ZONES,
    Layer,
    classify_depth,
    layer_reached,
    layer_stack,
    sites_for_zone,
)

# Every zone code the knowledge base knows (knowledge/data/zones.yaml).
KNOWLEDGE_BASE_ZONES = [
    "forehead",
    "glabella",
    "periorbital",
    "nose",
    "cheeks",
    "perioral",
    "chin",
    "jawline",
    "neck",
    "decolletage",
    "scalp",
    "hands",
    "arms",
    "abdomen",
    "back",
    "buttocks",
    "thighs",
]


def test_every_clinic_zone_has_a_layer_stack() -> None:
    assert set(ZONES) == set(KNOWLEDGE_BASE_ZONES)
    for zone in ZONES:
        assert layer_stack(zone).sites


@pytest.mark.parametrize(
    ("zone", "sites"),
    [
        ("periorbital", ("temple", "eyelid")),
        ("perioral", ("upper_lip",)),
        ("chin", ("chin_jaw",)),
        ("jawline", ("chin_jaw",)),
        ("decolletage", ("chest",)),
        ("hands", ("hand_dorsum",)),
        ("arms", ("upper_arm", "forearm")),
        ("buttocks", ("buttock",)),
        ("thighs", ("thigh",)),
        ("Upper lip", ("upper_lip",)),
        ("hand-dorsum", ("hand_dorsum",)),
        ("shoulder", ("shoulder",)),
    ],
)
def test_zones_map_onto_the_anatomical_rows(zone: str, sites: tuple[str, ...]) -> None:
    assert sites_for_zone(zone) == sites


@pytest.mark.parametrize("zone", ["elbow", "", "eyelids please"])
def test_unknown_zone_is_a_user_error(zone: str) -> None:
    with pytest.raises(UserError) as caught:
        layer_stack(zone)
    assert caught.value.field == "zone"


def test_unknown_sex_value_is_a_user_error() -> None:
    with pytest.raises(UserError) as caught:
        layer_stack("cheeks", "other")
    assert caught.value.field == "sex"


@pytest.mark.parametrize("zone", [*ZONES, *SITES])
@pytest.mark.parametrize("sex", ["female", "male", None])
def test_every_layer_has_sources_and_ordered_bounds(zone: str, sex: str | None) -> None:
    stack = layer_stack(zone, sex)
    for layer in (stack.stratum_corneum, stack.viable_epidermis, stack.dermis):
        assert layer.sources and layer.params
        assert 0 < layer.lower_um <= layer.point_um <= layer.upper_um
    assert stack.papillary_share == 0.2


# --- values from the MODELS.md §2.3 table ---------------------------------------------------------


def test_forehead_dermis_by_sex_is_meng_mean_plus_minus_one_sd() -> None:
    female = layer_stack("forehead", "female").dermis
    male = layer_stack("forehead", "male").dermis
    unknown = layer_stack("forehead").dermis
    assert (female.point_um, female.lower_um, female.upper_um) == (860.0, 700.0, 1020.0)
    assert (male.point_um, male.lower_um, male.upper_um) == (1170.0, 890.0, 1450.0)
    # Sex unknown: the smaller Meng value, the band of both sexes.
    assert (unknown.point_um, unknown.lower_um, unknown.upper_um) == (860.0, 700.0, 1450.0)
    assert female.sources == ("Meng2022",) and not female.assumed


def test_sex_unknown_takes_the_smaller_meng_value_even_when_it_is_the_male_one() -> None:
    assert layer_stack("neck").dermis.point_um == 980.0  # men 980, women 990
    assert layer_stack("cheeks").dermis.point_um == 870.0  # men 1140, women 870


def test_meng_sites_without_sd_get_the_assumed_ultrasound_spread() -> None:
    dermis = layer_stack("glabella", "male").dermis
    assert dermis.lower_um == pytest.approx(1140 * 0.76)
    assert dermis.upper_um == pytest.approx(1140 * 1.24)
    assert "skin.ultrasound_between_person_cv" in dermis.params


@pytest.mark.parametrize(
    ("zone", "dermis_um"),
    [("thighs", 1433.45), ("abdomen", 1793.45), ("upper_arm", 1903.45)],
)
def test_dermis_from_an_ultrasound_total_subtracts_the_default_epidermis(
    zone: str, dermis_um: float
) -> None:
    # MODELS.md: thigh 1550 - 16.8 - 99.75 ≈ 1433, abdomen ≈ 1793, deltoid ≈ 1903 µm.
    dermis = layer_stack(zone).dermis
    assert dermis.point_um == pytest.approx(dermis_um, abs=0.01)
    assert dermis.assumed
    assert "Laurent2007" in dermis.sources


def test_face_and_body_defaults() -> None:
    forehead, abdomen = layer_stack("forehead"), layer_stack("abdomen")
    assert forehead.stratum_corneum.point_um == 16.8 and forehead.stratum_corneum.assumed
    assert forehead.viable_epidermis.point_um == pytest.approx(46.1)
    assert (forehead.viable_epidermis.lower_um, forehead.viable_epidermis.upper_um) == (29.6, 62.6)
    assert abdomen.viable_epidermis.point_um == 99.75
    assert (abdomen.viable_epidermis.lower_um, abdomen.viable_epidermis.upper_um) == (83.25, 116.25)


def test_a_zone_with_no_data_takes_chopra_facial_dermis_range_at_its_lower_end() -> None:
    scalp = layer_stack("scalp")
    assert all(layer.assumed for layer in (scalp.stratum_corneum, scalp.viable_epidermis))
    assert (scalp.dermis.point_um, scalp.dermis.lower_um, scalp.dermis.upper_um) == (
        758.9,
        758.9,
        1969.2,
    )
    assert scalp.dermis.assumed and scalp.dermis.sources == ("Chopra2015",)


def test_measured_site_values_are_not_flagged() -> None:
    buttock = layer_stack("buttocks")
    assert buttock.stratum_corneum.point_um == 14.9
    assert (buttock.stratum_corneum.lower_um, buttock.stratum_corneum.upper_um) == pytest.approx(
        (11.5, 18.3)
    )
    assert buttock.viable_epidermis.point_um == 81.5
    assert buttock.dermis.point_um == pytest.approx((1318 + 1586) / 2)
    assert not any(
        layer.assumed
        for layer in (buttock.stratum_corneum, buttock.viable_epidermis, buttock.dermis)
    )
    hands = layer_stack("hands")
    assert hands.stratum_corneum.point_um == 29.3
    assert hands.viable_epidermis.point_um == pytest.approx((138 + 189) / 2)


def test_periorbital_takes_the_thinner_eyelid_with_the_widest_band() -> None:
    periorbital, temple = layer_stack("periorbital", "female"), layer_stack("temple", "female")
    assert periorbital.dermis.point_um == 580.0  # eyelid, women (temple: 800)
    assert periorbital.dermis.lower_um == pytest.approx(580 * 0.76)
    assert periorbital.dermis.upper_um == pytest.approx(temple.dermis.upper_um)
    assert periorbital.viable_epidermis.upper_um == 71.0  # Lee & Hwang eyelid group
    assert "LeeHwang2002" in periorbital.sources


def test_nose_band_reaches_the_lower_sidewall() -> None:
    assert layer_stack("nose").dermis.upper_um == 1969.2


def test_back_point_is_histology_and_the_band_reaches_the_ultrasound_total() -> None:
    back = layer_stack("back").dermis
    assert back.point_um == 1942.0 and not back.assumed
    assert back.upper_um == pytest.approx(2540 * 1.24 - 16.8 - 99.75)


# --- layer classification -------------------------------------------------------------------------

# (zone, sex, depth µm, at point, at lower bound, at upper bound)
CLASSIFICATION: list[tuple[str, str | None, float, Layer, Layer, Layer]] = [
    ("cheeks", "female", 10.0, "stratum_corneum", "stratum_corneum", "stratum_corneum"),
    ("cheeks", "female", 40.0, "viable_epidermis", "viable_epidermis", "viable_epidermis"),
    # 0.25 mm at η 0.5 = 125 µm: papillary everywhere (bottoms 236.9 / 178.6 / 295.2 µm).
    ("cheeks", "female", 125.0, "papillary_dermis", "papillary_dermis", "papillary_dermis"),
    # Bounds disagree: 0.5 mm at η 0.5 = 250 µm is reticular in the thinnest and the typical
    # cheek, papillary in the thickest.
    ("cheeks", "female", 250.0, "reticular_dermis", "reticular_dermis", "papillary_dermis"),
    ("cheeks", "female", 750.0, "reticular_dermis", "below_dermis", "reticular_dermis"),
    ("forehead", "male", 1200.0, "reticular_dermis", "below_dermis", "reticular_dermis"),
    ("forehead", "male", 1600.0, "below_dermis", "below_dermis", "below_dermis"),
    ("buttocks", None, 60.0, "viable_epidermis", "viable_epidermis", "viable_epidermis"),
    ("hands", None, 100.0, "viable_epidermis", "viable_epidermis", "viable_epidermis"),
    ("back", None, 1500.0, "reticular_dermis", "reticular_dermis", "reticular_dermis"),
    ("perioral", None, 1000.0, "below_dermis", "below_dermis", "reticular_dermis"),
]


@pytest.mark.parametrize(("zone", "sex", "depth", "point", "lower", "upper"), CLASSIFICATION)
def test_layer_reached_at_point_and_both_bounds(
    zone: str, sex: str | None, depth: float, point: Layer, lower: Layer, upper: Layer
) -> None:
    stack = layer_stack(zone, sex)
    reach = layer_reached(depth, stack)
    assert (reach.at_point, reach.at_lower_bound, reach.at_upper_bound) == (point, lower, upper)
    assert reach.bounds_agree == (lower == upper)
    assert reach.beyond_dermis == ("below_dermis" in (point, lower, upper))


def test_disagreeing_bounds_are_both_reported() -> None:
    reach = layer_reached(250.0, layer_stack("cheeks", "female"))
    assert not reach.bounds_agree
    assert reach.description == "papillary_dermis to reticular_dermis"
    agreeing = layer_reached(125.0, layer_stack("cheeks", "female"))
    assert agreeing.description == "papillary_dermis"


def test_boundaries_belong_to_the_layer_above() -> None:
    stack = layer_stack("cheeks", "female")
    sc, ve, papillary, reticular = stack.layer_bottoms_um()
    assert classify_depth(sc, stack) == "stratum_corneum"
    assert classify_depth(ve, stack) == "viable_epidermis"
    assert classify_depth(papillary, stack) == "papillary_dermis"
    assert classify_depth(reticular, stack) == "reticular_dermis"
    assert classify_depth(reticular + 1e-6, stack) == "below_dermis"


def test_a_long_pen_needle_on_the_upper_lip_raises_the_beyond_dermis_flag() -> None:
    # 1.5 mm at η 0.8 = 1200 µm; the upper lip is 16.8 + 62.6 + 758.9 = 838 µm deep at most
    # in its point values.
    stack = layer_stack("perioral")
    reach = layer_reached(effective_depth_um(1.5, 0.8), stack)
    assert reach.beyond_dermis and reach.at_point == "below_dermis"
    assert not layer_reached(effective_depth_um(0.5, 0.5), stack).beyond_dermis


def test_negative_depth_is_a_user_error() -> None:
    with pytest.raises(UserError):
        layer_reached(-1.0, layer_stack("cheeks"))
