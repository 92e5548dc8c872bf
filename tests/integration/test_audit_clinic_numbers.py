"""Issue 14: each clinic's audit log is numbered by the entry's place in its own chain, 1, 2, 3,
... without gaps, in the owners' log (page and paging), its CSV and the API's reading, however
busy another clinic sharing the database is. Before, the numbers were the whole log's: the gaps
between a clinic's numbers counted the other clinics' entries. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from tests.integration.conftest import World

from microneedling.errors import UserError
from microneedling.services import audit


def busy(world: World, other: World, rounds: int = 6) -> None:
    """Interleave the two clinics' work (the other clinic much busier)."""
    for index in range(rounds):
        world.patient(family_name=f"Mine {index}")
        for extra in range(3):
            other.patient(family_name=f"Theirs {index}-{extra}")


def test_a_clinics_log_page_csv_and_api_count_1_2_3_without_gaps(
    world: World, other_world: World
) -> None:
    busy(world, other_world)
    page = audit.audit_page(world.uow, world.owner, limit=1000, clock=world.clock)
    numbers = [item["sequence"] for item in page["items"]]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 10
    # The API's paging continues by the clinic's numbers.
    first = audit.audit_page(world.uow, world.owner, limit=5, clock=world.clock)
    assert [i["sequence"] for i in first["items"]] == [1, 2, 3, 4, 5]
    assert first["next_after"] == 5
    rest = audit.audit_page(world.uow, world.owner, after=5, limit=3, clock=world.clock)
    assert [i["sequence"] for i in rest["items"]] == [6, 7, 8]

    # The owners' log, newest first, paged by the clinic's numbers.
    log = audit.audit_log(world.uow, world.owner, limit=4, clock=world.clock)
    shown = [item["sequence"] for item in log["items"]]
    assert shown == sorted(shown, reverse=True)
    assert all(a - b == 1 for a, b in itertools.pairwise(shown))
    older = audit.audit_log(world.uow, world.owner, before=log["older"], limit=4, clock=world.clock)
    assert [item["sequence"] for item in older["items"]] == [n - 4 for n in shown]
    newer = audit.audit_log(
        world.uow, world.owner, after=older["newer"], limit=4, clock=world.clock
    )
    assert [item["sequence"] for item in newer["items"]] == shown

    # The CSV: the "entry" column.
    text = "".join(audit.audit_export(world.uow, world.owner, clock=world.clock))
    rows = list(csv.DictReader(io.StringIO(text)))
    entries = [int(row["entry"]) for row in rows]
    assert entries == list(range(len(entries), 0, -1))

    # The other clinic's log counts its own from 1 too.
    theirs = audit.audit_page(other_world.uow, other_world.owner, limit=1000, clock=world.clock)
    assert [i["sequence"] for i in theirs["items"]][:3] == [1, 2, 3]


def test_an_entry_number_of_another_clinic_is_not_a_way_in(
    world: World, other_world: World
) -> None:
    busy(world, other_world, rounds=2)
    mine = audit.audit_page(world.uow, world.owner, limit=1000, clock=world.clock)
    beyond = len(mine["items"]) + 50
    with pytest.raises(UserError, match="this clinic's log has no entry"):
        audit.audit_log(world.uow, world.owner, before=beyond, clock=world.clock)
