"""Parameter records for the transport model (see :mod:`microneedling.simulation.params`).

Three families:

- ``reseal.*``: closure clocks and the absorption window (MODELS.md §3.1, §3.4), times in hours.
- ``uptake.*``: unit-cell defaults, property correlations, calibration and validation targets
  (MODELS.md §3.2, §3.3), and the values fitted by ``scripts/fit_transport.py``, which are loaded
  from ``data/transport_fitted.json`` with status ``fitted``.
- ``compound.*``: physical data per compound, kept in :mod:`microneedling.simulation.compounds`.

Values that MODELS.md gives without "(to verify against the original)" carry ``verified``: they are
transcribed from the specification, which quotes the primary papers.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

from microneedling.simulation.compounds import COMPOUND_PARAMS
from microneedling.simulation.params import Param

FITTED_FILE = "transport_fitted.json"

_N_LOW = 2.4
_N_HIGH = 2.9
_OGUNJIMI: tuple[tuple[str, str, float, float], ...] = (
    ("black", "Black", 66.5, 19.5),
    ("latino", "Latino", 61.1, 16.1),
    ("white", "White", 50.2, 2.6),
    ("multiracial", "Bi/multiracial", 48.0, 16.0),
    ("asian", "Asian", 44.1, 14.0),
)


def _ogunjimi_records() -> tuple[Param, ...]:
    records: list[Param] = []
    for key, label, lifetime, sd in _OGUNJIMI:
        records += [
            Param(
                f"reseal.ogunjimi.{key}.lifetime_h",
                lifetime,
                "h",
                "Ogunjimi2020",
                "verified",
                f"{label}: impedance lifetime, occluded, upper arm, n = 111 in all groups.",
            ),
            Param(
                f"reseal.ogunjimi.{key}.lifetime_sd_h",
                sd,
                "h",
                "Ogunjimi2020",
                "verified",
                f"{label}: standard deviation of the lifetime.",
            ),
            Param(
                f"reseal.ogunjimi.{key}.half_life_h",
                lifetime / _N_LOW,
                "h",
                "derived",
                "derived",
                f"{label}: {lifetime} / 2.4 = {lifetime / _N_LOW:.1f} h (default theta); "
                f"{lifetime} / 2.9 = {lifetime / _N_HIGH:.1f} h at the other end of the range.",
            ),
        ]
    return tuple(records)


_RESEAL: tuple[Param, ...] = (
    Param(
        "reseal.theta_default",
        2.0**-2.4,
        "1",
        "assumption",
        "assumption",
        "Residual fraction of the initial excess read as closed: 2^-2.4 = 0.19. Impedance studies "
        "report closure after about 2.4-2.9 fitted half-lives (13-19 % left).",
    ),
    Param(
        "reseal.half_lives_low",
        _N_LOW,
        "1",
        "assumption",
        "assumption",
        "Half-lives per reported closure time, lower end (MODELS.md §3.1).",
    ),
    Param(
        "reseal.half_lives_high",
        _N_HIGH,
        "1",
        "assumption",
        "assumption",
        "Half-lives per reported closure time, upper end (MODELS.md §3.1).",
    ),
    *_ogunjimi_records(),
    Param(
        "reseal.gupta.non_occluded_recovery_h",
        2.0,
        "h",
        "Gupta2011",
        "verified",
        "Without occlusion every site had its barrier back within 2 h.",
    ),
    Param(
        "reseal.barrier.non_occluded.half_life_h",
        2.0 / _N_LOW,
        "h",
        "derived",
        "derived",
        "Gupta 2011 bound with the default theta: t_half <= 2 / 2.4 = 0.83 h, "
        "k_b >= ln 2 / 0.833 = 0.83 /h. The bound itself is used (slowest consistent closure).",
    ),
    Param(
        "reseal.gupta.occluded_recovery_low_h",
        3.0,
        "h",
        "Gupta2011",
        "to_verify",
        "Occluded recovery 3-40 h depending on needle length, number and cross-section.",
    ),
    Param(
        "reseal.gupta.occluded_recovery_high_h",
        40.0,
        "h",
        "Gupta2011",
        "to_verify",
        "Upper end of the occluded range.",
    ),
    Param(
        "reseal.pore.non_occluded.half_life_h",
        18.0 / _N_LOW,
        "h",
        "Kalluri2011",
        "to_verify",
        "k_p has no human calibration (MODELS.md §3.1). Candidate: hairless rat, calcein imaging, "
        "pores closed by 12 h (370 µm) and 18 h (770 µm) without occlusion, while TEWL recovered "
        "in 4-5 h; 18 / 2.4 = 7.5 h. Replace with human OCT data (e.g. Enfield 2010).",
    ),
    Param(
        "reseal.pore.occluded_vs_barrier",
        1.0,
        "1",
        "assumption",
        "assumption",
        "Occluded pore half-life = this factor x occluded barrier half-life (at least the rat "
        "value): in Kalluri 2011 pores closed after the barrier recovered, so pores are taken to "
        "be no faster than the barrier.",
    ),
    Param(
        "reseal.particle_window_floor_h",
        24.0,
        "h",
        "assumption",
        "assumption",
        "MODELS.md §3.4: about 24 h of sterile post-procedure products only; also the floor of "
        "the particle window while k_p is unsourced.",
    ),
    Param(
        "reseal.modifier.anti_inflammatory_default",
        1.0,
        "1",
        "Brogden2012",
        "assumption",
        "Topical diclofenac slows closure (factor >= 1 on t_half); 1 until calibrated.",
    ),
    Param(
        "reseal.modifier.age_default",
        1.0,
        "1",
        "Kelchen2016",
        "assumption",
        "Older age slows closure (factor >= 1 on t_half); 1 until calibrated.",
    ),
)

_UPTAKE: tuple[Param, ...] = (
    # --- device and channel defaults (duplicates of Model 1 inputs, for the CLI) ------------------
    Param(
        "uptake.pen.density_per_cm2",
        250.0,
        "1/cm2",
        "FreierPachten2015",
        "verified",
        "Pens aim for 250-300 punctures/cm²; lower end of the band.",
    ),
    Param(
        "uptake.roller.density_per_cm2",
        250.0,
        "1/cm2",
        "Doddaballapur2009",
        "verified",
        "192-needle roller, 15 passes, about 250 holes/cm².",
    ),
    Param(
        "uptake.channel_radius_um",
        35.35,
        "um",
        "Kalluri2011",
        "derived",
        "Half of the 70.7 µm channel width (rat, 770 µm roller).",
    ),
    Param(
        "uptake.eta_default",
        0.5,
        "1",
        "assumption",
        "assumption",
        "Penetration efficiency d_eff = eta L (MODELS.md §2.2), prior 0.2-0.8.",
    ),
    Param(
        "uptake.partition_default",
        1.0,
        "1",
        "assumption",
        "assumption",
        "Tissue/donor partition K at the channel wall: channel fluid and interstitial water are "
        "one aqueous phase.",
    ),
    # --- property correlations --------------------------------------------------------------------
    Param(
        "uptake.potts_guy.intercept",
        -2.7,
        "log10(cm/h)",
        "PottsGuy1992",
        "to_verify",
        "log10 kp = -2.7 + 0.71 log Kow - 0.0061 MW; human skin, aqueous vehicle, MW below ~500.",
    ),
    Param(
        "uptake.potts_guy.log_kow_slope", 0.71, "1", "PottsGuy1992", "to_verify", "See intercept."
    ),
    Param(
        "uptake.potts_guy.mw_slope", -0.0061, "mol/g", "PottsGuy1992", "to_verify", "See intercept."
    ),
    Param(
        "uptake.kretsos.log_prefactor",
        -8.15,
        "log10(m2/s)",
        "Kretsos2008",
        "to_verify",
        "D = 10^(-8.15 - 0.655 log10 MW) / (0.68 + 0.32/f_u + 0.025 f_non K_lip). MODELS.md "
        "prints cm²/s; with -8.15 the unit must be m²/s (1.6e-6 cm²/s for MW 327), and a public "
        "implementation of the same relation states m²/s.",
    ),
    Param("uptake.kretsos.mw_exponent", -0.655, "1", "Kretsos2008", "to_verify", "See prefactor."),
    Param(
        "uptake.kretsos.denominator_constant",
        0.68,
        "1",
        "Kretsos2008",
        "to_verify",
        "Binding denominator 0.68 + 0.32/f_u + 0.025 f_non K_lip (1 without binding).",
    ),
    Param("uptake.kretsos.unbound_weight", 0.32, "1", "Kretsos2008", "to_verify", "See constant."),
    Param("uptake.kretsos.lipid_weight", 0.025, "1", "Kretsos2008", "to_verify", "See constant."),
    Param(
        "uptake.kretsos.fraction_unbound",
        1.0,
        "1",
        "assumption",
        "assumption",
        "f_u = 1 and f_non K_lip = 0 for every compound: no binding in the dermis (overestimates "
        "D for lipophilic compounds such as retinol).",
    ),
    Param(
        "uptake.stokes_einstein.temperature_k",
        310.0,
        "K",
        "derived",
        "derived",
        "MODELS.md §3.2 worked example (range 305-310 K).",
    ),
    Param(
        "uptake.stokes_einstein.water_viscosity_mpa_s",
        0.69,
        "mPa*s",
        "derived",
        "derived",
        "MODELS.md §3.2 worked example (range 0.69-0.76 mPa s); gives D0 = 6.6e-10 m²/s at "
        "r_s = 0.5 nm.",
    ),
    # --- calibration: naloxone HCl, Dr. Pen Ultima A6, porcine skin in vitro -----------------------
    Param(
        "uptake.naloxone.passive_6h_ug_per_cm2",
        8.25,
        "ug/cm2",
        "IntJPharm2021",
        "verified",
        "Passive permeation at 6 h, 8.25 ± 1.06 µg/cm².",
    ),
    Param(
        "uptake.naloxone.enhancement_500um",
        56.0,
        "1",
        "IntJPharm2021",
        "to_verify",
        "56-fold after 500 µm needles for 1 min; read as a ratio of 6 h amounts (462 µg/cm²).",
    ),
    Param(
        "uptake.naloxone.enhancement_250um",
        37.0,
        "1",
        "IntJPharm2021",
        "verified",
        "37-fold after 250 µm needles for 1 min (abstract); not fitted, a validation point.",
    ),
    Param(
        "uptake.naloxone.lag_min",
        8.0,
        "min",
        "IntJPharm2021",
        "verified",
        "Lag time about 8 min after 500 µm needles for 2 min.",
    ),
    Param(
        "uptake.naloxone.needle_um",
        500.0,
        "um",
        "IntJPharm2021",
        "verified",
        "Needle setting of the fitted conditions.",
    ),
    Param(
        "uptake.naloxone.density_1min_per_cm2",
        250.0,
        "1/cm2",
        "assumption",
        "assumption",
        "Pen settings fixing the density are not transcribed: pen default (Freier & Pachten band) "
        "for the 1 min application.",
    ),
    Param(
        "uptake.naloxone.density_2min_per_cm2",
        500.0,
        "1/cm2",
        "assumption",
        "assumption",
        "Twice the 1 min density for the 2 min application (punctures proportional to time).",
    ),
    Param(
        "uptake.naloxone.horizon_h",
        6.0,
        "h",
        "IntJPharm2021",
        "verified",
        "Duration of the permeation experiment used for amounts and enhancement.",
    ),
    # --- roller negative control (Pharmaceutics 2015, PMC4695825, porcine ear) --------------------
    Param(
        "uptake.control.amantadine.passive_flux_ug_per_cm2_h",
        22.38,
        "ug/cm2/h",
        "Pharmaceutics2015",
        "verified",
        "Passive flux 22.38 ± 4.73 µg/cm²/h.",
    ),
    Param(
        "uptake.control.amantadine.roller_flux_ug_per_cm2_h",
        49.04,
        "ug/cm2/h",
        "Pharmaceutics2015",
        "verified",
        "After a stainless-steel roller, 49.04 ± 19.77 µg/cm²/h (not significant).",
    ),
    Param(
        "uptake.control.pramipexole.passive_flux_ug_per_cm2_h",
        134.83,
        "ug/cm2/h",
        "Pharmaceutics2015",
        "verified",
        "Passive flux 134.83 ± 13.66 µg/cm²/h.",
    ),
    Param(
        "uptake.control.pramipexole.roller_flux_ug_per_cm2_h",
        134.04,
        "ug/cm2/h",
        "Pharmaceutics2015",
        "verified",
        "After a stainless-steel roller, 134.04 ± 0.98 µg/cm²/h (not significant).",
    ),
    Param(
        "uptake.control.needle_um",
        500.0,
        "um",
        "assumption",
        "to_verify",
        "Roller needle length of the control study not transcribed; 500 µm assumed.",
    ),
    # --- Wermeling 2008: human naltrexone patch after microneedles --------------------------------
    Param(
        "uptake.wermeling.steady_state_within_h",
        2.0,
        "h",
        "Wermeling2008",
        "verified",
        "Plasma steady state within about 2 h of patch application.",
    ),
    Param(
        "uptake.wermeling.held_h",
        48.0,
        "h",
        "Wermeling2008",
        "verified",
        "Steady state held for at least 48 h; undetectable without microneedles.",
    ),
    Param(
        "uptake.wermeling.needle_um",
        620.0,
        "um",
        "Wermeling2008",
        "to_verify",
        "Microneedle length of the pretreatment arrays (from memory of the paper).",
    ),
)


def _fitted_records() -> tuple[Param, ...]:
    """Records fitted by ``scripts/fit_transport.py`` (empty if the file is not there yet)."""
    path = resources.files("microneedling.simulation").joinpath("data").joinpath(FITTED_FILE)
    if not path.is_file():
        return ()
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    records = []
    for name, entry in data["values"].items():
        number = float(entry["value"])
        if not math.isfinite(number):
            raise ValueError(f"{FITTED_FILE}: {name} is not a finite number")
        records.append(
            Param(
                name,
                number,
                str(entry["unit"]),
                str(entry.get("source", "IntJPharm2021")),
                "fitted",
                f"{entry.get('note', '')} Fitted by scripts/fit_transport.py.".strip(),
            )
        )
    return tuple(records)


PARAMS: tuple[Param, ...] = (*_RESEAL, *_UPTAKE, *COMPOUND_PARAMS, *_fitted_records())
