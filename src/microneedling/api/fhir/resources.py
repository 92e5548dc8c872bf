"""Our records as FHIR R4 resources (plain dicts of JSON): no database, no clock.

Codes: the body sites and the procedure are SNOMED CT where a code is known to us (see
``BODY_SITES``); what has no standard code is in our own code systems under
:data:`CODE_SYSTEM_BASE`, each listed in the CapabilityStatement.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from microneedling.store.models import (
    Appointment,
    CartridgeLot,
    ChartZone,
    Clinic,
    Consent,
    Intake,
    OutcomeAssessment,
    Patient,
    SessionChart,
    StaffUser,
    TreatmentPlan,
)

Resource = dict[str, Any]

NAMESPACE = "https://microneedling.dev/fhir"
CODE_SYSTEM_BASE = f"{NAMESPACE}/CodeSystem"
#: Identifier systems: a record's id is unique within its clinic (``{slug}`` is the clinic's).
IDENTIFIER_SYSTEM = NAMESPACE + "/sid/{slug}/{kind}"
CLINIC_IDENTIFIER_SYSTEM = f"{NAMESPACE}/sid/clinic"
#: Our search parameter for a cartridge lot's number (no standard Device parameter exists).
LOT_NUMBER_PARAMETER = f"{NAMESPACE}/SearchParameter/Device-lot-number"
#: Our code for a cartridge (a Device's type): no SNOMED CT code for a microneedling cartridge was
#: verified, so it is ours.
DEVICE_TYPE_SYSTEM = f"{CODE_SYSTEM_BASE}/device-type"
DEVICE_TYPES = {"cartridge": "Microneedling cartridge (needle cartridge of a lot)"}

SNOMED = "http://snomed.info/sct"
#: Our treatment zones (knowledge/data/zones.yaml), each coded in our system and, where a SNOMED
#: CT body structure was verified against published FHIR value sets (HL7 Belgium's body-site
#: value sets, the FHIR body-site value set), in SNOMED CT too. The others are ours alone:
#: better no standard code than a wrong one.
ZONE_SYSTEM = f"{CODE_SYSTEM_BASE}/zone"
SNOMED_ZONES: Mapping[str, tuple[str, str]] = {
    "cheeks": ("60819002", "Buccal region of face"),
    "nose": ("45206002", "Nose"),
    "neck": ("45048000", "Neck"),
    "abdomen": ("113345001", "Abdomen"),
    "back": ("727234005", "Entire back structure excluding neck"),
}
#: Microneedling itself: no SNOMED CT code for it (or for collagen induction therapy) was
#: verified, so it is our own code.
PROCEDURE_SYSTEM = f"{CODE_SYSTEM_BASE}/procedure"
PROCEDURES = {"microneedling": "Microneedling (percutaneous collagen induction therapy)"}


#: What a consent is for: treatment is HL7's ``treatment`` scope; the use of photos in the
#: clinic's marketing is a disclosure of the patient's information (``patient-privacy``), with our
#: own category saying which.
CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_SCOPES = {
    "treatment": ("treatment", "Treatment"),
    "marketing_photos": ("patient-privacy", "Privacy Consent"),
}
CONSENT_KIND_SYSTEM = f"{CODE_SYSTEM_BASE}/consent-kind"
CONSENT_KINDS = {
    "treatment": "Consent to microneedling treatment",
    "marketing_photos": "Consent to the use of photos in the clinic's marketing",
}
LOINC = "http://loinc.org"
#: Our outcome scales (knowledge/data/scales.yaml) and their items.
SCALE_SYSTEM = f"{CODE_SYSTEM_BASE}/scale"
SCALE_ITEM_SYSTEM = f"{CODE_SYSTEM_BASE}/scale-item"
SCALE_BAND_SYSTEM = f"{CODE_SYSTEM_BASE}/scale-band"


def scale_codes() -> dict[str, str]:
    """Our outcome scales' codes and names, from the shipped knowledge base."""
    from microneedling.clinical.scales import list_scales
    from microneedling.knowledge import shipped_knowledge_base

    return {info.code: info.label for info in list_scales(shipped_knowledge_base())}


