"""Parameter records for the geometry model (see :mod:`microneedling.simulation.params`).

Two families:

- ``geometry.*``: device settings, penetration efficiency, channel size and the published numbers
  the model is validated against (MODELS.md §2.1, §2.2, §2.4).
- ``skin.*``: layer thicknesses by anatomical site (MODELS.md §2.3), in µm. Site rows are named
  after the MODELS.md table (``skin.<site>.<layer>...``); the defaults used where a site has no
  value ("A" in the table) are ``skin.default.*`` and are all assumptions.

Values that MODELS.md gives without "(to verify against the original)" carry ``verified``: they are
transcribed from the specification, which quotes the primary papers.
"""

from __future__ import annotations

import math

from microneedling.simulation.params import Param

_GEOMETRY: tuple[Param, ...] = (
    # --- Penetration efficiency (MODELS.md §2.2) ---------------------------------------------------
    Param(
        "geometry.eta_default",
        0.5,
        "1",
        "assumption",
        "assumption",
        "Default penetration efficiency d_eff / L until pen data (Sasaki 2017) are verified; "
        "reports also show eta_low and eta_high.",
    ),
    Param(
        "geometry.eta_low",
        0.2,
        "1",
        "Kalluri2011",
        "derived",
        "Residual channel after recoil, rat, roller: 152.5 / 770 = 0.198, rounded to 0.2. "
        "A lower bound because the tissue recoils.",
    ),
    Param(
        "geometry.eta_high",
        0.8,
        "1",
        "Donnelly2010",
        "derived",
        "Human in vivo OCT: 460 / 600 = 0.767, rounded up to 0.8.",
    ),
    Param(
        "geometry.channel_radius_um",
        35.35,
        "um",
        "Kalluri2011",
        "assumption",
        "Half of Kalluri's 70.7 um channel width (rat, 770 um roller). Used for every needle "
        "length and device: an assumption.",
    ),
    # --- Roller (Doddaballapur 2009) -------------------------------------------------------------
    Param(
        "geometry.roller.needles",
        192.0,
        "needles",
        "Doddaballapur2009",
        "verified",
        "192-needle roller.",
    ),
    Param(
        "geometry.roller.passes",
        15.0,
        "passes",
        "Doddaballapur2009",
        "verified",
        "15 passes give about 250 holes/cm2.",
    ),
    Param(
        "geometry.roller.density_per_cm2",
        250.0,
        "1/cm2",
        "Doddaballapur2009",
        "verified",
        "About 250 holes/cm2 after 15 passes with the 192-needle roller.",
    ),
    Param(
        "geometry.roller.drum_width_mm",
        20.0,
        "mm",
        "assumption",
        "assumption",
        "Doddaballapur implies a footprint of 192 / (250 / 15) = 11.52 cm2 per revolution; the "
        "split into 2 cm wide x 5.76 cm circumference is MODELS.md's example, not a measurement.",
    ),
    Param(
        "geometry.roller.drum_diameter_mm",
        57.6 / math.pi,
        "mm",
        "derived",
        "derived",
        "57.6 mm circumference / pi = 18.33 mm, so pi * D * W = 11.52 cm2 with W = 20 mm.",
    ),
    # --- Pen (Dermapen 2012; Freier & Pachten 2015) ------------------------------------------------
    Param(
        "geometry.pen.needles",
        11.0,
        "needles",
        "Dermapen2012",
        "verified",
        "Dermapen: 11 needles per stamp.",
    ),
    Param(
        "geometry.pen.frequency_hz",
        90.0,
        "1/s",
        "Dermapen2012",
        "verified",
        "Dermapen: 90 stamps/s, so 11 x 90 = 990 punctures/s.",
    ),
    Param(
        "geometry.pen.width_mm",
        5.0,
        "mm",
        "assumption",
        "assumption",
        "Width of skin swept by one stamp (needle array across the glide direction). No source: "
        "measure the cartridge and pass --width-mm.",
    ),
    Param(
        "geometry.pen.frequency_min_hz",
        50.0,
        "1/s",
        "FreierPachten2015",
        "verified",
        "Pens stamp 50-150 times per second.",
    ),
    Param(
        "geometry.pen.frequency_max_hz",
        150.0,
        "1/s",
        "FreierPachten2015",
        "verified",
        "Pens stamp 50-150 times per second.",
    ),
    Param(
        "geometry.target_density_min_per_cm2",
        250.0,
        "1/cm2",
        "FreierPachten2015",
        "verified",
        "Goal 250-300 punctures/cm2 per session.",
    ),
    Param(
        "geometry.target_density_max_per_cm2",
        300.0,
        "1/cm2",
        "FreierPachten2015",
        "verified",
        "Goal 250-300 punctures/cm2 per session.",
    ),
    Param(
        "geometry.dermapen.area_rate_cm2_per_s",
        990.0 / 250.0,
        "cm2/s",
        "Dermapen2012",
        "derived",
        "990 punctures/s at 250 /cm2 in one pass: 990 / 250 = 3.96 cm2/s.",
    ),
    # --- Validation data (MODELS.md §2.4) ----------------------------------------------------------
    Param(
        "geometry.kalluri2011.needle_um",
        770.0,
        "um",
        "Kalluri2011",
        "verified",
        "Roller needle length, rat skin.",
    ),
    Param(
        "geometry.kalluri2011.eta",
        0.198,
        "1",
        "Kalluri2011",
        "derived",
        "Residual depth over needle length: 152.5 / 770 = 0.198.",
    ),
    Param(
        "geometry.kalluri2011.channel_depth_um",
        152.5,
        "um",
        "Kalluri2011",
        "verified",
        "Residual channel depth, mean; SD in geometry.kalluri2011.channel_depth_sd_um.",
    ),
    Param(
        "geometry.kalluri2011.channel_depth_sd_um",
        9.6,
        "um",
        "Kalluri2011",
        "verified",
        "152.5 +/- 9.6 um.",
    ),
    Param(
        "geometry.kalluri2011.channel_width_um",
        70.7,
        "um",
        "Kalluri2011",
        "verified",
        "Channel width at the surface, mean.",
    ),
    Param(
        "geometry.kalluri2011.channel_width_sd_um",
        9.9,
        "um",
        "Kalluri2011",
        "verified",
        "70.7 +/- 9.9 um.",
    ),
    Param(
        "geometry.donnelly2010.needle_um",
        600.0,
        "um",
        "Donnelly2010",
        "verified",
        "Needle length, human in vivo (OCT).",
    ),
    Param(
        "geometry.donnelly2010.depth_um",
        460.0,
        "um",
        "Donnelly2010",
        "verified",
        "Depth reached by 600 um needles, about 460 um.",
    ),
    Param(
        "geometry.donnelly2010.eta",
        0.77,
        "1",
        "Donnelly2010",
        "derived",
        "460 / 600 = 0.767, rounded to 0.77.",
    ),
)

