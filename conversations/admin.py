from django.contrib import admin

from conversations.models import Conversation


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Read-only: assignments and done marks are the team's, made in the
    reply inbox."""

    list_display = ("reply", "assigned_to", "assigned_at", "done_at", "done_by")
    list_select_related = ("reply", "assigned_to", "done_by")
    raw_id_fields = ("reply", "assigned_to", "assigned_by", "done_by")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
