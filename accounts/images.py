"""Profile pictures: checked, resized and re-encoded before they are stored.

An upload is hostile until decoded: the size is capped before Pillow sees
it, decompression bombs are refused, and the re-encode drops EXIF (camera
location included) and anything hidden after the image data.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# Anything larger than this many pixels is refused before decoding.
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class ImageSpec:
    """How a profile image is stored: fitted into width×height."""

    width: int
    height: int
    crop: bool  # crop to the exact box (avatars) or only shrink (headers)


AVATAR = ImageSpec(width=400, height=400, crop=True)
HEADER = ImageSpec(width=1500, height=500, crop=True)


def prepare_profile_image(upload, spec: ImageSpec, *, name: str) -> ContentFile:
    """Return `upload` re-encoded to fit `spec`, or raise ValidationError."""
    if upload.size > settings.MAX_IMAGE_UPLOAD_BYTES:
        limit_mb = settings.MAX_IMAGE_UPLOAD_BYTES // (1024 * 1024)
        raise ValidationError(
            f"That image is too large: the limit is {limit_mb} MB.", code="too_large"
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    "Use a JPEG, PNG, GIF or WebP image.", code="format"
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError("That image has too many pixels.", code="big")
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            "That file is not an image we can read.", code="invalid"
        ) from exc

    image = image.convert("RGBA" if _has_transparency(image) else "RGB")
    if spec.crop:
        image = ImageOps.fit(image, (spec.width, spec.height), Image.Resampling.LANCZOS)
    else:
        image.thumbnail((spec.width, spec.height), Image.Resampling.LANCZOS)

    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        image.save(out, format="JPEG", quality=88, optimize=True, progressive=True)
        extension = "jpg"
    return ContentFile(out.getvalue(), name=f"{name}.{extension}")


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA"):
        return image.getextrema()[-1][0] < 255
    return image.mode == "P" and "transparency" in image.info
