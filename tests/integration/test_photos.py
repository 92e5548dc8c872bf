"""Photos: only real images, within limits, oriented, location stripped, hashes kept; marketing
use needs the marketing-photo consent, still standing.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from tests.integration.conftest import World

from microneedling.errors import PermissionDenied, PhotoError, RuleViolation, UserError
from microneedling.services import consents, patients, photos

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def phone_photo(width: int = 60, height: int = 40, orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: EXIF with a GPS position, the camera, an orientation."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, width // 2, height))  # left half blue, to see the turn
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 40.1)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif, comment=b"taken at Keizersgracht 1")
    return buffer.getvalue()


def test_a_photo_is_stored_upright_without_location_and_with_both_hashes(
    world: World, tmp_path: Path
) -> None:
    patient_id = world.patient()
    original = phone_photo()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    photo_id = photos.add_photo(
        world.uow, world.clinician, patient_id, original, view="front", clock=world.clock
    )
    record = patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    (photo,) = record["photos"]
    assert photo["original_sha256"] == hashlib.sha256(original).hexdigest()
    media_type, stored = photos.read_photo(world.uow, world.clinician, photo_id)
    assert media_type == "image/jpeg"
    assert photo["stored_sha256"] == hashlib.sha256(stored).hexdigest()
    image = Image.open(io.BytesIO(stored))
    assert image.size == (40, 60) == (photo["width"], photo["height"])  # orientation 6 applied
    assert not image.getexif()
    assert "exif" not in image.info and "comment" not in image.info
    assert b"Keizersgracht" not in stored and b"PhoneMaker" not in stored
    file = tmp_path / "photos" / f"clinic-{world.owner.clinic_id}" / f"{photo['stored_sha256']}.jpg"
    assert file.read_bytes() == stored


def test_a_png_is_accepted_and_stays_a_png(world: World) -> None:
    patient_id = world.patient()
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (1, 2, 3, 128)).save(buffer, "PNG")
    photo_id = photos.add_photo(
        world.uow, world.clinician, patient_id, buffer.getvalue(), view="close_up"
    )
    media_type, stored = photos.read_photo(world.uow, world.clinician, photo_id)
    assert media_type == "image/png"
    assert Image.open(io.BytesIO(stored)).mode == "RGBA"


def test_a_text_file_named_jpg_is_refused(world: World, tmp_path: Path) -> None:
    fake = tmp_path / "holiday.jpg"
    fake.write_text("this is not a picture\n")
    patient_id = world.patient()
    with pytest.raises(PhotoError, match="not a readable JPEG or PNG") as caught:
        photos.add_photo(world.uow, world.clinician, patient_id, fake.read_bytes(), view="front")
    assert caught.value.field == "photo"


def test_a_truncated_jpeg_is_refused(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(PhotoError):
        photos.add_photo(world.uow, world.clinician, patient_id, phone_photo()[:300], view="front")


def test_a_file_over_the_size_limit_is_refused_before_decoding(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(PhotoError, match="the limit is 1,000 bytes"):
        photos.add_photo(
            world.uow, world.clinician, patient_id, phone_photo(), view="front", max_bytes=1_000
        )


def decompression_bomb(width: int, height: int) -> bytes:
    """A tiny PNG that claims (and decompresses to) a huge grey image."""
    rows = zlib.compress(b"\x00" * (width + 1) * 64, 9)  # only a few rows: the header is enough

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_from_its_header(world: World) -> None:
    patient_id = world.patient()
    bomb = decompression_bomb(100_000, 100_000)
    assert len(bomb) < 10_000  # a 10-gigapixel image in a few kB
    with pytest.raises(PhotoError, match="pixels"):
        photos.add_photo(world.uow, world.clinician, patient_id, bomb, view="front")


def test_an_image_over_the_pixel_limit_is_refused(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(PhotoError, match="60×40 pixels; the limit is 1,000 pixels"):
        photos.add_photo(
            world.uow, world.clinician, patient_id, phone_photo(orientation=1), view="front",
            max_pixels=1_000,
        )  # fmt: skip


def test_an_unknown_view_is_refused(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(UserError) as caught:
        photos.add_photo(world.uow, world.clinician, patient_id, phone_photo(), view="selfie")
    assert caught.value.field == "view"


def test_front_desk_cannot_add_a_photo(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(PermissionDenied):
        photos.add_photo(world.uow, world.front_desk, patient_id, phone_photo(), view="front")


def test_marketing_use_needs_the_marketing_consent_and_stops_when_it_is_withdrawn(
    world: World,
) -> None:
    patient_id = world.patient()
    photo_id = photos.add_photo(
        world.uow, world.clinician, patient_id, phone_photo(), view="front", clock=world.clock
    )
    world.consent(patient_id, "treatment")  # a treatment consent is not enough
    with pytest.raises(RuleViolation, match="marketing-photo consent"):
        photos.select_photo_for_marketing(world.uow, world.owner, photo_id, clock=world.clock)
    consent_id = world.consent(patient_id, "marketing_photos")
    photos.select_photo_for_marketing(world.uow, world.owner, photo_id, clock=world.clock)
    listed = photos.marketing_photos(world.uow, world.owner, clock=world.clock)
    assert [photo["id"] for photo in listed] == [photo_id]
    consents.withdraw_consent(world.uow, world.front_desk, consent_id, clock=world.clock)
    assert photos.marketing_photos(world.uow, world.owner, clock=world.clock) == []
