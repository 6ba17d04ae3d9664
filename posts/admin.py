from django.contrib import admin

from accounts.admin import HTTPS_URLS

from .models import (
    ArchiveImport,
    Hashtag,
    Mention,
    Post,
    PostAction,
    PostMedia,
    QuoteRequest,
)


class PostMediaInline(admin.TabularInline):
    model = PostMedia
    extra = 0
    fields = ("position", "file", "alt_text", "width", "height", "blurhash")
    readonly_fields = ("width", "height", "blurhash")


class MentionInline(admin.TabularInline):
    model = Mention
    formfield_overrides = HTTPS_URLS
    extra = 0


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = (
        "__str__",
        "creator",
        "state",
        "visibility",
        "scheduled_at",
        "published_at",
    )
    list_filter = ("state", "visibility")
    search_fields = ("creator__handle", "body")
    list_select_related = ("creator",)
    raw_id_fields = ("creator",)
    readonly_fields = ("content_html",)
    inlines = (PostMediaInline, MentionInline)


@admin.register(PostMedia)
class PostMediaAdmin(admin.ModelAdmin):
    list_display = ("__str__", "mime_type", "width", "height")
    raw_id_fields = ("post",)


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("handle", "post", "actor_uri")
    search_fields = ("handle", "actor_uri")
    raw_id_fields = ("post",)


@admin.register(QuoteRequest)
class QuoteRequestAdmin(admin.ModelAdmin):
    """Requests to quote creators' posts and their answers (read-only: the
    creator answers, and each answer is sent to the quoter's server)."""

    formfield_overrides = HTTPS_URLS
    list_display = ("__str__", "actor_handle", "state", "received_at", "decided_at")
    list_filter = ("state",)
    search_fields = ("actor_uri", "actor_handle", "quote_uri")
    raw_id_fields = ("post",)
    readonly_fields = ("state", "reason", "decided_at")


@admin.register(Hashtag)
class HashtagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(PostAction)
class PostActionAdmin(admin.ModelAdmin):
    """What agency members did for creators (read-only: written by
    posts.services as it happens, like the audit log)."""

    list_display = ("created_at", "creator", "by_label", "agency_label", "action")
    list_filter = ("action",)
    search_fields = ("creator__handle", "by_label", "agency_label", "post_label")
    list_select_related = ("creator",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ArchiveImport)
class ArchiveImportAdmin(admin.ModelAdmin):
    """Mastodon archives creators imported (posts.archive), read-only: how
    far each got and what came of it."""

    list_display = ("created_at", "creator", "state", "done_items", "total_items")
    list_filter = ("state",)
    search_fields = ("creator__handle", "original_name")
    list_select_related = ("creator",)
    exclude = ("archive",)  # the creator's direct messages are in it

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
