from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from . import services
from .models import ActorBlock, AuditEntry, DomainPolicy, Report, ScreeningRules


@admin.register(DomainPolicy)
class DomainPolicyAdmin(admin.ModelAdmin):
    """Until the moderation pages take over. Changes made here go through
    the services, so they are logged and take effect (followers dropped,
    deliveries given up) like any other."""

    list_display = (
        "domain",
        "severity",
        "reject_media",
        "reject_reports",
        "updated_at",
    )
    list_filter = ("severity", "reject_media", "reject_reports")
    search_fields = ("domain", "public_reason")

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in services.POLICY_FIELDS}
        saved = services.domain_policy_save(
            domain=obj.domain, by=request.user, reason="in the admin", **values
        )
        obj.pk, obj.domain = saved.pk, saved.domain

    def delete_model(self, request, obj):
        services.domain_policy_delete(
            policy=obj, by=request.user, reason="in the admin"
        )

    def delete_queryset(self, request, queryset):
        for policy in queryset:
            self.delete_model(request, policy)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Reports on our creators from other servers and reports creators filed,
    until the queue of the moderation pages takes them over."""

    list_display = (
        "creator",
        "source",
        "server",
        "status",
        "action",
        "received_at",
        "comment",
    )
    list_filter = ("status", "source", "action")
    search_fields = (
        "creator__handle",
        "reporter_domain",
        "target_domain",
        "target_handle",
        "comment",
    )
    readonly_fields = (
        "source",
        "activity_id",
        "reporter_uri",
        "reporter_domain",
        "reported_by",
        "creator",
        "target_actor_uri",
        "target_handle",
        "target_domain",
        "posts",
        "replies",
        "comment",
        "forwarded_at",
        "received_at",
        "resolved_at",
        "resolved_by",
        "status",
        "action",
    )
    fields = (*readonly_fields, "resolution_note")
    actions = ["resolve"]

    def has_add_permission(self, request) -> bool:
        return False  # filed by creators or received from other servers

    @admin.action(description="Mark as resolved (no action)")
    def resolve(self, request, queryset):
        for report in queryset.filter(status=Report.Status.OPEN):
            try:
                services.report_resolve(report=report, by=request.user)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, str(exc), messages.ERROR)


@admin.register(ScreeningRules)
class ScreeningRulesAdmin(admin.ModelAdmin):
    list_display = ("__str__", "hold_all", "hold_first_time", "updated_at")
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request) -> bool:
        return False  # through services.screening_rules_update (validated)

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ActorBlock)
class ActorBlockAdmin(admin.ModelAdmin):
    list_display = ("creator", "actor_handle", "actor_uri", "domain", "created_at")
    search_fields = ("creator__handle", "actor_uri", "actor_handle", "domain")

    def has_add_permission(self, request) -> bool:
        return False  # blocks send a Block: services.actor_block

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # lifting one sends Undo(Block): services.actor_unblock


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The moderation log: read only, as it must stay."""

    list_display = ("created_at", "by_label", "action", "target_label", "reason")
    list_filter = ("action", "target_type")
    search_fields = ("by_label", "target_id", "target_label", "reason")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
