"""Fixtures for the posts tests: people, recorded events, real images."""

import io
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from posts import events
from tests import factories

GPS_IFD = 0x8825

SIGNALS = {
    "published": events.post_published,
    "edited": events.post_edited,
    "deleted": events.post_deleted,
    "pinned": events.post_pinned,
    "unpinned": events.post_unpinned,
}


@dataclass
class SentEvents:
    """Every posts event received, as (name, post id, state at sending)."""

    sent: list[tuple[str, int, str]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _, _ in self.sent]

    def of(self, name: str) -> list[int]:
        return [pk for event, pk, _ in self.sent if event == name]


@pytest.fixture
def sent_events():
    """A receiver on each posts event, like federation's, for the test."""
    recorder = SentEvents()
    receivers = []
    for name, signal in SIGNALS.items():

        def receiver(sender, post, _name=name, **kwargs):
            recorder.sent.append((_name, post.pk, post.state))

        signal.connect(receiver, weak=False)
        receivers.append((signal, receiver))
    yield recorder
    for signal, receiver in receivers:
        signal.disconnect(receiver)


@pytest.fixture
def analyst(db, creator):
    """An analyst of an agency with the same grant: reads, never writes."""
    return factories.agency_member_with_access(
        creator,
        role="analyst",
        may_manage_posts=True,
        agency=factories.AgencyFactory(name="Reading Agency", slug="reading"),
        username="posts_analyst",
    )


def jpeg_with_gps(size=(1200, 800), color=(200, 30, 30)) -> bytes:
    """A camera-like JPEG with GPS coordinates and a maker in its EXIF."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def image_upload(data: bytes | None = None, name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, data if data is not None else jpeg_with_gps(), content_type="image/jpeg"
    )
