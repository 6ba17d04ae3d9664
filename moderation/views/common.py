"""Lookups shared by the moderation pages: who may open which page.

Someone who may not see a creator at all gets 404 (its existence does not
leak); someone who sees the creator but may not moderate (an agency
analyst) gets 403, which tells them why. Instance-wide pages are for
admins (staff) only: 403 for everyone else.
"""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import permissions
from accounts.models import CreatorProfile
from analytics.models import Reply
from moderation import selectors
from moderation.models import Report


def require_admin(user) -> None:
    if not permissions.can_moderate(user):
        raise PermissionDenied("Only the instance's admins may open this page.")


def get_moderated_creator_or_404(user, handle: str) -> CreatorProfile:
    """A creator whose replies the user moderates; 403 for one they only
    read, 404 otherwise."""
    creator = (
        selectors.creators_moderated_by(user).filter(handle=handle.lower()).first()
    )
    if creator is not None:
        return creator
    if permissions.creators_visible_to(user).filter(handle=handle.lower()).exists():
        raise PermissionDenied("Only the creator and the people they allowed may.")
    raise Http404("No such creator.")


def refuse_replies(user, pks) -> None:
    """Raise for replies the user may not moderate: 403 if they can at least
    see whose they are, 404 if not."""
    if Reply.objects.filter(
        pk__in=pks, creator__in=permissions.creators_visible_to(user)
    ).exists():
        raise PermissionDenied("Only the creator and the people they allowed may.")
    raise Http404("No such reply.")


def get_moderated_reply_or_404(user, pk: int) -> Reply:
    found = selectors.replies_by_pk(user=user, pks=[pk])
    if not found:
        refuse_replies(user, [pk])
    return found[0]


def get_report_or_404(pk: int) -> Report:
    report = (
        Report.objects.select_related("creator", "reported_by", "resolved_by")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404("No such report.")
    return report


def safe_next(request) -> str:
    """The `next` page the request names, if it is one of ours, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def redirect_back(request, fallback: str):
    return redirect(safe_next(request) or fallback)


def with_query(url: str, params: dict) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return f"{url}?{query}" if query else url


def page_links(url: str, params: dict, page) -> dict[str, str]:
    """`previous_url` and `next_url` of a paginated list ("" at either end),
    keeping its filters."""
    return {
        "previous_url": with_query(url, {**params, "page": page.previous_page_number()})
        if page.has_previous()
        else "",
        "next_url": with_query(url, {**params, "page": page.next_page_number()})
        if page.has_next()
        else "",
    }
