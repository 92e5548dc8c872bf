"""Stateless computations for signed-in staff: screening, planning, the product check and
outcome scores. Nothing is stored and no patient is named, so nothing is audited; the role matrix
still decides who may run each (a plan or a score is clinical work).

Each computation applies the actor's clinic's policy overrides (REFERENCE.md A.7) when given the
unit of work to read them with (:func:`clinic_knowledge_base`); its result then carries the hash
of the overrides in force beside the knowledge base's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microneedling.clinical.intake import Intake
from microneedling.clinical.planning import PlanRequest, plan
from microneedling.clinical.products import check_product
from microneedling.clinical.scales import score
from microneedling.clinical.screening import screen
from microneedling.knowledge import KnowledgeBase, shipped_knowledge_base
from microneedling.knowledge.overrides import (
    NO_OVERRIDES,
    PolicyOverrides,
    apply_overrides,
    approved_products,
    overrides_hash_of,
    read_stored,
)
from microneedling.services.access import Actor, check_role
from microneedling.services.clinics import clinic_policy
from microneedling.store import UnitOfWork


def clinic_overrides(uow: UnitOfWork | None, actor: Actor) -> PolicyOverrides:
    """The overrides in force for the actor's clinic (none without a unit of work)."""
    return clinic_policy(uow, actor.clinic_id) if uow is not None else NO_OVERRIDES


def clinic_knowledge_base(
    uow: UnitOfWork | None, actor: Actor, *, kb: KnowledgeBase | None = None
) -> KnowledgeBase:
    """The knowledge base the actor's clinic computes with: ``kb`` (the shipped one by default)
    with the clinic's overrides applied. Its ``hash`` stays the shipped one; results made with it
    carry ``overrides_hash`` too."""
    return apply_overrides(kb or shipped_knowledge_base(), clinic_overrides(uow, actor))


def _stamped(result: dict[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    """``result`` with the overrides' hash in its knowledge-base stamp (where overrides applied
    and the engine did not record it itself)."""
    digest = overrides_hash_of(kb)
    stamp = result.get("knowledge_base")
    if digest is not None and isinstance(stamp, dict) and stamp.get("overrides_hash") is None:
        result["knowledge_base"] = {**stamp, "overrides_hash": digest}
    return result


def screen_intake(
    actor: Actor,
    intake: Intake,
    *,
    kb: KnowledgeBase | None = None,
    uow: UnitOfWork | None = None,
) -> dict[str, Any]:
    """The screening result of an intake (the `screen --json` contract), with the clinic's
    overrides when ``uow`` is given."""
    check_role(actor, "compute.screen")
    base = clinic_knowledge_base(uow, actor, kb=kb)
    result = screen(intake, base, overrides_hash=overrides_hash_of(base))
    return _stamped(result.to_dict(), base)


def plan_series(
    actor: Actor,
    request: PlanRequest,
    *,
    kb: KnowledgeBase | None = None,
    uow: UnitOfWork | None = None,
) -> dict[str, Any]:
    """A treatment plan (the `plan --json` contract), priced with no price list, with the
    clinic's overrides when ``uow`` is given."""
    check_role(actor, "compute.plan")
    base = clinic_knowledge_base(uow, actor, kb=kb)
    return _stamped(plan(request, base), base)


def product_check(
    actor: Actor,
    ingredients: str,
    hours_since_session: float,
    *,
    sterile_post_procedure: bool = False,
    make_up: bool = False,
    product_name: str | None = None,
    kb: KnowledgeBase | None = None,
    uow: UnitOfWork | None = None,
) -> dict[str, Any]:
    """Whether a product is safe this many hours after a session, and why: with the clinic's
    make-up window, unknown-ingredient block and approved products when ``uow`` is given."""
    check_role(actor, "compute.product_check")
    overrides = clinic_overrides(uow, actor)
    base = apply_overrides(kb or shipped_knowledge_base(), overrides)
    result = check_product(
        ingredients,
        hours_since_session,
        base,
        sterile_post_procedure=sterile_post_procedure,
        make_up=make_up,
        make_up_window_hours=overrides.make_up_window_hours,
        unknown_block_hours=overrides.unknown_block_hours,
        approved_products=approved_products(overrides),
        product_name=product_name,
    )
    return _stamped(result.to_dict(), base)


def score_scale(
    actor: Actor, scale: str, inputs: Mapping[str, Any], *, kb: KnowledgeBase | None = None
) -> dict[str, Any]:
    """An outcome scale's score and band for the given inputs."""
    check_role(actor, "compute.score")
    return score(scale, inputs, kb or shipped_knowledge_base()).to_dict()


def knowledge_base_for(
    stored_overrides: object, *, kb: KnowledgeBase | None = None
) -> KnowledgeBase:
    """The knowledge base for a clinic whose stored settings (``Clinic.policy_overrides``) are
    already at hand, e.g. inside a use case's transaction: ``kb`` (the shipped one by default)
    with the valid overrides applied (values not valid never apply)."""
    base = kb or shipped_knowledge_base()
    return apply_overrides(base, read_stored(stored_overrides, base).overrides)


def policy_of(stored_overrides: object) -> PolicyOverrides:
    """The overrides in force given a clinic's stored settings (``Clinic.policy_overrides``), for
    a use case that takes a value as an argument (charting's ``screening_valid_days``, the
    product check's approved products); values that are not valid never apply."""
    return read_stored(stored_overrides, shipped_knowledge_base()).overrides
