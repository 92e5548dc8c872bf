"""Clinical photos: adding one (checked, oriented, location stripped), reading it, and using it
for marketing, which needs the patient's marketing-photo consent, still standing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from microneedling.errors import InternalError, NotFound, RuleViolation, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.images import clean_image
from microneedling.services.inputs import check_id, check_moment
from microneedling.services.patients import require_patient
from microneedling.services.views import photo_view
from microneedling.store import UnitOfWork
from microneedling.store.models import PHOTO_VIEWS, Appointment, Photo


def add_photo(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    data: bytes,
    *,
    view: str,
    taken_at: datetime | None = None,
    zone: str | None = None,
    appointment_id: int | None = None,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    clock: Clock = utc_now,
) -> int:
    """Store a photo of the patient. The file is content-addressed under the clinic's folder.

    The limits are the photo folder's (from the settings) unless given here.
    """
    if view not in PHOTO_VIEWS:
        raise UserError(f"unknown view {view!r} (known: {', '.join(PHOTO_VIEWS)})", field="view")
    if taken_at is not None:
        check_moment(taken_at, "taken_at")
    if appointment_id is not None:
        check_id(appointment_id, "appointment_id")
    if zone is not None and not 1 <= len(zone) <= 40:
        raise UserError("a zone name has 1 to 40 characters", field="zone")
    if uow.photos is None:
        raise InternalError("this unit of work has no photo folder")
    image = clean_image(
        data,
        max_bytes=max_bytes or uow.photos.max_bytes,
        max_pixels=max_pixels or uow.photos.max_pixels,
    )
    with Transaction(uow, actor, "photo.add", clock) as tx:
        patient = require_patient(tx, patient_id)
        if taken_at is not None and taken_at > tx.now:
            raise UserError("is in the future", field="taken_at")
        if appointment_id is not None:
            session = tx.records.get(Appointment, appointment_id)
            if session is None or session.patient_id != patient.id:
                raise NotFound(
                    f"no session {appointment_id} for this patient", field="appointment_id"
                )
        # Written before the commit: if the transaction fails, an unreferenced file stays behind
        # under its own hash, never a wrong one.
        path = uow.photos.put(actor.clinic_id, image.sha256, image.suffix, image.data)
        row = Photo(
            patient_id=patient.id,
            appointment_id=appointment_id,
            view=view,
            zone=zone,
            taken_at=taken_at or tx.now,
            original_sha256=image.original_sha256,
            stored_sha256=image.sha256,
            stored_path=path,
            media_type=image.media_type,
            width=image.width,
            height=image.height,
            byte_size=len(image.data),
            added_by=actor.staff_user_id,
            added_at=tx.now,
        )
        tx.records.add(row)
        tx.flush()
        tx.done(
            patient_id=patient.id,
            entity=("photo", row.id),
            details={"view": view, "original_sha256": image.original_sha256},
        )
    return row.id


def read_photo(
    uow: UnitOfWork, actor: Actor, photo_id: int, *, clock: Clock = utc_now
) -> tuple[str, bytes]:
    """The stored photo's media type and bytes (reading it is audited)."""
    if uow.photos is None:
        raise InternalError("this unit of work has no photo folder")
    with Transaction(uow, actor, "photo.read", clock, reading=True) as tx:
        row = tx.records.get(Photo, photo_id)
        if row is None:
            raise NotFound(f"no photo {photo_id} in this clinic", field="photo_id")
        data = uow.photos.read(row.stored_path)
        tx.done(patient_id=row.patient_id, entity=("photo", row.id), details={"part": "file"})
    return row.media_type, data


def describe_photo(
    uow: UnitOfWork, actor: Actor, photo_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """A photo's details (view, zone, when, size, hashes), without the image."""
    with Transaction(uow, actor, "photo.read", clock, reading=True) as tx:
        row = tx.records.get(Photo, photo_id)
        if row is None:
            raise NotFound(f"no photo {photo_id} in this clinic", field="photo_id")
        view = photo_view(row)
        tx.done(patient_id=row.patient_id, entity=("photo", row.id), details={"part": "details"})
    return view


def list_photos(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The details of the patient's photos, in the order they were taken."""
    with Transaction(uow, actor, "photo.list", clock, reading=True) as tx:
        patient = require_patient(tx, patient_id)
        rows = tx.records.of_patient(Photo, patient.id, Photo.taken_at, Photo.id)
        found = [photo_view(row) for row in rows]
        tx.done(patient_id=patient.id, details={"results": len(found)})
    return found


def select_photo_for_marketing(
    uow: UnitOfWork, actor: Actor, photo_id: int, *, clock: Clock = utc_now
) -> None:
    """Choose a photo for marketing; refused without the patient's marketing-photo consent."""
    with Transaction(uow, actor, "photo.select_for_marketing", clock) as tx:
        row = tx.records.get(Photo, photo_id, for_update=True)
        if row is None:
            raise NotFound(f"no photo {photo_id} in this clinic", field="photo_id")
        if tx.records.signed_consent(row.patient_id, "marketing_photos", tx.now) is None:
            raise RuleViolation(
                "the patient has not signed the marketing-photo consent, or withdrew it",
                field="consent",
            )
        if row.marketing_selected_at is None:
            row.marketing_selected_at = tx.now
        tx.done(patient_id=row.patient_id, entity=("photo", row.id))


def marketing_photos(
    uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """Photos that may be used for marketing now: chosen, and the consent still stands."""
    with Transaction(uow, actor, "photo.list_marketing", clock, reading=True) as tx:
        found = [photo_view(photo) for photo in tx.records.marketing_photos()]
        tx.done(details={"results": len(found)})
    return found
