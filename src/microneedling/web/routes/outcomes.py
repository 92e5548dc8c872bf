"""Outcomes: scale calculators with live totals, a chart of scores over time; photos: upload,
gallery, and a side-by-side before/after of the same view."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from microneedling.clinical.scales import ScaleInfo, list_scales, scale_info, score
from microneedling.errors import UserError
from microneedling.services import outcomes, patients, photos, plans
from microneedling.services.access import check_role
from microneedling.store.models import PHOTO_VIEWS
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.labels import PHOTO_VIEWS as VIEW_LABELS
from microneedling.web.labels import kb, zone_label
from microneedling.web.routes.patients import full_name
from microneedling.web.svg_charts import outcome_series, score_chart

router = APIRouter()

PREFIX = "input."


def input_rows(info: ScaleInfo) -> list[dict[str, Any]]:
    """How each input of a scale is asked: a list of its levels, or a number."""
    rows = []
    one_grade = len(info.inputs) == 1 and info.bands and all(b.min == b.max for b in info.bands)
    for spec in info.inputs:
        options: list[tuple[str, str]] = []
        if spec.levels:
            options = [(str(value), f"{value}: {text}") for value, text in spec.levels]
        elif one_grade:
            options = [(f"{band.min:g}", f"{band.min:g}: {band.label}") for band in info.bands]
        rows.append(
            {
                "name": PREFIX + spec.name,
                "label": spec.label,
                "options": options,
                "min": spec.min,
                "max": spec.max,
                "step": "1" if spec.kind == "integer" else f"{10**-spec.decimals:g}",
            }
        )
    return rows


def _inputs(form: Form) -> dict[str, str]:
    return {
        name.removeprefix(PREFIX): form.get(name).strip()
        for name in form.data
        if name.startswith(PREFIX) and form.get(name).strip()
    }


def _scale_code(form: Form) -> str | None:
    code = form.get("scale")
    return code if code in {info.code for info in list_scales(kb())} else None


def _outcomes_page(
    page: Page, patient_id: int, form: Form, status: int = 200, result: Any = None
) -> Response:
    patient = page.run(patients.read_patient, patient_id)
    found = page.run(outcomes.list_outcomes, patient_id)
    scales = {info.code: info for info in list_scales(kb())}
    charts = []
    for code in dict.fromkeys(item["scale"] for item in found):
        info = scales.get(code)
        series = outcome_series(found, code)
        if info is not None and series:
            charts.append(
                score_chart(
                    f"{info.abbreviation}: {info.label}",
                    series,
                    y_range=(float(info.range[0]), float(info.range[1])),
                    better=info.better,
                )
            )
    chosen = _scale_code(form)
    plan_options = [
        (str(item["id"]), f"Plan {item['id']} ({item['status']})")
        for item in page.run(plans.list_plans, patient_id)
    ]
    return page.render(
        "outcomes.html.j2",
        status,
        title=f"Outcomes: {full_name(patient)}",
        section="patients",
        patient=patient,
        name=full_name(patient),
        outcomes=list(reversed(found)),
        charts=charts,
        scales=[(info.code, f"{info.abbreviation}: {info.label}") for info in scales.values()],
        scale=scales.get(chosen) if chosen else None,
        rows=input_rows(scales[chosen]) if chosen else [],
        form=form,
        plans=plan_options,
        result=result,
    )


LABELS = {"scale": "Scale", "assessed_on": "Assessed on", "plan_id": "For plan"}


@router.get("/patients/{patient_id}/outcomes")
def outcomes_page(
    patient_id: RecordId, scale: str = "gais", page: Page = Depends(staff_page)
) -> Response:
    form = Form.blank(LABELS, scale=scale, assessed_on=page.today.isoformat())
    return _outcomes_page(page, patient_id, form)


@router.get("/outcomes/scale")
def scale_inputs(scale: str = "", page: Page = Depends(staff_page)) -> Response:
    """The inputs of one scale (HTMX, when the scale is chosen)."""
    check_role(page.actor, "compute.score")
    info = scale_info(scale, kb())
    form = Form.blank(LABELS, scale=info.code)
    return page.render(
        "partials/scale_inputs.html.j2", scale=info, rows=input_rows(info), form=form, result=None
    )


def _live(form: Form) -> dict[str, Any]:
    """The total so far, or what is still missing."""
    code = _scale_code(form)
    if code is None:
        return {"state": "none"}
    info = scale_info(code, kb())
    given = _inputs(form)
    missing = [spec.label for spec in info.inputs if spec.name not in given]
    if missing:
        return {
            "state": "missing",
            "answered": len(info.inputs) - len(missing),
            "of": len(info.inputs),
        }
    try:
        result = score(code, given, kb())
    except UserError as error:
        return {"state": "error", "problems": error.fields or [(error.field, error.message)]}
    return {"state": "done", "result": result.to_dict(), "scale": info}


@router.post("/outcomes/score")
def live_score(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    """The live total (HTMX, as inputs change): clinical.scales.score on what is filled in."""
    check_role(page.actor, "compute.score")
    return page.render("partials/live_score.html.j2", live=_live(form))


@router.post("/patients/{patient_id}/outcomes")
def record(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = dict(LABELS)
    code = _scale_code(form)
    if code is None:
        form.add("scale", "choose a scale")
    else:
        for spec in scale_info(code, kb()).inputs:
            form.labels[PREFIX + spec.name] = spec.label
    assessed_on = form.day(
        "assessed_on", required=True, not_after=page.today, after_message="is after today"
    )
    plan_id = form.integer("plan_id", low=1, high=2**31 - 1)
    if code is not None:  # the scale's own checks of its inputs, in this same pass
        form.check_by(
            lambda: score(code, _inputs(form), kb()),
            lambda path: PREFIX + path if PREFIX + path in form.labels else None,
        )
    if form.ok and code is not None:
        try:
            page.run(
                outcomes.record_outcome,
                patient_id,
                scale=code,
                inputs=_inputs(form),
                assessed_on=assessed_on,
                plan_id=plan_id,
            )
        except UserError as error:
            form.add_user_error(
                error, lambda path: PREFIX + path if PREFIX + path in form.labels else None
            )
        else:
            page.flash("Outcome recorded.")
            return page.redirect(f"/patients/{patient_id}/outcomes")
    return _outcomes_page(page, patient_id, form, 422, result=_live(form))


# Photos ----------------------------------------------------------------------------------------

PHOTO_LABELS = {
    "photo": "Photo (JPEG or PNG)",
    "view": "View",
    "zone": "Zone",
    "taken_on": "Taken on",
}


def _photos_page(page: Page, patient_id: int, form: Form, status: int = 200) -> Response:
    patient = page.run(patients.read_patient, patient_id)
    found = page.run(photos.list_photos, patient_id)
    by_view: dict[str, list[dict[str, Any]]] = {}
    for item in found:
        by_view.setdefault(item["view"], []).append(item)
    return page.render(
        "photos.html.j2",
        status,
        title=f"Photos: {full_name(patient)}",
        section="patients",
        patient=patient,
        name=full_name(patient),
        photos=found,
        by_view=by_view,
        form=form,
        views=[(v, VIEW_LABELS.get(v, v)) for v in PHOTO_VIEWS],
        zones=[(code, zone_label(code)) for code in kb().zones],
    )


@router.get("/patients/{patient_id}/photos")
def photos_page(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    form = Form.blank(PHOTO_LABELS, view="front", taken_on=page.today.isoformat())
    return _photos_page(page, patient_id, form)


@router.post("/patients/{patient_id}/photos")
def upload(
    patient_id: RecordId,
    request: Request,
    page: Page = Depends(staff_page),
    form: Form = Depends(posted_form),
) -> Response:
    form.labels = PHOTO_LABELS
    upload = request.state.form_data.get("photo")
    data = b""
    if not isinstance(upload, UploadFile) or not upload.filename:
        form.add("photo", "choose a photo file")
    else:
        data = upload.file.read(page.app.settings.photo_max_bytes + 1)
        if not data:
            form.add("photo", "the file is empty")
    view = form.choice("view", dict.fromkeys(PHOTO_VIEWS), required=True)
    zone = form.choice("zone", kb().zones)
    taken_on = form.day("taken_on")
    if taken_on is not None and taken_on > page.today:
        form.add("taken_on", "is after today")
    if form.ok and view is not None:
        taken_at = None
        if taken_on is not None and taken_on != page.today:
            taken_at = datetime.combine(taken_on, time(12, 0), ZoneInfo(page.time_zone))
        try:
            page.run(photos.add_photo, patient_id, data, view=view, zone=zone, taken_at=taken_at)
        except UserError as error:
            form.add_user_error(error, {"": "photo", "photo": "photo", "data": "photo"})
        else:
            page.flash("Photo added (location data removed).")
            return page.redirect(f"/patients/{patient_id}/photos")
    return _photos_page(page, patient_id, form, 422)


@router.get("/photos/{photo_id}/image")
def photo_image(photo_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    media_type, data = page.run(photos.read_photo, photo_id)
    return Response(
        data,
        media_type=media_type,
        headers={
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


@router.get("/patients/{patient_id}/photos/compare")
def compare(
    patient_id: RecordId,
    view: str = "front",
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    after: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    page: Page = Depends(staff_page),
) -> Response:
    patient = page.run(patients.read_patient, patient_id)
    found = page.run(photos.list_photos, patient_id)
    same_view = [item for item in found if item["view"] == view]
    by_id = {item["id"]: item for item in same_view}
    problem = None
    if len(same_view) < 2:
        problem = (
            f"There are fewer than two {VIEW_LABELS.get(view, view).lower()} photos to compare."
        )
    first = by_id.get(before) if before else (same_view[0] if same_view else None)
    last = by_id.get(after) if after else (same_view[-1] if same_view else None)
    if (before and before not in by_id) or (after and after not in by_id):
        problem = "Compare two photos of the same view: choose both from the lists."
    return page.render(
        "photo_compare.html.j2",
        title=f"Before and after: {full_name(patient)}",
        section="patients",
        patient=patient,
        name=full_name(patient),
        view=view,
        views=[(v, VIEW_LABELS.get(v, v)) for v in PHOTO_VIEWS],
        choices=same_view,
        before=first,
        after=last,
        problem=problem,
        days=_days_between(first, last),
    )


def _days_between(first: dict[str, Any] | None, last: dict[str, Any] | None) -> int | None:
    if not first or not last:
        return None
    start = date.fromisoformat(first["taken_at"][:10])
    end = date.fromisoformat(last["taken_at"][:10])
    return (end - start).days
