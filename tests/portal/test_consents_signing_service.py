"""E-signed consents through the service, as the patient: sign (exact text, version, hash, time,
device), refusals that store nothing, a PDF copy, withdrawal, and staff's view of them."""

# ruff: noqa: F811 (the fixtures imported from tests/web and tests/integration)
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select
from tests.integration.conftest import (  # noqa: F401 (fixtures)
    NOW,
    World,
    database,
    databases,
    make_world,
)

from microneedling.documents.consent_pdf import consent_filename, render_consent
from microneedling.errors import NotFound, PermissionDenied, RuleViolation, UserError
from microneedling.services.clock import fixed_clock
from microneedling.services.consents import consent_form
from microneedling.services.portal import consents_signing
from microneedling.services.portal.actor import PatientActor
from microneedling.services.portal.consents_signing import Device, signature_view
from microneedling.store import Database
from microneedling.store.models import AuditEntry
from microneedling.store.portal_models import PortalAccount
from microneedling.store.portal_records_models import PortalSignature

PHONE = Device("203.0.113.7", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")


def portal_patient(world: World, **details: str) -> PatientActor:
    """A registered patient with an open portal account, as the portal's actor."""
    patient_id = world.patient(**details)
    with world.uow as uow:
        account = PortalAccount(
            clinic_id=world.owner.clinic_id, patient_id=patient_id, invited_at=NOW,
            invited_by=world.owner.staff_user_id, activated_at=NOW,
        )  # fmt: skip
        uow.session.add(account)
        uow.commit()
        return PatientActor(account.id, patient_id, world.owner.clinic_id)


@pytest.fixture
def world(database: Database, tmp_path: Path) -> World:
    return make_world(database, tmp_path / "photos")


def signatures(world: World, patient_id: int) -> list[SimpleNamespace]:
    """The patient's stored signatures, as plain values."""
    with world.uow as uow:
        rows = uow.session.execute(
            select(PortalSignature).where(PortalSignature.patient_id == patient_id)
        ).scalars()
        return [SimpleNamespace(**signature_view(row)) for row in rows]


def sign(world: World, actor: PatientActor, kind: str = "treatment", **changes: object) -> int:
    form = consents_signing.portal_form(kind)
    values: dict[str, object] = {
        "text_sha256": form.text_sha256,
        "typed_name": "Ada Lovelace",
        "agreed": True,
        "device": PHONE,
        **changes,
    }
    return consents_signing.sign(world.uow, actor, kind, clock=world.clock, **values)  # type: ignore[arg-type]


def test_signing_stores_the_exact_text_version_hash_time_and_device(world: World) -> None:
    ada = portal_patient(world)
    signature_id = sign(world, ada, typed_name="  ada   LOVELACE ")
    [row] = signatures(world, ada.patient_id)
    form = consent_form("treatment")
    assert row.id == signature_id
    assert (row.kind, row.form_version, row.text) == ("treatment", form.version, form.text)
    assert row.text_sha256 == form.text_sha256
    assert row.signed_at == NOW and row.signed_name == "ada LOVELACE"
    assert (row.signed_ip, row.signed_user_agent) == ("203.0.113.7", PHONE.user_agent)
    with world.uow as uow:
        entry = uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "portal.consent_sign",
                                     AuditEntry.patient_id == ada.patient_id)
        ).scalar_one()  # fmt: skip
        assert (entry.actor_role, entry.actor_id) == ("patient", ada.account_id)
        assert "Lovelace" not in entry.details and "203.0.113" not in entry.details


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"typed_name": ""}, "typed_name"),
        ({"typed_name": "   "}, "typed_name"),
        ({"typed_name": "Grace Hopper"}, "typed_name"),
        ({"typed_name": "A" * 201}, "typed_name"),
        ({"agreed": False}, "agreed"),
        ({"text_sha256": "0" * 64}, "form"),
        ({"text_sha256": "<script>"}, "form"),
        ({"text_sha256": ""}, "form"),
    ],
)
def test_a_missing_or_wrong_part_signs_nothing(
    world: World, changes: dict[str, object], field: str
) -> None:
    ada = portal_patient(world)
    with pytest.raises(UserError) as refused:
        sign(world, ada, **changes)
    assert refused.value.field == field
    assert signatures(world, ada.patient_id) == []


def test_an_unknown_form_is_not_found(world: World) -> None:
    ada = portal_patient(world)
    with pytest.raises(NotFound):
        sign(world, ada, "everything")


def test_the_same_text_cannot_be_signed_twice_while_it_stands_but_again_after_withdrawal(
    world: World,
) -> None:
    ada = portal_patient(world)
    first = sign(world, ada)
    with pytest.raises(RuleViolation):
        sign(world, ada)
    later = fixed_clock(NOW + timedelta(hours=2))
    consents_signing.withdraw(world.uow, ada, first, device=PHONE, clock=later)
    [row] = signatures(world, ada.patient_id)
    assert row.withdrawn_at == NOW + timedelta(hours=2) and row.withdrawn_ip == "203.0.113.7"
    with pytest.raises(RuleViolation):
        consents_signing.withdraw(world.uow, ada, first, device=PHONE, clock=later)
    sign(world, ada)
    overview = consents_signing.consent_overview(world.uow, ada, clock=world.clock)
    treatment = next(f for f in overview if f["kind"] == "treatment")
    assert treatment["signed"] is not None and len(treatment["history"]) == 2


