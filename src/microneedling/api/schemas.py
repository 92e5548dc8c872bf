"""The API's response bodies (and the request bodies that are not a service's input model), so the
OpenAPI document says exactly what comes back. Field names and shapes are those of
``services/views.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from microneedling.clinical.intake import (
    MAX_ITEMS,
    MAX_ZONES,
    Allergy,
    Condition,
    IsoDate,
    Medication,
    Procedure,
    Word,
)
from microneedling.clinical.planning import MAX_TREATMENTS, Treatment
from microneedling.services.inputs import MAX_ID, Day, Moment

ItemT = TypeVar("ItemT")


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Errors -------------------------------------------------------------------------------------


class FieldProblem(Out):
    path: str = Field(description="Where the problem is, e.g. `medications[0].stopped_on`")
    message: str


class ErrorOut(Out):
    """The one error body of every 4xx and 5xx answer."""

    error: str = Field(description="A stable code: invalid, unauthenticated, forbidden, ...")
    message: str
    fields: list[FieldProblem]


# Lists --------------------------------------------------------------------------------------


class Page(Out, Generic[ItemT]):
    """One page of a list; ask again with ``offset=next_offset`` for the next one."""

    items: list[ItemT]
    limit: int
    offset: int
    next_offset: int | None


class Created(Out):
    """The id of what was created (its address is in the Location header)."""

    id: int


# Accounts -----------------------------------------------------------------------------------


class TokenOut(Out):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds until the token expires")


class StaffOut(Out):
    id: int
    email: str
    display_name: str
    role: Literal["owner", "clinician", "front_desk"]
    active: bool
    created_at: datetime


class ClinicOut(Out):
    id: int
    slug: str
    name: str
    time_zone: str


class AccountOut(StaffOut):
    clinic: ClinicOut


class ClinicSettingsOut(Out):
    price_list: dict[str, Any] | None
    policy_overrides: dict[str, Any]


# Patients -----------------------------------------------------------------------------------


class PatientOut(Out):
    id: int
    given_name: str
    family_name: str
    birth_date: date
    sex: Literal["female", "male", "other"] | None
    fitzpatrick: int
    email: str | None
    phone: str | None
    created_at: datetime


class KnowledgeBaseStamp(Out):
    version: str
    hash: str
    #: Hash of the clinic's policy overrides in force (A.7); null when none applied.
    overrides_hash: str | None = None


class FindingOut(Out):
    code: str
    severity: Literal["absolute", "temporary", "relative", "precaution"]
    message: str
    sources: list[str]
    until: str | None


class PrecautionOut(Out):
    code: str = Field(description="The first finding that calls for it")
    codes: list[str] = Field(
        default_factory=list,
        description="Every finding that calls for this instruction (given once for all of them)",
    )
    instruction: str
    sources: list[str]


class ScreeningOut(Out):
    """A screening result (the `microneedling screen --json` contract)."""

    decision: Literal["eligible", "caution", "defer", "not_eligible"]
    earliest_date: str | None
    findings: list[FindingOut]
    precautions: list[PrecautionOut]
    on: str
    #: The zones the screening covered (groups expanded, vocabulary order); empty for results
    #: stored under policy version 1, which did not record them.
    zones: list[str] = []
    #: The patient's Fitzpatrick type as screened (null for results stored under policy 1).
    fitzpatrick: int | None = None
    knowledge_base: KnowledgeBaseStamp


class IntakePatientIn(In):
    """Optional: taken from the patient's record; a birth date or type given must match it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    birth_date: IsoDate | None = None
    sex: Literal["female", "male", "other"] | None = None
    fitzpatrick: int | None = Field(default=None, ge=1, le=6)


class IntakeIn(In):
    """An intake's answers. ``on`` defaults to the clinic's today (and may not be later); the
    patient block defaults to the patient's record."""

    model_config = ConfigDict(extra="forbid", strict=True)

    on: IsoDate | None = Field(default=None, description="Assessment date")
    patient: IntakePatientIn | None = None
    zones: list[Word] = Field(min_length=1, max_length=MAX_ZONES, description="Requested zones")
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_ITEMS)
    medications: list[Medication] = Field(default_factory=list, max_length=MAX_ITEMS)
    procedures: list[Procedure] = Field(default_factory=list, max_length=MAX_ITEMS)
    allergies: list[Allergy] = Field(default_factory=list, max_length=MAX_ITEMS)


class PlanIn(In):
    """What to plan for a patient; the date, Fitzpatrick type, screening and acknowledgement
    come from the records."""

    model_config = ConfigDict(extra="forbid", strict=True)

    treatments: list[Treatment] = Field(min_length=1, max_length=MAX_TREATMENTS)
    start: IsoDate | None = Field(default=None, description="Requested first session")
    setting: Literal["professional", "home"] = "professional"
    device: str | None = Field(
        default=None,
        min_length=1,
        max_length=80,
        description="The device profile to plan for (the shipped pen by default, or one of the "
        "clinic's own profiles, by name)",
    )
    add_ons: list[Word] = Field(default_factory=list, max_length=10)
    surgery_on: IsoDate | None = None