_SKIN_DEFAULTS: tuple[Param, ...] = (
    Param(
        "skin.default.stratum_corneum_um",
        16.8,
        "um",
        "Egawa2007",
        "assumption",
        "Egawa's cheek value, used wherever a site has no stratum corneum value.",
    ),
    Param(
        "skin.default.stratum_corneum_lower_um",
        11.0,
        "um",
        "Sandby-Moller2003",
        "assumption",
        "Band for the default: smallest site mean among the cited sources (shoulder, 11.0 um).",
    ),
    Param(
        "skin.default.stratum_corneum_upper_um",
        29.3,
        "um",
        "Egawa2007",
        "assumption",
        "Band for the default: largest site mean among the cited sources (hand dorsum, 29.3 um).",
    ),
    Param(
        "skin.default.viable_epidermis_face_um",
        46.1,
        "um",
        "Chopra2015",
        "assumption",
        "Midpoint of Chopra's facial range, (29.6 + 62.6) / 2 = 46.1 um.",
    ),
    Param(
        "skin.default.viable_epidermis_face_lower_um",
        29.6,
        "um",
        "Chopra2015",
        "assumption",
        "Facial minimum (post-auricular), used as the lower bound for any facial site.",
    ),
    Param(
        "skin.default.viable_epidermis_face_upper_um",
        62.6,
        "um",
        "Chopra2015",
        "assumption",
        "Facial maximum (upper lip), used as the upper bound for any facial site.",
    ),
    Param(
        "skin.default.viable_epidermis_body_um",
        99.75,
        "um",
        "Xu2017",
        "assumption",
        "Pooled epidermis, used for body sites without a value (and for neck, chest and scalp, "
        "which Chopra's facial range does not cover).",
    ),
    Param(
        "skin.default.viable_epidermis_body_lower_um",
        83.25,
        "um",
        "Xu2017",
        "assumption",
        "Lower end of the pooled 95 % CI.",
    ),
    Param(
        "skin.default.viable_epidermis_body_upper_um",
        116.25,
        "um",
        "Xu2017",
        "assumption",
        "Upper end of the pooled 95 % CI.",
    ),
    Param(
        "skin.default.dermis_um",
        758.9,
        "um",
        "Chopra2015",
        "assumption",
        "Where no dermis value exists: Chopra's facial range 758.9-1969.2 um, lower bound as the "
        "point value (conservative for the beyond-dermis flag).",
    ),
    Param(
        "skin.default.dermis_upper_um",
        1969.2,
        "um",
        "Chopra2015",
        "assumption",
        "Upper end of Chopra's facial dermis range (nasal lower sidewall).",
    ),
    Param(
        "skin.papillary_share",
        0.2,
        "1",
        "assumption",
        "assumption",
        "No source gives papillary thickness: papillary dermis = 0.2 x dermis.",
    ),
    Param(
        "skin.ultrasound_between_person_cv",
        0.24,
        "1",
        "Meng2022",
        "assumption",
        "Spread for ultrasound values reported without SD: coefficient of variation of Meng's "
        "forehead dermis, 280 / 1170 = 0.239 (male; female 160 / 860 = 0.186), the larger taken. "
        "Bounds are mean x (1 -/+ cv), like the mean -/+ 1 SD used where an SD exists.",
    ),
)


