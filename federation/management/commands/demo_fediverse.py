"""manage.py demo_fediverse: give the demo creator a made-up fediverse life.

Posts (published, scheduled, a draft), followers on made-up Mastodon,
Threads, Misskey and Pixelfed servers, a follow request, likes, boosts,
emoji reactions, a reply thread, a quote, two mentions outside the
creator's threads, two spam replies the creator's screening rules hold for
review, and the history of each post's delivery to its
followers' servers — so the dashboard, notifications and public pages have
something to show on a laptop. The remote servers live under
`.example` (RFC 2606): nothing is ever delivered to a real server, and
nothing here is sent at all (rows are written directly, no events fire).
Runs once per database; a second run leaves existing demo posts alone. The
demo campaign (the painting series, run by Demo Agency when it exists) is
brought back on every run, for databases seeded before campaigns existed,
and so are the mentions.
"""

import random
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, CreatorProfile, User
from accounts.permissions import can_answer_for
from analytics import reports
from analytics import services as analytics
from analytics.models import Campaign, Interaction, Reply
from conversations import services as conversations
from conversations.models import Conversation
from federation.models import (
    Delivery,
    OutboundActivity,
    RemoteActor,
    RemoteInstance,
)
from federation.protocol import notes
from federation.protocol.ids import actor_id, note_id
from followers.models import Follow
from moderation import screening
from moderation.models import ScreeningRules
from posts.models import Hashtag, Post
from posts.rendering import render_post_body

SERVERS = (
    ("mastodon.example", RemoteInstance.Software.MASTODON, "4.5.2"),
    ("threads.example", RemoteInstance.Software.THREADS, "1.0"),
    ("misskey.example", RemoteInstance.Software.MISSKEY, "2025.4.0"),
    ("pixelfed.example", RemoteInstance.Software.PIXELFED, "0.12.5"),
)
PEOPLE = (
    ("bob", "Bob Builder"),
    ("carol", "Carol Danvers"),
    ("dan", "Dan Brown"),
    ("erin", "Erin Hunter"),
    ("frank", "Frank Ocean"),
    ("grace", "Grace Hopper"),
    ("heidi", "Heidi Klum"),
    ("ivan", "Ivan Petrov"),
)
POSTS = (
    (13, "New series starts today: **ten paintings in ten days**. #painting"),
    (10, "Day three. The light at 6 am is something else. #painting #sunrise"),
    (7, "Thank you for 100 followers from all over the fediverse!"),
    (4, "Studio tour this weekend — who wants a look behind the easel? #studio"),
    (1, "Last canvas of the series is drying. Which one was your favourite?"),
)


