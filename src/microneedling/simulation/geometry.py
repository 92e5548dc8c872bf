"""Model 1: the micro-injuries a roller or pen leaves (MODELS.md §2).

Density (punctures/cm²) from the device and passes, how much of the skin surface is injured, how
far apart the channels are, where they land (seeded Poisson process or square lattice), how deep
they go (``d_eff = eta * L``), which layer that is (:mod:`microneedling.simulation.skin`) and the
injured dermal volume that Model 3 takes as the session dose.

Units are in the names: ``_mm``, ``_um``, ``_per_cm2``, ``_hz``, ``_mm_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from microneedling.errors import UserError
from microneedling.simulation.params import get, value
from microneedling.simulation.skin import (
    LayerReach,
    LayerStack,
    LayerThickness,
    layer_reached,
    layer_stack,
)

UM_PER_CM = 1e4
UM_PER_MM = 1e3
MM2_PER_CM2 = 100.0
MM3_PER_CM3 = 1e3

#: Above this many expected punctures, placement refuses (memory; a patch of skin is enough).
MAX_PLACED_PUNCTURES = 2_000_000


# --- input checks --------------------------------------------------------------------------------


def _positive(number: float, field_name: str, unit: str = "") -> float:
    if not (math.isfinite(number) and number > 0):
        unit_text = f" {unit}" if unit else ""
        raise UserError(f"expected a number above 0{unit_text}, got {number}", field=field_name)
    return float(number)


def _non_negative(number: float, field_name: str, unit: str = "") -> float:
    if not (math.isfinite(number) and number >= 0):
        unit_text = f" {unit}" if unit else ""
        raise UserError(
            f"expected a number of 0{unit_text} or more, got {number}", field=field_name
        )
    return float(number)


def _count(number: int, field_name: str) -> int:
    whole = isinstance(number, int | float) and float(number).is_integer()
    if isinstance(number, bool) or not whole or number < 1:
        raise UserError(f"expected a whole number of 1 or more, got {number}", field=field_name)
    return int(number)


def _eta(eta: float) -> float:
    if not (math.isfinite(eta) and 0 < eta <= 1):
        raise UserError(f"expected a penetration efficiency in (0, 1], got {eta}", field="eta")
    return float(eta)


# --- density -------------------------------------------------------------------------------------


def roller_density_per_pass_per_cm2(
    needles: int, drum_diameter_mm: float, drum_width_mm: float
) -> float:
    """One pass of a roller: ``N / (pi * D * W)``, one puncture per needle per revolution."""
    needles = _count(needles, "needles")
    footprint_mm2 = (
        math.pi
        * _positive(drum_diameter_mm, "drum_diameter_mm", "mm")
        * _positive(drum_width_mm, "drum_width_mm", "mm")
    )
    return needles / footprint_mm2 * MM2_PER_CM2


def pen_density_per_pass_per_cm2(
    needles: int, frequency_hz: float, speed_mm_s: float, width_mm: float
) -> float:
    """One pass of a pen: ``N * f / (v * w)`` (punctures per second over area swept per second)."""
    punctures_per_s = _count(needles, "needles") * _positive(frequency_hz, "frequency_hz", "Hz")
    swept_mm2_per_s = _positive(speed_mm_s, "speed_mm_s", "mm/s") * _positive(
        width_mm, "width_mm", "mm"
    )
    return punctures_per_s / swept_mm2_per_s * MM2_PER_CM2


def density_after_passes_per_cm2(per_pass_per_cm2: float, passes: int) -> float:
    """Identical passes add up: ``lambda = passes * lambda_pass``."""
    return _count(passes, "passes") * _non_negative(per_pass_per_cm2, "density_per_cm2", "/cm²")


def passes_to_reach(per_pass_per_cm2: float, target_per_cm2: float) -> int:
    """The fewest passes whose total density is at least ``target_per_cm2``."""
    ratio = _positive(target_per_cm2, "target_per_cm2", "/cm²") / _positive(
        per_pass_per_cm2, "density_per_cm2", "/cm²"
    )
    return max(1, math.ceil(ratio * (1 - 1e-12)))  # 250 / (250 / 15) is 15, not 16


def pen_speed_for_density_mm_s(
    target_per_cm2: float, passes: int, needles: int, frequency_hz: float, width_mm: float
) -> float:
    """Glide speed that gives ``target_per_cm2`` in ``passes`` passes: ``v = n N f / (lambda* w)``."""
    punctures_per_s = _count(needles, "needles") * _positive(frequency_hz, "frequency_hz", "Hz")
    target_per_mm2 = _positive(target_per_cm2, "target_per_cm2", "/cm²") / MM2_PER_CM2
    return (
        _count(passes, "passes")
        * punctures_per_s
        / (target_per_mm2 * _positive(width_mm, "width_mm", "mm"))
    )


def pen_area_rate_cm2_per_s(needles: int, frequency_hz: float, target_per_cm2: float) -> float:
    """Skin treated per second at ``target_per_cm2`` in one pass: ``N * f / lambda*``."""
    punctures_per_s = _count(needles, "needles") * _positive(frequency_hz, "frequency_hz", "Hz")
    return punctures_per_s / _positive(target_per_cm2, "target_per_cm2", "/cm²")


# --- coverage and spacing (closed forms) ---------------------------------------------------------


def injured_area_fraction(density_per_cm2: float, channel_radius_um: float) -> float:
    """Share of the surface inside at least one channel, Poisson placement:
    ``phi = 1 - exp(-lambda * pi * r^2)``."""
    density = _non_negative(density_per_cm2, "density_per_cm2", "/cm²")
    radius_cm = _non_negative(channel_radius_um, "channel_radius_um", "µm") / UM_PER_CM
    return -math.expm1(-density * math.pi * radius_cm**2)


def mean_spacing_poisson_um(density_per_cm2: float) -> float:
    """Mean nearest-neighbour distance of a Poisson process: ``1 / (2 sqrt(lambda))``."""
    return UM_PER_CM / (2 * math.sqrt(_positive(density_per_cm2, "density_per_cm2", "/cm²")))


def lattice_spacing_um(density_per_cm2: float) -> float:
    """Nearest-neighbour distance of a square lattice: ``1 / sqrt(lambda)``."""
    return UM_PER_CM / math.sqrt(_positive(density_per_cm2, "density_per_cm2", "/cm²"))


def unit_cell_radius_um(density_per_cm2: float) -> float:
    """Radius of the disc each channel serves (Model 2's unit cell): ``1 / sqrt(pi * lambda)``."""
    return UM_PER_CM / math.sqrt(math.pi * _positive(density_per_cm2, "density_per_cm2", "/cm²"))


# --- depth and dose ------------------------------------------------------------------------------


def effective_depth_um(needle_length_mm: float, eta: float | None = None) -> float:
    """``d_eff = eta * L``; ``eta`` defaults to ``geometry.eta_default`` (0.5, an assumption)."""
    chosen = value("geometry.eta_default") if eta is None else _eta(eta)
    return chosen * _positive(needle_length_mm, "needle_length_mm", "mm") * UM_PER_MM


def eta_band() -> tuple[float, float, float]:
    """The penetration efficiencies every report shows: low (Kalluri), default, high (Donnelly)."""
    return (
        value("geometry.eta_low"),
        value("geometry.eta_default"),
        value("geometry.eta_high"),
    )


def injured_dermal_volume_mm3_per_cm2(
    density_per_cm2: float,
    channel_radius_um: float,
    effective_depth_um: float,
    stratum_corneum_um: float,
    viable_epidermis_um: float,
) -> float:
    """Dermis injured per cm² of skin in a session (Model 3's session dose), mm³/cm²:
    ``V_s = lambda * pi * r^2 * max(0, d_eff - t_SC - t_VE)``; channels as cylinders."""
    density = _non_negative(density_per_cm2, "density_per_cm2", "/cm²")
    radius_cm = _non_negative(channel_radius_um, "channel_radius_um", "µm") / UM_PER_CM
    into_dermis_um = _non_negative(effective_depth_um, "effective_depth_um", "µm") - (
        _non_negative(stratum_corneum_um, "stratum_corneum_um", "µm")
        + _non_negative(viable_epidermis_um, "viable_epidermis_um", "µm")
    )
    volume_cm3_per_cm2 = density * math.pi * radius_cm**2 * max(0.0, into_dermis_um) / UM_PER_CM
    return volume_cm3_per_cm2 * MM3_PER_CM3


# --- placement -----------------------------------------------------------------------------------

Points = NDArray[np.float64]


def _patch(density_per_cm2: float, width_mm: float, height_mm: float) -> tuple[float, float, float]:
    density = _positive(density_per_cm2, "density_per_cm2", "/cm²")
    width = _positive(width_mm, "width_mm", "mm")
    height = _positive(height_mm, "height_mm", "mm")
    expected = density * width * height / MM2_PER_CM2
    if expected > MAX_PLACED_PUNCTURES:
        raise UserError(
            f"{expected:.0f} punctures expected on a {width:g} x {height:g} mm patch; "
            f"use a smaller patch (at most {MAX_PLACED_PUNCTURES})",
            field="width_mm",
        )
    return density, width, height


def place_punctures_poisson(
    density_per_cm2: float, width_mm: float, height_mm: float, seed: int
) -> Points:
    """Punctures of a homogeneous Poisson process on a ``width x height`` mm patch, shape (n, 2),
    in mm. Passes are not aligned, so the union of many passes is taken as Poisson."""
    density, width, height = _patch(density_per_cm2, width_mm, height_mm)
    rng = np.random.default_rng(seed)
    count = int(rng.poisson(density * width * height / MM2_PER_CM2))
    return rng.uniform((0.0, 0.0), (width, height), size=(count, 2))


def place_punctures_lattice(
    density_per_cm2: float, width_mm: float, height_mm: float, seed: int | None = None
) -> Points:
    """Punctures on a square lattice, shape (n, 2), in mm, that tiles the patch periodically.

    The spacing is ``1 / sqrt(lambda)`` stretched to a whole number of columns and rows, so the
    realised density ``n / area`` can differ slightly from ``density_per_cm2``. Without a seed the
    lattice starts half a spacing in; with one, at a seeded random offset.
    """
    density, width, height = _patch(density_per_cm2, width_mm, height_mm)
    spacing_mm = lattice_spacing_um(density) / UM_PER_MM
    columns = max(1, round(width / spacing_mm))
    rows = max(1, round(height / spacing_mm))
    step_x, step_y = width / columns, height / rows
    if seed is None:
        offset = np.array([0.5, 0.5])
    else:
        offset = np.random.default_rng(seed).uniform(0.0, 1.0, size=2)
    grid_x, grid_y = np.meshgrid(np.arange(columns), np.arange(rows), indexing="xy")
    points = np.column_stack(
        ((grid_x.ravel() + offset[0]) * step_x, (grid_y.ravel() + offset[1]) * step_y)
    )
    return points.astype(np.float64)


def nearest_neighbour_distances_um(points_mm: Points, width_mm: float, height_mm: float) -> Points:
    """Distance from each puncture to its nearest other puncture, in µm.

    The patch is read as periodic (a tile of a larger treated area), so punctures near an edge
    see their neighbours across it instead of losing them.
    """
    width = _positive(width_mm, "width_mm", "mm")
    height = _positive(height_mm, "height_mm", "mm")
    if len(points_mm) < 2:
        raise UserError("need at least two punctures to measure spacing", field="points_mm")
    wrapped = np.mod(points_mm, (width, height))
    tree = cKDTree(wrapped, boxsize=(width, height))
    distances, _ = tree.query(wrapped, k=2)
    return np.asarray(distances[:, 1], dtype=np.float64) * UM_PER_MM


def placement_injured_area_fraction(
    points_mm: Points,
    width_mm: float,
    height_mm: float,
    channel_radius_um: float,
    resolution_um: float = 5.0,
) -> float:
    """Share of a periodic patch inside at least one channel of radius ``channel_radius_um``,
    measured on a probe grid of about ``resolution_um`` spacing.

    For a Poisson placement on a periodic patch every fixed probe is covered with probability
    exactly ``1 - exp(-lambda pi r^2)``, so the estimate has no grid bias on average.
    """
    width = _positive(width_mm, "width_mm", "mm")
    height = _positive(height_mm, "height_mm", "mm")
    radius_mm = _non_negative(channel_radius_um, "channel_radius_um", "µm") / UM_PER_MM
    resolution_mm = _positive(resolution_um, "resolution_um", "µm") / UM_PER_MM
    columns = max(1, round(width / resolution_mm))
    rows = max(1, round(height / resolution_mm))
    if columns * rows > 50_000_000:
        raise UserError("probe grid too fine for this patch", field="resolution_um")
    covered = np.zeros((rows, columns), dtype=bool)
    if len(points_mm) == 0 or radius_mm == 0:
        return 0.0
    step_x, step_y = width / columns, height / rows
    # Probe (i, j) sits at ((j + 0.5) step_x, (i + 0.5) step_y). For each puncture, test the
    # probes in the square around it, wrapping indices across the edges.
    reach_x = math.ceil(radius_mm / step_x) + 1
    reach_y = math.ceil(radius_mm / step_y) + 1
    offsets_x = np.arange(-reach_x, reach_x + 1)
    offsets_y = np.arange(-reach_y, reach_y + 1)
    points = np.mod(points_mm, (width, height))
    base_col = np.floor(points[:, 0] / step_x).astype(np.int64)
    base_row = np.floor(points[:, 1] / step_y).astype(np.int64)
    cols = base_col[:, None, None] + offsets_x[None, None, :]
    rows_ = base_row[:, None, None] + offsets_y[None, :, None]
    dx = (cols + 0.5) * step_x - points[:, 0, None, None]
    dy = (rows_ + 0.5) * step_y - points[:, 1, None, None]
    inside = dx**2 + dy**2 <= radius_mm**2
    hit_rows = np.broadcast_to(rows_, inside.shape)[inside] % rows
    hit_cols = np.broadcast_to(cols, inside.shape)[inside] % columns
    covered[hit_rows, hit_cols] = True
    return float(covered.mean())


# --- devices -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Roller:
    """A drum of needles rolled over the skin; defaults are the Doddaballapur-implied roller
    (192 needles, 2 cm wide, 5.76 cm circumference)."""

    needles: int = field(default_factory=lambda: int(value("geometry.roller.needles")))
    drum_diameter_mm: float = field(
        default_factory=lambda: value("geometry.roller.drum_diameter_mm")
    )
    drum_width_mm: float = field(default_factory=lambda: value("geometry.roller.drum_width_mm"))

    kind: ClassVar[str] = "roller"

    def density_per_pass_per_cm2(self) -> float:
        return roller_density_per_pass_per_cm2(
            self.needles, self.drum_diameter_mm, self.drum_width_mm
        )

    def settings(self) -> dict[str, float]:
        return {
            "needles": self.needles,
            "drum_diameter_mm": self.drum_diameter_mm,
            "drum_width_mm": self.drum_width_mm,
        }

    def assumed_params(self) -> tuple[str, ...]:
        """Default settings in use that are assumptions (so a report must warn)."""
        assumed: list[str] = []
        if self.drum_width_mm == value("geometry.roller.drum_width_mm"):
            assumed.append("geometry.roller.drum_width_mm")
        return tuple(assumed)


@dataclass(frozen=True, slots=True)
class Pen:
    """A motorised pen stamping a cartridge of needles while it glides; defaults are the Dermapen
    (11 needles, 90 Hz) and an assumed 5 mm swept width. The glide speed has no default."""

    speed_mm_s: float
    needles: int = field(default_factory=lambda: int(value("geometry.pen.needles")))
    frequency_hz: float = field(default_factory=lambda: value("geometry.pen.frequency_hz"))
    width_mm: float = field(default_factory=lambda: value("geometry.pen.width_mm"))

    kind: ClassVar[str] = "pen"

    def density_per_pass_per_cm2(self) -> float:
        return pen_density_per_pass_per_cm2(
            self.needles, self.frequency_hz, self.speed_mm_s, self.width_mm
        )

    def settings(self) -> dict[str, float]:
        return {
            "needles": self.needles,
            "frequency_hz": self.frequency_hz,
            "speed_mm_s": self.speed_mm_s,
            "width_mm": self.width_mm,
        }

    def assumed_params(self) -> tuple[str, ...]:
        assumed: list[str] = []
        if self.width_mm == value("geometry.pen.width_mm"):
            assumed.append("geometry.pen.width_mm")
        return tuple(assumed)


Device = Roller | Pen


def device_from_settings(
    device: str,
    *,
    needles: int | None = None,
    drum_diameter_mm: float | None = None,
    drum_width_mm: float | None = None,
    frequency_hz: float | None = None,
    speed_mm_s: float | None = None,
    width_mm: float | None = None,
) -> Device:
    """A :class:`Roller` or :class:`Pen` from loose settings (None: the default), refusing
    settings that belong to the other device and a pen without a glide speed."""
    kind = device.strip().lower()
    if kind == "roller":
        for name, given in (
            ("frequency_hz", frequency_hz),
            ("speed_mm_s", speed_mm_s),
            ("width_mm", width_mm),
        ):
            if given is not None:
                raise UserError("is a pen setting; a roller does not use it", field=name)
        roller = Roller()
        roller = Roller(
            needles=roller.needles if needles is None else needles,
            drum_diameter_mm=(
                roller.drum_diameter_mm if drum_diameter_mm is None else drum_diameter_mm
            ),
            drum_width_mm=roller.drum_width_mm if drum_width_mm is None else drum_width_mm,
        )
        roller.density_per_pass_per_cm2()  # validates
        return roller
    if kind == "pen":
        for name, given in (
            ("drum_diameter_mm", drum_diameter_mm),
            ("drum_width_mm", drum_width_mm),
        ):
            if given is not None:
                raise UserError("is a roller setting; a pen does not use it", field=name)
        if speed_mm_s is None:
            raise UserError(
                "a pen needs its glide speed in mm/s (how fast the tip moves over the skin)",
                field="speed_mm_s",
            )
        pen = Pen(speed_mm_s=speed_mm_s)
        pen = Pen(
            speed_mm_s=speed_mm_s,
            needles=pen.needles if needles is None else needles,
            frequency_hz=pen.frequency_hz if frequency_hz is None else frequency_hz,
            width_mm=pen.width_mm if width_mm is None else width_mm,
        )
        pen.density_per_pass_per_cm2()  # validates
        return pen
    raise UserError(f"unknown device {device!r}; expected 'roller' or 'pen'", field="device")


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DepthAtEta:
    eta: float
    effective_depth_um: float
    reach: LayerReach


@dataclass(frozen=True, slots=True)
class PlacementSample:
    """One seeded Poisson placement on a periodic patch, measured."""

    seed: int
    width_mm: float
    height_mm: float
    punctures: int
    injured_area_fraction: float
    mean_spacing_um: float | None


@dataclass(frozen=True, slots=True)
class TargetBand:
    """What reaches the target band (Freier & Pachten: 250-300 /cm²) with this device."""

    min_per_cm2: float
    max_per_cm2: float
    passes_needed: int
    density_after_passes_needed_per_cm2: float
    in_band_after_passes_needed: bool
    pen_speed_range_mm_s: tuple[float, float] | None
    """For a pen, at the passes used: the glide speeds giving max and min of the band."""


@dataclass(frozen=True, slots=True)
class GeometryReport:
    """Everything Model 1 says about one device, needle length, number of passes and zone."""

    device: Device
    needle_length_mm: float
    passes: int
    passes_chosen_for_target: bool
    density_per_pass_per_cm2: float
    density_per_cm2: float
    channel_radius_um: float
    injured_area_fraction: float
    mean_spacing_um: float
    lattice_spacing_um: float
    unit_cell_radius_um: float
    eta: float
    depth: DepthAtEta
    eta_band: tuple[DepthAtEta, ...]
    stack: LayerStack
    injured_dermal_volume_mm3_per_cm2: float
    target: TargetBand
    placement: PlacementSample
    params_used: tuple[str, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        """One line per ``assumption`` or ``to_verify`` parameter the report rests on."""
        lines = []
        for name in self.params_used:
            record = get(name)
            if record.needs_warning:
                unit = "" if record.unit == "1" else f" {record.unit}"
                lines.append(
                    f"{name} = {record.value:g}{unit} is {record.status.replace('_', ' ')} "
                    f"(source: {record.source})"
                )
        return tuple(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary; keys stable, units in the names."""

        def reach(depth: DepthAtEta) -> dict[str, Any]:
            return {
                "eta": depth.eta,
                "effective_depth_mm": round(depth.effective_depth_um / UM_PER_MM, 6),
                "layer": depth.reach.at_point,
                "layer_at_lower_bound": depth.reach.at_lower_bound,
                "layer_at_upper_bound": depth.reach.at_upper_bound,
                "layer_bounds_agree": depth.reach.bounds_agree,
                "beyond_dermis": depth.reach.beyond_dermis,
            }

        def layer(thickness: LayerThickness) -> dict[str, Any]:
            return {
                "point_um": round(thickness.point_um, 3),
                "lower_um": round(thickness.lower_um, 3),
                "upper_um": round(thickness.upper_um, 3),
                "sources": list(thickness.sources),
                "assumed": thickness.assumed,
            }

        speed = self.target.pen_speed_range_mm_s
        return {
            "device": self.device.kind,
            "settings": self.device.settings(),
            "needle_mm": self.needle_length_mm,
            "passes": self.passes,
            "passes_chosen_for_target": self.passes_chosen_for_target,
            "punctures_per_cm2_per_pass": round(self.density_per_pass_per_cm2, 6),
            "punctures_per_cm2": round(self.density_per_cm2, 6),
            "channel_radius_um": self.channel_radius_um,
            "injured_area_fraction": round(self.injured_area_fraction, 8),
            "mean_spacing_um": round(self.mean_spacing_um, 3),
            "lattice_spacing_um": round(self.lattice_spacing_um, 3),
            "unit_cell_radius_um": round(self.unit_cell_radius_um, 3),
            "eta": self.eta,
            "effective_depth_mm": round(self.depth.effective_depth_um / UM_PER_MM, 6),
            "zone": self.stack.zone,
            "sites": list(self.stack.sites),
            "sex": self.stack.sex,
            "layer": self.depth.reach.at_point,
            "layer_at_lower_bound": self.depth.reach.at_lower_bound,
            "layer_at_upper_bound": self.depth.reach.at_upper_bound,
            "layer_bounds_agree": self.depth.reach.bounds_agree,
            "beyond_dermis": self.depth.reach.beyond_dermis,
            "eta_band": [reach(depth) for depth in self.eta_band],
            "layers": {
                "stratum_corneum": layer(self.stack.stratum_corneum),
                "viable_epidermis": layer(self.stack.viable_epidermis),
                "dermis": layer(self.stack.dermis),
                "papillary_share": self.stack.papillary_share,
            },
            "injured_dermal_volume_mm3_per_cm2": round(self.injured_dermal_volume_mm3_per_cm2, 8),
            "target_band_per_cm2": [self.target.min_per_cm2, self.target.max_per_cm2],
            "passes_to_reach_target": self.target.passes_needed,
            "punctures_per_cm2_after_those_passes": round(
                self.target.density_after_passes_needed_per_cm2, 6
            ),
            "in_target_band_after_those_passes": self.target.in_band_after_passes_needed,
            "pen_speed_for_target_mm_s": (
                None if speed is None else [round(speed[0], 6), round(speed[1], 6)]
            ),
            "placement": {
                "seed": self.placement.seed,
                "patch_mm": [self.placement.width_mm, self.placement.height_mm],
                "punctures": self.placement.punctures,
                "injured_area_fraction": round(self.placement.injured_area_fraction, 8),
                "mean_spacing_um": (
                    None
                    if self.placement.mean_spacing_um is None
                    else round(self.placement.mean_spacing_um, 3)
                ),
            },
            "warnings": list(self.warnings),
        }


def _sample_patch_mm(density_per_cm2: float) -> float:
    """Side of a square patch holding about 1000 punctures, at most 20 mm."""
    side_cm = math.sqrt(1000.0 / density_per_cm2)
    return round(min(20.0, side_cm * 10.0), 3)


def sample_placement(
    density_per_cm2: float, channel_radius_um: float, seed: int
) -> PlacementSample:
    """Place punctures once (seeded Poisson, periodic patch of ~1000 punctures) and measure them."""
    side_mm = _sample_patch_mm(_positive(density_per_cm2, "density_per_cm2", "/cm²"))
    points = place_punctures_poisson(density_per_cm2, side_mm, side_mm, seed)
    spacing = (
        float(nearest_neighbour_distances_um(points, side_mm, side_mm).mean())
        if len(points) >= 2
        else None
    )
    resolution_um = max(1.0, min(5.0, channel_radius_um / 5.0))
    if (side_mm * UM_PER_MM / resolution_um) ** 2 > 16_000_000:
        resolution_um = side_mm * UM_PER_MM / 4000.0
    fraction = placement_injured_area_fraction(
        points, side_mm, side_mm, channel_radius_um, resolution_um
    )
    return PlacementSample(seed, side_mm, side_mm, len(points), fraction, spacing)


def geometry_report(
    device: Device,
    needle_length_mm: float,
    *,
    passes: int | None = None,
    zone: str = "cheeks",
    sex: str | None = None,
    eta: float | None = None,
    channel_radius_um: float | None = None,
    seed: int = 0,
) -> GeometryReport:
    """Model 1 for one device setting on one zone.

    ``passes=None`` takes the fewest passes reaching the lower end of the target band
    (250 /cm²). ``eta`` and ``channel_radius_um`` default to their (assumed) parameter records.
    """
    used: list[str] = list(device.assumed_params())
    needle_length_mm = _positive(needle_length_mm, "needle_mm", "mm")
    per_pass = device.density_per_pass_per_cm2()
    target_min = value("geometry.target_density_min_per_cm2")
    target_max = value("geometry.target_density_max_per_cm2")
    used += ["geometry.target_density_min_per_cm2", "geometry.target_density_max_per_cm2"]
    needed = passes_to_reach(per_pass, target_min)
    chosen_for_target = passes is None
    passes = needed if passes is None else _count(passes, "passes")
    density = density_after_passes_per_cm2(per_pass, passes)

    if channel_radius_um is None:
        channel_radius_um = value("geometry.channel_radius_um")
        used.append("geometry.channel_radius_um")
    radius = _positive(channel_radius_um, "channel_radius_um", "µm")
    if eta is None:
        eta = value("geometry.eta_default")
        used.append("geometry.eta_default")
    eta = _eta(eta)
    used += ["geometry.eta_low", "geometry.eta_default", "geometry.eta_high"]

    stack = layer_stack(zone, sex)
    used += list(stack.params)

    def at(chosen_eta: float) -> DepthAtEta:
        depth_um = effective_depth_um(needle_length_mm, chosen_eta)
        return DepthAtEta(chosen_eta, depth_um, layer_reached(depth_um, stack))

    depth = at(eta)
    speed_range: tuple[float, float] | None = None
    if isinstance(device, Pen):
        speed_range = (
            pen_speed_for_density_mm_s(
                target_max, passes, device.needles, device.frequency_hz, device.width_mm
            ),
            pen_speed_for_density_mm_s(
                target_min, passes, device.needles, device.frequency_hz, device.width_mm
            ),
        )
    after_needed = density_after_passes_per_cm2(per_pass, needed)
    target = TargetBand(
        min_per_cm2=target_min,
        max_per_cm2=target_max,
        passes_needed=needed,
        density_after_passes_needed_per_cm2=after_needed,
        in_band_after_passes_needed=after_needed <= target_max * (1 + 1e-12),
        pen_speed_range_mm_s=speed_range,
    )
    return GeometryReport(
        device=device,
        needle_length_mm=needle_length_mm,
        passes=passes,
        passes_chosen_for_target=chosen_for_target,
        density_per_pass_per_cm2=per_pass,
        density_per_cm2=density,
        channel_radius_um=radius,
        injured_area_fraction=injured_area_fraction(density, radius),
        mean_spacing_um=mean_spacing_poisson_um(density),
        lattice_spacing_um=lattice_spacing_um(density),
        unit_cell_radius_um=unit_cell_radius_um(density),
        eta=eta,
        depth=depth,
        eta_band=tuple(at(band_eta) for band_eta in eta_band()),
        stack=stack,
        injured_dermal_volume_mm3_per_cm2=injured_dermal_volume_mm3_per_cm2(
            density,
            radius,
            depth.effective_depth_um,
            stack.stratum_corneum.point_um,
            stack.viable_epidermis.point_um,
        ),
        target=target,
        placement=sample_placement(density, radius, seed),
        params_used=tuple(dict.fromkeys(used)),
    )
