"""Admin (owners): staff and roles, the price list, policy overrides (each change audited by its
use case), and the audit log. Inventory (clinicians and owners): devices, lots, recalls."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from microneedling.errors import NotFound, PermissionDenied, RuleViolation, UserError
from microneedling.knowledge.overrides import (
    MAX_APPROVED_PRODUCTS,
    MAX_DEVICE_PROFILES,
    PASSES_MAX,
    PASSES_MIN,
    ZONE_AREA_MAX,
    ZONE_AREA_MIN,
    pass_groups,
)
from microneedling.knowledge.schema_planning import PlanningFile
from microneedling.services import audit, clinics, inventory, staff_invitations
from microneedling.services.access import check_role
from microneedling.services.audit_wording import action_choices
from microneedling.text_direction import isolated_where_needed
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.labels import ROLES, kb, zone_label
from microneedling.web.routes import staff_join

router = APIRouter()

SIZES = ("small", "medium", "large")


@router.get("/admin")
def admin_home(page: Page = Depends(staff_page)) -> Response:
    check_role(page.actor, "staff.read")
    return RedirectResponse("/admin/staff", status_code=303)


# Staff ----------------------------------------------------------------------------------------

STAFF_LABELS = {
    "email": "E-mail address",
    "display_name": "Name",
    "role": "Role",
}

# Accepting an invitation (anyone with the link): its own module, routed beside the staff pages.
router.include_router(staff_join.router)


def _staff_page(page: Page, form: Form, status: int = 200) -> Response:
    listed = page.run(staff_invitations.staff_and_invitations)
    return page.render(
        "admin_staff.html.j2",
        status,
        title="Staff and roles",
        section="admin",
        tab="staff",
        staff=listed["staff"],
        invitations=listed["invitations"],
        form=form,
        roles=list(ROLES.items()),
    )


def _refused(page: Page, error: RuleViolation) -> Response:
    """A change the clinic's rules refuse (your own account, the last owner): the staff page
    again, saying why."""
    form = Form.blank(STAFF_LABELS, role="clinician")
    form.add(None, error.message[0].upper() + error.message[1:] + ".")
    return _staff_page(page, form, 409)


@router.get("/admin/staff")
def staff_page_(page: Page = Depends(staff_page)) -> Response:
    return _staff_page(page, Form.blank(STAFF_LABELS, role="clinician"))


@router.post("/admin/staff")
def add_staff(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    """An invitation by e-mail: the owner is told "invitation sent" whether or not the address
    already has an account (here or in another clinic); the message says which to the address
    only."""
    form.labels = STAFF_LABELS
    member = {
        "email": form.text("email", required=True, max_length=254),
        "display_name": form.text("display_name", required=True, max_length=200),
        "role": form.choice("role", ROLES, required=True),
    }
    form.check(staff_invitations.StaffInvitationIn, member)
    if form.ok:
        try:
            sent = page.run(staff_invitations.invite_staff_member, member)
        except UserError as error:
            form.add_user_error(error)
        else:
            page.flash(
                f"Invitation sent to {sent['email']}: the link in it lets them choose their "
                f"password within {staff_invitations.INVITATION_DAYS} days."
            )
            return page.redirect("/admin/staff")
    return _staff_page(page, form, 422)


@router.post("/admin/staff/{staff_id}/role")
def change_role(
    staff_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    role = form.choice("role", ROLES, required=True)
    if role is None:
        page.flash("Choose a role (owner, clinician or front desk); nothing was changed.")
        return page.redirect("/admin/staff")
    try:
        changed = page.run(clinics.change_role, staff_id, role)
    except RuleViolation as error:
        return _refused(page, error)
    page.flash(
        f"{isolated_where_needed(changed['display_name'])} is now {ROLES[role].lower()}; their "
        "sign-ins carry the new role at once."
    )
    return page.redirect("/admin/staff")


@router.post("/admin/staff/{staff_id}/deactivate")
def deactivate(
    staff_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    try:
        closed = page.run(clinics.deactivate_staff_member, staff_id)
    except RuleViolation as error:
        return _refused(page, error)
    page.flash(
        f"{isolated_where_needed(closed['display_name'])}'s account is closed: they are signed "
        "out at once."
    )
    return page.redirect("/admin/staff")


# Price list -----------------------------------------------------------------------------------


def add_on_codes() -> list[tuple[str, str]]:
    planning = kb().section("planning.yaml", PlanningFile)
    return [(code, item.label) for code, item in planning.combinations.items()]


def price_labels() -> dict[str, str]:
    found = {
        "currency": "Currency",
        "discount_min_sessions": "Discount from how many sessions",
        "discount_percent": "Discount in per cent",
    }
    for size in SIZES:
        found[f"per_session.{size}"] = f"A {size} area, per session"
    for code in kb().zones:
        found[f"zone_sizes.{code}"] = zone_label(code)
    for code, label in add_on_codes():
        found[f"add_ons.{code}"] = label
    return found


def _cents(value: Any) -> str:
    """A price as people write it: 220.00."""
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    except ArithmeticError:
        return str(value)


def price_form(prices: dict[str, Any] | None) -> Form:
    values: dict[str, Any] = {"currency": "EUR"}
    if prices:
        values["currency"] = prices.get("currency", "EUR")
        for size, price in prices.get("per_session", {}).items():
            values[f"per_session.{size}"] = _cents(price)
        for zone, size in prices.get("zone_sizes", {}).items():
            values[f"zone_sizes.{zone}"] = size
        for code, price in prices.get("add_ons", {}).items():
            values[f"add_ons.{code}"] = _cents(price)
        discount = prices.get("series_discount")
        if discount:
            values["discount_min_sessions"] = discount["min_sessions"]
            values["discount_percent"] = discount["percent"]
    return Form.blank(price_labels(), **values)


def _prices_page(page: Page, form: Form, status: int = 200) -> Response:
    return page.render(
        "admin_prices.html.j2",
        status,
        title="Price list",
        section="admin",
        tab="prices",
        form=form,
        sizes=SIZES,
        zones=[(code, zone_label(code)) for code in kb().zones],
        add_ons=add_on_codes(),
    )


@router.get("/admin/prices")
def prices_page(page: Page = Depends(staff_page)) -> Response:
    current = page.run(clinics.clinic_settings)
    return _prices_page(page, price_form(current["price_list"]))


def _money(form: Form, name: str, *, required: bool) -> str | None:
    value = form.decimal(name, required=required, low=0, high=1_000_000)
    return None if value is None else str(Decimal(str(value)).quantize(Decimal("0.01")))


@router.post("/admin/prices")
def set_prices(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    form.labels = price_labels()
    currency = (form.text("currency", required=True, max_length=3) or "").upper()
    prices: dict[str, Any] = {
        "currency": currency,
        "per_session": {size: _money(form, f"per_session.{size}", required=True) for size in SIZES},
        "zone_sizes": {
            code: form.choice(f"zone_sizes.{code}", dict.fromkeys(SIZES), required=True)
            for code in kb().zones
        },
        "add_ons": {},
    }
    for code, _ in add_on_codes():
        price = _money(form, f"add_ons.{code}", required=False)
        if price is not None:
            prices["add_ons"][code] = price
    minimum = form.integer("discount_min_sessions", low=1, high=52)
    percent = form.decimal("discount_percent", low=0, high=100)
    if (minimum is None) != (percent is None):
        form.add(
            "discount_percent", "give both the number of sessions and the per cent, or neither"
        )
    elif minimum is not None and percent is not None:
        prices["series_discount"] = {"min_sessions": minimum, "percent": str(percent)}
    if form.ok:
        try:
            page.run(clinics.set_price_list, prices)
        except UserError as error:

            def field_of(path: str) -> str | None:
                name = path.removeprefix("price_list.")
                if name == "series_discount.percent":
                    return "discount_percent"
                return name if name in form.labels else None

            form.add_user_error(error, field_of)
        else:
            page.flash(
                "Price list saved. New plans are quoted with it; existing plans keep theirs."
            )
            return page.redirect("/admin/prices")
    return _prices_page(page, form, 422)


# Policy overrides (REFERENCE.md A.7) -----------------------------------------------------------

#: Blank rows offered for a new device profile and a new approved product.
NEW_DEVICE_ROWS = 2
NEW_PRODUCT_ROWS = 1
DEVICE_FIELDS = ("name", "lowest_mm", "highest_mm", "step_mm")
PRODUCT_FIELDS = ("name", "ingredients", "from_hours", "sterile", "approved_by", "approved_on")
UNIT_WORDS = {
    "cm²": "cm²",
    "years": "years",
    "days": "days",
    "months": "months",
    "hours": "h",
    "sessions": "sessions",
}


def _policy_labels(view: dict[str, Any], devices: int, products: int) -> dict[str, str]:
    labels: dict[str, str] = {}
    for value in view["values"]:
        if value["unit"]:
            labels[value["key"]] = (
                f"{value['label']} ({UNIT_WORDS.get(value['unit'], value['unit'])})"
            )
    for code in kb().zones:
        labels[f"zone_areas_cm2.{code}"] = f"Area of {zone_label(code).lower()} (cm²)"
    for group in pass_groups(kb()):
        for end in ("min", "max"):
            word = "fewest" if end == "min" else "most"
            labels[f"passes.{group}.{end}"] = (
                f"{group.replace('_', ' ').capitalize()}: {word} passes"
            )
    for index in range(devices):
        number = index + 1
        labels |= {
            f"device_profiles.{index}.name": f"Device {number}: name",
            f"device_profiles.{index}.lowest_mm": f"Device {number}: lowest setting (mm)",
            f"device_profiles.{index}.highest_mm": f"Device {number}: highest setting (mm)",
            f"device_profiles.{index}.step_mm": f"Device {number}: step (mm)",
        }
    for index in range(products):
        number = index + 1
        labels |= {
            f"approved_products.{index}.name": f"Product {number}: name",
            f"approved_products.{index}.ingredients": f"Product {number}: ingredient list",
            f"approved_products.{index}.from_hours": f"Product {number}: allowed from (hours)",
            f"approved_products.{index}.sterile": f"Product {number}: sterile",
        }
    labels |= {"contact.address": "Address on handouts", "contact.phone": "Phone on handouts"}
    return labels


def _policy_form(view: dict[str, Any]) -> Form:
    """The form filled with the overrides in force (empty: the shipped default)."""
    given = view["overrides"]
    values: dict[str, Any] = {}
    for key, setting_value in given.items():
        if isinstance(setting_value, int):
            values[key] = setting_value
    for code, area in (given.get("zone_areas_cm2") or {}).items():
        values[f"zone_areas_cm2.{code}"] = area
    for group, passes in (given.get("passes") or {}).items():
        values[f"passes.{group}.min"] = passes["min"]
        values[f"passes.{group}.max"] = passes["max"]
    for index, device in enumerate(given.get("device_profiles") or []):
        for name in DEVICE_FIELDS:
            values[f"device_profiles.{index}.{name}"] = device[name]
    for index, product in enumerate(given.get("approved_products") or []):
        for name in PRODUCT_FIELDS:
            value = product[name]
            if name == "sterile":
                value = "on" if value else None
            values[f"approved_products.{index}.{name}"] = value
    for name, text in view["contact"].items():
        values[f"contact.{name}"] = text
    devices = len(given.get("device_profiles") or []) + NEW_DEVICE_ROWS
    products = len(given.get("approved_products") or []) + NEW_PRODUCT_ROWS
    form = Form.blank(_policy_labels(view, devices, products), **values)
    form.set("device_rows", devices)
    form.set("product_rows", products)
    return form


def _policy_page(page: Page, form: Form, view: dict[str, Any], status: int = 200) -> Response:
    devices = _rows(form, "device_rows", MAX_DEVICE_PROFILES + NEW_DEVICE_ROWS) or NEW_DEVICE_ROWS
    products = (
        _rows(form, "product_rows", MAX_APPROVED_PRODUCTS + NEW_PRODUCT_ROWS) or NEW_PRODUCT_ROWS
    )
    form.labels = _policy_labels(view, devices, products)
    shipped = {value["key"]: value["default"] for value in view["values"]}
    return page.render(
        "admin_policy.html.j2",
        status,
        title="Clinic policy",
        section="admin",
        tab="policy",
        form=form,
        view=view,
        scalars=[value for value in view["values"] if value["unit"]],
        zones=[(code, zone_label(code)) for code in kb().zones],
        zone_defaults=shipped.get("zone_areas_cm2") or {},
        groups=list(pass_groups(kb())),
        pass_defaults=shipped.get("passes") or {},
        shipped_devices=shipped.get("device_profiles") or [],
        device_rows=range(devices),
        product_rows=range(products),
        units=UNIT_WORDS,
    )


@router.get("/admin/policy")
def policy_page(page: Page = Depends(staff_page)) -> Response:
    view = page.run(clinics.policy)
    return _policy_page(page, _policy_form(view), view)


def _rows(form: Form, name: str, limit: int) -> int:
    """How many rows the form says it has, at most ``limit`` (0 when it says nothing usable)."""
    raw = form.get(name).strip()
    if not re.fullmatch(r"[0-9]{1,12}", raw):
        return 0
    return min(int(raw), limit)


def _read_policy(page: Page, form: Form, view: dict[str, Any]) -> dict[str, Any]:
    """The overrides the form gives (each field checked against its bounds in this one pass)."""
    overrides: dict[str, Any] = {}
    for value in view["values"]:
        if value["unit"]:
            number = form.integer(value["key"], low=value["min"], high=value["max"])
            if number is not None:
                overrides[value["key"]] = number
    areas = {}
    for code in kb().zones:
        area = form.integer(f"zone_areas_cm2.{code}", low=ZONE_AREA_MIN, high=ZONE_AREA_MAX)
        if area is not None:
            areas[code] = area
    if areas:
        overrides["zone_areas_cm2"] = areas
    passes = {}
    for group in pass_groups(kb()):
        low = form.integer(f"passes.{group}.min", low=PASSES_MIN, high=PASSES_MAX)
        high = form.integer(f"passes.{group}.max", low=PASSES_MIN, high=PASSES_MAX)
        if low is not None and high is not None:
            passes[group] = {"min": low, "max": high}
        elif (low is None) != (high is None) and form.ok:
            form.add(f"passes.{group}.min", "give both the fewest and the most passes, or neither")
    if passes:
        overrides["passes"] = passes
    devices = []
    for index in range(_rows(form, "device_rows", MAX_DEVICE_PROFILES + NEW_DEVICE_ROWS)):
        prefix = f"device_profiles.{index}."
        if not any(form.get(prefix + name).strip() for name in DEVICE_FIELDS):
            continue
        devices.append(
            {
                "name": form.text(prefix + "name", required=True, max_length=80),
                "lowest_mm": form.decimal(prefix + "lowest_mm", required=True, low=0.1, high=3.0),
                "highest_mm": form.decimal(prefix + "highest_mm", required=True, low=0.1, high=3.0),
                "step_mm": form.decimal(prefix + "step_mm", required=True, low=0.05, high=0.5),
            }
        )
    if devices:
        overrides["device_profiles"] = devices
    products = []
    account = page.account or {}
    for index in range(_rows(form, "product_rows", MAX_APPROVED_PRODUCTS + NEW_PRODUCT_ROWS)):
        prefix = f"approved_products.{index}."
        if not any(
            form.get(prefix + name).strip() for name in ("name", "ingredients", "from_hours")
        ):
            continue
        products.append(
            {
                "name": form.text(prefix + "name", required=True, max_length=80),
                "ingredients": form.text(
                    prefix + "ingredients", required=True, max_length=5000, multiline=True
                ),
                "from_hours": form.decimal(prefix + "from_hours", required=True, low=0, high=8760),
                "sterile": form.checked(prefix + "sterile"),
                "approved_by": form.get(prefix + "approved_by").strip()
                or str(account.get("display_name") or "the owner"),
                "approved_on": form.get(prefix + "approved_on").strip() or page.today.isoformat(),
            }
        )
    if products:
        overrides["approved_products"] = products
    return overrides


def _policy_field(path: str) -> str | None:
    """The form field of a use case's problem: ``device_profiles[0].step_mm`` →
    ``device_profiles.0.step_mm``."""
    return path.replace("[", ".").replace("]", "")


@router.post("/admin/policy")
def set_policy(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    view = page.run(clinics.policy)
    reset = form.get("reset")
    if reset:
        try:
            page.run(clinics.reset_policy_values, [reset])
        except UserError as error:
            form.add(None, error.message)
            return _policy_page(page, form, view, 422)
        page.flash("Restored the shipped default (the change is in the audit log).")
        return page.redirect("/admin/policy")
    form.labels = _policy_labels(
        view,
        _rows(form, "device_rows", MAX_DEVICE_PROFILES + NEW_DEVICE_ROWS),
        _rows(form, "product_rows", MAX_APPROVED_PRODUCTS + NEW_PRODUCT_ROWS),
    )
    overrides = _read_policy(page, form, view)
    if form.ok:
        try:
            page.run(clinics.set_policy_overrides, overrides)
        except UserError as error:
            form.add_user_error(error, _policy_field)
        else:
            page.flash(
                "Clinic policy saved (the change is in the audit log). New screenings, plans "
                "and product checks use it; results made before keep what they were made with."
            )
            return page.redirect("/admin/policy")
    return _policy_page(page, form, view, 422)


@router.post("/admin/policy/contact")
def set_contact(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    view = page.run(clinics.policy)
    form.labels = _policy_labels(view, NEW_DEVICE_ROWS, NEW_PRODUCT_ROWS)
    contact = {
        "address": form.text("contact.address", max_length=300),
        "phone": form.text("contact.phone", max_length=40),
    }
    if form.ok:
        try:
            page.run(clinics.set_contact, {k: v for k, v in contact.items() if v})
        except UserError as error:
            form.add_user_error(error, lambda path: "contact." + path.split(".")[-1])
        else:
            page.flash("Contact details saved; handouts printed from now on show them.")
            return page.redirect("/admin/policy")
    full = _policy_form(view)
    for name in ("contact.address", "contact.phone"):
        full.set(name, form.get(name))
    full.errors, full.general = form.errors, form.general
    return _policy_page(page, full, view, 422)


# Audit log ------------------------------------------------------------------------------------

AUDIT_LABELS = {
    "patient": "Patient's name",
    "person": "Person",
    "action": "Action",
    "from": "From",
    "to": "To",
    "before": "Older entries",
    "after": "Newer entries",
}
_AUDIT_FILTERS = ("patient", "person", "action", "from", "to")


def _audit_filters(request: Request) -> Form:
    params = request.query_params
    return Form.blank(
        AUDIT_LABELS,
        **{name: params.get(name, "")[:300] for name in (*_AUDIT_FILTERS, "before", "after")},
    )


def _audit_query(form: Form) -> audit.AuditQuery:
    return audit.audit_query(
        patient=form.get("patient"),
        person=form.get("person"),
        action=form.get("action"),
        date_from=form.get("from"),
        date_to=form.get("to"),
    )


def _filters_link(form: Form, **cursor: int) -> str:
    """The address of the log with the form's filters (and a page cursor)."""
    kept = [(name, form.get(name)) for name in _AUDIT_FILTERS if form.get(name)]
    kept.extend((name, str(value)) for name, value in cursor.items())
    return urlencode(kept)


