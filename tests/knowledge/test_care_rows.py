"""REFERENCE.md A.4 pre-care and aftercare rows, with real dates for every session."""

from __future__ import annotations

from datetime import date

import pytest

from microneedling.clinical.care import care_timelines
from microneedling.knowledge import shipped_knowledge_base

KB = shipped_knowledge_base()
SESSIONS = [date(2026, 12, 7), date(2027, 1, 4)]

PRECARE = [
    # day, words, sources
    (-7, "Stop retinoids and exfoliating products; avoid sun and tanning", ["A1"]),
    (-14, "No botulinum toxin, filler or peel after this day", ["S-CARRUTHERS2016"]),
    (0, "before-photos; signed consent; cleanse; topical anaesthetic", ["A3", "A4", "A5"]),
]

AFTERCARE = [
    # key, window, date, date_to, words, sources
    ("hours", {"from": 0, "to": 24}, "2026-12-07", "2026-12-08", "Only sterile products",
     ["S-SKINPEN", "S-SOLTANI2014"]),
    ("hours", {"from": 24, "to": 192}, "2026-12-08", "2026-12-15", "SPF 30+", ["A1", "A3"]),
    ("hours", {"from": 0, "to": 48}, "2026-12-07", "2026-12-09", "No make-up",
     ["A2", "A3", "A4", "POLICY"]),
    ("hours", {"from": 0, "to": 72}, "2026-12-07", "2026-12-10", "No strenuous exercise",
     ["S-SKINPEN"]),
    ("day", {"from": 0, "to": 7}, "2026-12-07", "2026-12-14", "No retinoids, AHA/BHA acids, vitamin C",
     ["CLINIC-PRACTICE", "S-SOLTANI2014"]),
    ("day", {"from": 0, "to": 7}, "2026-12-07", "2026-12-14", "Gentle cleanser and moisturiser",
     ["A3", "A5"]),
    ("day", {"from": 0, "to": 3}, "2026-12-07", "2026-12-10", "Redness like a mild sunburn",
     ["A1", "A2", "A3"]),
    ("day", {"from": 2, "to": 5}, "2026-12-09", "2026-12-12", "Flaking", ["A1", "A2", "A3"]),
    ("day", {"from": 0, "to": None}, "2026-12-07", None, "pus, fever, redness spreading after 72",
     ["S-CHU2021"]),
]  # fmt: skip


@pytest.mark.parametrize(("day", "words", "sources"), PRECARE)
def test_precare_row_for_every_session(day: int, words: str, sources: list[str]) -> None:
    precare, _ = care_timelines(SESSIONS, KB)
    matches = [e for e in precare if words in e["instruction"]]
    assert [e["session"] for e in matches] == [1, 2]
    assert [e["date"] for e in matches] == [
        date.fromordinal(s.toordinal() + day).isoformat() for s in SESSIONS
    ]
    assert all(e["day"] == day and e["sources"] == sources for e in matches)


def test_antiviral_step_only_with_herpes_history_and_face_zones() -> None:
    with_history, _ = care_timelines(SESSIONS, KB, findings={"herpes_labialis_history"})
    assert [e["date"] for e in with_history if "antiviral" in e["instruction"]] == [
        "2026-11-30",
        "2026-12-28",
    ]
    without, _ = care_timelines(SESSIONS, KB, findings=set())
    assert not [e for e in without if "antiviral" in e["instruction"]]
    body_only, _ = care_timelines(
        SESSIONS, KB, findings={"herpes_labialis_history"}, face_treated=False
    )
    assert not [e for e in body_only if "antiviral" in e["instruction"]]


def test_without_a_screening_the_antiviral_step_is_conditional() -> None:
    precare, _ = care_timelines(SESSIONS, KB, screened=False)
    [first, _second] = [e for e in precare if "antiviral" in e["instruction"]]
    assert first["conditional"] is True and first["instruction"].startswith(
        "If history of cold sores"
    )


def test_topical_anaesthetic_allergy_changes_the_day_0_step() -> None:
    precare, _ = care_timelines(SESSIONS, KB, findings={"topical_anesthetic"})
    day_0 = [e for e in precare if e["day"] == 0]
    assert all("no topical anaesthetic" in e["instruction"] for e in day_0)


@pytest.mark.parametrize(("key", "window", "start", "end", "words", "sources"), AFTERCARE)
def test_aftercare_row(
    key: str,
    window: dict[str, int | None],
    start: str,
    end: str | None,
    words: str,
    sources: list[str],
) -> None:
    _, aftercare = care_timelines(SESSIONS[:1], KB)
    [entry] = [e for e in aftercare if words in e["instruction"] and e[key] == window]
    assert (entry["date"], entry["date_to"]) == (start, end)
    assert entry["sources"] == sources


def test_every_session_gets_its_own_aftercare() -> None:
    _, aftercare = care_timelines(SESSIONS, KB)
    assert {e["session"] for e in aftercare} == {1, 2}
    assert len(aftercare) == 2 * len(AFTERCARE)
