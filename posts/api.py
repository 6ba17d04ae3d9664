"""REST API (/api/v1/): a creator's posts, their media, schedule and pins.

One APIView per operation, as in accounts.api. Reading needs the right to
view the creator (accounts.permissions): anything else answers 404. Changes
go through posts.services, which asks accounts.permissions what the user
may do for the creator (can_draft_for, can_publish_for, ...): a reader
without the scope gets 403. Agency members send posts for approval; only
the creator approves them, naming the version they read.
"""

import dataclasses
import zoneinfo

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts import permissions
from accounts.api import ApiView, ListApiView, error_responses
from accounts.models import QuotePolicy, ReplyPolicy

from . import selectors, services
from .forms import default_language
from .media import ALT_TEXT_MAX_LENGTH
from .models import Post, PostMedia, QuoteState
from .rendering import POST_MAX_CHARACTERS, render_post_body


def _service_call(function, **kwargs):
    """Call a service; its ValidationError becomes a 400 with field errors."""
    try:
        return function(**kwargs)
    except DjangoValidationError as exc:
        detail = serializers.as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        raise serializers.ValidationError(detail) from exc


# Serializers ---------------------------------------------------------------


class CreatorLocalDateTimeField(serializers.DateTimeField):
    """A date and time; one without an offset is read in the creator's zone."""

    def default_timezone(self):
        name = self.context.get("time_zone")
        return zoneinfo.ZoneInfo(name) if name else super().default_timezone()


class PostMediaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    mime_type = serializers.CharField()
    alt_text = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    blurhash = serializers.CharField()
    focal_point = serializers.SerializerMethodField(
        help_text="[x, y], each -1..1 (0, 0 is the centre), or null."
    )
    position = serializers.IntegerField()

    class Meta:
        ref_name = "PostMedia"

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, item: PostMedia) -> str:
        request = self.context.get("request")
        url = item.file.url
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(
        serializers.ListField(
            child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True
        )
    )
    def get_focal_point(self, item: PostMedia) -> list[float] | None:
        if item.focal_x is None or item.focal_y is None:
            return None
        return [item.focal_x, item.focal_y]


class PostSerializer(serializers.Serializer):
    """A post as the API shows it."""

    id = serializers.IntegerField()
    creator = serializers.CharField(source="creator.handle")
    state = serializers.ChoiceField(choices=Post.State.choices)
    visibility = serializers.ChoiceField(choices=Post.Visibility.choices)
    body = serializers.CharField(help_text="What the creator typed (Markdown-light).")
    content_html = serializers.SerializerMethodField(
        help_text="The body rendered to safe HTML; a mention links to the "
        "profile its server gave once federation has resolved it."
    )
    summary = serializers.CharField(help_text="Content warning.")
    sensitive = serializers.BooleanField()
    language = serializers.CharField()
    in_reply_to_uri = serializers.CharField()
    mentions = serializers.SerializerMethodField(
        help_text="Addresses (user@domain) the post is addressed to."
    )
    hashtags = serializers.SerializerMethodField(help_text="Tag names, lower case.")
    media = PostMediaSerializer(many=True, source="media.all")
    scheduled_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    published_late_by_seconds = serializers.SerializerMethodField(
        help_text="How late a scheduled post went out (workers were down), "
        "or null when it went out on time."
    )
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True)
    pinned_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField(
        help_text="Counts changes; approving names the version read."
    )
    author = serializers.CharField(
        source="author.username", allow_null=True, default=None
    )
    approval_requested_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was last sent for approval."
    )
    approval_comment = serializers.CharField(
        help_text="The creator's words when they sent it back."
    )
    quote_policy = serializers.ChoiceField(
        choices=QuotePolicy.choices, help_text="Who may quote it (canQuote)."
    )
    reply_policy = serializers.ChoiceField(
        choices=ReplyPolicy.choices,
        help_text="Whose replies it takes (canReply); the others wait for review.",
    )
    quote_of = serializers.CharField(
        help_text="The ActivityPub id of the remote post it quotes; empty for none."
    )
    quote_url = serializers.CharField(
        help_text="The quoted post's page, for people; empty for none."
    )
    quote_author = serializers.CharField(
        source="quote_author_handle", help_text="Who wrote it (@user@server)."
    )
    quote_state = serializers.ChoiceField(
        choices=QuoteState.choices,
        allow_blank=True,
        help_text="pending: its author is asked (when the post goes out) and has "
        "not answered; accepted; refused: the post went out with a plain link "
        "instead; revoked: the author allowed it, then withdrew permission, so "
        "the post was sent again as a plain link; link: its server does not ask "
        "for consent, so the post carries a link only. Empty when it quotes "
        "nothing.",
    )
    quote_note = serializers.CharField(
        help_text="What happened to the quote, in words for the creator."
    )

    class Meta:
        ref_name = "Post"

    def get_content_html(self, post: Post) -> str:
        resolved = {
            m.handle: m.profile_url for m in post.mentions.all() if m.profile_url
        }
        if not resolved:
            return post.content_html
        return render_post_body(post.body, profile_urls=resolved).html

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_mentions(self, post: Post) -> list[str]:
        return [m.handle for m in sorted(post.mentions.all(), key=lambda m: m.pk)]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_hashtags(self, post: Post) -> list[str]:
        return [tag.name for tag in post.hashtags.all()]

    def get_published_late_by_seconds(self, post: Post) -> int | None:
        late = post.published_late_by
        return None if late is None else int(late.total_seconds())


