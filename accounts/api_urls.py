from django.urls import path

from . import api

urlpatterns = [
    path("me", api.MeView.as_view(), name="api-me"),
    path("me/profile", api.ProfileUpdateView.as_view(), name="api-me-profile"),
    path(
        "me/agency-access",
        api.AgencyAccessListView.as_view(),
        name="api-agency-access-list",
    ),
    path(
        "me/agency-access/<int:pk>",
        api.AgencyAccessScopesView.as_view(),
        name="api-agency-access-scopes",
    ),
    path("creators", api.CreatorListView.as_view(), name="api-creator-list"),
    path(
        "creators/<str:handle>",
        api.CreatorDetailView.as_view(),
        name="api-creator-detail",
    ),
    path("agencies", api.AgencyListView.as_view(), name="api-agency-list"),
    path(
        "agencies/<slug:slug>",
        api.AgencyDetailView.as_view(),
        name="api-agency-detail",
    ),
    path(
        "agencies/<slug:slug>/creators",
        api.AgencyCreatorListView.as_view(),
        name="api-agency-creator-list",
    ),
]
