"""The codes and systems our FHIR resources use: standard ones (SNOMED CT, LOINC, HL7's) where
a code was verified, our own under :data:`CODE_SYSTEM_BASE` otherwise (each published in the
CapabilityStatement), identifier systems, and our records' statuses as FHIR's."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

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


@cache
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
#: A patient's Fitzpatrick skin type (1 to 6): screening and planning need it; FHIR's Patient
#: has no element for it.
FITZPATRICK_EXTENSION = f"{NAMESPACE}/StructureDefinition/fitzpatrick-skin-type"
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


@cache
def concern_codes() -> dict[str, str]:
    """Our concerns' codes and names, from the shipped knowledge base."""
    from microneedling.knowledge import shipped_knowledge_base

    return {code: concern.label for code, concern in shipped_knowledge_base().concerns.items()}


@cache
def zone_codes() -> dict[str, str]:
    """Our zone codes and their labels, from the shipped knowledge base."""
    from microneedling.knowledge import shipped_knowledge_base

    return {code: zone.label for code, zone in shipped_knowledge_base().zones.items()}


#: A staff member's role in the clinic (PractitionerRole.code).
STAFF_ROLE_SYSTEM = f"{CODE_SYSTEM_BASE}/staff-role"
STAFF_ROLES = {
    "owner": "Owner (runs the clinic; may do everything)",
    "clinician": "Clinician (treats patients)",
    "front_desk": "Front desk (registers patients, books appointments)",
}
#: What went wrong after a session (AdverseEvent.event); no verified standard code for each.
ADVERSE_EVENT_SYSTEM = f"{CODE_SYSTEM_BASE}/adverse-event"
ADVERSE_EVENTS = {
    "prolonged_erythema": "Prolonged erythema",
    "oedema": "Oedema",
    "infection": "Infection",
    "herpes_reactivation": "Herpes reactivation",
    "hyperpigmentation": "Hyperpigmentation",
    "hypopigmentation": "Hypopigmentation",
    "allergic_reaction": "Allergic reaction",
    "acneiform_eruption": "Acneiform eruption",
    "tram_track_scarring": "Tram-track scarring",
    "granuloma": "Granuloma",
    "other": "Other adverse event",
}
ADVERSE_EVENT_SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
ADVERSE_EVENT_OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
#: How a photo was taken (Media.view).
PHOTO_VIEW_SYSTEM = f"{CODE_SYSTEM_BASE}/photo-view"
PHOTO_VIEWS = {
    "front": "Front",
    "left_oblique": "Left oblique",
    "right_oblique": "Right oblique",
    "left_profile": "Left profile",
    "right_profile": "Right profile",
    "close_up": "Close-up",
}
#: An audit entry's action (AuditEvent.type): the role matrix's actions (docs/audit.md).
AUDIT_ACTION_SYSTEM = f"{CODE_SYSTEM_BASE}/audit-action"
#: The intake questionnaire (Questionnaire.url) and its version: the knowledge base's.
INTAKE_QUESTIONNAIRE = f"{NAMESPACE}/Questionnaire/intake"

#: Our code systems, each with its codes and display texts (published by the CapabilityStatement).
CODE_SYSTEMS: Mapping[str, Mapping[str, str]] = {
    DEVICE_TYPE_SYSTEM: DEVICE_TYPES,
    PROCEDURE_SYSTEM: PROCEDURES,
    CONSENT_KIND_SYSTEM: CONSENT_KINDS,
    SCREENING_SYSTEM: SCREENINGS,
    DECISION_SYSTEM: DECISIONS,
    STAFF_ROLE_SYSTEM: STAFF_ROLES,
    ADVERSE_EVENT_SYSTEM: ADVERSE_EVENTS,
    PHOTO_VIEW_SYSTEM: PHOTO_VIEWS,
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
