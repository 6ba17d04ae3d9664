"""Moderation decisions the rest of the service asks about.

Whether an admin restricted a remote server: a policy on a domain covers
its subdomains too, as Mastodon's domain blocks do, so blocking
`example.com` also refuses `social.example.com`. And reports, which other
servers send about our creators, kept as cases for admins.
"""

import time
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.models import CreatorProfile
from analytics.services import plain_text
from posts.models import Post

from .models import DomainPolicy, Report

# Policies change rarely and the inbox reads them on every POST: with
# `cached`, a process reuses what it read for this long. A change made in
# the same process applies at once; other processes see it within the TTL,
# and the inbox's workers always read afresh, so nothing from a server
# blocked a moment ago is processed.
POLICY_CACHE_SECONDS = 10
_cache: dict = {"policies": None, "expires": 0.0}


def domain_candidates(domain: str) -> list[str]:
    """The names a policy for `domain` may be filed under, most specific first.

    `Social.Example.com:8443` → `social.example.com:8443`, `social.example.com`,
    `example.com`, `com`.
    """
    domain = domain.strip().lower().rstrip(".")
    if not domain:
        return []
    hostname = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    labels = hostname.split(".")
    names = [domain] if hostname != domain else []
    names.extend(".".join(labels[i:]) for i in range(len(labels)))
    return names


def domain_policy_for(domain: str) -> DomainPolicy | None:
    """The most specific policy that applies to `domain`, if any."""
    candidates = domain_candidates(domain)
    if not candidates:
        return None
    policies = {
        policy.domain: policy
        for policy in DomainPolicy.objects.filter(domain__in=candidates)
    }
    return next((policies[name] for name in candidates if name in policies), None)


def domain_is_blocked(domain: str) -> bool:
    """Whether admins refuse everything from `domain` (or a parent domain)."""
    policy = domain_policy_for(domain)
    return policy is not None and policy.severity == DomainPolicy.Severity.BLOCK


def _all_policies() -> dict[str, str]:
    now = time.monotonic()
    if _cache["policies"] is None or _cache["expires"] < now:
        _cache["policies"] = dict(
            DomainPolicy.objects.values_list("domain", "severity")
        )
        _cache["expires"] = now + POLICY_CACHE_SECONDS
    return _cache["policies"]


@receiver(post_save, sender=DomainPolicy, dispatch_uid="moderation-policy-saved")
@receiver(post_delete, sender=DomainPolicy, dispatch_uid="moderation-policy-gone")
def forget_cached_policies(**kwargs) -> None:
    _cache["policies"] = None


def domain_severities(
    domains: Iterable[str], *, cached: bool = False
) -> dict[str, str]:
    """The severity that applies to each of `domains` that has a policy.

    One query for a whole batch (none with `cached`, most of the time). The
    most specific policy wins: "no restriction" on a subdomain lifts a block
    on its parent.
    """
    candidates = {domain: domain_candidates(domain) for domain in set(domains)}
    names = {name for group in candidates.values() for name in group}
    if not names:
        return {}
    if cached:
        policies = _all_policies()
    else:
        policies = dict(
            DomainPolicy.objects.filter(domain__in=names).values_list(
                "domain", "severity"
            )
        )
    severities = {}
    for domain, group in candidates.items():
        name = next((name for name in group if name in policies), None)
        if name is not None:
            severities[domain] = policies[name]
    return severities


def blocked_domains_among(domains: Iterable[str], *, cached: bool = False) -> set[str]:
    """The given domains admins refuse everything from."""
    return {
        domain
        for domain, severity in domain_severities(domains, cached=cached).items()
        if severity == DomainPolicy.Severity.BLOCK
    }


# Reports -------------------------------------------------------------------

REPORT_COMMENT_MAX_CHARS = 1000


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
    None and changes nothing. Only the creator's own posts are attached.
    """
    try:
        with transaction.atomic():
            report = Report.objects.create(
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


def report_resolve(*, report: Report, by, note: str = "") -> Report:
    """Close a report; the note says what was done about it."""
    report.status = Report.Status.RESOLVED
    report.resolved_at = timezone.now()
    report.resolved_by = by
    report.resolution_note = note or report.resolution_note
    report.save(
        update_fields=["status", "resolved_at", "resolved_by", "resolution_note"]
    )
    return report
