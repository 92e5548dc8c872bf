"""Session charting: copied forward from the patient's last session, the cartridge lot typed or
scanned (and checked as it is entered: expired or recalled lots are refused), depth per zone,
products, endpoint, notes; signed and locked; amendments with their history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import NotFound, UserError
from microneedling.services import appointments, charts, inventory, overview, patients, plans
from microneedling.services.access import check_role
from microneedling.services.views import CHART_FIELDS
from microneedling.store.models import PRODUCT_PURPOSES
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.labels import kb, words, zone_label
from microneedling.web.routes.patients import full_name

router = APIRouter()

#: Blank rows offered below the filled ones.
SPARE_ZONES = 2
SPARE_PRODUCTS = 2
ENDPOINTS = ("uniform erythema", "pinpoint bleeding", "erythema with pinpoint bleeding")
ANAESTHETICS = ("Lidocaine 4% cream, 30 minutes", "None")

LABELS = {
    "device_id": "Device",
    "cartridge_lot": "Cartridge lot number",
    "needle_count": "Needles per cartridge",
    "anaesthetic": "Anaesthetic",
    "clinical_endpoint": "Clinical endpoint",
    "glide_medium": "Glide medium",
    "numbed_area_cm2": "Area numbed in cm²",
    "duration_minutes": "Procedure length in minutes",
    "practitioner_id": "Performed by",
    "notes": "Notes",
    "zones": "Zones treated",
    "products": "Products applied",
    "reason": "Why the chart is amended",
    "consent": "Consent",
    "screening": "Screening",
}


def labels(zone_rows: int, product_rows: int) -> dict[str, str]:
    found = dict(LABELS)
    for row in range(zone_rows):
        found[f"zone.{row}.zone"] = f"Zone {row + 1}"
        found[f"zone.{row}.depth_mm"] = f"Zone {row + 1}: depth in mm"
        found[f"zone.{row}.passes"] = f"Zone {row + 1}: passes"
        found[f"zone.{row}.endpoint"] = f"Zone {row + 1}: endpoint reached"
        found[f"zone.{row}.reason"] = f"Zone {row + 1}: reason (outside the plan)"
    for row in range(product_rows):
        found[f"product.{row}.product"] = f"Product {row + 1}"
        found[f"product.{row}.lot_number"] = f"Product {row + 1}: lot"
        found[f"product.{row}.purpose"] = f"Product {row + 1}: purpose"
    return found


def rows_in(form: Form, prefix: str) -> int:
    count = 0
    for name in form.data:
        if name.startswith(prefix + "."):
            part = name.split(".")[1]
            if part.isdigit():
                count = max(count, int(part) + 1)
    return min(count, 40)


def form_from_entry(entry: dict[str, Any], *, spare: bool = True) -> Form:
    """A chart form filled from a chart entry (copy forward, or the chart being amended)."""
    values: dict[str, Any] = {
        key: entry.get(key)
        for key in (
            "device_id",
            "cartridge_lot",
            "needle_count",
            "anaesthetic",
            "clinical_endpoint",
            "glide_medium",
            "duration_minutes",
            "practitioner_id",
            "notes",
        )
    }
    area = entry.get("numbed_area_cm2")
    values["numbed_area_cm2"] = f"{area:g}" if isinstance(area, int | float) else None
    zones = entry.get("zones", [])
    products = entry.get("products", [])
    for row, zone in enumerate(zones):
        values[f"zone.{row}.zone"] = zone["zone"]
        values[f"zone.{row}.depth_mm"] = f"{zone['depth_mm']:g}"
        values[f"zone.{row}.passes"] = zone.get("passes", 1)
        values[f"zone.{row}.endpoint"] = zone.get("endpoint")
        values[f"zone.{row}.reason"] = zone.get("reason")
    for row, product in enumerate(products):
        values[f"product.{row}.product"] = product["product"]
        values[f"product.{row}.lot_number"] = product.get("lot_number")
        values[f"product.{row}.purpose"] = product["purpose"]
    form = Form.blank(labels(len(zones) + SPARE_ZONES, len(products) + SPARE_PRODUCTS), **values)
    form.set("_zone_rows", len(zones) + (SPARE_ZONES if spare else 0))
    form.set("_product_rows", len(products) + (SPARE_PRODUCTS if spare else 0))
    return form


def entry_from(form: Form) -> tuple[dict[str, Any], dict[str, str]]:
    """The chart entry typed into the form, and where each of its fields came from."""
    where: dict[str, str] = {name: name for name in CHART_FIELDS}
    zone_rows, product_rows = rows_in(form, "zone"), rows_in(form, "product")
    form.labels = labels(zone_rows, product_rows)
    entry: dict[str, Any] = {
        "device_id": form.integer("device_id", required=True, low=1, high=2**31 - 1),
        "cartridge_lot": form.text("cartridge_lot", required=True, max_length=64),
        "needle_count": form.integer("needle_count", required=True, low=1, high=1000),
        "anaesthetic": form.text("anaesthetic", max_length=200),
        "clinical_endpoint": form.text("clinical_endpoint", required=True, max_length=200),
        "glide_medium": form.text("glide_medium", max_length=200),
        "numbed_area_cm2": form.decimal("numbed_area_cm2", low=1, high=10_000),
        "duration_minutes": form.integer("duration_minutes", required=True, low=1, high=480),
        "practitioner_id": form.integer("practitioner_id", low=1, high=2**31 - 1),
        "notes": form.text("notes", max_length=10_000, multiline=True),
    }
    zones: list[dict[str, Any]] = []
    known = kb().zones
    for row in range(zone_rows):
        zone = form.get(f"zone.{row}.zone")
        if not zone:
            continue
        if zone not in known:
            form.add(f"zone.{row}.zone", "choose a zone from the list")
            continue
        depth = form.decimal(f"zone.{row}.depth_mm", required=True, low=0.05, high=3.0)
        passes = form.integer(f"zone.{row}.passes", required=True, low=1, high=20)
        endpoint = form.choice(f"zone.{row}.endpoint", dict.fromkeys(charts.ENDPOINTS))
        reason = form.text(f"zone.{row}.reason", max_length=2000)
        index = len(zones)
        for part in ("zone", "depth_mm", "passes", "endpoint", "reason"):
            where[f"zones[{index}].{part}"] = f"zone.{row}.{part}"
        zones.append(
            {
                "zone": zone,
                "depth_mm": depth,
                "passes": passes,
                "endpoint": endpoint,
                "reason": reason,
            }
        )
    if not zones:
        form.add("zone.0.zone", "chart at least one zone with its depth")
    entry["zones"] = zones
    products: list[dict[str, Any]] = []
    for row in range(product_rows):
        name = form.text(f"product.{row}.product", max_length=200)
        if not name:
            continue
        purpose = form.choice(
            f"product.{row}.purpose", dict.fromkeys(PRODUCT_PURPOSES), required=True
        )
        index = len(products)
        where[f"products[{index}].product"] = f"product.{row}.product"
        where[f"products[{index}].lot_number"] = f"product.{row}.lot_number"
        where[f"products[{index}].purpose"] = f"product.{row}.purpose"
        products.append(
            {
                "product": name,
                "lot_number": form.text(f"product.{row}.lot_number", max_length=64),
                "purpose": purpose,
            }
        )
    entry["products"] = products
    return entry, where


def _mapper(where: dict[str, str]) -> Any:
    def field_of(path: str) -> str | None:
        if path.startswith("changes."):
            path = path.removeprefix("changes.")
        if path in where:
            return where[path]
        return where.get(path.split("[")[0])

    return field_of


def _choices(page: Page) -> dict[str, Any]:
    devices = [d for d in page.run(inventory.list_devices) if d["in_service"]]
    lots = page.run(inventory.list_lots, recalled=False)
    staff = page.run(overview.staff_directory)
    return {
        "devices": [
            (str(d["id"]), f"{d['manufacturer']} {d['model']} ({d['kind']}, {d['serial_number']})")
            for d in devices
        ],
        "lots": lots,
        "practitioners": [
            (str(m["id"]), m["display_name"])
            for m in staff
            if m["active"] and m["role"] in ("clinician", "owner")
        ],
        "zone_options": [(code, zone_label(code)) for code in kb().zones],
        "purposes": [(p, words(p)) for p in PRODUCT_PURPOSES],
        "endpoints": ENDPOINTS,
        "zone_endpoints": [(code, words(code)) for code in charts.ENDPOINTS],
        "anaesthetics": ANAESTHETICS,
    }


def _appointment(page: Page, appointment_id: int) -> dict[str, Any]:
    appointment = page.run(appointments.read_appointment, appointment_id)
    patient = page.run(patients.read_patient, appointment["patient_id"])
    return {"appointment": appointment, "patient": patient, "name": full_name(patient)}


def _last_chart(page: Page, patient_id: int, before: int) -> dict[str, Any] | None:
    """The current version of the patient's most recent chart (copy forward)."""
    found = page.run(charts.list_sessions, patient_id=patient_id, limit=5)["items"]
    for item in found:
        if item["appointment_id"] != before:
            current: dict[str, Any] = page.run(charts.read_chart, item["appointment_id"])["current"]
            return current
    return None


