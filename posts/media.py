"""Images attached to posts: checked, re-encoded, measured and blurhashed.

The upload goes through the same gate as profile pictures
(accounts.images): size capped before decoding, decompression bombs
refused, re-encoded so EXIF (camera location included) and trailing bytes
are gone. Posts keep the aspect ratio and only shrink large images.
"""

import secrets
from dataclasses import dataclass

import blurhash
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image

from accounts import images

# Longest side kept. Mastodon shows at most 3840×2160 and re-encodes
# anything larger itself; 2560 keeps files small and still sharp.
MAX_SIDE = 2560
POST_IMAGE = images.ImageSpec(width=MAX_SIDE, height=MAX_SIDE, crop=False)
ALT_TEXT_MAX_LENGTH = 1500  # Mastodon's limit for media descriptions
# Mastodon's blurhash: 4×4 components, computed on a small copy (the hash
# only keeps the colours of a few blurry blocks, so 64 px loses nothing).
BLURHASH_COMPONENTS = (4, 4)
BLURHASH_SOURCE_SIDE = 64

MIME_TYPES = {"jpg": "image/jpeg", "png": "image/png"}


@dataclass(frozen=True)
class PreparedImage:
    file: ContentFile
    mime_type: str
    width: int
    height: int
    blurhash: str


def prepare_post_image(upload) -> PreparedImage:
    """The upload re-encoded and measured, or ValidationError saying why not."""
    content = images.prepare_profile_image(
        upload, POST_IMAGE, name=secrets.token_hex(12)
    )
    with Image.open(content) as image:
        image.load()
        width, height = image.size
        hash_ = image_blurhash(image)
    content.seek(0)
    extension = content.name.rsplit(".", 1)[-1]
    return PreparedImage(
        file=content,
        mime_type=MIME_TYPES[extension],
        width=width,
        height=height,
        blurhash=hash_,
    )


def image_blurhash(image: Image.Image) -> str:
    """The blurhash of `image`, from a copy no larger than 64×64."""
    small = image.copy()
    small.thumbnail(
        (BLURHASH_SOURCE_SIDE, BLURHASH_SOURCE_SIDE), Image.Resampling.BILINEAR
    )
    if small.mode in ("RGBA", "LA", "P"):
        # Transparent areas read as white, as most clients show them.
        background = Image.new("RGB", small.size, (255, 255, 255))
        background.paste(small.convert("RGBA"), mask=small.convert("RGBA"))
        small = background
    small = small.convert("RGB")
    data, width = small.tobytes(), small.width
    rows = [
        [data[i : i + 3] for i in range(row * width * 3, (row + 1) * width * 3, 3)]
        for row in range(small.height)
    ]
    x_components, y_components = BLURHASH_COMPONENTS
    return blurhash.encode(rows, x_components, y_components)


def clean_alt_text(alt_text: str) -> str:
    alt_text = (alt_text or "").strip()
    if len(alt_text) > ALT_TEXT_MAX_LENGTH:
        raise ValidationError(
            {"alt_text": f"At most {ALT_TEXT_MAX_LENGTH} characters."}
        )
    return alt_text


def clean_focal_point(focal_point) -> tuple[float, float] | None:
    """(x, y) each in -1..1 (Mastodon: 0,0 centre, 1,1 top right), or None."""
    if focal_point is None:
        return None
    try:
        x, y = (float(value) for value in focal_point)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            {"focal_point": "Give the focal point as two numbers, x and y."}
        ) from exc
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise ValidationError(
            {"focal_point": "Each coordinate of the focal point is between -1 and 1."}
        )
    return x, y
