"""Moderation actions: the only place their state changes.

Every action takes `by` (the user acting; None only from the command line),
checks what that user may do, and writes an AuditEntry: who, when, what,
why, and on what. Who may do what:

- replies, actor blocks, reports on a reply and a creator's own screening
  rules: instance admins (staff), the creator, and agency owners and
  managers the creator allowed to manage posts (not analysts);
- domain policies, the instance's screening rules, forwarding and
  resolving reports: instance admins only.

Anything refused raises PermissionDenied; the pages map it to 403/404.
What the network must learn (a Block, a Flag, a server blocked) is
announced by moderation.events once the transaction commits.

Also re-exported here, for the callers that always used them: the domain
policy reads of moderation.policies.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.models import CreatorProfile, User
from accounts.permissions import acting_agency, can_moderate
from analytics import services as analytics
from analytics.models import Reply
from analytics.services import plain_text
from posts import services as post_services
from posts.models import Post, PostAction

from . import domain_csv, events, screening, selectors
from .models import ActorBlock, AuditEntry, DomainPolicy, Report, ScreeningRules
from .policies import (  # noqa: F401 (re-exported)
    POLICY_CACHE_SECONDS,
    blocked_domains_among,
    domain_candidates,
    domain_is_blocked,
    domain_policies_among,
    domain_policy_for,
    domain_regex,
    domain_severities,
    forget_cached_policies,
    normalise_domain,
)

logger = logging.getLogger(__name__)

REPORT_COMMENT_MAX_CHARS = 1000
REASON_MAX_CHARS = 1000


# Who may do it, and the log ------------------------------------------------------


def _require_admin(by: User | None) -> None:
    if by is not None and not can_moderate(by):
        raise PermissionDenied("Only the instance's admins may do this.")


def _require_moderator_of(by: User | None, creator: CreatorProfile) -> None:
    if by is not None and not selectors.may_moderate_creator(by, creator):
        raise PermissionDenied("You may not moderate this creator's replies.")


def _who(by: User | None) -> str:
    return by.get_username() if by is not None else "command line"


def _entry(
    *,
    by: User | None,
    action: str,
    target_type: str,
    target_id,
    target_label: str,
    creator: CreatorProfile | None = None,
    reason: str = "",
    details: dict | None = None,
) -> AuditEntry:
    return AuditEntry(
        by=by,
        by_label=_who(by),
        action=action,
        creator=creator,
        target_type=target_type,
        target_id=str(target_id)[:500],
        target_label=target_label[:500],
        reason=reason[:REASON_MAX_CHARS],
        details=details or {},
    )


def _audit(**fields) -> AuditEntry:
    entry = _entry(**fields)
    entry.save()
    return entry


def _announce(signal, **kwargs) -> None:
    # Inside the change's transaction: receivers record the work it causes
    # (federation's outbox) in it, so both commit or neither does.
    signal.send(sender=None, **kwargs)


def _reply_label(reply: Reply) -> str:
    words = plain_text(reply.summary or reply.content_html, limit=80)
    return f"reply by {reply.actor_handle or reply.actor_uri}: {words}"


# Replies ----------------------------------------------------------------------

APPROVE = "approve"
HIDE = "hide"
REMOVE = "remove"
_REPLY_ACTIONS = {
    APPROVE: (Reply.Status.VISIBLE, AuditEntry.Action.REPLY_APPROVE),
    HIDE: (Reply.Status.HIDDEN, AuditEntry.Action.REPLY_HIDE),
    REMOVE: (Reply.Status.REMOVED, AuditEntry.Action.REPLY_REMOVE),
}


@transaction.atomic
def replies_moderate(
    *, replies: Iterable[Reply], action: str, by: User | None, reason: str = ""
) -> int:
    """Approve, hide or remove replies (one or many); returns how many
    changed. All or nothing: one reply the user may not moderate refuses
    the lot.

    Approved replies show on the public page and in the `replies`
    collection and count in analytics; held, hidden and removed ones do
    neither (analytics.services.COUNTED_REPLY_STATUSES). The reason is kept
    on the reply (for hidden and removed ones) and in the log.
    """
    if action not in _REPLY_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    status, logged = _REPLY_ACTIONS[action]
    rows = list(
        Reply.objects.select_for_update()
        .filter(pk__in=[reply.pk for reply in replies])
        .select_related("creator")
    )
    for creator in {reply.creator for reply in rows}:
        _require_moderator_of(by, creator)
    changed = [reply for reply in rows if reply.status != status]
    if not changed:
        return 0
    reason = reason.strip()
    fields = {"status": status}
    if status == Reply.Status.VISIBLE:
        fields["hold_reason"] = ""  # nothing holds it any more
    elif reason:
        fields["hold_reason"] = reason[:255]
    analytics.replies_status_changed(replies=changed, status=status)
    Reply.objects.filter(pk__in=[reply.pk for reply in changed]).update(**fields)
    AuditEntry.objects.bulk_create(
        [
            _entry(
                by=by,
                action=logged,
                target_type=AuditEntry.Target.REPLY,
                target_id=reply.pk,
                target_label=_reply_label(reply),
                creator=reply.creator,
                reason=reason,
                details={"from": reply.status, "to": status, "ap_id": reply.ap_id},
            )
            for reply in changed
        ]
    )
    _record_for_creators(changed, by=by, action=action)
    logger.info("%s: %s %d replies", _who(by), action, len(changed))
    return len(changed)


_DONE = {APPROVE: "approved", HIDE: "hid", REMOVE: "removed"}


def _author_of(reply: Reply) -> str:
    return reply.actor_handle or reply.actor_uri


def _record_for_creators(replies: list[Reply], *, by: User | None, action: str):
    """Replies moderated by someone at an agency show in the creator's Team
    activity (the audit entries above already name who)."""
    if by is None:
        return
    for reply in replies:
        creator = reply.creator
        if creator.user_id == by.pk or acting_agency(by, creator) is None:
            continue
        post_services.record_on_behalf(
            creator=creator,
            by=by,
            action=PostAction.Action.MODERATE,
            post=reply.post,
            detail=f"{_DONE[action]} a reply by {_author_of(reply)}",
            audit=False,
        )


def reply_approve(*, reply: Reply, by: User | None, reason: str = "") -> Reply:
    """Show a held (or hidden) reply: on the post's page and to servers."""
    replies_moderate(replies=[reply], action=APPROVE, by=by, reason=reason)
    reply.refresh_from_db(fields=["status", "hold_reason"])
    return reply


