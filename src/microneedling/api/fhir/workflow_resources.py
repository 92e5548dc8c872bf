"""More of our records as FHIR R4 resources (pure): staff roles (PractitionerRole), rooms
(Location), adverse events, photos' details (Media) and audit entries (AuditEvent)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microneedling.api.fhir.codes import (
    ADVERSE_EVENT_OUTCOME_SYSTEM,
    ADVERSE_EVENT_SEVERITY_SYSTEM,
    ADVERSE_EVENT_SYSTEM,
    ADVERSE_EVENTS,
    AUDIT_ACTION_SYSTEM,
    IDENTIFIER_SYSTEM,
    PHOTO_VIEW_SYSTEM,
    PHOTO_VIEWS,
    STAFF_ROLE_SYSTEM,
    STAFF_ROLES,
)
from microneedling.api.fhir.resources import Resource, day, identifier, instant, reference
from microneedling.scheduling.clinic_calendar import WEEKDAYS, WeeklyHours
from microneedling.store.models import AdverseEvent, AuditEntry, Clinic, Photo, StaffUser
from microneedling.store.scheduling_models import PractitionerHours, Room

#: Where a photo's image is fetched (the JSON API's, with the same token; audited).
PHOTO_FILE_PATH = "/api/v1/photos/{id}/file"


def _coding(system: str, code: str, display: str) -> Resource:
    return {"system": system, "code": code, "display": display}


def _available_times(hours: Mapping[str, Any] | None) -> list[Resource]:
    """Weekly working hours (``{"monday-thursday": "08:00-12:30"}``) as availableTime."""
    if not hours:
        return []
    week = WeeklyHours.parse(hours)
    out: list[Resource] = []
    for number, ranges in enumerate(week.days):
        for item in ranges:
            end = item.end.isoformat(timespec="seconds")
            out.append(
                {
                    "daysOfWeek": [WEEKDAYS[number][:3]],
                    "availableStartTime": item.start.isoformat(timespec="seconds"),
                    # Midnight at the day's end: the last second of the day.
                    "availableEndTime": "23:59:59" if end == "00:00:00" else end,
                }
            )
    return out


def practitioner_role_resource(
    staff: StaffUser, clinic: Clinic, hours: Mapping[str, Any] | None
) -> Resource:
    """A staff member's role in the clinic and, for one who treats, their weekly hours."""
    resource: Resource = {
        "resourceType": "PractitionerRole",
        "id": str(staff.id),
        "identifier": [identifier(clinic.slug, "staff-role", staff.id)],
        "active": staff.active,
        "practitioner": reference("Practitioner", staff.id, staff.display_name),
        "organization": reference("Organization", clinic.id, clinic.name),
        "code": [
            {
                "coding": [_coding(STAFF_ROLE_SYSTEM, staff.role, STAFF_ROLES[staff.role])],
                "text": STAFF_ROLES[staff.role],
            }
        ],
    }
    available = _available_times(hours)
    if available:
        resource["availableTime"] = available
    return resource


def location_resource(room: Room, clinic: Clinic) -> Resource:
    """A treatment room of the clinic."""
    return {
        "resourceType": "Location",
        "id": str(room.id),
        "identifier": [
            identifier(clinic.slug, "room", room.id),
            {
                "system": IDENTIFIER_SYSTEM.format(slug=clinic.slug, kind="room-code"),
                "value": room.code,
            },
        ],
        "status": "active" if room.active else "inactive",
        "name": room.name,
        "mode": "instance",
        "physicalType": {
            "coding": [
                _coding(
                    "http://terminology.hl7.org/CodeSystem/location-physical-type", "ro", "Room"
                )
            ]
        },
        "managingOrganization": reference("Organization", clinic.id, clinic.name),
    }


def adverse_event_resource(
    event: AdverseEvent,
    clinic: Clinic,
    *,
    patient_name: str,
    reporter_name: str | None,
    lot_id: int | None,
) -> Resource:
    """An adverse event after a session: what (our code), how severe, when, whether resolved,
    and the cartridge lot of the session it followed as the suspect entity."""
    label = ADVERSE_EVENTS.get(event.kind, event.kind)
    text = label
    if event.description:
        text += f": {event.description}"
    if event.resolved_on is not None:
        text += f". Resolved on {day(event.resolved_on)}"
        if event.resolution:
            text += f": {event.resolution}"
    resource: Resource = {
        "resourceType": "AdverseEvent",
        "id": str(event.id),
        "identifier": identifier(clinic.slug, "adverse-event", event.id),
        "actuality": "actual",
        "event": {"coding": [_coding(ADVERSE_EVENT_SYSTEM, event.kind, label)], "text": text},
        "subject": reference("Patient", event.patient_id, patient_name),
        "date": day(event.onset_on),
        "recordedDate": instant(event.reported_at),
        "severity": {
            "coding": [
                _coding(ADVERSE_EVENT_SEVERITY_SYSTEM, event.severity, event.severity.title())
            ]
        },
        "outcome": {
            "coding": [
                _coding(ADVERSE_EVENT_OUTCOME_SYSTEM, "resolved", "Resolved")
                if event.resolved_on is not None
                else _coding(ADVERSE_EVENT_OUTCOME_SYSTEM, "ongoing", "Ongoing")
            ]
        },
        "recorder": reference("Practitioner", event.reported_by, reporter_name),
    }
    if lot_id is not None:
        resource["suspectEntity"] = [{"instance": reference("Device", f"lot-{lot_id}")}]
    return resource


