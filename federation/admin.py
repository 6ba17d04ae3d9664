from django.contrib import admin

from accounts.admin import HTTPS_URLS
from federation.inbound.process_actors import HANDLED_TYPES
from federation.models import (
    ActorKey,
    Delivery,
    EarlyCancellation,
    InboundActivity,
    OutboundActivity,
    OutboxJob,
    RemoteActor,
    RemoteInstance,
    RemoteTombstone,
)


@admin.register(ActorKey)
class ActorKeyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "creator", "is_instance_key", "created_at")
    # The encrypted private key is never shown or edited here.
    fields = ("creator", "is_instance_key", "public_key_pem", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(RemoteInstance)
class RemoteInstanceAdmin(admin.ModelAdmin):
    list_display = (
        "domain",
        "software",
        "software_version",
        "last_heard_from_at",
        "unavailable_since",
        "inbox_limited_at",
        "limited_today",
        "signature_standard",
    )
    list_filter = ("software", "signature_standard")
    search_fields = ("domain", "software_name")
    # signature_standard stays editable: set back to "unknown", a server is
    # sent draft-cavage until it signs to us with RFC 9421 again.
    readonly_fields = (
        "inbox_limited_at",
        "inbox_limited_times",
        "signature_standard_learned_at",
    )

    @admin.display(description="inbox limited today (minutes)")
    def limited_today(self, instance: RemoteInstance) -> int:
        return instance.inbox_limited_today()


@admin.register(RemoteActor)
class RemoteActorAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("handle", "display_name", "instance", "last_fetched_at", "gone_at")
    search_fields = ("ap_id", "username", "display_name")
    list_select_related = ("instance",)
    raw_id_fields = ("instance",)


@admin.register(OutboundActivity)
class OutboundActivityAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("activity_type", "creator", "ap_id", "created_at", "fanned_out_at")
    list_filter = ("activity_type",)
    search_fields = ("ap_id", "creator__handle")
    readonly_fields = ("ap_id", "creator", "activity_type", "payload", "created_at")
    raw_id_fields = ("post",)


@admin.register(OutboxJob)
class OutboxJobAdmin(admin.ModelAdmin):
    """Work recorded for the network: pending rows with no "enqueued" time
    mean the broker has not taken them (federation.outbound.outbox)."""

    list_display = (
        "action",
        "state",
        "post",
        "created_at",
        "enqueued_at",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("state", "action")
    readonly_fields = ("action", "arguments", "post", "created_at", "done_at")
    raw_id_fields = ("post",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("activity", "host", "state", "attempts", "next_attempt_at")
    list_filter = ("state",)
    search_fields = ("inbox_url", "host", "activity__ap_id")
    raw_id_fields = ("activity",)


class ActivityTypeFilter(admin.SimpleListFilter):
    """The types the inbox acts on, listed without reading the log (the
    default filter asks the table for its distinct values, on every page)."""

    title = "activity type"
    parameter_name = "type"
    HANDLED = sorted(HANDLED_TYPES)

    def lookups(self, request, model_admin):
        return [(name, name) for name in self.HANDLED] + [("other", "Anything else")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "other":
            return queryset.exclude(activity_type__in=self.HANDLED)
        if value in self.HANDLED:
            return queryset.filter(activity_type=value)
        return queryset


@admin.register(InboundActivity)
class InboundActivityAdmin(admin.ModelAdmin):
    list_display = ("activity_type", "actor_uri", "state", "verified", "received_at")
    list_filter = ("state", ActivityTypeFilter, "verified")
    # A log of millions of rows: count it once a page, not twice.
    show_full_result_count = False
    search_fields = ("ap_id", "actor_uri")
    # What a remote server sent is evidence: shown, never edited.
    readonly_fields = (
        "ap_id",
        "activity_type",
        "actor_uri",
        "payload",
        "key_id",
        "verified",
        "inbox_handle",
        "received_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(RemoteTombstone)
class RemoteTombstoneAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("ap_id", "actor_uri", "deleted_at")
    search_fields = ("ap_id", "actor_uri")


@admin.register(EarlyCancellation)
class EarlyCancellationAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("target_id", "actor_uri", "created_at")
    search_fields = ("target_id", "actor_uri")