class AcknowledgementOut(Out):
    by: int
    at: datetime
    note: str | None


class IntakeOut(Out):
    id: int
    patient_id: int
    assessed_on: date
    recorded_at: datetime
    recorded_by: int
    decision: Literal["eligible", "caution", "defer", "not_eligible"]
    earliest_date: date | None
    answers: dict[str, Any]
    screening: ScreeningOut
    knowledge_base: KnowledgeBaseStamp
    acknowledged: AcknowledgementOut | None


class AcknowledgementIn(In):
    note: str = Field(min_length=1, max_length=2000, description="What was considered")


class ConsentOut(Out):
    id: int
    patient_id: int
    kind: Literal["treatment", "marketing_photos"]
    form_version: str
    text_sha256: str
    text: str | None = Field(
        description="The text signed (null for consents recorded before the text was kept)"
    )
    signed_at: datetime
    signed_by_name: str
    witnessed_by: int
    withdrawn_at: datetime | None


class PlanOut(Out):
    id: int
    patient_id: int
    intake_id: int | None
    status: Literal["proposed", "accepted", "completed", "cancelled"]
    created_at: datetime
    created_by: int
    request: dict[str, Any]
    plan: dict[str, Any] = Field(description="The plan as computed (the `plan --json` contract)")
    knowledge_base: KnowledgeBaseStamp = Field(
        description="The policy (knowledge-base version and hash) the plan was made with"
    )


class PlanStatusIn(In):
    status: Literal["accepted", "completed", "cancelled"]


class AppointmentOut(Out):
    id: int
    patient_id: int
    plan_id: int | None
    practitioner_id: int | None
    starts_at: datetime
    duration_minutes: int
    status: Literal["scheduled", "checked_in", "completed", "cancelled", "no_show"]


class NewAppointmentIn(In):
    patient_id: int = Field(ge=1, le=MAX_ID)
    starts_at: Moment = Field(description="With its time zone, e.g. 2026-12-07T10:30:00+01:00")
    duration_minutes: int = Field(default=60, ge=5, le=480)
    plan_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    practitioner_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class AppointmentStatusIn(In):
    status: Literal["checked_in", "cancelled", "no_show"] = Field(
        description="`completed` comes from charting the session"
    )
    reason: str | None = Field(
        default=None, max_length=500, description="Why it is cancelled (required to cancel)"
    )


# Charts -------------------------------------------------------------------------------------


class ZoneTreatedOut(Out):
    zone: str
    depth_mm: float
    passes: int
    endpoint: Literal["even_erythema", "pinpoint_bleeding", "not_reached"] | None = Field(
        description="The clinical endpoint reached; null on charts before policy version 2"
    )
    reason: str | None = Field(
        description="The clinician's reason for a zone or depth outside the plan"
    )


class ProductAppliedOut(Out):
    product: str
    lot_number: str | None
    purpose: Literal["glide", "serum", "post_procedure", "other"]


class DeviceOut(Out):
    id: int
    kind: Literal["pen", "roller", "stamp"]
    manufacturer: str
    model: str
    serial_number: str
    in_service: bool
    lowest_mm: float = Field(description="The lowest depth the device can be set to")
    highest_mm: float = Field(description="The highest depth the device can be set to")
    step_mm: float = Field(description="The device's step between settings")


class LotOut(Out):
    id: int
    manufacturer: str
    product: str
    lot_number: str
    needle_count: int | None
    expires_on: date
    received_on: date
    quantity_received: int
    recalled_at: datetime | None
    recall_reason: str | None


class ChartVersionOut(Out):
    id: int
    version: int
    amends: int | None
    amendment_reason: str | None
    performed_on: date
    signed_by: int
    signed_at: datetime
    device_id: int
    cartridge_lot: str
    needle_count: int
    zones: list[ZoneTreatedOut]
    anaesthetic: str | None
    products: list[ProductAppliedOut]
    clinical_endpoint: str
    glide_medium: str | None
    numbed_area_cm2: float | None
    outside_plan: dict[str, str] = Field(
        description="Zones charted outside the plan (not treated by it, or outside its depth "
        "range), each with why; the clinician's reason is in `zones`"
    )
    duration_minutes: int
    practitioner_id: int
    notes: str | None
    device: DeviceOut
    cartridge_lot_detail: LotOut


class ChangeOut(Out):
    from_: Any = Field(alias="from")
    to: Any


class AmendmentOut(Out):
    version: int
    reason: str | None
    by: int
    at: datetime
    changes: dict[str, ChangeOut]


