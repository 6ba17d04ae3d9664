from django.contrib import admin

from .models import DomainPolicy


@admin.register(DomainPolicy)
class DomainPolicyAdmin(admin.ModelAdmin):
    list_display = ("domain", "severity", "reject_media", "updated_at")
    list_filter = ("severity", "reject_media")
    search_fields = ("domain", "public_reason")