CONCERN_SYSTEM = f"{CODE_SYSTEM_BASE}/concern"
#: Screening: what was assessed, its decisions, and the findings (knowledge/data/findings.yaml).
SCREENING_SYSTEM = f"{CODE_SYSTEM_BASE}/screening"
SCREENINGS = {"microneedling-screening": "Screening for microneedling (intake)"}
DECISION_SYSTEM = f"{CODE_SYSTEM_BASE}/screening-decision"
DECISIONS = {
    "eligible": "Eligible: may be treated",
    "caution": "Caution: may be treated once a clinician acknowledges the findings",
    "defer": "Defer: not before the earliest date",
    "not_eligible": "Not eligible: must not be treated",
}
FINDING_SYSTEM = f"{CODE_SYSTEM_BASE}/finding"
#: Our extensions on a CarePlan activity: R4's CarePlan has no body site, nor a depth.
ZONE_EXTENSION = f"{NAMESPACE}/StructureDefinition/zone"
DEPTH_EXTENSION = f"{NAMESPACE}/StructureDefinition/depth"
UCUM = "http://unitsofmeasure.org"
PLAN_STATUSES = {
    "proposed": "draft",
    "accepted": "active",
    "completed": "completed",
    "cancelled": "revoked",
}
PLAN_ACTIVITY_STATUSES = {
    "proposed": "not-started",
    "accepted": "not-started",
    "completed": "completed",
    "cancelled": "cancelled",
}


def concern_codes() -> dict[str, str]:
    """Our concerns' codes and names, from the shipped knowledge base."""
    from microneedling.knowledge import shipped_knowledge_base

    return {code: concern.label for code, concern in shipped_knowledge_base().concerns.items()}


def zone_codes() -> dict[str, str]:
    """Our zone codes and their labels, from the shipped knowledge base."""
    from microneedling.knowledge import shipped_knowledge_base

    return {code: zone.label for code, zone in shipped_knowledge_base().zones.items()}


#: Our code systems, each with its codes and display texts (published by the CapabilityStatement).
CODE_SYSTEMS: Mapping[str, Mapping[str, str]] = {
    DEVICE_TYPE_SYSTEM: DEVICE_TYPES,
    PROCEDURE_SYSTEM: PROCEDURES,
    CONSENT_KIND_SYSTEM: CONSENT_KINDS,
    SCREENING_SYSTEM: SCREENINGS,
    DECISION_SYSTEM: DECISIONS,
}

GENDERS = {"female": "female", "male": "male", "other": "other"}
#: Our appointment statuses as FHIR's (R4 Appointment.status).
APPOINTMENT_STATUSES = {
    "scheduled": "booked",
    "checked_in": "arrived",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}
FHIR_APPOINTMENT_STATUSES = {fhir: ours for ours, fhir in APPOINTMENT_STATUSES.items()}


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


def zone_concept(zone: str, labels: Mapping[str, str]) -> Resource:
    """A treatment zone as a body site: our code, and SNOMED CT's where we have it."""
    label = labels.get(zone, zone)
    coding = [{"system": ZONE_SYSTEM, "code": zone, "display": label}]
    if zone in SNOMED_ZONES:
        code, display = SNOMED_ZONES[zone]
        coding.append({"system": SNOMED, "code": code, "display": display})
    return {"coding": coding, "text": label}


def _millimetres(value: float) -> str:
    return f"{value:g} mm"


