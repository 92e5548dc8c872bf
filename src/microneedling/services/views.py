"""Records as JSON-ready data (what the CLI prints and the API will return)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from itertools import pairwise
from typing import Any, TypeVar

from sqlalchemy import Row

from microneedling.clinical.screening import readable_screening
from microneedling.store.models import (
    AdverseEvent,
    Appointment,
    CartridgeLot,
    Consent,
    Device,
    Intake,
    OutcomeAssessment,
    Patient,
    Photo,
    SessionChart,
    StaffUser,
    TreatmentPlan,
)
from microneedling.store.repositories import ChartRead, FullRecord, LotRecipient

RowT = TypeVar("RowT")
#: A chart version as the ORM loads it, or as :meth:`ClinicRecords.full_record_rows` reads it.
Chart = SessionChart | ChartRead


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def page(
    rows: Sequence[RowT], view: Callable[[RowT], dict[str, Any]], *, limit: int, offset: int
) -> dict[str, Any]:
    """One page of a list, from ``limit + 1`` rows (the extra one says there is a next page)."""
    return {
        "items": [view(row) for row in rows[:limit]],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(rows) > limit else None,
    }


def staff_view(user: StaffUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "active": user.active,
        "created_at": _moment(user.created_at),
    }


def patient_view(patient: Patient | Row[Any]) -> dict[str, Any]:
    return {
        "id": patient.id,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_date": _day(patient.birth_date),
        "sex": patient.sex,
        "fitzpatrick": patient.fitzpatrick,
        "email": patient.email,
        "phone": patient.phone,
        "created_at": _moment(patient.created_at),
    }


def intake_view(intake: Intake | Row[Any]) -> dict[str, Any]:
    screening = readable_screening(intake.screening)
    return {
        "id": intake.id,
        "patient_id": intake.patient_id,
        "assessed_on": _day(intake.assessed_on),
        "recorded_at": _moment(intake.recorded_at),
        "recorded_by": intake.recorded_by,
        "decision": intake.decision,
        "earliest_date": _day(intake.earliest_date),
        "answers": intake.answers,
        "screening": screening,
        "knowledge_base": {
            "version": intake.knowledge_base_version,
            "hash": intake.knowledge_base_hash,
            "overrides_hash": screening["knowledge_base"].get("overrides_hash"),
        },
        "acknowledged": None
        if intake.acknowledged_by is None
        else {
            "by": intake.acknowledged_by,
            "at": _moment(intake.acknowledged_at),
            "note": intake.acknowledgement_note,
        },
    }


def consent_view(consent: Consent | Row[Any]) -> dict[str, Any]:
    return {
        "id": consent.id,
        "patient_id": consent.patient_id,
        "kind": consent.kind,
        "form_version": consent.form_version,
        "text_sha256": consent.text_sha256,
        "text": consent.text,
        "signed_at": _moment(consent.signed_at),
        "signed_by_name": consent.signed_by_name,
        "witnessed_by": consent.witnessed_by,
        "withdrawn_at": _moment(consent.withdrawn_at),
    }


def _overrides_hash(result: Any) -> str | None:
    stamp = result.get("knowledge_base") if isinstance(result, dict) else None
    found = stamp.get("overrides_hash") if isinstance(stamp, dict) else None
    return found if isinstance(found, str) else None


def plan_view(plan: TreatmentPlan | Row[Any]) -> dict[str, Any]:
    return {
        "id": plan.id,
        "patient_id": plan.patient_id,
        "intake_id": plan.intake_id,
        "status": plan.status,
        "created_at": _moment(plan.created_at),
        "created_by": plan.created_by,
        "request": plan.request,
        "plan": plan.plan,
        #: The policy (knowledge-base version) the plan was made with.
        "knowledge_base": {
            "version": plan.knowledge_base_version,
            "hash": plan.knowledge_base_hash,
            "overrides_hash": _overrides_hash(plan.plan),
        },
    }


def appointment_view(appointment: Appointment | Row[Any]) -> dict[str, Any]:
    return {
        "id": appointment.id,
        "patient_id": appointment.patient_id,
        "plan_id": appointment.plan_id,
        "practitioner_id": appointment.practitioner_id,
        "starts_at": _moment(appointment.starts_at),
        "duration_minutes": appointment.duration_minutes,
        "status": appointment.status,
    }


def device_view(device: Device | Row[Any]) -> dict[str, Any]:
    return {
        "id": device.id,
        "kind": device.kind,
        "manufacturer": device.manufacturer,
        "model": device.model,
        "serial_number": device.serial_number,
        "in_service": device.in_service,
        "lowest_mm": device.lowest_mm,
        "highest_mm": device.highest_mm,
        "step_mm": device.step_mm,
    }


def lot_view(lot: CartridgeLot | Row[Any]) -> dict[str, Any]:
    return {
        "id": lot.id,
        "manufacturer": lot.manufacturer,
        "product": lot.product,
        "lot_number": lot.lot_number,
        "needle_count": lot.needle_count,
        "expires_on": _day(lot.expires_on),
        "received_on": _day(lot.received_on),
        "quantity_received": lot.quantity_received,
        "recalled_at": _moment(lot.recalled_at),
        "recall_reason": lot.recall_reason,
    }


#: The fields of a chart that a person entered (what an amendment may change).
CHART_FIELDS = (
    "device_id",
    "cartridge_lot",
    "needle_count",
    "zones",
    "anaesthetic",
    "products",
    "clinical_endpoint",
    "glide_medium",
    "numbed_area_cm2",
    "duration_minutes",
    "practitioner_id",
    "notes",
)


def chart_entry(chart: Chart) -> dict[str, Any]:
    """A chart version's content, in the shape :class:`ChartEntry` takes."""
    return {
        "device_id": chart.device_id,
        "cartridge_lot": chart.cartridge_lot.lot_number,
        "needle_count": chart.needle_count,
        "zones": [
            {
                "zone": zone.zone,
                "depth_mm": zone.depth_mm,
                "passes": zone.passes,
                "endpoint": zone.endpoint,
                "reason": zone.reason,
            }
            for zone in chart.zones
        ],
        "anaesthetic": chart.anaesthetic,
        "products": [
            {"product": item.product, "lot_number": item.lot_number, "purpose": item.purpose}
            for item in chart.products
        ],
        "clinical_endpoint": chart.clinical_endpoint,
        "glide_medium": chart.glide_medium,
        "numbed_area_cm2": chart.numbed_area_cm2,
        "duration_minutes": chart.duration_minutes,
        "practitioner_id": chart.practitioner_id,
        "notes": chart.notes,
    }


