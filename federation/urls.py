from django.urls import path, register_converter

from .views import actors, discovery


class HandleConverter:
    """A creator handle in a URL: letters, digits, underscores, any case."""

    regex = r"[A-Za-z0-9_]{1,30}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(HandleConverter, "handle")

urlpatterns = [
    path(".well-known/webfinger", discovery.webfinger, name="webfinger"),
    path(".well-known/host-meta", discovery.host_meta, name="host-meta"),
    path(".well-known/nodeinfo", discovery.nodeinfo_index, name="nodeinfo-index"),
    path("nodeinfo/2.1", discovery.nodeinfo, {"version": "2.1"}, name="nodeinfo-2.1"),
    path("nodeinfo/2.0", discovery.nodeinfo, {"version": "2.0"}, name="nodeinfo-2.0"),
    path("actor", actors.instance_actor, name="instance-actor"),
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
]
