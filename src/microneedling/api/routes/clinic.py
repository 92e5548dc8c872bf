"""The clinic (owners): staff accounts, the price list, policy overrides, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from microneedling.api.context import IdInPath, Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import AuditPage, ChainReportOut, StaffOut
from microneedling.api.security import CurrentActor
from microneedling.services import audit, clinics, staff_invitations
from microneedling.services.access import Role
from microneedling.services.inputs import MAX_ID
from microneedling.services.staff_invitations import StaffInvitationIn

router = ApiRouter(tags=["clinic"])

Document = Annotated[dict[str, Any], Body(description="A JSON object")]


@router.get("/staff", response_model=list[StaffOut], summary="The clinic's staff accounts")
def list_staff(actor: CurrentActor, uow: Uow, clock: Now) -> list[dict[str, Any]]:
    return clinics.list_staff(uow, actor, clock=clock)


class InvitationOut(BaseModel):
    id: int = Field(description="The invitation's id")
    status: str = Field(description='Always "invitation sent"')
    email: str
    display_name: str
    role: Role
    expires_at: datetime = Field(description="Until when the link in the message works")


@router.post(
    "/staff",
    status_code=202,
    response_model=InvitationOut,
    summary="Invite a staff member (an e-mail with a link to choose their password)",
)
def add_staff(body: StaffInvitationIn, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    """The answer is the same 202 "invitation sent" whether or not the address already has an
    account, in this clinic or another: nothing here tells. A new address gets a link that works
    once, for 7 days, to choose a password; an address with an account is told so, in the
    message only."""
    return staff_invitations.invite_staff_member(uow, actor, body, clock=clock)


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role = Field(description="owner, clinician or front_desk")


@router.post(
    "/staff/{staff_id}/role",
    response_model=StaffOut,
    summary="Give a staff member another role (their tokens carry it at once)",
)
def change_role(
    staff_id: IdInPath, body: RoleChange, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    """Owners; not their own role (another owner can), and never the clinic's last owner."""
    return clinics.change_role(uow, actor, staff_id, body.role, clock=clock)


@router.post(
    "/staff/{staff_id}/deactivate",
    response_model=StaffOut,
    summary="Close an account (its sign-ins stop at once)",
)
def deactivate_staff(
    staff_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return clinics.deactivate_staff_member(uow, actor, staff_id, clock=clock)


@router.get(
    "/clinic/price-list",
    response_model=dict[str, Any] | None,
    summary="The price list plans are quoted with (null until set)",
)
def read_price_list(actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any] | None:
    price_list: dict[str, Any] | None = clinics.clinic_settings(uow, actor, clock=clock)[
        "price_list"
    ]
    return price_list


@router.put("/clinic/price-list", status_code=204, summary="Replace the price list")
def set_price_list(body: Document, actor: CurrentActor, uow: Uow, clock: Now) -> Response:
    clinics.set_price_list(uow, actor, body, clock=clock)
    return Response(status_code=204)


class PolicyValueOut(BaseModel):
    key: str
    label: str
    unit: str | None = Field(
        description="years, days, months, hours, sessions or cm²; null for the structured values"
    )
    min: int | None
    max: int | None
    applies_to: str | None
    default: Any = Field(description="The shipped value (null where the knowledge base has none)")
    override: Any = Field(description="The clinic's value, or null: the default applies")
    in_force: Any


class RefusedOut(BaseModel):
    key: str
    value: str
    reason: str


class ClinicPolicyOut(BaseModel):
    """The values of REFERENCE.md A.7 a clinic may change, each with its bounds, default and
    override; stored values that are not valid (never applied); the hash results carry."""

    values: list[PolicyValueOut]
    overrides: dict[str, Any]
    not_applied: list[str] = Field(
        description="Overrides saved but not yet used: the knowledge base or an engine has no "
        "place for them yet"
    )
    overrides_hash: str | None
    refused: list[RefusedOut]
    contact: dict[str, str]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)


@router.get(
    "/clinic/policy",
    response_model=ClinicPolicyOut,
    summary="The clinic's policy: each configurable value with its bounds, default and override",
)
def read_policy(actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    return clinics.policy(uow, actor, clock=clock)


@router.get(
    "/clinic/policy-overrides",
    response_model=dict[str, Any],
    summary="The clinic's policy overrides in force (A.7 values only)",
)
def read_policy_overrides(actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    overrides: dict[str, Any] = clinics.policy(uow, actor, clock=clock)["overrides"]
    return overrides


@router.put("/clinic/policy-overrides", status_code=204, summary="Replace the policy overrides")
def set_policy_overrides(body: Document, actor: CurrentActor, uow: Uow, clock: Now) -> Response:
    """Only the values of A.7, each within its bounds (a 422 names every problem in
    ``fields``); a value left out returns to its shipped default. Audited."""
    clinics.set_policy_overrides(uow, actor, body, clock=clock)
    return Response(status_code=204)


@router.delete(
    "/clinic/policy-overrides/{key}",
    response_model=ClinicPolicyOut,
    summary="Remove one override (its shipped default applies again)",
)
def reset_policy_override(
    key: Annotated[str, Path(max_length=64)], actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return clinics.reset_policy_values(uow, actor, [key], clock=clock)


@router.put(
    "/clinic/contact",
    response_model=ClinicPolicyOut,
    summary="The address and phone printed on handouts",
)
def set_contact(body: ContactIn, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    return clinics.set_contact(uow, actor, body.model_dump(exclude_none=True), clock=clock)


@router.get("/audit", response_model=AuditPage, summary="The clinic's audit log, in order")
def audit_log(
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="After this entry number of the clinic's log")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    patient_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> dict[str, Any]:
    return audit.audit_page(
        uow, actor, patient_id=patient_id, after=after, limit=limit, clock=clock
    )


@router.get(
    "/audit/verify", response_model=ChainReportOut, summary="Check the clinic's audit chain"
)
def verify_audit(actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    """This clinic's chain: each entry's hash and its authentication with the server's audit key,
    the clinic's entries without gaps, and the clinic's head (the check is audited first). It
    reads and tells nothing of any other clinic; `first_failing` names the first entry that
    fails."""
    return audit.verify_audit_log_as(uow, actor, clock=clock).to_dict()