def reply_hide(*, reply: Reply, by: User | None, reason: str = "") -> Reply:
    """Keep a reply off the public page and the `replies` collection."""
    replies_moderate(replies=[reply], action=HIDE, by=by, reason=reason)
    reply.refresh_from_db(fields=["status", "hold_reason"])
    return reply


def reply_remove(*, reply: Reply, by: User | None, reason: str = "") -> Reply:
    """Remove a reply from everything shown and from the counts."""
    replies_moderate(replies=[reply], action=REMOVE, by=by, reason=reason)
    reply.refresh_from_db(fields=["status", "hold_reason"])
    return reply


# Actor blocks -----------------------------------------------------------------


def _domain_of(uri: str) -> str:
    rest = uri.split("://", 1)[-1]
    return rest.split("/", 1)[0].lower()


@transaction.atomic
def actor_block(
    *,
    creator: CreatorProfile,
    actor_uri: str,
    by: User | None,
    reason: str = "",
    handle: str = "",
) -> ActorBlock:
    """The creator blocks a remote account; blocking twice changes nothing.

    Their replies in the creator's threads are hidden; federation sends the
    account a `Block` and ends its follow (events.actor_blocked), and
    whatever it sends the creator later is dropped.
    """
    _require_moderator_of(by, creator)
    if not actor_uri.startswith(("https://", "http://")) or len(actor_uri) > 500:
        raise ValidationError("That is not a remote account's address.")
    domain = _domain_of(actor_uri)
    if domain == settings.CREATORHUB_DOMAIN.lower():
        raise ValidationError("Accounts on this server cannot be blocked this way.")
    existing = ActorBlock.objects.filter(creator=creator, actor_uri=actor_uri).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            block = ActorBlock.objects.create(
                creator=creator,
                actor_uri=actor_uri,
                actor_handle=handle[:320],
                domain=domain,
                reason=reason[:REASON_MAX_CHARS],
                created_by=by,
            )
    except IntegrityError:  # blocked at the same moment elsewhere
        return ActorBlock.objects.get(creator=creator, actor_uri=actor_uri)
    shown = Reply.objects.filter(
        creator=creator,
        actor_uri=actor_uri,
        status__in=[Reply.Status.VISIBLE, Reply.Status.HELD],
    )
    analytics.replies_status_changed(
        replies=shown.filter(status=Reply.Status.VISIBLE), status=Reply.Status.HIDDEN
    )
    hidden = shown.update(
        status=Reply.Status.HIDDEN, hold_reason="the author is blocked"
    )
    _audit(
        by=by,
        action=AuditEntry.Action.ACTOR_BLOCK,
        target_type=AuditEntry.Target.ACCOUNT,
        target_id=actor_uri,
        target_label=handle or actor_uri,
        creator=creator,
        reason=reason,
        details={"replies_hidden": hidden},
    )
    _announce(events.actor_blocked, block=block)
    return block


