"""Rollups follow the interactions exactly, whichever service path wrote or
removed them, and a rebuild from the raw rows gives the same tables."""

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import CreatorProfile
from analytics import rollups, services
from analytics.models import (
    CreatorHourlyRollup,
    CreatorTotalRollup,
    InstanceDailyRollup,
    Interaction,
    PlatformDailyRollup,
    PostDailyRollup,
    Reply,
)
from analytics.services import InteractionInput, NoteInput, ReplyInput
from posts.models import Post
from tests import factories
from tests.analytics.conftest import at, author, make_post, record

pytestmark = pytest.mark.django_db

Kind = Interaction.Kind


def assert_in_step(creator_id=None):
    """The rollups hold exactly what a recount of the raw rows gives."""
    assert rollups.rollups_stored(creator_id=creator_id) == rollups.rollups_expected(
        creator_id=creator_id
    )


def total(creator) -> CreatorTotalRollup:
    return CreatorTotalRollup.objects.get(creator=creator)


def test_a_like_is_counted_in_each_rollup_in_utc_buckets(creator, post):
    record(creator, Kind.LIKE, "bob", post=post, when="2025-03-10 23:59:59.5")

    [day] = PostDailyRollup.objects.all()
    assert (day.post, day.creator, str(day.day), day.likes) == (
        post,
        creator,
        "2025-03-10",
        1,
    )
    [hour] = CreatorHourlyRollup.objects.all()
    assert hour.hour == at("2025-03-10 23:00") and hour.likes == 1
    [platform] = PlatformDailyRollup.objects.all()
    assert (platform.software, platform.likes) == ("mastodon", 1)
    [server] = InstanceDailyRollup.objects.all()
    assert (server.instance_domain, server.software, server.likes) == (
        "mastodon.social",
        "mastodon",
        1,
    )
    assert total(creator).likes == 1
    assert_in_step()


def test_the_same_activity_twice_counts_once_single_and_bulk(creator, post):
    row = record(creator, Kind.BOOST, "bob", post=post, when="2025-03-10 10:00")
    assert (
        services.interaction_record(
            creator=creator,
            kind=Kind.BOOST,
            activity_id=row.activity_id,
            author=author("bob"),
            post=post,
        )
        is None
    )
    again = InteractionInput(
        kind=Kind.BOOST,
        activity_id=row.activity_id,
        creator_id=creator.pk,
        author=author("bob"),
        post_id=post.pk,
    )
    like = InteractionInput(
        kind=Kind.LIKE,
        activity_id="https://threads.net/likes/1",
        creator_id=creator.pk,
        author=author("zoe"),
        post_id=post.pk,
        occurred_at=at("2025-03-10 11:00"),
    )
    services.interactions_record_many(items=[again, like, like])

    assert (total(creator).boosts, total(creator).likes) == (1, 1)
    assert_in_step()


def test_undoing_takes_the_count_away_and_leaves_no_empty_rows(creator, post):
    row = record(creator, Kind.LIKE, "bob", post=post, when="2025-03-10 10:00")
    record(creator, Kind.FOLLOW, "zoe", when="2025-03-10 10:30")

    assert services.interaction_remove(
        actor_uri=row.actor_uri, activity_id=row.activity_id
    )
    # Undoing again, as a re-delivered Undo does, changes nothing.
    assert not services.interaction_remove(
        actor_uri=row.actor_uri, activity_id=row.activity_id
    )

    assert total(creator).likes == 0
    assert not PostDailyRollup.objects.exists()
    [hour] = CreatorHourlyRollup.objects.all()
    assert (hour.likes, hour.follows) == (0, 1)
    assert_in_step()


def test_undo_by_what_it_was_and_bulk_removal(creator, post):
    reaction = record(
        creator, Kind.REACTION, "kai", post=post, when="2025-03-10 10:00", emoji="🎉"
    )
    record(
        creator, Kind.REACTION, "kai", post=post, when="2025-03-10 10:00", emoji="👍"
    )
    boost = record(creator, Kind.BOOST, "ana", post=post, when="2025-03-11 10:00")

    removed = services.interaction_remove(
        actor_uri=reaction.actor_uri, kind=Kind.REACTION, post=post, emoji="🎉"
    )
    assert removed == 1
    assert services.interactions_remove_many(pks=[boost.pk, boost.pk]) == 1

    assert (total(creator).reactions, total(creator).boosts) == (1, 0)
    assert_in_step()


