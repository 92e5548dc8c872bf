"""Model 2 numerics: diffusion from a microchannel in an axisymmetric unit cell (MODELS.md §3.2).

One channel of radius ``r_c`` and depth ``d_eff`` sits on the axis of a cylinder of radius ``R``
(the unit cell, ``R = 1/sqrt(pi*lambda)``) reaching from the skin surface (``z = 0``) down to a
sink at ``z = z_cap``::

    dC/dt = D * ( (1/r) d/dr(r dC/dr) + d2C/dz2 )
    channel wall and floor   C = s(t) * K * C_donor        s(t) = exp(-k_b t), 1 in vitro
    top surface, r > r_c     -D dC/dz = kp * (C_donor - C/K)   (route b; kp = 0 is route a)
    r = R                    no flux;     z = z_cap   C = 0 (capillary or receptor sink)

Route (b) is solved in series form by default: the stratum corneum passes ``kp`` times the
difference between the donor and the tissue just below it (in donor units). MODELS.md writes the
limit ``-D dC/dz = kp * C_donor`` (tissue concentration small against ``K C_donor``), available as
``intact_route="fixed_flux"``; the two agree at ``t = 0`` and, for hydrophilic compounds, to within
``kp h / (K D)`` (about 2 % for naloxone). The series form keeps the tissue below the donor's
level for lipophilic compounds, where the fixed flux would push it above the channel wall's and
make the channel drain solute back into the donor.

Discretisation: cell-centred finite volumes on a tensor r-z grid whose lines pass through ``r_c``
and ``d_eff`` and are power-graded towards them (the channel's bottom corner is re-entrant, with a
``rho^(2/3)`` singularity; grading restores second-order convergence of the sink flux). The
channel's cells are removed and their faces become Dirichlet boundaries. Time stepping is TR-BDF2
(second order, L-stable) on geometrically growing step blocks; each block reuses one sparse LU
factorisation (``scipy.sparse.linalg.splu``). The same engine solves a 1-D membrane for the
analytic checks (Crank 1975).

Closure coupling (an assumption of MODELS.md §3.2): the channel's boundary value is scaled by
``s(t) = A(t)/A0``. The model is linear, so in the quasi-steady regime the channel flux is exactly
``s(t) * J_open``, and the cumulative channel uptake tends to ``J_open / k_b`` for any lag; scaling
the boundary conductance instead would make the result depend on the grid.

Units: public inputs in µm, hours, µg/mL and cm/h; the solver works in cm, h and µg/cm³, so fluxes
come out in µg/cm²/h and cumulative uptake in µg/cm² of skin surface.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import splu

from microneedling.errors import UserError
from microneedling.simulation.params import value

FloatArray = NDArray[np.float64]
IntactRoute = Literal["series", "fixed_flux"]

UM_PER_CM = 1e4
CM2_PER_M2 = 1e4
S_PER_H = 3600.0
BOLTZMANN_J_PER_K = 1.380649e-23

#: Grid level used unless a caller asks otherwise: within 0.5 % of the Richardson-extrapolated
#: steady flux and 1 % of a refined transient on the calibration cases (tests and benchmark).
DEFAULT_LEVEL = 2

_GAMMA = 2.0 - math.sqrt(2.0)  # TR-BDF2 stage fraction
_W = (1.0 - _GAMMA) / (2.0 - _GAMMA)  # equals _GAMMA / 2, so both stages share one matrix
_A2 = 1.0 / (_GAMMA * (2.0 - _GAMMA))
_B2 = (1.0 - _GAMMA) ** 2 / (_GAMMA * (2.0 - _GAMMA))


# --- property correlations -----------------------------------------------------------------------


def m2_per_s_to_cm2_per_h(diffusivity_m2_per_s: float) -> float:
    """Convert a diffusivity from m²/s to cm²/h."""
    return diffusivity_m2_per_s * CM2_PER_M2 * S_PER_H


def stokes_einstein_m2_per_s(
    radius_nm: float, temperature_k: float | None = None, viscosity_mpa_s: float | None = None
) -> float:
    """Free-solution diffusivity ``k_B T / (6 pi eta r_s)`` in m²/s (no tissue hindrance).

    Defaults are the MODELS.md §3.2 worked example (310 K, water at 0.69 mPa·s); with
    ``r_s = 0.5 nm`` that gives ≈ 6.6e-10 m²/s.
    """
    if temperature_k is None:
        temperature_k = value("uptake.stokes_einstein.temperature_k")
    if viscosity_mpa_s is None:
        viscosity_mpa_s = value("uptake.stokes_einstein.water_viscosity_mpa_s")
    _check_positive(radius_nm, "radius_nm")
    _check_positive(temperature_k, "temperature_k")
    _check_positive(viscosity_mpa_s, "viscosity_mpa_s")
    return (
        BOLTZMANN_J_PER_K
        * temperature_k
        / (6.0 * math.pi * viscosity_mpa_s * 1e-3 * radius_nm * 1e-9)
    )


def kretsos_dermal_diffusivity_m2_per_s(
    molecular_weight_g_per_mol: float,
    fraction_unbound: float = 1.0,
    fraction_nonionized: float = 1.0,
    lipid_partition: float = 0.0,
) -> float:
    """Dermal diffusivity after Kretsos 2008, in **m²/s**.

    ``D = 10^(-8.15 - 0.655 log10 MW) / (0.68 + 0.32/f_u + 0.025 f_non K_lip)``.

    MODELS.md prints the unit as cm²/s, but with -8.15 the prefactor is the m²/s form (the
    cm²/s form has -4.15): 1.6e-10 m²/s = 1.6e-6 cm²/s for MW 327 is a dermal value, whereas
    1.6e-10 cm²/s would be slower than the stratum corneum. To verify against the original.
    """
    _check_positive(molecular_weight_g_per_mol, "molecular_weight_g_per_mol")
    if not 0.0 < fraction_unbound <= 1.0:
        raise UserError(f"expected a fraction in (0, 1], got {fraction_unbound}", field="f_u")
    if not 0.0 <= fraction_nonionized <= 1.0:
        raise UserError(f"expected a fraction in [0, 1], got {fraction_nonionized}", field="f_non")
    if not (math.isfinite(lipid_partition) and lipid_partition >= 0.0):
        raise UserError(f"expected 0 or more, got {lipid_partition}", field="K_lip")
    free = math.pow(
        10.0,
        value("uptake.kretsos.log_prefactor")
        + value("uptake.kretsos.mw_exponent") * math.log10(molecular_weight_g_per_mol),
    )
    binding = (
        value("uptake.kretsos.denominator_constant")
        + value("uptake.kretsos.unbound_weight") / fraction_unbound
        + value("uptake.kretsos.lipid_weight") * fraction_nonionized * lipid_partition
    )
    return free / binding


def potts_guy_kp_cm_per_h(log_kow: float, molecular_weight_g_per_mol: float) -> float:
    """Intact-skin permeability ``log10 kp = -2.7 + 0.71 log Kow - 0.0061 MW`` (cm/h)."""
    _check_positive(molecular_weight_g_per_mol, "molecular_weight_g_per_mol")
    if not math.isfinite(log_kow):
        raise UserError(f"expected a finite log Kow, got {log_kow}", field="log_kow")
    log_kp = (
        value("uptake.potts_guy.intercept")
        + value("uptake.potts_guy.log_kow_slope") * log_kow
        + value("uptake.potts_guy.mw_slope") * molecular_weight_g_per_mol
    )
    return math.pow(10.0, log_kp)


# --- inputs --------------------------------------------------------------------------------------


def _check_positive(number: float, field_name: str) -> None:
    if not (math.isfinite(number) and number > 0):
        raise UserError(f"expected a number above 0, got {number}", field=field_name)


def _check_non_negative(number: float, field_name: str) -> None:
    if not (math.isfinite(number) and number >= 0):
        raise UserError(f"expected a number of 0 or more, got {number}", field=field_name)


@dataclass(frozen=True, slots=True)
class UnitCell:
    """Geometry of one channel's cell. A channel radius or depth of 0 means intact skin."""

    cell_radius_um: float
    channel_radius_um: float
    channel_depth_um: float
    sink_depth_um: float

    def __post_init__(self) -> None:
        _check_positive(self.cell_radius_um, "cell_radius_um")
        _check_non_negative(self.channel_radius_um, "channel_radius_um")
        _check_non_negative(self.channel_depth_um, "channel_depth_um")
        _check_positive(self.sink_depth_um, "sink_depth_um")
        if self.has_channel:
            if self.channel_radius_um >= self.cell_radius_um:
                raise UserError(
                    f"channels of radius {self.channel_radius_um:g} µm overlap in a unit cell of "
                    f"radius {self.cell_radius_um:g} µm: lower the density",
                    field="punctures_per_cm2",
                )
            if self.channel_depth_um >= self.sink_depth_um:
                raise UserError(
                    f"the channel ({self.channel_depth_um:g} µm deep) reaches the sink at "
                    f"{self.sink_depth_um:g} µm: shorter needle or deeper sink",
                    field="channel_depth_um",
                )

    @property
    def has_channel(self) -> bool:
        return self.channel_radius_um > 0 and self.channel_depth_um > 0

    @property
    def surface_area_cm2(self) -> float:
        return math.pi * (self.cell_radius_um / UM_PER_CM) ** 2

    def intact(self) -> UnitCell:
        """The same cell without its channel."""
        return UnitCell(self.cell_radius_um, 0.0, 0.0, self.sink_depth_um)


