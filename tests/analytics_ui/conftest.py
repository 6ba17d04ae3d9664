"""A creator's March and an agency with two creators, for the report pages."""

import pytest

from posts.models import Post
from tests import factories
from tests.analytics.conftest import at, record

MARCH = "start=2025-03-01&end=2025-03-31"


def make_post(creator, *, published: str, body: str = "hello") -> Post:
    return Post.objects.create(
        creator=creator,
        body=body,
        content_html=f"<p>{body}</p>",
        state="published",
        published_at=at(published),
    )


@pytest.fixture
def march(creator):
    """Alice's March: two posts, likes and boosts from three platforms, a
    reply, two new followers and one lost; one like in February."""
    creator.time_zone = "UTC"
    creator.save()
    mural = make_post(creator, published="2025-03-03 09:00", body="The mural")
    sketch = make_post(creator, published="2025-03-20 18:00", body="A sketch")
    for who in ("bob", "zoe", "kai"):
        record(creator, "like", who, post=mural, when="2025-03-04 10:00")
    record(creator, "boost", "bob", post=mural, when="2025-03-04 11:00")
    record(creator, "reply", "zoe", post=mural, when="2025-03-05 21:00")
    record(creator, "like", "max", post=sketch, when="2025-03-21 08:00")
    record(creator, "follow", "bob", when="2025-03-02 08:00")
    record(creator, "follow", "zoe", when="2025-03-06 08:00")
    record(creator, "unfollow", "kai", when="2025-03-07 08:00")
    record(creator, "like", "ana", post=mural, when="2025-02-20 10:00")
    return mural, sketch


@pytest.fixture
def agency(creator, agency_with_analyst, march):
    agency, analyst = agency_with_analyst
    carol = factories.CreatorFactory(handle="carol", user__username="carol")
    factories.AgencyAccessFactory(creator=carol, agency=agency)
    post = make_post(carol, published="2025-03-10 10:00")
    for who in ("bob", "zoe"):
        record(carol, "like", who, post=post, when="2025-03-11 10:00")
    for who in ("bob", "zoe", "kai"):
        record(carol, "boost", who, post=post, when="2025-03-11 10:00")
    return agency, analyst
