"""Stateless computations for signed-in staff: screening, planning, the product check and
outcome scores. Nothing is stored and no patient is named, so nothing is audited; the role matrix
still decides who may run each (a plan or a score is clinical work).
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
from microneedling.services.access import Actor, check_role


def screen_intake(
    actor: Actor, intake: Intake, *, kb: KnowledgeBase | None = None
) -> dict[str, Any]:
    """The screening result of an intake (the `screen --json` contract)."""
    check_role(actor, "compute.screen")
    return screen(intake, kb or shipped_knowledge_base()).to_dict()


def plan_series(
    actor: Actor, request: PlanRequest, *, kb: KnowledgeBase | None = None
) -> dict[str, Any]:
    """A treatment plan (the `plan --json` contract), priced with no price list."""
    check_role(actor, "compute.plan")
    return plan(request, kb or shipped_knowledge_base())


def product_check(
    actor: Actor,
    ingredients: str,
    hours_since_session: float,
    *,
    sterile_post_procedure: bool = False,
    make_up: bool = False,
    kb: KnowledgeBase | None = None,
) -> dict[str, Any]:
    """Whether a product is safe this many hours after a session, and why."""
    check_role(actor, "compute.product_check")
    result = check_product(
        ingredients,
        hours_since_session,
        kb or shipped_knowledge_base(),
        sterile_post_procedure=sterile_post_procedure,
        make_up=make_up,
    )
    return result.to_dict()


def score_scale(
    actor: Actor, scale: str, inputs: Mapping[str, Any], *, kb: KnowledgeBase | None = None
) -> dict[str, Any]:
    """An outcome scale's score and band for the given inputs."""
    check_role(actor, "compute.score")
    return score(scale, inputs, kb or shipped_knowledge_base()).to_dict()