@dataclass(frozen=True, slots=True)
class Transport:
    """What diffuses and how it gets in.

    ``intact_permeability_cm_per_h`` is route (b), the parallel route through the intact surface
    (``kp``; see the module docstring for ``intact_route``); 0 makes the top impermeable
    (route a). ``closure_rate_per_h`` is ``k_b``; 0 means the channel stays open (excised skin).
    """

    diffusivity_cm2_per_h: float
    donor_ug_per_ml: float
    partition: float = 1.0
    intact_permeability_cm_per_h: float = 0.0
    closure_rate_per_h: float = 0.0
    intact_route: IntactRoute = "series"

    def __post_init__(self) -> None:
        _check_positive(self.diffusivity_cm2_per_h, "diffusivity_cm2_per_h")
        _check_non_negative(self.donor_ug_per_ml, "donor_ug_per_ml")
        _check_positive(self.partition, "partition")
        if self.intact_route not in ("series", "fixed_flux"):
            raise UserError(f"unknown intact route {self.intact_route!r}", field="intact_route")
        _check_non_negative(self.intact_permeability_cm_per_h, "intact_permeability_cm_per_h")
        _check_non_negative(self.closure_rate_per_h, "closure_rate_per_h")

    @property
    def wall_ug_per_ml(self) -> float:
        """Concentration held at the open channel's wall, ``K * C_donor``."""
        return self.partition * self.donor_ug_per_ml

    @property
    def surface_flux_ug_per_cm2_h(self) -> float:
        """Route (b) flux into tissue at zero concentration, ``kp * C_donor``."""
        return self.intact_permeability_cm_per_h * self.donor_ug_per_ml

    @property
    def surface_conductance_cm_per_h(self) -> float:
        """Series form: flux falls by ``kp / K`` per unit tissue concentration."""
        if self.intact_route == "fixed_flux":
            return 0.0
        return self.intact_permeability_cm_per_h / self.partition


