"""Whether admins restricted a remote server: the inbox asks on every POST,
processing and screening for every batch.

A policy on a domain covers its subdomains too, as Mastodon's domain blocks
do, so blocking `example.com` also refuses `social.example.com`; the most
specific policy wins.
"""

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import DomainPolicy

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


@dataclass(frozen=True)
class PolicyFacts:
    """What one policy decides, as screening and processing read it."""

    domain: str  # the name it is filed under
    severity: str
    reject_media: bool
    reject_reports: bool


def domain_policies_among(domains: Iterable[str]) -> dict[str, PolicyFacts]:
    """The policy in force for each of `domains` that has one, in one query
    (the most specific wins, as in domain_severities)."""
    candidates = {domain: domain_candidates(domain) for domain in set(domains)}
    names = {name for group in candidates.values() for name in group}
    if not names:
        return {}
    rows = {
        row[0]: PolicyFacts(*row)
        for row in DomainPolicy.objects.filter(domain__in=names).values_list(
            "domain", "severity", "reject_media", "reject_reports"
        )
    }
    found = {}
    for domain, group in candidates.items():
        name = next((name for name in group if name in rows), None)
        if name is not None:
            found[domain] = rows[name]
    return found


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def normalise_domain(value: str) -> str:
    """A server's name as policies are filed: lower case, ASCII (IDNA), no
    scheme, path or trailing dot; `host:port` kept. ValidationError if it
    is not a domain name."""
    domain = value.strip().lower()
    if "://" in domain:
        domain = domain.split("://", 1)[1]
    domain = domain.split("/", 1)[0].rstrip(".")
    host, sep, port = domain.partition(":")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(f"“{value}” is not a server name.") from None
    labels = host.split(".")
    if (
        len(host) > 253
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or (sep and not (port.isdigit() and 0 < int(port) < 65536))
    ):
        raise ValidationError(f"“{value}” is not a server name.")
    return f"{host}{sep}{port}"


def domain_regex(domain: str) -> str:
    """A regular expression (for `__iregex`) matching `domain`, its
    subdomains, and either with a port: what a policy on it covers."""
    if ":" in domain:  # a policy on one port covers that port only
        return rf"^{re.escape(domain)}$"
    return rf"^([a-z0-9-]+\.)*{re.escape(domain)}(:[0-9]+)?$"
