"""`microneedling billing …`: packages, invoices, payments, refunds, gift cards and the clinic's
billing settings from the command line, as a staff member (``--as EMAIL``): the role is checked
and every change audited in their name, as in the pages and the API. Every command has
``--json``; amounts are typed as decimals (``120.50``) in the clinic's currency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from microneedling.cli.common import fail, print_json, user_errors
from microneedling.cli.db import records_database
from microneedling.cli.inputs import read_document
from microneedling.cli.records import ActingAs, AsJson
from microneedling.services import clinics
from microneedling.services.access import Actor
from microneedling.services.billing import balances, ledger, packages, settings
from microneedling.services.maintenance import unit_of_work
from microneedling.store import UnitOfWork

billing_app = typer.Typer(help="Packages, invoices, payments, gift cards.", no_args_is_help=True)

T = TypeVar("T")
Id = Annotated[int, typer.Argument(min=1, max=2_147_483_647)]
Method = Annotated[str, typer.Option("--method", help="cash, card, bank_transfer or gift_card.")]


def _run(acting_as: str, work: Callable[[UnitOfWork, Actor], T]) -> T:
    with records_database(migrated=True) as database, user_errors():
        uow = unit_of_work(database)
        return work(uow, clinics.local_operator(uow, acting_as))


def _invoice_said(view: dict[str, Any]) -> str:
    kind = "Credit note" if view["kind"] == "credit_note" else "Invoice"
    said = (
        f"{kind} {view['display_number']} ({view['issued_on']}): {view['currency']} {view['total']}"
    )
    if view.get("amounts"):
        said += f", paid {view['amounts']['paid']}, due {view['amounts']['due']}"
    return said


@billing_app.command("settings")
def settings_command(
    acting_as: ActingAs,
    file: Annotated[
        Path | None,
        typer.Option("--set", help="A JSON file of billing settings to set (owners)."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Show the clinic's billing settings, or set them from a JSON file."""
    if file is not None:
        with user_errors():
            data = read_document(file)
        found: dict[str, Any] | None = _run(
            acting_as, lambda uow, actor: settings.configure_billing(uow, actor, data)
        )
    else:
        found = _run(acting_as, lambda uow, actor: settings.read_billing(uow, actor))
    if as_json:
        print_json(found)
    elif found is None:
        typer.echo("Billing is not set up: an owner sets it with --set FILE.")
    else:
        rates = ", ".join(f"{k} {v}%" for k, v in found["tax_rates"].items())
        typer.echo(f"Currency {found['currency']}; tax rates {rates}; "
                   f"treatments at {found['treatment_tax']}.")  # fmt: skip


