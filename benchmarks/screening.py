"""Screening throughput: intakes screened per second in one process.

100,000 generated, varied intakes (fixed seed) are parsed and screened; the median of 5 runs is
reported against the target (10,000 per second) and against a baseline measured in the same run:
parsing alone (Pydantic validation of the same intakes), so the ratio shows what screening adds.

``--quick``: 2,000 intakes, 3 runs.

    .venv/bin/python benchmarks/screening.py [--count N] [--repeats R] [--quick]
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from typing import Any

from _common import median_seconds_bar, parse_arguments, print_table, tracked
from microneedling.clinical.intake import parse_intake
from microneedling.clinical.screening import screen
from microneedling.knowledge import shipped_knowledge_base

TARGET_PER_SECOND = 10_000
QUICK = {"count": 2_000, "repeats": 3}


def generate(count: int, seed: int = 20261201) -> list[dict[str, Any]]:
    """Varied valid intakes: every finding kind, zones and groups, dates around the waits."""
    kb = shipped_knowledge_base()
    rng = random.Random(seed)
    zone_names = [*kb.zones, *kb.zone_groups]
    codes = {
        kind: [code for code, f in kb.findings.items() if f.kind == kind]
        for kind in ("condition", "medication", "procedure", "allergy")
    }
    lists = {"condition": "conditions", "medication": "medications",
             "procedure": "procedures", "allergy": "allergies"}  # fmt: skip
    intakes = []
    for _ in tracked(range(count), "generating intakes"):
        on = date(2026, 1, 1) + timedelta(days=rng.randrange(730))
        data: dict[str, Any] = {
            "on": on.isoformat(),
            "patient": {
                "birth_date": (on - timedelta(days=rng.randrange(15 * 365, 80 * 365))).isoformat(),
                "sex": rng.choice(["female", "male"]),
                "fitzpatrick": rng.randint(1, 6),
            },
            "zones": rng.sample(zone_names, rng.randint(1, 4)),
        }
        for kind, list_name in lists.items():
            items = []
            for _ in range(rng.choice([0, 0, 1, 1, 2])):
                item: dict[str, Any] = {"code": rng.choice(codes[kind])}
                if rng.random() < 0.4:
                    item["zones"] = rng.sample(zone_names, rng.randint(1, 2))
                if kind in ("procedure", "condition") and rng.random() < 0.7:
                    item["on"] = (on - timedelta(days=rng.randrange(60))).isoformat()
                if kind == "medication" and rng.random() < 0.6:
                    item["stopped_on"] = (on + timedelta(days=rng.randrange(-250, 20))).isoformat()
                items.append(item)
            data[list_name] = items
        intakes.append(data)
    return intakes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parse_arguments(parser, QUICK)

    kb = shipped_knowledge_base()
    intakes = generate(args.count)

    def parse_only() -> None:
        for data in intakes:
            parse_intake(data)

    def parse_and_screen() -> None:
        for data in intakes:
            screen(parse_intake(data), kb)

    parsed = [parse_intake(data) for data in intakes]

    def screen_only() -> None:
        for intake in parsed:
            screen(intake, kb)

    decisions: dict[str, int] = {}
    for intake in parsed:
        decision = screen(intake, kb).decision
        decisions[decision] = decisions.get(decision, 0) + 1

    baseline = median_seconds_bar(parse_only, args.repeats, "parse only (baseline)")
    full = median_seconds_bar(parse_and_screen, args.repeats, "parse + screen")
    core = median_seconds_bar(screen_only, args.repeats, "screen only")
    n = len(intakes)
    rows = [
        ["baseline: parse only (Pydantic)", f"{baseline:.3f}", f"{n / baseline:,.0f}", "1.00", ""],
        [
            "screen only (parsed intakes)",
            f"{core:.3f}",
            f"{n / core:,.0f}",
            f"{core / baseline:.2f}",
            "",
        ],
        [
            "parse + screen",
            f"{full:.3f}",
            f"{n / full:,.0f}",
            f"{full / baseline:.2f}",
            "PASS" if n / full >= TARGET_PER_SECOND else "FAIL",
        ],
    ]
    print_table(
        f"Screening {n:,} intakes, median of {args.repeats} runs "
        f"(target ≥ {TARGET_PER_SECOND:,}/s for parse + screen)",
        ["run", "seconds", "intakes/s", "time vs baseline", f"≥ {TARGET_PER_SECOND:,}/s"],
        rows,
    )
    print("decisions:", ", ".join(f"{k} {v:,}" for k, v in sorted(decisions.items())))


if __name__ == "__main__":
    main()
