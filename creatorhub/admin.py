from django.contrib import admin

from .models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the workers' heartbeat task."""

    list_display = ("hostname", "seen_at", "beats")
    search_fields = ("hostname",)
    readonly_fields = ("hostname", "seen_at", "beats")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