@dataclass(frozen=True, slots=True)
class GridSpec:
    """Mesh resolution. Each ``level`` halves every cell (for convergence studies).

    ``spacing_um`` is the level-0 target cell size away from the channel; ``grading`` is the
    power of the mapping that concentrates cells at the channel's wall and floor.
    """

    level: int = DEFAULT_LEVEL
    spacing_um: float = 60.0
    channel_cells: int = 3
    grading: float = 2.0

    def __post_init__(self) -> None:
        if self.level < 0 or self.level > 6:
            raise UserError(f"expected a grid level from 0 to 6, got {self.level}", field="level")


# --- mesh ----------------------------------------------------------------------------------------


def _segment(
    start: float, stop: float, cells: int, toward: Literal["start", "end", "none"], beta: float
) -> FloatArray:
    """Face positions on ``[start, stop]``, power-graded towards one end."""
    xi = np.linspace(0.0, 1.0, cells + 1)
    if toward == "start":
        mapped = xi**beta
    elif toward == "end":
        mapped = 1.0 - (1.0 - xi) ** beta
    else:
        mapped = xi
    return np.asarray(start + (stop - start) * mapped, dtype=np.float64)


def _cells_for(length_um: float, spacing_um: float, minimum: int, level: int) -> int:
    return max(minimum, math.ceil(length_um / spacing_um)) << level


