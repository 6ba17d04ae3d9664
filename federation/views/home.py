"""The dashboard home's sections that read other apps: htmx fragments.

accounts serves the home page and imports none of the apps above it; the
page loads these by URL name, as the post pages load the delivery panel.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import permissions
from federation import selectors


@require_GET
def creator_home(request):
    """The creator's week, next scheduled posts, replies waiting, problems."""
    creator = getattr(request.user, "creator", None)
    if creator is None:
        raise Http404("No creator profile.")
    context = {"creator": creator, "home": selectors.creator_home(creator)}
    return render(request, "federation/partials/home_creator.html", context)


@require_GET
def admin_home(request):
    """Moderation waiting and the health of the queues; admins only."""
    if not permissions.can_moderate(request.user):
        raise Http404("No such page.")
    context = {"home": selectors.admin_home(user=request.user)}
    return render(request, "federation/partials/home_admin.html", context)
