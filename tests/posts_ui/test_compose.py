"""Writing a post in the dashboard: drafts, publishing, scheduling, images."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from posts.models import Post, PostMedia
from tests import factories
from tests.posts_ui.conftest import compose_data, page_text, png_upload

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def compose_url(creator) -> str:
    return reverse("posts:compose", kwargs={"handle": creator.handle})


def tomorrow_in_paris() -> datetime.date:
    return (timezone.now().astimezone(PARIS) + datetime.timedelta(days=1)).date()


def test_compose_page_offers_everything_a_post_needs(alice_client, creator):
    """Text, warning, images, audience, language and when, in Paris time."""
    response = alice_client.get(
        compose_url(creator), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5"
    )
    text = page_text(response)
    assert response.status_code == 200
    for words in (
        "Content warning",
        "Sensitive images",
        "Add an image",
        "Description (alt text)",
        "Followers only",
        "Only your followers",
        "Unlisted",
        "In Europe/Paris time",
        "Publish now",
        "Save draft",
        "Schedule",
        "500 characters left",
    ):
        assert words in text, words
    # The browser's language is the default for a first post.
    assert '<option value="de" selected>' in text


def test_the_language_of_the_last_post_is_the_next_default(alice_client, creator):
    factories.PostFactory(creator=creator, language="fr")
    response = alice_client.get(
        compose_url(creator), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"
    )
    assert '<option value="fr" selected>' in page_text(response)


def test_save_draft_keeps_the_post_and_says_so(alice_client, creator):
    response = alice_client.post(
        compose_url(creator),
        compose_data(
            body="A **bold** plan with #art",
            has_warning="on",
            summary="Spoilers",
            language="fr",
            visibility="unlisted",
        ),
        follow=True,
    )
    post = Post.objects.get(creator=creator)
    assert post.state == Post.State.DRAFT
    assert post.summary == "Spoilers"
    assert post.sensitive  # a warning hides images too
    assert post.visibility == "unlisted"
    assert post.language == "fr"
    assert "<strong>bold</strong>" in post.content_html
    assert response.redirect_chain[-1][0] == reverse(
        "posts:edit", kwargs={"pk": post.pk}
    )
    assert "Draft saved." in page_text(response)


def test_warning_text_is_dropped_when_the_toggle_is_off(alice_client, creator):
    alice_client.post(compose_url(creator), compose_data(summary="forgotten"))
    assert Post.objects.get(creator=creator).summary == ""


def test_a_warning_needs_its_text(alice_client, creator):
    response = alice_client.post(
        compose_url(creator), compose_data(has_warning="on", summary="  ")
    )
    assert response.status_code == 200
    assert "Say what the warning is about." in page_text(response)
    assert not Post.objects.exists()


def test_publish_now_goes_to_the_post_page(alice_client, creator):
    response = alice_client.post(
        compose_url(creator), compose_data(action="publish"), follow=True
    )
    post = Post.objects.get(creator=creator)
    assert post.state == Post.State.PUBLISHED
    assert post.published_at is not None
    assert response.redirect_chain[-1][0] == reverse(
        "posts:detail", kwargs={"pk": post.pk}
    )
    assert "Published." in page_text(response)


@pytest.mark.parametrize("action", ["publish", "draft", "schedule"])
def test_an_empty_post_is_refused_in_words_and_nothing_is_saved(
    alice_client, creator, action
):
    data = compose_data(body="  ", action=action)
    if action == "schedule":
        data.update(schedule_date=tomorrow_in_paris().isoformat(), schedule_time="9:00")
    response = alice_client.post(compose_url(creator), data)
    assert response.status_code == 200
    text = page_text(response)
    assert "Nothing was saved: see the notes below." in text
    assert "Write something or add an image first." in text
    assert not Post.objects.exists()


def test_publishing_an_emptied_draft_is_refused_and_keeps_its_text(
    alice_client, creator
):
    post = factories.PostFactory(
        creator=creator, body="Kept", content_html="<p>Kept</p>"
    )
    response = alice_client.post(
        reverse("posts:edit", kwargs={"pk": post.pk}),
        compose_data(body="", action="publish"),
    )
    assert response.status_code == 200
    assert "Write something or add an image first." in page_text(response)
    post.refresh_from_db()
    assert (post.state, post.body) == (Post.State.DRAFT, "Kept")


def test_an_image_alone_is_published(alice_client, creator):
    data = compose_data(body="", action="publish", **{"media-0-file": png_upload(),
                        "media-0-alt_text": "A blue square"})  # fmt: skip
    response = alice_client.post(compose_url(creator), data, follow=True)
    post = Post.objects.get(creator=creator)
    assert post.state == Post.State.PUBLISHED
    assert post.media.count() == 1
    assert "Published." in page_text(response)


def test_schedule_uses_the_creators_time_zone(alice_client, creator):
    """14:05 typed by a creator in Paris is 14:05 in Paris, whatever the server."""
    day = tomorrow_in_paris()
    response = alice_client.post(
        compose_url(creator),
        compose_data(
            action="schedule", schedule_date=day.isoformat(), schedule_time="14:05"
        ),
        follow=True,
    )
    post = Post.objects.get(creator=creator)
    assert post.state == Post.State.SCHEDULED
    assert post.scheduled_at == datetime.datetime.combine(
        day, datetime.time(14, 5), tzinfo=PARIS
    )
    weekday = f"{day:%a} {day.day} {day:%b}"
    text = page_text(response)
    assert f"Scheduled for {weekday}, 14:05 (Europe/Paris)" in text
    assert response.redirect_chain[-1][0] == reverse(
        "posts:queue", kwargs={"handle": "alice"}
    )


def test_schedule_needs_a_date_and_a_time(alice_client, creator):
    response = alice_client.post(compose_url(creator), compose_data(action="schedule"))
    text = page_text(response)
    assert response.status_code == 200
    assert "Pick the day it should go out." in text
    assert "Pick the time it should go out." in text
    assert not Post.objects.exists()


def test_a_past_time_keeps_the_draft_and_says_why(alice_client, creator):
    yesterday = tomorrow_in_paris() - datetime.timedelta(days=2)
    response = alice_client.post(
        compose_url(creator),
        compose_data(
            action="schedule",
            schedule_date=yesterday.isoformat(),
            schedule_time="09:00",
        ),
    )
    text = page_text(response)
    post = Post.objects.get(creator=creator)
    assert post.state == Post.State.DRAFT
    assert "That time has already passed." in text
    assert "was not scheduled" in text
    # The form now edits the saved draft, so nothing is created twice.
    assert reverse("posts:edit", kwargs={"pk": post.pk}) in text


def test_a_time_the_clocks_skip_is_refused(alice_client, creator):
    """02:30 on the last Sunday of March does not exist in Paris."""
    year = timezone.now().year + 1
    march_31 = datetime.date(year, 3, 31)
    last_sunday = march_31 - datetime.timedelta(days=(march_31.weekday() + 1) % 7)
    response = alice_client.post(
        compose_url(creator),
        compose_data(
            action="schedule",
            schedule_date=last_sunday.isoformat(),
            schedule_time="02:30",
        ),
    )
    assert response.status_code == 200
    assert "02:30 does not exist on that day in Europe/Paris" in page_text(response)
    assert not Post.objects.exists()


def test_too_long_a_post_is_refused_next_to_the_text(alice_client, creator):
    response = alice_client.post(compose_url(creator), compose_data(body="x" * 501))
    text = page_text(response)
    assert response.status_code == 200
    assert "At most 500 characters" in text
    assert "1 character too many" in text
    assert "Nothing was saved" in text
    assert not Post.objects.exists()


def test_an_image_with_alt_text_is_attached(alice_client, creator):
    data = compose_data(
        **{
            "media-0-file": png_upload(),
            "media-0-alt_text": "A blue square",
            "media-0-focal_x": "0.5",
            "media-0-focal_y": "-0.25",
        }
    )
    response = alice_client.post(compose_url(creator), data, follow=True)
    media = PostMedia.objects.get(post__creator=creator)
    assert media.alt_text == "A blue square"
    assert (media.focal_x, media.focal_y) == (0.5, -0.25)
    assert "no description" not in page_text(response)


def test_an_image_without_alt_text_gets_a_nudge(alice_client, creator):
    data = compose_data(**{"media-0-file": png_upload()})
    response = alice_client.post(compose_url(creator), data, follow=True)
    assert PostMedia.objects.filter(post__creator=creator).count() == 1
    assert "1 image has no description" in page_text(response)


def test_a_broken_image_is_refused_next_to_its_slot(alice_client, creator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("cat.png", b"not an image", content_type="image/png")
    response = alice_client.post(
        compose_url(creator), compose_data(**{"media-1-file": fake})
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "Nothing was saved" in text
    # The error sits in the second slot, after its file input.
    slot = text.split('id="id_media-1-file"', 1)[1].split("data-media-slot", 1)[0]
    assert 'class="errorlist"' in slot
    assert not Post.objects.exists()
    assert not PostMedia.objects.exists()


def test_half_a_focal_point_is_refused(alice_client, creator):
    data = compose_data(**{"media-0-file": png_upload(), "media-0-focal_x": "0.2"})
    response = alice_client.post(compose_url(creator), data)
    assert response.status_code == 200
    assert "Give both coordinates, or neither." in page_text(response)
    assert not Post.objects.exists()


def test_editing_a_draft_describes_and_removes_images(alice_client, creator):
    post = factories.PostFactory(creator=creator, body="With pictures")
    keep = factories.PostMediaFactory(post=post, position=0)
    drop = factories.PostMediaFactory(post=post, position=1)
    url = reverse("posts:edit", kwargs={"pk": post.pk})
    page = page_text(alice_client.get(url))
    assert "No description yet" in page
    data = compose_data(
        body="With one picture",
        **{
            "media-0-media_id": str(keep.pk),
            "media-0-alt_text": "Sunset over the sea",
            "media-1-media_id": str(drop.pk),
            "media-1-remove": "on",
        },
    )
    alice_client.post(url, data)
    post.refresh_from_db()
    assert post.body == "With one picture"
    assert list(post.media.values_list("alt_text", flat=True)) == [
        "Sunset over the sea"
    ]


def test_an_image_id_of_another_post_is_ignored(alice_client, creator, other_creator):
    post = factories.PostFactory(creator=creator)
    foreign = factories.PostMediaFactory(post__creator=other_creator, alt_text="")
    data = compose_data(**{"media-0-media_id": str(foreign.pk), "media-0-remove": "on"})
    alice_client.post(reverse("posts:edit", kwargs={"pk": post.pk}), data)
    assert PostMedia.objects.filter(pk=foreign.pk).exists()


def test_editing_a_scheduled_post_keeps_its_time(alice_client, creator):
    post = factories.PostFactory(creator=creator, scheduled=True)
    when = post.scheduled_at
    url = reverse("posts:edit", kwargs={"pk": post.pk})
    page = page_text(alice_client.get(url))
    local = when.astimezone(PARIS)
    assert f'value="{local:%Y-%m-%d}"' in page
    assert f'value="{local:%H:%M}"' in page
    response = alice_client.post(
        url, compose_data(body="Better words", action="draft"), follow=True
    )
    post.refresh_from_db()
    assert post.state == Post.State.SCHEDULED
    assert post.scheduled_at == when
    assert post.body == "Better words"
    assert "Changes saved. Scheduled for" in page_text(response)


def test_editing_a_published_post_marks_it_edited(alice_client, creator):
    post = factories.PostFactory(creator=creator, published=True, visibility="public")
    url = reverse("posts:edit", kwargs={"pk": post.pk})
    page = page_text(alice_client.get(url))
    assert "Save changes" in page
    assert "Publish now" not in page
    assert "fixed once it is out" in page
    # A disabled field keeps its value whatever is sent.
    alice_client.post(
        url,
        compose_data(body="Fixed a typo", action="save", visibility="followers"),
    )
    post.refresh_from_db()
    assert post.body == "Fixed a typo"
    assert post.visibility == "public"
    assert post.edited_at is not None


def test_deleted_posts_cannot_be_edited(alice_client, creator):
    post = factories.PostFactory(
        creator=creator, state="deleted", deleted_at=timezone.now()
    )
    response = alice_client.get(reverse("posts:edit", kwargs={"pk": post.pk}))
    assert response.status_code == 404


# Live preview ------------------------------------------------------------------


def preview(client, creator, **data):
    url = reverse("posts:preview", kwargs={"handle": creator.handle})
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_preview_renders_the_post_and_counts_like_mastodon(alice_client, creator):
    url = "https://example.com/" + "a" * 100
    response = preview(
        alice_client, creator, body=f"Hi @bob@social.example #art **now** {url}"
    )
    text = page_text(response)
    assert response.status_code == 200
    assert "<strong>now</strong>" in text
    assert 'class="u-url mention"' in text
    assert 'class="mention hashtag"' in text
    # "Hi @bob #art now " (3 + 5 + 5 + 8 with ** removed = …) the URL is 23.
    from posts.rendering import count_characters

    used = count_characters(f"Hi @bob@social.example #art **now** {url}")
    assert used < 100
    assert f"{500 - used} characters left" in text
    assert 'id="char-count"' in text and 'hx-swap-oob="true"' in text


def test_preview_shows_the_warning_and_what_is_over(alice_client, creator):
    response = preview(
        alice_client, creator, body="y" * 495, has_warning="on", summary="Long one"
    )
    text = page_text(response)
    assert "Long one" in text
    assert "3 characters too many" in text
    assert "char-count over" in text


def test_preview_escapes_what_is_typed(alice_client, creator):
    response = preview(
        alice_client,
        creator,
        body="<script>alert(1)</script>",
        has_warning="on",
        summary="<b>x</b>",
    )
    text = page_text(response)
    assert "<script>alert(1)</script>" not in text
    assert "<b>x</b>" not in text


def test_a_draft_without_a_language_starts_in_the_default_one(alice_client, creator):
    post = factories.PostFactory(creator=creator, language="")
    response = alice_client.get(
        reverse("posts:edit", kwargs={"pk": post.pk}),
        HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9",
    )
    assert '<option value="pt" selected>' in page_text(response)


def test_removing_the_only_content_of_a_scheduled_post_is_refused(
    alice_client, creator
):
    """A scheduled post with no text keeps its last image, and says why."""
    post = factories.PostFactory(creator=creator, body="", content_html="")
    image = factories.PostMediaFactory(post=post, alt_text="Only this")
    post.state = "scheduled"
    post.scheduled_at = timezone.now() + datetime.timedelta(days=1)
    post.save()
    response = alice_client.post(
        reverse("posts:edit", kwargs={"pk": post.pk}),
        compose_data(
            body="",
            **{
                "media-0-media_id": str(image.pk),
                "media-0-alt_text": "Only this",
                "media-0-remove": "on",
            },
        ),
    )
    assert response.status_code == 200
    assert "keep at least one image" in page_text(response)
    assert PostMedia.objects.filter(pk=image.pk).exists()