def test_replies_and_quotes_are_counted_and_uncounted(creator, post):
    note = NoteInput(
        ap_id="https://mastodon.social/notes/1",
        in_reply_to_uri="https://hub.test/p/1",
        published_at=at("2025-03-10 08:00"),
    )
    services.reply_store(creator=creator, post=post, note=note, author=author("bob"))
    quote = NoteInput(
        ap_id="https://threads.net/notes/2",
        in_reply_to_uri="",
        published_at=at("2025-03-10 09:00"),
        is_quote=True,
    )
    items = [
        ReplyInput(
            note=quote, creator_id=creator.pk, post_id=post.pk, author=author("zoe")
        )
    ]
    assert services.replies_store_many(items=items) == [quote.ap_id]
    assert services.replies_store_many(items=items) == []
    assert (total(creator).replies, total(creator).quotes) == (1, 1)

    assert services.reply_remove(ap_id=note.ap_id, actor_uri=author("bob").actor_uri)
    assert (total(creator).replies, total(creator).quotes) == (0, 1)
    assert_in_step()


def test_forgetting_a_deleted_account_keeps_its_follow_history(creator, post):
    record(creator, Kind.FOLLOW, "bob", when="2025-03-01 10:00")
    record(creator, Kind.LIKE, "bob", post=post, when="2025-03-02 10:00")
    record(creator, Kind.LIKE, "zoe", post=post, when="2025-03-02 10:00")

    assert services.remote_actor_forget(actor_uri=author("bob").actor_uri) == (1, 0)

    assert (total(creator).likes, total(creator).follows) == (1, 1)
    assert_in_step()


def test_a_post_removed_outright_takes_its_counts_with_it(creator, other_creator):
    post = make_post(creator)
    kept = make_post(creator)
    record(creator, Kind.LIKE, "bob", post=post, when="2025-03-02 10:00")
    record(creator, Kind.LIKE, "zoe", post=kept, when="2025-03-02 10:00")
    record(creator, Kind.FOLLOW, "zoe", when="2025-03-02 10:00")

    post.delete()

    assert total(creator).likes == 1
    assert_in_step()
    # The creator's account going takes everything of theirs.
    creator.user.delete()
    assert not CreatorHourlyRollup.objects.exists()
    assert not CreatorTotalRollup.objects.exists()


def test_counting_continues_on_rows_written_by_a_rebuild(creator, post):
    """The rebuild writes hours and days exactly as the inbox path does, so a
    like after it adds to the same row instead of making a second one."""
    record(creator, Kind.LIKE, "bob", post=post, when="2025-03-10 10:15")
    services.rollups_rebuild()

    record(creator, Kind.LIKE, "zoe", post=post, when="2025-03-10 10:45")

    [hour] = CreatorHourlyRollup.objects.all()
    [day] = PostDailyRollup.objects.all()
    assert (hour.likes, day.likes) == (2, 2)
    assert_in_step()


def test_rebuilding_one_creator_leaves_the_others_alone(creator, other_creator):
    mine, theirs = make_post(creator), make_post(other_creator)
    record(creator, Kind.LIKE, "bob", post=mine, when="2025-03-10 10:00")
    record(other_creator, Kind.LIKE, "bob", post=theirs, when="2025-03-10 10:00")
    # Someone else's rollups drifted (written behind the services' back).
    CreatorTotalRollup.objects.filter(creator=other_creator).update(likes=7)
    CreatorTotalRollup.objects.filter(creator=creator).update(likes=9)

    services.rollups_rebuild(creator=creator)

    assert total(creator).likes == 1
    assert total(other_creator).likes == 7


# The random mix --------------------------------------------------------------

