"""Planning throughput: plans per second in one process.

50,000 generated, varied plan requests (fixed seed; zones, concerns, settings, Fitzpatrick types,
add-ons) are parsed and planned; requests the policy refuses count as handled. Median of 5 runs,
against the target (5,000 per second) and a baseline measured in the same run: parsing alone.

``--quick``: 1,000 requests, 3 runs.

    .venv/bin/python benchmarks/planning.py [--count N] [--repeats R] [--quick]
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from typing import Any

from _common import median_seconds_bar, parse_arguments, print_table, tracked
from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.errors import PlanRequestError
from microneedling.knowledge import shipped_knowledge_base

TARGET_PER_SECOND = 5_000
QUICK = {"count": 1_000, "repeats": 3}


def generate(count: int, seed: int = 20261207) -> list[dict[str, Any]]:
    kb = shipped_knowledge_base()
    rng = random.Random(seed)
    zones = [z for z in kb.zones if z != "scalp"]
    rejuvenation = [c for c, concern in kb.concerns.items() if concern.group == "rejuvenation"]
    professional = [*rejuvenation, "acne_scars", "surgical_scars", "burn_scars", "stretch_marks",
                    "hyperpigmentation"]  # fmt: skip
    requests = []
    for _ in tracked(range(count), "generating requests"):
        on = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        setting = "home" if rng.random() < 0.15 else "professional"
        treatments = []
        for _ in range(rng.randint(1, 3)):
            if setting == "home":
                concern = rng.choice([*rejuvenation, "product_absorption"])
                treatments.append({"zone": rng.choice(zones), "concern": concern})
            elif rng.random() < 0.1:
                treatments.append({"zone": "scalp", "concern": "alopecia"})
            else:
                treatments.append({"zone": rng.choice(zones), "concern": rng.choice(professional)})
        requests.append(
            {
                "on": on.isoformat(),
                "setting": setting,
                "fitzpatrick": rng.randint(1, 6),
                "start": (on + timedelta(days=rng.randrange(30))).isoformat(),
                "treatments": treatments,
                "add_ons": rng.choice([[], [], ["prp"], ["chemical_peel"]]),
                "surgery_on": (on - timedelta(days=rng.randrange(200))).isoformat(),
            }
        )
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parse_arguments(parser, QUICK)
    kb = shipped_knowledge_base()
    requests = generate(args.count)

    def parse_only() -> None:
        for data in requests:
            parse_plan_request(data)

    refused = 0

    def parse_and_plan() -> None:
        nonlocal refused
        refused = 0
        for data in requests:
            try:
                plan(parse_plan_request(data), kb)
            except PlanRequestError:
                refused += 1

    baseline = median_seconds_bar(parse_only, args.repeats, "parse only (baseline)")
    full = median_seconds_bar(parse_and_plan, args.repeats, "parse + plan")
    n = len(requests)
    print_table(
        f"Planning {n:,} requests, median of {args.repeats} runs (target ≥ {TARGET_PER_SECOND:,}/s)",
        ["run", "seconds", "plans/s", "time vs baseline", f"≥ {TARGET_PER_SECOND:,}/s"],
        [
            [
                "baseline: parse only (Pydantic)",
                f"{baseline:.3f}",
                f"{n / baseline:,.0f}",
                "1.00",
                "",
            ],
            [
                "parse + plan (with care timelines)",
                f"{full:.3f}",
                f"{n / full:,.0f}",
                f"{full / baseline:.2f}",
                "PASS" if n / full >= TARGET_PER_SECOND else "FAIL",
            ],
        ],
    )
    print(f"refused by policy: {refused:,} of {n:,}")


if __name__ == "__main__":
    main()