class ChartOut(Out):
    """A session's chart: the current version, the original, and what each amendment changed."""

    appointment_id: int
    current: ChartVersionOut
    original: ChartVersionOut
    amendments: list[AmendmentOut]


class AmendmentIn(In):
    changes: dict[str, Any] = Field(
        description="Chart fields with their corrected value", min_length=1, max_length=20
    )
    reason: str = Field(min_length=1, max_length=2000)
    expected_version: int | None = Field(
        default=None, ge=1, le=10_000, description="The version you were looking at"
    )


class SessionOut(Out):
    """A charted session in a list (the current version of its chart)."""

    id: int
    appointment_id: int
    patient_id: int
    version: int
    performed_on: date
    practitioner_id: int
    device_id: int
    cartridge_lot: str
    needle_count: int
    signed_by: int
    signed_at: datetime


# Adverse events, outcomes, photos -----------------------------------------------------------


class AdverseEventOut(Out):
    id: int
    patient_id: int
    appointment_id: int | None
    kind: str
    severity: Literal["mild", "moderate", "severe"]
    onset_on: date
    description: str | None
    resolved_on: date | None
    resolution: str | None
    reported_by: int
    reported_at: datetime


class ResolutionIn(In):
    resolved_on: Day
    resolution: str = Field(min_length=1, max_length=10_000)


class OutcomeIn(In):
    scale: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    inputs: dict[str, Any] = Field(max_length=100, description="The scale's inputs, by item")
    assessed_on: Day | None = None
    plan_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class OutcomeOut(Out):
    id: int
    patient_id: int
    plan_id: int | None
    scale: str
    scale_version: str
    inputs: dict[str, Any]
    score: int | float | dict[str, int | float]
    band: str | None
    rater_id: int
    assessed_on: date


class PhotoOut(Out):
    id: int
    patient_id: int
    appointment_id: int | None
    view: str
    zone: str | None
    taken_at: datetime
    original_sha256: str
    stored_sha256: str
    media_type: Literal["image/jpeg", "image/png"]
    width: int
    height: int
    byte_size: int
    marketing_selected_at: datetime | None


# Inventory ----------------------------------------------------------------------------------


class RecallIn(In):
    reason: str = Field(min_length=1, max_length=2000)


class LotRecipientOut(Out):
    patient_id: int
    given_name: str
    family_name: str
    email: str | None
    phone: str | None
    sessions: int
    first_on: date
    last_on: date


class RecallOut(Out):
    lot: LotOut
    newly_recalled: bool
    patients: list[LotRecipientOut]


# The full record ------------------------------------------------------------------------------


class FullRecordOut(Out):
    """Everything about one patient; each session's chart with its amendment history."""

    patient: PatientOut
    intakes: list[IntakeOut]
    consents: list[ConsentOut]
    plans: list[PlanOut]
    appointments: list[AppointmentOut]
    charts: list[ChartOut]
    adverse_events: list[AdverseEventOut]
    outcomes: list[OutcomeOut]
    photos: list[PhotoOut]


# Audit --------------------------------------------------------------------------------------


class AuditEntryOut(Out):
    sequence: int | None = Field(
        description="The entry's number in this clinic's log: its place in the clinic's own "
        "chain (1, 2, ...), never its number among every clinic's entries"
    )
    at: datetime
    actor_id: int | None
    actor_role: str
    action: str
    patient_id: int | None
    entity: str | None
    details: dict[str, Any]
    hash: str
    sentence: str = Field(
        description='The entry in staff\'s words ("Dr Clara Jansen opened the record of Sara Smits")'
    )


class AuditPage(Out):
    items: list[AuditEntryOut]
    limit: int
    next_after: int | None = Field(description="Ask again with `after=next_after` for more")


class ChainHeadOut(Out):
    sequence: int
    hash: str


class ChainAuthenticationOut(Out):
    key_configured: bool = Field(description="Whether the server has an audit key")
    complete: bool = Field(description="Whether every entry is authenticated with it")
    authenticated: int = Field(description="Entries whose authentication matched")
    unauthenticated: int = Field(description="Entries written before the key was set")
    unchecked: int = Field(description="Entries with an authentication no key here can check")
    since_entry: int | None = Field(description="The first authenticated entry")


class ChainReportOut(Out):
    intact: bool
    scope: str = Field(description="`clinic`: this clinic's entries only; `database`: all")
    entries: int = Field(description="How many entries were checked (the clinic's own)")
    head: ChainHeadOut = Field(
        description="The last entry checked: its number and hash (for a clinic: its place in "
        "the clinic's own chain, so that nothing tells how many entries other clinics wrote)"
    )
    first_failing: int | None = Field(description="The first entry that fails, if any")
    problems: list[str]
    authentication: ChainAuthenticationOut
    notes: list[str] = Field(description="How far the check can be trusted")
