"""Properties of screening over generated intakes (Hypothesis)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from microneedling.clinical.intake import parse_intake
from microneedling.clinical.screening import DECISION_OF, screen
from microneedling.knowledge import shipped_knowledge_base
from microneedling.knowledge.schema import SEVERITY_ORDER

KB = shipped_knowledge_base()
ZONE_NAMES = sorted([*KB.zones, *KB.zone_groups])
CODES = {
    kind: sorted(code for code, f in KB.findings.items() if f.kind == kind)
    for kind in ("condition", "medication", "procedure", "allergy")
}


@st.composite
def intakes(draw: st.DrawFn) -> dict[str, Any]:
    on = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    past = st.integers(min_value=0, max_value=400).map(lambda days: on - timedelta(days=days))

    def items(kind: str) -> st.SearchStrategy[list[dict[str, Any]]]:
        @st.composite
        def item(draw_item: st.DrawFn) -> dict[str, Any]:
            result: dict[str, Any] = {"code": draw_item(st.sampled_from(CODES[kind]))}
            if draw_item(st.booleans()):
                result["zones"] = draw_item(st.lists(st.sampled_from(ZONE_NAMES), max_size=3))
            if draw_item(st.booleans()):
                result["on"] = draw_item(past).isoformat()
            if kind == "medication" and draw_item(st.booleans()):
                stopped = on + timedelta(days=draw_item(st.integers(-400, 60)))
                result["stopped_on"] = stopped.isoformat()
                if draw_item(st.booleans()):
                    started = min(stopped, on) - timedelta(days=draw_item(st.integers(0, 900)))
                    result["started_on"] = started.isoformat()
            return result

        return st.lists(item(), max_size=4)

    birth = on - timedelta(days=draw(st.integers(min_value=0, max_value=90 * 366)))
    return {
        "on": on.isoformat(),
        "patient": {
            "birth_date": birth.isoformat(),
            "sex": draw(st.sampled_from(["female", "male", "other"])),
            "fitzpatrick": draw(st.integers(1, 6)),
        },
        "zones": draw(st.lists(st.sampled_from(ZONE_NAMES), min_size=1, max_size=6)),
        "conditions": draw(items("condition")),
        "medications": draw(items("medication")),
        "procedures": draw(items("procedure")),
        "allergies": draw(items("allergy")),
    }


@settings(max_examples=400, deadline=None)
@given(intakes())
def test_any_valid_intake_screens_deterministically_and_consistently(data: dict[str, Any]) -> None:
    first = screen(parse_intake(data), KB)
    second = screen(parse_intake(json.loads(json.dumps(data))), KB)
    as_json = json.dumps(first.to_dict(), sort_keys=False)
    assert as_json == json.dumps(second.to_dict(), sort_keys=False)

    severities = [f.severity for f in first.findings]
    if severities:
        most_severe = min(severities, key=SEVERITY_ORDER.index)
        assert first.decision == DECISION_OF[most_severe]
        assert severities == sorted(severities, key=SEVERITY_ORDER.index)
    else:
        assert first.decision == "eligible"

    on = first.on
    if first.decision in ("eligible", "caution"):
        assert first.earliest_date == on
    elif first.decision == "not_eligible":
        assert first.earliest_date is None
    else:
        untils = [f.until for f in first.findings if f.severity == "temporary"]
        if None in untils:
            assert first.earliest_date is None
        else:
            assert first.earliest_date == max(u for u in untils if u is not None)
            assert first.earliest_date > on

    for finding in first.findings:
        assert finding.sources and set(finding.sources) <= set(KB.sources)
        assert finding.message and "?" not in finding.message
        assert finding.until is None or finding.until > on
    for precaution in first.precautions:
        assert precaution.code in {f.code for f in first.findings}
