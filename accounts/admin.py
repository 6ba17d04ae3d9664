from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

from .models import (
    Agency,
    AgencyAccess,
    AgencyMembership,
    ApiToken,
    CreatorProfile,
    ProfileLink,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "email")
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


# Django 6 assumes https for URLs typed without a scheme; do so already.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class ProfileLinkInline(admin.TabularInline):
    model = ProfileLink
    extra = 0
    formfield_overrides = HTTPS_URLS


@admin.register(CreatorProfile)
class CreatorProfileAdmin(admin.ModelAdmin):
    list_display = ("handle", "display_name", "user", "share_to_fediverse")
    list_filter = ("share_to_fediverse", "approve_followers_manually")
    search_fields = ("handle", "display_name", "user__username", "user__email")
    readonly_fields = ("handle", "created_at", "updated_at")
    inlines = [ProfileLinkInline]


class MembershipInline(admin.TabularInline):
    model = AgencyMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    inlines = [MembershipInline]


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "agency__name")


@admin.register(AgencyAccess)
class AgencyAccessAdmin(admin.ModelAdmin):
    list_display = (
        "creator",
        "agency",
        "allow_post_management",
        "granted_at",
        "revoked_at",
    )
    list_filter = ("allow_post_management",)
    search_fields = ("creator__handle", "agency__name")


@admin.register(ProfileLink)
class ProfileLinkAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("creator", "label", "url", "position")
    search_fields = ("creator__handle", "label", "url")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by their user (the secret is shown to them alone);
    an admin can see them and revoke one by setting `revoked_at`."""

    list_display = (
        "name",
        "user",
        "prefix",
        "scope",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope",)
    search_fields = ("user__username", "name", "prefix")
    fields = list_display
    readonly_fields = ("name", "user", "prefix", "scope", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False
