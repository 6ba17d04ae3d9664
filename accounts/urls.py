from django.contrib.auth import views as auth_views
from django.urls import path

from .views import agencies, auth, dashboard, security, settings

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("switch-creator/", dashboard.switch_creator, name="switch_creator"),
    # Accounts
    path("signup/", auth.signup, name="signup"),
    path("signup/handle/", auth.handle_check, name="handle_check"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("login/code/", auth.login_two_factor, name="login_two_factor"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/reset/",
        auth.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password/change/",
        auth.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # A creator's settings
    path("settings/profile/", settings.profile_settings, name="profile_settings"),
    path("settings/agencies/", settings.agency_access, name="agency_access"),
    path(
        "settings/agencies/<int:pk>/revoke/",
        settings.revoke_agency_access,
        name="revoke_agency_access",
    ),
    path(
        "settings/agencies/<int:pk>/scopes/",
        settings.agency_access_scopes,
        name="agency_access_scopes",
    ),
    path("settings/api/", settings.api_token, name="api_token"),
    path("settings/security/", security.security, name="security"),
    path(
        "settings/security/two-factor/",
        security.two_factor_setup,
        name="two_factor_setup",
    ),
    path(
        "settings/security/two-factor/off/",
        security.two_factor_disable,
        name="two_factor_disable",
    ),
    path(
        "settings/security/recovery-codes/",
        security.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path(
        "settings/security/sessions/end-others/",
        security.sessions_end_others,
        name="sessions_end_others",
    ),
    path(
        "settings/api/<int:pk>/revoke/",
        settings.api_token_revoke,
        name="api_token_revoke",
    ),
    # Agencies ("agency/new/" so that no agency slug can shadow it)
    path("agency/new/", agencies.agency_create, name="agency_create"),
    path("agencies/<slug:slug>/", agencies.agency_detail, name="agency_detail"),
    path(
        "agencies/<slug:slug>/members/",
        agencies.agency_member_add,
        name="agency_member_add",
    ),
    path(
        "memberships/<int:pk>/role/",
        agencies.agency_member_update,
        name="agency_member_update",
    ),
    path(
        "memberships/<int:pk>/remove/",
        agencies.agency_member_remove,
        name="agency_member_remove",
    ),
    path(
        "agencies/<slug:slug>/creators/<str:handle>/",
        agencies.agency_creator,
        name="agency_creator",
    ),
]
