"""The plan builder (zone map, a concern per zone, depth ranges drawn as you go), the plan with
its dates, care, expected timeline, warnings, quote, handout, predicted collagen and booked series,
and its status. (Booking the series: ``routes/booking.py``.)"""

from __future__ import annotations

import tempfile
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.errors import NotFound, PlanRequestError, UserError
from microneedling.knowledge import KnowledgeBase
from microneedling.knowledge.schema_planning import PlanningFile
from microneedling.services import computations, intakes, overview, patients, plans
from microneedling.services.access import check_role
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.labels import concern_label, kb, zone_label
from microneedling.web.routes.patients import full_name
from microneedling.web.series import booked_series, clinic_calendar
from microneedling.web.zone_map import map_view

router = APIRouter()

SETTINGS = [("professional", "In the clinic (professional)"), ("home", "At home (home device)")]
#: How many collagen figures are kept (they take a moment to draw; plans never change).
FIGURE_CACHE = 32


@cache
def concern_options(base: KnowledgeBase) -> dict[str, list[tuple[str, str]]]:
    """For each zone, the concerns the planning policy accepts there (in either setting), found
    by asking the planner itself, so the form offers exactly what it would accept."""
    found: dict[str, list[tuple[str, str]]] = {}
    for zone in base.zones:
        for code, concern in base.concerns.items():
            for setting in ("professional", "home"):
                request: dict[str, Any] = {
                    "on": "2026-01-01",
                    "fitzpatrick": 2,
                    "setting": setting,
                    "treatments": [
                        {"zone": zone, "concern": code}
                        | ({"subtype": concern.subtypes[0]} if concern.subtypes else {})
                    ],
                    "surgery_on": "2025-01-01",
                }
                try:
                    plan(parse_plan_request(request), base)
                except PlanRequestError:
                    continue
                label = concern.label + (" (home use)" if setting == "home" else "")
                found.setdefault(zone, []).append((code, label))
                break
    return found


def subtype_options(base: KnowledgeBase) -> list[tuple[str, str]]:
    options = []
    for _code, concern in base.concerns.items():
        for subtype in concern.subtypes:
            options.append((subtype, subtype.replace("_", " ").capitalize()))
    return options


def add_on_options(base: KnowledgeBase) -> list[tuple[str, str]]:
    planning = base.section("planning.yaml", PlanningFile)
    return [(code, item.label) for code, item in planning.combinations.items()]


LABELS = {
    "treat": "Zones",
    "setting": "Where",
    "start": "First session",
    "add_ons": "Combined treatments",
    "surgery_on": "Date of surgery",
}


def labels(base: KnowledgeBase) -> dict[str, str]:
    found = dict(LABELS)
    for code in base.zones:
        found[f"concern.{code}"] = f"Concern for {zone_label(code).lower()}"
        found[f"subtype.{code}"] = f"Type for {zone_label(code).lower()}"
    return found


def request_from(form: Form, base: KnowledgeBase) -> tuple[dict[str, Any], dict[str, str]]:
    """The plan request (without what comes from the records) and where each field came from."""
    where: dict[str, str] = {
        "treatments": "treat",
        "start": "start",
        "surgery_on": "surgery_on",
        "add_ons": "add_ons",
        "setting": "setting",
    }
    ticked = set(form.getlist("treat"))
    treatments: list[dict[str, Any]] = []
    for zone in base.zones:
        if zone not in ticked:
            continue
        concern = form.get(f"concern.{zone}")
        index = len(treatments)
        where[f"treatments[{index}].zone"] = f"concern.{zone}"
        where[f"treatments[{index}].concern"] = f"concern.{zone}"
        where[f"treatments[{index}].subtype"] = f"subtype.{zone}"
        where[f"treatments[{index}]"] = f"concern.{zone}"
        if not concern:
            form.add(f"concern.{zone}", f"choose what to treat on the {zone_label(zone).lower()}")
            continue
        entry: dict[str, Any] = {"zone": zone, "concern": concern}
        subtypes = base.concerns[concern].subtypes if concern in base.concerns else []
        subtype = form.get(f"subtype.{zone}")
        if subtypes:
            if not subtype:
                form.add(f"subtype.{zone}", f"choose the type: {', '.join(subtypes)}")
                continue
            entry["subtype"] = subtype
        treatments.append(entry)
    if not ticked:
        form.add("treat", "choose at least one zone on the map or in the list")
    request: dict[str, Any] = {"treatments": treatments}
    setting = form.choice("setting", dict(SETTINGS)) or "professional"
    request["setting"] = setting
    start = form.day("start")
    if start is not None:
        request["start"] = start.isoformat()
    surgery = form.day("surgery_on")
    if surgery is not None:
        request["surgery_on"] = surgery.isoformat()
    known = dict(add_on_options(base))
    request["add_ons"] = [code for code in form.getlist("add_ons") if code in known]
    return request, where