class Command(BaseCommand):
    help = "Give @demo posts, remote followers and engagement (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--handle", default="demo")
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, handle: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create demo data with DEBUG off.")
        creator = CreatorProfile.objects.filter(handle=handle).first()
        if creator is None:
            raise CommandError(f"No creator @{handle}: run `manage.py demo` first.")
        if creator.posts.exists():
            self.stdout.write(f"@{handle} already has posts: left as they are.")
            _ensure_campaign(creator)
            _ensure_conversations(creator)
            _ensure_mentions(creator)
            return
        counts = self.seed(creator)
        _ensure_campaign(creator)
        _ensure_conversations(creator)
        _ensure_mentions(creator)
        self.stdout.write(
            self.style.SUCCESS(
                f"@{handle}: {counts['posts']} posts, {counts['followers']} "
                f"followers, {counts['interactions']} interactions (made up)."
            )
        )

    @transaction.atomic
    def seed(self, creator: CreatorProfile) -> dict[str, int]:
        rng = random.Random(creator.handle)  # noqa: S311 - made-up demo data
        now = timezone.now()
        # A few people on each server, a different few on each.
        authors = [
            _remote_person(name, full, server)
            for index, server in enumerate(SERVERS)
            for name, full in PEOPLE[index : index + 3 + index % 2]
        ]
        for actor, _ in authors[:-1]:
            Follow.objects.get_or_create(
                creator=creator,
                actor=actor,
                defaults={
                    # The creator's handle in the id: the made-up people
                    # follow each demo creator, and an activity id counts
                    # once on the whole server (the analytics follow).
                    "follow_activity_id": f"{actor.ap_id}#follows/{creator.handle}",
                    "state": Follow.State.ACCEPTED,
                    "accepted_at": now - timedelta(days=rng.randint(1, 20)),
                },
            )
        pending, _ = authors[-1]
        Follow.objects.get_or_create(
            creator=creator,
            actor=pending,
            defaults={
                "follow_activity_id": f"{pending.ap_id}#follows/{creator.handle}",
                "state": Follow.State.PENDING,
            },
        )

        posts = [
            _published(creator, body, now - timedelta(days=days, hours=3))
            for days, body in POSTS
        ]
        inboxes = {
            actor.delivery_inbox
            for actor, _ in authors
            if creator.follows.filter(actor=actor, state=Follow.State.ACCEPTED).exists()
        }
        for post in posts:
            _delivered(post, inboxes, rng)
        _post(
            creator,
            "Behind the scenes video is up tomorrow.",
            state=Post.State.SCHEDULED,
            scheduled_at=now + timedelta(days=1, hours=2),
        )
        _post(creator, "Idea: a live painting stream?", state=Post.State.DRAFT)

        # Each accepted follow counts as a follow, as follows.py records them.
        interactions = [
            analytics.InteractionInput(
                kind="follow",
                activity_id=follow.follow_activity_id,
                creator_id=creator.pk,
                author=author,
                occurred_at=follow.accepted_at,
            )
            for actor, author in authors
            for follow in creator.follows.filter(
                actor=actor, state=Follow.State.ACCEPTED
            )
        ]
        for post in posts:
            for number, (actor, author) in enumerate(authors):
                for kind, chance in (("like", 0.7), ("boost", 0.3), ("reaction", 0.2)):
                    # Each post gets a reaction, whatever the dice say: the
                    # reports show every kind of engagement.
                    sure = kind == "reaction" and number == posts.index(post)
                    if sure or rng.random() < chance:
                        interactions.append(
                            analytics.InteractionInput(
                                kind=kind,
                                activity_id=f"{actor.ap_id}#{kind}s/{post.pk}",
                                creator_id=creator.pk,
                                author=author,
                                post_id=post.pk,
                                emoji="🎨" if kind == "reaction" else "",
                                occurred_at=_soon_after(post, rng, now),
                            )
                        )
        analytics.interactions_record_many(items=interactions)

        first_post = posts[-1]
        (bob, bob_author), (carol, carol_author) = authors[0], authors[1]
        question = analytics.reply_store(
            creator=creator,
            post=first_post,
            author=bob_author,
            note=analytics.NoteInput(
                ap_id=f"{bob.ap_id}/statuses/{creator.handle}-1",
                in_reply_to_uri=note_id(first_post),
                content="<p>Day three, no contest. The colours! 😍</p>",
                published_at=first_post.published_at + timedelta(minutes=40),
            ),
        )
        analytics.reply_store(
            creator=creator,
            post=first_post,
            author=carol_author,
            parent=question,
            note=analytics.NoteInput(
                ap_id=f"{carol.ap_id}/statuses/{creator.handle}-2",
                in_reply_to_uri=f"{bob.ap_id}/statuses/{creator.handle}-1",
                content="<p>Agreed — is it for sale?</p>",
                published_at=first_post.published_at + timedelta(minutes=75),
            ),
        )
        # A quote post (Misskey and Mastodon 4.5 quote), counted as a quote.
        dan, dan_author = authors[2]
        favourite = posts[1]
        analytics.reply_store(
            creator=creator,
            post=favourite,
            author=dan_author,
            note=analytics.NoteInput(
                ap_id=f"{dan.ap_id}/statuses/{creator.handle}-quote-1",
                in_reply_to_uri="",
                content="<p>This is the one I would hang in my kitchen.</p>",
                published_at=_soon_after(favourite, rng, now),
                is_quote=True,
            ),
        )
        _screened_replies(creator, first_post, authors, now)
        _more_questions(creator, posts[-2], authors, now)
        return {
            "posts": creator.posts.count(),
            "followers": creator.follows.filter(state=Follow.State.ACCEPTED).count(),
            "interactions": Interaction.objects.filter(creator=creator).count(),
        }


