"""Read-only queries on posts shared by the dashboard, the API and federation.

Who may read which creator is decided in accounts.permissions; these
functions shape the queries (related rows, ordering) so lists stay free of
N+1 queries.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Case, F, Q, QuerySet, When
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import CreatorProfile, User
from accounts.permissions import creators_visible_to

from .models import Post, PostAction


def _with_relations(queryset: QuerySet[Post]) -> QuerySet[Post]:
    return queryset.select_related("creator").prefetch_related(
        "media", "mentions", "hashtags"
    )


def posts_of_creator(
    *, creator: CreatorProfile, states: Iterable[str] | None = None
) -> QuerySet[Post]:
    """The creator's posts in `states`; every state but deleted by default.

    Newest first by the time that matters for each: published, scheduled
    or created.
    """
    posts = Post.objects.filter(creator=creator)
    if states:
        posts = posts.filter(state__in=list(states))
    else:
        posts = posts.exclude(state=Post.State.DELETED)
    return _with_relations(posts).order_by(
        Coalesce("published_at", "scheduled_at", "created_at").desc(), "-pk"
    )


def posts_between(
    *, creator: CreatorProfile, start: datetime, end: datetime
) -> QuerySet[Post]:
    """Scheduled and published posts falling in [start, end), for calendars.

    Each carries `calendar_at`: when it went out, or when it will.
    """
    posts = Post.objects.filter(creator=creator).filter(
        Q(
            state=Post.State.SCHEDULED,
            scheduled_at__gte=start,
            scheduled_at__lt=end,
        )
        | Q(
            state=Post.State.PUBLISHED,
            published_at__gte=start,
            published_at__lt=end,
        )
    )
    return (
        _with_relations(posts)
        .annotate(
            calendar_at=Case(
                When(state=Post.State.PUBLISHED, then=F("published_at")),
                default=F("scheduled_at"),
            )
        )
        .order_by("calendar_at", "pk")
    )


def published_public_posts(*, creator: CreatorProfile) -> QuerySet[Post]:
    """The creator's published public posts, newest first (outbox, profile)."""
    posts = Post.objects.filter(
        creator=creator,
        state=Post.State.PUBLISHED,
        visibility=Post.Visibility.PUBLIC,
    )
    return _with_relations(posts).order_by("-published_at", "-pk")


def pinned_posts(*, creator: CreatorProfile) -> QuerySet[Post]:
    """The creator's pinned posts (the featured collection), latest pin first."""
    posts = Post.objects.filter(
        creator=creator, state=Post.State.PUBLISHED, pinned_at__isnull=False
    )
    return _with_relations(posts).order_by("-pinned_at", "-pk")


def post_get_visible(*, user: User, pk: int) -> Post:
    """The post if the user may read its creator (deleted ones too); else 404."""
    post = (
        _with_relations(Post.objects.filter(creator__in=creators_visible_to(user)))
        .filter(pk=pk)
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    return post


def posts_awaiting_approval(*, creator: CreatorProfile) -> QuerySet[Post]:
    """Posts written for the creator that wait for their approval, oldest
    request first."""
    posts = Post.objects.filter(creator=creator, state=Post.State.PENDING_APPROVAL)
    return (
        _with_relations(posts)
        .select_related("approval_requested_by")
        .order_by("approval_requested_at", "pk")
    )


def team_actions_of(*, creator: CreatorProfile, limit: int = 20):
    """What people at agencies did for the creator lately, newest first."""
    return (
        PostAction.objects.filter(creator=creator)
        .select_related("creator", "post")
        .order_by("-created_at", "-pk")[:limit]
    )


def agency_calendar_posts(
    *, creators: QuerySet[CreatorProfile], start: datetime, end: datetime
) -> QuerySet[Post]:
    """Scheduled posts, and posts waiting for approval with a time, of
    `creators` in [start, end), for the agency calendar."""
    posts = Post.objects.filter(
        creator__in=creators,
        state__in=[Post.State.SCHEDULED, Post.State.PENDING_APPROVAL],
        scheduled_at__gte=start,
        scheduled_at__lt=end,
    )
    return _with_relations(posts).order_by("scheduled_at", "pk")


def posts_awaiting_approval_of(*, creators: QuerySet[CreatorProfile]) -> QuerySet[Post]:
    """Posts waiting for approval across several creators (agency views)."""
    posts = Post.objects.filter(creator__in=creators, state=Post.State.PENDING_APPROVAL)
    return _with_relations(posts).order_by("approval_requested_at", "pk")
