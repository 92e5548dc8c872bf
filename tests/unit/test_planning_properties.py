"""Planning invariants over generated requests (Hypothesis)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.errors import PlanRequestError
from microneedling.knowledge import shipped_knowledge_base
from microneedling.knowledge.schema_planning import PlanningFile

KB = shipped_knowledge_base()
PLANNING = KB.section("planning.yaml", PlanningFile)
ZONES = sorted(KB.zones)
CONCERNS = sorted(KB.concerns)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    on = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
    treatments = draw(
        st.lists(
            st.fixed_dictionaries(
                {"zone": st.sampled_from(ZONES), "concern": st.sampled_from(CONCERNS)}
            ),
            min_size=1,
            max_size=4,
        )
    )
    return {
        "on": on.isoformat(),
        "setting": draw(st.sampled_from(["professional", "home"])),
        "fitzpatrick": draw(st.integers(1, 6)),
        "start": (on + timedelta(days=draw(st.integers(0, 60)))).isoformat(),
        "treatments": treatments,
        "surgery_on": (on - timedelta(days=draw(st.integers(0, 400)))).isoformat(),
    }


@settings(max_examples=300, deadline=None)
@given(requests())
def test_plans_respect_intervals_caps_and_are_deterministic(data: dict[str, Any]) -> None:
    try:
        result = plan(parse_plan_request(data), KB)
    except PlanRequestError:
        assume(False)
        return
    again = plan(parse_plan_request(json.loads(json.dumps(data))), KB)
    assert json.dumps(result) == json.dumps(again)
    for series in result["series"]:
        dates = [date.fromisoformat(d) for d in series["dates"]]
        if series["interval_weeks"]:
            minimum = timedelta(weeks=series["interval_weeks"]["min"])
            assert all(b - a >= minimum for a, b in pairwise(dates))
            assert dates[0] >= date.fromisoformat(data["start"])
        for zone in series["zones"]:
            depth = zone["depth_mm"]
            assert depth["min"] <= depth["start"] <= depth["max"]
            assert depth["max"] <= PLANNING.zones[zone["zone"]].cap
            if data["setting"] == "home":
                assert depth["max"] <= PLANNING.home.max_depth_mm
    assert set(result["sources"]) <= set(KB.sources)
