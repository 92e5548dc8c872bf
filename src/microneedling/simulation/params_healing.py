"""Parameter records for the healing model (see :mod:`microneedling.simulation.params`).

Two families (MODELS.md §4):

- ``cooper.*``: the inflammatory core of Cooper et al. 2015, as in the curated BioModels export
  BIOMD0000000855: 32 kinetic constants, the inputs ``E`` (estrogen) and ``C`` (cortisol) and the
  initial state ``x0``, which is also the shape of one session pulse.
- ``collagen.*``: the project's collagen module (MODELS.md §4.2) with the reference dose, the
  calibration targets and the two fitted values, which are read from ``data/collagen_fitted.json``
  (written by ``scripts/fit_collagen.py``).

Cooper values carry ``verified``: MODELS.md gives them without "(to verify against the original)"
and they agree with the SBFC MATLAB conversion of the BioModels export. The reading of the
debris-by-neutrophil term is a separate open question (MODELS.md §4.1, ambiguity 2), handled by a
flag in :mod:`microneedling.simulation.inflammation`, not by a number.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

from microneedling.simulation.params import Param

_EXPORT = "BioModels BIOMD0000000855 export (MODELS.md §4.1)"


def _cooper(name: str, value: float, note: str, unit: str = "1/d") -> Param:
    return Param(f"cooper.{name}", value, unit, "Cooper2015", "verified", f"{note}; {_EXPORT}.")


_COOPER: tuple[Param, ...] = (
    _cooper("kpn", 35.03, "pathogen killed by neutrophils", "1/(d·N unit)"),
    _cooper("kpm", 34.8, "pathogen killed by active macrophages", "1/(d·M unit)"),
    _cooper("Ninf", 0.11, "neutrophil level halving macrophage activation (fi2)", "N unit"),
    _cooper("kptn", 2.03, "debris cleared by neutrophils", "1/(d·N unit)"),
    _cooper("kptm", 3.16, "debris cleared by active macrophages", "1/(d·M unit)"),
    _cooper("mupt", 0.37, "intrinsic debris decay"),
    _cooper("knp", 17.58, "neutrophil recruitment by pathogen (R2)", "1/P unit"),
    _cooper("knpt", 2.97, "neutrophil recruitment by debris (R2)", "1/Pt unit"),
    _cooper("snr", 0.38, "maximal neutrophil recruitment (fEN)", "N unit/d"),
    _cooper("munr", 3.3, "half-saturation of neutrophil recruitment", "R2 unit"),
    _cooper("mun", 1.02, "neutrophil death, which turns into debris"),
    _cooper("knm", 6.42, "neutrophils removed by active macrophages", "1/(d·M unit)"),
    _cooper("kmp", 18.52, "macrophage recruitment by pathogen (R1)", "1/P unit"),
    _cooper("kmm", 0.06, "macrophage recruitment by macrophages (fEM)", "1/M unit"),
    _cooper("kmn", 10.58, "macrophage recruitment by neutrophils (R1)", "1/N unit"),
    _cooper("kmpt", 41.5, "macrophage recruitment by debris (R1)", "1/Pt unit"),
    _cooper("smr", 0.17, "maximal macrophage recruitment", "M unit/d"),
    _cooper("mumr", 0.54, "half-saturation of macrophage recruitment", "R1 unit"),
    _cooper("mum", 0.5, "macrophage loss (turnover to the non-inflammatory state)"),
    _cooper("ENinf", 6.8, "estrogen level halving neutrophil recruitment", "E unit"),
    _cooper("ken", 5.37, "estrogen boost of neutrophil killing", "1/E unit"),
    _cooper("EMinf", 5.0, "estrogen level halving macrophage self-recruitment", "E unit"),
    _cooper("kem", 4.97, "estrogen boost of macrophage killing", "1/E unit"),
    _cooper("Cn", 175.72, "cortisol level halving neutrophil recruitment", "C unit"),
    _cooper("Cm1", 72.84, "cortisol level halving macrophage activation", "C unit"),
    _cooper("Cm2", 13.06, "cortisol level halving macrophage recruitment", "C unit"),
    _cooper("kpg", 14.4, "pathogen growth"),
    _cooper("pinf", 20.0, "pathogen carrying capacity", "P unit"),
    _cooper("kbp", 0.2, "saturation of background pathogen killing", "1"),
    _cooper("sb", 0.12, "background immune source", "P unit/d"),
    _cooper("mub", 0.048, "background immune decay", "P unit"),
    _cooper("kpb", 14.4, "background pathogen killing"),
    Param(
        "cooper.E",
        0.0,
        "E unit",
        "Cooper2015",
        "assumption",
        "Estrogen input. 0 (the export's value, and the §4.1 verification case): a patient's "
        "hormonal status is not modelled.",
    ),
    Param(
        "cooper.C",
        0.0,
        "C unit",
        "Cooper2015",
        "assumption",
        "Cortisol input. 0 (the export's value, and the §4.1 verification case): stress or "
        "corticosteroid use is not modelled.",
    ),
    _cooper("x0_pathogen", 0.1, "initial pathogen; unit session pulse (MODELS.md §4.2)", "P unit"),
    _cooper("x0_debris", 2.0, "initial debris; unit session pulse (MODELS.md §4.2)", "Pt unit"),
    _cooper("x0_macrophages", 0.0, "initial macrophages; unit session pulse", "M unit"),
    _cooper("x0_neutrophils", 0.1, "initial neutrophils; unit session pulse", "N unit"),
)

# --- Reference session dose (MODELS.md §4.2): a 1.5 mm roller at 250 /cm² on the cheek ---------

VREF_NEEDLE_MM = 1.5
VREF_DENSITY_PER_CM2 = 250.0
VREF_ETA = 0.5
VREF_CHANNEL_RADIUS_UM = 35.35
VREF_T_SC_UM = 16.8
VREF_T_VE_UM = 46.1


def _reference_volume_mm3_per_cm2() -> float:
    """``lambda * pi * r_c^2 * max(0, eta*L - t_SC - t_VE)`` for the reference roller."""
    dermal_depth_um = max(0.0, VREF_ETA * VREF_NEEDLE_MM * 1000.0 - VREF_T_SC_UM - VREF_T_VE_UM)
    radius_mm = VREF_CHANNEL_RADIUS_UM / 1000.0
    return VREF_DENSITY_PER_CM2 * math.pi * radius_mm**2 * dermal_depth_um / 1000.0


VREF_VOLUME_MM3_PER_CM2 = _reference_volume_mm3_per_cm2()

_REFERENCE_DOSE: tuple[Param, ...] = (
    Param(
        "collagen.vref_needle_mm",
        VREF_NEEDLE_MM,
        "mm",
        "Lotfi2013",
        "verified",
        "Reference dose u = 1: the 1.5 mm roller of the calibration study.",
    ),
    Param(
        "collagen.vref_density_per_cm2",
        VREF_DENSITY_PER_CM2,
        "1/cm²",
        "Doddaballapur2009",
        "assumption",
        "Puncture density of the reference roller treatment (192-needle roller, 15 passes "
        "≈ 250 /cm²); Lotfi's pass count is not transcribed.",
    ),
    Param(
        "collagen.vref_eta",
        VREF_ETA,
        "1",
        "assumption",
        "assumption",
        "Penetration efficiency d_eff / L of the reference roller (MODELS.md §2.2 default).",
    ),
    Param(
        "collagen.vref_channel_radius_um",
        VREF_CHANNEL_RADIUS_UM,
        "µm",
        "Kalluri2011",
        "derived",
        "Channel radius: half of Kalluri's 70.7 µm channel width.",
    ),
    Param(
        "collagen.vref_t_sc_um",
        VREF_T_SC_UM,
        "µm",
        "Egawa2007",
        "verified",
        "Stratum corneum of the cheek.",
    ),
    Param(
        "collagen.vref_t_ve_um",
        VREF_T_VE_UM,
        "µm",
        "Chopra2015",
        "assumption",
        "Viable epidermis on the face: midpoint of Chopra's 29.6–62.6 µm (MODELS.md §2.3 default).",
    ),
    Param(
        "collagen.vref_volume_mm3_per_cm2",
        VREF_VOLUME_MM3_PER_CM2,
        "mm³/cm²",
        "derived",
        "derived",
        "V_ref = λ·π·r_c²·max(0, η·L − t_SC − t_VE) = 250 /cm² · π·(0.03535 mm)² · "
        "(750 − 16.8 − 46.1) µm = 250 · 3.926e-3 mm² · 0.6871 mm ≈ 0.6744 mm³ per cm² "
        "(0.98 % of the area, 687.1 µm of dermis per channel).",
    ),
)

# --- Collagen module (MODELS.md §4.2) -------------------------------------------------------------

FITTED_FILE = "collagen_fitted.json"
TAU_F_DAYS = 2.0
LOTFI_INTERVAL_DAYS = 28.0
C1_PEAK_TARGET_DAYS_AFTER_LAST = 49.0


def load_fitted() -> dict[str, Any]:
    """The fitted collagen values written by ``scripts/fit_collagen.py``."""
    text = resources.files("microneedling.simulation").joinpath("data", FITTED_FILE).read_text()
    data: dict[str, Any] = json.loads(text)
    return data


_FITTED = load_fitted()

_COLLAGEN: tuple[Param, ...] = (
    Param(
        "collagen.tau_f_days",
        TAU_F_DAYS,
        "d",
        "assumption",
        "assumption",
        "Fibroblast activation time constant, fixed from timing (MODELS.md §4.2): synthesis g·F "
        "is up within 24 h of a pulse and peaks near day 6.5 (target day 7, Exp Biol Med 1979); "
        "it is still about half its peak on day 11 (the documented day-11 shortfall).",
    ),
    Param(
        "collagen.tau_m_days",
        float(_FITTED["tau_m_days"]),
        "d",
        "assumption",
        "assumption",
        "Collagen III → I maturation time constant, fixed from timing: C1 peaks "
        f"{C1_PEAK_TARGET_DAYS_AFTER_LAST:g} d (7 weeks, middle of the claimed 6–8 "
        "weeks) after the last of 5 monthly sessions; solved jointly with tau_t by "
        "scripts/fit_collagen.py and rounded to 0.1 d.",
    ),
    Param(
        "collagen.tau_t_days",
        float(_FITTED["tau_t_days"]),
        "d",
        "Lotfi2013",
        "fitted",
        "Collagen I turnover time constant. Not identified by the one Lotfi point (g compensates), "
        "so bounded by the durability claim S(6 mo) ≥ 0.5·S(8 wk) after the last session and set "
        "on that bound (the least persistent value allowed), rounded up to 0.1 d.",
    ),
    Param(
        "collagen.synthesis_gain",
        float(_FITTED["synthesis_gain"]),
        "fraction/(M unit·d²)",
        "Lotfi2013",
        "fitted",
        "g in dC3/dt = g·F: fitted so S = +53.2 % papillary collagen 8 weeks after the last of "
        "5 monthly 1.5 mm roller sessions (u = 1).",
    ),
    Param(
        "collagen.lotfi_gain_fraction",
        0.532,
        "1",
        "Lotfi2013",
        "verified",
        "Papillary-dermal collagen (Masson trichrome) +53.2 % 8 weeks after the last session.",
    ),
    Param(
        "collagen.lotfi_sessions",
        5.0,
        "sessions",
        "Lotfi2013",
        "verified",
        "Five sessions with a 1.5 mm roller.",
    ),
    Param(
        "collagen.lotfi_interval_days",
        LOTFI_INTERVAL_DAYS,
        "d",
        "assumption",
        "assumption",
        "'Monthly' sessions of Lotfi 2013 taken as every 4 weeks.",
    ),
    Param(
        "collagen.lotfi_days_after_last",
        56.0,
        "d",
        "Lotfi2013",
        "verified",
        "Biopsy 8 weeks after the last session.",
    ),
    Param(
        "collagen.lotfi_epidermis_gain_fraction",
        0.50,
        "1",
        "Lotfi2013",
        "verified",
        "Epidermal thickness +50 %; kept for a future epidermal observable, not used.",
    ),
    Param(
        "collagen.c1_peak_target_days_after_last",
        C1_PEAK_TARGET_DAYS_AFTER_LAST,
        "d",
        "assumption",
        "assumption",
        "Project source-article claim: full effect 6–8 weeks after the last session; the middle "
        "(7 weeks) fixes tau_m.",
    ),
    Param(
        "collagen.durability_days_after_last",
        182.0,
        "d",
        "assumption",
        "assumption",
        "'Results last months': S is compared 6 months (182 d) after the last session ...",
    ),
    Param(
        "collagen.durability_min_ratio",
        0.5,
        "1",
        "assumption",
        "assumption",
        "... with S 8 weeks after it, and must keep at least half (bounds tau_t).",
    ),
    Param(
        "collagen.synthesis_peak_day",
        7.0,
        "d",
        "ExpBiolMed1979",
        "verified",
        "Rat open wounds: collagen synthesis up by 24 h, peak on day 7 ...",
    ),
    Param(
        "collagen.synthesis_normal_by_day",
        11.0,
        "d",
        "ExpBiolMed1979",
        "verified",
        "... back to normal by day 11 (not met: see the day-11 shortfall in docs/science).",
    ),
    Param(
        "collagen.proliferation_end_days",
        56.0,
        "d",
        "FernandesSignorini2008",
        "to_verify",
        "Healing phases: proliferation from about day 5 for about 8 weeks, remodelling from 8 "
        "weeks to about 1 year (device-maker description after Fernandes); context only.",
    ),
    Param(
        "collagen.glow_resolved_days",
        14.0,
        "d",
        "assumption",
        "assumption",
        "Project source-article claim: redness/'glow' within about two weeks, read as the "
        "macrophage signal below 10 % of its peak by day 14 (the core gives day 13.3).",
    ),
    Param(
        "collagen.maintenance_interval_days",
        182.0,
        "d",
        "assumption",
        "assumption",
        "Project source-article claim: maintenance about every 6 months; context only.",
    ),
)

PARAMS: tuple[Param, ...] = _COOPER + _REFERENCE_DOSE + _COLLAGEN