def _faces_um(cell: UnitCell, grid: GridSpec) -> tuple[FloatArray, FloatArray]:
    level, spacing, beta = grid.level, grid.spacing_um, grid.grading
    if not cell.has_channel:
        n_r = 2 * (1 << level)
        n_z = _cells_for(cell.sink_depth_um, spacing / 2.0, 8, level)
        return (
            _segment(0.0, cell.cell_radius_um, n_r, "none", 1.0),
            _segment(0.0, cell.sink_depth_um, n_z, "none", 1.0),
        )
    r_c, depth, radius, sink = (
        cell.channel_radius_um,
        cell.channel_depth_um,
        cell.cell_radius_um,
        cell.sink_depth_um,
    )
    inner = _segment(0.0, r_c, grid.channel_cells * (1 << level), "end", beta)
    outer = _segment(r_c, radius, _cells_for(radius - r_c, spacing, 6, level), "start", beta)
    upper = _segment(0.0, depth, _cells_for(depth, spacing, 4, level), "end", beta)
    lower = _segment(depth, sink, _cells_for(sink - depth, spacing, 6, level), "start", beta)
    return np.concatenate([inner, outer[1:]]), np.concatenate([upper, lower[1:]])


@dataclass(frozen=True)
class Discretization:
    """Finite-volume operator for one unit cell: ``V dc/dt = -A c + s(t) b_wall + b_top``.

    ``b_wall`` is per unit wall concentration (µg/cm³), ``b_top`` per unit surface flux
    (µg/cm²/h); ``sink`` gives the total sink flux ``sink @ c`` in µg/h.
    """

    r_faces_cm: FloatArray
    z_faces_cm: FloatArray
    active: NDArray[np.bool_]
    volumes_cm3: FloatArray
    operator: sp.csc_matrix
    b_wall: FloatArray
    b_top: FloatArray
    sink: FloatArray
    area_cm2: float
    diffusivity_cm2_per_h: float

    @property
    def unknowns(self) -> int:
        return int(self.volumes_cm3.size)


