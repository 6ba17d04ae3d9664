from django.urls import path

from . import api

urlpatterns = [
    path(
        "creators/<str:handle>/analytics",
        api.CreatorReportView.as_view(),
        name="api-creator-analytics",
    ),
    path(
        "creators/<str:handle>/insights",
        api.CreatorInsightsView.as_view(),
        name="api-creator-insights",
    ),
    path(
        "creators/<str:handle>/campaigns",
        api.CampaignListView.as_view(),
        name="api-creator-campaigns",
    ),
    path(
        "campaigns/<int:pk>/report",
        api.CampaignReportView.as_view(),
        name="api-campaign-report",
    ),
    path(
        "posts/<int:pk>/analytics",
        api.PostReportView.as_view(),
        name="api-post-analytics",
    ),
    path(
        "agencies/<slug:slug>/report",
        api.AgencyReportView.as_view(),
        name="api-agency-report",
    ),
    path(
        "agencies/<slug:slug>/campaigns",
        api.AgencyCampaignListView.as_view(),
        name="api-agency-campaigns",
    ),
]