@transaction.atomic
def actor_unblock(*, block: ActorBlock, by: User | None, reason: str = "") -> None:
    """Lift a block; the account is sent `Undo(Block)`. Replies hidden when
    it was blocked stay hidden (approve them one by one)."""
    creator = block.creator
    _require_moderator_of(by, creator)
    block_id, actor_uri = block.pk, block.actor_uri
    if not ActorBlock.objects.filter(pk=block_id).delete()[0]:
        return  # lifted already
    _audit(
        by=by,
        action=AuditEntry.Action.ACTOR_UNBLOCK,
        target_type=AuditEntry.Target.ACCOUNT,
        target_id=actor_uri,
        target_label=block.actor_handle or actor_uri,
        creator=creator,
        reason=reason,
    )
    _announce(
        events.actor_unblocked, creator=creator, actor_uri=actor_uri, block_id=block_id
    )


def reply_block_author(
    *, reply: Reply, by: User | None, reason: str = ""
) -> ActorBlock:
    """Block the author of a reply for the creator whose thread it is in."""
    return actor_block(
        creator=reply.creator,
        actor_uri=reply.actor_uri,
        handle=reply.actor_handle,
        by=by,
        reason=reason,
    )


def reply_block_server(
    *, reply: Reply, by: User | None, reason: str = ""
) -> DomainPolicy:
    """Block the server a reply came from (admins only). A policy the server
    already has keeps its other settings (media, reports, reasons)."""
    _require_admin(by)
    domain = normalise_domain(reply.instance_domain)
    current = DomainPolicy.objects.filter(domain=domain).first()
    values = _policy_values(current) if current is not None else {}
    values["severity"] = DomainPolicy.Severity.BLOCK
    if not values.get("private_note"):
        values["private_note"] = reason
    return domain_policy_save(
        domain=domain,
        by=by,
        reason=reason or f"from the queue: {_reply_label(reply)}",
        **values,
    )


@transaction.atomic
def replies_block_authors(
    *, replies: Iterable[Reply], by: User | None, reason: str = ""
) -> list[ActorBlock]:
    """Block the author of each reply for the creator whose thread it is in
    (the queue's bulk action); one block per creator and account. All or
    nothing: one the user may not block refuses the lot."""
    pairs = {(reply.creator, reply.actor_uri): reply for reply in replies}
    for creator, _ in pairs:
        _require_moderator_of(by, creator)
    return [
        reply_block_author(reply=reply, by=by, reason=reason)
        for reply in pairs.values()
    ]


@transaction.atomic
def replies_block_servers(
    *, replies: Iterable[Reply], by: User | None, reason: str = ""
) -> list[DomainPolicy]:
    """Block the server each reply came from, once per server (admins only)."""
    _require_admin(by)
    servers = {reply.instance_domain.lower(): reply for reply in replies}
    return [
        reply_block_server(reply=reply, by=by, reason=reason)
        for reply in servers.values()
    ]


# Domain policies --------------------------------------------------------------

POLICY_FIELDS = (
    "severity",
    "reject_media",
    "reject_reports",
    "obfuscate",
    "public_reason",
    "private_note",
)


def _policy_values(policy: DomainPolicy) -> dict:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