class PostWriteSerializer(serializers.Serializer):
    """The writable fields of a post; left out means empty (create) or
    unchanged (PATCH)."""

    body = serializers.CharField(
        allow_blank=True,
        required=False,
        trim_whitespace=False,
        help_text=f"Markdown-light text; at most {POST_MAX_CHARACTERS} characters "
        "with the content warning, counted as Mastodon does (a link counts 23, "
        "a mention only its @user part).",
    )
    summary = serializers.CharField(
        allow_blank=True, required=False, help_text="Content warning."
    )
    sensitive = serializers.BooleanField(required=False)
    language = serializers.CharField(
        allow_blank=True, required=False, help_text="A language code: en, pt-BR."
    )
    visibility = serializers.ChoiceField(
        choices=Post.Visibility.choices,
        required=False,
        help_text="Cannot change once the post is published.",
    )
    in_reply_to_uri = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text="The ActivityPub id of the remote post this answers.",
    )
    extra_mentions = serializers.ListField(
        child=serializers.CharField(max_length=320),
        required=False,
        max_length=50,
        help_text="Addresses (user@domain) to address even if the body does not "
        "name them.",
    )
    quote_policy = serializers.ChoiceField(
        choices=QuotePolicy.choices,
        required=False,
        help_text="Who may quote it; left out, the creator's default.",
    )
    reply_policy = serializers.ChoiceField(
        choices=ReplyPolicy.choices,
        required=False,
        help_text="Whose replies it takes; left out, the creator's default.",
    )
    quote_of = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=500,
        help_text="The address of a remote post to quote (FEP-044f). It is "
        "fetched and checked at once: a post that is not public, or whose "
        "author does not allow you to quote it, is a 400 and nothing is saved. "
        "Its author is asked when the post goes out. Empty quotes nothing; "
        "cannot change once the post is published.",
    )

    class Meta:
        ref_name = "PostWrite"


def _post_input(validated: dict, base: services.PostInput) -> services.PostInput:
    fields = {
        name: value
        for name, value in validated.items()
        if name in {f.name for f in dataclasses.fields(services.PostInput)}
    }
    if "extra_mentions" in fields:
        fields["extra_mentions"] = tuple(fields["extra_mentions"])
    return dataclasses.replace(base, **fields)


def _visible_post(request, pk: int) -> Post:
    return selectors.post_get_visible(user=request.user, pk=pk)


def _fresh(request, post: Post) -> Post:
    """The post again with its related rows, as the output shows them."""
    return selectors.post_get_visible(user=request.user, pk=post.pk)


