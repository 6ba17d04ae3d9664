"""The log of moderation actions, for admins: who, when, what, why."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from moderation import selectors
from moderation.models import AuditEntry
from moderation.views.common import page_links, require_admin

AUDIT_PAGE_SIZE = 50


@require_GET
def audit_log(request):
    require_admin(request.user)
    actors = selectors.audit_actors()
    actor = request.GET.get("actor", "")
    if actor not in actors:
        actor = ""
    action = request.GET.get("action", "")
    if action not in AuditEntry.Action.values:
        action = ""
    entries = selectors.audit_log(user=request.user, actor=actor, action=action)
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {"actor": actor, "action": action}
    context = {
        "tab": "log",
        "page": page,
        "actors": actors,
        "actions": AuditEntry.Action.choices,
        "actor": actor,
        "action": action,
        "filtered": bool(actor or action),
        "time_zone": getattr(
            getattr(request.user, "creator", None), "time_zone", "UTC"
        ),
        **page_links(request.path, filters, page),
    }
    return render(request, "moderation/audit.html", context)
