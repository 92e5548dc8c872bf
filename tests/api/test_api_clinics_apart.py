"""Every account belongs to one clinic and never sees another's data: another clinic's record
answers 404 with exactly the body a missing one gets, and lists hold only the clinic's own."""

from __future__ import annotations

import re
from typing import Any

from tests.api.conftest import Clinic
from tests.api.test_api_roles import tiny_jpeg
from tests.integration.conftest import World

from microneedling.services import adverse_events, inventory, photos, plans

MISSING = 2_000_000_000


def their_records(other: World) -> dict[str, Any]:
    """A patient of the other clinic with one of everything."""
    session = other.ready_session()
    other.chart(session)
    intake = other.intake(session.patient_id)
    plan = plans.create_plan(
        other.uow, other.clinician, session.patient_id,
        {"treatments": [{"zone": "cheeks", "concern": "fine_lines"}]}, clock=other.clock,
    )  # fmt: skip
    consent = other.consent(session.patient_id, "marketing_photos")
    event = adverse_events.record_adverse_event(
        other.uow, other.clinician, session.patient_id,
        {"kind": "oedema", "severity": "mild", "onset_on": "2026-11-30"}, clock=other.clock,
    )  # fmt: skip
    photo = photos.add_photo(
        other.uow, other.clinician, session.patient_id, tiny_jpeg(), view="front",
        clock=other.clock,
    )  # fmt: skip
    return {
        "patient": session.patient_id, "appointment": session.appointment_id, "intake": intake,
        "plan": plan, "consent": consent, "event": event, "photo": photo,
        "lot": session.lot_number, "staff": other.front_desk.staff_user_id,
        "serials": _serials(other),
    }  # fmt: skip


def _serials(world: World) -> set[str]:
    return {device["serial_number"] for device in inventory.list_devices(world.uow, world.owner)}


#: (method, path with {placeholders}, body): every route that addresses a record.
ADDRESSED = [
    ("GET", "/patients/{patient}", None),
    ("PATCH", "/patients/{patient}", {"phone": "+31 6 0000 0000"}),
    ("GET", "/patients/{patient}/record", None),
    ("POST", "/patients/{patient}/intakes", {"zones": ["cheeks"]}),
    ("GET", "/patients/{patient}/intakes", None),
    ("GET", "/patients/{patient}/screening", None),
    ("GET", "/intakes/{intake}", None),
    ("POST", "/intakes/{intake}/acknowledge-caution", {"note": "n"}),
    ("POST", "/patients/{patient}/plans", {"treatments": [{"zone": "cheeks", "concern": "fine_lines"}]}),
    ("GET", "/patients/{patient}/plans", None),
    ("GET", "/plans/{plan}", None),
    ("POST", "/plans/{plan}/status", {"status": "accepted"}),
    ("POST", "/patients/{patient}/consents", {"kind": "treatment", "signed_by_name": "p"}),
    ("GET", "/patients/{patient}/consents", None),
    ("POST", "/consents/{consent}/withdraw", None),
    ("POST", "/appointments", {"patient_id": "{patient}", "starts_at": "2026-12-09T10:00:00Z"}),
    ("GET", "/appointments/{appointment}", None),
    ("POST", "/appointments/{appointment}/status", {"status": "cancelled", "reason": "Ill"}),
    ("GET", "/appointments/{appointment}/chart", None),
    ("POST", "/appointments/{appointment}/chart/amendments", {"changes": {"notes": "x"}, "reason": "r"}),
    ("POST", "/patients/{patient}/adverse-events", {"kind": "oedema", "severity": "mild", "onset_on": "2026-11-30"}),
    ("GET", "/patients/{patient}/adverse-events", None),
    ("POST", "/adverse-events/{event}/resolve", {"resolved_on": "2026-12-01", "resolution": "ok"}),
    ("POST", "/patients/{patient}/outcomes", {"scale": "gais", "inputs": {"grade": 2}}),
    ("GET", "/patients/{patient}/outcomes", None),
    ("GET", "/patients/{patient}/photos", None),
    ("GET", "/photos/{photo}", None),
    ("GET", "/photos/{photo}/file", None),
    ("POST", "/photos/{photo}/marketing", None),
    ("POST", "/lots/{lot}/recall", {"reason": "r"}),
    ("POST", "/staff/{staff}/deactivate", None),
]  # fmt: skip


