"""The delivery progress of a post, as an htmx fragment for the dashboard.

The posts pages embed it (`hx-get`); while something is still being sent it
asks to be fetched again every few seconds, and stops once it is done.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import permissions
from federation import selectors
from federation.outbound import delivery_status
from posts.models import Post


@require_GET
def post_delivery(request, pk: int):
    """How the post's activities are reaching servers; 404 to outsiders."""
    post = (
        Post.objects.select_related("creator")
        .filter(pk=pk, creator__in=permissions.creators_visible_to(request.user))
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    context = {"progress": delivery_status.delivery_progress(post)}
    if request.htmx:
        return render(request, "federation/partials/delivery_progress.html", context)
    return render(request, "federation/post_delivery.html", context)


# Posts a page of the posts list asks about at most.
OVERVIEW_LIMIT = 100


@require_GET
def posts_overview(request):
    """Delivery badges and engagement counts of a page of the posts list.

    `?ids=1,2,3`; answers one out-of-band htmx swap per post the user may
    see (the rest are left out, as if they did not exist).
    """
    wanted = []
    for part in request.GET.get("ids", "").split(",")[:OVERVIEW_LIMIT]:
        if part.strip().isdigit():
            wanted.append(int(part))
    visible = Post.objects.filter(
        pk__in=wanted, creator__in=permissions.creators_visible_to(request.user)
    ).values_list("pk", flat=True)
    overview = selectors.posts_overview(list(visible))
    items = [overview[pk] for pk in wanted if pk in overview]
    return render(request, "federation/partials/posts_overview.html", {"items": items})