def _audit_page(page: Page, form: Form, report: dict[str, Any] | None = None) -> Response:
    result: dict[str, Any] | None = None
    try:
        query = _audit_query(form)
        before = audit.entry_number(form.get("before"), "before")
        after = audit.entry_number(form.get("after"), "after")
        result = page.run(audit.audit_log, query, before=before, after=after)
    except (PermissionDenied, NotFound):
        raise
    except UserError as error:
        form.add_user_error(error)
    people = result["people"] if result is not None else page.run(audit.audit_people)
    return page.render(
        "admin_audit.html.j2",
        200 if form.ok else 422,
        title="Audit log",
        section="admin",
        tab="audit",
        form=form,
        result=result,
        people=[(str(p["id"]), p["name"] + ("" if p["active"] else " (closed)")) for p in people],
        actions=action_choices(),
        filtered=any(form.get(name) for name in _AUDIT_FILTERS),
        link=lambda **cursor: _filters_link(form, **cursor),
        report=report,
    )


@router.get("/admin/audit")
def audit_log(request: Request, page: Page = Depends(staff_page)) -> Response:
    return _audit_page(page, _audit_filters(request))


@router.get("/admin/audit.csv")
def audit_csv(request: Request, page: Page = Depends(staff_page)) -> Response:
    """The entries the filters select, newest first, as a CSV file (the export is audited)."""
    form = _audit_filters(request)
    try:
        query = _audit_query(form)
    except UserError as error:
        form.add_user_error(error)
        return _audit_page(page, form)
    lines = page.run(audit.audit_export, query)
    day = page.today.isoformat()
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-log-{day}.csv"'},
    )