def chart_version_view(chart: Chart) -> dict[str, Any]:
    return {
        "id": chart.id,
        "version": chart.version,
        "amends": chart.amends_id,
        "amendment_reason": chart.amendment_reason,
        "performed_on": _day(chart.performed_on),
        "signed_by": chart.signed_by,
        "signed_at": _moment(chart.signed_at),
        **chart_entry(chart),
        #: Zones outside the plan, each with why (the reason is in ``zones``).
        "outside_plan": {zone.zone: zone.outside_plan for zone in chart.zones if zone.outside_plan},
        "device": device_view(chart.device),
        "cartridge_lot_detail": lot_view(chart.cartridge_lot),
    }


def chart_summary_view(chart: SessionChart) -> dict[str, Any]:
    """One charted session in a list (the current version of its chart)."""
    return {
        "id": chart.id,
        "appointment_id": chart.appointment_id,
        "patient_id": chart.patient_id,
        "version": chart.version,
        "performed_on": _day(chart.performed_on),
        "practitioner_id": chart.practitioner_id,
        "device_id": chart.device_id,
        "cartridge_lot": chart.cartridge_lot.lot_number,
        "needle_count": chart.needle_count,
        "signed_by": chart.signed_by,
        "signed_at": _moment(chart.signed_at),
    }


