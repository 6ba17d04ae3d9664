"""Engagement reports in the dashboard: a creator's, one post's, an agency's."""

from django.urls import path

from analytics.views import reports

app_name = "analytics"

urlpatterns = [
    path("dashboard/analytics/", reports.analytics_index, name="index"),
    path(
        "dashboard/@<str:handle>/analytics/",
        reports.creator_analytics,
        name="creator",
    ),
    path(
        "dashboard/@<str:handle>/analytics/days.csv",
        reports.creator_analytics_days_csv,
        name="creator-days-csv",
    ),
    path(
        "dashboard/@<str:handle>/analytics/posts.csv",
        reports.creator_analytics_posts_csv,
        name="creator-posts-csv",
    ),
    path(
        "dashboard/@<str:handle>/analytics/posts/<int:pk>/",
        reports.post_analytics,
        name="post",
    ),
    path("agencies/<slug:slug>/reports/", reports.agency_report, name="agency"),
    path(
        "agencies/<slug:slug>/reports/export.csv",
        reports.agency_report_csv,
        name="agency-csv",
    ),
]
