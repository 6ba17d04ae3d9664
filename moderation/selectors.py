"""Read-only queries behind the moderation pages and the inbox's checks.

The reply queue is per creator for the creator and the agency members they
allowed to manage posts, and instance-wide for admins; nobody else sees it.
"""

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from accounts.models import AgencyScope, CreatorProfile, User
from accounts.permissions import can_moderate, creators_with_scope
from analytics.models import Reply

from . import domain_csv
from .models import ActorBlock, AuditEntry, DomainPolicy, Report, ScreeningRules
from .policies import domain_regex

QUEUE_STATUSES = tuple(Reply.Status.values)


# Who moderates whose replies ----------------------------------------------------


def creators_moderated_by(user: User) -> QuerySet[CreatorProfile]:
    """Creators whose replies the user may approve, hide and remove: all of
    them for admins; else the user's own profile and those of creators who
    let one of the user's agencies (as owner or manager) moderate replies."""
    if not user.is_authenticated or not user.is_active:
        return CreatorProfile.objects.none()
    if can_moderate(user):
        return CreatorProfile.objects.all()
    return creators_with_scope(user, AgencyScope.MODERATE_REPLIES)


def may_moderate_creator(user: User, creator: CreatorProfile) -> bool:
    return creators_moderated_by(user).filter(pk=creator.pk).exists()


# The reply queue ------------------------------------------------------------------


def _matching(
    replies: QuerySet[Reply], *, server: str = "", keyword: str = ""
) -> QuerySet[Reply]:
    server = server.strip().lower()
    if server:
        replies = replies.filter(instance_domain__iregex=domain_regex(server))
    keyword = keyword.strip()
    if keyword:
        replies = replies.filter(
            Q(content_html__icontains=keyword)
            | Q(summary__icontains=keyword)
            | Q(actor_handle__icontains=keyword)
            | Q(actor_name__icontains=keyword)
        )
    return replies


def reply_queue(
    *,
    user: User,
    creator: CreatorProfile | None = None,
    statuses: Iterable[str] = (Reply.Status.HELD,),
    server: str = "",
    keyword: str = "",
) -> QuerySet[Reply]:
    """Replies the user may moderate, newest first: one creator's, or (None)
    every creator's the user moderates (instance-wide for admins).

    Filters: statuses (held by default), server (a domain, subdomains
    included) and keyword (in the text, content warning, name or handle).
    """
    statuses = [s for s in statuses if s in QUEUE_STATUSES]
    replies = Reply.objects.filter(status__in=statuses)
    if creator is not None:
        if not may_moderate_creator(user, creator):
            return Reply.objects.none()
        replies = replies.filter(creator=creator)
    elif not can_moderate(user):
        replies = replies.filter(creator__in=creators_moderated_by(user))
    return (
        _matching(replies, server=server, keyword=keyword)
        .select_related("creator", "post")
        .order_by("-received_at", "-pk")
    )


def reply_status_counts(
    *,
    user: User,
    creator: CreatorProfile | None = None,
    server: str = "",
    keyword: str = "",
) -> dict[str, int]:
    """How many replies of each status the queue holds under these
    filters, in one query: {"visible": 12, "held": 3, "hidden": 0, ...}."""
    replies = reply_queue(
        user=user,
        creator=creator,
        statuses=QUEUE_STATUSES,
        server=server,
        keyword=keyword,
    ).order_by()
    counts = replies.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in QUEUE_STATUSES}
    )
    return {status: counts[status] or 0 for status in QUEUE_STATUSES}


def replies_by_pk(*, user: User, pks: Iterable[int]) -> list[Reply]:
    """The replies among `pks` the user may moderate (bulk actions: the
    rest are left out, as if they did not exist)."""
    return list(
        reply_queue(user=user, statuses=QUEUE_STATUSES).filter(pk__in=list(pks))
    )


# Blocks, rules, policies, reports, the log ---------------------------------------


