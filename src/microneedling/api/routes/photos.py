"""Clinical photos: upload (multipart), details, the file itself (clinical staff only, audited),
and choosing one for marketing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import File, Form, Response, UploadFile

from microneedling.api.context import Context, IdInPath, Now, Uow
from microneedling.api.errors import ApiError
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import PhotoOut
from microneedling.api.security import CurrentActor
from microneedling.services import photos
from microneedling.services.inputs import MAX_ID, Moment

router = ApiRouter(tags=["photos"])

View = Literal[
    "front", "left_oblique", "right_oblique", "left_profile", "right_profile", "close_up"
]


@router.post(
    "/patients/{patient_id}/photos",
    status_code=201,
    response_model=PhotoOut,
    summary="Add a photo (JPEG or PNG; oriented, location and other metadata removed)",
)
def add_photo(
    patient_id: IdInPath,
    file: Annotated[UploadFile, File(description="The image, JPEG or PNG")],
    view: Annotated[View, Form()],
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    context: Context,
    response: Response,
    zone: Annotated[str | None, Form(min_length=1, max_length=40, pattern=r"^[a-z_]+$")] = None,
    taken_at: Annotated[Moment | None, Form(description="With its time zone")] = None,
    appointment_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> dict[str, Any]:
    limit = context.photos.max_bytes
    if file.size is not None and file.size > limit:
        raise ApiError(413, f"the photo is larger than {limit:,} bytes")
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"the photo is larger than {limit:,} bytes")
    photo_id = photos.add_photo(
        uow,
        actor,
        patient_id,
        data,
        view=view,
        taken_at=taken_at,
        zone=zone,
        appointment_id=appointment_id,
        clock=clock,
    )
    response.headers["Location"] = f"/api/v1/photos/{photo_id}"
    return photos.describe_photo(uow, actor, photo_id, clock=clock)


@router.get(
    "/patients/{patient_id}/photos",
    response_model=list[PhotoOut],
    summary="The details of a patient's photos",
)
def list_photos(
    patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> list[dict[str, Any]]:
    return photos.list_photos(uow, actor, patient_id, clock=clock)


@router.get("/photos/{photo_id}", response_model=PhotoOut, summary="A photo's details")
def describe_photo(photo_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    return photos.describe_photo(uow, actor, photo_id, clock=clock)


@router.get(
    "/photos/{photo_id}/file",
    response_class=Response,
    summary="The photo itself",
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "The image"}},
)
def download_photo(photo_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> Response:
    """Clinical staff only; every download is audited."""
    media_type, data = photos.read_photo(uow, actor, photo_id, clock=clock)
    extension = "png" if media_type == "image/png" else "jpg"
    return Response(
        content=data,
        media_type=media_type,
        headers={"Content-Disposition": f'inline; filename="photo-{photo_id}.{extension}"'},
    )


@router.post(
    "/photos/{photo_id}/marketing",
    status_code=204,
    summary="Choose a photo for marketing (needs the marketing-photo consent)",
)
def select_for_marketing(photo_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> Response:
    photos.select_photo_for_marketing(uow, actor, photo_id, clock=clock)
    return Response(status_code=204)


@router.get(
    "/marketing-photos",
    response_model=list[PhotoOut],
    summary="Photos that may be used for marketing now (chosen, and the consent stands)",
)
def marketing_photos(actor: CurrentActor, uow: Uow, clock: Now) -> list[dict[str, Any]]:
    return photos.marketing_photos(uow, actor, clock=clock)