def _mapper(where: dict[str, str]) -> Any:
    def field_of(path: str) -> str | None:
        if path in where:
            return where[path]
        head = path.split(".")[0]
        return where.get(head)

    return field_of


def selection(form: Form, base: KnowledgeBase, computed: dict[str, Any] | None) -> dict[str, Any]:
    """Zone → what the map shows for it (concern, depth range from the computed plan)."""
    depths: dict[str, dict[str, Any]] = {}
    if computed is not None:
        for series in computed["series"]:
            for entry in series["zones"]:
                depths.setdefault(entry["zone"], entry)
    chosen: dict[str, Any] = {}
    for zone in form.getlist("treat"):
        if zone not in base.zones:
            continue
        concern = form.get(f"concern.{zone}")
        planned = depths.get(zone)
        chosen[zone] = {
            "concern": concern_label(concern).lower() if concern else None,
            "depth": planned["depth_mm"] if planned else None,
        }
    return chosen


def _clinic_kb(page: Page) -> KnowledgeBase:
    """The knowledge base with the clinic's policy overrides (A.7), as the plan will be made."""
    return computations.clinic_knowledge_base(page.app.uow(), page.actor)


def _latest(page: Page, patient_id: int) -> dict[str, Any] | None:
    try:
        return page.run(intakes.latest_screening, patient_id)
    except NotFound:
        return None


def _builder_page(page: Page, patient: dict[str, Any], form: Form, status: int = 200) -> Response:
    base = _clinic_kb(page)
    latest = _latest(page, patient["id"])
    preview = _preview(page, form, base, patient["fitzpatrick"], latest, show_errors=False)
    return page.render(
        "plan_new.html.j2",
        status,
        title=f"Plan treatment: {full_name(patient)}",
        section="patients",
        patient=patient,
        name=full_name(patient),
        form=form,
        latest=latest,
        zones=[(code, zone_label(code)) for code in base.zones],
        concerns=concern_options(base),
        subtypes=subtype_options(base),
        with_subtypes={code for code, concern in base.concerns.items() if concern.subtypes},
        add_ons=add_on_options(base),
        settings=SETTINGS,
        **preview,
    )


def _screening_for_preview(latest: dict[str, Any] | None) -> dict[str, Any]:
    if latest is None:
        return {}
    return {
        "screening": latest["screening"],
        "acknowledged_caution": latest["acknowledged"] is not None,
    }


def _preview(
    page: Page,
    form: Form,
    base: KnowledgeBase,
    fitzpatrick: int,
    latest: dict[str, Any] | None,
    *,
    show_errors: bool = True,
) -> dict[str, Any]:
    """The map with depth ranges and the plan's outline, computed (not stored) as staff build it.

    The real plan is made by the use case on the latest screening; the preview uses the same
    screening, so its dates match."""
    check_role(page.actor, "compute.plan")
    probe = Form(labels=form.labels, data=form.data)
    request, where = request_from(probe, base)
    computed = None
    problems: list[tuple[str | None, str]] = []
    if request["treatments"]:
        full = {
            **request,
            "on": page.today.isoformat(),
            "fitzpatrick": fitzpatrick,
            **_screening_for_preview(latest),
        }
        try:
            computed = plan(parse_plan_request(full), base)
        except UserError as error:
            probe.add_user_error(error, _mapper(where))
    if show_errors:
        problems = probe.summary()
    return {
        "map": map_view(base, selection(form, base, computed)),
        "preview": computed,
        "problems": problems,
    }


