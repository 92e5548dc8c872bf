"""Benchmark: one unit-cell uptake solution, accuracy and time, against FiPy on the same mesh.

MODELS.md §6 target: a unit-cell uptake within 1 % of a refined reference in under 1 s, reported
side by side with FiPy as a speed ratio. The problem is the naloxone calibration cell (250 /cm²,
channel radius 35.35 µm, depth 250 µm, fitted sink), channel pathway only, excised skin
(``k_b = 0``), 6 h. The reference is this package's solver on a grid refined four times (16x more
cells per direction than level 0) with 4x smaller time steps.

FiPy solves the same equations on the same (level-2) mesh: the channel's cells are held at the wall
concentration by a stiff implicit source (FiPy cannot remove cells from a grid), the sink face is
constrained to 0, and it steps with implicit Euler (FiPy's transient scheme) on the same step
schedule. Cumulative uptake is the sink flux integrated with the trapezoid rule.

Run: ``.venv/bin/python benchmarks/simulation.py`` (runs this too; about a minute).
``--quick`` (through ``simulation.py``): the reference on level 3, this package on levels 1 and 2,
FiPy on level 1, one run each (a few seconds; the figures are not the target's).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from _common import Bars, print_table
from microneedling.simulation import diffusion as dif
from microneedling.simulation import uptake as up
from microneedling.simulation.params import value

HOURS = 6.0
RUNS = 5


def problem() -> tuple[dif.UnitCell, dif.Transport]:
    cell = dif.UnitCell(
        up.cell_radius_um(250.0), value("uptake.channel_radius_um"), 250.0, value(up.FIT_SINK)
    )
    transport = dif.Transport(up.naloxone_diffusivity_cm2_per_h(), value(up.FIT_DONOR))
    return cell, transport


def ours(level: int) -> Callable[[], tuple[float, int, int]]:
    cell, transport = problem()

    def run() -> tuple[float, int, int]:
        curve = dif.simulate(cell, transport, HOURS, dif.GridSpec(level=level))
        return curve.cumulative_at(HOURS), curve.unknowns, curve.steps

    return run


def fipy_baseline(level: int) -> Callable[[], tuple[float, int, int]]:
    from fipy import (
        CellVariable,
        CylindricalGrid2D,
        DiffusionTerm,
        ImplicitSourceTerm,
        LinearLUSolver,
        TransientTerm,
    )

    cell, transport = problem()
    grid = dif.GridSpec(level=level)
    disc = dif.discretize(cell, transport.diffusivity_cm2_per_h, grid)
    r, z = disc.r_faces_cm, disc.z_faces_cm
    steps = dif.step_schedule(
        HOURS,
        dif.diffusion_time_h(cell, transport.diffusivity_cm2_per_h),
        0.0,
        dif.TimeSpec(),
    )
    d = transport.diffusivity_cm2_per_h
    wall = transport.wall_ug_per_ml
    n_r, n_z = r.size - 1, z.size - 1
    ring = np.pi * (r[1:] ** 2 - r[:-1] ** 2)
    sink_conductance = d * ring / (z[-1] - 0.5 * (z[-2] + z[-1]))
    area = np.pi * r[-1] ** 2

    def run() -> tuple[float, int, int]:
        mesh = CylindricalGrid2D(dr=list(np.diff(r)), dz=list(np.diff(z)))
        concentration = CellVariable(mesh=mesh, value=0.0, hasOld=True)
        concentration.constrain(0.0, where=mesh.facesTop)  # z = z_cap (y grows downwards here)
        x, y = (np.asarray(c) for c in mesh.cellCenters.value)
        in_channel = (x < cell.channel_radius_um / 1e4) & (y < cell.channel_depth_um / 1e4)
        inside = CellVariable(mesh=mesh, value=in_channel.astype(float))
        stiff = 1e6 * d / float(np.min(np.diff(r))) ** 2  # relaxation time << any step
        equation = (
            TransientTerm()
            == DiffusionTerm(coeff=d)
            - ImplicitSourceTerm(coeff=stiff * inside)
            + stiff * wall * inside
        )
        # one direct solve per step: FiPy's default refinement test compares the residual with
        # the right-hand side, which the stiff channel rows dominate, and would skip the solve
        solver = LinearLUSolver(tolerance=1e-30, iterations=1)
        q = 0.0
        j_old = 0.0
        for dt in steps:
            concentration.updateOld()
            equation.solve(var=concentration, dt=dt, solver=solver)
            bottom = np.asarray(concentration.value).reshape(n_z, n_r)[-1]
            j_new = float(sink_conductance @ bottom) / area
            q += 0.5 * dt * (j_old + j_new)
            j_old = j_new
        return q, n_r * n_z, len(steps)

    return run


def timed(
    run: Callable[[], tuple[float, int, int]], runs: int = RUNS
) -> tuple[float, float, int, int]:
    times = []
    result = (0.0, 0, 0)
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), *result


def main(*, quick: bool = False) -> int:
    import fipy
    import scipy

    runs = 1 if quick else RUNS
    reference_level, levels, fipy_level = (3, (1, 2), 1) if quick else (4, (2, 3), 2)
    cell, transport = problem()
    with Bars() as bars:
        task = bars.add_task(f"uptake: reference (level {reference_level})", total=4)
        start = time.perf_counter()
        reference = dif.simulate(
            cell,
            transport,
            HOURS,
            dif.GridSpec(level=reference_level),
            dif.TimeSpec(0.0125, 24, 0.0025),
        )
        reference_q = reference.cumulative_at(HOURS)
        reference_s = time.perf_counter() - start
        rows = []
        for level in levels:
            name = " (default)" if level == 2 else ""
            bars.update(task, advance=1, description=f"uptake: this package, level {level}")
            rows.append((f"this package, level {level}{name}, TR-BDF2", *timed(ours(level), runs)))
        bars.update(task, advance=1, description=f"uptake: FiPy, level {fipy_level}")
        rows.append(
            (
                f"FiPy, level-{fipy_level} mesh, implicit Euler",
                *timed(fipy_baseline(fipy_level), runs),
            )
        )
        bars.update(task, completed=4)
    fipy_time = rows[-1][1]

    print("Unit-cell uptake benchmark (MODELS.md §6): naloxone cell, channel pathway, 6 h")
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}".rstrip()
        + f", {os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__},"
        f" scipy {scipy.__version__}, FiPy {fipy.__version__}"
    )
    print(
        f"reference: level {reference_level} ({reference.unknowns} unknowns, {reference.steps} "
        f"steps), Q(6 h) = {reference_q:.3f} µg/cm² ({reference_s:.1f} s, once)"
    )
    table = []
    for name, seconds, q, unknowns, steps in rows:
        error = 100.0 * (q - reference_q) / reference_q
        table.append(
            [name, f"{unknowns}", f"{steps}", f"{seconds:.3f}", f"{q:.3f}", f"{error:.3f}",
             f"{fipy_time / seconds:.1f}×"]
        )  # fmt: skip
    print_table(
        f"Unit-cell uptake against FiPy (median of {runs} run(s) each)",
        ["solver", "unknowns", "steps", "time (s)", "Q(6 h) µg/cm²", "error %", "FiPy/this"],
        table,
    )
    default = next((row for row in rows if "(default)" in row[0]), rows[0])
    default_time, default_q = default[1], default[2]
    within = abs(default_q - reference_q) / reference_q <= 0.01
    print(
        f"\ntarget (within 1 % in under 1 s): {'met' if within and default_time < 1.0 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(quick="--quick" in sys.argv[1:]))