def _blocked_now(domain: str) -> int:
    """What blocking `domain` does here at once: replies from it (and its
    subdomains, unless a more specific policy lifts the block) are hidden.
    Returns how many; federation does the rest (events.domain_blocked)."""
    names = set(
        Reply.objects.filter(instance_domain__iregex=domain_regex(domain))
        .values_list("instance_domain", flat=True)
        .distinct()
    )
    blocked = blocked_domains_among(names)
    hidden = 0
    if blocked:
        shown = Reply.objects.filter(
            instance_domain__in=blocked,
            status__in=[Reply.Status.VISIBLE, Reply.Status.HELD],
        )
        analytics.replies_status_changed(
            replies=shown.filter(status=Reply.Status.VISIBLE),
            status=Reply.Status.HIDDEN,
        )
        hidden = shown.update(
            status=Reply.Status.HIDDEN,
            hold_reason="the server is blocked by the admins",
        )
    _announce(events.domain_blocked, domain=domain)
    return hidden


def _save_policy(domain: str, values: dict) -> tuple[DomainPolicy, dict | None, int]:
    """(policy, its values before or None if new, replies hidden)."""
    policy = DomainPolicy.objects.select_for_update().filter(domain=domain).first()
    before = _policy_values(policy) if policy is not None else None
    if policy is None:
        policy = DomainPolicy(domain=domain)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    hidden = 0
    was_blocked = (
        before is not None and before["severity"] == DomainPolicy.Severity.BLOCK
    )
    if policy.severity == DomainPolicy.Severity.BLOCK and not was_blocked:
        hidden = _blocked_now(domain)
    return policy, before, hidden


@transaction.atomic
def domain_policy_save(
    *,
    domain: str,
    by: User | None,
    severity: str = DomainPolicy.Severity.BLOCK,
    reject_media: bool = False,
    reject_reports: bool = False,
    obfuscate: bool = False,
    public_reason: str = "",
    private_note: str = "",
    reason: str = "",
) -> DomainPolicy:
    """Set (create or change) the policy for a server; admins only.

    Block refuses everything from it: its followers are dropped, deliveries
    there given up, its replies hidden. Silence holds every reply from it;
    reject media drops its replies' attachments.
    """
    _require_admin(by)
    domain = normalise_domain(domain)
    if severity not in DomainPolicy.Severity.values:
        raise ValidationError(f"Unknown severity “{severity}”.")
    values = {
        "severity": severity,
        "reject_media": reject_media,
        "reject_reports": reject_reports,
        "obfuscate": obfuscate,
        "public_reason": public_reason.strip()[:500],
        "private_note": private_note.strip(),
    }
    policy, before, hidden = _save_policy(domain, values)
    changes = {
        name: [before[name] if before else None, value]
        for name, value in values.items()
        if before is None or before[name] != value
    }
    _audit(
        by=by,
        action=AuditEntry.Action.DOMAIN_POLICY_SAVE,
        target_type=AuditEntry.Target.DOMAIN,
        target_id=domain,
        target_label=f"{domain}: {policy.get_severity_display()}",
        reason=reason,
        details={"new": before is None, "changes": changes, "replies_hidden": hidden},
    )
    return policy


@transaction.atomic
def domain_policy_delete(
    *, policy: DomainPolicy, by: User | None, reason: str = ""
) -> None:
    """Lift a server's policy. Followers dropped and replies hidden while it
    was blocked are not restored."""
    _require_admin(by)
    before = _policy_values(policy)
    DomainPolicy.objects.filter(pk=policy.pk).delete()
    _audit(
        by=by,
        action=AuditEntry.Action.DOMAIN_POLICY_DELETE,
        target_type=AuditEntry.Target.DOMAIN,
        target_id=policy.domain,
        target_label=f"{policy.domain}: {policy.get_severity_display()} lifted",
        reason=reason,
        details={"was": before},
    )


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    # Already had a policy (and update_existing was off).
    skipped: list[str] = field(default_factory=list)
    # "line 4: …" for each line that could not be used.
    errors: list[str] = field(default_factory=list)


