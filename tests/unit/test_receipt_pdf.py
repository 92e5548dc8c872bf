"""The receipt PDF prints the clinic, its tax identifier, the number, each line with its tax,
the totals in the invoice's currency, and the payments."""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium

from microneedling.documents.receipt import receipt_title, render_receipt

INVOICE: dict[str, Any] = {
    "id": 7,
    "kind": "invoice",
    "number": 42,
    "display_number": "MN-000042",
    "patient": "Nguyễn 王芳",
    "issued_on": "2026-12-01",
    "currency": "EUR",
    "net": "991.74",
    "tax": "208.26",
    "total": "1200.00",
    "reason": None,
    "seller": {
        "name": "Clínica Łódź",
        "address": "ul. Piękna 1",
        "tax_id": "PL1234567890",
        "prices_include_tax": True,
    },
    "lines": [
        {
            "position": 1,
            "description": "Acne scars: 3 sessions (cheeks)",
            "quantity": 1,
            "tax_percent": "21",
            "net": "991.74",
            "tax": "208.26",
            "total": "1200.00",
        },
    ],
    "payments": [
        {
            "id": 1,
            "method": "card",
            "amount": "1200.00",
            "reference": "T-99",
            "received_at": "2026-12-01T10:00:00+00:00",
        },
    ],
    "amounts": {"total": "1200.00", "paid": "1200.00", "due": "0.00"},
}


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_a_paid_invoice_prints_as_a_numbered_receipt_with_the_clinics_tax_details() -> None:
    data = render_receipt(INVOICE)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in ("Clínica Łódź", "ul. Piękna 1", "PL1234567890", "Invoice MN-000042",
                     "Nguyễn 王芳", "EUR 1,200.00", "EUR 208.26", "Paid in full", "T-99",
                     "Prices include tax"):  # fmt: skip
        assert expected in text, expected


def test_a_credit_note_says_so_with_its_reason() -> None:
    credit = {
        **INVOICE,
        "kind": "credit_note",
        "display_number": "MN-000043",
        "total": "-400.00",
        "reason": "moving away",
        "amounts": None,
        "payments": [],
    }
    assert receipt_title(credit) == "Credit note MN-000043"
    text = pdf_text(render_receipt(credit))
    assert "Credit note MN-000043" in text and "moving away" in text and "EUR -400.00" in text
