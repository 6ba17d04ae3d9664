"""WebFinger, host-meta and NodeInfo: how other servers find us."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import User
from federation import selectors
from federation.protocol import activitypub, ids
from federation.protocol.negotiation import ACTIVITY_JSON, jrd_response, json_response

WEBFINGER_MAX_AGE = 3 * 24 * 3600  # as Mastodon answers
NODEINFO_MAX_AGE = 30 * 60
NODEINFO_PROFILE = "http://nodeinfo.diaspora.software/ns/schema/{version}"
_ACCT = re.compile(r"^acct:@?([^@\s]+)@([^@\s]+)$", re.IGNORECASE)


def _bad_request(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400)


def _handle_from_resource(resource: str) -> str | None:
    """The local handle a resource names, or None if it names nothing of ours.

    Raises ValueError for a resource that is not an acct: URI or a URL.
    """
    our_domain = settings.CREATORHUB_DOMAIN.lower()
    match = _ACCT.match(resource)
    if match:
        handle, domain = match.groups()
        return handle if domain.lower() == our_domain else None
    parts = urlsplit(resource)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("resource must be acct:user@domain or an actor URL")
    if parts.netloc.lower() != our_domain:
        return None
    path = parts.path.rstrip("/")
    for prefix in ("/users/", "/@"):
        if path.startswith(prefix) and "/" not in path[len(prefix) :]:
            return path[len(prefix) :]
    return None


@login_not_required
@require_GET
def webfinger(request):
    resource = request.GET.get("resource", "").strip()
    if not resource:
        return _bad_request("the resource parameter is required")
    try:
        handle = _handle_from_resource(resource)
    except ValueError as exc:
        return _bad_request(str(exc))
    creator = selectors.creator_by_handle(handle) if handle else None
    if creator is None or not creator.share_to_fediverse:
        return JsonResponse({"error": "no such account"}, status=404)

    actor = ids.actor_id(creator.handle)
    profile = activitypub.profile_url(creator)
    document = {
        "subject": f"acct:{creator.handle}@{settings.CREATORHUB_DOMAIN}",
        "aliases": [profile, actor],
        "links": [
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": profile,
            },
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor},
        ],
    }
    return jrd_response(document, max_age=WEBFINGER_MAX_AGE)


@login_not_required
@require_GET
def host_meta(request):
    template = ids.absolute("/.well-known/webfinger?resource={uri}")
    xrd = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )
    response = HttpResponse(xrd, content_type="application/xrd+xml")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_not_required
@require_GET
def nodeinfo_index(request):
    document = {
        "links": [
            {
                "rel": NODEINFO_PROFILE.format(version=version),
                "href": ids.absolute(f"/nodeinfo/{version}"),
            }
            for version in ("2.1", "2.0")
        ]
    }
    return json_response(
        document, content_type="application/json", max_age=NODEINFO_MAX_AGE
    )


@login_not_required
@require_GET
def nodeinfo(request, version: str):
    now = timezone.now()
    creators = selectors.federated_creators()
    logged_in_since = User.objects.filter(
        is_active=True, creator__share_to_fediverse=True
    )
    software = {"name": "creatorhub", "version": settings.CREATORHUB_VERSION}
    if version == "2.1":
        # The software's, not this instance's: lists of instances link here.
        software["repository"] = settings.CREATORHUB_SOURCE_URL
        software["homepage"] = settings.CREATORHUB_HOMEPAGE_URL
    document = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": settings.OPEN_REGISTRATIONS,
        "usage": {
            "users": {
                "total": creators.count(),
                "activeMonth": logged_in_since.filter(
                    last_login__gte=now - timezone.timedelta(days=30)
                ).count(),
                "activeHalfyear": logged_in_since.filter(
                    last_login__gte=now - timezone.timedelta(days=180)
                ).count(),
            },
            "localPosts": selectors.local_post_count(),
        },
        "metadata": {"nodeName": settings.CREATORHUB_NAME},
    }
    profile = NODEINFO_PROFILE.format(version=version)
    return json_response(
        document,
        content_type=f'application/json; profile="{profile}#"',
        max_age=NODEINFO_MAX_AGE,
    )