def _from_plan(page: Page, plan_id: int | None) -> dict[str, Any] | None:
    if plan_id is None:
        return None
    try:
        stored = page.run(plans.read_plan, plan_id)
    except NotFound:
        return None
    zones = [
        {
            "zone": entry["zone"],
            "depth_mm": entry["depth_mm"]["start"],
            "passes": _planned_passes(entry),
            "endpoint": _planned_endpoint(entry),
        }
        for series in stored["plan"]["series"]
        for entry in series["zones"]
    ]
    return {"zones": zones, "products": [], "duration_minutes": 30}


def _planned_passes(entry: dict[str, Any]) -> int:
    """The fewest passes the plan gives for the zone (A.3 "Technique"), else 2."""
    technique = entry.get("technique")
    passes = technique.get("passes") if isinstance(technique, dict) else None
    if isinstance(passes, dict) and isinstance(passes.get("min"), int):
        return int(passes["min"])
    return 2


def _planned_endpoint(entry: dict[str, Any]) -> str | None:
    technique = entry.get("technique")
    endpoint = technique.get("endpoint") if isinstance(technique, dict) else None
    return endpoint if endpoint in charts.ENDPOINTS else None


def _chart_page(
    page: Page,
    context: dict[str, Any],
    form: Form,
    *,
    status: int = 200,
    copied_from: str | None = None,
) -> Response:
    return page.render(
        "chart_new.html.j2",
        status,
        title=f"Chart the session: {context['name']}",
        section="patients",
        form=form,
        copied_from=copied_from,
        zone_rows=int(form.get("_zone_rows") or rows_in(form, "zone") or 1),
        product_rows=int(form.get("_product_rows") or rows_in(form, "product") or 1),
        **context,
        **_choices(page),
    )