PEOPLE = ["bob", "zoe", "kai", "ana", "max", "lea", "tom"]
POST_KINDS = [Kind.LIKE, Kind.BOOST, Kind.REACTION, Kind.REPLY, Kind.QUOTE]


def _when(rng: random.Random) -> str:
    # A few days, every hour, bunched around UTC midnight where day
    # buckets split.
    moment = at("2025-03-09 22:00") + timedelta(
        minutes=rng.choice([rng.randrange(0, 5 * 24 * 60), rng.randrange(100, 140)]),
        seconds=rng.random() * 60,
    )
    return moment.isoformat(sep=" ")[:26]


def _pick(rng: random.Random, model):
    pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
    return model.objects.get(pk=rng.choice(pks)) if pks else None


def _mix(rng: random.Random, creators, posts, steps: int) -> Counter:
    """Apply `steps` random service calls; what each kind of call did."""
    done = Counter()
    sent: list[InteractionInput] = []
    for _ in range(steps):
        creator = rng.choice(creators)
        post = rng.choice(posts[creator.pk])
        who = rng.choice(PEOPLE)
        kind = rng.choice([*POST_KINDS, Kind.FOLLOW, Kind.UNFOLLOW])
        on = None if kind in (Kind.FOLLOW, Kind.UNFOLLOW) else post
        choice = rng.random()
        if choice < 0.25:
            record(
                creator, kind, who, post=on, when=_when(rng), emoji=rng.choice("🎉👍")
            )
            done["single"] += 1
        elif choice < 0.45:
            batch = []
            for _ in range(rng.randrange(1, 12)):
                if sent and rng.random() < 0.3:  # a re-delivery
                    batch.append(rng.choice(sent))
                    continue
                creator = rng.choice(creators)
                kind = rng.choice([*POST_KINDS, Kind.FOLLOW])
                who = rng.choice(PEOPLE)
                batch.append(
                    InteractionInput(
                        kind=kind,
                        activity_id=f"https://x.example/a/{rng.randrange(10**9)}",
                        creator_id=creator.pk,
                        author=author(who),
                        post_id=None
                        if kind == Kind.FOLLOW
                        else rng.choice(posts[creator.pk]).pk,
                        emoji=rng.choice(["", "🎉"]),
                        occurred_at=at(_when(rng)),
                    )
                )
            batch += rng.sample(batch, k=min(2, len(batch)))  # twice in a batch
            sent += batch
            services.interactions_record_many(items=batch)
            done["bulk"] += 1
        elif choice < 0.55 and sent:
            item = rng.choice(sent)
            services.interaction_record(
                creator=CreatorProfile.objects.get(pk=item.creator_id),
                kind=item.kind,
                activity_id=item.activity_id,
                author=item.author,
                post=None
                if item.post_id is None
                else Post.objects.get(pk=item.post_id),
                occurred_at=item.occurred_at,
            )
            done["repeat"] += 1
        elif choice < 0.65:
            row = _pick(rng, Interaction)
            if row is not None:
                services.interaction_remove(
                    actor_uri=row.actor_uri,
                    activity_id=rng.choice([row.activity_id, "https://x.example/gone"]),
                    kind=row.kind,
                    post=row.post,
                )
                done["undo"] += 1
        elif choice < 0.72:
            pks = list(Interaction.objects.values_list("pk", flat=True)[:40])
            services.interactions_remove_many(
                pks=rng.sample(pks, k=min(len(pks), rng.randrange(0, 5)))
            )
            done["undo_many"] += 1
        elif choice < 0.82:
            note = NoteInput(
                ap_id=f"https://{author(who).domain}/notes/{rng.randrange(40)}",
                in_reply_to_uri="https://hub.test/p",
                published_at=at(_when(rng)),
                is_quote=rng.random() < 0.3,
            )
            if rng.random() < 0.5:
                services.reply_store(
                    creator=creator, post=post, note=note, author=author(who)
                )
            else:
                services.replies_store_many(
                    items=[
                        ReplyInput(
                            note=note,
                            creator_id=creator.pk,
                            post_id=post.pk,
                            author=author(who),
                        )
                    ]
                )
            done["reply"] += 1
        elif choice < 0.88:
            reply = _pick(rng, Reply)
            if reply is not None:
                services.reply_remove(ap_id=reply.ap_id, actor_uri=reply.actor_uri)
                done["reply_remove"] += 1
        elif choice < 0.91:
            services.remote_actor_forget(actor_uri=author(who).actor_uri)
            done["forget"] += 1
        elif choice < 0.92 and len(posts[creator.pk]) > 1:
            posts[creator.pk].remove(post)
            gone = post.pk
            post.delete()
            sent = [item for item in sent if item.post_id != gone]
            done["post_delete"] += 1
        elif choice < 0.94:
            services.rollups_rebuild()  # and the rows keep counting after it
            done["rebuild"] += 1
    return done


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rebuilt_equals_incremental_after_a_random_mix(seed):
    rng = random.Random(seed)
    creators = [factories.CreatorFactory() for _ in range(3)]
    posts = {creator.pk: [make_post(creator) for _ in range(4)] for creator in creators}

    done = _mix(rng, creators, posts, steps=250)

    assert Interaction.objects.count() > 100, done
    assert {"single", "bulk", "repeat", "undo", "reply", "forget"} <= set(done)
    incremental = rollups.rollups_stored()
    services.rollups_rebuild()
    assert rollups.rollups_stored() == incremental
    # And both say what the raw rows say, counted here independently.
    by_kind = Counter(
        (creator_id, kind)
        for creator_id, kind in Interaction.objects.values_list("creator_id", "kind")
    )
    for creator in creators:
        totals = CreatorTotalRollup.objects.filter(creator=creator).first()
        for kind, name in rollups.KIND_FIELDS.items():
            assert getattr(totals, name, 0) == by_kind[(creator.pk, kind)]