def discretize(
    cell: UnitCell, diffusivity_cm2_per_h: float, grid: GridSpec | None = None
) -> Discretization:
    """Assemble the finite-volume operator for ``cell`` (see :class:`Discretization`)."""
    grid = grid or GridSpec()
    r_um, z_um = _faces_um(cell, grid)
    r = r_um / UM_PER_CM
    z = z_um / UM_PER_CM
    d = diffusivity_cm2_per_h
    n_r, n_z = r.size - 1, z.size - 1
    rc = 0.5 * (r[:-1] + r[1:])
    zc = 0.5 * (z[:-1] + z[1:])
    dz = np.diff(z)
    ring = math.pi * (r[1:] ** 2 - r[:-1] ** 2)  # axial face area of each ring

    r_channel = cell.channel_radius_um / UM_PER_CM if cell.has_channel else 0.0
    z_channel = cell.channel_depth_um / UM_PER_CM if cell.has_channel else 0.0
    in_channel = (rc[:, None] < r_channel) & (zc[None, :] < z_channel)
    active = ~in_channel
    index = -np.ones((n_r, n_z), dtype=np.int64)
    index[active] = np.arange(int(active.sum()))
    volumes = (ring[:, None] * dz[None, :])[active]

    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    vals: list[FloatArray] = []
    diag = np.zeros(volumes.size)
    b_wall = np.zeros(volumes.size)

    def connect(p: NDArray[np.int64], q: NDArray[np.int64], t: FloatArray) -> None:
        rows.extend([p, q, p, q])
        cols.extend([p, q, q, p])
        vals.extend([t, t, -t, -t])

    # radial faces between cell i and i+1
    area_r = 2.0 * math.pi * r[1:-1, None] * dz[None, :]
    t_r = d * area_r / (rc[1:] - rc[:-1])[:, None]
    left, right = index[:-1, :], index[1:, :]
    both = (left >= 0) & (right >= 0)
    connect(left[both], right[both], t_r[both])
    wall = (left < 0) & (right >= 0)  # channel cell on the left: the channel wall
    t_wall = (d * area_r / (rc[1:] - r[1:-1])[:, None])[wall]
    np.add.at(diag, right[wall], t_wall)
    np.add.at(b_wall, right[wall], t_wall)

    # axial faces between cell j and j+1
    t_z = d * ring[:, None] / (zc[1:] - zc[:-1])[None, :]
    upper, lower = index[:, :-1], index[:, 1:]
    both = (upper >= 0) & (lower >= 0)
    connect(upper[both], lower[both], t_z[both])
    floor = (upper < 0) & (lower >= 0)  # channel cell above: the channel floor
    t_floor = (d * np.broadcast_to(ring[:, None], upper.shape) / (zc[1:] - z[1:-1])[None, :])[floor]
    np.add.at(diag, lower[floor], t_floor)
    np.add.at(b_wall, lower[floor], t_floor)

    # top surface (route b) and bottom sink
    b_top = np.zeros(volumes.size)
    top = index[:, 0] >= 0
    b_top[index[top, 0]] = ring[top]
    sink = np.zeros(volumes.size)
    t_sink = d * ring / (z[-1] - zc[-1])
    sink[index[:, -1]] = t_sink
    diag[index[:, -1]] += t_sink

    n = volumes.size
    rows.append(np.arange(n))
    cols.append(np.arange(n))
    vals.append(diag)
    operator = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    return Discretization(
        r_faces_cm=r,
        z_faces_cm=z,
        active=active,
        volumes_cm3=volumes,
        operator=operator,
        b_wall=b_wall,
        b_top=b_top,
        sink=sink,
        area_cm2=math.pi * r[-1] ** 2,
        diffusivity_cm2_per_h=d,
    )


def discretize_membrane(
    thickness_um: float,
    diffusivity_cm2_per_h: float,
    cells: int = 200,
) -> Discretization:
    """A 1-D membrane of unit area (top Dirichlet or flux, sink at the bottom), same engine."""
    _check_positive(thickness_um, "thickness_um")
    if cells < 2:
        raise UserError(f"expected at least 2 cells, got {cells}", field="cells")
    z = np.linspace(0.0, thickness_um / UM_PER_CM, cells + 1)
    zc = 0.5 * (z[:-1] + z[1:])
    d = diffusivity_cm2_per_h
    t_int = d / np.diff(zc)
    main = np.zeros(cells)
    main[:-1] += t_int
    main[1:] += t_int
    b_wall = np.zeros(cells)  # set by with_dirichlet_top
    b_top = np.zeros(cells)
    b_top[0] = 1.0
    sink = np.zeros(cells)
    sink[-1] = d / (z[-1] - zc[-1])
    main[-1] += sink[-1]
    operator = sp.diags([main, -t_int, -t_int], [0, 1, -1], format="csc")
    return Discretization(
        r_faces_cm=np.array([0.0, 1.0 / math.sqrt(math.pi)]),
        z_faces_cm=z,
        active=np.ones((1, cells), dtype=np.bool_),
        volumes_cm3=np.diff(z),
        operator=operator,
        b_wall=b_wall,
        b_top=b_top,
        sink=sink,
        area_cm2=1.0,
        diffusivity_cm2_per_h=d,
    )