@router.get("/appointments/{appointment_id}/chart")
def chart_page(appointment_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    check_role(page.actor, "chart.create")
    context = _appointment(page, appointment_id)
    appointment = context["appointment"]
    if appointment["status"] == "completed":
        return page.redirect(f"/appointments/{appointment_id}")
    last = _last_chart(page, appointment["patient_id"], appointment_id)
    copied_from = None
    if last is not None:
        entry = {**last, "cartridge_lot": "", "notes": None, "practitioner_id": None}
        copied_from = f"the session of {last['performed_on']}"
    else:
        entry = _from_plan(page, appointment["plan_id"]) or {"zones": [], "products": []}
        copied_from = f"plan {appointment['plan_id']}" if appointment["plan_id"] else None
    form = form_from_entry(entry)
    if not form.get("practitioner_id"):
        form.set("practitioner_id", appointment["practitioner_id"] or page.actor.staff_user_id)
    if not form.get("duration_minutes"):
        form.set("duration_minutes", 30)
    return _chart_page(page, context, form, copied_from=copied_from)


@router.post("/appointments/{appointment_id}/chart")
def chart(
    appointment_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    entry, where = entry_from(form)
    form.check(charts.ChartEntry, entry, _mapper(where))  # the use case's checks, in this pass
    if form.ok:
        try:
            page.run(
                charts.chart_session,
                appointment_id,
                {key: value for key, value in entry.items() if value is not None},
            )
        except UserError as error:
            form.add_user_error(error, _mapper(where))
        else:
            page.flash("Chart signed and locked. Corrections are made as amendments.")
            return page.redirect(f"/appointments/{appointment_id}")
    context = _appointment(page, appointment_id)
    form.set("_zone_rows", None)
    form.set("_product_rows", None)
    return _chart_page(page, context, form, status=422)


@router.post("/lots/check")
def check_lot(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    """Is this lot usable today? (HTMX, as the lot is typed or scanned)."""
    number = form.get("cartridge_lot").strip()[:64]
    found = None
    if number:
        lots = page.run(inventory.list_lots)
        found = next((lot for lot in lots if lot["lot_number"] == number), None)
    today = page.today.isoformat()
    return page.render("partials/lot_status.html.j2", number=number, lot=found, today=today)


@router.get("/appointments/{appointment_id}")
def appointment_page(appointment_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    context = _appointment(page, appointment_id)
    history = None
    if context["appointment"]["status"] == "completed" and page.can("chart.read"):
        try:
            history = page.run(charts.read_chart, appointment_id)
        except NotFound:
            history = None
    staff = {member["id"]: member["display_name"] for member in page.run(overview.staff_directory)}
    return page.render(
        "appointment.html.j2",
        title=f"Session of {context['name']}",
        section="patients",
        history=history,
        staff=staff,
        fields=[name for name in CHART_FIELDS],
        **context,
    )


# Amendments ----------------------------------------------------------------------------------


def _amend_page(
    page: Page, appointment_id: int, form: Form, version: int, status: int = 200
) -> Response:
    context = _appointment(page, appointment_id)
    return page.render(
        "chart_amend.html.j2",
        status,
        title=f"Amend the chart: {context['name']}",
        section="patients",
        form=form,
        version=version,
        zone_rows=int(form.get("_zone_rows") or rows_in(form, "zone") or 1),
        product_rows=int(form.get("_product_rows") or rows_in(form, "product") or 1),
        **context,
        **_choices(page),
    )


@router.get("/appointments/{appointment_id}/amend")
def amend_page(appointment_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    check_role(page.actor, "chart.amend")
    history = page.run(charts.read_chart, appointment_id)
    current = history["current"]
    form = form_from_entry(current, spare=True)
    form.labels = {**form.labels, "reason": LABELS["reason"]}
    return _amend_page(page, appointment_id, form, current["version"])


@router.post("/appointments/{appointment_id}/amend")
def amend(
    appointment_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    version = form.integer("expected_version", required=True, low=1, high=10_000) or 1
    entry, where = entry_from(form)
    form.labels = {**form.labels, "reason": LABELS["reason"]}
    reason = form.text("reason", required=True, max_length=2000, multiline=True)
    if form.ok and reason is not None:
        current = page.run(charts.read_chart, appointment_id)["current"]
        changes = {
            name: entry[name]
            for name in CHART_FIELDS
            if name in entry and _comparable(entry[name]) != _comparable(current.get(name))
        }
        if not changes:
            form.add(None, "Nothing was changed: correct at least one field, or cancel.")
        else:
            try:
                page.run(
                    charts.amend_chart,
                    appointment_id,
                    changes=changes,
                    reason=reason,
                    expected_version=version,
                )
            except UserError as error:
                form.add_user_error(error, _mapper(where))
            else:
                page.flash("Amendment signed; the original stays in the history.")
                return page.redirect(f"/appointments/{appointment_id}")
    form.set("_zone_rows", None)
    form.set("_product_rows", None)
    return _amend_page(page, appointment_id, form, version, 422)


def _comparable(value: Any) -> Any:
    """Values as an amendment compares them (numbers as floats, lists item by item)."""
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value