def media_resource(
    photo: Photo, clinic: Clinic, *, patient_name: str, labels: Mapping[str, str]
) -> Resource:
    """A photo's details; the image itself is at ``content.url`` (the JSON API's file, with
    the same token, clinical staff only, every download audited)."""
    from microneedling.api.fhir.clinical_resources import zone_concept

    resource: Resource = {
        "resourceType": "Media",
        "id": str(photo.id),
        "identifier": [identifier(clinic.slug, "photo", photo.id)],
        "status": "completed",
        "type": {
            "coding": [
                _coding("http://terminology.hl7.org/CodeSystem/media-type", "image", "Image")
            ]
        },
        "view": {
            "coding": [_coding(PHOTO_VIEW_SYSTEM, photo.view, PHOTO_VIEWS[photo.view])],
            "text": PHOTO_VIEWS[photo.view],
        },
        "subject": reference("Patient", photo.patient_id, patient_name),
        "createdDateTime": instant(photo.taken_at),
        "issued": instant(photo.added_at),
        "operator": reference("Practitioner", photo.added_by),
        "height": photo.height,
        "width": photo.width,
        "content": {
            "contentType": photo.media_type,
            "url": PHOTO_FILE_PATH.format(id=photo.id),
            "size": photo.byte_size,
            "title": f"Photo {photo.id} ({PHOTO_VIEWS[photo.view].lower()})",
            "creation": instant(photo.taken_at),
        },
    }
    if photo.zone:
        resource["bodySite"] = zone_concept(photo.zone, labels)
    if photo.marketing_selected_at is not None:
        resource["note"] = [
            {
                "time": instant(photo.marketing_selected_at),
                "text": "Chosen for the clinic's marketing (with the patient's consent)",
            }
        ]
    return resource


def _audit_action_kind(action: str) -> str:
    """FHIR's audit action: R for a read, C for a creation, U for a change, E otherwise."""
    verb = action.rpartition(".")[2]
    if verb in ("read", "list", "search", "read_record", "read_settings", "read_sessions"):
        return "R"
    if verb in ("register", "record", "create", "add", "sign", "book", "receive_lot"):
        return "C"
    if verb.startswith("update") or verb in ("amend", "configure", "change_role", "resolve"):
        return "U"
    return "E"


def audit_event_resource(entry: AuditEntry, clinic: Clinic, *, words: str) -> Resource:
    """One entry of the clinic's audit log: who did what, when, about which record; its
    details (never a patient's identity) and its place in the hash chain as entity details."""
    agent: Resource = {"requestor": True}
    if entry.actor_id is not None:
        agent["who"] = reference("Practitioner", entry.actor_id)
    else:
        agent["who"] = {"display": "the system"}
    agent["role"] = [{"text": entry.actor_role}]
    entities: list[Resource] = []
    if entry.patient_id is not None:
        entities.append({"what": reference("Patient", entry.patient_id)})
    record: Resource = {
        "detail": [
            {"type": "details", "valueString": entry.details},
            {"type": "hash", "valueString": entry.hash},
        ]
    }
    if entry.entity_type is not None and entry.entity_id is not None:
        record["name"] = f"{entry.entity_type} {entry.entity_id}"
    entities.append(record)
    return {
        "resourceType": "AuditEvent",
        "id": str(entry.sequence),
        "type": _coding(AUDIT_ACTION_SYSTEM, entry.action, words),
        "action": _audit_action_kind(entry.action),
        "recorded": instant(entry.recorded_at),
        "outcome": "0",
        "agent": [agent],
        "source": {
            "site": clinic.slug,
            "observer": reference("Organization", clinic.id, clinic.name),
        },
        "entity": entities,
    }


def schedule_resource(hours: PractitionerHours, clinic: Clinic, name: str | None) -> Resource:
    """A practitioner's schedule: who, and their weekly hours in words."""
    weekly = "; ".join(f"{days}: {ranges}" for days, ranges in hours.working_hours.items())
    return {
        "resourceType": "Schedule",
        "id": str(hours.staff_user_id),
        "active": True,
        "actor": [reference("Practitioner", hours.staff_user_id, name)],
        "comment": f"Weekly working hours ({clinic.time_zone}): {weekly}",
    }