def test_photo_consents_are_separate_and_marketing_is_its_own_choice(world: World) -> None:
    ada = portal_patient(world)
    sign(world, ada, "clinical_photos")
    overview = {
        f["kind"]: f for f in consents_signing.consent_overview(world.uow, ada, clock=world.clock)
    }
    assert overview["clinical_photos"]["signed"] is not None
    assert overview["marketing_photos"]["signed"] is None
    assert "marketing" in overview["clinical_photos"]["text"]
    sign(world, ada, "marketing_photos")
    assert {r.kind for r in signatures(world, ada.patient_id)} == {
        "clinical_photos",
        "marketing_photos",
    }


def test_another_patients_signature_cannot_be_read_or_withdrawn(world: World) -> None:
    ada = portal_patient(world)
    grace = portal_patient(world, given_name="Grace", family_name="Hopper")
    ada_signed = sign(world, ada)
    with pytest.raises(NotFound):
        consents_signing.my_signature(world.uow, grace, ada_signed, clock=world.clock)
    with pytest.raises(NotFound):
        consents_signing.withdraw(world.uow, grace, ada_signed, device=PHONE, clock=world.clock)
    assert signatures(world, ada.patient_id)[0].withdrawn_at is None


def test_another_clinics_patient_and_a_closed_account_are_refused(
    world: World,
    database: Database,
    tmp_path: Path,
) -> None:
    ada = portal_patient(world)
    signed = sign(world, ada)
    elsewhere = make_world(database, tmp_path / "elsewhere")
    stranger = portal_patient(elsewhere)
    with pytest.raises((NotFound, PermissionDenied)):
        consents_signing.my_signature(world.uow, stranger, signed, clock=world.clock)
    forged = PatientActor(ada.account_id, stranger.patient_id, ada.clinic_id)
    with pytest.raises(PermissionDenied):
        consents_signing.consent_overview(world.uow, forged, clock=world.clock)
    with world.uow as uow:
        uow.session.get(PortalAccount, ada.account_id).closed_at = NOW  # type: ignore[union-attr]
        uow.commit()
    with pytest.raises(PermissionDenied):
        sign(world, ada, "clinical_photos")


def test_the_pdf_copy_prints_the_text_the_name_the_time_and_the_hash(world: World) -> None:
    ada = portal_patient(world, given_name="Zoë", family_name="Nguyễn 王芳")
    signed = sign(world, ada, typed_name="Zoe Nguyen 王芳")
    found = consents_signing.my_signature(world.uow, ada, signed, clock=world.clock)
    pdf = pdfium.PdfDocument(render_consent(found))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    flat = " ".join(text.split())
    assert "Consent to microneedling treatment" in flat
    assert " ".join(consent_form("treatment").text.split()[:8]) in flat
    assert "Zoe Nguyen 王芳" in flat and "Zoë Nguyễn 王芳" in flat
    assert "Tuesday 1 December 2026, 11:00" in flat  # Amsterdam time
    assert consent_form("treatment").text_sha256 in flat.replace(" ", "")
    assert consent_filename(found) == "consent-treatment-2026-12-01.pdf"


def test_staff_see_e_signed_consents_with_their_device(world: World) -> None:
    ada = portal_patient(world)
    sign(world, ada)
    found = consents_signing.staff_signatures(
        world.uow, world.front_desk, ada.patient_id, clock=world.clock
    )
    assert [(s["kind"], s["signed_ip"], s["standing"]) for s in found] == [
        ("treatment", "203.0.113.7", True)
    ]


def test_the_device_is_cleaned_and_cut_to_size() -> None:
    device = Device.of("198.51.100.1\x00" + "9" * 100, "Agent\r\n" + "x" * 900)
    assert device.address is not None and len(device.address) == 64 and "\x00" not in device.address
    assert device.user_agent is not None and len(device.user_agent) == 500
    assert "\n" not in device.user_agent
    assert Device.of(None, 42) == Device(None, None)


def test_an_e_signed_consent_counts_for_charting_and_photos_until_withdrawn(world: World) -> None:
    """Charting and marketing photos ask the records for a standing consent: one the patient
    e-signed counts as one staff recorded, from its time until it is withdrawn."""
    ada = portal_patient(world)
    other = portal_patient(world, given_name="Grace", family_name="Hopper")
    clinic_id = world.owner.clinic_id

    def standing(patient_id: int, kind: str, at: object = NOW) -> bool:
        with world.uow as uow:
            return uow.records(clinic_id).signed_consent(patient_id, kind, at) is not None  # type: ignore[arg-type]

    assert not standing(ada.patient_id, "treatment")
    first = sign(world, ada)
    sign(world, ada, "marketing_photos")
    assert standing(ada.patient_id, "treatment")
    assert standing(ada.patient_id, "marketing_photos")
    assert not standing(ada.patient_id, "treatment", NOW - timedelta(minutes=1))
    assert not standing(other.patient_id, "treatment")  # Ada's signature is hers alone
    with world.uow as uow:
        assert uow.records(clinic_id + 1).signed_consent(ada.patient_id, "treatment", NOW) is None
    later = fixed_clock(NOW + timedelta(hours=2))
    consents_signing.withdraw(world.uow, ada, first, device=PHONE, clock=later)
    assert not standing(ada.patient_id, "treatment", NOW + timedelta(hours=3))