def test_the_command_rebuilds_and_checks(creator, post, capsys):
    record(creator, Kind.LIKE, "bob", post=post, when="2025-03-10 10:00")
    call_command("rebuild_rollups", "--check")
    assert "match" in capsys.readouterr().out

    CreatorHourlyRollup.objects.update(likes=5)
    with pytest.raises(CommandError, match="1 rollup rows differ"):
        call_command("rebuild_rollups", "--check", "--creator", "alice")
    assert "holds (5," in capsys.readouterr().out

    call_command("rebuild_rollups", "--creator", "@Alice")
    assert "Rebuilt @alice's rollups" in capsys.readouterr().out
    call_command("rebuild_rollups", "--check")

    with pytest.raises(CommandError, match="No creator @nobody"):
        call_command("rebuild_rollups", "--creator", "nobody")


def test_a_server_whose_software_is_learned_later_moves_to_its_platform(creator, post):
    """Likes from a server seen for the first time arrive before its
    NodeInfo is read: they count as "other" until then, then as Threads."""
    newcomer = services.Author(
        actor_uri="https://threads.example/ap/users/zoe",
        handle="@zoe@threads.example",
        domain="threads.example",
    )
    for n in range(2):
        services.interaction_record(
            creator=creator,
            kind=Kind.LIKE if n == 0 else Kind.BOOST,
            activity_id=f"https://threads.example/activities/{n}",
            author=newcomer,
            post=post,
            occurred_at=at("2025-03-10 10:00"),
        )
    record(creator, Kind.LIKE, "bob", post=post, when="2025-03-10 11:00")
    assert PlatformDailyRollup.objects.get(software="other").likes == 1

    moved = services.instance_software_learned(
        domain="threads.example", software="threads"
    )

    assert moved == 2
    assert not PlatformDailyRollup.objects.filter(software="other").exists()
    threads = PlatformDailyRollup.objects.get(software="threads")
    assert (threads.likes, threads.boosts) == (1, 1)
    assert PlatformDailyRollup.objects.get(software="mastodon").likes == 1
    assert set(
        Interaction.objects.filter(instance_domain="threads.example").values_list(
            "software", flat=True
        )
    ) == {"threads"}
    assert_in_step()