QUESTIONS = (
    "<p>Are you doing the studio tour on Sunday too?</p>",
    "<p>Can I bring my kids? They love your paintings.</p>",
)


def _more_questions(creator, post: Post, authors, now) -> None:
    """Two more open questions, so the reply inbox has work in it."""
    for number, html in enumerate(QUESTIONS):
        actor, author = authors[3 + 2 * number]
        analytics.reply_store(
            creator=creator,
            post=post,
            author=author,
            note=analytics.NoteInput(
                ap_id=f"{actor.ap_id}/statuses/{creator.handle}-question-{number}",
                in_reply_to_uri=note_id(post),
                content=html,
                published_at=now - timedelta(minutes=30 + 50 * number),
            ),
        )


def _ensure_conversations(creator: CreatorProfile) -> None:
    """In the reply inbox, one open question assigned to the demo manager
    (Sam) and the quote marked done by them: the inbox shows each state at
    once. Left alone once anything was assigned or done."""
    manager = User.objects.filter(username="manager").first()
    if manager is None or not can_answer_for(manager, creator):
        return
    replies = Reply.objects.filter(creator=creator, status=Reply.Status.VISIBLE)
    if Conversation.objects.filter(reply__in=replies).exists():
        return
    question = (
        replies.filter(ap_id__contains=f"/{creator.handle}-question-")
        .order_by("pk")
        .first()
    )
    if question is not None:
        conversations.conversation_assign(reply=question, to=manager, by=manager)
    quote = replies.filter(is_quote=True).first()
    if quote is not None:
        conversations.conversation_mark_done(reply=quote, by=manager)


# People who mention the creator in conversations of their own, not under
# any post of the creator's: the reply inbox shows them as mentions.
MENTIONS = (
    (
        ("ivan", "Ivan Petrov", SERVERS[0]),
        "https://mastodon.example/users/ivan/statuses/cafe-walls",
        "Has anyone seen {who}'s sunrise series? I would love a print for "
        "the café walls.",
        timedelta(minutes=20),
    ),
    (
        ("heidi", "Heidi Klum", SERVERS[2]),
        "",
        "{who} are you taking commissions this spring? A portrait of my dog!",
        timedelta(hours=3),
    ),
)


def _ensure_mentions(creator: CreatorProfile) -> None:
    """The two mentions, stored as the inbox stores them (never counted as
    engagement); a run that finds them stored changes nothing."""
    ours = actor_id(creator.handle)
    address = f"@{creator.handle}@{settings.CREATORHUB_DOMAIN}"
    link = f'<a href="{ours}" class="u-url mention">@{creator.handle}</a>'
    now = timezone.now()
    for person, in_reply_to, text, ago in MENTIONS:
        actor, author = _remote_person(*person)
        analytics.reply_store(
            creator=creator,
            post=None,
            author=author,
            note=analytics.NoteInput(
                ap_id=f"{actor.ap_id}/statuses/{creator.handle}-mention",
                in_reply_to_uri=in_reply_to,
                content=f"<p>{text.format(who=link)}</p>",
                mentions=[{"href": ours, "name": address}],
                published_at=now - ago,
            ),
        )


CAMPAIGN_NAME = "Ten paintings in ten days"


def _ensure_campaign(creator: CreatorProfile) -> Campaign | None:
    """The painting series as a campaign (its posts tagged #painting), so
    the campaign report has something to show at once."""
    series = list(
        creator.posts.filter(
            state=Post.State.PUBLISHED, hashtags__name="painting"
        ).order_by("published_at")
    )
    if not series:
        return None
    tz = reports.creator_time_zone(creator)
    campaign, _ = Campaign.objects.update_or_create(
        creator=creator,
        name=CAMPAIGN_NAME,
        defaults={
            "agency": Agency.objects.filter(slug="demo-agency").first(),
            "starts_on": series[0].published_at.astimezone(tz).date(),
            "ends_on": timezone.now().astimezone(tz).date(),
            "created_by": creator.user,
        },
    )
    campaign.posts.set(series)
    return campaign


