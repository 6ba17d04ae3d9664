from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

from .login_sessions import describe_user_agent, login_sessions_end
from .models import (
    AccountAlias,
    Agency,
    AgencyAccess,
    AgencyMembership,
    ApiToken,
    CreatorProfile,
    LoginSession,
    ProfileLink,
    User,
)
from .throttle import unlock_login
from .two_factor import two_factor_reset
from .views.auth import admin_login

# The admin logs in through the site's log-in page: the password, then the
# two-factor code, throttled alike.
admin.site.login = admin_login


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "email")
    actions = ["unlock_login", "remove_two_factor"]
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

    @admin.action(description="Unlock log-in (after too many failed attempts)")
    def unlock_login(self, request, queryset):
        unlocked = 0
        for user in queryset:
            if unlock_login(username=user.get_username(), by=request.user, via="admin"):
                unlocked += 1
        self.message_user(
            request,
            f"Log-in unlocked for {unlocked} of {queryset.count()} selected users "
            "(the others had no failed attempts).",
            messages.SUCCESS,
        )

    @admin.action(description="Remove two-factor sign-in (lost phone)")
    def remove_two_factor(self, request, queryset):
        reset = sum(
            1 for user in queryset if two_factor_reset(user=user, by=request.user)
        )
        self.message_user(
            request,
            f"Two-factor sign-in removed for {reset} users; they log in with "
            "their password only until they set it up again.",
            messages.SUCCESS,
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
    # A move is made and undone by the creator (accounts.moves), which tells
    # followers' servers; an edit here would tell nobody.
    readonly_fields = ("handle", "moved_to_uri", "moved_at", "created_at", "updated_at")
    inlines = [ProfileLinkInline]


@admin.register(AccountAlias)
class AccountAliasAdmin(admin.ModelAdmin):
    """Old accounts creators list (alsoKnownAs): read-only, as only the
    creator adds or removes them (accounts.moves)."""

    list_display = ("creator", "address", "uri", "added_at")
    search_fields = ("creator__handle", "address", "uri")
    readonly_fields = ("creator", "uri", "address", "added_at")

    def has_add_permission(self, request) -> bool:
        return False


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
        "granted_at",
        "revoked_at",
        "read_analytics",
        "draft_posts",
        "publish_posts",
        "answer_replies",
        "moderate_replies",
    )
    list_filter = ("publish_posts", "draft_posts")
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


@admin.register(LoginSession)
class LoginSessionAdmin(admin.ModelAdmin):
    """Where users are logged in (their Security page lists their own).
    Rows are written by log-ins; "Log out" ends the sessions themselves."""

    list_display = ("user", "device", "ip_address", "created_at", "last_seen_at")
    search_fields = ("user__username", "ip_address")
    list_select_related = ("user",)
    actions = ["log_out"]
    fields = ("user", "user_agent", "ip_address", "created_at", "last_seen_at")
    readonly_fields = fields

    @admin.display(description="device")
    def device(self, row: LoginSession) -> str:
        return describe_user_agent(row.user_agent)

    @admin.action(description="Log out of the selected sessions")
    def log_out(self, request, queryset):
        ended = login_sessions_end(sessions=queryset)
        self.message_user(request, f"Logged out of {ended} sessions.", messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting the row alone would leave the session logged in.
        return False
