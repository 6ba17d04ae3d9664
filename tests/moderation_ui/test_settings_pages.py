"""A creator's screening rules and blocked accounts, and the instance's
screening defaults."""

import pytest
from django.urls import reverse

from analytics.models import Reply
from moderation import services
from moderation.models import ActorBlock, AuditEntry, ScreeningRules

pytestmark = pytest.mark.django_db

RULES = reverse("moderation:rules", kwargs={"handle": "alice"})
BLOCKS = reverse("moderation:blocks", kwargs={"handle": "alice"})
INSTANCE_RULES = reverse("moderation:instance-rules")

FORM = {
    "hold_first_time": "on",
    "new_server_days": "7",
    "mention_limit": "5",
    "flood_limit": "10",
    "flood_minutes": "10",
    "keywords": "crypto\n/free\\s+followers/",
}


def text(response) -> str:
    return response.content.decode()


def test_a_creator_sets_their_rules_with_help_and_sees_them_saved(as_user, creator):
    client = as_user(creator.user)
    page = text(client.get(RULES))
    for words in ("Hold every reply", "Hold first-time repliers",
                  "Hold replies from new servers", "Hold link-only replies",
                  "Hold mention spam", "Most replies from one account",
                  "Words and patterns that hold a reply", "is a comment"):  # fmt: skip
        assert words in page
    assert "Not saved yet: these are the defaults." in page

    response = client.post(RULES, FORM, follow=True)

    rules = ScreeningRules.objects.get(creator=creator)
    assert rules.hold_first_time and not rules.hold_all
    assert rules.keywords == "crypto\n/free\\s+followers/"
    assert rules.updated_by == creator.user
    assert "Screening rules saved" in text(response)
    assert "Last changed" in text(response)
    assert AuditEntry.objects.get().action == AuditEntry.Action.RULES_UPDATE


def test_bad_rules_are_refused_beside_the_field(as_user, creator):
    client = as_user(creator.user)
    response = client.post(
        RULES, {**FORM, "keywords": "/(unclosed/", "flood_minutes": "0"}
    )
    html = text(response)
    assert response.status_code == 200
    assert "Nothing was saved" in html
    assert "is not a valid pattern" in html
    assert "Enter a whole number from 1 to 1440." in html
    assert not ScreeningRules.objects.exists()


def test_the_creator_page_says_what_the_instance_holds(as_user, creator, admin_user):
    services.screening_rules_update(
        creator=None, by=admin_user, hold_link_only=True, keywords="spam\n# note"
    )
    html = text(as_user(creator.user).get(RULES))
    assert "<li>Link-only replies</li>" in html
    assert "<li>1 filter-list entry</li>" in html
    assert "more than 10 replies from one account in 10 minutes" in html.lower()


def test_only_admins_set_the_instance_defaults(as_user, creator, admin_user):
    assert as_user(creator.user).get(INSTANCE_RULES).status_code == 403
    assert as_user(creator.user).post(INSTANCE_RULES, FORM).status_code == 403
    assert not ScreeningRules.objects.exists()

    response = as_user(admin_user).post(INSTANCE_RULES, {**FORM, "hold_all": "on"})
    assert response.status_code == 302
    rules = ScreeningRules.objects.get(is_instance=True)
    assert rules.hold_all and rules.creator is None


def test_the_manager_may_and_the_analyst_and_other_tenants_may_not(
    as_user, creator, manager, analyst, other_creator
):
    assert as_user(manager).post(RULES, FORM).status_code == 302
    assert ScreeningRules.objects.get().updated_by == manager
    assert as_user(analyst).get(RULES).status_code == 403
    assert as_user(analyst).post(RULES, {**FORM, "hold_all": "on"}).status_code == 403
    assert as_user(other_creator.user).post(RULES, FORM).status_code == 404
    assert not ScreeningRules.objects.get().hold_all


# Blocked accounts -----------------------------------------------------------------


@pytest.fixture
def block(creator, replies):
    return services.reply_block_author(
        reply=replies["spam"], by=creator.user, reason="spam bot"
    )


def test_the_creator_sees_whom_they_blocked_and_unblocks(as_user, creator, block):
    client = as_user(creator.user)
    html = text(client.get(BLOCKS))
    assert "@eve@spam.example" in html and "Why: spam bot" in html
    unblock = reverse("moderation:unblock", kwargs={"pk": block.pk})

    response = client.post(unblock, {"next": BLOCKS})

    assert response.status_code == 302 and response["Location"] == BLOCKS
    assert not ActorBlock.objects.exists()
    page = text(client.get(BLOCKS))
    assert "Unblocked @eve@spam.example" in page
    assert "No blocked accounts" in page
    # Replies hidden by the block stay hidden.
    assert not Reply.objects.filter(
        status=Reply.Status.VISIBLE, actor_handle="@eve@spam.example"
    ).exists()


def test_nobody_else_unblocks(as_user, analyst, other_creator, block):
    unblock = reverse("moderation:unblock", kwargs={"pk": block.pk})
    assert as_user(analyst).get(BLOCKS).status_code == 403
    assert as_user(analyst).post(unblock).status_code == 403
    assert as_user(other_creator.user).get(BLOCKS).status_code == 404
    assert as_user(other_creator.user).post(unblock).status_code == 404
    assert ActorBlock.objects.filter(pk=block.pk).exists()
