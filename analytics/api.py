"""REST API (/api/v1/) for the engagement reports: the numbers the report
pages show, for scripts and other tools.

Same reports (analytics.reports), same periods (`?days=7|30|90`, or
`?start=&end=` as ISO dates) and same rules on who sees what as the pages:
anything the user may not see answers 404.
"""

import zoneinfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts import permissions
from accounts.api import ApiView, ListApiView, error_responses
from accounts.models import AgencyScope
from analytics import campaigns, insights, reports
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


class ReachSerializer(serializers.Serializer):
    known = serializers.BooleanField(
        help_text="False when deliveries are not recorded (no estimate)"
    )
    total = serializers.IntegerField(
        help_text="The estimate: followers plus booster_followers"
    )
    servers = serializers.IntegerField(help_text="Servers the post was delivered to")
    followers = serializers.IntegerField(
        help_text="The creator's followers on those servers today"
    )
    boosters = serializers.IntegerField(help_text="People who boosted it")
    booster_followers = serializers.IntegerField(
        help_text=(
            "The followers of the boosters whose servers said how many, summed "
            "(as their servers last said); the others' are left out"
        )
    )
    boosters_known = serializers.IntegerField(
        help_text="Of the boosters, how many have a known follower count"
    )
    explanation = serializers.CharField(help_text="How the estimate is made, in words")

    class Meta:
        ref_name = "ReachEstimate"


class PostReportSerializer(serializers.Serializer):
    post_id = serializers.IntegerField(source="post.pk")
    counts = CountsSerializer()
    days = DaySerializer(many=True)
    servers = SourceSerializer(many=True)
    reach = serializers.SerializerMethodField()

    class Meta:
        ref_name = "PostReport"

    @extend_schema_field(ReachSerializer)
    def get_reach(self, drilldown) -> dict:
        return ReachSerializer(insights.post_reach(post=drilldown.post)).data


class EarnedFollowersSerializer(serializers.Serializer):
    post_id = serializers.IntegerField(source="post.pk")
    published_at = serializers.DateTimeField(source="post.published_at")
    followers = serializers.IntegerField(help_text="New followers attributed")
    servers = serializers.SerializerMethodField(
        help_text="The servers most of them came from"
    )

    class Meta:
        ref_name = "EarnedFollowers"

    def get_servers(self, row) -> list[dict]:
        return [{"domain": domain, "followers": n} for domain, n in row.servers]


class SlotSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="0 = Monday")
    hour = serializers.IntegerField(help_text="Local hour, 0-23")
    label = serializers.CharField()
    interactions = serializers.IntegerField()
    next_at = serializers.DateTimeField(help_text="Its next occurrence")

    class Meta:
        ref_name = "PostingSlot"


class BestTimesSerializer(serializers.Serializer):
    slots = SlotSerializer(many=True)
    interactions = serializers.IntegerField(help_text="What the slots are based on")
    weeks = serializers.IntegerField()
    time_zone = serializers.CharField(source="tz")
    confidence = serializers.ChoiceField(choices=["none", "low", "medium", "high"])
    confident_from = serializers.IntegerField(
        help_text="Interactions below which confidence is low"
    )

    class Meta:
        ref_name = "BestTimes"


class InsightsSerializer(serializers.Serializer):
    period = PeriodSerializer()
    attribution_days = serializers.IntegerField(
        help_text="A follower counts for a post they liked, boosted or replied "
        "to within this many days before following"
    )
    posts_that_earned_followers = EarnedFollowersSerializer(many=True)
    best_times = BestTimesSerializer()

    class Meta:
        ref_name = "CreatorInsights"


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
        creator = permissions.get_creator_analytics_or_404(request.user, handle)
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
            creator__in=permissions.creators_with_scope(
                request.user, AgencyScope.READ_ANALYTICS
            ),
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


