"""Receiving patients and intakes in FHIR: ``POST Patient``, a ``transaction`` Bundle of
Patients, and ``POST QuestionnaireResponse`` (an answer to our intake questionnaire, recorded
and screened on arrival as an intake).

The duplicate check: a patient with the same name (case and accents aside) and date of birth
as one already in the clinic (or earlier in the same Bundle) is

- **linked** when a contact detail also matches (the same e-mail address or phone number): no
  new record, the answer names the existing one (``200 OK`` and its ``Location``);
- **refused** otherwise (409): it may be the same person with other details, or someone
  else; the message names the existing record, and nothing is saved.

A Bundle is all or nothing: every entry is read and checked before anything is written, and
everything is written in one database transaction (one audit entry per patient registered).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from microneedling.api.fhir.codes import FITZPATRICK_EXTENSION
from microneedling.errors import Conflict, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock
from microneedling.services.inputs import parse
from microneedling.services.patients import NewPatient
from microneedling.store import UnitOfWork
from microneedling.store.models import Patient
from microneedling.store.patient_search import digits

#: The most entries a transaction Bundle may hold, and the largest body read (the API's own
#: limit, MICRONEEDLING_API_MAX_BODY_BYTES, applies before: 1 MB unless set otherwise).
MAX_ENTRIES = 1000
MAX_BODY_BYTES = 5_000_000
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class NotImportable(UserError):
    """A resource or Bundle that cannot be imported as it is (422, nothing saved)."""


def _text(value: Any, where: str, most: int = 100) -> str:
    if not isinstance(value, str) or not value.strip():
        raise NotImportable(f"{where}: give text", field=where)
    if len(value) > most:
        raise NotImportable(f"{where}: at most {most} characters", field=where)
    return value.strip()


def patient_details(resource: Any, where: str = "Patient") -> dict[str, Any]:
    """Our new patient's details from a FHIR Patient (official name, birth date, gender, the
    first phone and e-mail, the Fitzpatrick skin type from our extension)."""
    if not isinstance(resource, Mapping) or resource.get("resourceType") != "Patient":
        raise NotImportable(f"{where}: expected a Patient resource", field=where)
    names = resource.get("name")
    if not isinstance(names, list) or not names or not all(isinstance(n, Mapping) for n in names):
        raise NotImportable(f"{where}.name: give the patient's name", field=f"{where}.name")
    name = next((n for n in names if n.get("use") == "official"), names[0])
    given = name.get("given")
    if not isinstance(given, list) or not given:
        raise NotImportable(f"{where}.name.given: give a given name", field=f"{where}.name")
    details: dict[str, Any] = {
        "given_name": " ".join(_text(g, f"{where}.name.given") for g in given[:5]),
        "family_name": _text(name.get("family"), f"{where}.name.family"),
    }
    birth = resource.get("birthDate")
    if not isinstance(birth, str) or not _DAY.fullmatch(birth):
        raise NotImportable(f"{where}.birthDate: give the full date (YYYY-MM-DD)", field=where)
    details["birth_date"] = birth
    gender = resource.get("gender")
    if gender in ("female", "male", "other"):
        details["sex"] = gender
    elif gender not in (None, "unknown"):
        raise NotImportable(f"{where}.gender: female, male, other or unknown", field=where)
    telecom = resource.get("telecom") or []
    if not isinstance(telecom, list):
        raise NotImportable(f"{where}.telecom: give a list", field=where)
    for point in telecom:
        if not isinstance(point, Mapping):
            raise NotImportable(f"{where}.telecom: each a ContactPoint", field=where)
        system, value = point.get("system"), point.get("value")
        if system == "email" and "email" not in details:
            details["email"] = _text(value, f"{where}.telecom.value", 254)
        elif system in ("phone", "sms") and "phone" not in details:
            details["phone"] = _text(value, f"{where}.telecom.value", 40)
    extensions = resource.get("extension") or []
    fitzpatrick = [
        e.get("valueInteger")
        for e in extensions
        if isinstance(e, Mapping) and e.get("url") == FITZPATRICK_EXTENSION
    ]
    if not fitzpatrick:
        raise NotImportable(
            f"{where}: the Fitzpatrick skin type (1 to 6) is needed, in the extension "
            f"{FITZPATRICK_EXTENSION} (valueInteger)",
            field=where,
        )
    details["fitzpatrick"] = fitzpatrick[0]
    try:
        parse(NewPatient, details, what="patient")
    except UserError as error:
        raise NotImportable(f"{where}: {error.message}", field=where) from None
    return details


@dataclass(frozen=True)
class Imported:
    """What became of one patient given: ``created`` a new record, or linked to one."""

    patient_id: int
    created: bool


def _same_contact(details: Mapping[str, Any], patient: Patient) -> bool:
    email = details.get("email")
    if email and patient.email and email.strip().lower() == patient.email.lower():
        return True
    phone = digits(details.get("phone"))
    return bool(phone and patient.phone_digits and phone == patient.phone_digits)


def _born(birth: str) -> str:
    return date.fromisoformat(birth).strftime("%-d %b %Y")


def import_patients(
    uow: UnitOfWork,
    actor: Actor,
    given: Sequence[dict[str, Any]],
    clock: Clock,
    *,
    where: Sequence[str] | None = None,
) -> list[Imported]:
    """Register each patient of ``given`` (details as :func:`patient_details` reads them) or
    link it to the same one already there; all or nothing."""
    where = where or [f"entry[{n}]" for n in range(len(given))]
    results: list[Imported] = []
    created: list[tuple[dict[str, Any], Patient]] = []
    with Transaction(uow, actor, "patient.register", clock) as tx:
        for place, details in zip(where, given, strict=True):
            new = parse(NewPatient, details, what="patient")
            if new.birth_date > tx.today:
                raise NotImportable(f"{place}: the birth date is after today", field=place)
            # Flushed, the patients registered earlier in this Bundle are found too.
            same = tx.records.same_name_and_birth_date(
                new.given_name, new.family_name, new.birth_date
            )
            if same:
                match = next((row for row in same if _same_contact(details, row)), None)
                if match is None:
                    first = same[0]
                    raise Conflict(
                        f"{place}: {new.given_name} {new.family_name}, born "
                        f"{_born(details['birth_date'])}, is already patient {first.id} here "
                        "with other contact details: give the e-mail address or phone number "
                        "as recorded to link to that record, or leave this patient out. "
                        "Nothing was saved",
                        field=place,
                    )
                results.append(Imported(match.id, created=False))
                continue
            patient = Patient(
                given_name=new.given_name,
                family_name=new.family_name,
                birth_date=new.birth_date,
                sex=new.sex,
                fitzpatrick=new.fitzpatrick,
                email=new.email,
                phone=new.phone,
                created_at=tx.now,
                created_by=actor.staff_user_id,
            )
            tx.records.add(patient)
            tx.flush()
            created.append((details, patient))
            results.append(Imported(patient.id, created=True))
        # One entry per patient registered (as the web form's), then the import's own.
        for _details, patient in created[:-1] if created else []:
            tx._work.audit.append(
                at=tx.now,
                clinic_id=actor.clinic_id,
                actor_id=actor.staff_user_id,
                actor_role=str(actor.role),
                action="patient.register",
                patient_id=patient.id,
                entity_type="patient",
                entity_id=patient.id,
                details={"fhir": "import"},
            )
        last = created[-1][1] if created else None
        tx.done(
            patient_id=last.id if last else None,
            entity=("patient", last.id) if last else None,
            details={
                "fhir": "import",
                "registered": len(created),
                "linked": len(results) - len(created),
            },
        )
    return results


def transaction_patients(bundle: Any) -> list[dict[str, Any]]:
    """The patients of a transaction Bundle (each entry a ``POST Patient``)."""
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise NotImportable("expected a Bundle", field="resourceType")
    if bundle.get("type") != "transaction":
        raise NotImportable("Bundle.type: only a transaction is taken here", field="type")
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        raise NotImportable("Bundle.entry: the Bundle has no entries", field="entry")
    if len(entries) > MAX_ENTRIES:
        raise NotImportable(f"Bundle.entry: at most {MAX_ENTRIES:,} entries", field="entry")
    patients: list[dict[str, Any]] = []
    for number, entry in enumerate(entries):
        where = f"entry[{number}]"
        if not isinstance(entry, Mapping):
            raise NotImportable(f"{where}: expected an entry", field=where)
        request = entry.get("request")
        if (
            not isinstance(request, Mapping)
            or request.get("method") != "POST"
            or str(request.get("url", "")).strip("/") != "Patient"
        ):
            raise NotImportable(
                f"{where}.request: only POST Patient is taken in a transaction here", field=where
            )
        patients.append(patient_details(entry.get("resource"), f"{where}.resource"))
    return patients


def transaction_response(base: str, results: Sequence[Imported]) -> dict[str, Any]:
    """The ``transaction-response`` Bundle: each entry created (201) or linked (200)."""
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [
            {
                "response": {
                    "status": "201 Created" if result.created else "200 OK",
                    "location": f"Patient/{result.patient_id}",
                    **(
                        {}
                        if result.created
                        else {
                            "outcome": {
                                "resourceType": "OperationOutcome",
                                "issue": [
                                    {
                                        "severity": "information",
                                        "code": "duplicate",
                                        "diagnostics": (
                                            "the same patient (name, date of birth and a "
                                            "contact detail) is already here: linked to "
                                            f"{base}/Patient/{result.patient_id}, nothing new "
                                            "saved"
                                        ),
                                    }
                                ],
                            }
                        }
                    ),
                }
            }
            for result in results
        ],
    }
