from django.contrib import admin

from accounts.admin import HTTPS_URLS
from followers.models import Follow


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("actor", "creator", "state", "created_at", "accepted_at")
    list_filter = ("state",)
    search_fields = ("creator__handle", "actor__username", "actor__ap_id")
    raw_id_fields = ("creator", "actor")