def procedure_resource(
    chart: SessionChart,
    zones: Sequence[ChartZone],
    clinic: Clinic,
    *,
    patient_name: str,
    practitioner_name: str | None,
    amended_by: int | None,
    labels: Mapping[str, str],
) -> Resource:
    """A charted session: what was done (microneedling), where (a body site per zone, each
    zone's depth and passes in a note), by whom, on which day, with which cartridge lot (the
    focal device); an amendment says what it amends and why."""
    notes: list[Resource] = [
        {
            "text": "; ".join(
                f"{labels.get(zone.zone, zone.zone)}: {_millimetres(zone.depth_mm)}, "
                f"{zone.passes} pass{'es' if zone.passes != 1 else ''}"
                for zone in zones
            )
        }
    ]
    notes.append(
        {"text": f"Needles: {chart.needle_count}; clinical endpoint: {chart.clinical_endpoint}"}
    )
    if chart.amends_id is not None:
        notes.append(
            {"text": f"Amends Procedure/{chart.amends_id}: {chart.amendment_reason or ''}".strip()}
        )
    if amended_by is not None:
        notes.append({"text": f"Superseded by the amendment Procedure/{amended_by}"})
    return {
        "resourceType": "Procedure",
        "id": str(chart.id),
        "identifier": [identifier(clinic.slug, "session-chart", chart.id)],
        "status": "completed",
        "code": {
            "coding": [
                {
                    "system": PROCEDURE_SYSTEM,
                    "code": "microneedling",
                    "display": PROCEDURES["microneedling"],
                }
            ],
            "text": "Microneedling",
        },
        "subject": reference("Patient", chart.patient_id, patient_name),
        "performedDateTime": day(chart.performed_on),
        "recorder": reference("Practitioner", chart.signed_by),
        "performer": [
            {"actor": reference("Practitioner", chart.practitioner_id, practitioner_name)}
        ],
        "bodySite": [zone_concept(zone.zone, labels) for zone in zones],
        "focalDevice": [
            {
                "action": {"text": "used"},
                "manipulated": reference("Device", f"lot-{chart.cartridge_lot_id}"),
            }
        ],
        "note": notes,
    }


def consent_resource(consent: Consent, clinic: Clinic, *, patient_name: str) -> Resource:
    """A signed consent: its scope, who signed and when, the form (policy) and the text as
    signed (an attachment); a withdrawn consent is ``inactive``, its provision ending then.
    The staff member who witnessed it has no place in R4's Consent (``verifiedWith`` names a
    patient or relative) and is left out."""
    scope_code, scope_display = CONSENT_SCOPES[consent.kind]
    period: Resource = {"start": instant(consent.signed_at)}
    if consent.withdrawn_at is not None:
        period["end"] = instant(consent.withdrawn_at)
    attachment: Resource = {
        "contentType": "text/plain; charset=utf-8",
        "title": f"{CONSENT_KINDS[consent.kind]}, form version {consent.form_version}",
        "creation": instant(consent.signed_at),
    }
    if consent.text is not None:
        attachment["data"] = base64.b64encode(consent.text.encode()).decode("ascii")
    return {
        "resourceType": "Consent",
        "id": str(consent.id),
        "identifier": [identifier(clinic.slug, "consent", consent.id)],
        "status": "inactive" if consent.withdrawn_at is not None else "active",
        "scope": {
            "coding": [
                {"system": CONSENT_SCOPE_SYSTEM, "code": scope_code, "display": scope_display}
            ]
        },
        "category": [
            {"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]},
            {
                "coding": [
                    {
                        "system": CONSENT_KIND_SYSTEM,
                        "code": consent.kind,
                        "display": CONSENT_KINDS[consent.kind],
                    }
                ]
            },
        ],
        "patient": reference("Patient", consent.patient_id, patient_name),
        "dateTime": instant(consent.signed_at),
        "performer": [reference("Patient", consent.patient_id, consent.signed_by_name)],
        "organization": [reference("Organization", clinic.id, clinic.name)],
        "sourceAttachment": attachment,
        "policy": [{"uri": f"{NAMESPACE}/consent-form/{consent.kind}/{consent.form_version}"}],
        "verification": [
            {
                "verified": True,
                "verificationDate": instant(consent.signed_at),
            }
        ],
        "provision": {"type": "permit", "period": period},
    }


def _component_value(value: Any) -> Resource:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueQuantity": {"value": value}}
    if isinstance(value, str):
        return {"valueString": value}
    return {"valueString": json.dumps(value, sort_keys=True, ensure_ascii=False)}


def observation_resource(
    outcome: OutcomeAssessment,
    clinic: Clinic,
    *,
    patient_name: str,
    rater_name: str | None,
    scales: Mapping[str, str],
) -> Resource:
    """An outcome score: the scale as the code, the total as the value (or, for a scale
    scored in parts, each part as a component), each input as a component, the band as the
    interpretation."""
    label = scales.get(outcome.scale, outcome.scale)
    components = [
        {
            "code": {
                "coding": [
                    {
                        "system": SCALE_ITEM_SYSTEM,
                        "code": f"{outcome.scale}.{name}",
                        "display": name,
                    }
                ],
                "text": name,
            },
            **_component_value(value),
        }
        for name, value in outcome.inputs.items()
    ]
    resource: Resource = {
        "resourceType": "Observation",
        "id": str(outcome.id),
        "identifier": [identifier(clinic.slug, "outcome", outcome.id)],
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                        "display": "Survey",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": SCALE_SYSTEM, "code": outcome.scale, "display": label}],
            "text": f"{label} ({outcome.scale_version})",
        },
        "subject": reference("Patient", outcome.patient_id, patient_name),
        "effectiveDateTime": day(outcome.assessed_on),
        "issued": instant(outcome.recorded_at),
        "performer": [reference("Practitioner", outcome.rater_id, rater_name)],
    }
    if "total" in outcome.score:
        resource.update(_component_value(outcome.score["total"]))
    else:
        for part, value in outcome.score.get("parts", {}).items():
            components.append(
                {
                    "code": {
                        "coding": [
                            {
                                "system": SCALE_ITEM_SYSTEM,
                                "code": f"{outcome.scale}.score.{part}",
                                "display": f"score: {part}",
                            }
                        ],
                        "text": f"score: {part}",
                    },
                    **_component_value(value),
                }
            )
    if components:
        resource["component"] = components
    if outcome.band:
        resource["interpretation"] = [
            {
                "coding": [
                    {
                        "system": SCALE_BAND_SYSTEM,
                        "code": f"{outcome.scale}.{outcome.band}",
                        "display": outcome.band,
                    }
                ],
                "text": outcome.band,
            }
        ]
    return resource


