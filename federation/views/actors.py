"""Actors and their collections, as AS2 for servers and HTML for people."""

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from federation import selectors
from federation.inbound.verification import RequestNotVerified, signer_of
from federation.protocol import activitypub, ids, keys, notes
from federation.protocol.negotiation import activity_response, wants_activity_json

FOLLOWERS_PAGE_SIZE = 50


def signed_fetch(view):
    """With FEDERATION_AUTHORIZED_FETCH on, only signed fetches are served.

    Mastodon's "secure mode": it lets domain blocks apply to reads too. Actor
    documents stay public either way, since peers must fetch keys from them.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if settings.FEDERATION_AUTHORIZED_FETCH:
            try:
                signer_of(request, body=None)
            except RequestNotVerified as exc:
                return JsonResponse({"error": exc.reason}, status=exc.status)
        return view(request, *args, **kwargs)

    return wrapper


def _creator_or_404(handle: str):
    creator = selectors.creator_by_handle(handle)
    if creator is None:
        raise Http404("No such account.")
    return creator


def _gone(handle: str):
    """410 with a Tombstone: the account stopped sharing to the fediverse."""
    return activity_response(
        activitypub.tombstone(ids.actor_id(handle.lower())), status=410
    )


@login_not_required
@require_GET
@vary_on_headers("Accept")
def actor(request, handle: str):
    creator = _creator_or_404(handle)
    if not wants_activity_json(request):
        return HttpResponseRedirect(activitypub.profile_url(creator))
    if not creator.share_to_fediverse:
        return _gone(handle)
    key = keys.key_for_creator(creator)
    return activity_response(
        activitypub.actor_document(creator, public_key_pem=key.public_key_pem)
    )


@login_not_required
@require_GET
@vary_on_headers("Accept")
def profile(request, handle: str):
    """The public profile page people open from a remote server."""
    creator = _creator_or_404(handle)
    if wants_activity_json(request):
        return HttpResponseRedirect(ids.actor_id(creator.handle))
    if not creator.share_to_fediverse:
        raise Http404("This account does not share to the fediverse.")
    from federation.views import statuses  # imports this module

    context = {
        "creator": creator,
        "bio_html": activitypub.bio_html(creator),
        "links": creator.links.all(),
        "follower_count": selectors.follower_count(creator),
        "actor_url": ids.actor_id(creator.handle),
        "moved_to": selectors.moved_to(creator),
        "recent_posts": statuses.post_cards(selectors.profile_posts(creator, limit=10)),
    }
    response = render(request, "federation/profile.html", context)
    response["Link"] = (
        f'<{ids.actor_id(creator.handle)}>; rel="alternate"; '
        'type="application/activity+json"'
    )
    return response


@login_not_required
@require_GET
def instance_actor(request):
    key = keys.key_for_instance()
    return activity_response(
        activitypub.instance_actor_document(public_key_pem=key.public_key_pem)
    )


@login_not_required
@require_GET
def instance_outbox(request):
    actor = ids.instance_actor_id()
    return activity_response(
        activitypub.ordered_collection(f"{actor}/outbox", total=0, first=None)
    )


def creator_collection(view):
    """A public GET of one of a creator's collections.

    The view receives the creator; a creator who stopped sharing answers
    410, and secure mode (signed_fetch) applies.
    """

    @login_not_required
    @require_GET
    @signed_fetch
    @functools.wraps(view)
    def wrapper(request, handle: str):
        creator = _creator_or_404(handle)
        if not creator.share_to_fediverse:
            return _gone(handle)
        return view(request, creator)

    return wrapper


@creator_collection
def followers(request, creator):
    """Followers: the count always; members only if the creator shows them."""
    collection_id = f"{ids.actor_id(creator.handle)}/followers"
    total = selectors.follower_count(creator)
    if not creator.show_follower_lists:
        return activity_response(
            activitypub.ordered_collection(collection_id, total=total, first=None)
        )
    return _paged_collection(
        request,
        collection_id,
        rows=selectors.accepted_followers(creator),
        total=total,
        page_size=FOLLOWERS_PAGE_SIZE,
        item=lambda follow: follow.actor.ap_id,
    )


@creator_collection
def following(request, creator):
    """Creators follow no one from here, so this is always empty."""
    collection_id = f"{ids.actor_id(creator.handle)}/following"
    return activity_response(
        activitypub.ordered_collection(collection_id, total=0, first=None)
    )


def _paged_collection(
    request, collection_id, *, rows, total, page_size, item=None, items=None
):
    """The collection (no ?page) or one OrderedCollectionPage of `rows`.

    Each row becomes `item(row)`, or a page of rows `items(rows)` at once.
    """
    page = _page_number(request)
    if page is None:
        total = rows.count() if total is None else total
        # The last page, for clients that read from the oldest end (an
        # empty collection's only page is both first and last).
        pages = max(1, -(-total // page_size))
        return activity_response(
            activitypub.ordered_collection(
                collection_id,
                total=total,
                first=f"{collection_id}?page=1",
                last=f"{collection_id}?page={pages}",
            )
        )
    start = (page - 1) * page_size
    chunk = list(rows[start : start + page_size + 1])
    more = len(chunk) > page_size
    return activity_response(
        activitypub.ordered_collection_page(
            f"{collection_id}?page={page}",
            part_of=collection_id,
            items=items(chunk[:page_size])
            if items
            else [item(row) for row in chunk[:page_size]],
            next_page=f"{collection_id}?page={page + 1}" if more else None,
            prev_page=f"{collection_id}?page={page - 1}" if page > 1 else None,
        )
    )


def _page_number(request) -> int | None:
    raw = request.GET.get("page")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise Http404("No such page.")
    return int(raw)


OUTBOX_PAGE_SIZE = 20


@creator_collection
def outbox(request, creator):
    """Public activities the creator sent, newest first, paged."""
    collection_id = f"{ids.actor_id(creator.handle)}/outbox"
    return _paged_collection(
        request,
        collection_id,
        rows=selectors.public_outbox(creator),
        total=None,
        page_size=OUTBOX_PAGE_SIZE,
        items=_create_activities,
    )


def _create_activities(posts) -> list[dict]:
    counts = selectors.note_counts(posts)
    return [
        notes.create_activity(post, counts=counts[post.pk], with_context=False)
        for post in posts
    ]


@creator_collection
def featured(request, creator):
    """Pinned posts, as whole Notes: Mastodon shows them from this collection."""
    collection_id = f"{ids.actor_id(creator.handle)}/collections/featured"
    posts = list(selectors.featured_posts(creator))
    counts = selectors.note_counts(posts)
    document = activitypub.ordered_collection(
        collection_id, total=len(posts), first=None
    )
    document["@context"] = notes.NOTE_CONTEXT
    document["orderedItems"] = [
        notes.note_document(post, counts=counts[post.pk], with_context=False)
        for post in posts
    ]
    return activity_response(document)
