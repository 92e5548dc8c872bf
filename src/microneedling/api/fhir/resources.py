"""Our records as FHIR R4 resources (plain dicts of JSON): no database, no clock. The shared
parts (references, identifiers, times, the searchset Bundle, OperationOutcome) and the
administrative resources are here; the clinical ones are in ``clinical_resources``; the codes in
``codes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from microneedling.api.fhir.codes import (
    APPOINTMENT_STATUSES,
    CLINIC_IDENTIFIER_SYSTEM,
    DEVICE_TYPE_SYSTEM,
    DEVICE_TYPES,
    FITZPATRICK_EXTENSION,
    GENDERS,
    IDENTIFIER_SYSTEM,
)
from microneedling.store.models import Appointment, CartridgeLot, Clinic, Patient, StaffUser

Resource = dict[str, Any]


def instant(moment: datetime) -> str:
    """A FHIR instant (UTC, seconds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def day(value: date) -> str:
    return value.isoformat()


def reference(kind: str, row_id: int | str, display: str | None = None) -> Resource:
    out: Resource = {"reference": f"{kind}/{row_id}"}
    if display:
        out["display"] = display
    return out


def identifier(slug: str, kind: str, row_id: int) -> Resource:
    return {"system": IDENTIFIER_SYSTEM.format(slug=slug, kind=kind), "value": str(row_id)}


def patient_resource(patient: Patient, clinic: Clinic) -> Resource:
    telecom: list[Resource] = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "identifier": [identifier(clinic.slug, "patient", patient.id)],
        "active": True,
        "name": [
            {
                "use": "official",
                "text": f"{patient.given_name} {patient.family_name}",
                "family": patient.family_name,
                "given": [patient.given_name],
            }
        ],
        "birthDate": day(patient.birth_date),
        "extension": [{"url": FITZPATRICK_EXTENSION, "valueInteger": patient.fitzpatrick}],
        "managingOrganization": reference("Organization", clinic.id, clinic.name),
    }
    if telecom:
        resource["telecom"] = telecom
    if patient.sex in GENDERS:
        resource["gender"] = GENDERS[patient.sex]
    return resource


def practitioner_resource(staff: StaffUser, clinic: Clinic) -> Resource:
    """A staff member: the name and whether the account is active (never the e-mail address
    they sign in with, nor the role: that is the clinic's business)."""
    return {
        "resourceType": "Practitioner",
        "id": str(staff.id),
        "identifier": [identifier(clinic.slug, "staff", staff.id)],
        "active": staff.active,
        "name": [{"text": staff.display_name}],
    }


def organization_resource(clinic: Clinic) -> Resource:
    return {
        "resourceType": "Organization",
        "id": str(clinic.id),
        "identifier": [{"system": CLINIC_IDENTIFIER_SYSTEM, "value": clinic.slug}],
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "prov",
                        "display": "Healthcare Provider",
                    }
                ]
            }
        ],
        "name": clinic.name,
    }


def appointment_resource(
    appointment: Appointment,
    clinic: Clinic,
    patient_name: str,
    practitioner_name: str | None,
) -> Resource:
    start = appointment.starts_at
    participants: list[Resource] = [
        {
            "actor": reference("Patient", appointment.patient_id, patient_name),
            "required": "required",
            "status": "accepted",
        }
    ]
    if appointment.practitioner_id is not None:
        participants.append(
            {
                "actor": reference("Practitioner", appointment.practitioner_id, practitioner_name),
                "required": "required",
                "status": "accepted",
            }
        )
    resource: Resource = {
        "resourceType": "Appointment",
        "id": str(appointment.id),
        "identifier": [identifier(clinic.slug, "appointment", appointment.id)],
        "status": APPOINTMENT_STATUSES[appointment.status],
        "start": instant(start),
        "end": instant(start + timedelta(minutes=appointment.duration_minutes)),
        "minutesDuration": appointment.duration_minutes,
        "created": day(appointment.created_at.date()),
        "participant": participants,
    }
    if appointment.status == "cancelled" and appointment.cancellation_reason:
        resource["cancelationReason"] = {"text": appointment.cancellation_reason}
    return resource


def lot_id(lot: CartridgeLot) -> str:
    return f"lot-{lot.id}"


def lot_device_resource(lot: CartridgeLot, clinic: Clinic) -> Resource:
    """A cartridge lot as a Device: its lot number, expiry, maker and product; a recalled lot is
    ``inactive`` with the recall in a note."""
    resource: Resource = {
        "resourceType": "Device",
        "id": lot_id(lot),
        "identifier": [identifier(clinic.slug, "cartridge-lot", lot.id)],
        "status": "inactive" if lot.recalled_at is not None else "active",
        "manufacturer": lot.manufacturer,
        "lotNumber": lot.lot_number,
        "expirationDate": day(lot.expires_on),
        "deviceName": [{"name": lot.product, "type": "manufacturer-name"}],
        "type": {
            "coding": [
                {
                    "system": DEVICE_TYPE_SYSTEM,
                    "code": "cartridge",
                    "display": DEVICE_TYPES["cartridge"],
                }
            ]
        },
        "owner": reference("Organization", clinic.id, clinic.name),
    }
    if lot.needle_count is not None:
        resource["property"] = [
            {"type": {"text": "needle count"}, "valueQuantity": [{"value": lot.needle_count}]}
        ]
    if lot.recalled_at is not None:
        resource["note"] = [
            {
                "time": instant(lot.recalled_at),
                "text": f"Recalled: {lot.recall_reason or 'no reason given'}",
            }
        ]
    return resource


def bundle(
    base: str,
    self_url: str,
    total: int,
    resources: Sequence[Resource],
    *,
    next_url: str | None = None,
    previous_url: str | None = None,
    included: Sequence[Resource] = (),
) -> Resource:
    """A searchset Bundle: each entry with its full URL (the matches, then what ``_include``
    added); ``self`` and, where there are more, ``next`` and ``previous`` links."""
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    if previous_url:
        links.append({"relation": "previous", "url": previous_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": mode},
            }
            for mode, group in (("match", resources), ("include", included))
            for resource in group
        ],
    }


def operation_outcome(code: str, message: str, *, severity: str = "error") -> Resource:
    """An OperationOutcome with one issue (``code`` from FHIR's issue-type value set)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": message}],
    }
