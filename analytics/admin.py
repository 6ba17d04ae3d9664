from django.contrib import admin

from .models import Interaction, Reply


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
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
    list_display = ("ap_id", "actor_handle", "creator", "status", "published_at")
    list_filter = ("status", "software", "is_quote")
    search_fields = ("actor_handle", "ap_id", "content_html")
    raw_id_fields = ("creator", "post", "parent")