def with_dirichlet_top(disc: Discretization) -> Discretization:
    """The membrane with its top face held at the wall concentration (adds its conductance)."""
    z = disc.z_faces_cm
    b_wall = np.zeros_like(disc.b_top)
    b_wall[0] = disc.diffusivity_cm2_per_h / (0.5 * (z[1] - z[0]))
    operator = (disc.operator + sp.diags(b_wall, 0, format="csc")).tocsc()
    return Discretization(
        r_faces_cm=disc.r_faces_cm,
        z_faces_cm=disc.z_faces_cm,
        active=disc.active,
        volumes_cm3=disc.volumes_cm3,
        operator=operator,
        b_wall=b_wall,
        b_top=np.zeros_like(disc.b_top),
        sink=disc.sink,
        area_cm2=disc.area_cm2,
        diffusivity_cm2_per_h=disc.diffusivity_cm2_per_h,
    )


def operator_for(disc: Discretization, transport: Transport) -> sp.csc_matrix:
    """The assembled operator plus route (b)'s series conductance on the top cells."""
    conductance = transport.surface_conductance_cm_per_h
    if conductance == 0.0:
        return disc.operator
    return (disc.operator + sp.diags(disc.b_top * conductance, 0, format="csc")).tocsc()


# --- steady state --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SteadyState:
    """Open-channel steady state (``k_b = 0``) and its asymptotic lag time.

    ``p_eff_cm_per_h = J / (K C_donor)`` is MODELS.md's ``D / H_eff`` (per unit wall
    concentration); ``lag_h`` is the time-axis intercept of the asymptote of ``Q(t)``, computed
    exactly from a second steady solve (``A w = V u``; ``t_lag = sink·w / sink·u``).
    """

    flux_ug_per_cm2_h: float
    channel_flux_ug_per_cm2_h: float
    intact_flux_ug_per_cm2_h: float
    p_eff_cm_per_h: float
    h_eff_um: float
    lag_h: float
    unknowns: int


def steady_state_of(disc: Discretization, transport: Transport) -> SteadyState:
    """Steady flux, ``P_eff`` and asymptotic lag of an assembled problem."""
    lu = splu(operator_for(disc, transport))
    u_wall = lu.solve(disc.b_wall * transport.wall_ug_per_ml)
    u_top = lu.solve(disc.b_top * transport.surface_flux_ug_per_cm2_h)
    u = u_wall + u_top
    channel = float(disc.sink @ u_wall) / disc.area_cm2
    intact = float(disc.sink @ u_top) / disc.area_cm2
    total = channel + intact
    moment = lu.solve(disc.volumes_cm3 * u)
    lag = float(disc.sink @ moment) / float(disc.sink @ u) if total > 0 else math.nan
    wall = transport.wall_ug_per_ml
    p_eff = channel / wall if wall > 0 else 0.0
    h_eff = disc.diffusivity_cm2_per_h / p_eff * UM_PER_CM if p_eff > 0 else math.inf
    return SteadyState(
        flux_ug_per_cm2_h=total,
        channel_flux_ug_per_cm2_h=channel,
        intact_flux_ug_per_cm2_h=intact,
        p_eff_cm_per_h=p_eff,
        h_eff_um=h_eff,
        lag_h=lag,
        unknowns=disc.unknowns,
    )


def steady_state(cell: UnitCell, transport: Transport, grid: GridSpec | None = None) -> SteadyState:
    """Steady state of the unit cell with the channel open (see :class:`SteadyState`)."""
    return steady_state_of(discretize(cell, transport.diffusivity_cm2_per_h, grid), transport)


# --- time stepping -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UptakeCurve:
    """Cumulative uptake into the sink, per cm² of skin surface, on the solver's time grid."""

    hours: FloatArray
    cumulative_ug_per_cm2: FloatArray
    flux_ug_per_cm2_h: FloatArray
    steps: int = 0
    factorizations: int = 0
    unknowns: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    def cumulative_at(self, hours: float) -> float:
        """``Q`` at ``hours`` (linear between solver steps)."""
        return float(np.interp(hours, self.hours, self.cumulative_ug_per_cm2))

    def flux_at(self, hours: float) -> float:
        """Sink flux at ``hours`` (linear between solver steps)."""
        return float(np.interp(hours, self.hours, self.flux_ug_per_cm2_h))