# Posts of a creator ----------------------------------------------------------


class CreatorPostListView(ListApiView):
    """List a creator's posts, or write a new one."""

    class InputSerializer(PostWriteSerializer):
        publish = serializers.BooleanField(
            required=False, default=False, help_text="Publish at once."
        )
        publish_at = CreatorLocalDateTimeField(
            required=False,
            allow_null=True,
            help_text="Schedule for this time. Without an offset it is read in "
            "the creator's time zone.",
        )

        class Meta:
            ref_name = "PostCreate"

        def validate(self, attrs):
            if attrs.get("publish") and attrs.get("publish_at"):
                raise serializers.ValidationError(
                    "Either publish now or give publish_at, not both."
                )
            return attrs

    OutputSerializer = PostSerializer

    @extend_schema(
        operation_id="creators_posts_list",
        summary="A creator's posts, newest first",
        parameters=[
            OpenApiParameter(
                "state",
                str,
                many=True,
                enum=Post.State.values,
                description="Only posts in these states (repeat or separate "
                "with commas). Default: every state but deleted.",
            )
        ],
        responses={200: OutputSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def get(self, request, handle: str):
        creator = permissions.get_visible_creator_or_404(request.user, handle)
        states = [
            state
            for value in request.query_params.getlist("state")
            for state in value.split(",")
            if state
        ]
        unknown = sorted(set(states) - set(Post.State.values))
        if unknown:
            raise serializers.ValidationError(
                {"state": [f"Unknown state: {', '.join(unknown)}."]}
            )
        posts = selectors.posts_of_creator(creator=creator, states=states or None)
        return self.paginated_response(posts, self.OutputSerializer)

    @extend_schema(
        operation_id="creators_posts_create",
        summary="Write a draft; publish it or schedule it at once if asked",
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, handle: str):
        creator = permissions.get_visible_creator_or_404(request.user, handle)
        serializer = self.InputSerializer(
            data=request.data, context={"time_zone": creator.time_zone}
        )
        serializer.is_valid(raise_exception=True)
        # Left out, the language is the one the compose form starts in.
        language = default_language(
            creator=creator,
            accept_language=request.headers.get("Accept-Language", ""),
        )
        data = _post_input(
            serializer.validated_data, services.PostInput(body="", language=language)
        )
        publish_at = serializer.validated_data.get("publish_at")
        # All or nothing: a post that cannot be published is not kept as a
        # draft behind the client's back.
        with transaction.atomic():
            post = _service_call(
                services.post_save_draft, creator=creator, by=request.user, data=data
            )
            if serializer.validated_data["publish"]:
                post = _service_call(services.post_publish, post=post, by=request.user)
            elif publish_at:
                post = _service_call(
                    services.post_schedule,
                    post=post,
                    by=request.user,
                    publish_at=publish_at,
                )
        output = self.OutputSerializer(
            _fresh(request, post), context={"request": request}
        )
        return Response(output.data, status=status.HTTP_201_CREATED)


# One post --------------------------------------------------------------------


class PostDetailView(ApiView):
    """Read, change or delete one post."""

    InputSerializer = PostWriteSerializer
    OutputSerializer = PostSerializer

    @extend_schema(
        operation_id="posts_retrieve",
        summary="One post",
        responses={200: OutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request, pk: int):
        post = _visible_post(request, pk)
        return Response(self.OutputSerializer(post, context={"request": request}).data)

    @extend_schema(
        operation_id="posts_partial_update",
        summary="Change a post; a published one keeps its audience",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, pk: int):
        post = _visible_post(request, pk)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = _post_input(serializer.validated_data, services.post_input_from(post))
        post = _service_call(services.post_edit, post=post, by=request.user, data=data)
        output = self.OutputSerializer(
            _fresh(request, post), context={"request": request}
        )
        return Response(output.data)

    @extend_schema(
        operation_id="posts_destroy",
        summary="Delete a post",
        description="A published post is kept as deleted (remote servers are "
        "told to drop it); a draft or scheduled post is removed.",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, pk: int):
        post = _visible_post(request, pk)
        _service_call(services.post_delete, post=post, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _PostActionView(ApiView):
    """POST with no body that calls one service on the post."""

    OutputSerializer = PostSerializer
    service = None

    def post(self, request, pk: int):
        post = _visible_post(request, pk)
        post = _service_call(type(self).service, post=post, by=request.user)
        output = self.OutputSerializer(
            _fresh(request, post), context={"request": request}
        )
        return Response(output.data)


def _action_schema(operation_id: str, summary: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=None,
        responses={200: PostSerializer, **error_responses(400, 401, 403, 404)},
    )


class PostPublishView(_PostActionView):
    service = services.post_publish

    @_action_schema("posts_publish", "Publish a draft or scheduled post now")
    def post(self, request, pk: int):
        return super().post(request, pk)


class PostUnscheduleView(_PostActionView):
    service = services.post_unschedule

    @_action_schema("posts_unschedule", "Take a scheduled post back to drafts")
    def post(self, request, pk: int):
        return super().post(request, pk)


class PostPinView(_PostActionView):
    service = services.post_pin

    @_action_schema("posts_pin", "Pin a published post to the profile (5 at most)")
    def post(self, request, pk: int):
        return super().post(request, pk)


class PostUnpinView(_PostActionView):
    service = services.post_unpin

    @_action_schema("posts_unpin", "Unpin a post")
    def post(self, request, pk: int):
        return super().post(request, pk)


class PostScheduleView(ApiView):
    """Schedule a draft, or move a scheduled post to another time."""

    class InputSerializer(serializers.Serializer):
        publish_at = CreatorLocalDateTimeField(
            help_text="When to publish. Without an offset it is read in the "
            "creator's time zone. At most a minute in the past."
        )

        class Meta:
            ref_name = "PostSchedule"

    OutputSerializer = PostSerializer

    @extend_schema(
        operation_id="posts_schedule",
        summary="Schedule a post",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk: int):
        post = _visible_post(request, pk)
        serializer = self.InputSerializer(
            data=request.data, context={"time_zone": post.creator.time_zone}
        )
        serializer.is_valid(raise_exception=True)
        post = _service_call(
            services.post_schedule,
            post=post,
            by=request.user,
            publish_at=serializer.validated_data["publish_at"],
        )
        output = self.OutputSerializer(
            _fresh(request, post), context={"request": request}
        )
        return Response(output.data)


# Approval --------------------------------------------------------------------


class PostSubmitView(ApiView):
    """Send a draft to the creator for approval (the draft posts scope)."""

    class InputSerializer(serializers.Serializer):
        publish_at = CreatorLocalDateTimeField(
            required=False,
            allow_null=True,
            help_text="When it goes out once approved; null or absent: as "
            "soon as it is approved. Without an offset it is read in the "
            "creator's time zone.",
        )

        class Meta:
            ref_name = "PostSubmit"

    OutputSerializer = PostSerializer

    @extend_schema(
        operation_id="posts_submit",
        summary="Send a post to the creator for approval",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk: int):
        post = _visible_post(request, pk)
        serializer = self.InputSerializer(
            data=request.data, context={"time_zone": post.creator.time_zone}
        )
        serializer.is_valid(raise_exception=True)
        post = _service_call(
            services.post_submit_for_approval,
            post=post,
            by=request.user,
            publish_at=serializer.validated_data.get("publish_at"),
        )
        output = self.OutputSerializer(
            _fresh(request, post), context={"request": request}
        )
        return Response(output.data)


class PostApproveView(ApiView):
    """The creator approves the version they read; a later one is refused."""

    class InputSerializer(serializers.Serializer):
        version = serializers.IntegerField(
            help_text="The post's version as read (GET /posts/{id}). If it "
            "changed since, the answer is 400 and nothing goes out."
        )

        class Meta:
            ref_name = "PostApprove"

    OutputSerializer = PostSerializer

    @extend_schema(
        operation_id="posts_approve",
        summary="Approve a post written for the creator",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk: int):
        post = _visible_post(request, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = _service_call(
            services.post_approve,
            post=post,
            by=request.user,
            version=serializer.validated_data["version"],
        )
        output = self.OutputSerializer(
            _fresh(request, post), context={"request": request}
        )
        return Response(output.data)


class PostSendBackView(ApiView):
    """The creator returns a post to its writer with a comment."""

    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(max_length=2000)

        class Meta:
            ref_name = "PostSendBack"

    OutputSerializer = PostSerializer

    @extend_schema(
        operation_id="posts_send_back",
        summary="Send a post back to its writer, saying what should change",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk: int):
        post = _visible_post(request, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = _service_call(
            services.post_send_back,
            post=post,
            by=request.user,
            comment=serializer.validated_data["comment"],
        )
        output = self.OutputSerializer(
            _fresh(request, post), context={"request": request}
        )
        return Response(output.data)


# Media -----------------------------------------------------------------------


class FocalPointInputMixin(serializers.Serializer):
    focal_x = serializers.FloatField(required=False, min_value=-1, max_value=1)
    focal_y = serializers.FloatField(required=False, min_value=-1, max_value=1)

    def validate(self, attrs):
        if ("focal_x" in attrs) != ("focal_y" in attrs):
            raise serializers.ValidationError("Give both focal_x and focal_y.")
        return attrs

    @staticmethod
    def focal_point(attrs) -> tuple[float, float] | None:
        if "focal_x" not in attrs:
            return None
        return attrs["focal_x"], attrs["focal_y"]


class PostMediaUploadView(ApiView):
    """Attach an image to a post (4 at most)."""

    parser_classes = [MultiPartParser]

    class InputSerializer(FocalPointInputMixin):
        file = serializers.FileField(
            help_text="JPEG, PNG, GIF or WebP. Re-encoded; EXIF (location "
            "included) is removed."
        )
        alt_text = serializers.CharField(
            allow_blank=True,
            required=False,
            default="",
            help_text=f"Describe the image, at most {ALT_TEXT_MAX_LENGTH} characters.",
        )

        class Meta:
            ref_name = "PostMediaUpload"

    OutputSerializer = PostMediaSerializer

    @extend_schema(
        operation_id="posts_media_create",
        summary="Attach an image",
        request={"multipart/form-data": InputSerializer},
        responses={201: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk: int):
        post = _visible_post(request, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attrs = serializer.validated_data
        item = _service_call(
            services.post_attach_media,
            post=post,
            by=request.user,
            upload=attrs["file"],
            alt_text=attrs["alt_text"],
            focal_point=self.InputSerializer.focal_point(attrs),
        )
        output = self.OutputSerializer(item, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)


class PostMediaDetailView(ApiView):
    """Describe or remove one image of a post."""

    class InputSerializer(FocalPointInputMixin):
        alt_text = serializers.CharField(allow_blank=True, required=False)

        class Meta:
            ref_name = "PostMediaUpdate"

    OutputSerializer = PostMediaSerializer

    def _media(self, request, pk: int, media_pk: int) -> PostMedia:
        post = _visible_post(request, pk)
        item = next((m for m in post.media.all() if m.pk == media_pk), None)
        if item is None:
            raise Http404("No such image.")
        return item

    @extend_schema(
        operation_id="posts_media_partial_update",
        summary="Change an image's alt text or focal point",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, pk: int, media_pk: int):
        item = self._media(request, pk, media_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attrs = serializer.validated_data
        item = _service_call(
            services.post_describe_media,
            media=item,
            by=request.user,
            alt_text=attrs.get("alt_text", item.alt_text),
            focal_point=self.InputSerializer.focal_point(attrs),
        )
        return Response(self.OutputSerializer(item, context={"request": request}).data)

    @extend_schema(
        operation_id="posts_media_destroy",
        summary="Remove an image",
        responses={204: None, **error_responses(400, 401, 403, 404)},
    )
    def delete(self, request, pk: int, media_pk: int):
        item = self._media(request, pk, media_pk)
        _service_call(services.post_remove_media, media=item, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