@router.post("/admin/audit/verify")
def verify(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    report = page.run(audit.verify_audit_log_as)
    return _audit_page(page, Form.blank(AUDIT_LABELS), report=report.to_dict())


# Inventory ------------------------------------------------------------------------------------

LOT_LABELS = {
    "manufacturer": "Manufacturer",
    "product": "Product",
    "lot_number": "Lot number",
    "needle_count": "Needles per cartridge",
    "expires_on": "Expires on",
    "quantity_received": "Cartridges received",
}
DEVICE_LABELS = {
    "kind": "Kind",
    "device_manufacturer": "Manufacturer",
    "model": "Model",
    "serial_number": "Serial number",
    "lowest_mm": "Lowest setting (mm)",
    "highest_mm": "Highest setting (mm)",
    "step_mm": "Step between settings (mm)",
}
#: A new device's settings start as the shipped pen's (policy A.3 "Device profiles").
DEVICE_DEFAULTS = {"kind": "pen", "lowest_mm": "0.25", "highest_mm": "2.5", "step_mm": "0.25"}
RECALL_LABELS = {"recall_lot": "Lot number", "reason": "Reason for the recall"}


#: Lots expired or recalled longer ago than this are counted on the inventory page, not listed.
RECENT_LOT_DAYS = 90


def _inventory_page(
    page: Page,
    *,
    lot_form: Form | None = None,
    device_form: Form | None = None,
    recall_form: Form | None = None,
    recall: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    # Lots that can still be used, and those that expired or were recalled lately; a clinic
    # that has charted for years has thousands of older ones (the recall form finds any lot).
    since = (page.today - timedelta(days=RECENT_LOT_DAYS)).isoformat()
    every_lot = page.run(inventory.list_lots)
    lots = [
        lot
        for lot in every_lot
        if lot["expires_on"] >= since or (lot["recalled_at"] or "")[:10] >= since
    ]
    return page.render(
        "inventory.html.j2",
        status,
        title="Inventory",
        section="inventory",
        devices=page.run(inventory.list_devices),
        lots=lots,
        older_lots=len(every_lot) - len(lots),
        recent_lot_days=RECENT_LOT_DAYS,
        lot_form=lot_form or Form.blank(LOT_LABELS),
        device_form=device_form or Form.blank(DEVICE_LABELS, **DEVICE_DEFAULTS),
        recall_form=recall_form or Form.blank(RECALL_LABELS),
        recall=recall,
        kinds=[("pen", "Pen"), ("roller", "Roller"), ("stamp", "Stamp")],
        today=page.today.isoformat(),
    )


@router.get("/inventory")
def inventory_page(page: Page = Depends(staff_page)) -> Response:
    return _inventory_page(page)


@router.post("/inventory/lots")
def receive_lot(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    form.labels = LOT_LABELS
    lot = {
        "manufacturer": form.text("manufacturer", required=True, max_length=100),
        "product": form.text("product", required=True, max_length=100),
        "lot_number": form.text("lot_number", required=True, max_length=64),
        "needle_count": form.integer("needle_count", low=1, high=1000),
        "expires_on": form.day("expires_on", required=True),
        "quantity_received": form.integer(
            "quantity_received", required=True, low=0, high=1_000_000
        ),
    }
    if form.ok:
        try:
            page.run(
                inventory.receive_cartridge_lot,
                {key: value for key, value in lot.items() if value is not None},
            )
        except UserError as error:
            form.add_user_error(error)
        else:
            page.flash(f"Lot {lot['lot_number']} received.")
            return page.redirect("/inventory")
    return _inventory_page(page, lot_form=form, status=422)


@router.post("/inventory/devices")
def register_device(
    page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = DEVICE_LABELS
    device = {
        "kind": form.choice("kind", {"pen": 1, "roller": 1, "stamp": 1}, required=True),
        "manufacturer": form.text("device_manufacturer", required=True, max_length=100),
        "model": form.text("model", required=True, max_length=100),
        "serial_number": form.text("serial_number", required=True, max_length=100),
        # Bounds from policy A.7; a roller or stamp gives its needle length as both.
        "lowest_mm": form.decimal("lowest_mm", required=True, low=0.1, high=3.0),
        "highest_mm": form.decimal("highest_mm", required=True, low=0.1, high=3.0),
        "step_mm": form.decimal("step_mm", required=True, low=0.05, high=0.5),
    }
    if form.ok:
        try:
            page.run(inventory.register_device, device)
        except UserError as error:
            # The settings' cross-checks (lowest above highest, not a whole number of steps)
            # are the device's, not one field's: shown beside the highest setting.
            form.add_user_error(
                error, {"manufacturer": "device_manufacturer", "device": "highest_mm"}
            )
        else:
            page.flash(f"Device {device['serial_number']} registered.")
            return page.redirect("/inventory")
    return _inventory_page(page, device_form=form, status=422)


@router.post("/inventory/recall")
def recall_lot(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    form.labels = RECALL_LABELS
    number = form.text("recall_lot", required=True, max_length=64)
    reason = form.text("reason", required=True, max_length=2000, multiline=True)
    if form.ok and number is not None and reason is not None:
        try:
            report = page.run(inventory.recall_cartridge_lot, number, reason=reason)
        except UserError as error:
            form.add_user_error(error, {"lot_number": "recall_lot"})
        else:
            return _inventory_page(page, recall=report)
    return _inventory_page(page, recall_form=form, status=422)