@dataclass(frozen=True, slots=True)
class TimeSpec:
    """Step schedule: ``first_step_fraction`` of the diffusion time scale, doubled every
    ``steps_per_block`` steps up to ``max_step_fraction`` of the horizon (and ``0.1/k_b``)."""

    first_step_fraction: float = 0.05
    steps_per_block: int = 6
    max_step_fraction: float = 0.01


def step_schedule(
    horizon_h: float, time_scale_h: float, rate_per_h: float, spec: TimeSpec
) -> list[float]:
    """Step lengths (h) :func:`integrate` takes to reach ``horizon_h`` (see :class:`TimeSpec`)."""
    dt_max = horizon_h * spec.max_step_fraction
    if rate_per_h > 0:
        dt_max = min(dt_max, 0.1 / rate_per_h)
    dt = min(time_scale_h * spec.first_step_fraction, dt_max, horizon_h / 20.0)
    steps: list[float] = []
    elapsed = 0.0
    while elapsed < horizon_h * (1.0 - 1e-12):
        for _ in range(spec.steps_per_block):
            step = min(dt, horizon_h - elapsed)
            if step <= horizon_h * 1e-12:
                break
            steps.append(step)
            elapsed += step
        dt = min(2.0 * dt, dt_max)
    return steps


def integrate(
    disc: Discretization,
    transport: Transport,
    horizon_h: float,
    time_scale_h: float,
    spec: TimeSpec | None = None,
) -> UptakeCurve:
    """TR-BDF2 integration of ``V dc/dt = -A c + s(t) b_wall C_s + b_top F`` from ``c = 0``.

    The cumulative uptake ``Q`` is integrated with the same two-stage rule as ``c``, so it is
    second-order accurate and consistent with the concentrations.
    """
    _check_positive(horizon_h, "hours")
    spec = spec or TimeSpec()
    rate = transport.closure_rate_per_h
    wall = disc.b_wall * transport.wall_ug_per_ml
    top = disc.b_top * transport.surface_flux_ug_per_cm2_h
    volumes = disc.volumes_cm3
    sink = disc.sink / disc.area_cm2
    operator = operator_for(disc, transport)

    def source(t: float) -> FloatArray:
        return wall * math.exp(-rate * t) + top if rate > 0 else wall + top

    steps = step_schedule(horizon_h, time_scale_h, rate, spec)
    times = np.empty(len(steps) + 1)
    cumulative = np.empty(len(steps) + 1)
    flux = np.empty(len(steps) + 1)
    times[0] = cumulative[0] = flux[0] = 0.0
    c = np.zeros(volumes.size)
    q = 0.0
    t = 0.0
    current_dt = -1.0
    lu = None
    factorizations = 0
    for n, dt in enumerate(steps, start=1):
        if lu is None or not math.isclose(dt, current_dt, rel_tol=1e-12):
            half = 0.5 * _GAMMA * dt
            matrix = (sp.diags(volumes, 0, format="csc") + half * operator).tocsc()
            lu = splu(matrix)
            current_dt = dt
            factorizations += 1
        half = 0.5 * _GAMMA * dt
        j_n = float(sink @ c)
        rhs = volumes * c - half * (operator @ c) + half * (source(t) + source(t + _GAMMA * dt))
        c_mid = lu.solve(rhs)
        j_mid = float(sink @ c_mid)
        q_mid = q + half * (j_n + j_mid)
        rhs = volumes * (_A2 * c_mid - _B2 * c) + _W * dt * source(t + dt)
        c = lu.solve(rhs)
        j_new = float(sink @ c)
        q = _A2 * q_mid - _B2 * q + _W * dt * j_new
        t += dt
        times[n], cumulative[n], flux[n] = t, q, j_new
    return UptakeCurve(
        hours=times,
        cumulative_ug_per_cm2=cumulative,
        flux_ug_per_cm2_h=flux,
        steps=len(steps),
        factorizations=factorizations,
        unknowns=disc.unknowns,
    )


