"""Campaigns: who sees them, how they change, and their report.

A campaign belongs to one creator and, when an agency runs it, to that
agency: the creator and the agency's members see it (as long as the creator
lets the agency read their analytics); other agencies of the same creator
do not. The
creator, and the running agency's owners and managers, change it; analysts
read. Anyone else is answered 404, as everywhere.

Sponsor links open the report without an account: the address carries the
link's id signed with django.core.signing (salt SPONSOR_SALT), and the
SponsorLink row says whether it still opens (expiry, revocation), so a link
can be ended before it expires.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts import permissions
from accounts.models import Agency, AgencyRole, AgencyScope, CreatorProfile, User
from posts.models import Post

from .insights import (
    EarnedFollowers,
    Reach,
    attributed_follows,
    attribution_days,
    earned_followers,
    reach_of_posts,
)
from .models import Campaign, Interaction, Reply, Software, SponsorLink
from .reports import Counts, creator_time_zone
from .rollups import ENGAGEMENT_KINDS, KIND_FIELDS

SPONSOR_SALT = "analytics.campaign-sponsor-link"
SPONSOR_LINK_DAYS = 30  # default lifetime
SPONSOR_LINK_MAX_DAYS = 365
MANAGING_ROLES = (AgencyRole.OWNER, AgencyRole.MANAGER)


class SponsorLinkClosed(Exception):
    """The link was real but has expired or was revoked."""

    def __init__(self, link: SponsorLink, reason: str):
        super().__init__(reason)
        self.link = link
        self.reason = reason


# Who sees and changes what -----------------------------------------------------


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    """Campaigns of creators the user may read: the creator's own and those
    of the user's agencies (not another agency's)."""
    if not user.is_authenticated:
        return Campaign.objects.none()
    readable = permissions.creators_with_scope(user, AgencyScope.READ_ANALYTICS)
    return Campaign.objects.filter(creator__in=readable).filter(
        Q(creator__user=user)
        | Q(agency__isnull=True)
        | Q(agency__in=permissions.agencies_of(user))
    )


def get_visible_campaign_or_404(user: User, pk: int) -> Campaign:
    campaign = (
        campaigns_visible_to(user)
        .select_related("creator", "agency")
        .filter(pk=pk)
        .first()
    )
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def can_run_campaigns_for(
    user: User, creator: CreatorProfile, agency: Agency | None
) -> bool:
    """The creator; or an owner or manager of `agency` the creator lets read
    their analytics (the creator's consent). Analysts only read."""
    if not user.is_authenticated or not user.is_active:
        return False
    if agency is None:
        return creator.user_id == user.pk
    return (
        permissions.role_in_agency(user, agency) in MANAGING_ROLES
        and permissions.creators_of_agency_with_analytics(user, agency)
        .filter(pk=creator.pk)
        .exists()
    )


def can_change_campaign(user: User, campaign: Campaign) -> bool:
    if campaign.creator.user_id == user.pk:
        return True
    return campaign.agency is not None and can_run_campaigns_for(
        user, campaign.creator, campaign.agency
    )


def agencies_running_for(user: User, creator: CreatorProfile) -> list[Agency]:
    """The agencies through which the user may start a campaign for the
    creator."""
    return [
        agency
        for agency in permissions.agencies_of(user).order_by("name")
        if can_run_campaigns_for(user, creator, agency)
    ]


def agency_campaigns(*, user: User, agency: Agency) -> QuerySet[Campaign]:
    """Every campaign of the creators who let `agency` read their analytics,
    as far as the user (a member of it, in any role) may see them: those the
    agency runs and the creators' own, never another agency's. Newest first,
    each with `post_count`."""
    creators = permissions.creators_of_agency_with_analytics(user, agency)
    return (
        campaigns_visible_to(user)
        .filter(creator__in=creators)
        .filter(Q(agency=agency) | Q(agency__isnull=True))
        .select_related("creator", "agency")
        .annotate(post_count=Count("posts", distinct=True))
        .order_by("-starts_on", "-pk")
    )


def campaigns_interactions(campaigns: list[Campaign]) -> dict[int, int]:
    """Campaign pk -> the interactions its posts received during its days,
    as its report counts them; one query for the lot (a page of a list)."""
    if not campaigns:
        return {}
    # One filter() call: every condition is on the same interaction row.
    during = Q()
    for campaign in campaigns:
        start, end = campaign_bounds(campaign)
        during |= Q(
            campaign_id=campaign.pk,
            post__interactions__occurred_at__gte=start,
            post__interactions__occurred_at__lt=end,
        )
    rows = (
        Campaign.posts.through.objects.filter(
            during, post__interactions__kind__in=ENGAGEMENT_KINDS
        )
        .values("campaign_id")
        .annotate(interactions=Count("post__interactions"))
        .order_by()
    )
    return {row["campaign_id"]: row["interactions"] for row in rows}


# Changes ------------------------------------------------------------------------


def _check_posts(creator: CreatorProfile, post_ids) -> list[int]:
    ids = set(post_ids)
    found = set(
        Post.objects.filter(pk__in=ids, creator=creator)
        .exclude(state=Post.State.DRAFT)
        .values_list("pk", flat=True)
    )
    if found != ids:
        raise ValidationError("Only the creator's own posts can be in a campaign.")
    return sorted(found)


@transaction.atomic
def campaign_create(
    *,
    by: User,
    creator: CreatorProfile,
    agency: Agency | None,
    name: str,
    starts_on: date,
    ends_on: date,
    post_ids=(),
) -> Campaign:
    """A new campaign of the creator's posts; PermissionError if `by` may
    not run campaigns for the creator through `agency`."""
    if not can_run_campaigns_for(by, creator, agency):
        raise PermissionError("not allowed to run campaigns for this creator")
    campaign = Campaign(
        name=name.strip(),
        creator=creator,
        agency=agency,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    campaign.full_clean()
    campaign.save()
    campaign.posts.set(_check_posts(creator, post_ids))
    return campaign


@transaction.atomic
def campaign_update(
    *,
    by: User,
    campaign: Campaign,
    name: str,
    starts_on: date,
    ends_on: date,
    post_ids,
) -> Campaign:
    if not can_change_campaign(by, campaign):
        raise PermissionError("not allowed to change this campaign")
    campaign.name = name.strip()
    campaign.starts_on = starts_on
    campaign.ends_on = ends_on
    campaign.full_clean()
    campaign.save()
    campaign.posts.set(_check_posts(campaign.creator, post_ids))
    return campaign


@transaction.atomic
def campaign_delete(*, by: User, campaign: Campaign) -> None:
    if not can_change_campaign(by, campaign):
        raise PermissionError("not allowed to delete this campaign")
    campaign.delete()


# Sponsor links ------------------------------------------------------------------


def sponsor_link_token(link: SponsorLink) -> str:
    return signing.dumps({"link": link.pk}, salt=SPONSOR_SALT, compress=True)


@transaction.atomic
def sponsor_link_create(
    *, by: User, campaign: Campaign, days: int = SPONSOR_LINK_DAYS, label: str = ""
) -> tuple[SponsorLink, str]:
    """A link opening the campaign's report for `days` days; the token for
    its address is returned with it."""
    if not can_change_campaign(by, campaign):
        raise PermissionError("not allowed to share this campaign")
    if not 1 <= days <= SPONSOR_LINK_MAX_DAYS:
        raise ValidationError(f"A link lasts from 1 to {SPONSOR_LINK_MAX_DAYS} days.")
    link = SponsorLink.objects.create(
        campaign=campaign,
        label=label.strip()[:200],
        created_by=by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return link, sponsor_link_token(link)


@transaction.atomic
def sponsor_link_revoke(*, by: User, link: SponsorLink) -> None:
    if not can_change_campaign(by, link.campaign):
        raise PermissionError("not allowed to revoke this link")
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])


def sponsor_link_open(token: str, *, now: datetime | None = None) -> SponsorLink:
    """The link the token names, if it still opens. Http404 for a token that
    was not made here (tampered, cut short) or names no link;
    SponsorLinkClosed for one that expired or was revoked."""
    try:
        data = signing.loads(token, salt=SPONSOR_SALT)
        pk = int(data["link"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise Http404("No such link.") from error
    link = (
        SponsorLink.objects.select_related("campaign__creator", "campaign__agency")
        .filter(pk=pk)
        .first()
    )
    if link is None:
        raise Http404("No such link.")
    now = now or timezone.now()
    if link.revoked_at is not None:
        raise SponsorLinkClosed(link, "revoked")
    if link.expires_at <= now:
        raise SponsorLinkClosed(link, "expired")
    return link


# The report ---------------------------------------------------------------------

BEST_REPLIES = 5


@dataclass(frozen=True)
class CampaignPost:
    post: Post
    counts: Counts
    reach: Reach
    followers_earned: int


@dataclass(frozen=True)
class PlatformCounts:
    software: str
    counts: Counts

    @property
    def label(self) -> str:
        try:
            return Software(self.software).label
        except ValueError:
            return Software.OTHER.label


@dataclass(frozen=True)
class BestReply:
    reply: Reply
    answers: int  # visible replies to it


@dataclass(frozen=True)
class CampaignReport:
    campaign: Campaign
    start: datetime
    end: datetime
    counts: Counts
    reach: Reach
    posts: list[CampaignPost]
    platforms: list[PlatformCounts]
    best_replies: list[BestReply]
    earned: list[EarnedFollowers]
    attribution_days: int

    @property
    def followers_earned(self) -> int:
        return sum(row.followers for row in self.earned)


def campaign_bounds(campaign: Campaign) -> tuple[datetime, datetime]:
    """From the first day's midnight to the midnight after the last, on the
    creator's clock."""
    tz = creator_time_zone(campaign.creator)
    return (
        datetime.combine(campaign.starts_on, time(), tzinfo=tz),
        datetime.combine(campaign.ends_on + timedelta(days=1), time(), tzinfo=tz),
    )


def _kind_counts():
    return {
        name: Count("pk", filter=Q(kind=kind))
        for kind, name in KIND_FIELDS.items()
        if kind in ENGAGEMENT_KINDS
    }


def campaign_report(*, campaign: Campaign) -> CampaignReport:
    """What the campaign's posts received during its days: engagement by
    post and platform, the best visible replies, the followers its posts
    earned and the reach estimate. About nine queries whatever its size."""
    start, end = campaign_bounds(campaign)
    posts = list(campaign.posts.order_by("published_at", "pk"))
    post_ids = [post.pk for post in posts]
    rows = Interaction.objects.filter(
        post_id__in=post_ids,
        kind__in=ENGAGEMENT_KINDS,
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).order_by()
    by_post = {
        row["post_id"]: Counts.of(row)
        for row in rows.values("post_id").annotate(**_kind_counts())
    }
    platforms = sorted(
        (
            PlatformCounts(software=row["software"], counts=Counts.of(row))
            for row in rows.values("software").annotate(**_kind_counts())
        ),
        key=lambda row: (-row.counts.interactions, row.software),
    )
    found = [
        (post_id, domain)
        for post_id, domain in attributed_follows(
            creator=campaign.creator,
            start=start,
            end=end,
            days=attribution_days(),
        )
        if post_id in set(post_ids)
    ]
    earned = earned_followers(found, limit=None, servers=3)
    earned_by_post = Counter(post_id for post_id, _ in found)
    reach = reach_of_posts(post_ids=post_ids)
    return CampaignReport(
        campaign=campaign,
        start=start,
        end=end,
        counts=sum(by_post.values(), Counts()),
        reach=reach[None],
        posts=[
            CampaignPost(
                post=post,
                counts=by_post.get(post.pk, Counts()),
                reach=reach[post.pk],
                followers_earned=earned_by_post.get(post.pk, 0),
            )
            for post in posts
        ],
        platforms=platforms,
        best_replies=_best_replies(post_ids, start=start, end=end),
        earned=earned,
        attribution_days=attribution_days(),
    )


def _best_replies(post_ids: list[int], *, start, end) -> list[BestReply]:
    """The visible replies to the posts that drew the most answers, then
    the newest. Likes of a reply go to the replier's server and are not
    recorded here, so "best" is the conversation each one started."""
    replies = list(
        Reply.objects.filter(
            post_id__in=post_ids,
            status=Reply.Status.VISIBLE,
            is_quote=False,
            published_at__gte=start,
            published_at__lt=end,
        )
        .annotate(
            answers=Count("children", filter=Q(children__status=Reply.Status.VISIBLE))
        )
        .order_by("-answers", "-published_at", "-pk")[:BEST_REPLIES]
    )
    return [BestReply(reply=reply, answers=reply.answers) for reply in replies]
