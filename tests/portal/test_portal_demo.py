"""The demo's patients with portal access: the first three with an e-mail address are invited
(audited as the owner's invitations) and their addresses printed by ``microneedling demo``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tests.integration.conftest import (  # noqa: F401 (fixtures)
    NOW,
    World,
    database,
    databases,
    make_world,
)

from microneedling.services.portal.demo import PORTAL_PATIENTS, open_demo_portal, sign_in_lines
from microneedling.store import Database
from microneedling.store.models import AuditEntry
from microneedling.store.portal_models import PortalAccount


@pytest.fixture
def world(database: Database, tmp_path: Path) -> World:  # noqa: F811
    return make_world(database, tmp_path / "photos")


def test_three_demo_patients_get_portal_access(world: World) -> None:
    world.patient(given_name="Nomail")
    ids = [world.patient(email=f"p{n}@example.com") for n in range(5)]
    with world.uow as uow:
        slug = uow.records(world.owner.clinic_id).clinic().slug
    emails = open_demo_portal(world.uow, NOW.date(), slug)
    assert emails == [f"p{n}@example.com" for n in range(PORTAL_PATIENTS)]
    with world.uow as uow:
        accounts = (
            uow.session.execute(
                select(PortalAccount).where(PortalAccount.clinic_id == world.owner.clinic_id)
            )
            .scalars()
            .all()
        )
        assert sorted(a.patient_id for a in accounts) == ids[:PORTAL_PATIENTS]
        invites = uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "portal.invite",
                                     AuditEntry.clinic_id == world.owner.clinic_id)
        ).scalars().all()  # fmt: skip
        assert {entry.actor_id for entry in invites} == {world.owner.staff_user_id}
    [line] = sign_in_lines(emails)
    assert "/my/sign-in?clinic=demo" in line and "p0@example.com" in line
    assert sign_in_lines([]) == []
