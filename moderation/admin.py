from django.contrib import admin

from . import services
from .models import DomainPolicy, Report


@admin.register(DomainPolicy)
class DomainPolicyAdmin(admin.ModelAdmin):
    list_display = ("domain", "severity", "reject_media", "updated_at")
    list_filter = ("severity", "reject_media")
    search_fields = ("domain", "public_reason")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Reports other servers sent about our creators, until the queue of
    the moderation pages takes them over."""

    list_display = ("creator", "reporter_domain", "status", "received_at", "comment")
    list_filter = ("status",)
    search_fields = ("creator__handle", "reporter_domain", "comment")
    readonly_fields = (
        "activity_id",
        "reporter_uri",
        "reporter_domain",
        "creator",
        "posts",
        "comment",
        "received_at",
        "resolved_at",
        "resolved_by",
    )
    fields = (*readonly_fields, "status", "resolution_note")
    readonly_fields += ("status",)
    actions = ["resolve"]

    def has_add_permission(self, request) -> bool:
        return False  # reports arrive from other servers

    @admin.action(description="Mark as resolved")
    def resolve(self, request, queryset):
        for report in queryset.filter(status=Report.Status.OPEN):
            services.report_resolve(report=report, by=request.user)
