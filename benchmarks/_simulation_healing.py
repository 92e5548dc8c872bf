"""Benchmark Model 3 (healing and collagen response) against a plain per-plan ODE baseline.

MODELS.md §6 targets: a 12-month, 6-session projection in < 20 ms; 10,000 alternative plans in
< 10 s on 2 cores; each reported beside a plain baseline (``scipy.integrate.solve_ivp``, LSODA and
BDF, of the whole 7-state model per plan) as a speed ratio, with the median of repeated runs.

    .venv/bin/python benchmarks/simulation.py [--quick]  (runs this with the defaults)

``--quick``: 200 plans, 2 runs, 1 fresh process, 1 plan for the baseline and the accuracy check.

The 10,000-plan baseline is not run in full: a seeded sample of plans is timed once each and the
mean time per plan is multiplied by the number of plans (printed as "extrapolated").

"Cold" rows start with no pulse or collagen table cached and the core's dose table not yet read
(``clear_tables``), so they include reading it; the "fresh process" row runs the first projection
in a new interpreter (after its imports), which also pays the first parameter-table load.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy

from _common import Bars, parse_arguments, print_table
from microneedling.simulation.collagen import (
    SeriesPlan,
    clear_tables,
    needle_dose,
    simulate_many,
    simulate_series,
    simulate_series_ivp,
)
from microneedling.simulation.inflammation import dose_table_disabled

HORIZON_DAYS = 365
SIX_SESSIONS = (0, 28, 56, 84, 112, 140)
DEPTHS_MM = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
#: The baseline's tolerances: typical "plain" settings, accurate to well under 1 % here.
BASELINE_RTOL = 1e-6
BASELINE_ATOL = 1e-10
QUICK = {"plans": 200, "baseline_sample": 1, "runs": 2, "fresh_runs": 1}
#: The measured steps, for the progress bar.
STEPS = 13


@dataclass
class Row:
    case: str
    method: str
    seconds: float
    runs: str
    note: str = ""


def median_time(
    func: Callable[[], object], runs: int, before: Callable[[], None] | None = None
) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def baseline(days: tuple[int, ...], doses: tuple[float, ...], method: str) -> np.ndarray:
    """Per-plan solve_ivp of the full model (core + collagen), pulses between segments."""
    series = simulate_series_ivp(
        days, doses, HORIZON_DAYS, solver=method, rtol=BASELINE_RTOL, atol=BASELINE_ATOL
    )
    return series.collagen_pct_change


def random_plans(count: int, seed: int) -> list[SeriesPlan]:
    """Alternative plans: 3–6 sessions, 2–8 weeks apart, one depth per session from a menu."""
    rng = np.random.default_rng(seed)
    doses = [needle_dose(mm) for mm in DEPTHS_MM]
    plans = []
    for _ in range(count):
        sessions = int(rng.integers(3, 7))
        gaps = rng.integers(2, 9, size=sessions - 1) * 7
        days = (0, *(int(d) for d in np.cumsum(gaps)))
        plan_doses = tuple(doses[int(k)] for k in rng.integers(0, len(doses), size=sessions))
        plans.append(SeriesPlan(days, plan_doses))
    return plans


#: Run in a new interpreter: import, then time the first 12-month, 6-session projection.
FRESH_PROCESS_CODE = """
import time
start = time.perf_counter()
from microneedling.simulation.collagen import simulate_series
imported = time.perf_counter()
simulate_series({days!r}, {dose!r}, {horizon!r}, method="fast")
done = time.perf_counter()
print(imported - start, done - imported)
"""


def fresh_process_times(dose: float, runs: int) -> tuple[float, float]:
    """Median import time and median first-projection time over ``runs`` new interpreters."""
    code = FRESH_PROCESS_CODE.format(days=SIX_SESSIONS, dose=dose, horizon=HORIZON_DAYS)
    imports, firsts = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout.split()
        imports.append(float(out[0]))
        firsts.append(float(out[1]))
    return statistics.median(imports), statistics.median(firsts)


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Model 3 benchmark")
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--baseline-sample", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh-runs", type=int, default=5, help="new interpreters to time")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parse_arguments(parser, QUICK, argv)
    runs = args.runs
    rows: list[Row] = []
    bars = Bars()
    task = bars.add_task("Model 3: one projection, cold", total=STEPS)

    def done(next_step: str) -> None:
        bars.update(task, advance=1, description=f"Model 3: {next_step}")

    bars.start()

    print("Model 3 benchmark: healing and collagen response")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
        f"{platform.machine()} {platform.processor() or platform.system()}, "
        f"{os.cpu_count()} CPUs"
    )

    # --- One 12-month, 6-session projection -------------------------------------------------------
    dose = needle_dose(1.5)
    doses = (dose,) * len(SIX_SESSIONS)

    def fast_one() -> object:
        return simulate_series(SIX_SESSIONS, doses, HORIZON_DAYS, method="fast")

    off_grid = needle_dose(1.2)  # u = 0.78, between two doses of the table

    def fast_off_grid() -> object:
        return simulate_series(SIX_SESSIONS, off_grid, HORIZON_DAYS, method="fast")

    cold = median_time(fast_one, runs, before=clear_tables)
    cold_off_grid = median_time(fast_off_grid, runs, before=clear_tables)
    done("one projection, no dose table")
    with dose_table_disabled():
        cold_integrated = median_time(fast_one, runs, before=clear_tables)
    clear_tables()  # the warm rows use tables from the dose table
    done("one projection, fresh processes")
    fresh_import, fresh = fresh_process_times(dose, args.fresh_runs)
    done("one projection, warm")
    fast_one()
    warm = median_time(fast_one, runs)
    done("baseline solve_ivp LSODA")
    base_lsoda = median_time(lambda: baseline(SIX_SESSIONS, doses, "LSODA"), runs)
    done("baseline solve_ivp BDF")
    base_bdf = median_time(lambda: baseline(SIX_SESSIONS, doses, "BDF"), runs)
    done("reference solution")
    reference = simulate_series(SIX_SESSIONS, doses, HORIZON_DAYS, method="reference")
    fast_series = simulate_series(SIX_SESSIONS, doses, HORIZON_DAYS, method="fast")
    error = float(
        np.max(np.abs(fast_series.collagen_pct_change - reference.collagen_pct_change))
        / reference.peak_pct
    )
    lsoda_error = float(
        np.max(np.abs(baseline(SIX_SESSIONS, doses, "LSODA") - reference.collagen_pct_change))
        / reference.peak_pct
    )
    case = "1 plan, 6 sessions, 365 d"
    rows += [
        Row(case, "fast, tables cached", warm, f"median of {runs}", f"max error {error:.1e}"),
        Row(case, "fast, cold (reads the dose table)", cold, f"median of {runs}", "u = 1"),
        Row(
            case,
            "fast, cold, dose between table doses",
            cold_off_grid,
            f"median of {runs}",
            f"u = {off_grid:.3f}",
        ),
        Row(
            case,
            "fast, cold, fresh process",
            fresh,
            f"median of {args.fresh_runs}",
            f"after imports ({fmt_time(fresh_import)}); incl. 1st param-table load",
        ),
        Row(
            case,
            "fast, cold, no dose table (integrates core)",
            cold_integrated,
            f"median of {runs}",
            "fallback",
        ),
        Row(
            case,
            "baseline solve_ivp LSODA",
            base_lsoda,
            f"median of {runs}",
            f"max error {lsoda_error:.1e}",
        ),
        Row(case, "baseline solve_ivp BDF", base_bdf, f"median of {runs}"),
    ]
    one_baseline = min(base_lsoda, base_bdf)

    # --- 10,000 alternative plans -----------------------------------------------------------------
    done(f"{args.plans:,} plans, cold")
    plans = random_plans(args.plans, args.seed)
    distinct = len({u for p in plans for u in p.doses})
    clear_tables()
    start = time.perf_counter()
    simulate_many(plans, HORIZON_DAYS, keep_series=False, workers=2)
    batch_cold = time.perf_counter() - start
    done(f"{args.plans:,} plans, 2 threads")
    batch_warm = median_time(
        lambda: simulate_many(plans, HORIZON_DAYS, keep_series=False, workers=2), runs
    )
    done(f"{args.plans:,} plans, 1 thread")
    batch_one_core = median_time(
        lambda: simulate_many(plans, HORIZON_DAYS, keep_series=False, workers=1), runs
    )
    done("baseline per plan")
    sample = plans[: args.baseline_sample]
    start = time.perf_counter()
    for plan in sample:
        baseline(plan.session_days, plan.doses, "LSODA")
    per_plan = (time.perf_counter() - start) / max(len(sample), 1)
    batch_baseline = per_plan * len(plans)
    done("accuracy against the reference")
    # Accuracy of the batch on the sample, against the reference solver.
    batch = simulate_many(sample, HORIZON_DAYS)
    assert batch.collagen_pct_change is not None
    worst = 0.0
    checked = sample[:10]
    for k, plan in enumerate(checked):
        ref = simulate_series(plan.session_days, plan.doses, HORIZON_DAYS, method="reference")
        worst = max(
            worst,
            float(
                np.max(np.abs(batch.collagen_pct_change[k] - ref.collagen_pct_change))
                / ref.peak_pct
            ),
        )
    case = f"{len(plans):,} plans, 365 d"
    rows += [
        Row(
            case,
            "simulate_many, 2 threads, tables cached",
            batch_warm,
            f"median of {runs}",
            f"max error {worst:.1e} ({len(checked)} plans)",
        ),
        Row(case, "simulate_many, 1 thread, tables cached", batch_one_core, f"median of {runs}"),
        Row(
            case,
            f"simulate_many, 2 threads, cold ({distinct} doses)",
            batch_cold,
            "1 run",
            "includes building the tables",
        ),
        Row(
            case,
            "baseline solve_ivp LSODA per plan",
            batch_baseline,
            f"{len(sample)} plans timed",
            "extrapolated",
        ),
    ]

    bars.update(task, completed=STEPS)
    bars.stop()

    # --- Table ------------------------------------------------------------------------------------
    table = []
    for row in rows:
        base = one_baseline if row.case.startswith("1 plan") else batch_baseline
        ratio = base / row.seconds if not row.method.startswith("baseline") else 1.0
        table.append(
            [row.case, row.method, fmt_time(row.seconds), f"{ratio:.1f}×", row.runs, row.note]
        )
    print_table(
        "Model 3, healing and collagen: each against the faster plain baseline",
        ["case", "method", "time", "speed ratio", "runs", "note"],
        table,
    )
    print(
        f"targets: one projection < 20 ms (warm {fmt_time(warm)}, cold {fmt_time(cold)}, "
        f"fresh process {fmt_time(fresh)}); "
        f"{len(plans):,} plans < 10 s (warm {fmt_time(batch_warm)}, cold {fmt_time(batch_cold)})"
    )
    print(
        "speed ratio = faster baseline time / this time (one plan: the faster of LSODA and BDF); "
        f"baseline tolerances rtol {BASELINE_RTOL:g}, atol {BASELINE_ATOL:g}, single-threaded."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