def _mm(value: float) -> Resource:
    return {"value": value, "unit": "mm", "system": UCUM, "code": "mm"}


def _plan_activity(
    series: Mapping[str, Any],
    zone: Mapping[str, Any],
    status: str,
    labels: Mapping[str, str],
    concerns: Mapping[str, str],
) -> Resource:
    depth = zone.get("depth_mm") or {}
    technique = zone.get("technique") or {}
    passes = technique.get("passes") or {}
    interval = series.get("interval_weeks") or {}
    label = labels.get(zone["zone"], zone["zone"])
    words = [f"{label}: start at {depth['start']:g} mm" if "start" in depth else label]
    if "min" in depth and "max" in depth:
        words.append(f"depth {depth['min']:g} to {depth['max']:g} mm")
    if "min" in passes and "max" in passes:
        words.append(f"{passes['min']} to {passes['max']} passes")
    if technique.get("endpoint_label"):
        words.append(f"endpoint: {technique['endpoint_label']}")
    words.append(
        f"{series.get('sessions', '?')} sessions, every {interval.get('default', '?')} weeks"
    )
    detail: Resource = {
        "extension": [
            {"url": ZONE_EXTENSION, "valueCodeableConcept": zone_concept(zone["zone"], labels)}
        ],
        "code": {
            "coding": [
                {
                    "system": PROCEDURE_SYSTEM,
                    "code": "microneedling",
                    "display": PROCEDURES["microneedling"],
                }
            ]
        },
        "status": status,
        "description": "; ".join(words),
    }
    if "min" in depth and "max" in depth:
        detail["extension"].append(
            {
                "url": DEPTH_EXTENSION,
                "valueRange": {"low": _mm(depth["min"]), "high": _mm(depth["max"])},
            }
        )
    concern = zone.get("concern")
    if concern:
        text = concerns.get(concern, concern)
        if zone.get("subtype"):
            text = f"{text} ({zone['subtype']})"
        detail["reasonCode"] = [
            {
                "coding": [
                    {
                        "system": CONCERN_SYSTEM,
                        "code": concern,
                        "display": concerns.get(concern, concern),
                    }
                ],
                "text": text,
            }
        ]
    dates = [str(when) for when in series.get("dates") or []]
    if dates:
        detail["scheduledTiming"] = {"event": dates}
    return {"detail": detail}