def diffusion_time_h(cell: UnitCell, diffusivity_cm2_per_h: float) -> float:
    """Time scale of the slowest path a solute must cross: gap below the channel (or the whole
    depth for intact skin) and half the spacing between channels, ``L^2 / (6 D)``."""
    gap = cell.sink_depth_um - (cell.channel_depth_um if cell.has_channel else 0.0)
    length_cm = gap / UM_PER_CM
    return length_cm**2 / (6.0 * diffusivity_cm2_per_h)


def simulate(
    cell: UnitCell,
    transport: Transport,
    hours: float,
    grid: GridSpec | None = None,
    spec: TimeSpec | None = None,
) -> UptakeCurve:
    """Cumulative uptake ``Q(t)`` for ``hours`` after treatment (see :func:`integrate`)."""
    disc = discretize(cell, transport.diffusivity_cm2_per_h, grid)
    return integrate(
        disc, transport, hours, diffusion_time_h(cell, transport.diffusivity_cm2_per_h), spec
    )


# --- curve analysis ------------------------------------------------------------------------------


def lag_time_h(hours: FloatArray, cumulative: FloatArray, late_fraction: float = 0.5) -> float:
    """Time-axis intercept of a straight line fitted to the late part of ``Q(t)``.

    The fit uses the points in the last ``late_fraction`` of the time span, as one reads a lag
    time off a Franz-cell curve.
    """
    if not 0 < late_fraction <= 1:
        raise UserError(
            f"expected a fraction in (0, 1], got {late_fraction}", field="late_fraction"
        )
    t = np.asarray(hours, dtype=np.float64)
    q = np.asarray(cumulative, dtype=np.float64)
    late = t >= t[-1] * (1.0 - late_fraction)
    if int(late.sum()) < 2:
        raise UserError("too few points in the late part of the curve", field="hours")
    slope, intercept = np.polyfit(t[late], q[late], 1)
    if slope <= 0:
        return math.nan
    return float(-intercept / slope)


# --- 1-D membrane (Crank 1975) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MembraneResult:
    steady_flux_ug_per_cm2_h: float
    lag_h: float
    curve: UptakeCurve


def membrane(
    thickness_um: float,
    diffusivity_cm2_per_h: float,
    hours: float,
    *,
    donor_ug_per_ml: float,
    partition: float = 1.0,
    top: Literal["dirichlet", "series", "fixed_flux"] = "dirichlet",
    permeability_cm_per_h: float = 0.0,
    cells: int = 200,
    spec: TimeSpec | None = None,
) -> MembraneResult:
    """A membrane of thickness ``h`` between a donor and a sink (Crank 1975).

    ``top="dirichlet"`` holds the top at ``K C_donor``: ``J = D K C/h``, ``t_lag = h^2/(6D)``.
    ``"series"`` and ``"fixed_flux"`` apply route (b) with ``permeability_cm_per_h`` instead, the
    intact-skin reduction of the unit cell (fixed flux: ``t_lag = h^2/(2D)``).
    """
    disc = discretize_membrane(thickness_um, diffusivity_cm2_per_h, cells)
    if top == "dirichlet":
        disc = with_dirichlet_top(disc)
        transport = Transport(diffusivity_cm2_per_h, donor_ug_per_ml, partition)
    else:
        transport = Transport(
            diffusivity_cm2_per_h,
            donor_ug_per_ml,
            partition,
            intact_permeability_cm_per_h=permeability_cm_per_h,
            intact_route=top,
        )
    steady = steady_state_of(disc, transport)
    scale = (thickness_um / UM_PER_CM) ** 2 / (6.0 * diffusivity_cm2_per_h)
    curve = integrate(disc, transport, hours, scale, spec)
    return MembraneResult(steady.flux_ug_per_cm2_h, steady.lag_h, curve)