def chart_history_view(versions: Sequence[Chart]) -> dict[str, Any]:
    """A session's chart: the current version, the original, and each amendment's changes."""
    history = []
    for before, after in pairwise(versions):
        old, new = chart_entry(before), chart_entry(after)
        history.append(
            {
                "version": after.version,
                "reason": after.amendment_reason,
                "by": after.signed_by,
                "at": _moment(after.signed_at),
                "changes": {
                    name: {"from": old[name], "to": new[name]}
                    for name in CHART_FIELDS
                    if old[name] != new[name]
                },
            }
        )
    current = chart_version_view(versions[-1])
    return {
        "appointment_id": versions[0].appointment_id,
        "current": current,
        # Never amended (most sessions): the original is the current version, viewed once.
        "original": current if len(versions) == 1 else chart_version_view(versions[0]),
        "amendments": history,
    }


def adverse_event_view(event: AdverseEvent | Row[Any]) -> dict[str, Any]:
    return {
        "id": event.id,
        "patient_id": event.patient_id,
        "appointment_id": event.appointment_id,
        "kind": event.kind,
        "severity": event.severity,
        "onset_on": _day(event.onset_on),
        "description": event.description,
        "resolved_on": _day(event.resolved_on),
        "resolution": event.resolution,
        "reported_by": event.reported_by,
        "reported_at": _moment(event.reported_at),
    }


def outcome_view(outcome: OutcomeAssessment | Row[Any]) -> dict[str, Any]:
    return {
        "id": outcome.id,
        "patient_id": outcome.patient_id,
        "plan_id": outcome.plan_id,
        "scale": outcome.scale,
        "scale_version": outcome.scale_version,
        "inputs": outcome.inputs,
        "score": outcome.score["total"] if "total" in outcome.score else outcome.score["parts"],
        "band": outcome.band,
        "rater_id": outcome.rater_id,
        "assessed_on": _day(outcome.assessed_on),
    }


def photo_view(photo: Photo | Row[Any]) -> dict[str, Any]:
    return {
        "id": photo.id,
        "patient_id": photo.patient_id,
        "appointment_id": photo.appointment_id,
        "view": photo.view,
        "zone": photo.zone,
        "taken_at": _moment(photo.taken_at),
        "original_sha256": photo.original_sha256,
        "stored_sha256": photo.stored_sha256,
        "media_type": photo.media_type,
        "width": photo.width,
        "height": photo.height,
        "byte_size": photo.byte_size,
        "marketing_selected_at": _moment(photo.marketing_selected_at),
    }


def full_record_view(record: Patient | FullRecord) -> dict[str, Any]:
    """Everything about one patient (loaded by the ORM, or read as rows); each session's chart
    with its amendment history."""
    patient = record if isinstance(record, Patient) else record.patient
    charts: Sequence[Chart] = record.charts
    by_session: dict[int, list[Chart]] = {}
    for chart in charts:
        by_session.setdefault(chart.appointment_id, []).append(chart)
    return {
        "patient": patient_view(patient),
        "intakes": [intake_view(item) for item in record.intakes],
        "consents": [consent_view(item) for item in record.consents],
        "plans": [plan_view(item) for item in record.plans],
        "appointments": [appointment_view(item) for item in record.appointments],
        "charts": [
            chart_history_view(sorted(versions, key=lambda chart: chart.version))
            for versions in by_session.values()
        ],
        "adverse_events": [adverse_event_view(item) for item in record.adverse_events],
        "outcomes": [outcome_view(item) for item in record.outcomes],
        "photos": [photo_view(item) for item in record.photos],
    }


def lot_recipient_view(recipient: LotRecipient) -> dict[str, Any]:
    return {
        "patient_id": recipient.patient_id,
        "given_name": recipient.given_name,
        "family_name": recipient.family_name,
        "email": recipient.email,
        "phone": recipient.phone,
        "sessions": recipient.sessions,
        "first_on": _day(recipient.first_on),
        "last_on": _day(recipient.last_on),
    }