def actor_blocks_among(actor_uris: Iterable[str]) -> dict[str, set[int]]:
    """actor URI -> the creators who blocked it, for the actors given that
    anyone blocked (one indexed query; the inbox asks per batch)."""
    actor_uris = set(actor_uris)
    if not actor_uris:
        return {}
    found: dict[str, set[int]] = {}
    for actor_uri, creator_id in ActorBlock.objects.filter(
        actor_uri__in=actor_uris
    ).values_list("actor_uri", "creator_id"):
        found.setdefault(actor_uri, set()).add(creator_id)
    return found


def actor_is_blocked(*, creator: CreatorProfile, actor_uri: str) -> bool:
    return ActorBlock.objects.filter(creator=creator, actor_uri=actor_uri).exists()


def blocks_of(creator: CreatorProfile) -> QuerySet[ActorBlock]:
    return ActorBlock.objects.filter(creator=creator).order_by("-created_at")


def screening_rules_of(creator: CreatorProfile | None) -> ScreeningRules:
    """The creator's own rules (or, for None, the instance's) as stored, or
    unsaved defaults if none were set."""
    if creator is None:
        rules = ScreeningRules.objects.filter(is_instance=True).first()
        return rules or ScreeningRules(is_instance=True)
    rules = ScreeningRules.objects.filter(creator=creator).first()
    return rules or ScreeningRules(creator=creator)


def open_reports() -> QuerySet[Report]:
    return reports_with_status(Report.Status.OPEN)


def reports_with_status(status: str) -> QuerySet[Report]:
    """Reports open or resolved: newest first, resolved ones by when."""
    order = "-resolved_at" if status == Report.Status.RESOLVED else "-received_at"
    return (
        Report.objects.filter(status=status)
        .select_related("creator", "reported_by", "resolved_by")
        .prefetch_related("posts", "replies")
        .order_by(order, "-pk")
    )


def report_counts() -> dict[str, int]:
    counts = Report.objects.aggregate(
        **{
            status: Count("pk", filter=Q(status=status))
            for status in Report.Status.values
        }
    )
    return {status: counts[status] or 0 for status in Report.Status.values}


def audit_log(
    *,
    user: User,
    creator: CreatorProfile | None = None,
    actor: str = "",
    action: str = "",
) -> QuerySet[AuditEntry]:
    """Moderation actions, newest first: instance-wide for admins; one
    creator's (their replies, blocks and rules) for those who moderate it.
    Optionally only those of one actor (`by_label`) or one action."""
    entries = AuditEntry.objects.select_related("creator").order_by(
        "-created_at", "-pk"
    )
    if actor:
        entries = entries.filter(by_label=actor)
    if action:
        entries = entries.filter(action=action)
    if creator is not None:
        if not may_moderate_creator(user, creator):
            return AuditEntry.objects.none()
        return entries.filter(creator=creator)
    return entries if can_moderate(user) else AuditEntry.objects.none()


def audit_actors() -> list[str]:
    """Everyone who appears in the log (by name), for filtering it."""
    return list(
        AuditEntry.objects.order_by("by_label")
        .values_list("by_label", flat=True)
        .distinct()
    )


def held_counts(*, user: User) -> dict[int, int]:
    """creator pk -> replies held for review, for the creators the user
    moderates that have any (one query)."""
    return dict(
        reply_queue(user=user)
        .order_by()
        .values_list("creator")
        .annotate(n=Count("pk"))
        .values_list("creator", "n")
    )


# Domain policies as Mastodon exports them -------------------------------------------


def domain_policies_csv() -> str:
    """Every policy that restricts something, as Mastodon's domain-block
    export (moderation.domain_csv); private notes stay here."""
    policies = DomainPolicy.objects.filter(
        ~Q(severity=DomainPolicy.Severity.NOOP)
        | Q(reject_media=True)
        | Q(reject_reports=True)
    ).order_by("domain")
    return domain_csv.export(policies)