def _remote_person(username: str, name: str, server: tuple) -> tuple:
    domain, software, version = server
    instance, _ = RemoteInstance.objects.get_or_create(
        domain=domain,
        defaults={
            "software": software,
            "software_name": software,
            "software_version": version,
            "nodeinfo_fetched_at": timezone.now(),
        },
    )
    ap_id = f"https://{domain}/users/{username}"
    actor, _ = RemoteActor.objects.get_or_create(
        ap_id=ap_id,
        defaults={
            "instance": instance,
            "username": username,
            "display_name": name,
            "inbox_url": f"{ap_id}/inbox",
            "shared_inbox_url": f"https://{domain}/inbox",
            "profile_url": f"https://{domain}/@{username}",
            "followers_url": f"{ap_id}/followers",
            "public_key_id": f"{ap_id}#main-key",
            # Demo actors never sign anything; no key is needed.
            "public_key_pem": "",
        },
    )
    author = analytics.Author(
        actor_uri=ap_id,
        handle=f"@{username}@{domain}",
        name=name,
        profile_url=actor.profile_url,
        domain=domain,
        software=software,
    )
    return actor, author


def _post(creator, body: str, **fields) -> Post:
    rendered = render_post_body(body)
    post = Post.objects.create(
        creator=creator, body=body, content_html=rendered.html, language="en", **fields
    )
    for name in rendered.hashtags:
        post.hashtags.add(Hashtag.objects.get_or_create(name=name)[0])
    return post


def _soon_after(post: Post, rng: random.Random, now: datetime) -> datetime:
    """A moment within a day and a half of the post, and before now: the
    inbox never keeps a time in the future."""
    span = min(timedelta(minutes=2000), now - post.published_at)
    return post.published_at + span * rng.random()


def _published(creator, body: str, when) -> Post:
    return _post(
        creator,
        body,
        state=Post.State.PUBLISHED,
        published_at=when,
        created_at=when,
    )


def _delivered(post: Post, inboxes: set[str], rng: random.Random) -> None:
    """The post's Create, as if delivered to each server within seconds."""
    activity = OutboundActivity.objects.create(
        ap_id=notes.create_id(post),
        creator=post.creator,
        post=post,
        activity_type="Create",
        payload=notes.create_activity(post),
        is_public=True,
        created_at=post.published_at,
        fanned_out_at=post.published_at,
    )
    Delivery.objects.bulk_create(
        Delivery(
            activity=activity,
            inbox_url=inbox,
            host=urlsplit(inbox).netloc,
            state=Delivery.State.DELIVERED,
            attempts=1,
            last_status_code=202,
            created_at=post.published_at,
            next_attempt_at=post.published_at,
            delivered_at=post.published_at + timedelta(seconds=rng.randint(1, 20)),
        )
        for inbox in sorted(inboxes)
    )


# Replies the creator's screening rules catch, so the moderation queue shows
# what it is for: the real screening decides, with its reasons in words.
SPAM = (
    "<p>Free ｃｒｙｐｔｏ for every follower!!! DM me</p>",
    '<p><a href="https://cheap.example/x">cheap.example/x</a></p>',
)


def _screened_replies(creator, post: Post, authors, now) -> None:
    ScreeningRules.objects.update_or_create(
        creator=creator,
        defaults={"keywords": "crypto\nfree followers", "hold_link_only": True},
    )
    notes = []
    spammers = authors[-len(SPAM) :]
    for number, ((actor, author), html) in enumerate(zip(spammers, SPAM, strict=True)):
        notes.append(
            (
                author,
                analytics.NoteInput(
                    ap_id=f"{actor.ap_id}/statuses/{creator.handle}-spam-{number}",
                    in_reply_to_uri=note_id(post),
                    content=html,
                    published_at=now - timedelta(hours=number + 1),
                ),
            )
        )
    verdicts = screening.screen_replies(
        [
            screening.Candidate(
                key=note.ap_id,
                creator_id=creator.pk,
                actor_uri=author.actor_uri,
                domains=(author.domain,),
                content_html=note.content,
            )
            for author, note in notes
        ]
    )
    for author, note in notes:
        verdict = verdicts[note.ap_id]
        analytics.reply_store(
            creator=creator,
            post=post,
            author=author,
            note=note,
            status=verdict.status,
            hold_reason=verdict.reason,
        )
