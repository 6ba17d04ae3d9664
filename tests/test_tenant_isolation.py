"""Every URL in the project, walked as someone it does not belong to.

The walker reads the real resolver (creatorhub.urls and every include), so a
new view is checked the day it is added:

- every pattern with URL kwargs is requested by tenant A (a creator, an agency
  analyst and an agency owner) with identifiers of tenant B filled in, by GET
  and POST, and must answer 404 or 403 (405 when the method is not served)
  without changing anything;
- every pattern is requested anonymously and must send the visitor to the
  login page (HTML) or answer 401 (API), unless it is on PUBLIC_URL_NAMES;
- a kwarg the walker cannot fill fails the suite: add it to KWARG_KINDS or,
  for ambiguous names such as `pk`, to ROUTE_KWARG_KINDS.

The Django admin is left out of the walk (it has its own staff checks) and is
checked separately: a signed-in non-staff user is sent to the admin login.
"""

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib import admin
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import (
    AgencyAccess,
    AgencyMembership,
    ApiToken,
    CreatorProfile,
    ProfileLink,
    User,
)
from analytics.models import Campaign, Reply, SponsorLink
from federation.models import RemoteActor, RemoteInstance
from followers.models import Follow
from moderation.models import (
    ActorBlock,
    AuditEntry,
    DomainPolicy,
    Report,
    ScreeningRules,
)
from posts.models import ArchiveImport, Post, PostMedia, QuoteRequest
from tests import factories

pytestmark = pytest.mark.django_db

# URL names anyone may open without logging in. Keep this list short and
# give a reason for each entry; everything else must ask for a login.
PUBLIC_URL_NAMES = {
    "home",  # landing page
    "login",
    "signup",
    "handle_check",  # the sign-up form asks whether a handle is free
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",  # opened from the e-mail, before logging in
    "password_reset_complete",
    "healthz",  # load balancers and monitoring
    "favicon",  # browsers ask for /favicon.ico on every site
    "unmatched",  # the styled 404 for any other address: it shows nothing
    "api-schema",  # the OpenAPI document describes, it does not expose data
    "api-docs",
    # ActivityPub and discovery: remote servers fetch these without a login
    # (DESIGN.md, "ActivityPub surface"); a creator who does not share to the
    # fediverse answers 404 there.
    "webfinger",
    "host-meta",
    "nodeinfo-index",
    "nodeinfo-2.0",
    "nodeinfo-2.1",
    "instance-actor",
    "instance-outbox",
    "actor",
    "actor-outbox",
    "actor-followers",
    "actor-following",
    "actor-featured",
    "profile",  # the public /@handle page
    # Inboxes take signed POSTs from remote servers only (GET is 405).
    "shared-inbox",
    "actor-inbox",
    # A post's permanent URL and collections: public and unlisted posts for
    # anyone, followers-only ones only to signed fetches from followers'
    # servers (404 otherwise); drafts and scheduled posts 404.
    "status",
    "status-activity",
    "status-replies",
    "status-likes",
    "status-shares",
    "tag",  # public posts with a hashtag
    # A campaign's read-only report for a sponsor: the address carries a
    # signed, expiring, revocable token; anything else is 404.
    "sponsor-report",
    "sponsor-report-csv",
    "sponsor-report-pdf",
    # A QuoteAuthorization stamp: servers check a quote against it (FEP-044f);
    # 404 unless the creator allowed that quote, 410 once withdrawn.
    "quote-authorization",
    # A creator's QuoteRequest (FEP-044f, the quoting side): the quoted
    # author's server may fetch it by its id; 404 for any other post.
    "quote-request",
}

# Namespaces the walker does not enter, and why.
SKIPPED_NAMESPACES = {
    "admin",  # own staff checks; see test_admin_is_closed_to_non_staff
}

# What each kwarg name identifies, when the name alone says so.
KWARG_KINDS = {
    "handle": "creator_handle",
    "slug": "agency_slug",
    "username": "username",
    "uidb64": "uidb64",
    "token": "reset_token",
    "post_id": "post_pk",
    "tag": "hashtag",
    "path": "unmatched_path",
}

