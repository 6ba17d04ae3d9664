"""Images on posts: re-encoded without EXIF, capped, measured, blurhashed."""

import io

import blurhash
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from posts import services
from posts.models import Post, PostMedia
from posts.services import PostInput
from tests import factories
from tests.posts.conftest import GPS_IFD, image_upload, jpeg_with_gps

pytestmark = pytest.mark.django_db


def small_jpeg(color=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), color).save(out, format="JPEG")
    return out.getvalue()


def attach(post, data=None, **kwargs) -> PostMedia:
    return services.post_attach_media(
        post=post,
        by=post.creator.user,
        upload=image_upload(data if data is not None else small_jpeg()),
        **kwargs,
    )


def stored_bytes(item: PostMedia) -> bytes:
    with default_storage.open(item.file.name) as stored:
        return stored.read()


@pytest.fixture
def post(creator):
    return factories.PostFactory(creator=creator)


def test_gps_and_camera_exif_are_gone_from_the_stored_image(post):
    with Image.open(io.BytesIO(jpeg_with_gps())) as original:
        assert original.getexif().get_ifd(GPS_IFD)[1] == "N"  # the fixture has GPS

    item = attach(post, jpeg_with_gps(), alt_text="A red square")

    data = stored_bytes(item)
    assert b"PhoneMaker" not in data
    assert b"Exif" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert not stored.getexif()
        assert not stored.getexif().get_ifd(GPS_IFD)
        assert stored.size == (1200, 800)
    assert (item.width, item.height) == (1200, 800)
    assert item.mime_type == "image/jpeg"
    assert item.alt_text == "A red square"


def test_the_blurhash_is_a_valid_hash_of_the_image(post):
    item = attach(post, jpeg_with_gps(color=(200, 30, 30)))
    assert len(item.blurhash) == 36  # 4×4 components, as Mastodon makes them
    assert blurhash.components(item.blurhash) == (4, 4)
    red, green, blue = blurhash.decode(item.blurhash, 4, 4)[0][0]
    assert red > 150 and green < 80 and blue < 80


def test_a_transparent_png_stays_a_png_with_a_blurhash(post):
    out = io.BytesIO()
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(out, format="PNG")
    item = attach(post, out.getvalue())
    assert item.mime_type == "image/png"
    assert item.file.name.endswith(".png")
    # Transparent reads as white.
    assert min(blurhash.decode(item.blurhash, 2, 2)[0][0]) > 240


def test_a_big_image_is_shrunk_keeping_its_shape(post):
    out = io.BytesIO()
    Image.new("RGB", (4000, 1000), (1, 2, 3)).save(out, format="JPEG")
    item = attach(post, out.getvalue())
    assert (item.width, item.height) == (2560, 640)


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_stored(post, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError) as excinfo:
        attach(post, jpeg_with_gps())
    assert "too large" in excinfo.value.message_dict["file"][0]
    assert not PostMedia.objects.exists()


def test_a_file_that_is_not_an_image_is_refused(post):
    with pytest.raises(ValidationError) as excinfo:
        attach(post, b"<?php system($_GET['c']); ?>")
    assert "file" in excinfo.value.message_dict
    assert not PostMedia.objects.exists()


def test_four_images_and_no_fifth(post):
    items = [attach(post) for _ in range(4)]
    assert [item.position for item in items] == [0, 1, 2, 3]
    with pytest.raises(ValidationError) as excinfo:
        attach(post)
    assert excinfo.value.message_dict["file"] == ["A post has at most 4 images."]
    assert post.media.count() == 4


def test_alt_text_is_limited_to_1500_characters(post):
    attach(post, alt_text="a" * 1500)
    with pytest.raises(ValidationError) as excinfo:
        attach(post, alt_text="a" * 1501)
    assert "alt_text" in excinfo.value.message_dict


def test_a_focal_point_is_stored_when_inside_minus_one_to_one(post):
    item = attach(post, focal_point=(-0.5, 1))
    assert (item.focal_x, item.focal_y) == (-0.5, 1.0)
    for bad in [(1.5, 0), (0, -2), ("a", 0), (0,), (float("nan"), 0)]:
        with pytest.raises(ValidationError) as excinfo:
            attach(post, focal_point=bad)
        assert "focal_point" in excinfo.value.message_dict


def test_describing_an_image_keeps_the_focal_point_unless_given(post):
    item = attach(post, alt_text="old", focal_point=(0.2, 0.3))
    item = services.post_describe_media(
        media=item, by=post.creator.user, alt_text="new"
    )
    assert (item.alt_text, item.focal_x, item.focal_y) == ("new", 0.2, 0.3)
    item = services.post_describe_media(
        media=item, by=post.creator.user, alt_text="new", focal_point=(0, 0)
    )
    item.refresh_from_db()
    assert (item.focal_x, item.focal_y) == (0, 0)


def test_removing_an_image_renumbers_the_rest_and_deletes_its_file(
    post, django_capture_on_commit_callbacks
):
    items = [attach(post) for _ in range(3)]
    name = items[0].file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.post_remove_media(media=items[0], by=post.creator.user)
    assert not default_storage.exists(name)
    assert list(post.media.values_list("pk", "position")) == [
        (items[1].pk, 0),
        (items[2].pk, 1),
    ]


def test_an_image_only_post_can_be_published(creator):
    post = factories.PostFactory(creator=creator, body="")
    attach(post)
    post = services.post_publish(post=post, by=creator.user)
    assert post.state == Post.State.PUBLISHED


def test_the_last_image_of_a_published_post_without_text_stays(creator):
    post = factories.PostFactory(creator=creator, body="", published=True)
    item = attach(post)
    with pytest.raises(ValidationError):
        services.post_remove_media(media=item, by=creator.user)
    assert post.media.count() == 1


def test_media_changes_on_a_published_post_are_edits(
    creator, sent_events, django_capture_on_commit_callbacks
):
    post = factories.PostFactory(creator=creator, published=True)
    with django_capture_on_commit_callbacks(execute=True):
        item = attach(post)
        services.post_describe_media(media=item, by=creator.user, alt_text="A cat")
        services.post_describe_media(media=item, by=creator.user, alt_text="A cat")
        services.post_remove_media(media=item, by=creator.user)
    post.refresh_from_db()
    assert post.edited_at is not None
    # The unchanged description sent nothing.
    assert sent_events.names() == ["edited", "edited", "edited"]


def test_draft_media_changes_send_nothing(
    post, sent_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = attach(post)
        services.post_describe_media(media=item, by=post.creator.user, alt_text="x")
    assert sent_events.sent == []


def test_deleting_a_published_post_removes_its_image_files(
    creator, django_capture_on_commit_callbacks
):
    post = factories.PostFactory(creator=creator, published=True)
    name = attach(post).file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.post_delete(post=post, by=creator.user)
    assert not default_storage.exists(name)
    assert not PostMedia.objects.exists()


def test_no_images_on_a_deleted_post(creator):
    post = factories.PostFactory(creator=creator, published=True)
    services.post_delete(post=post, by=creator.user)
    with pytest.raises(ValidationError):
        attach(post)


def test_another_creator_cannot_attach(post, other_creator):
    with pytest.raises(services.PermissionDenied):
        services.post_attach_media(
            post=post, by=other_creator.user, upload=image_upload(small_jpeg())
        )
    assert not PostMedia.objects.exists()


def test_saving_text_keeps_the_images(post):
    attach(post)
    services.post_save_draft(
        creator=post.creator,
        by=post.creator.user,
        data=PostInput(body="new"),
        post=post,
    )
    assert post.media.count() == 1
