"""The one reply inbox: replies, quotes and mentions for every creator the
user may read, newest first, with each one's state.

Permissions decide which creators (accounts.permissions); this module only
shapes the rows. Held replies are listed only for creators whose replies
the user may moderate.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from accounts import permissions
from accounts.models import AgencyScope, CreatorProfile, User
from analytics.models import Reply, Software
from analytics.selectors import SHOWN_REPLY_STATUSES
from posts.models import Post, PostAction


class State:
    UNANSWERED = "unanswered"
    ANSWERED = "answered"
    DONE = "done"
    HELD = "held"


STATE_LABELS = {
    State.UNANSWERED: "Unanswered",
    State.ANSWERED: "Answered",
    State.DONE: "Done",
    State.HELD: "Held for review",
}


# Which items the "kind" filter keeps (analytics.models.Reply.kind).
KINDS = {
    Reply.Kind.REPLY: Q(post__isnull=False, is_quote=False),
    Reply.Kind.QUOTE: Q(post__isnull=False, is_quote=True),
    Reply.Kind.MENTION: Q(post__isnull=True),
}
KIND_CHOICES = (
    (Reply.Kind.REPLY, "Replies"),
    (Reply.Kind.QUOTE, "Quotes"),
    (Reply.Kind.MENTION, "Mentions"),
)


@dataclass(frozen=True)
class InboxFilters:
    """What the list is narrowed to; every field comes from the URL."""

    creator: str = ""  # handle
    software: str = ""
    server: str = ""
    kind: str = ""  # reply, quote or mention; "" for all
    unanswered: bool = False
    held: bool = False
    mine: bool = False

    def as_query(self) -> dict[str, str]:
        query = {
            "creator": self.creator,
            "platform": self.software,
            "server": self.server,
            "kind": self.kind,
            "unanswered": "1" if self.unanswered else "",
            "held": "1" if self.held else "",
            "mine": "1" if self.mine else "",
        }
        return {key: value for key, value in query.items() if value}


def inbox_filters_from(query) -> InboxFilters:
    """Filters read from a query dict; unknown platforms and kinds are
    ignored."""
    software = (query.get("platform") or "").strip().lower()
    if software not in Software.values:
        software = ""
    kind = (query.get("kind") or "").strip().lower()
    if kind not in KINDS:
        kind = ""
    return InboxFilters(
        creator=(query.get("creator") or "").strip().lstrip("@").lower(),
        software=software,
        server=(query.get("server") or "").strip().lower(),
        kind=kind,
        unanswered=query.get("unanswered") in ("1", "true", "on"),
        held=query.get("held") in ("1", "true", "on"),
        mine=query.get("mine") in ("1", "true", "on"),
    )


@dataclass(frozen=True)
class InboxAccess:
    """Which creators the user reads, answers for and moderates, by id."""

    readable: frozenset[int]
    answerable: frozenset[int]
    moderated: frozenset[int]

    def creators(self) -> QuerySet[CreatorProfile]:
        return CreatorProfile.objects.filter(pk__in=self.readable).order_by("handle")


def inbox_access_for(user: User) -> InboxAccess:
    """Read afresh on every request: a scope taken back is gone at once.

    Analysts (read analytics) read the inbox; answering needs the answer
    scope and held replies the moderate scope.
    """

    def ids(scope: str) -> frozenset[int]:
        return frozenset(
            permissions.creators_with_scope(user, scope).values_list("pk", flat=True)
        )

    answerable = ids(AgencyScope.ANSWER_REPLIES)
    moderated = ids(AgencyScope.MODERATE_REPLIES)
    readable = ids(AgencyScope.READ_ANALYTICS) | answerable | moderated
    return InboxAccess(readable=readable, answerable=answerable, moderated=moderated)


# The scopes that open the inbox: inbox_access_for's `readable`.
READ_SCOPES = (
    AgencyScope.READ_ANALYTICS,
    AgencyScope.ANSWER_REPLIES,
    AgencyScope.MODERATE_REPLIES,
)


def inbox_is_open_to(user: User) -> bool:
    """Whether the reply inbox opens for the user (else it is a 404), so
    the nav offers it only then. A creator always has their own: no query;
    anyone else one."""
    if not user.is_authenticated:
        return False
    if user.is_creator:
        return True
    readable = CreatorProfile.objects.none()
    for scope in READ_SCOPES:
        readable |= permissions.creators_with_scope(user, scope)
    return readable.exists()


def _rows(*, access: InboxAccess, filters: InboxFilters, user: User):
    answers = Post.objects.filter(
        creator=OuterRef("creator"),
        state=Post.State.PUBLISHED,
        in_reply_to_uri=OuterRef("ap_id"),
    ).order_by("published_at", "pk")
    answer_action = PostAction.objects.filter(
        post=OuterRef("pk"), action=PostAction.Action.ANSWER
    ).order_by("pk")
    first_answer = answers.annotate(
        by_label=Subquery(answer_action.values("by_label")[:1]),
        agency_label=Subquery(answer_action.values("agency_label")[:1]),
    )
    visible = Q(status=Reply.Status.VISIBLE)
    if access.moderated:
        visible |= Q(status=Reply.Status.HELD, creator__in=access.moderated)
    rows = (
        Reply.objects.filter(
            visible,
            creator__in=access.readable,
            status__in=SHOWN_REPLY_STATUSES,
        )
        # A mention has no post; a reply or quote shows while its post is up.
        .filter(Q(post__isnull=True) | Q(post__state=Post.State.PUBLISHED))
        .select_related(
            "creator", "post", "conversation__assigned_to", "conversation__done_by"
        )
        .annotate(
            answered=Exists(answers),
            answer_pk=Subquery(first_answer.values("pk")[:1]),
            answer_by=Subquery(first_answer.values("by_label")[:1]),
            answer_agency=Subquery(first_answer.values("agency_label")[:1]),
        )
    )
    if filters.creator:
        rows = rows.filter(creator__handle=filters.creator)
    if filters.software:
        rows = rows.filter(software=filters.software)
    if filters.server:
        rows = rows.filter(instance_domain=filters.server)
    if filters.kind:
        rows = rows.filter(KINDS[filters.kind])
    if filters.unanswered:
        rows = rows.filter(
            status=Reply.Status.VISIBLE,
            answered=False,
        ).exclude(conversation__done_at__isnull=False)
    if filters.held:
        rows = rows.filter(status=Reply.Status.HELD)
    if filters.mine:
        rows = rows.filter(conversation__assigned_to=user)
    return rows.order_by("-received_at", "-pk")


def reply_inbox(
    *, user: User, access: InboxAccess, filters: InboxFilters
) -> QuerySet[Reply]:
    """Every reply, quote and mention the user may read, newest first (page
    it)."""
    return _rows(access=access, filters=filters, user=user)


def reply_inbox_since(
    *,
    user: User,
    access: InboxAccess,
    filters: InboxFilters,
    after: datetime,
    after_pk: int,
) -> QuerySet[Reply]:
    """The items that arrived after the newest one shown."""
    rows = _rows(access=access, filters=filters, user=user)
    return rows.filter(Q(received_at__gt=after) | Q(received_at=after, pk__gt=after_pk))


def item_state(reply: Reply) -> str:
    conversation = getattr(reply, "conversation", None)
    if reply.status == Reply.Status.HELD:
        return State.HELD
    if conversation is not None and conversation.done_at is not None:
        return State.DONE
    if getattr(reply, "answered", False):
        return State.ANSWERED
    return State.UNANSWERED


def teammates_for(*, user: User, creator: CreatorProfile) -> QuerySet[User]:
    """Who the user may hand a conversation of `creator`'s to: members of
    the user's own agencies who may answer for the creator (and the user)."""
    agencies = permissions.agencies_of(user).filter(
        creator_grants__creator=creator,
        creator_grants__revoked_at__isnull=True,
        creator_grants__answer_replies=True,
    )
    candidates = User.objects.filter(
        is_active=True,
        agency_memberships__agency__in=agencies,
        agency_memberships__role__in=permissions.ACTING_ROLES,
    ).distinct()
    return candidates.order_by("first_name", "username")


def inbox_reply_get(*, user: User, access: InboxAccess, pk: int) -> Reply | None:
    """One reply of the inbox, with its state, if the user may read it."""
    rows = _rows(access=access, filters=InboxFilters(), user=user)
    return rows.filter(pk=pk).first()