# Ambiguous kwarg names (pk, id, ...) must be declared per URL name.
ROUTE_KWARG_KINDS = {
    "revoke_agency_access": {"pk": "grant_pk"},
    "agency_access_scopes": {"pk": "grant_pk"},
    "api-agency-access-scopes": {"pk": "grant_pk"},
    "api_token_revoke": {"pk": "api_token_pk"},
    # Moving: an old account listed (alsoKnownAs); archive imports.
    "alias-remove": {"pk": "alias_pk"},
    "posts:import-status": {"pk": "archive_import_pk"},
    "posts:import-retry": {"pk": "archive_import_pk"},
    "agency_member_update": {"pk": "membership_pk"},
    "agency_member_remove": {"pk": "membership_pk"},
    # The posts dashboard: namespace:name, its names being generic.
    **{
        f"posts:{name}": {"pk": "post_pk"}
        for name in (
            "detail",
            "edit",
            "publish",
            "schedule",
            "unschedule",
            "pin",
            "unpin",
            "delete",
            "submit",
            "approve",
            "send-back",
        )
    },
    # The posts API: pk is a post, media_pk one of its images.
    **{
        name: {"pk": "post_pk", "media_pk": "post_media_pk"}
        for name in (
            "api-post-detail",
            "api-post-publish",
            "api-post-schedule",
            "api-post-unschedule",
            "api-post-pin",
            "api-post-unpin",
            "api-post-submit",
            "api-post-approve",
            "api-post-send-back",
            "api-post-media-create",
            "api-post-media-detail",
        )
    },
    # One post's analytics, under its creator's handle, and in the API.
    "analytics:post": {"pk": "post_pk"},
    # Campaigns and their sponsor links.
    **{
        f"analytics:{name}": {"pk": "campaign_pk"}
        for name in (
            "campaign",
            "campaign-edit",
            "campaign-csv",
            "campaign-pdf",
            "sponsor-link-create",
        )
    },
    "analytics:sponsor-link-revoke": {
        "pk": "campaign_pk",
        "link_pk": "sponsor_link_pk",
    },
    "api-campaign-report": {"pk": "campaign_pk"},
    "api-post-analytics": {"pk": "post_pk"},
    # The inbox pages: follows, posts' threads and replies by id.
    "inbox:follow-approve": {"pk": "follow_pk"},
    "inbox:follow-reject": {"pk": "follow_pk"},
    "inbox:follower-remove": {"pk": "follow_pk"},
    "inbox:post-replies": {"pk": "post_pk"},
    "post-delivery": {"pk": "post_pk"},  # a post's delivery progress fragment
    "inbox:reply-answer": {"pk": "reply_pk"},
    # The one reply inbox across creators: a reply's conversation.
    "conversations:assign": {"pk": "reply_pk"},
    "conversations:done": {"pk": "reply_pk"},
    "conversations:reopen": {"pk": "reply_pk"},
    "api-reply-assign": {"pk": "reply_pk"},
    "api-reply-done": {"pk": "reply_pk"},
    "api-reply-reopen": {"pk": "reply_pk"},
    # Moderation: replies, a creator's blocks, and (admins only) server
    # policies and reports.
    "moderation:reply-act": {"pk": "reply_pk"},
    "moderation:reply-report": {"pk": "reply_pk"},
    "moderation:unblock": {"pk": "block_pk"},
    "moderation:policy-edit": {"pk": "domain_policy_pk"},
    "moderation:policy-delete": {"pk": "domain_policy_pk"},
    "moderation:report": {"pk": "report_pk"},
    "moderation:report-forward": {"pk": "report_pk"},
    # Requests to quote a creator's post: answered on the post's page.
    **{
        f"posts:{name}": {"pk": "quote_request_pk"}
        for name in ("quote-approve", "quote-refuse", "quote-withdraw")
    },
    "quote-authorization": {"pk": "quote_request_pk"},
}

# Statuses that tell a signed-in stranger nothing.
DENIED = {403, 404}
# require_POST / require_GET views answer 405 before looking anything up.
METHOD_NOT_SERVED = 405


@dataclass
class Route:
    """One leaf URL pattern with the full route and its kwargs."""

    route: str
    pattern: URLPattern
    namespace: str | None
    kwargs: list[str]
    regex_parts: bool = False

    @property
    def name(self) -> str | None:
        return self.pattern.name

    @property
    def label(self) -> str:
        name = f"{self.namespace}:{self.name}" if self.namespace else self.name
        return f"/{self.route} ({name or 'unnamed'})"