def fill(template: Any, values: dict[str, Any]) -> Any:
    if isinstance(template, str):
        whole = re.fullmatch(r"\{(\w+)\}", template)
        if whole:
            return values[whole.group(1)]
        return template.format(**values)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template


def _redact(value: Any, secret: str, into: str = "N") -> Any:
    if isinstance(value, str):
        return value.replace(secret, into)
    if isinstance(value, dict):
        return {key: _redact(item, secret, into) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item, secret, into) for item in value]
    return value


def test_another_clinics_records_answer_exactly_like_missing_ones(clinic: Clinic) -> None:
    theirs = their_records(clinic.other)
    theirs.pop("serials")
    missing = {key: MISSING for key in theirs} | {"lot": "NO-SUCH-LOT"}
    differences = []
    for method, path, body in ADDRESSED:
        foreign = clinic.call(method, fill(path, theirs), "owner", json=fill(body, theirs))
        absent = clinic.call(method, fill(path, missing), "owner", json=fill(body, missing))
        if (foreign.status_code, absent.status_code) != (404, 404):
            differences.append((method, path, foreign.status_code, absent.status_code))
            continue
        one, two = foreign.json(), absent.json()
        # The id itself appears in the message: compare without it (longest first, so a lot
        # number is not cut by an id that happens to be part of it).
        for key in sorted(theirs, key=lambda name: -len(str(theirs[name]))):
            one, two = _redact(one, str(theirs[key])), _redact(two, str(missing[key]))
        if one != two:
            differences.append((method, path, one, two))
    assert differences == []
    record = clinic.get(f"/patients/{theirs['patient']}/record", "other_owner").json()
    assert record["patient"]["phone"] is None, "their record was changed"


def test_lists_hold_only_the_clinics_own_records(clinic: Clinic) -> None:
    theirs = their_records(clinic.other)
    photos.select_photo_for_marketing(
        clinic.other.uow, clinic.other.clinician, theirs["photo"], clock=clinic.other.clock
    )
    ours = clinic.world.ready_session()
    clinic.world.chart(ours)
    their_staff = {clinic.other.owner.staff_user_id, clinic.other.clinician.staff_user_id,
                   clinic.other.front_desk.staff_user_id, clinic.other.clinician2.staff_user_id}  # fmt: skip
    checks = {
        "/patients": lambda item: item["id"] != theirs["patient"],
        "/appointments": lambda item: item["patient_id"] != theirs["patient"],
        "/sessions": lambda item: item["patient_id"] != theirs["patient"],
        "/lots": lambda item: item["lot_number"] != theirs["lot"],
        "/devices": lambda item: item["serial_number"] not in theirs["serials"],
        "/staff": lambda item: item["id"] not in their_staff,
        "/audit?limit=1000": lambda item: item["actor_id"] not in their_staff,
        "/marketing-photos": lambda item: item["id"] != theirs["photo"],
    }
    for path, belongs_here in checks.items():
        body = clinic.get(path, "owner").json()
        items = body["items"] if isinstance(body, dict) else body
        assert all(belongs_here(item) for item in items), path
        if path != "/marketing-photos":
            assert items, f"{path} should list the clinic's own records"


def test_the_other_clinics_owner_sees_their_own_patient_and_not_ours(clinic: Clinic) -> None:
    ours = clinic.world.patient(family_name="Ours")
    theirs = clinic.other.patient(family_name="Theirs")
    assert clinic.get(f"/patients/{ours}", "other_owner").status_code == 404
    assert clinic.get(f"/patients/{theirs}", "other_owner").status_code == 200
    listed = clinic.get("/patients", "other_owner").json()["items"]
    assert ours not in {item["id"] for item in listed}
