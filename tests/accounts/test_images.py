"""accounts.images: uploads are capped, decoded safely and re-encoded."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import images

GPS_IFD = 0x8825


def jpeg_with_gps(size=(1200, 800)) -> bytes:
    """A real camera-like JPEG with GPS coordinates in its EXIF."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 1  # Orientation: upright
    exif.get_ifd(GPS_IFD).update(
        {
            1: "N",  # GPSLatitudeRef
            2: (48.0, 51.0, 29.0),  # GPSLatitude
            3: "E",
            4: (2.0, 17.0, 40.0),
        }
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(data: bytes, name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_the_fixture_really_carries_gps():
    with Image.open(io.BytesIO(jpeg_with_gps())) as probe:
        assert probe.getexif().get_ifd(GPS_IFD)[1] == "N"


def test_an_avatar_comes_back_400x400_without_exif():
    prepared = images.prepare_profile_image(
        upload(jpeg_with_gps()), images.AVATAR, name="alice-avatar"
    )
    assert prepared.name == "alice-avatar.jpg"
    data = prepared.read()
    with Image.open(io.BytesIO(data)) as result:
        assert result.format == "JPEG"
        assert result.size == (400, 400)
        assert "exif" not in result.info
        assert not result.getexif()
    assert b"Exif" not in data
    assert b"PhoneMaker" not in data


def test_a_header_is_cropped_to_1500x500():
    prepared = images.prepare_profile_image(
        upload(jpeg_with_gps((3000, 3000))), images.HEADER, name="h"
    )
    with Image.open(prepared) as result:
        assert result.size == (1500, 500)


def test_a_transparent_png_stays_a_png():
    image = Image.new("RGBA", (500, 500), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    prepared = images.prepare_profile_image(
        upload(out.getvalue(), "a.png"), images.AVATAR, name="a"
    )
    assert prepared.name == "a.png"


def test_bytes_after_the_image_are_dropped():
    data = jpeg_with_gps() + b"<?php system($_GET['c']); ?>"
    prepared = images.prepare_profile_image(upload(data), images.AVATAR, name="a")
    assert b"<?php" not in prepared.read()


def test_oversize_uploads_are_refused_before_decoding(settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 1024 * 1024
    data = b"\xff\xd8\xff" + b"\0" * (1024 * 1024)
    with pytest.raises(ValidationError) as excinfo:
        images.prepare_profile_image(upload(data), images.AVATAR, name="a")
    assert excinfo.value.code == "too_large"


@pytest.mark.parametrize(
    "data",
    [b"not an image at all", b"%PDF-1.7\n1 0 obj<<>>endobj", b""],
    ids=["text", "pdf", "empty"],
)
def test_non_images_are_refused(data):
    with pytest.raises(ValidationError) as excinfo:
        images.prepare_profile_image(upload(data, "x.jpg"), images.AVATAR, name="a")
    assert excinfo.value.code == "invalid"


def test_a_truncated_jpeg_is_refused():
    data = jpeg_with_gps()[:600]
    with pytest.raises(ValidationError):
        images.prepare_profile_image(upload(data), images.AVATAR, name="a")


def test_formats_outside_the_allow_list_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="BMP")
    with pytest.raises(ValidationError) as excinfo:
        images.prepare_profile_image(
            upload(out.getvalue(), "a.bmp"), images.AVATAR, name="a"
        )
    assert excinfo.value.code == "format"


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width×height pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "width,height",
    [(50_000, 50_000), (10_000, 5_000)],
    ids=["2.5-gigapixel", "50-megapixel"],
)
def test_decompression_bombs_are_refused_without_decoding(width, height):
    data = png_declaring(width, height)
    assert len(data) < 200  # tiny on disk, huge in memory
    assert width * height > images.MAX_PIXELS
    with pytest.raises(ValidationError) as excinfo:
        images.prepare_profile_image(upload(data, "b.png"), images.AVATAR, name="b")
    assert excinfo.value.code in {"big", "invalid"}
