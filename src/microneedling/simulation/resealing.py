"""Model 2a: how fast microchannels reseal (MODELS.md §3.1) and the absorption window (§3.4).

First-order closure of the excess (open) signal::

    A(t) = A0 exp(-k t)        t_half = ln 2 / k        lifetime t_L = ln(1/theta) / k

``theta`` is the residual fraction of the initial excess a method can no longer tell from baseline
(default 2^-2.4, so ``t_L = 2.4 t_half``). Two clocks, each calibrated only on its own kind of
measurement:

- **barrier** (``k_b``; impedance, TEWL) governs solute uptake. Occluded: Ogunjimi 2020 lifetimes by
  group, ``t_half = t_L / 2.4`` (the longer end of 2.4-2.9 half-lives, consistent with the default
  ``theta``). Not occluded: Gupta 2011 barrier back within 2 h, so ``t_half <= 0.83 h``; the bound
  itself is used (the slowest closure consistent with the data).
- **pore** (``k_p``; dye, OCT, histology) governs particle ingress. No human calibration: a
  to-verify value from Kalluri 2011 (hairless rat, calcein: closed by 18 h) when not occluded, and
  no faster than the barrier clock when occluded (assumption).

Modifiers (anti-inflammatory drugs, Brogden 2012; older age, Kelchen 2016) multiply ``t_half`` by
factors ``f >= 1``, default 1 until calibrated. All times in hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from microneedling.errors import UserError
from microneedling.simulation.params import get, value

FloatArray = NDArray[np.float64]
Clock = Literal["barrier", "pore"]

#: Ogunjimi 2020 groups, as written in the paper, and their record keys.
OGUNJIMI_GROUPS: dict[str, str] = {
    "Black": "black",
    "Latino": "latino",
    "White": "white",
    "Bi/multiracial": "multiracial",
    "Asian": "asian",
}
#: Used when no group is given: the slowest closure, so windows err on the long (safe) side.
DEFAULT_GROUP = "Black"


# --- closure law ---------------------------------------------------------------------------------


def _positive(number: float, field_name: str) -> float:
    if not (math.isfinite(number) and number > 0):
        raise UserError(f"expected a number above 0, got {number}", field=field_name)
    return float(number)


def default_theta() -> float:
    """Residual excess treated as closed, ``2^-2.4`` (assumption)."""
    return value("reseal.theta_default")


def rate_per_h(half_life_h: float) -> float:
    """``k = ln 2 / t_half``."""
    return math.log(2.0) / _positive(half_life_h, "half_life_h")


def half_life_h(rate_per_h: float) -> float:
    """``t_half = ln 2 / k``."""
    return math.log(2.0) / _positive(rate_per_h, "rate_per_h")


def lifetime_h(rate_per_h: float, theta: float | None = None) -> float:
    """Time until ``A/A0`` falls to ``theta``: ``ln(1/theta) / k``."""
    theta = default_theta() if theta is None else theta
    if not 0 < theta < 1:
        raise UserError(f"expected theta in (0, 1), got {theta}", field="theta")
    return math.log(1.0 / theta) / _positive(rate_per_h, "rate_per_h")


def open_fraction(hours: float | FloatArray, rate_per_h: float) -> FloatArray:
    """``A(t)/A0 = exp(-k t)`` (1 before treatment ends, i.e. for t < 0)."""
    t = np.asarray(hours, dtype=np.float64)
    return np.asarray(np.exp(-rate_per_h * np.clip(t, 0.0, None)), dtype=np.float64)


def half_life_from_lifetime_h(lifetime_h: float, half_lives: float) -> float:
    """A reported closure time read as ``half_lives`` half-lives: ``t_L / n``."""
    return _positive(lifetime_h, "lifetime_h") / _positive(half_lives, "half_lives")


# --- calibration data ----------------------------------------------------------------------------


def group_key(group: str) -> str:
    """Canonical Ogunjimi group name for ``group`` (case and separators ignored)."""
    wanted = group.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
    for name, key in OGUNJIMI_GROUPS.items():
        if wanted in (key, name.lower().replace("/", "").replace(" ", ""), name.lower()):
            return name
    if wanted in ("bi", "biracial", "multiracial", "bimultiracial"):
        return "Bi/multiracial"
    known = ", ".join(OGUNJIMI_GROUPS)
    raise UserError(f"unknown group {group!r}; known: {known}", field="group")


@dataclass(frozen=True, slots=True)
class OgunjimiGroup:
    """One group of Ogunjimi 2020 (occluded, upper arm, impedance) with derived half-lives."""

    group: str
    lifetime_h: float
    lifetime_sd_h: float
    half_life_h_at_2_4: float
    half_life_h_at_2_9: float


def ogunjimi_group(group: str) -> OgunjimiGroup:
    """Published lifetime of ``group`` and the half-lives it implies at 2.4 and 2.9 half-lives."""
    name = group_key(group)
    key = OGUNJIMI_GROUPS[name]
    lifetime = value(f"reseal.ogunjimi.{key}.lifetime_h")
    return OgunjimiGroup(
        group=name,
        lifetime_h=lifetime,
        lifetime_sd_h=value(f"reseal.ogunjimi.{key}.lifetime_sd_h"),
        half_life_h_at_2_4=half_life_from_lifetime_h(lifetime, value("reseal.half_lives_low")),
        half_life_h_at_2_9=half_life_from_lifetime_h(lifetime, value("reseal.half_lives_high")),
    )


# --- clocks --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Modifiers:
    """Factors ``f >= 1`` on the half-life (slower closure)."""

    anti_inflammatory: float = 1.0
    age: float = 1.0

    def __post_init__(self) -> None:
        for field_name in ("anti_inflammatory", "age"):
            factor = getattr(self, field_name)
            if not (math.isfinite(factor) and factor >= 1.0):
                raise UserError(
                    f"expected a factor of 1 or more (slower closure), got {factor}",
                    field=field_name,
                )

    @property
    def factor(self) -> float:
        return self.anti_inflammatory * self.age

    @property
    def param_names(self) -> tuple[str, ...]:
        names = []
        if self.anti_inflammatory != 1.0:
            names.append("reseal.modifier.anti_inflammatory_default")
        if self.age != 1.0:
            names.append("reseal.modifier.age_default")
        return tuple(names)


@dataclass(frozen=True, slots=True)
class ClosureClock:
    """One resealing clock: which signal, occluded or not, its half-life and where it comes from."""

    clock: Clock
    occluded: bool
    half_life_h: float
    param_names: tuple[str, ...]
    basis: str

    @property
    def rate_per_h(self) -> float:
        return rate_per_h(self.half_life_h)

    def lifetime_h(self, theta: float | None = None) -> float:
        return lifetime_h(self.rate_per_h, theta)

    def open_fraction(self, hours: float | FloatArray) -> FloatArray:
        return open_fraction(hours, self.rate_per_h)


def barrier_clock(
    occluded: bool, group: str | None = None, modifiers: Modifiers | None = None
) -> ClosureClock:
    """Barrier-recovery clock ``k_b``: Ogunjimi group if occluded, Gupta bound if not."""
    modifiers = modifiers or Modifiers()
    if occluded:
        data = ogunjimi_group(group or DEFAULT_GROUP)
        key = OGUNJIMI_GROUPS[data.group]
        names: tuple[str, ...] = (f"reseal.ogunjimi.{key}.lifetime_h", "reseal.half_lives_low")
        base = data.half_life_h_at_2_4
        basis = f"Ogunjimi 2020, {data.group}: lifetime {data.lifetime_h:g} h / 2.4 half-lives"
    else:
        names = ("reseal.barrier.non_occluded.half_life_h",)
        base = value("reseal.barrier.non_occluded.half_life_h")
        basis = "Gupta 2011: barrier back within 2 h without occlusion (bound: 2 h / 2.4)"
    return ClosureClock(
        clock="barrier",
        occluded=occluded,
        half_life_h=base * modifiers.factor,
        param_names=(*names, *modifiers.param_names),
        basis=basis,
    )


def pore_clock(
    occluded: bool, group: str | None = None, modifiers: Modifiers | None = None
) -> ClosureClock:
    """Physical pore-closure clock ``k_p`` (to verify: no human calibration data)."""
    modifiers = modifiers or Modifiers()
    rat = value("reseal.pore.non_occluded.half_life_h")
    names: tuple[str, ...] = ("reseal.pore.non_occluded.half_life_h",)
    if occluded:
        barrier = barrier_clock(True, group)
        base = max(rat, barrier.half_life_h * value("reseal.pore.occluded_vs_barrier"))
        names = (*names, "reseal.pore.occluded_vs_barrier", *barrier.param_names)
        basis = "assumption: pores close no faster than the occluded barrier (Kalluri 2011 order)"
    else:
        base = rat
        basis = "Kalluri 2011, hairless rat, calcein: pores closed by 18 h (770 µm) / 2.4"
    return ClosureClock(
        clock="pore",
        occluded=occluded,
        half_life_h=base * modifiers.factor,
        param_names=(*names, *modifiers.param_names),
        basis=basis,
    )


# --- absorption window (MODELS.md §3.4) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AbsorptionWindow:
    """How long after treatment topicals still reach viable tissue.

    ``solute_h`` is the barrier clock's lifetime, ``particle_h`` the pore clock's lifetime floored
    at 24 h while ``k_p`` is unsourced, and ``safety_h`` the longer of the two.
    """

    occluded: bool
    solute_h: float
    particle_h: float
    particle_floor_h: float
    safety_h: float
    param_names: tuple[str, ...]


def absorption_window(
    occluded: bool,
    group: str | None = None,
    modifiers: Modifiers | None = None,
    theta: float | None = None,
) -> AbsorptionWindow:
    """Solute and particle windows and the longer one used for product safety."""
    barrier = barrier_clock(occluded, group, modifiers)
    pore = pore_clock(occluded, group, modifiers)
    floor = value("reseal.particle_window_floor_h")
    solute = barrier.lifetime_h(theta)
    particle = max(pore.lifetime_h(theta), floor)
    names = (
        *barrier.param_names,
        *pore.param_names,
        "reseal.theta_default",
        "reseal.particle_window_floor_h",
    )
    return AbsorptionWindow(
        occluded=occluded,
        solute_h=solute,
        particle_h=particle,
        particle_floor_h=floor,
        safety_h=max(solute, particle),
        param_names=tuple(dict.fromkeys(names)),
    )


def warnings_for(param_names: tuple[str, ...] | list[str]) -> list[str]:
    """One line per record used that is an assumption or still to verify (MODELS.md §1.2)."""
    lines = []
    for name in dict.fromkeys(param_names):
        record = get(name)
        if record.needs_warning:
            unit = "" if record.unit == "1" else f" {record.unit}"
            lines.append(f"{name} = {record.value:g}{unit} is {record.status} ({record.source})")
    return lines


# --- report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResealingReport:
    """What ``simulate resealing`` shows: both clocks for one condition, a curve and the window."""

    occluded: bool
    group: str | None
    theta: float
    barrier: ClosureClock
    pore: ClosureClock
    window: AbsorptionWindow
    hours: FloatArray
    barrier_open_fraction: FloatArray
    pore_open_fraction: FloatArray

    @property
    def warnings(self) -> list[str]:
        names = (*self.barrier.param_names, *self.pore.param_names, *self.window.param_names)
        lines = warnings_for(names)
        if self.occluded and self.group is None:
            lines.append(
                f"no group given: the slowest Ogunjimi 2020 group ({DEFAULT_GROUP}) is used so "
                "that windows err on the long side"
            )
        if not self.occluded and self.group is not None:
            lines.append("group applies to occluded skin only (Ogunjimi 2020); ignored")
        return lines

    def to_dict(self) -> dict[str, object]:
        barrier_h = self.barrier.half_life_h
        return {
            "occluded": self.occluded,
            "group": self.group,
            "theta": self.theta,
            "half_life_h": barrier_h,
            "closure_h": self.pore.lifetime_h(self.theta),
            "barrier_recovery_h": self.barrier.lifetime_h(self.theta),
            "barrier": _clock_dict(self.barrier, self.theta),
            "pore": _clock_dict(self.pore, self.theta),
            "absorption_window": {
                "solute_h": self.window.solute_h,
                "particle_h": self.window.particle_h,
                "particle_floor_h": self.window.particle_floor_h,
                "safety_h": self.window.safety_h,
            },
            "curve": {
                "hours": [round(float(t), 6) for t in self.hours],
                "open_fraction": [round(float(f), 6) for f in self.barrier_open_fraction],
                "pore_open_fraction": [round(float(f), 6) for f in self.pore_open_fraction],
            },
            "warnings": self.warnings,
        }


def _clock_dict(clock: ClosureClock, theta: float) -> dict[str, object]:
    return {
        "half_life_h": clock.half_life_h,
        "rate_per_h": clock.rate_per_h,
        "lifetime_h": clock.lifetime_h(theta),
        "basis": clock.basis,
    }


def resealing_report(
    occluded: bool,
    group: str | None = None,
    modifiers: Modifiers | None = None,
    theta: float | None = None,
    points: int = 97,
) -> ResealingReport:
    """Both clocks, the absorption window and a curve out to the later lifetime (x 1.25)."""
    if group is not None:
        group = group_key(group)
    theta = default_theta() if theta is None else theta
    barrier = barrier_clock(occluded, group, modifiers)
    pore = pore_clock(occluded, group, modifiers)
    window = absorption_window(occluded, group, modifiers, theta)
    end = 1.25 * max(barrier.lifetime_h(theta), pore.lifetime_h(theta), window.particle_floor_h)
    hours = np.linspace(0.0, end, points)
    return ResealingReport(
        occluded=occluded,
        group=group,
        theta=theta,
        barrier=barrier,
        pore=pore,
        window=window,
        hours=hours,
        barrier_open_fraction=barrier.open_fraction(hours),
        pore_open_fraction=pore.open_fraction(hours),
    )
