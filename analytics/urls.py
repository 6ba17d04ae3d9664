"""Engagement reports in the dashboard: a creator's, one post's, an agency's."""

from django.urls import path

from analytics.views import campaigns, reports

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
    # Fragment for compose's schedule field.
    path(
        "dashboard/@<str:handle>/analytics/suggested-times",
        reports.suggested_times,
        name="suggested-times",
    ),
    path(
        "dashboard/@<str:handle>/campaigns/",
        campaigns.campaign_list,
        name="campaigns",
    ),
    path("dashboard/campaigns/<int:pk>/", campaigns.campaign_report, name="campaign"),
    path(
        "dashboard/campaigns/<int:pk>/edit/",
        campaigns.campaign_edit,
        name="campaign-edit",
    ),
    path(
        "dashboard/campaigns/<int:pk>/report.csv",
        campaigns.campaign_csv,
        name="campaign-csv",
    ),
    path(
        "dashboard/campaigns/<int:pk>/report.pdf",
        campaigns.campaign_pdf,
        name="campaign-pdf",
    ),
    path(
        "dashboard/campaigns/<int:pk>/sponsor-links/",
        campaigns.sponsor_link_create,
        name="sponsor-link-create",
    ),
    path(
        "dashboard/campaigns/<int:pk>/sponsor-links/<int:link_pk>/revoke/",
        campaigns.sponsor_link_revoke,
        name="sponsor-link-revoke",
    ),
    # Read-only copies for sponsors, without an account (signed, expiring).
    path("sponsor/<str:token>/", campaigns.sponsor_report, name="sponsor-report"),
    path(
        "sponsor/<str:token>/report.pdf",
        campaigns.sponsor_report_pdf,
        name="sponsor-report-pdf",
    ),
    path(
        "sponsor/<str:token>/report.csv",
        campaigns.sponsor_report_csv,
        name="sponsor-report-csv",
    ),
    path("agencies/<slug:slug>/reports/", reports.agency_report, name="agency"),
    path(
        "agencies/<slug:slug>/campaigns/",
        campaigns.agency_campaign_list,
        name="agency-campaigns",
    ),
    path(
        "agencies/<slug:slug>/reports/export.csv",
        reports.agency_report_csv,
        name="agency-csv",
    ),
]
