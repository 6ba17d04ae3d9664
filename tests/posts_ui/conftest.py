"""Fixtures for the posts dashboard tests: the people around a creator."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests import factories


@pytest.fixture
def creator(db):
    """Alice, who lives in Paris: her dashboard speaks Paris time."""
    return factories.CreatorFactory(
        handle="alice", user__username="alice", time_zone="Europe/Paris"
    )


@pytest.fixture
def alice_client(client, creator):
    client.force_login(creator.user)
    return client


@pytest.fixture
def reader_manager(db, creator):
    """A manager of an agency Alice let read, but not manage posts."""
    return factories.agency_member_with_access(
        creator,
        role="manager",
        may_manage_posts=False,
        agency=factories.AgencyFactory(name="Reading Agency", slug="reading"),
        username="reader",
    )


@pytest.fixture
def analyst(db, creator):
    """An analyst of an agency allowed to manage posts: reads, never writes."""
    return factories.agency_member_with_access(
        creator,
        role="analyst",
        may_manage_posts=True,
        agency=factories.AgencyFactory(name="Numbers Agency", slug="numbers"),
        username="numbers",
    )


def png_upload(name="photo.png", size=(64, 48), color=(30, 120, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def page_text(response) -> str:
    """The response as one line of text, tags and all."""
    return re.sub(r"\s+", " ", response.content.decode())


def compose_data(**overrides) -> dict:
    """A compose form as the browser sends it, four empty image slots."""
    data = {
        "body": "Hello fediverse",
        "summary": "",
        "language": "en",
        "visibility": "public",
        "schedule_date": "",
        "schedule_time": "",
        "action": "draft",
        "media-TOTAL_FORMS": "4",
        "media-INITIAL_FORMS": "4",
        "media-MIN_NUM_FORMS": "0",
        "media-MAX_NUM_FORMS": "4",
    }
    for i in range(4):
        data[f"media-{i}-media_id"] = ""
        data[f"media-{i}-alt_text"] = ""
        data[f"media-{i}-focal_x"] = ""
        data[f"media-{i}-focal_y"] = ""
    data.update(overrides)
    return data