@transaction.atomic
def domain_policies_import(
    *,
    data: str,
    by: User | None,
    source: str = "",
    update_existing: bool = False,
) -> ImportResult:
    """Import a domain-block list in Mastodon's CSV format (or a bare list
    of domains); admins only.

    As Mastodon does, servers that already have a policy are left alone
    (unless `update_existing`), and each new policy's private note says
    where it came from. Bad lines are reported, not fatal; a file that
    cannot be read at all raises ValidationError.
    """
    _require_admin(by)
    try:
        rows, bad = domain_csv.parse(data)
    except domain_csv.ListError as exc:
        raise ValidationError(f"The list cannot be read: {exc}.") from None
    result = ImportResult(errors=[f"line {row.line}: {row.error}" for row in bad])
    note = f"Imported from {source or 'a list'} on {timezone.now():%Y-%m-%d}"
    seen = set()
    for row in rows:
        try:
            domain = normalise_domain(row.domain)
        except ValidationError as exc:
            result.errors.append(f"line {row.line}: {exc.messages[0]}")
            continue
        if domain in seen:
            continue
        seen.add(domain)
        exists = DomainPolicy.objects.filter(domain=domain).exists()
        if exists and not update_existing:
            result.skipped.append(domain)
            continue
        values = {
            "severity": row.severity,
            "reject_media": row.reject_media,
            "reject_reports": row.reject_reports,
            "obfuscate": row.obfuscate,
            "public_reason": row.public_comment,
        }
        if not exists:
            values["private_note"] = note
        _save_policy(domain, values)
        (result.updated if exists else result.created).append(domain)
    _audit(
        by=by,
        action=AuditEntry.Action.DOMAIN_POLICIES_IMPORT,
        target_type=AuditEntry.Target.DOMAIN,
        target_id=source or "list",
        target_label=(
            f"{len(result.created)} new, {len(result.updated)} changed, "
            f"{len(result.skipped)} kept, "
            f"{len(result.errors)} error{pluralize(len(result.errors))}"
        ),
        reason=source,
        details={
            "created": result.created[:1000],
            "updated": result.updated[:1000],
            "errors": result.errors[:100],
        },
    )
    return result


# Screening rules --------------------------------------------------------------

_RULE_LIMITS = {
    "new_server_days": (1, 365),
    "mention_limit": (1, 100),
    "flood_limit": (0, 1000),
    "flood_minutes": (1, 24 * 60),
}
_RULE_FLAGS = (
    "hold_all",
    "hold_first_time",
    "hold_new_servers",
    "hold_link_only",
    "hold_mention_spam",
)


def _clean_rule_changes(changes: dict) -> dict:
    unknown = set(changes) - {*_RULE_FLAGS, *_RULE_LIMITS, "keywords"}
    if unknown:
        raise ValueError(f"not screening rules: {sorted(unknown)}")
    errors = {}
    cleaned = {}
    for name, value in changes.items():
        if name in _RULE_FLAGS:
            cleaned[name] = bool(value)
        elif name in _RULE_LIMITS:
            low, high = _RULE_LIMITS[name]
            if not isinstance(value, int) or not low <= value <= high:
                errors[name] = f"Enter a whole number from {low} to {high}."
            else:
                cleaned[name] = value
        else:
            try:
                screening.parse_filters(value)
            except screening.FilterError as exc:
                errors[name] = f"{str(exc)[0].upper()}{str(exc)[1:]}."
            cleaned[name] = "\n".join(line.strip() for line in value.splitlines())
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def screening_rules_update(
    *, creator: CreatorProfile | None, by: User | None, **changes
) -> ScreeningRules:
    """Change a creator's own screening rules, or (creator None, admins
    only) the instance's, which apply to every creator.

    Fields: the hold_* switches, new_server_days, mention_limit,
    flood_limit, flood_minutes, keywords (one per line; /pattern/ for a
    regular expression). ValidationError names the fields in error.
    """
    if creator is None:
        _require_admin(by)
    else:
        _require_moderator_of(by, creator)
    cleaned = _clean_rule_changes(changes)
    if creator is None:
        rules = (
            ScreeningRules.objects.select_for_update().filter(is_instance=True).first()
        ) or ScreeningRules(is_instance=True)
    else:
        rules = (
            ScreeningRules.objects.select_for_update().filter(creator=creator).first()
        ) or ScreeningRules(creator=creator)
    diff = {
        name: [getattr(rules, name), value]
        for name, value in cleaned.items()
        if getattr(rules, name) != value
    }
    for name, value in cleaned.items():
        setattr(rules, name, value)
    rules.updated_by = by
    try:
        with transaction.atomic():
            rules.save()
    except IntegrityError:  # another first save of the same rules won
        raise ValidationError(
            "The rules were just changed elsewhere; try again."
        ) from None
    if diff:
        _audit(
            by=by,
            action=AuditEntry.Action.RULES_UPDATE,
            target_type=AuditEntry.Target.RULES,
            target_id=rules.pk,
            target_label=str(rules),
            creator=creator,
            details={"changes": diff},
        )
    return rules


