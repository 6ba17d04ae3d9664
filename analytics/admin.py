from django.contrib import admin

from accounts.admin import HTTPS_URLS

from .models import (
    AgencyDigest,
    Campaign,
    CreatorDailyRollup,
    CreatorHourlyRollup,
    CreatorTotalRollup,
    InstanceDailyRollup,
    Interaction,
    PlatformDailyRollup,
    PostDailyRollup,
    Reply,
    SponsorLink,
)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = (
        "kind",
        "actor_handle",
        "creator",
        "post",
        "software",
        "occurred_at",
    )
    list_filter = ("kind", "software")
    search_fields = ("actor_handle", "actor_uri", "instance_domain", "activity_id")
    raw_id_fields = ("creator", "post")


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("ap_id", "actor_handle", "creator", "status", "published_at")
    list_filter = ("status", "software", "is_quote")
    search_fields = ("actor_handle", "ap_id", "content_html")
    raw_id_fields = ("creator", "post", "parent")


class RollupAdmin(admin.ModelAdmin):
    """Rollups are counts kept by analytics.services; admins only look
    (`manage.py rebuild_rollups` recounts them)."""

    counts = ("likes", "boosts", "reactions", "replies", "quotes")
    raw_id_fields = ("creator",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PostDailyRollup)
class PostDailyRollupAdmin(RollupAdmin):
    list_display = ("post", "creator", "day", *RollupAdmin.counts)
    date_hierarchy = "day"
    raw_id_fields = ("creator", "post")


@admin.register(CreatorHourlyRollup)
class CreatorHourlyRollupAdmin(RollupAdmin):
    list_display = ("creator", "hour", *RollupAdmin.counts, "follows", "unfollows")
    date_hierarchy = "hour"


@admin.register(CreatorDailyRollup)
class CreatorDailyRollupAdmin(RollupAdmin):
    list_display = ("creator", "day", *RollupAdmin.counts, "follows", "unfollows")
    date_hierarchy = "day"


@admin.register(PlatformDailyRollup)
class PlatformDailyRollupAdmin(RollupAdmin):
    list_display = (
        "creator",
        "day",
        "software",
        *RollupAdmin.counts,
        "follows",
        "unfollows",
    )
    list_filter = ("software",)
    date_hierarchy = "day"


@admin.register(InstanceDailyRollup)
class InstanceDailyRollupAdmin(RollupAdmin):
    list_display = (
        "creator",
        "day",
        "instance_domain",
        "software",
        *RollupAdmin.counts,
        "follows",
        "unfollows",
    )
    list_filter = ("software",)
    search_fields = ("instance_domain",)
    date_hierarchy = "day"


@admin.register(CreatorTotalRollup)
class CreatorTotalRollupAdmin(RollupAdmin):
    list_display = ("creator", *RollupAdmin.counts, "follows", "unfollows")


@admin.register(AgencyDigest)
class AgencyDigestAdmin(admin.ModelAdmin):
    """Which weekly digests went out; deleting a row lets that week's
    digest be sent again."""

    list_display = ("agency", "week_start", "recipients", "sent_at")
    list_filter = ("week_start",)
    search_fields = ("agency__name", "agency__slug")
    readonly_fields = ("agency", "week_start", "recipients", "claimed_at", "sent_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "creator", "agency", "starts_on", "ends_on")
    search_fields = ("name", "creator__handle", "agency__name")
    raw_id_fields = ("creator", "agency", "posts", "created_by")


@admin.register(SponsorLink)
class SponsorLinkAdmin(admin.ModelAdmin):
    """Links are made and revoked from the campaign's page, where the
    address is shown once; admins see when they expire and may revoke."""

    list_display = ("campaign", "label", "created_at", "expires_at", "revoked_at")
    search_fields = ("label", "campaign__name")
    raw_id_fields = ("campaign", "created_by")
