"""A post's permanent URL and its collections, for servers (AS2) and people (HTML).

Who may read what:
- public and unlisted posts: anyone (servers must sign in secure mode);
- followers-only posts: AS2 only, to a signed fetch from a server that hosts
  an accepted follower or a mentioned account; everyone else gets 404, as if
  the post did not exist;
- deleted posts: 410, with a Tombstone for servers and a page for people;
- drafts and scheduled posts: 404.
"""

import functools

import nh3
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from federation import selectors
from federation.inbound.verification import (
    RequestNotVerified,
    signer_of,
    verify_signed_request,
)
from federation.protocol import activitypub, ids, notes
from federation.protocol.negotiation import activity_response, wants_activity_json
from federation.views.actors import _creator_or_404, _page_number
from posts.models import Post

TAG_PAGE_SIZE = 20


class _Denied(Exception):
    """The caller may not read this post; answer with `response`."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def _clean(html: str) -> str:
    # Shown on this domain: cleaned once more on the way out, whoever made it.
    return mark_safe(nh3.clean(html, link_rel="nofollow noopener noreferrer"))  # noqa: S308


def _post_for(request, handle: str, post_id: int, *, as2: bool) -> Post:
    """The post a status URL names, if this caller may read it; else _Denied."""
    creator = _creator_or_404(handle)
    note_id = ids.absolute(f"/users/{creator.handle}/statuses/{post_id}")
    if not creator.share_to_fediverse:
        if as2:
            raise _Denied(_tombstone_response(note_id))
        raise Http404("This account does not share to the fediverse.")
    post = selectors.status_post(creator=creator, post_id=post_id)
    if post is None:
        raise Http404("No such post.")
    if post.state == Post.State.DELETED:
        if as2:
            raise _Denied(_tombstone_response(note_id))
        response = render(
            request, "federation/status_deleted.html", {"creator": creator}, status=410
        )
        raise _Denied(response)
    if not as2:
        if post.visibility == Post.Visibility.FOLLOWERS:
            raise Http404("No such post.")
        return post
    if post.visibility == Post.Visibility.FOLLOWERS:
        try:
            reader = verify_signed_request(request, body=None)
        except RequestNotVerified:
            raise Http404("No such post.") from None
        if not selectors.may_read_followers_only(post=post, actor=reader):
            raise Http404("No such post.")
    elif settings.FEDERATION_AUTHORIZED_FETCH:
        try:
            signer_of(request, body=None)
        except RequestNotVerified as exc:
            raise _Denied(
                activity_response({"error": exc.reason}, status=exc.status)
            ) from None
    return post


def _tombstone_response(note_id: str):
    return activity_response(
        activitypub.tombstone(note_id, former_type="Note"), status=410
    )


def _serve(view):
    """Turn _Denied into its response."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Denied as denied:
            return denied.response

    return wrapper


def _focal_position(media) -> str:
    """CSS object-position keeping the focal point in view when cropped.

    Mastodon's focal point runs -1..1, left to right and bottom to top.
    """
    if media.focal_x is None or media.focal_y is None:
        return "50% 50%"
    return f"{(media.focal_x + 1) * 50:.1f}% {(1 - media.focal_y) * 50:.1f}%"


def post_cards(posts: list[Post]) -> list[dict]:
    """What _status_card.html shows of each post, counts included."""
    counts = selectors.note_counts(posts)
    return [
        {
            "post": post,
            "creator": post.creator,
            "profile_url": activitypub.profile_url(post.creator),
            "url": notes.note_url(post),
            "content": _clean(notes.note_content(post)),
            "media": [
                {
                    "url": item.file.url,
                    "alt": item.alt_text,
                    "width": item.width,
                    "height": item.height,
                    "position": _focal_position(item),
                }
                for item in sorted(post.media.all(), key=lambda m: (m.position, m.pk))
            ],
            "counts": counts.get(post.pk, selectors.NoteCounts()),
        }
        for post in posts
    ]


@login_not_required
@require_GET
@vary_on_headers("Accept")
@_serve
def status(request, handle: str, post_id: int):
    """The Note for servers; the post with its thread for people."""
    as2 = wants_activity_json(request)
    post = _post_for(request, handle, post_id, as2=as2)
    if as2:
        return activity_response(notes.note_document(post))
    note_id = ids.note_id(post)
    [card] = post_cards([post])
    context = {
        "creator": post.creator,
        "post": post,
        "card": card,
        "note_id": note_id,
        "thread": _cleaned_thread(selectors.public_thread(post)),
    }
    response = render(request, "federation/status.html", context)
    response["Link"] = f'<{note_id}>; rel="alternate"; type="application/activity+json"'
    return response


@login_not_required
@require_GET
@_serve
def activity(request, handle: str, post_id: int):
    """The `Create` a post went out in, where its id points (as Mastodon
    serves `/statuses/<id>/activity`): always AS2, with the Note's access
    rules; after a delete, the Note's Tombstone with 410."""
    post = _post_for(request, handle, post_id, as2=True)
    return activity_response(notes.create_activity(post))


def _cleaned_thread(entries):
    for entry in entries:
        entry.content_html = _clean(entry.content_html)
        _cleaned_thread(entry.children)
    return entries


@login_not_required
@require_GET
@vary_on_headers("Accept")
@_serve
def replies(request, handle: str, post_id: int):
    """Visible replies (and the creator's public answers) by id, paged."""
    post = _post_for(request, handle, post_id, as2=True)
    page = _page_number(request)
    document = notes.replies_collection(post, page=page)
    if page is None:
        document = {"@context": activitypub.AS_CONTEXT, **document}
    return activity_response(document)


def _counted(request, handle: str, post_id: int, *, name: str):
    post = _post_for(request, handle, post_id, as2=True)
    counts = selectors.note_counts([post]).get(post.pk, selectors.NoteCounts())
    document = notes.counted_collection(post, name, getattr(counts, name))
    return activity_response({"@context": activitypub.AS_CONTEXT, **document})


@login_not_required
@require_GET
@vary_on_headers("Accept")
@_serve
def likes(request, handle: str, post_id: int):
    """How many likes the post has; who liked it is not published."""
    return _counted(request, handle, post_id, name="likes")


@login_not_required
@require_GET
@vary_on_headers("Accept")
@_serve
def shares(request, handle: str, post_id: int):
    """How many boosts the post has; who boosted it is not published."""
    return _counted(request, handle, post_id, name="shares")


@login_not_required
@require_GET
def tag(request, tag: str):
    """Public posts with a hashtag, newest first: where Hashtag links lead."""
    name = tag.lower()
    paginator = Paginator(selectors.posts_tagged(name), TAG_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"tag": name, "page": page, "cards": post_cards(list(page.object_list))}
    return render(request, "federation/tag.html", context)