# Reports ----------------------------------------------------------------------


def report_receive(
    *,
    activity_id: str,
    reporter_uri: str,
    reporter_domain: str,
    creator: CreatorProfile,
    posts: Iterable[Post] = (),
    comment: str = "",
) -> Report | None:
    """Open a case for admins about `creator` (and some of their posts).

    A report is kept once per Flag and creator: a re-delivered Flag returns
    None and changes nothing, as does one from a server whose reports are
    rejected. Only the creator's own posts are attached.
    """
    policy = domain_policies_among([reporter_domain]).get(reporter_domain)
    if policy is not None and policy.reject_reports:
        return None
    try:
        with transaction.atomic():
            report = Report.objects.create(
                source=Report.Source.REMOTE,
                activity_id=activity_id,
                reporter_uri=reporter_uri,
                reporter_domain=reporter_domain.lower(),
                creator=creator,
                comment=plain_text(comment, limit=REPORT_COMMENT_MAX_CHARS),
            )
            report.posts.set([p for p in posts if p.creator_id == creator.pk])
    except IntegrityError:
        return None
    return report


@transaction.atomic
def report_file(
    *,
    replies: Sequence[Reply],
    by: User,
    comment: str = "",
    forward: bool = False,
) -> Report:
    """A creator (or whoever manages their posts) reports replies by one
    remote account in their threads to the admins; with `forward`, a copy
    goes to that account's server as a `Flag` from the instance actor
    (without saying who reported)."""
    replies = list(replies)
    if not replies:
        raise ValidationError("Choose the replies to report.")
    first = replies[0]
    if any(
        r.creator_id != first.creator_id or r.actor_uri != first.actor_uri
        for r in replies
    ):
        raise ValidationError("A report is about one account's replies to one creator.")
    creator = first.creator
    _require_moderator_of(by, creator)
    report = Report.objects.create(
        source=Report.Source.CREATOR,
        reported_by=by,
        creator=creator,
        target_actor_uri=first.actor_uri,
        target_handle=first.actor_handle,
        target_domain=first.instance_domain,
        comment=plain_text(comment, limit=REPORT_COMMENT_MAX_CHARS),
    )
    report.replies.set(replies)
    _audit(
        by=by,
        action=AuditEntry.Action.REPORT_FILE,
        target_type=AuditEntry.Target.REPORT,
        target_id=report.pk,
        target_label=str(report),
        creator=creator,
        reason=report.comment,
        details={"replies": [r.pk for r in replies], "forward": forward},
    )
    if forward:
        _forward(report, by=by)
    return report


def _forward(report: Report, *, by: User | None) -> Report:
    if report.source != Report.Source.CREATOR or not report.target_actor_uri:
        raise ValidationError("Only reports about a remote account can be forwarded.")
    if report.forwarded_at is not None:
        return report
    if domain_is_blocked(report.target_domain):
        raise ValidationError(
            f"{report.target_domain} is blocked: nothing is sent there."
        )
    report.forwarded_at = timezone.now()
    report.save(update_fields=["forwarded_at"])
    _audit(
        by=by,
        action=AuditEntry.Action.REPORT_FORWARD,
        target_type=AuditEntry.Target.REPORT,
        target_id=report.pk,
        target_label=f"{report} → admins of {report.target_domain}",
        creator=report.creator,
    )
    _announce(events.report_forwarded, report=report)
    return report


@transaction.atomic
def report_forward(*, report: Report, by: User | None) -> Report:
    """Send a copy of a creator's report to the remote server's admins, once
    (admins, or who filed it)."""
    if by is not None and not can_moderate(by):
        if report.reported_by_id != by.pk:
            raise PermissionDenied("Only admins or who filed it may forward it.")
        _require_moderator_of(by, report.creator)
    return _forward(report, by=by)