def careplan_resource(
    plan: TreatmentPlan,
    clinic: Clinic,
    *,
    patient_name: str,
    author_name: str | None,
    labels: Mapping[str, str],
    concerns: Mapping[str, str],
) -> Resource:
    """A treatment plan: one activity per zone of each series (the zone and its depth range
    in our extensions, as R4's CarePlan has no body site; the depths, passes, endpoint and
    sessions in words; the session dates as its timing), the plan's period from the first
    session to the last."""
    body = plan.plan or {}
    series_list = body.get("series") or []
    status = PLAN_ACTIVITY_STATUSES.get(plan.status, "unknown")
    activities = [
        _plan_activity(series, zone, status, labels, concerns)
        for series in series_list
        for zone in series.get("zones") or []
    ]
    dates = sorted(str(when) for series in series_list for when in series.get("dates") or [])
    resource: Resource = {
        "resourceType": "CarePlan",
        "id": str(plan.id),
        "identifier": [identifier(clinic.slug, "plan", plan.id)],
        "status": PLAN_STATUSES.get(plan.status, "unknown"),
        "intent": "plan",
        "title": "Microneedling treatment plan",
        "subject": reference("Patient", plan.patient_id, patient_name),
        "created": instant(plan.created_at),
        "author": reference("Practitioner", plan.created_by, author_name),
        "note": [
            {
                "text": (
                    f"Made with knowledge base {plan.knowledge_base_version} "
                    f"({plan.knowledge_base_hash})"
                )
            }
        ],
    }
    if dates:
        resource["period"] = {"start": dates[0], "end": dates[-1]}
    if activities:
        resource["activity"] = activities
    return resource


def risk_assessment_resource(
    intake: Intake, clinic: Clinic, *, patient_name: str, recorder_name: str | None
) -> Resource:
    """A screening result: the decision as the first prediction (with the earliest date a
    deferred treatment may start), each finding as a prediction of its own (its code, severity
    and message, and the sources it rests on), the knowledge base as the method."""
    screening = intake.screening or {}
    decision = intake.decision
    first: Resource = {
        "outcome": {
            "coding": [
                {
                    "system": DECISION_SYSTEM,
                    "code": decision,
                    "display": DECISIONS.get(decision, decision),
                }
            ],
            "text": decision,
        },
    }
    if intake.earliest_date is not None:
        first["whenPeriod"] = {"start": day(intake.earliest_date)}
    predictions = [first]
    for finding in screening.get("findings") or []:
        sources = ", ".join(finding.get("sources") or [])
        rationale = str(finding.get("message", ""))
        if sources:
            rationale = f"{rationale} (sources: {sources})"
        prediction: Resource = {
            "outcome": {
                "coding": [{"system": FINDING_SYSTEM, "code": str(finding.get("code"))}],
                "text": str(finding.get("code")),
            },
            "qualitativeRisk": {"text": str(finding.get("severity", ""))},
            "rationale": rationale,
        }
        if finding.get("until"):
            prediction["whenPeriod"] = {"end": str(finding["until"])}
        predictions.append(prediction)
    notes: list[Resource] = [
        {"text": f"{p.get('code')}: {p.get('instruction')}"}
        for p in screening.get("precautions") or []
    ]
    if intake.acknowledged_at is not None:
        notes.append(
            {
                "time": instant(intake.acknowledged_at),
                "text": f"Caution acknowledged: {intake.acknowledgement_note or ''}".strip(),
            }
        )
    resource: Resource = {
        "resourceType": "RiskAssessment",
        "id": str(intake.id),
        "identifier": [identifier(clinic.slug, "intake", intake.id)],
        "status": "final",
        "code": {
            "coding": [
                {
                    "system": SCREENING_SYSTEM,
                    "code": "microneedling-screening",
                    "display": SCREENINGS["microneedling-screening"],
                }
            ]
        },
        "method": {
            "text": (
                f"knowledge base {intake.knowledge_base_version} ({intake.knowledge_base_hash})"
            )
        },
        "subject": reference("Patient", intake.patient_id, patient_name),
        "occurrenceDateTime": day(intake.assessed_on),
        "performer": reference("Practitioner", intake.recorded_by, recorder_name),
        "prediction": predictions,
    }
    if notes:
        resource["note"] = notes
    return resource


def bundle(
    base: str,
    self_url: str,
    total: int,
    resources: Sequence[Resource],
    *,
    next_url: str | None = None,
    previous_url: str | None = None,
) -> Resource:
    """A searchset Bundle: each entry with its full URL; ``self`` and, where there are more,
    ``next`` and ``previous`` links."""
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
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }


def operation_outcome(code: str, message: str, *, severity: str = "error") -> Resource:
    """An OperationOutcome with one issue (``code`` from FHIR's issue-type value set)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": message}],
    }
