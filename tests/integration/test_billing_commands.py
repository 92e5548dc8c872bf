"""`microneedling billing …` on both backends: set up billing, sell a plan, pay, print the
receipt, refund; malformed input ends in one line and exit 2, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.integration.conftest import World
from tests.integration.test_billing import BILLING, PRICES, planned_patient
from typer.testing import CliRunner

from microneedling.cli.billing import billing_app
from microneedling.services import clinics
from microneedling.services.access import Actor

runner = CliRunner()


def email_of(world: World, actor: Actor) -> str:
    with world.uow:
        user = world.uow.staff.get(actor.staff_user_id)
        assert user is not None
        return user.email


def test_a_plan_is_sold_paid_printed_and_refunded_from_the_command_line(
    world: World, records_env: Callable[[str], None], tmp_path: Path
) -> None:
    records_env(world.database.url.render_as_string(hide_password=False))
    clinics.set_price_list(world.uow, world.owner, PRICES, clock=world.clock)
    owner, desk = email_of(world, world.owner), email_of(world, world.front_desk)
    settings_file = tmp_path / "billing.json"
    settings_file.write_text(json.dumps(BILLING))
    set_up = runner.invoke(billing_app, ["settings", "--as", owner, "--set", str(settings_file)])
    assert set_up.exit_code == 0, set_up.output
    patient_id, plan_id = planned_patient(world)
    sold = runner.invoke(billing_app, ["sell-plan", str(plan_id), "--as", desk, "--json"])
    assert sold.exit_code == 0, sold.output
    invoice_id = str(json.loads(sold.stdout)["invoice_id"])
    shown = json.loads(
        runner.invoke(billing_app, ["invoice", invoice_id, "--as", desk, "--json"]).stdout
    )
    paid = runner.invoke(
        billing_app,
        ["pay", invoice_id, "--as", desk, "--amount", shown["total"], "--method", "cash"],
    )
    assert paid.exit_code == 0 and "due 0.00" in paid.stdout, paid.output
    receipt = tmp_path / "receipt.pdf"
    printed = runner.invoke(billing_app, ["invoice", invoice_id, "--as", desk, "--pdf",
                                          str(receipt)])  # fmt: skip
    assert printed.exit_code == 0 and receipt.read_bytes().startswith(b"%PDF")
    refused = runner.invoke(billing_app, ["refund", invoice_id, "--as", desk, "--reason", "x"])
    assert refused.exit_code == 2 and "owners" in refused.stderr
    refunded = runner.invoke(
        billing_app, ["refund", invoice_id, "--as", owner, "--reason", "moving", "--json"]
    )
    assert refunded.exit_code == 0 and json.loads(refunded.stdout)["kind"] == "credit_note"
    listed = runner.invoke(billing_app, ["show", str(patient_id), "--as", desk])
    assert listed.exit_code == 0 and "refunded" in listed.stdout
    held = runner.invoke(billing_app, ["unredeemed", "--as", desk, "--on", "2026-12-01"])
    assert held.exit_code == 0 and "Unredeemed on 2026-12-01" in held.stdout, held.output


def test_malformed_input_ends_in_one_line_and_exit_2(
    world: World, records_env: Callable[[str], None], tmp_path: Path
) -> None:
    records_env(world.database.url.render_as_string(hide_password=False))
    clinics.set_price_list(world.uow, world.owner, PRICES, clock=world.clock)
    owner, desk = email_of(world, world.owner), email_of(world, world.front_desk)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**BILLING, "currency": "EURO"}))
    for args in (
        ["settings", "--as", owner, "--set", str(bad)],
        ["settings", "--as", owner, "--set", str(tmp_path / "missing.json")],
        ["sell", str(world.patient()), "face-3", "--as", desk],  # billing not set up yet
        ["pay", "1", "--as", desk, "--amount", "NaN", "--method", "cash"],
        ["gift-card", "--as", desk, "--amount", "-5"],
        ["invoice", "1", "--as", desk, "--pdf", str(tmp_path / "no" / "x.pdf")],
        ["show", "1", "--as", "nobody@nowhere.example"],
        ["unredeemed", "--as", desk, "--on", "yesterday"],
        ["transfer", "1", "--as", desk, "--to", "2", "--reason", "x"],
    ):
        result = runner.invoke(billing_app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
