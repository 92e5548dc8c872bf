"""The reports page: owners see each report with its figures, tables and a chart that reads
without colour, and download its CSV; a malformed period is said beside the field; other roles
get no link and are refused."""

from __future__ import annotations

import pytest
from tests.web.test_web_billing import BILLING, sold_invoice
from tests.web.web_helpers import Clinic

from microneedling.services.billing import settings

PERIOD = "first=2026-01-01&last=2026-12-31"


@pytest.fixture
def billed(clinic: Clinic) -> Clinic:
    settings.configure_billing(clinic.uow(), clinic.owner, BILLING, clock=clinic.clock)
    return clinic


def test_an_owner_reads_each_report_with_a_chart_and_its_csv(billed: Clinic) -> None:
    sold_invoice(billed)
    owner = billed.signed_in("owner")
    home = owner.get("/").text
    assert 'href="/reports"' in home
    revenue = owner.get(f"/reports?report=revenue&{PERIOD}")
    assert revenue.status_code == 200
    assert "Invoiced and received by month" in revenue.text
    assert 'role="img"' in revenue.text and "url(#hatch-1)" in revenue.text  # not colour alone
    assert 'id="table-by_treatment"' in revenue.text
    for name in ("utilisation", "retention", "outcomes", "safety"):
        page = owner.get(f"/reports?report={name}&{PERIOD}")
        assert page.status_code == 200, page.text[-500:]
        assert 'id="report-heading"' in page.text
    sheet = owner.get(f"/reports/revenue.csv?{PERIOD}")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert "totals invoiced" in sheet.text


def test_a_malformed_period_is_said_beside_the_field(billed: Clinic) -> None:
    owner = billed.signed_in("owner")
    page = owner.get("/reports?report=revenue&first=2026-12-31&last=2026-01-01")
    assert page.status_code == 400
    assert 'id="period-error"' in page.text and "the last day is before the first" in page.text
    hostile = owner.get("/reports?report=revenue&first=<script>alert(1)</script>&last=x")
    assert hostile.status_code == 400 and "<script>alert" not in hostile.text


@pytest.mark.parametrize("role", ["front_desk", "clinician"])
def test_other_roles_have_no_link_and_are_refused(billed: Clinic, role: str) -> None:
    staff = billed.signed_in(role)
    assert 'href="/reports"' not in staff.get("/").text
    assert staff.get(f"/reports?{PERIOD}").status_code == 403
    assert staff.get(f"/reports/revenue.csv?{PERIOD}").status_code == 403
