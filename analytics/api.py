"""REST API (/api/v1/) for the engagement reports: the numbers the report
pages show, for scripts and other tools.

Same reports (analytics.reports), same periods (`?days=7|30|90`, or
`?start=&end=` as ISO dates) and same rules on who sees what as the pages:
anything the user may not see answers 404.
"""

import zoneinfo

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts import permissions
from accounts.api import ApiView, error_responses
from analytics import reports
from analytics.forms import PeriodForm
from posts.models import Post

UTC = zoneinfo.ZoneInfo("UTC")

PERIOD_PARAMETERS = [
    OpenApiParameter(
        "days", int, enum=list(reports.PERIOD_CHOICES), description="The last N days"
    ),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (with end)"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (with start)"),
]


def _period(request, tz) -> reports.Period:
    """The period asked for; 400 with the reason when it makes no sense
    (the pages fall back to 30 days instead, the API says so)."""
    form = PeriodForm(request.query_params or None)
    if form.is_bound and not form.is_valid():
        raise ValidationError(form.errors.get_json_data())
    return form.period(tz=tz)


# Serializers ----------------------------------------------------------------


class CountsSerializer(serializers.Serializer):
    likes = serializers.IntegerField()
    boosts = serializers.IntegerField()
    reactions = serializers.IntegerField()
    replies = serializers.IntegerField()
    quotes = serializers.IntegerField()
    follows = serializers.IntegerField(help_text="Followers gained")
    unfollows = serializers.IntegerField(help_text="Followers lost")
    interactions = serializers.IntegerField(
        help_text="likes + boosts + reactions + replies + quotes"
    )

    class Meta:
        ref_name = "EngagementCounts"


class PeriodSerializer(serializers.Serializer):
    first = serializers.DateField()
    last = serializers.DateField()
    days = serializers.IntegerField()
    time_zone = serializers.CharField(source="tz")

    class Meta:
        ref_name = "ReportPeriod"


class SummarySerializer(serializers.Serializer):
    period = PeriodSerializer()
    counts = CountsSerializer()
    followers = serializers.IntegerField(help_text="At the end of the period")
    posts_published = serializers.IntegerField()
    engagement_rate = serializers.FloatField(
        allow_null=True,
        help_text="Interactions per post published, as a percentage of the "
        "followers at the end of the period (50 interactions on one post with "
        "1,000 followers is 5.0); null without posts or followers.",
    )

    class Meta:
        ref_name = "EngagementSummary"


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    counts = CountsSerializer()
    followers = serializers.IntegerField(help_text="At the end of the day")

    class Meta:
        ref_name = "EngagementDay"


class SourceSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The platform, or the server's domain")
    software = serializers.CharField()
    counts = CountsSerializer()

    class Meta:
        ref_name = "EngagementSource"


class PostEngagementSerializer(serializers.Serializer):
    post_id = serializers.IntegerField(source="post.pk")
    published_at = serializers.DateTimeField(source="post.published_at")
    counts = CountsSerializer()

    class Meta:
        ref_name = "PostEngagement"


class CreatorReportSerializer(serializers.Serializer):
    handle = serializers.CharField(source="creator.handle")
    summary = SummarySerializer()
    previous = SummarySerializer(help_text="The period of the same length before")
    changes = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Percent change on the period before, per figure",
    )
    days = DaySerializer(many=True)
    platforms = SourceSerializer(many=True)
    instances = SourceSerializer(many=True)
    top_posts = PostEngagementSerializer(many=True)
    heatmap = serializers.SerializerMethodField(
        help_text="Interactions by weekday (0 = Monday) and hour, in the "
        "creator's time zone: 7 lists of 24 numbers."
    )

    class Meta:
        ref_name = "CreatorReport"

    def get_heatmap(self, dashboard) -> list[list[int]]:
        return dashboard.heatmap.cells


class PostReportSerializer(serializers.Serializer):
    post_id = serializers.IntegerField(source="post.pk")
    counts = CountsSerializer()
    days = DaySerializer(many=True)
    servers = SourceSerializer(many=True)

    class Meta:
        ref_name = "PostReport"


class AgencyRowSerializer(serializers.Serializer):
    handle = serializers.CharField(source="creator.handle")
    name = serializers.CharField(source="creator.name")
    summary = SummarySerializer()
    previous = SummarySerializer()

    class Meta:
        ref_name = "AgencyReportRow"


# Views ----------------------------------------------------------------------


class CreatorReportView(ApiView):
    """A creator's engagement for a period, as their analytics page shows it."""

    OutputSerializer = CreatorReportSerializer

    @extend_schema(
        operation_id="creators_analytics_retrieve",
        summary="A creator's engagement report (creator's time zone)",
        parameters=PERIOD_PARAMETERS,
        responses={200: OutputSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request, handle: str):
        creator = permissions.get_visible_creator_or_404(request.user, handle)
        period = _period(request, reports.creator_time_zone(creator))
        dashboard = reports.creator_dashboard(creator=creator, period=period)
        return Response(self.OutputSerializer(dashboard).data)


class PostReportView(ApiView):
    """One post's engagement by day and the servers it came from."""

    OutputSerializer = PostReportSerializer

    @extend_schema(
        operation_id="posts_analytics_retrieve",
        summary="One post's engagement",
        responses={200: OutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request, pk: int):
        post = get_object_or_404(
            Post.objects.exclude(state=Post.State.DRAFT).select_related("creator"),
            pk=pk,
            creator__in=permissions.creators_visible_to(request.user),
        )
        drilldown = reports.post_drilldown(
            post=post, tz=reports.creator_time_zone(post.creator)
        )
        return Response(self.OutputSerializer(drilldown).data)


class AgencyReportView(ApiView):
    """Every creator who granted the agency access, side by side (UTC days)."""

    OutputSerializer = AgencyRowSerializer

    @extend_schema(
        operation_id="agencies_report_retrieve",
        summary="An agency's report: its creators side by side",
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("sort", str, enum=list(reports.AGENCY_SORTS)),
            OpenApiParameter("dir", str, enum=["asc", "desc"]),
        ],
        responses={200: OutputSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def get(self, request, slug: str):
        agency = permissions.get_agency_for_member_or_404(request.user, slug)
        period = _period(request, UTC)
        sort = request.query_params.get("sort", "interactions")
        if sort not in reports.AGENCY_SORTS:
            raise ValidationError(
                {"sort": [f"One of {', '.join(reports.AGENCY_SORTS)}"]}
            )
        rows = reports.agency_report(
            user=request.user,
            agency=agency,
            period=period,
            sort=sort,
            descending=request.query_params.get("dir", "desc") != "asc",
        )
        return Response(self.OutputSerializer(rows, many=True).data)
