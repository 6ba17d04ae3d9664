from django.urls import path

from . import api

urlpatterns = [
    path(
        "creators/<str:handle>/analytics",
        api.CreatorReportView.as_view(),
        name="api-creator-analytics",
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
]