def _meng(site: str, male_um: float, female_um: float, where: str = "") -> tuple[Param, ...]:
    place = f" ({where})" if where else ""
    return (
        Param(
            f"skin.{site}.dermis_male_um",
            male_um,
            "um",
            "Meng2022",
            "verified",
            f"Ultrasound dermis{place}, men.",
        ),
        Param(
            f"skin.{site}.dermis_female_um",
            female_um,
            "um",
            "Meng2022",
            "verified",
            f"Ultrasound dermis{place}, women.",
        ),
    )


def _laurent_total(site: str, total_um: float, where: str) -> Param:
    return Param(
        f"skin.{site}.total_ultrasound_um",
        total_um,
        "um",
        "Laurent2007",
        "verified",
        f"Ultrasound total skin thickness ({where}); dermis = total - t_SC - t_VE with the "
        "default epidermis (derived, flagged as an assumption).",
    )


def _group(site: str, layer: str, lower_um: float, upper_um: float, note: str) -> tuple[Param, ...]:
    return (
        Param(
            f"skin.{site}.{layer}_group_lower_um",
            lower_um,
            "um",
            "LeeHwang2002",
            "verified",
            f"{note} Lee & Hwang value for a group of sites; midpoint used as the point value.",
        ),
        Param(
            f"skin.{site}.{layer}_group_upper_um",
            upper_um,
            "um",
            "LeeHwang2002",
            "verified",
            f"{note} Lee & Hwang value for a group of sites.",
        ),
    )


def _mean_sd(site: str, layer: str, mean_um: float, sd_um: float, source: str) -> tuple[Param, ...]:
    return (
        Param(f"skin.{site}.{layer}_um", mean_um, "um", source, "verified", "Histology, mean."),
        Param(
            f"skin.{site}.{layer}_sd_um",
            sd_um,
            "um",
            source,
            "verified",
            "Histology, SD; bounds are mean -/+ 1 SD.",
        ),
    )


