"""The clinical records as FHIR R4 resources (pure): charted sessions (Procedure), consents,
outcome scores (Observation), treatment plans (CarePlan), screening results (RiskAssessment)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from microneedling.api.fhir.codes import (
    CONCERN_SYSTEM,
    CONSENT_KIND_SYSTEM,
    CONSENT_KINDS,
    CONSENT_SCOPE_SYSTEM,
    CONSENT_SCOPES,
    DECISION_SYSTEM,
    DECISIONS,
    DEPTH_EXTENSION,
    FINDING_SYSTEM,
    LOINC,
    NAMESPACE,
    PLAN_ACTIVITY_STATUSES,
    PLAN_STATUSES,
    PROCEDURE_SYSTEM,
    PROCEDURES,
    SCALE_BAND_SYSTEM,
    SCALE_ITEM_SYSTEM,
    SCALE_SYSTEM,
    SCREENING_SYSTEM,
    SCREENINGS,
    SNOMED,
    SNOMED_ZONES,
    UCUM,
    ZONE_EXTENSION,
    ZONE_SYSTEM,
)
from microneedling.api.fhir.resources import Resource, day, identifier, instant, reference
from microneedling.store.models import (
    ChartZone,
    Clinic,
    Consent,
    Intake,
    OutcomeAssessment,
    SessionChart,
    TreatmentPlan,
)


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