def _resolve_action(report: Report, action: str, *, by: User | None, note: str):
    """Carry out what resolving the report with `action` means."""
    A = Report.Action
    why = f"report #{report.pk}" + (f": {note}" if note else "")
    if action in (A.HIDE_REPLIES, A.REMOVE_REPLIES):
        replies = list(report.replies.all())
        if not replies:
            raise ValidationError("This report names no replies.")
        replies_moderate(
            replies=replies,
            action=HIDE if action == A.HIDE_REPLIES else REMOVE,
            by=by,
            reason=why,
        )
    elif action == A.BLOCK_ACCOUNT:
        if not report.target_actor_uri:
            raise ValidationError("This report names no remote account.")
        actor_block(
            creator=report.creator,
            actor_uri=report.target_actor_uri,
            handle=report.target_handle,
            by=by,
            reason=why,
        )
    elif action in (A.SILENCE_SERVER, A.BLOCK_SERVER):
        if not report.server:
            raise ValidationError("This report names no server.")
        domain = normalise_domain(report.server)
        current = DomainPolicy.objects.filter(domain=domain).first()
        values = _policy_values(current) if current else {}
        values["severity"] = (
            DomainPolicy.Severity.SILENCE
            if action == A.SILENCE_SERVER
            else DomainPolicy.Severity.BLOCK
        )
        values.setdefault("private_note", why)
        domain_policy_save(domain=domain, by=by, reason=why, **values)
    elif action not in A.values:
        raise ValidationError(f"Unknown action “{action}”.")


@transaction.atomic
def report_resolve(
    *,
    report: Report,
    by: User | None,
    action: str = Report.Action.NONE,
    note: str = "",
) -> Report:
    """Close a report with an action (admins only): hide or remove the
    replies, block the account for the creator, silence or block the
    server, or none; the note says what was done and why."""
    _require_admin(by)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status == Report.Status.RESOLVED:
        raise ValidationError("This report is resolved already.")
    _resolve_action(report, action, by=by, note=note)
    report.status = Report.Status.RESOLVED
    report.resolved_at = timezone.now()
    report.resolved_by = by
    report.action = action
    report.resolution_note = note or report.resolution_note
    report.save(
        update_fields=[
            "status",
            "resolved_at",
            "resolved_by",
            "action",
            "resolution_note",
        ]
    )
    _audit(
        by=by,
        action=AuditEntry.Action.REPORT_RESOLVE,
        target_type=AuditEntry.Target.REPORT,
        target_id=report.pk,
        target_label=str(report),
        creator=report.creator,
        reason=note,
        details={"action": action},
    )
    return report


# Account security (logged, not moderated) ------------------------------------
# Written from accounts' and axes' signals (moderation.account_events): the
# admins' one log of who did what also shows who was locked out and who
# unlocked them.

LOGIN_THROTTLE_LABEL = "log-in throttle"


def audit_login_lockout(*, username: str, ip_address: str | None) -> AuditEntry:
    """Log that an account was locked after repeated failed log-ins."""
    where = f" (last try from {ip_address})" if ip_address else ""
    entry = _entry(
        by=None,
        action=AuditEntry.Action.LOGIN_LOCKOUT,
        target_type=AuditEntry.Target.USER,
        target_id=username,
        target_label=f"{username}{where}",
        details={
            "ip_address": ip_address or "",
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cool_off_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
    )
    entry.by_label = LOGIN_THROTTLE_LABEL
    entry.save()
    return entry


def audit_login_unlock(*, username: str, by: User | None, via: str) -> AuditEntry:
    """Log that an account's log-in lock-out was lifted before it ended."""
    entry = _entry(
        by=by,
        action=AuditEntry.Action.LOGIN_UNLOCK,
        target_type=AuditEntry.Target.USER,
        target_id=username,
        target_label=username,
        details={"via": via},
    )
    if by is None:
        entry.by_label = via
    entry.save()
    return entry


def audit_two_factor_reset(*, user: User, by: User | None) -> AuditEntry:
    """Log that someone removed a user's two-factor devices."""
    return _audit(
        by=by,
        action=AuditEntry.Action.TWO_FACTOR_RESET,
        target_type=AuditEntry.Target.USER,
        target_id=user.pk,
        target_label=user.get_username(),
    )


def audit_agency_action(*, action) -> AuditEntry:
    """Log what an agency member did for a creator (a posts.PostAction)."""
    target = f"post {action.post_id}" if action.post_id else "post"
    label = f"{target}: {action.post_label}" if action.post_label else target
    return _audit(
        by=action.by,
        action=AuditEntry.Action.AGENCY_ACTION,
        creator=action.creator,
        target_type=AuditEntry.Target.POST,
        target_id=action.post_id or "",
        target_label=label,
        details={
            "did": action.action,
            "words": action.in_words,
            "agency": action.agency_label,
            "detail": action.detail,
        },
    )
