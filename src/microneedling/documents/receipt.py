"""An invoice, credit note or receipt as an A4 PDF: the clinic's name, address and tax
identifier, the number, the lines with their tax, the totals, and the payments received.

It prints the view that ``services.billing.ledger.read_invoice`` gives (amounts as exact decimal
strings in the invoice's currency), with the handout's embedded Unicode fonts (no network, no
system fonts). Names print without direction controls, as on the handout.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from microneedling.documents.handout import FONT, _pdf
from microneedling.services.billing.money import format_money
from microneedling.text_direction import without_controls

METHOD_WORDS = {
    "cash": "Cash",
    "card": "Card",
    "bank_transfer": "Bank transfer",
    "gift_card": "Gift card",
}


def receipt_title(invoice: dict[str, Any]) -> str:
    kind = "Credit note" if invoice["kind"] == "credit_note" else "Invoice"
    return f"{kind} {invoice['display_number']}"


def render_receipt(invoice: dict[str, Any]) -> bytes:
    """The invoice (with its payments: a receipt once paid) as PDF bytes."""
    currency = invoice["currency"]

    def money(value: str) -> str:
        return format_money(Decimal(value), currency)

    pdf = _pdf()
    pdf.set_auto_page_break(auto=True, margin=15)
    title = receipt_title(invoice)
    pdf.set_title(title)
    pdf.add_page()
    width = pdf.epw
    seller = invoice.get("seller") or {}
    pdf.set_font(FONT, "B", 15)
    pdf.cell(width, 8, without_controls(str(seller.get("name") or "")), new_x="LMARGIN",
             new_y="NEXT")  # fmt: skip
    pdf.set_font(FONT, "", 10)
    details = [str(seller[k]) for k in ("address",) if seller.get(k)]
    if seller.get("tax_id"):
        details.append(f"Tax identifier: {seller['tax_id']}")
    if details:
        pdf.multi_cell(width, 5, without_controls("\n".join(details)), new_x="LMARGIN",
                       new_y="NEXT")  # fmt: skip
    pdf.ln(4)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(width, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    facts = [f"Date: {invoice['issued_on']}"]
    if invoice.get("patient"):
        facts.append(f"Billed to: {without_controls(str(invoice['patient']))}")
    if invoice.get("credits_display_number"):
        facts.append(f"Credits invoice {invoice['credits_display_number']}")
    if invoice.get("reason"):
        facts.append(f"Reason: {without_controls(str(invoice['reason']))}")
    pdf.multi_cell(width, 5, "\n".join(facts), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    with pdf.table(col_widths=(5, 1, 1.2, 2, 2, 2), text_align="LEFT", line_height=5) as grid:
        header = grid.row()
        for name in ("Description", "Qty", "Tax %", "Net", "Tax", "Total"):
            header.cell(name)
        for line in invoice["lines"]:
            row = grid.row()
            row.cell(without_controls(str(line["description"])))
            row.cell(str(line["quantity"]))
            row.cell(str(line["tax_percent"]))
            row.cell(money(line["net"]))
            row.cell(money(line["tax"]))
            row.cell(money(line["total"]))
    pdf.ln(3)
    pdf.set_font(FONT, "B", 11)
    totals = [
        f"Net: {money(invoice['net'])}",
        f"Tax: {money(invoice['tax'])}",
        f"Total: {money(invoice['total'])}",
    ]
    if seller.get("prices_include_tax"):
        totals.append("Prices include tax.")
    pdf.multi_cell(width, 6, "\n".join(totals), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    if invoice.get("payments"):
        pdf.ln(3)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(width, 7, "Payments", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 10)
        lines = []
        for payment in invoice["payments"]:
            said = f"{payment['received_at'][:10]}  {METHOD_WORDS.get(payment['method'], '')}"
            if payment.get("reference"):
                said += f" ({without_controls(str(payment['reference']))})"
            lines.append(f"{said}: {money(payment['amount'])}")
        pdf.multi_cell(width, 5, "\n".join(lines), new_x="LMARGIN", new_y="NEXT")
    amounts = invoice.get("amounts")
    if amounts:
        pdf.ln(2)
        pdf.set_font(FONT, "B", 11)
        status = "Paid in full" if Decimal(amounts["due"]) == 0 else "Still due"
        shown = money(amounts["paid"]) if status == "Paid in full" else money(amounts["due"])
        pdf.cell(width, 7, f"{status}: {shown}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
