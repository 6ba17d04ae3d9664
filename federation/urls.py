from django.urls import path, register_converter

from federation.views import (
    actors,
    delivery,
    discovery,
    home,
    moves,
    quotes,
    statuses,
)
from federation.views import inbox as inbox_views
from federation.views import quote_requests as quote_request_views


class HandleConverter:
    """A creator handle in a URL: letters, digits, underscores, any case."""

    regex = r"[A-Za-z0-9_]{1,30}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(HandleConverter, "handle")


class HashtagConverter(HandleConverter):
    """A hashtag as posts.rendering finds them: word characters, any script."""

    regex = r"\w{1,100}"


register_converter(HashtagConverter, "hashtag")

urlpatterns = [
    path(".well-known/webfinger", discovery.webfinger, name="webfinger"),
    path(".well-known/host-meta", discovery.host_meta, name="host-meta"),
    path(".well-known/nodeinfo", discovery.nodeinfo_index, name="nodeinfo-index"),
    path("nodeinfo/2.1", discovery.nodeinfo, {"version": "2.1"}, name="nodeinfo-2.1"),
    path("nodeinfo/2.0", discovery.nodeinfo, {"version": "2.0"}, name="nodeinfo-2.0"),
    path("actor", actors.instance_actor, name="instance-actor"),
    path("actor/outbox", actors.instance_outbox, name="instance-outbox"),
    path("users/<handle:handle>", actors.actor, name="actor"),
    path("users/<handle:handle>/outbox", actors.outbox, name="actor-outbox"),
    path("users/<handle:handle>/followers", actors.followers, name="actor-followers"),
    path("users/<handle:handle>/following", actors.following, name="actor-following"),
    path(
        "users/<handle:handle>/collections/featured",
        actors.featured,
        name="actor-featured",
    ),
    path("@<handle:handle>", actors.profile, name="profile"),
    path("inbox", inbox_views.shared_inbox, name="shared-inbox"),
    path("users/<handle:handle>/inbox", inbox_views.actor_inbox, name="actor-inbox"),
    path(
        "users/<handle:handle>/statuses/<int:post_id>",
        statuses.status,
        name="status",
    ),
    path(
        "users/<handle:handle>/statuses/<int:post_id>/activity",
        statuses.activity,
        name="status-activity",
    ),
    path(
        "users/<handle:handle>/statuses/<int:post_id>/replies",
        statuses.replies,
        name="status-replies",
    ),
    path(
        "users/<handle:handle>/statuses/<int:post_id>/likes",
        statuses.likes,
        name="status-likes",
    ),
    path(
        "users/<handle:handle>/statuses/<int:post_id>/shares",
        statuses.shares,
        name="status-shares",
    ),
    path(
        "users/<handle:handle>/quote_authorizations/<int:pk>",
        quotes.quote_authorization,
        name="quote-authorization",
    ),
    path(
        "users/<handle:handle>/quote_requests/<int:post_id>",
        quote_request_views.quote_request,
        name="quote-request",
    ),
    path("tags/<hashtag:tag>", statuses.tag, name="tag"),
    # Dashboard fragment (login required): how a post's delivery is going.
    path(
        "dashboard/posts/<int:pk>/delivery",
        delivery.post_delivery,
        name="post-delivery",
    ),
    # Dashboard fragment (login required): badges and counts of a posts list.
    path(
        "dashboard/posts/overview",
        delivery.posts_overview,
        name="posts-overview",
    ),
    # Dashboard fragments (login required): the home page's sections.
    path("dashboard/home/creator", home.creator_home, name="home-creator"),
    path("dashboard/home/admin", home.admin_home, name="home-admin"),
    # The creator's "Moving" page (login required).
    path("dashboard/moving/", moves.moving, name="moving"),
    path("dashboard/moving/out", moves.move_out, name="move-out"),
    path("dashboard/moving/undo", moves.move_undo, name="move-undo"),
    path("dashboard/moving/aliases", moves.alias_add, name="alias-add"),
    path(
        "dashboard/moving/aliases/<int:pk>/remove",
        moves.alias_remove,
        name="alias-remove",
    ),
]