class CreatorInsightsView(ApiView):
    """Posts that earned followers in a period, and the best times to post."""

    OutputSerializer = InsightsSerializer

    @extend_schema(
        operation_id="creators_insights_retrieve",
        summary="Posts that earned followers, and the best times to post",
        parameters=PERIOD_PARAMETERS,
        responses={200: OutputSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request, handle: str):
        creator = permissions.get_creator_analytics_or_404(request.user, handle)
        period = _period(request, reports.creator_time_zone(creator))
        data = {
            "period": period,
            "attribution_days": insights.attribution_days(),
            "posts_that_earned_followers": insights.posts_that_earned_followers(
                creator=creator, period=period, limit=None
            ),
            "best_times": insights.best_times_to_post(creator=creator),
        }
        return Response(self.OutputSerializer(data).data)


# Campaigns -------------------------------------------------------------------


class CampaignSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    creator = serializers.CharField(source="creator.handle", read_only=True)
    agency = serializers.CharField(
        source="agency.slug",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The agency running it; null: the creator's own",
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    post_ids = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Campaign"

    def get_post_ids(self, campaign) -> list[int]:
        return sorted(post.pk for post in campaign.posts.all())


class CampaignInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    post_ids = serializers.ListField(child=serializers.IntegerField(), default=list)
    agency = serializers.SlugField(
        required=False,
        allow_blank=True,
        help_text="Run it for the creator through this agency (owners and "
        "managers the creator granted access); empty: the creator's own.",
    )

    class Meta:
        ref_name = "CampaignInput"


class CampaignPostSerializer(serializers.Serializer):
    post_id = serializers.IntegerField(source="post.pk")
    published_at = serializers.DateTimeField(source="post.published_at")
    counts = CountsSerializer()
    reach = ReachSerializer()
    followers_earned = serializers.IntegerField()

    class Meta:
        ref_name = "CampaignPost"


class PlatformCountsSerializer(serializers.Serializer):
    software = serializers.CharField()
    label = serializers.CharField()
    counts = CountsSerializer()

    class Meta:
        ref_name = "CampaignPlatform"


class BestReplySerializer(serializers.Serializer):
    url = serializers.CharField(source="reply.url")
    author = serializers.CharField(source="reply.actor_handle")
    content_html = serializers.CharField(source="reply.content_html")
    published_at = serializers.DateTimeField(source="reply.published_at")
    answers = serializers.IntegerField()

    class Meta:
        ref_name = "CampaignBestReply"


class CampaignReportSerializer(serializers.Serializer):
    campaign = CampaignSerializer()
    counts = CountsSerializer()
    reach = ReachSerializer()
    followers_earned = serializers.IntegerField()
    attribution_days = serializers.IntegerField()
    posts = CampaignPostSerializer(many=True)
    platforms = PlatformCountsSerializer(many=True)
    best_replies = BestReplySerializer(many=True)
    posts_that_earned_followers = EarnedFollowersSerializer(many=True, source="earned")

    class Meta:
        ref_name = "CampaignReport"


def _visible_campaigns(user):
    return (
        campaigns.campaigns_visible_to(user)
        .select_related("creator", "agency")
        .prefetch_related("posts")
        .order_by("-starts_on", "-pk")
    )


class CampaignListView(ListApiView):
    """A creator's campaigns (those the user may see); start one."""

    OutputSerializer = CampaignSerializer
    InputSerializer = CampaignInputSerializer

    @extend_schema(
        operation_id="creators_campaigns_list",
        summary="A creator's campaigns",
        responses={200: OutputSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, handle: str):
        creator = permissions.get_creator_analytics_or_404(request.user, handle)
        rows = _visible_campaigns(request.user).filter(creator=creator)
        return self.paginated_response(rows, self.OutputSerializer)

    @extend_schema(
        operation_id="creators_campaigns_create",
        summary="Start a campaign of the creator's posts",
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, handle: str):
        creator = permissions.get_creator_analytics_or_404(request.user, handle)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        agency = None
        if data.get("agency"):
            agency = permissions.get_agency_for_member_or_404(
                request.user, data["agency"]
            )
        try:
            campaign = campaigns.campaign_create(
                by=request.user,
                creator=creator,
                agency=agency,
                name=data["name"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                post_ids=data["post_ids"],
            )
        except PermissionError as error:
            raise PermissionDenied(
                "You may not run campaigns for this creator."
            ) from error
        except DjangoValidationError as error:
            raise ValidationError(serializers.as_serializer_error(error)) from error
        return Response(
            self.OutputSerializer(campaign).data, status=status.HTTP_201_CREATED
        )


class AgencyCampaignSerializer(CampaignSerializer):
    post_count = serializers.IntegerField(read_only=True)
    interactions = serializers.SerializerMethodField(
        help_text="Interactions its posts received during its days, as its "
        "report counts them"
    )

    class Meta:
        ref_name = "AgencyCampaign"

    def get_interactions(self, campaign) -> int:
        return self.context["interactions"].get(campaign.pk, 0)


class AgencyCampaignListView(ListApiView):
    """Every campaign of the creators who let the agency read their
    analytics: the agency's own and the creators' own, never another
    agency's (the agency's campaigns page)."""

    OutputSerializer = AgencyCampaignSerializer

    @extend_schema(
        operation_id="agencies_campaigns_list",
        summary="Every campaign across an agency's creators",
        responses={200: OutputSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, slug: str):
        agency = permissions.get_agency_for_member_or_404(request.user, slug)
        rows = campaigns.agency_campaigns(user=request.user, agency=agency)
        return self.paginated_response(
            rows.prefetch_related("posts"),
            self.OutputSerializer,
            # One query for the page, as on the agency's campaigns page.
            page_context=lambda page: {
                "interactions": campaigns.campaigns_interactions(page)
            },
        )


class CampaignReportView(ApiView):
    """A campaign's report: reach, interactions by post and platform, best
    replies and the followers its posts earned."""

    OutputSerializer = CampaignReportSerializer

    @extend_schema(
        operation_id="campaigns_report_retrieve",
        summary="A campaign's report",
        responses={200: OutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request, pk: int):
        campaign = campaigns.get_visible_campaign_or_404(request.user, pk)
        report = campaigns.campaign_report(campaign=campaign)
        return Response(self.OutputSerializer(report).data)