@router.get("/patients/{patient_id}/plans/new")
def builder(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    check_role(page.actor, "plan.create")
    patient = page.run(patients.read_patient, patient_id)
    form = Form.blank(labels(kb()), setting="professional")
    return _builder_page(page, patient, form)


@router.post("/patients/{patient_id}/plans/preview")
def preview(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    base = _clinic_kb(page)
    form.labels = labels(base)
    fitzpatrick = form.integer("fitzpatrick", required=True, low=1, high=6) or 2
    # The patient's latest screening from the records (policy 2: the zones it covered and the
    # Fitzpatrick type count, and the page's hidden fields carry neither).
    latest = _latest(page, patient_id) if form.get("decision") else None
    values = _preview(page, form, base, fitzpatrick, latest)
    return page.render("partials/plan_preview.html.j2", **values, patient_id=patient_id)


@router.post("/patients/{patient_id}/plans/new")
def create(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    base = _clinic_kb(page)
    form.labels = labels(base)
    request, where = request_from(form, base)
    if form.ok:
        try:
            plan_id = page.run(plans.create_plan, patient_id, request)
        except UserError as error:
            form.add_user_error(error, _mapper(where))
        else:
            page.flash("Plan created. Check it, print the handout, then book the series.")
            return page.redirect(f"/plans/{plan_id}")
    patient = page.run(patients.read_patient, patient_id)
    return _builder_page(page, patient, form, 422)


# The plan -------------------------------------------------------------------------------------


def _plan_context(page: Page, plan_id: int) -> dict[str, Any]:
    stored = page.run(plans.read_plan, plan_id)
    patient = page.run(patients.read_patient, stored["patient_id"])
    return {"stored": stored, "patient": patient, "name": full_name(patient)}


@router.get("/plans/{plan_id}")
def plan_page(plan_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    values = _plan_context(page, plan_id)
    stored = values["stored"]
    computed = stored["plan"]
    base = _clinic_kb(page)
    chosen = {
        entry["zone"]: {
            "concern": concern_label(entry["concern"]).lower(),
            "depth": entry["depth_mm"],
        }
        for series in computed["series"]
        for entry in series["zones"]
    }
    # The science pulls in NumPy and SciPy: imported on the first plan page, not at start-up.
    from microneedling.services.plan_science import plan_science

    science = _staff_science(
        plan_science(computed, sex=values["patient"]["sex"], include_series=False)
    )
    staff = {member["id"]: member["display_name"] for member in page.run(overview.staff_directory)}
    series_list = [s for s in booked_series(page, stored["patient_id"]) if s["plan_id"] == plan_id]
    booked = {s["series_index"] for s in series_list}
    return page.render(
        "plan.html.j2",
        title=f"Plan {plan_id}: {values['name']}",
        section="patients",
        plan=computed,
        setting_label=dict(SETTINGS).get(computed.get("setting", ""), ""),
        add_on_labels=dict(add_on_options(base)),
        map=map_view(base, chosen, interactive=False),
        science=science,
        staff=staff,
        series_list=series_list,
        calendar=clinic_calendar(page) if series_list else None,
        to_book=[
            index
            for index, series in enumerate(computed["series"])
            if series.get("sessions") and index not in booked
        ],
        **values,
    )


def _staff_science(science: dict[str, Any]) -> dict[str, Any]:
    """The science in staff's words: the assumptions as sentences, no parameter names or paths."""
    from microneedling.services.plan_response import assumption_notes, staff_words

    if science.get("collagen"):
        science["collagen"] = dict(science["collagen"], warnings=assumption_notes())
    science["assumptions"] = [staff_words(line) for line in science.get("assumptions", [])]
    window = dict(science["absorption_window"])
    window["note"] = staff_words(window.get("note", ""))
    science["absorption_window"] = window
    return science


def _handout(page: Page, plan_id: int) -> dict[str, Any]:
    """The handout with the booked sessions' dates and times, printed on the app's today."""
    from microneedling.documents.handout import handout_context

    found = page.run(plans.plan_handout, plan_id)
    return handout_context(
        found["plan"],
        today=page.today,
        patient=found["patient"],
        clinic=found["clinic"],
        booked=found["booked"],
    )


HANDOUT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


@router.get("/plans/{plan_id}/handout.html")
def handout_html(plan_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    from microneedling.documents.handout import render_html  # fpdf and NumPy: when first asked

    html = render_html(_handout(page, plan_id))
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": HANDOUT_POLICY},
    )


@router.get("/plans/{plan_id}/handout.pdf")
def handout_pdf(plan_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    from microneedling.documents.handout import render_pdf

    pdf = render_pdf(_handout(page, plan_id))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="care-plan-{plan_id}.pdf"'},
    )


@router.get("/plans/{plan_id}/collagen.svg")
def collagen_figure(plan_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    """The predicted collagen response (Model 3), drawn by the simulation's own figure."""
    stored = page.run(plans.read_plan, plan_id)  # the role and clinic check, and the audit
    figures: OrderedDict[tuple[int, int], bytes] = page.app.cache.setdefault(
        "collagen", OrderedDict()
    )
    key = (page.actor.clinic_id, plan_id)
    svg = figures.get(key)
    if svg is None:
        # The models pull in SciPy and Matplotlib: imported only when a figure is asked for.
        from microneedling.services.plan_response import project_plan
        from microneedling.simulation.plots_healing import plot_collagen
        from microneedling.simulation.plotting import save_figure

        timed = [s for s in stored["plan"]["series"] if s.get("dates")]
        if not timed:
            raise NotFound("this plan has no dated sessions to predict from", field="plan_id")
        figure = plot_collagen(project_plan({"series": timed}).series, title="Predicted collagen")
        with tempfile.TemporaryDirectory() as folder:
            svg = save_figure(figure, Path(folder) / "collagen.svg").read_bytes()
        figures[key] = svg
        while len(figures) > FIGURE_CACHE:
            figures.popitem(last=False)
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "Cache-Control": "private, max-age=3600",
        },
    )


@router.post("/plans/{plan_id}/status")
def set_status(
    plan_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    status = form.get("status")
    page.run(plans.set_plan_status, plan_id, status)
    page.flash(f"Plan {status}.")
    return page.redirect(f"/plans/{plan_id}")