def walk(patterns=None, prefix="", namespace=None, kwargs=None, regex=False):
    """Yield a Route for every leaf pattern under `patterns`."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        own_kwargs = _kwarg_names(entry.pattern)
        is_regex = regex or not hasattr(entry.pattern, "converters")
        if isinstance(entry, URLResolver):
            yield from walk(
                entry.url_patterns,
                prefix + str(entry.pattern),
                entry.namespace or namespace,
                [*(kwargs or []), *own_kwargs],
                is_regex,
            )
        else:
            yield Route(
                route=prefix + str(entry.pattern),
                pattern=entry,
                namespace=namespace,
                kwargs=[*(kwargs or []), *own_kwargs],
                regex_parts=is_regex,
            )


def _kwarg_names(pattern) -> list[str]:
    if hasattr(pattern, "converters"):  # path()
        return list(pattern.converters)
    return list(pattern.regex.groupindex)  # re_path()


def project_routes() -> list[Route]:
    return [r for r in walk() if r.namespace not in SKIPPED_NAMESPACES]


def kind_of(route: Route, kwarg: str) -> str:
    declared = ROUTE_KWARG_KINDS.get(
        f"{route.namespace}:{route.name}", ROUTE_KWARG_KINDS.get(route.name or "", {})
    )
    if kwarg in declared:
        return declared[kwarg]
    if kwarg in KWARG_KINDS:
        return KWARG_KINDS[kwarg]
    raise LookupError(kwarg)


def build_url(route: Route, values: dict) -> str:
    """The URL for `route` with `values`, checked to resolve back to it."""
    if route.regex_parts:
        if not route.name:
            pytest.fail(f"cannot build {route.label}: unnamed re_path()")
        name = f"{route.namespace}:{route.name}" if route.namespace else route.name
        url = reverse(name, kwargs=values)
    else:
        url = "/" + re.sub(
            r"<(?:[^>:]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), route.route
        )
    match = resolve(url)
    assert match.func == route.pattern.callback, (
        f"{url} resolves to {match.route!r}, not to {route.label}: "
        "is the pattern shadowed by an earlier one?"
    )
    return url


# Tenants -------------------------------------------------------------------


@dataclass
class Tenant:
    """Identifiers of one tenant, by kind, for filling URL kwargs."""

    ids: dict[str, list] = field(default_factory=dict)


@pytest.fixture
def tenants(db):
    """Tenant A (small ids) and tenant B (ids far from A's, so no collision).

    Explicit, distant primary keys for B mean a pk of B's can never happen to
    be the pk of A's row of another model.
    """
    alice = factories.CreatorFactory(handle="alice", user__username="alice")
    agency_a = factories.AgencyFactory(name="Agency A", slug="agency-a")
    owner_a = factories.MembershipFactory(
        agency=agency_a, user__username="owner_a", role="owner"
    )
    analyst_a = factories.MembershipFactory(
        agency=agency_a, user__username="analyst_a", role="analyst"
    )
    grant_a = factories.AgencyAccessFactory(
        creator=alice, agency=agency_a, all_scopes=True
    )

    bob_user = factories.UserFactory(id=900_001, username="bob")
    bob = factories.CreatorFactory(id=900_002, user=bob_user, handle="bob")
    ProfileLink.objects.create(
        id=900_003, creator=bob, label="Bob's", url="https://bob.example"
    )
    agency_b = factories.AgencyFactory(id=900_004, name="Agency B", slug="agency-b")
    owner_b = factories.MembershipFactory(
        id=900_005,
        agency=agency_b,
        user=factories.UserFactory(id=900_006, username="owner_b"),
        role="owner",
    )
    analyst_b = factories.MembershipFactory(
        id=900_007,
        agency=agency_b,
        user=factories.UserFactory(id=900_008, username="analyst_b"),
        role="analyst",
    )
    grant_b = factories.AgencyAccessFactory(
        id=900_009, creator=bob, agency=agency_b, all_scopes=True
    )
    token_a = ApiToken.objects.create(
        user=alice.user, name="A's script", prefix="chub_a", key_hash="a" * 64
    )
    for pk, user in ((900_010, bob_user), (900_011, owner_b.user)):
        ApiToken.objects.create(
            id=pk, user=user, name="B's script", prefix="chub_b", key_hash=f"{pk:064}"
        )
    post_a = Post.objects.create(
        creator=alice, body="A", state="published", published_at=timezone.now()
    )
    post_b = Post.objects.create(
        id=900_101,
        creator=bob,
        body="B",
        state="published",
        published_at=timezone.now(),
    )

    def ids(creator, agency, memberships, grant, post):
        return Tenant(
            {
                "creator_handle": [creator.handle],
                "agency_slug": [agency.slug],
                "username": [creator.user.username],
                "uidb64": [urlsafe_base64_encode(force_bytes(creator.user.pk))],
                "reset_token": ["set-password"],
                "grant_pk": [grant.pk],
                "membership_pk": [m.pk for m in memberships],
                "post_pk": [post.pk],
                "hashtag": [f"tag{creator.handle}"],
                "unmatched_path": [f"no/page/of/{creator.handle}"],
            }
        )

    tenant_a = ids(alice, agency_a, [owner_a, analyst_a], grant_a, post_a)
    tenant_b = ids(bob, agency_b, [owner_b, analyst_b], grant_b, post_b)
    tenant_a.ids["api_token_pk"] = [token_a.pk]
    tenant_b.ids["api_token_pk"] = [900_010, 900_011]
    # An image on each tenant's post, for the posts API's media URLs.
    tenant_a.ids["post_media_pk"] = [factories.PostMediaFactory(post=post_a).pk]
    tenant_b.ids["post_media_pk"] = [
        factories.PostMediaFactory(id=900_102, post=post_b).pk
    ]
    # An old account listed and an archive import each, for Moving and
    # Import old posts.
    for tenant, creator, pk in ((tenant_a, alice, None), (tenant_b, bob, 900_701)):
        alias = creator.aliases.create(
            id=pk, uri=f"https://old.example/users/{creator.handle}"
        )
        job = ArchiveImport.objects.create(id=pk, creator=creator)
        tenant.ids["alias_pk"] = [alias.pk]
        tenant.ids["archive_import_pk"] = [job.pk]
    # A follow request and a reply for each, for the inbox pages.
    tenant_a.ids["follow_pk"] = [_follow_request(alice).pk]
    tenant_b.ids["follow_pk"] = [_follow_request(bob, id=900_201).pk]
    tenant_a.ids["reply_pk"] = [_reply(post_a).pk]
    tenant_b.ids["reply_pk"] = [_reply(post_b, id=900_301).pk]
    # A blocked account, a report and a server policy each, for moderation.
    tenant_a.ids["block_pk"] = [_block(alice).pk]
    tenant_b.ids["block_pk"] = [_block(bob, id=900_401).pk]
    tenant_a.ids["report_pk"] = [_report(alice).pk]
    tenant_b.ids["report_pk"] = [_report(bob, id=900_501).pk]
    tenant_a.ids["domain_policy_pk"] = [
        DomainPolicy.objects.create(domain="a-spam.example").pk
    ]
    tenant_b.ids["domain_policy_pk"] = [
        DomainPolicy.objects.create(id=900_601, domain="b-spam.example").pk
    ]
    # A campaign each (B's run by agency B) with a sponsor link.
    for tenant, creator, agency, user, pk in (
        (tenant_a, alice, None, alice.user, None),
        (tenant_b, bob, agency_b, owner_b.user, 900_701),
    ):
        campaign = Campaign.objects.create(
            id=pk,
            name="Launch",
            creator=creator,
            agency=agency,
            starts_on=timezone.now().date(),
            ends_on=timezone.now().date(),
            created_by=user,
        )
        link = SponsorLink.objects.create(
            id=pk and pk + 1,
            campaign=campaign,
            expires_at=timezone.now() + timedelta(days=1),
        )
        tenant.ids["campaign_pk"] = [campaign.pk]
        tenant.ids["sponsor_link_pk"] = [link.pk]
    # A request to quote each tenant's post, held for its creator.
    for tenant, post, pk in ((tenant_a, post_a, None), (tenant_b, post_b, 900_801)):
        quote_request = QuoteRequest.objects.create(
            id=pk,
            post=post,
            request_id=f"https://remote.example/users/q#quote_requests/{post.pk}",
            actor_uri="https://remote.example/users/q",
            quote_uri=f"https://remote.example/users/q/statuses/{post.pk}",
        )
        tenant.ids["quote_request_pk"] = [quote_request.pk]
    actors = {
        "creator A": alice.user,
        "analyst A": analyst_a.user,
        "owner A": owner_a.user,
    }
    return tenant_a, tenant_b, actors


def _follow_request(creator, **fields):
    instance, _ = RemoteInstance.objects.get_or_create(domain="remote.example")
    actor = RemoteActor.objects.create(
        ap_id=f"https://remote.example/users/fan_of_{creator.handle}",
        instance=instance,
        username=f"fan_of_{creator.handle}",
        inbox_url=f"https://remote.example/users/fan_of_{creator.handle}/inbox",
        public_key_id=f"https://remote.example/users/fan_of_{creator.handle}#k",
        public_key_pem="-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
    )
    return Follow.objects.create(
        creator=creator,
        actor=actor,
        follow_activity_id=f"{actor.ap_id}#follow",
        state=Follow.State.PENDING,
        **fields,
    )


def _reply(post, **fields):
    return Reply.objects.create(
        ap_id=f"https://remote.example/notes/reply-to-{post.pk}",
        creator=post.creator,
        post=post,
        in_reply_to_uri=f"https://hub.test/users/{post.creator.handle}/statuses/1",
        actor_uri="https://remote.example/users/someone",
        actor_handle="@someone@remote.example",
        instance_domain="remote.example",
        content_html="<p>Hi</p>",
        **fields,
    )


def _block(creator, **fields):
    return ActorBlock.objects.create(
        creator=creator,
        actor_uri=f"https://remote.example/users/troll_of_{creator.handle}",
        actor_handle=f"@troll_of_{creator.handle}@remote.example",
        domain="remote.example",
        **fields,
    )


def _report(creator, **fields):
    return Report.objects.create(
        creator=creator,
        source=Report.Source.CREATOR,
        reported_by=creator.user,
        target_actor_uri="https://remote.example/users/someone",
        target_handle="@someone@remote.example",
        target_domain="remote.example",
        comment="spam",
        **fields,
    )


def accounts_snapshot() -> dict:
    """Every accounts row a stranger's request could change."""
    return {
        "users": list(
            User.objects.order_by("pk").values(
                "pk", "username", "email", "password", "is_active", "is_staff"
            )
        ),
        "creators": list(CreatorProfile.objects.order_by("pk").values()),
        "links": list(ProfileLink.objects.order_by("pk").values()),
        "memberships": list(AgencyMembership.objects.order_by("pk").values()),
        "grants": list(AgencyAccess.objects.order_by("pk").values()),
        "tokens": list(ApiToken.objects.order_by("pk").values()),
        "posts": list(Post.objects.order_by("pk").values()),
        "post_media": list(PostMedia.objects.order_by("pk").values()),
        "follows": list(Follow.objects.order_by("pk").values()),
        "replies": list(Reply.objects.order_by("pk").values()),
        "actor_blocks": list(ActorBlock.objects.order_by("pk").values()),
        "reports": list(Report.objects.order_by("pk").values()),
        "domain_policies": list(DomainPolicy.objects.order_by("pk").values()),
        "screening_rules": list(ScreeningRules.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values()),
        "campaigns": list(Campaign.objects.order_by("pk").values()),
        "sponsor_links": list(SponsorLink.objects.order_by("pk").values()),
    }


def cross_tenant_values(route: Route, tenant_a: Tenant, tenant_b: Tenant):
    """Every kwarg combination with at least one of tenant B's identifiers.

    Mixing in A's own identifiers checks nested lookups too: A's agency slug
    with B's creator handle must not find B's creator.
    """
    kinds = [kind_of(route, kwarg) for kwarg in route.kwargs]
    choices = [
        [("A", v) for v in tenant_a.ids[kind]] + [("B", v) for v in tenant_b.ids[kind]]
        for kind in kinds
    ]
    for combination in itertools.product(*choices):
        if any(owner == "B" for owner, _ in combination):
            yield dict(zip(route.kwargs, (v for _, v in combination), strict=True))


def is_login_redirect(response) -> bool:
    login = resolve_url(settings.LOGIN_URL)
    return response.status_code == 302 and response["Location"].startswith(login)


# The walk ------------------------------------------------------------------


def test_every_url_kwarg_is_known_to_the_walker():
    unknown = []
    for route in project_routes():
        for kwarg in route.kwargs:
            try:
                kind_of(route, kwarg)
            except LookupError:
                unknown.append(f"{route.label}: <{kwarg}>")
    assert not unknown, (
        "The tenant walker cannot fill these URL kwargs. Declare what they "
        "identify in KWARG_KINDS, or per URL name in ROUTE_KWARG_KINDS:\n"
        + "\n".join(unknown)
    )


def test_declared_route_kinds_still_exist():
    names = {route.name for route in project_routes()}
    qualified = {f"{r.namespace}:{r.name}" for r in project_routes() if r.namespace}
    assert set(ROUTE_KWARG_KINDS) <= names | qualified
    assert names >= PUBLIC_URL_NAMES


def test_signed_in_strangers_get_404_or_403_for_another_tenants_urls(tenants):
    tenant_a, tenant_b, actors = tenants
    routes = [
        r for r in project_routes() if r.kwargs and r.name not in PUBLIC_URL_NAMES
    ]
    assert routes, "the walker found no private pattern with kwargs"
    before = accounts_snapshot()
    failures = []
    requests = 0
    for actor_label, user in actors.items():
        for route in routes:
            for values in cross_tenant_values(route, tenant_a, tenant_b):
                url = build_url(route, values)
                for method in ("get", "post"):
                    # A fresh client each time: a view that logs the user
                    # out or rotates the session must not hide later checks.
                    client = _client_for(user)
                    response = getattr(client, method)(url)
                    requests += 1
                    status = response.status_code
                    if status in DENIED or status == METHOD_NOT_SERVED:
                        continue
                    why = (
                        "redirect to login for a logged-in user"
                        if is_login_redirect(response)
                        else response.get("Location", "")
                    )
                    failures.append(
                        f"{actor_label} {method.upper()} {url} "
                        f"[{route.label}] -> {status} {why}"
                    )
    assert not failures, "Tenant B's data reachable:\n" + "\n".join(failures)
    assert accounts_snapshot() == before, "a stranger's request changed data"
    assert requests > 0


def test_anonymous_visitors_must_log_in_for_every_private_url(tenants, client):
    _, tenant_b, _ = tenants
    failures = []
    for route in project_routes():
        values = {
            kwarg: tenant_b.ids[kind_of(route, kwarg)][0] for kwarg in route.kwargs
        }
        url = build_url(route, values)
        response = client.get(url)
        status = response.status_code
        if route.name in PUBLIC_URL_NAMES:
            if is_login_redirect(response) or status >= 500:
                failures.append(f"public {url} [{route.label}] -> {status}")
            continue
        if route.route.startswith("api/v1/"):
            ok = status == 401 and "error" in response.json()
        else:
            ok = is_login_redirect(response)
        if not ok:
            failures.append(
                f"private {url} [{route.label}] -> {status} "
                f"{response.get('Location', '')}"
            )
    assert not failures, (
        "Anonymous access to private URLs (or public ones closed). Add a URL "
        "to PUBLIC_URL_NAMES only if anyone may open it:\n" + "\n".join(failures)
    )


def test_anonymous_posts_to_private_urls_change_nothing(tenants, client):
    _, tenant_b, _ = tenants
    before = accounts_snapshot()
    for route in project_routes():
        if route.name in PUBLIC_URL_NAMES:
            continue
        values = {
            kwarg: tenant_b.ids[kind_of(route, kwarg)][0] for kwarg in route.kwargs
        }
        response = client.post(build_url(route, values))
        assert response.status_code in {302, 401, 403, 405}, route.label
        if response.status_code == 302:
            assert is_login_redirect(response), route.label
    assert accounts_snapshot() == before


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


# The admin -----------------------------------------------------------------


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    return urls


def test_admin_is_closed_to_non_staff(tenants, client):
    _, _, actors = tenants
    admin_login = reverse("admin:login")
    for user in actors.values():
        client.force_login(user)
        for url in admin_urls():
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(admin_login), url
    client.logout()
    for url in admin_urls():
        response = client.get(url)
        # LoginRequiredMiddleware may get there before the admin does.
        assert response.status_code == 302, url
        assert is_login_redirect(response) or response["Location"].startswith(
            admin_login
        ), url
    # The admin's log-in page is the site's (throttled, with the two-factor
    # step): it sends there, and that page answers.
    response = client.get(admin_login)
    assert is_login_redirect(response)
    assert client.get(response["Location"]).status_code == 200


def test_walker_covers_the_known_tenant_scoped_urls():
    """The walk reaches the API and the agency pages (a sanity check)."""
    walked = {route.name for route in project_routes() if route.kwargs}
    assert {
        "api-creator-detail",
        "api-agency-detail",
        "api-agency-creator-list",
    } <= walked
