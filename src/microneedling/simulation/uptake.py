"""Model 2b: topical uptake after microneedling, built on :mod:`~.diffusion` (MODELS.md §3.2-§3.3).

Turns device settings, a compound and a skin condition into the numbers a clinic asks for: how
much reaches the sink over a time (µg/cm²), against intact skin, and how fast.

Two pathways in parallel (Milewski 2013): the **channel** pathway is the unit cell with an
impermeable top (route a) and the channel's wall value scaled by ``s(t) = exp(-k_b t)``; the
**intact** pathway is intact skin (route b on a cell without a channel) over the surface the
channels do not occupy, ``1 - (r_c/R)^2``. Solving them separately keeps a closed channel from
acting as a sink for the intact route's solute, and gives the quasi-steady limit
``Q -> J_open/k_b + J_intact t`` exactly. Also holds the
naloxone calibration (fitted by ``scripts/fit_transport.py``), the roller negative control and the
Wermeling 2008 check, so that tests, the documentation script and the fit share one definition.

Geometry inputs (density, channel radius, effective depth) are plain numbers here; Model 1
(:mod:`~.geometry`) computes them from a device. ``R = 1/sqrt(pi * lambda)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from microneedling.errors import UserError
from microneedling.simulation import diffusion as dif
from microneedling.simulation.compounds import Compound, compound
from microneedling.simulation.params import table, value
from microneedling.simulation.resealing import barrier_clock, warnings_for

UM_PER_CM = 1e4
UG_PER_MG = 1e3
MIN_PER_H = 60.0

#: Fitted records (``data/transport_fitted.json``).
FIT_SINK = "uptake.invitro.sink_depth_um"
FIT_DONOR = "uptake.naloxone.effective_donor_ug_per_ml"
FIT_KP = "uptake.naloxone.kp_cm_per_h"


def cell_radius_um(punctures_per_cm2: float) -> float:
    """Unit-cell radius ``R = 1/sqrt(pi lambda)`` in µm (MODELS.md §2.1)."""
    if not (math.isfinite(punctures_per_cm2) and punctures_per_cm2 > 0):
        raise UserError(
            f"expected a density above 0 /cm², got {punctures_per_cm2}", field="punctures_per_cm2"
        )
    return UM_PER_CM / math.sqrt(math.pi * punctures_per_cm2)


def diffusivity_cm2_per_h(item: Compound) -> float:
    """Dermal diffusivity from Kretsos 2008 with no binding (``f_u = 1``, ``K_lip = 0``)."""
    return dif.m2_per_s_to_cm2_per_h(
        dif.kretsos_dermal_diffusivity_m2_per_s(
            item.molecular_weight_g_per_mol, value("uptake.kretsos.fraction_unbound")
        )
    )


def _fitted(name: str) -> float | None:
    record = table().get(name)
    return None if record is None else record.value


def intact_permeability_cm_per_h(item: Compound) -> tuple[float, str]:
    """Route (b) permeability and its basis: the calibrated value if there is one, else
    Potts-Guy (human skin, aqueous vehicle)."""
    if item.key == "naloxone_hcl" and (fitted := _fitted(FIT_KP)) is not None:
        return fitted, f"fitted ({FIT_KP})"
    kp = dif.potts_guy_kp_cm_per_h(item.log_kow, item.molecular_weight_g_per_mol)
    return kp, "Potts-Guy 1992"


def default_donor_mg_per_ml(item: Compound) -> float:
    """The donor used when the caller gives none (see each compound's record)."""
    if item.donor_mg_per_ml is not None:
        return item.donor_mg_per_ml
    if item.key == "naloxone_hcl" and (fitted := _fitted(FIT_DONOR)) is not None:
        return fitted / UG_PER_MG
    if item.key in ("amantadine_hcl", "pramipexole"):
        return control_donor_ug_per_ml() / UG_PER_MG
    raise UserError(f"{item.name} has no default donor concentration", field="donor_mg_per_ml")


def default_sink_depth_um() -> float:
    """Depth of the sink: the fitted effective thickness of the calibration skin.

    :func:`run_uptake` moves it deeper for channels deeper than the calibration's, keeping the
    calibrated gap between channel tip and sink.
    """
    fitted = _fitted(FIT_SINK)
    if fitted is None:
        raise UserError(f"{FIT_SINK} is missing: run scripts/fit_transport.py", field="sink_um")
    return fitted


# --- two pathways ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoPathways:
    """Channel and intact pathways of one unit cell, combined (see the module docstring).

    ``treated`` is the microneedled skin's ``Q(t)``; ``intact`` is untreated skin's. Steady values
    and the lag are for the open channel (``k_b = 0``).
    """

    treated: dif.UptakeCurve
    channel: dif.UptakeCurve
    intact: dif.UptakeCurve
    intact_area_fraction: float
    steady_flux_ug_per_cm2_h: float
    channel_steady_flux_ug_per_cm2_h: float
    intact_steady_flux_ug_per_cm2_h: float
    channel_p_eff_cm_per_h: float
    lag_h: float


def two_pathways(
    cell: dif.UnitCell,
    transport: dif.Transport,
    hours: float,
    grid: dif.GridSpec | None = None,
    spec: dif.TimeSpec | None = None,
) -> TwoPathways:
    """Solve the channel pathway (route a, closing) and the intact pathway, and add them."""
    channel_only = dif.Transport(
        transport.diffusivity_cm2_per_h,
        transport.donor_ug_per_ml,
        transport.partition,
        0.0,
        transport.closure_rate_per_h,
        transport.intact_route,
    )
    intact_cell = cell.intact()
    channel = dif.simulate(cell, channel_only, hours, grid, spec)
    intact = dif.simulate(intact_cell, transport, hours, grid, spec)
    open_channel = dif.steady_state(cell, channel_only, grid)
    open_intact = dif.steady_state(intact_cell, transport, grid)
    fraction = (
        1.0 - (cell.channel_radius_um / cell.cell_radius_um) ** 2 if cell.has_channel else 1.0
    )

    times = channel.hours
    intact_on_grid_q = np.interp(times, intact.hours, intact.cumulative_ug_per_cm2)
    intact_on_grid_j = np.interp(times, intact.hours, intact.flux_ug_per_cm2_h)
    treated = dif.UptakeCurve(
        hours=times,
        cumulative_ug_per_cm2=channel.cumulative_ug_per_cm2 + fraction * intact_on_grid_q,
        flux_ug_per_cm2_h=channel.flux_ug_per_cm2_h + fraction * intact_on_grid_j,
        steps=channel.steps + intact.steps,
        factorizations=channel.factorizations + intact.factorizations,
        unknowns=channel.unknowns,
    )
    j_channel = open_channel.channel_flux_ug_per_cm2_h
    j_intact = open_intact.flux_ug_per_cm2_h
    total = j_channel + fraction * j_intact
    lag = math.nan
    if total > 0:
        weighted = j_channel * _finite(open_channel.lag_h) + fraction * j_intact * _finite(
            open_intact.lag_h
        )
        lag = weighted / total
    return TwoPathways(
        treated=treated,
        channel=channel,
        intact=intact,
        intact_area_fraction=fraction,
        steady_flux_ug_per_cm2_h=total,
        channel_steady_flux_ug_per_cm2_h=j_channel,
        intact_steady_flux_ug_per_cm2_h=j_intact,
        channel_p_eff_cm_per_h=open_channel.p_eff_cm_per_h,
        lag_h=lag,
    )


def _finite(number: float) -> float:
    return number if math.isfinite(number) else 0.0


# --- one uptake run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UptakeReport:
    """Microneedled vs intact uptake for one compound, device geometry and skin condition.

    ``enhancement_ratio`` is the ratio of cumulative amounts at the horizon (with closure);
    ``steady_enhancement_ratio`` the ratio of open-channel steady fluxes (MODELS.md ``ER``);
    ``lag_min`` the open-channel lag, the time-axis intercept of ``Q(t)``'s asymptote.
    """

    inputs: dict[str, object]
    cumulative_ug_per_cm2: float
    intact_cumulative_ug_per_cm2: float
    enhancement_ratio: float
    steady_enhancement_ratio: float
    lag_min: float
    p_eff_cm_per_h: float
    steady_flux_ug_per_cm2_h: float
    intact_flux_ug_per_cm2_h: float
    hours: list[float]
    cumulative_curve_ug_per_cm2: list[float]
    intact_curve_ug_per_cm2: list[float]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        def finite(number: float) -> float | None:
            return number if math.isfinite(number) else None

        def tiny_to_zero(number: float) -> float:
            return 0.0 if abs(number) < 1e-30 else number

        return {
            "inputs": self.inputs,
            "enhancement_ratio": finite(self.enhancement_ratio),
            "cumulative_ug_per_cm2": self.cumulative_ug_per_cm2,
            "intact_cumulative_ug_per_cm2": tiny_to_zero(self.intact_cumulative_ug_per_cm2),
            "lag_min": finite(self.lag_min),
            "steady_enhancement_ratio": finite(self.steady_enhancement_ratio),
            "p_eff_cm_per_h": self.p_eff_cm_per_h,
            "steady_flux_ug_per_cm2_h": self.steady_flux_ug_per_cm2_h,
            "intact_flux_ug_per_cm2_h": tiny_to_zero(self.intact_flux_ug_per_cm2_h),
            "curve": {
                "hours": self.hours,
                "microneedled_ug_per_cm2": self.cumulative_curve_ug_per_cm2,
                "intact_ug_per_cm2": [tiny_to_zero(v) for v in self.intact_curve_ug_per_cm2],
            },
            "warnings": self.warnings,
        }


#: Above this, an enhancement ratio is reported as unbounded (intact uptake is negligible).
MAX_RATIO = 1e9


def _ratio(treated: float, intact: float) -> float:
    if intact <= 0 or treated > MAX_RATIO * intact:
        return math.inf
    return treated / intact


def _sampled(curve: dif.UptakeCurve, hours: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in np.interp(hours, curve.hours, curve.cumulative_ug_per_cm2)]


def run_uptake(
    compound_name: str,
    *,
    punctures_per_cm2: float,
    channel_radius_um: float,
    channel_depth_um: float,
    hours: float,
    closure_rate_per_h: float = 0.0,
    donor_mg_per_ml: float | None = None,
    sink_depth_um: float | None = None,
    partition: float | None = None,
    grid: dif.GridSpec | None = None,
    curve_points: int = 49,
) -> UptakeReport:
    """Uptake over ``hours`` through one unit cell, and through intact skin for comparison.

    ``closure_rate_per_h`` is the barrier clock ``k_b`` (0 for excised skin). The intact case is
    the same cell without the channel (route b only).
    """
    item = compound(compound_name)
    if not (math.isfinite(hours) and hours > 0):
        raise UserError(f"expected a number of hours above 0, got {hours}", field="hours")
    donor = default_donor_mg_per_ml(item) if donor_mg_per_ml is None else donor_mg_per_ml
    if not (math.isfinite(donor) and donor > 0):
        raise UserError(f"expected a donor concentration above 0, got {donor}", field="donor")
    deepened = False
    if sink_depth_um is None:
        sink = default_sink_depth_um()
        gap = sink - naloxone_depth_um(value("uptake.naloxone.needle_um"))
        if channel_depth_um + gap > sink:
            sink, deepened = channel_depth_um + gap, True
    else:
        sink = sink_depth_um
    if channel_depth_um >= sink:
        raise UserError(
            f"the channel ({channel_depth_um:.0f} µm deep) reaches the modelled sink at "
            f"{sink:.0f} µm: use a shorter needle or a deeper sink",
            field="needle_mm",
        )
    k_part = value("uptake.partition_default") if partition is None else partition
    effective = item.effective_donor_mg_per_ml(donor)
    kp, kp_basis = intact_permeability_cm_per_h(item)
    transport = dif.Transport(
        diffusivity_cm2_per_h=diffusivity_cm2_per_h(item),
        donor_ug_per_ml=effective * UG_PER_MG,
        partition=k_part,
        intact_permeability_cm_per_h=kp,
        closure_rate_per_h=closure_rate_per_h,
    )
    cell = dif.UnitCell(
        cell_radius_um(punctures_per_cm2), channel_radius_um, channel_depth_um, sink
    )
    both = two_pathways(cell, transport, hours, grid)
    treated, intact = both.treated, both.intact

    q_mn = treated.cumulative_at(hours)
    q_in = intact.cumulative_at(hours)
    ratio = _ratio(q_mn, q_in)
    steady_ratio = _ratio(both.steady_flux_ug_per_cm2_h, both.intact_steady_flux_ug_per_cm2_h)
    sample = np.linspace(0.0, hours, curve_points)

    names = [
        *item.param_names,
        "uptake.partition_default",
        "uptake.kretsos.log_prefactor",
        "uptake.kretsos.fraction_unbound",
    ]
    if kp_basis.startswith("Potts"):
        names.append("uptake.potts_guy.intercept")
    if sink_depth_um is None:
        names.append(FIT_SINK)
    notes = warnings_for(names)
    if item.molecular_weight_g_per_mol > 500:
        notes.append(
            f"MW {item.molecular_weight_g_per_mol:g} g/mol is outside the Potts-Guy and Kretsos "
            "data range; treat the numbers as an order of magnitude"
        )
    if deepened:
        notes.append(
            f"channel deeper than the calibration's: sink moved to {sink:.0f} µm to keep the "
            "calibrated gap below the channel tip (assumption)"
        )
    if math.isinf(ratio):
        notes.append("intact-skin uptake is negligible: the enhancement ratio is unbounded (null)")
    if effective < donor:
        notes.append(
            f"donor capped at aqueous solubility {effective:g} mg/mL (the model's vehicle is water)"
        )
    return UptakeReport(
        inputs={
            "compound": item.key,
            "compound_name": item.name,
            "molecular_weight_g_per_mol": item.molecular_weight_g_per_mol,
            "log_kow": item.log_kow,
            "donor_mg_per_ml": donor,
            "effective_donor_mg_per_ml": effective,
            "punctures_per_cm2": punctures_per_cm2,
            "cell_radius_um": cell.cell_radius_um,
            "channel_radius_um": channel_radius_um,
            "channel_depth_um": channel_depth_um,
            "sink_depth_um": sink,
            "hours": hours,
            "closure_rate_per_h": closure_rate_per_h,
            "partition": k_part,
            "diffusivity_cm2_per_s": transport.diffusivity_cm2_per_h / dif.S_PER_H,
            "intact_permeability_cm_per_h": kp,
            "intact_permeability_basis": kp_basis,
        },
        cumulative_ug_per_cm2=q_mn,
        intact_cumulative_ug_per_cm2=q_in,
        enhancement_ratio=ratio,
        steady_enhancement_ratio=steady_ratio,
        lag_min=both.lag_h * MIN_PER_H,
        p_eff_cm_per_h=both.channel_p_eff_cm_per_h,
        steady_flux_ug_per_cm2_h=both.steady_flux_ug_per_cm2_h,
        intact_flux_ug_per_cm2_h=both.intact_steady_flux_ug_per_cm2_h,
        hours=[round(float(t), 6) for t in sample],
        cumulative_curve_ug_per_cm2=_sampled(treated, sample),
        intact_curve_ug_per_cm2=_sampled(intact, sample),
        warnings=notes,
    )


# --- calibration: naloxone HCl in vitro (Int J Pharm 2021) ---------------------------------------


def naloxone_diffusivity_cm2_per_h() -> float:
    return diffusivity_cm2_per_h(compound("naloxone_hcl"))


def naloxone_depth_um(needle_um: float) -> float:
    return value("uptake.eta_default") * needle_um


@dataclass(frozen=True, slots=True)
class NaloxonePrediction:
    """The model's version of the Int J Pharm 2021 numbers for given (fitted) inputs."""

    passive_6h_ug_per_cm2: float
    treated_6h_ug_per_cm2: float
    enhancement_500um: float
    enhancement_250um: float
    lag_min: float
    lag_moment_min: float


def naloxone_prediction(
    sink_depth_um: float,
    donor_ug_per_ml: float,
    kp_cm_per_h: float,
    grid: dif.GridSpec | None = None,
) -> NaloxonePrediction:
    """Simulate the calibration experiments: passive, 500 µm and 250 µm for 1 min, and the
    lag (read off the 6 h curve) after 500 µm for 2 min. Excised skin: ``k_b = 0``."""
    horizon = value("uptake.naloxone.horizon_h")
    transport = dif.Transport(
        diffusivity_cm2_per_h=naloxone_diffusivity_cm2_per_h(),
        donor_ug_per_ml=donor_ug_per_ml,
        partition=value("uptake.partition_default"),
        intact_permeability_cm_per_h=kp_cm_per_h,
    )
    r_c = value("uptake.channel_radius_um")
    needle = value("uptake.naloxone.needle_um")
    one_min = cell_radius_um(value("uptake.naloxone.density_1min_per_cm2"))
    two_min = cell_radius_um(value("uptake.naloxone.density_2min_per_cm2"))
    cell_500 = dif.UnitCell(one_min, r_c, naloxone_depth_um(needle), sink_depth_um)
    cell_250 = dif.UnitCell(one_min, r_c, naloxone_depth_um(needle / 2.0), sink_depth_um)
    cell_lag = dif.UnitCell(two_min, r_c, naloxone_depth_um(needle), sink_depth_um)
    passive = dif.simulate(cell_500.intact(), transport, horizon, grid).cumulative_at(horizon)
    q_500 = two_pathways(cell_500, transport, horizon, grid).treated.cumulative_at(horizon)
    q_250 = two_pathways(cell_250, transport, horizon, grid).treated.cumulative_at(horizon)
    lag_run = two_pathways(cell_lag, transport, horizon, grid)
    lag = dif.lag_time_h(lag_run.treated.hours, lag_run.treated.cumulative_ug_per_cm2)
    moment = lag_run.lag_h
    return NaloxonePrediction(
        passive_6h_ug_per_cm2=passive,
        treated_6h_ug_per_cm2=q_500,
        enhancement_500um=q_500 / passive,
        enhancement_250um=q_250 / passive,
        lag_min=lag * MIN_PER_H,
        lag_moment_min=moment * MIN_PER_H,
    )


@dataclass(frozen=True, slots=True)
class NaloxoneFit:
    sink_depth_um: float
    donor_ug_per_ml: float
    kp_cm_per_h: float
    prediction: NaloxonePrediction
    evaluations: int


def fit_naloxone(grid: dif.GridSpec | None = None) -> NaloxoneFit:
    """Fit sink depth, effective donor and intact permeability to passive 6 h amount,
    56x enhancement and the 8 min lag (three numbers, three unknowns; D from Kretsos)."""
    targets = np.log(
        [
            value("uptake.naloxone.passive_6h_ug_per_cm2"),
            value("uptake.naloxone.enhancement_500um"),
            value("uptake.naloxone.lag_min"),
        ]
    )
    depth = naloxone_depth_um(value("uptake.naloxone.needle_um"))
    evaluations = 0

    def unpack(x: np.ndarray) -> tuple[float, float, float]:
        # sink depth as depth below the channel tip, so every trial geometry is valid
        return depth + math.exp(x[0]), math.exp(x[1]), math.exp(x[2])

    def residuals(x: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        evaluations += 1
        p = naloxone_prediction(*unpack(x), grid=grid)
        model = np.log([p.passive_6h_ug_per_cm2, p.enhancement_500um, p.lag_min])
        return np.asarray(model - targets)

    start = np.log([400.0, 1000.0, 1e-3])
    solution = least_squares(residuals, start, x_scale=1.0, xtol=1e-12, ftol=1e-12, gtol=1e-12)
    sink, donor, kp = unpack(solution.x)
    return NaloxoneFit(sink, donor, kp, naloxone_prediction(sink, donor, kp, grid), evaluations)


def fitted_file_content(fit: NaloxoneFit) -> dict[str, object]:
    """The JSON document ``scripts/fit_transport.py`` writes (values rounded to 6 significant
    figures, so a re-run reproduces the file exactly)."""

    def sig(number: float) -> float:
        return float(f"{number:.6g}")

    return {
        "description": "Transport parameters fitted to the naloxone HCl calibration "
        "(Int J Pharm 2021); written by scripts/fit_transport.py, do not edit by hand.",
        "values": {
            FIT_SINK: {
                "value": sig(fit.sink_depth_um),
                "unit": "um",
                "source": "IntJPharm2021",
                "note": "Effective depth of the receptor sink below the surface (porcine skin in "
                "vitro; also used as the default in vivo sink). Set by the 8 min lag.",
            },
            FIT_DONOR: {
                "value": sig(fit.donor_ug_per_ml),
                "unit": "ug/mL",
                "source": "IntJPharm2021",
                "note": "Effective donor concentration K*C_donor at the channel wall (the "
                "paper's donor is not transcribed). Set by the passive amount, given kp.",
            },
            FIT_KP: {
                "value": sig(fit.kp_cm_per_h),
                "unit": "cm/h",
                "source": "IntJPharm2021",
                "note": "Intact porcine-skin permeability to naloxone. Set by the 56x "
                "enhancement (the channel route is fixed once the sink depth is).",
            },
        },
        "achieved": {
            "passive_6h_ug_per_cm2": sig(fit.prediction.passive_6h_ug_per_cm2),
            "enhancement_500um": sig(fit.prediction.enhancement_500um),
            "lag_min": sig(fit.prediction.lag_min),
            "enhancement_250um_validation": sig(fit.prediction.enhancement_250um),
        },
    }


# --- roller negative control (Pharmaceutics 2015, PMC4695825) ------------------------------------


def control_donor_ug_per_ml() -> float:
    """Donor of the control study, derived (not transcribed): the concentration at which
    amantadine's measured passive flux matches its Potts-Guy permeability; pramipexole is taken
    to have had the same donor concentration."""
    item = compound("amantadine_hcl")
    kp = dif.potts_guy_kp_cm_per_h(item.log_kow, item.molecular_weight_g_per_mol)
    return value("uptake.control.amantadine.passive_flux_ug_per_cm2_h") / kp


@dataclass(frozen=True, slots=True)
class ControlCase:
    compound: str
    observed_ratio: float
    model_ratio: float
    model_channel_flux_ug_per_cm2_h: float
    passive_flux_ug_per_cm2_h: float
    break_even_donor_ug_per_ml: float


def roller_negative_control(grid: dif.GridSpec | None = None) -> list[ControlCase]:
    """Steady flux ratio, roller vs intact, for amantadine and pramipexole in vitro.

    The intact route is the measured passive flux; the channel route is the model's (roller
    default density, 500 µm needle, in vitro sink, ``k_b = 0``). ``break_even_donor`` is the donor
    concentration at which the model's ratio would reach 2.
    """
    donor = control_donor_ug_per_ml()
    cases = []
    for key, data in (("amantadine_hcl", "amantadine"), ("pramipexole", "pramipexole")):
        item = compound(key)
        passive = value(f"uptake.control.{data}.passive_flux_ug_per_cm2_h")
        treated = value(f"uptake.control.{data}.roller_flux_ug_per_cm2_h")
        cell = dif.UnitCell(
            cell_radius_um(value("uptake.roller.density_per_cm2")),
            value("uptake.channel_radius_um"),
            value("uptake.eta_default") * value("uptake.control.needle_um"),
            default_sink_depth_um(),
        )
        transport = dif.Transport(diffusivity_cm2_per_h(item), donor, 1.0)
        channel = dif.steady_state(cell, transport, grid).channel_flux_ug_per_cm2_h
        cases.append(
            ControlCase(
                compound=key,
                observed_ratio=treated / passive,
                model_ratio=1.0 + channel / passive,
                model_channel_flux_ug_per_cm2_h=channel,
                passive_flux_ug_per_cm2_h=passive,
                break_even_donor_ug_per_ml=donor * passive / channel,
            )
        )
    return cases


# --- Wermeling 2008: human naltrexone patch after microneedles -----------------------------------


@dataclass(frozen=True, slots=True)
class WermelingCheck:
    time_to_90_percent_h: float
    flux_ratio_48h_to_peak: float
    expected_ratio_48h: float
    steady_enhancement_ratio: float
    half_life_h: float


def wermeling_check(group: str = "White", grid: dif.GridSpec | None = None) -> WermelingCheck:
    """Occluded patch over pretreated human skin: when the sink flux reaches 90 % of its peak,
    and how much of the peak is left at 48 h under the Ogunjimi occluded barrier clock."""
    held = value("uptake.wermeling.held_h")
    clock = barrier_clock(occluded=True, group=group)
    item = compound("naltrexone")
    kp, _ = intact_permeability_cm_per_h(item)
    transport = dif.Transport(
        diffusivity_cm2_per_h(item),
        default_donor_mg_per_ml(item) * UG_PER_MG,
        value("uptake.partition_default"),
        kp,
        clock.rate_per_h,
    )
    cell = dif.UnitCell(
        cell_radius_um(value("uptake.pen.density_per_cm2")),
        value("uptake.channel_radius_um"),
        value("uptake.eta_default") * value("uptake.wermeling.needle_um"),
        default_sink_depth_um(),
    )
    both = two_pathways(cell, transport, held, grid)
    curve = both.treated
    peak = float(curve.flux_ug_per_cm2_h.max())
    reached = int(np.argmax(curve.flux_ug_per_cm2_h >= 0.9 * peak))
    return WermelingCheck(
        time_to_90_percent_h=float(curve.hours[reached]),
        flux_ratio_48h_to_peak=curve.flux_at(held) / peak,
        expected_ratio_48h=2.0 ** (-held / clock.half_life_h),
        steady_enhancement_ratio=both.steady_flux_ug_per_cm2_h
        / both.intact_steady_flux_ug_per_cm2_h,
        half_life_h=clock.half_life_h,
    )