@billing_app.command("sell-plan")
def sell_plan_command(
    plan_id: Id,
    acting_as: ActingAs,
    series: Annotated[
        list[int] | None, typer.Option("--series", help="A series by number from 0 (repeat).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Sell a plan's quote: a package per series, on one numbered invoice."""
    sold = _run(acting_as, lambda uow, actor: packages.sell_plan(uow, actor, plan_id,
                                                                 series=series))  # fmt: skip
    _print_sale(sold, as_json)


@billing_app.command("sell")
def sell_command(
    patient_id: Id,
    code: Annotated[str, typer.Argument(metavar="CODE", help="The catalogue item's code.")],
    acting_as: ActingAs,
    as_json: AsJson = False,
) -> None:
    """Sell a package of the clinic's catalogue to a patient."""
    sold = _run(acting_as, lambda uow, actor: packages.sell_catalogue(uow, actor, patient_id,
                                                                      code))  # fmt: skip
    _print_sale(sold, as_json)


def _print_sale(sold: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(sold)
    else:
        typer.echo(f"Sold: invoice {sold['invoice_id']}, package(s) "
                   f"{', '.join(map(str, sold['package_ids']))}.")  # fmt: skip


@billing_app.command("pay")
def pay_command(
    invoice_id: Id,
    acting_as: ActingAs,
    amount: Annotated[str, typer.Option("--amount", help="Such as 120.50.")],
    method: Method,
    reference: Annotated[str | None, typer.Option("--reference")] = None,
    gift_card: Annotated[str | None, typer.Option("--gift-card", help="Its code.")] = None,
    as_json: AsJson = False,
) -> None:
    """Record a payment against an invoice (at most what is still due)."""

    def work(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        ledger.record_payment(uow, actor, invoice_id, amount=amount, method=method,
                              reference=reference, gift_card_code=gift_card)  # fmt: skip
        return ledger.read_invoice(uow, actor, invoice_id)

    view = _run(acting_as, work)
    print_json(view) if as_json else typer.echo(_invoice_said(view))


@billing_app.command("refund")
def refund_command(
    invoice_id: Id,
    acting_as: ActingAs,
    reason: Annotated[str, typer.Option("--reason", help="Why (printed on the credit note).")],
    amount: Annotated[str | None, typer.Option("--amount", help="Default: unredeemed.")] = None,
    method: Method = "cash",
    reference: Annotated[str | None, typer.Option("--reference")] = None,
    as_json: AsJson = False,
) -> None:
    """Refund money paid on an invoice (owners): a numbered credit note."""

    def work(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        credit = ledger.refund(uow, actor, invoice_id, reason=reason, amount=amount,
                               method=method, reference=reference)  # fmt: skip
        return ledger.read_invoice(uow, actor, credit)

    view = _run(acting_as, work)
    print_json(view) if as_json else typer.echo(_invoice_said(view))


@billing_app.command("redeem")
def redeem_command(
    appointment_id: Id,
    acting_as: ActingAs,
    package: Annotated[int | None, typer.Option("--package", min=1)] = None,
    as_json: AsJson = False,
) -> None:
    """Redeem one session of the patient's package for a charted appointment."""
    found = _run(acting_as, lambda uow, actor: packages.redeem_for_appointment(
        uow, actor, appointment_id, package_id=package))  # fmt: skip
    if as_json:
        print_json({"redemption_id": found})
    else:
        typer.echo("No package to redeem from." if found is None else f"Redeemed ({found}).")


@billing_app.command("show")
def show_command(patient_id: Id, acting_as: ActingAs, as_json: AsJson = False) -> None:
    """A patient's packages (sessions left, expiry) and invoices (paid, due)."""
    view = _run(acting_as, lambda uow, actor: packages.patient_billing(uow, actor, patient_id))
    if as_json:
        print_json(view)
        return
    typer.echo(view["patient"])
    for p in view["packages"]:
        expiry = f", until {p['expires_on']}" if p["expires_on"] else ""
        typer.echo(f"  package {p['id']} {p['label']}: {p['left']} of {p['sessions']} left "
                   f"({p['status']}{expiry})")  # fmt: skip
    for i in view["invoices"]:
        typer.echo(f"  {_invoice_said(i)}")


@billing_app.command("invoice")
def invoice_command(
    invoice_id: Id,
    acting_as: ActingAs,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write it as a PDF here.")] = None,
    as_json: AsJson = False,
) -> None:
    """An invoice or credit note; with --pdf, printed as PDF (the receipt once paid)."""
    if pdf is not None and (pdf.suffix.lower() != ".pdf" or not pdf.parent.is_dir()):
        fail(f"--pdf: give a file ending in .pdf in an existing folder, not {str(pdf)!r}")
    view = _run(acting_as, lambda uow, actor: ledger.read_invoice(uow, actor, invoice_id))
    if pdf is not None:
        from microneedling.documents.receipt import render_receipt

        pdf.write_bytes(render_receipt(view))
    if as_json:
        print_json(view)
    else:
        typer.echo(_invoice_said(view) + (f"; written to {pdf}" if pdf else ""))


@billing_app.command("gift-card")
def gift_card_command(
    acting_as: ActingAs,
    amount: Annotated[str, typer.Option("--amount", help="Its value, such as 50.")],
    as_json: AsJson = False,
) -> None:
    """Issue a gift card (sold on an invoice of its own); prints its code."""
    card = _run(acting_as, lambda uow, actor: ledger.issue_gift_card(uow, actor, amount=amount))
    if as_json:
        print_json(card)
    else:
        typer.echo(f"Gift card {card['code']} on invoice {card['invoice_id']}.")


@billing_app.command("unredeemed")
def unredeemed_command(
    acting_as: ActingAs,
    on: Annotated[
        str | None, typer.Option("--on", help="The day (YYYY-MM-DD; default today).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Prepaid sessions not yet redeemed, and their value (expired packages apart)."""
    day = _day(on, "--on")
    report = _run(acting_as, lambda uow, actor: balances.unredeemed_value(uow, actor, on=day))
    if as_json:
        print_json(report)
        return
    for p in report["packages"]:
        typer.echo(f"  package {p['package_id']} {p['patient']}: "
                   f"{p['sessions_left']} left, {p['currency']} {p['value']}")  # fmt: skip
    totals = ", ".join(f"{c} {v}" for c, v in report["totals"].items()) or "nothing"
    typer.echo(f"Unredeemed on {report['on']}: {totals}.")


@billing_app.command("transfer")
def transfer_command(
    package_id: Id,
    acting_as: ActingAs,
    to_patient: Annotated[int, typer.Option("--to", min=1, max=2_147_483_647, help="Patient id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why.")],
    as_json: AsJson = False,
) -> None:
    """Move the sessions left of a package to another patient (owners)."""
    _run(acting_as, lambda uow, actor: balances.transfer_package(
        uow, actor, package_id, to_patient, reason=reason))  # fmt: skip
    if as_json:
        print_json({"package_id": package_id, "patient_id": to_patient})
    else:
        typer.echo(f"Package {package_id} is now patient {to_patient}'s.")


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: give a day as YYYY-MM-DD, not {value[:20]!r}")