_SKIN_SITES: tuple[Param, ...] = (
    # Forehead: the one Meng site with SDs quoted.
    *_meng("forehead", 1170.0, 860.0),
    Param("skin.forehead.dermis_male_sd_um", 280.0, "um", "Meng2022", "verified", "SD, men."),
    Param("skin.forehead.dermis_female_sd_um", 160.0, "um", "Meng2022", "verified", "SD, women."),
    *_meng("glabella", 1140.0, 900.0),
    *_meng("temple", 1060.0, 800.0),
    # Eyelid
    *_group("eyelid", "viable_epidermis", 31.0, 71.0, "Eyelid epidermis."),
    *_meng("eyelid", 670.0, 580.0),
    Param(
        "skin.eyelid.dermis_chopra_um",
        758.9,
        "um",
        "Chopra2015",
        "verified",
        "Facial minimum dermis (eyelid); widens the band.",
    ),
    *_group("eyelid", "dermis", 469.0, 645.0, "Eyelid dermis."),
    # Nose
    *_meng("nose", 1030.0, 930.0, "dorsum"),
    Param(
        "skin.nose.dermis_sidewall_um",
        1969.2,
        "um",
        "Chopra2015",
        "verified",
        "Lower nasal sidewall, facial maximum dermis; widens the band.",
    ),
    # Cheek
    Param(
        "skin.cheek.stratum_corneum_um",
        16.8,
        "um",
        "Egawa2007",
        "verified",
        "Cheek stratum corneum (in vivo).",
    ),
    *_meng("cheek", 1140.0, 870.0),
    # Upper lip
    Param(
        "skin.upper_lip.viable_epidermis_um",
        62.6,
        "um",
        "Chopra2015",
        "verified",
        "Facial maximum epidermis (upper lip).",
    ),
    # Chin / jaw
    *_meng("chin_jaw", 1020.0, 910.0, "submandibular"),
    # Neck
    *_meng("neck", 980.0, 990.0),
    *_group("neck", "dermis", 1318.0, 1586.0, "Anterior neck dermis."),
    # Post-auricular
    Param(
        "skin.post_auricular.viable_epidermis_um",
        29.6,
        "um",
        "Chopra2015",
        "verified",
        "Facial minimum epidermis (post-auricular).",
    ),
    # Chest
    *_group("chest", "dermis", 1318.0, 1586.0, "Chest dermis."),
    # Back
    Param(
        "skin.back.dermis_um",
        1942.0,
        "um",
        "LeeHwang2002",
        "verified",
        "Back dermis, histology (total 1977 um).",
    ),
    _laurent_total("back", 2540.0, "suprascapular"),
    # Shoulder
    *_mean_sd("shoulder", "stratum_corneum", 11.0, 2.2, "Sandby-Moller2003"),
    *_mean_sd("shoulder", "viable_epidermis", 70.3, 13.6, "Sandby-Moller2003"),
    # Upper arm
    _laurent_total("upper_arm", 2020.0, "deltoid"),
    # Forearm
    *_mean_sd("forearm", "stratum_corneum", 18.3, 4.9, "Sandby-Moller2003"),
    Param(
        "skin.forearm.stratum_corneum_volar_um",
        22.6,
        "um",
        "Egawa2007",
        "verified",
        "Volar forearm (in vivo); widens the band around the dorsal value.",
    ),
    *_mean_sd("forearm", "viable_epidermis", 56.6, 11.5, "Sandby-Moller2003"),
    # Hand dorsum
    Param(
        "skin.hand_dorsum.stratum_corneum_um",
        29.3,
        "um",
        "Egawa2007",
        "verified",
        "Hand dorsum stratum corneum (in vivo).",
    ),
    *_group("hand_dorsum", "viable_epidermis", 138.0, 189.0, "Hand dorsum epidermis."),
    # Abdomen, thigh
    _laurent_total("abdomen", 1910.0, "waist"),
    _laurent_total("thigh", 1550.0, "thigh"),
    # Buttock
    *_mean_sd("buttock", "stratum_corneum", 14.9, 3.4, "Sandby-Moller2003"),
    *_mean_sd("buttock", "viable_epidermis", 81.5, 15.7, "Sandby-Moller2003"),
    *_group("buttock", "dermis", 1318.0, 1586.0, "Buttock dermis."),
)

PARAMS: tuple[Param, ...] = _GEOMETRY + _SKIN_DEFAULTS + _SKIN_SITES
