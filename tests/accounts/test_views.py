"""The web UI as a person uses it: pages, forms, messages and tenant walls."""

import io
import re

import pytest
from django.core import mail
from django.http import HttpRequest
from django.urls import reverse
from PIL import Image

from accounts.models import AgencyAccess, AgencyMembership, CreatorProfile, User
from tests import factories
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def png_upload(name="me.png", size=(40, 30), color=(200, 40, 90)):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def profile_data(**overrides):
    data = {
        "display_name": "Alice A.",
        "bio": "I make things.",
        "time_zone": "Europe/Paris",
        "share_to_fediverse": "on",
        "show_follower_lists": "on",
        "links-TOTAL_FORMS": "4",
        "links-INITIAL_FORMS": "4",
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "4",
    }
    for i in range(4):
        data[f"links-{i}-label"] = ""
        data[f"links-{i}-url"] = ""
    data.update(overrides)
    return data


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# Landing page and sign-up ---------------------------------------------------


def test_landing_page_explains_the_product_to_visitors(client):
    """An anonymous visitor sees what Creator Hub is, with log-in and sign-up."""
    response = client.get(reverse("home"))
    text = page_text(response)
    assert response.status_code == 200
    assert "@you@hub.test" in text
    assert "Mastodon" in text
    assert reverse("login") in text
    assert reverse("signup") in text


def test_landing_page_sends_logged_in_users_to_the_dashboard(client, creator):
    """Someone logged in goes straight to their dashboard."""
    client.force_login(creator.user)
    assert client.get(reverse("home")).url == reverse("dashboard")


def test_sign_up_offers_a_choice_of_creator_or_agency(client):
    """The sign-up page asks which kind of account to make."""
    text = page_text(client.get(reverse("signup")))
    assert "I'm a creator" in text
    assert "I run an agency" in text


def creator_sign_up(**overrides):
    data = {
        "kind": "creator",
        "username": "carol",
        "email": "carol@example.com",
        "password1": "a-long-unusual-pass-42",
        "password2": "a-long-unusual-pass-42",
        "handle": "carol_makes",
        "display_name": "Carol",
    }
    data.update(overrides)
    return data


def test_creator_sign_up_creates_the_account_and_logs_in(client):
    """A creator who signs up lands on a dashboard showing their address."""
    response = client.post(reverse("signup"), creator_sign_up(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    text = page_text(response)
    assert "@carol_makes@hub.test" in text
    assert "Welcome!" in text
    user = User.objects.get(username="carol")
    assert user.creator.display_name == "Carol"
    assert response.context["user"] == user


def test_agency_sign_up_creates_an_agency_owned_by_the_new_user(client):
    """Someone signing up an agency owns it and sees it on the dashboard."""
    response = client.post(
        reverse("signup"),
        {
            "kind": "agency",
            "username": "dana",
            "email": "dana@example.com",
            "password1": "a-long-unusual-pass-42",
            "password2": "a-long-unusual-pass-42",
            "agency_name": "Northwind Talent",
        },
        follow=True,
    )
    text = page_text(response)
    assert "Northwind Talent" in text
    assert "Owner" in text
    membership = AgencyMembership.objects.get(user__username="dana")
    assert membership.role == "owner"
    assert not User.objects.get(username="dana").is_creator


@pytest.mark.parametrize(
    ("handle", "message"),
    [
        ("admin", "That handle is reserved."),
        ("alice", "That handle is taken."),
        ("Alice", "That handle is taken."),
        ("al ice", "Use only letters, digits and underscores."),
    ],
)
def test_sign_up_refuses_unusable_handles_with_the_reason(
    client, creator, handle, message
):
    """Reserved, taken (in any case) and malformed handles are refused."""
    response = client.post(reverse("signup"), creator_sign_up(handle=handle))
    assert response.status_code == 200
    assert message in page_text(response)
    assert not User.objects.filter(username="carol").exists()


def test_sign_up_refuses_a_taken_username_and_mismatched_passwords(client, creator):
    """Form errors appear next to the fields and nothing is created."""
    response = client.post(
        reverse("signup"),
        creator_sign_up(username="ALICE", password2="something-else-entirely"),
    )
    text = page_text(response)
    assert "The two passwords differ." in text
    response = client.post(reverse("signup"), creator_sign_up(username="ALICE"))
    assert "That username is taken." in page_text(response)
    assert CreatorProfile.objects.count() == 1


def test_handle_check_says_whether_a_handle_is_free(client, creator):
    """Typing a handle shows the future address, or why it cannot be used."""
    url = reverse("handle_check")
    free = page_text(client.get(url, {"handle": "New_Person"}))
    assert '✓ <span class="address">@new_person@hub.test</span> is available' in free
    assert "That handle is taken." in page_text(client.get(url, {"handle": "ALICE"}))
    assert "reserved" in page_text(client.get(url, {"handle": "admin"}))


def test_closed_registrations_show_a_polite_page_and_create_nothing(client, settings):
    """With sign-ups closed, the page says so and posting does nothing."""
    settings.OPEN_REGISTRATIONS = False
    response = client.get(reverse("signup"))
    assert "Sign-ups are closed" in page_text(response)
    client.post(reverse("signup"), creator_sign_up())
    assert not User.objects.filter(username="carol").exists()


# Log in, log out, passwords -------------------------------------------------


def test_the_log_in_page_names_the_product_and_the_instance(client, settings):
    settings.CREATORHUB_DOMAIN = "127.0.0.1:8000"
    response = client.get(reverse("login"), HTTP_HOST="127.0.0.1:8000")
    html = response.content.decode()
    title = re.search(r"<title>(.*?)</title>", html, flags=re.S)[1]
    assert re.sub(r"\s+", " ", title).strip() == "Log in · Creator Hub"
    assert ">Creator Hub</span>" in html  # the brand in the header
    footer = re.search(r'<footer class="site-footer">.*?<p>(.*?)</p>', html, re.S)[1]
    assert re.sub(r"<[^>]+>", "", footer) == (
        "Creator Hub at 127.0.0.1:8000 — your own home on the fediverse."
    )


def test_an_instance_named_after_its_domain_says_it_once(client, settings):
    settings.CREATORHUB_NAME = settings.CREATORHUB_DOMAIN = "hub.example"
    settings.ALLOWED_HOSTS = ["hub.example"]
    html = client.get(reverse("login"), HTTP_HOST="hub.example").content.decode()
    footer = re.search(r'<footer class="site-footer">.*?<p>(.*?)</p>', html, re.S)[1]
    assert re.sub(r"<[^>]+>", "", footer) == (
        "hub.example — your own home on the fediverse."
    )


def test_log_in_and_out(client, creator):
    """Logging in opens the dashboard; logging out (POST only) ends it."""
    response = client.post(
        reverse("login"), {"username": "alice", "password": DEFAULT_PASSWORD}
    )
    assert response.url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_wrong_password_is_refused_with_a_message(client, creator):
    """A bad password keeps the visitor on the log-in page with a reason."""
    response = client.post(reverse("login"), {"username": "alice", "password": "x"})
    assert response.status_code == 200
    assert "enter a correct username and password" in page_text(response)


def test_password_reset_email_link_sets_a_new_password(client, creator):
    """The reset email's link lets the person choose a password and log in."""
    response = client.post(
        reverse("password_reset"), {"email": creator.user.email}, follow=True
    )
    assert "Check your email" in page_text(response)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == "Reset your Creator Hub password"
    link = re.search(r"http://testserver(/\S+)", email.body).group(1)

    response = client.get(link, follow=True)
    assert "Choose a new password" in page_text(response)
    set_password_url = response.redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {
            "new_password1": "brand-new-pass-7731",
            "new_password2": "brand-new-pass-7731",
        },
        follow=True,
    )
    assert "Your password is changed" in page_text(response)
    assert client.login(
        request=HttpRequest(), username="alice", password="brand-new-pass-7731"
    )


def test_password_change(client, creator):
    """A logged-in person changes their password with the old one."""
    client.force_login(creator.user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": "another-long-pass-991",
            "new_password2": "another-long-pass-991",
        },
        follow=True,
    )
    assert "Your password is changed" in page_text(response)
    creator.user.refresh_from_db()
    assert creator.user.check_password("another-long-pass-991")


# Dashboard --------------------------------------------------------------------


def test_creator_dashboard_shows_the_profile_card_and_agencies(
    client, creator, agency_with_analyst
):
    """A creator sees their address, sharing state and who has access."""
    client.force_login(creator.user)
    text = page_text(client.get(reverse("dashboard")))
    assert "@alice@hub.test" in text
    assert "Fediverse sharing" in text
    assert "Accepted automatically" in text
    assert "Bright Agency" in text


def test_analyst_dashboard_lists_agency_and_its_creators(
    client, creator, agency_with_analyst
):
    """An agency member sees their role and links to each creator."""
    agency, analyst = agency_with_analyst
    client.force_login(analyst)
    text = page_text(client.get(reverse("dashboard")))
    assert "Analyst" in text
    assert reverse("agency_creator", args=["bright", "alice"]) in text


def test_an_analyst_goes_from_a_creator_to_their_posts_and_notifications(
    client, creator, agency_with_analyst
):
    _, analyst = agency_with_analyst
    client.force_login(analyst)
    text = client.get(reverse("agency_creator", args=["bright", "alice"])).content
    for name in ("posts:queue", "inbox:notifications", "inbox:followers"):
        link = reverse(name, kwargs={"handle": "alice"})
        assert link.encode() in text
        assert client.get(link).status_code == 200


def test_empty_dashboard_says_what_to_do_next(client):
    """Someone with no profile and no agency is told how to start."""
    client.force_login(factories.UserFactory())
    text = page_text(client.get(reverse("dashboard")))
    assert "Create an agency" in text


def test_an_admin_gets_a_home_of_their_own(client, admin_user):
    """Not "not part of an agency": moderation and the queues load instead."""
    client.force_login(admin_user)
    text = page_text(client.get(reverse("dashboard")))
    assert "You are not part of an agency yet" not in text
    assert f'hx-get="{reverse("home-admin")}"' in text
    assert reverse("home-creator") not in text


def test_the_replies_link_shows_only_to_those_with_a_reply_inbox(
    client, creator, agency_with_analyst, admin_user
):
    """An admin with no creator profile and no agency reads no replies: the
    header offers no Replies link that would answer 404."""
    _, analyst = agency_with_analyst
    replies = f'href="{reverse("conversations:inbox")}"'
    for user in (creator.user, analyst):
        client.force_login(user)
        assert replies in page_text(client.get(reverse("dashboard")))
        assert client.get(reverse("conversations:inbox")).status_code == 200
    client.force_login(admin_user)
    assert replies not in page_text(client.get(reverse("dashboard")))
    assert client.get(reverse("conversations:inbox")).status_code == 404


def test_no_replies_link_for_an_agency_no_creator_let_read_replies(client, creator):
    """A manager whose agency no creator let read, answer or moderate
    replies (only draft, here) sees no Replies link leading to a 404; it
    appears once a creator grants the answer scope."""
    agency = factories.AgencyFactory(name="Northwind", slug="northwind")
    manager = factories.MembershipFactory(agency=agency, role="manager").user
    access = factories.AgencyAccessFactory(
        creator=creator, agency=agency, read_analytics=False, draft_posts=True
    )
    replies = f'href="{reverse("conversations:inbox")}"'
    client.force_login(manager)

    text = page_text(client.get(reverse("dashboard")))
    assert ">Northwind</a>" in text  # the header is there, without Replies
    assert replies not in text
    assert client.get(reverse("conversations:inbox")).status_code == 404

    access.answer_replies = True
    access.save()
    assert replies in page_text(client.get(reverse("dashboard")))
    assert client.get(reverse("conversations:inbox")).status_code == 200


def test_a_creators_home_loads_their_week(client, creator):
    client.force_login(creator.user)
    text = page_text(client.get(reverse("dashboard")))
    assert f'hx-get="{reverse("home-creator")}"' in text
    assert reverse("home-admin") not in text


def test_an_analysts_home_loads_neither_section(client, creator, agency_with_analyst):
    _, analyst = agency_with_analyst
    client.force_login(analyst)
    text = page_text(client.get(reverse("dashboard")))
    assert reverse("home-creator") not in text
    assert reverse("home-admin") not in text


# Profile settings -------------------------------------------------------------


def test_profile_edit_saves_fields_links_and_a_png_avatar(client, creator):
    """Saving the form changes the profile and re-encodes the uploaded image."""
    client.force_login(creator.user)
    data = profile_data(
        **{"links-0-label": "Shop", "links-0-url": "https://shop.example"}
    )
    data["avatar"] = png_upload()
    response = client.post(reverse("profile_settings"), data, follow=True)
    assert "Your profile is saved." in page_text(response)
    creator.refresh_from_db()
    assert creator.display_name == "Alice A."
    assert creator.time_zone == "Europe/Paris"
    assert creator.share_to_fediverse is True
    assert [(link.label, link.url) for link in creator.links.all()] == [
        ("Shop", "https://shop.example")
    ]
    assert creator.avatar.name.endswith(".jpg")
    with Image.open(creator.avatar.path) as stored:
        assert stored.size == (400, 400)
    assert creator.avatar.url in page_text(response)


def test_profile_page_shows_the_handle_read_only(client, creator):
    """The handle is displayed but cannot be edited."""
    client.force_login(creator.user)
    text = page_text(client.get(reverse("profile_settings")))
    assert "@alice@hub.test" in text
    assert "cannot be changed" in text
    assert 'name="handle"' not in text


def test_profile_turns_toggles_off_when_they_are_cleared(client, creator):
    """Unchecked toggles switch fediverse sharing and follower lists off."""
    client.force_login(creator.user)
    data = profile_data()
    del data["share_to_fediverse"]
    del data["show_follower_lists"]
    client.post(reverse("profile_settings"), data)
    creator.refresh_from_db()
    assert creator.share_to_fediverse is False
    assert creator.show_follower_lists is False


def test_profile_refuses_a_file_that_is_not_an_image(client, creator):
    """A text file posing as an avatar is refused with a message, nothing saved."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(creator.user)
    data = profile_data(display_name="Changed")
    data["avatar"] = SimpleUploadedFile(
        "me.png", b"not an image at all", content_type="image/png"
    )
    response = client.post(reverse("profile_settings"), data)
    text = page_text(response)
    assert "That file is not an image we can read." in text
    assert "Your profile was not saved" in text
    creator.refresh_from_db()
    assert creator.display_name != "Changed"
    assert not creator.avatar


def test_profile_refuses_more_than_four_links(client, creator):
    """A fifth link is refused; the links stay as they were."""
    client.force_login(creator.user)
    data = profile_data(**{"links-TOTAL_FORMS": "5"})
    for i in range(5):
        data[f"links-{i}-label"] = f"Link {i}"
        data[f"links-{i}-url"] = f"https://example.com/{i}"
    response = client.post(reverse("profile_settings"), data)
    assert "You can add at most 4 links." in page_text(response)
    assert not creator.links.exists()


def test_profile_link_needs_both_label_and_url(client, creator):
    """A label without an address is pointed out next to the field."""
    client.force_login(creator.user)
    response = client.post(
        reverse("profile_settings"), profile_data(**{"links-0-label": "Shop"})
    )
    assert "Add the address this link points to." in page_text(response)


def test_profile_bio_over_500_characters_is_refused(client, creator):
    """The bio limit is enforced with a message."""
    client.force_login(creator.user)
    response = client.post(reverse("profile_settings"), profile_data(bio="x" * 501))
    assert "at most 500 characters" in page_text(response)


def test_profile_removes_the_avatar_when_asked(client, creator):
    """Ticking "Remove picture" clears the stored avatar."""
    client.force_login(creator.user)
    data = profile_data()
    data["avatar"] = png_upload()
    client.post(reverse("profile_settings"), data)
    client.post(reverse("profile_settings"), profile_data(remove_avatar="on"))
    creator.refresh_from_db()
    assert not creator.avatar


def test_profile_settings_are_404_for_non_creators(client):
    """Only creators have a profile page."""
    client.force_login(factories.UserFactory())
    assert client.get(reverse("profile_settings")).status_code == 404


# Agency access ------------------------------------------------------------------


def test_grant_then_revoke_changes_what_the_analyst_sees(client, creator):
    """After a grant the analyst sees the creator; after a revoke, no longer."""
    agency = factories.AgencyFactory(name="Orbit", slug="orbit")
    analyst = factories.MembershipFactory(agency=agency, role="analyst").user
    creator_page = reverse("agency_creator", args=["orbit", "alice"])

    client.force_login(creator.user)
    response = client.post(
        reverse("agency_access"),
        {"agency": "Orbit", "scopes": ["read_analytics", "publish_posts"]},
        follow=True,
    )
    assert "Orbit now has access to your data." in page_text(response)
    access = AgencyAccess.objects.get(creator=creator, agency=agency)
    assert access.publish_posts and not access.draft_posts

    client.force_login(analyst)
    text = page_text(client.get(reverse("agency_detail", args=["orbit"])))
    assert "@alice@hub.test" in text
    assert "Publish and schedule" in text
    assert client.get(creator_page).status_code == 200

    client.force_login(creator.user)
    response = client.post(
        reverse("revoke_agency_access", args=[access.pk]), follow=True
    )
    text = page_text(response)
    assert "Orbit no longer has access to your data." in text
    assert "Earlier access" in text

    client.force_login(analyst)
    text = page_text(client.get(reverse("agency_detail", args=["orbit"])))
    assert "@alice@hub.test" not in text
    assert "No creator has granted access yet" in text
    assert client.get(creator_page).status_code == 404


def test_grant_to_an_unknown_agency_says_so(client, creator):
    """A mistyped short name is answered in words."""
    client.force_login(creator.user)
    response = client.post(reverse("agency_access"), {"agency": "nope"})
    assert "No agency uses that short name." in page_text(response)
    assert not AgencyAccess.objects.exists()


def test_revoke_over_htmx_returns_the_updated_list(
    client, creator, agency_with_analyst
):
    """An htmx revoke swaps in the list fragment, with the message out of band."""
    agency, _ = agency_with_analyst
    access = creator.agency_grants.get(agency=agency)
    client.force_login(creator.user)
    response = client.post(
        reverse("revoke_agency_access", args=[access.pk]), HTTP_HX_REQUEST="true"
    )
    text = page_text(response)
    assert "<html" not in text
    assert 'id="grants"' in text
    assert 'hx-swap-oob="true"' in text
    assert "Bright Agency no longer has access" in text


def test_agency_access_page_is_404_for_non_creators(client):
    """People without a creator profile have no grants to manage."""
    client.force_login(factories.UserFactory())
    assert client.get(reverse("agency_access")).status_code == 404


# API token ----------------------------------------------------------------------


def test_api_token_page_starts_empty_and_links_the_docs(client, creator):
    """A user with no tokens is told nothing can use the API as them."""
    client.force_login(creator.user)
    text = page_text(client.get(reverse("api_token")))
    assert "No tokens" in text
    assert "/api/docs/" in text


# Agencies ------------------------------------------------------------------------


def test_any_user_can_create_an_agency_and_owns_it(client, creator):
    """A creator can also start an agency, becoming its owner."""
    client.force_login(creator.user)
    response = client.post(
        reverse("agency_create"), {"agency_name": "Alice & Co"}, follow=True
    )
    text = page_text(response)
    assert "Alice &amp; Co" in text
    assert "Add a member" in text
    assert AgencyMembership.objects.get(user=creator.user).role == "owner"


@pytest.fixture
def owned_agency(db):
    agency = factories.AgencyFactory(name="Team", slug="team")
    owner = factories.MembershipFactory(agency=agency, role="owner").user
    return agency, owner


def test_owner_adds_changes_and_removes_members(client, owned_agency):
    """An owner manages the team by username or email."""
    agency, owner = owned_agency
    newcomer = factories.UserFactory(username="newcomer", email="new@example.com")
    client.force_login(owner)
    response = client.post(
        reverse("agency_member_add", args=["team"]),
        {"username_or_email": "NEW@example.com", "role": "analyst"},
        follow=True,
    )
    assert "newcomer joined as analyst." in page_text(response)
    membership = AgencyMembership.objects.get(agency=agency, user=newcomer)

    response = client.post(
        reverse("agency_member_update", args=[membership.pk]),
        {"role": "manager"},
        follow=True,
    )
    assert "newcomer is now manager." in page_text(response)
    membership.refresh_from_db()
    assert membership.role == "manager"

    response = client.post(
        reverse("agency_member_remove", args=[membership.pk]), follow=True
    )
    assert "newcomer was removed from Team." in page_text(response)
    assert not AgencyMembership.objects.filter(pk=membership.pk).exists()


def test_adding_an_unknown_user_shows_why(client, owned_agency):
    """A username nobody has is answered next to the field."""
    _, owner = owned_agency
    client.force_login(owner)
    response = client.post(
        reverse("agency_member_add", args=["team"]),
        {"username_or_email": "ghost", "role": "analyst"},
    )
    assert "No account with that username or email." in page_text(response)


def test_the_last_owner_cannot_step_down(client, owned_agency):
    """Demoting the only owner is refused with a message."""
    agency, owner = owned_agency
    membership = AgencyMembership.objects.get(agency=agency, user=owner)
    client.force_login(owner)
    response = client.post(
        reverse("agency_member_update", args=[membership.pk]),
        {"role": "analyst"},
        follow=True,
    )
    assert "An agency needs at least one owner." in page_text(response)
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_member_changes_over_htmx_return_the_team_fragment(client, owned_agency):
    """An htmx role change swaps only the team section."""
    agency, owner = owned_agency
    member = factories.MembershipFactory(agency=agency, role="analyst")
    client.force_login(owner)
    response = client.post(
        reverse("agency_member_update", args=[member.pk]),
        {"role": "manager"},
        HTTP_HX_REQUEST="true",
    )
    text = page_text(response)
    assert response.status_code == 200
    assert "<html" not in text
    assert 'id="members"' in text


def test_non_owners_cannot_manage_members(client, owned_agency):
    """Analysts and managers see the team but cannot change it (403)."""
    agency, owner = owned_agency
    analyst = factories.MembershipFactory(agency=agency, role="analyst")
    owner_membership = AgencyMembership.objects.get(agency=agency, user=owner)
    client.force_login(analyst.user)

    text = page_text(client.get(reverse("agency_detail", args=["team"])))
    assert "Add a member" not in text
    assert reverse("agency_member_remove", args=[owner_membership.pk]) not in text

    other = factories.UserFactory()
    add = client.post(
        reverse("agency_member_add", args=["team"]),
        {"username_or_email": other.username, "role": "owner"},
    )
    update = client.post(
        reverse("agency_member_update", args=[analyst.pk]), {"role": "owner"}
    )
    remove = client.post(reverse("agency_member_remove", args=[owner_membership.pk]))
    assert (add.status_code, update.status_code, remove.status_code) == (
        403,
        403,
        403,
    )
    analyst.refresh_from_db()
    assert analyst.role == "analyst"
    assert agency.memberships.count() == 2


# Tenant walls ---------------------------------------------------------------------


def test_every_url_with_an_id_slug_or_handle_is_404_across_tenants(
    client, creator, other_creator, agency_with_analyst
):
    """Nobody reaches another tenant's agency, member, grant or creator."""
    agency, analyst = agency_with_analyst
    analyst_membership = AgencyMembership.objects.get(agency=agency, user=analyst)
    alice_grant = creator.agency_grants.get(agency=agency)
    rival = factories.AgencyFactory(slug="rival")
    factories.AgencyAccessFactory(creator=other_creator, agency=rival)

    # bob: a creator with no relation to Bright Agency or to alice.
    client.force_login(other_creator.user)
    assert client.get(reverse("agency_detail", args=["bright"])).status_code == 404
    assert (
        client.get(reverse("agency_creator", args=["bright", "alice"])).status_code
        == 404
    )
    assert (
        client.post(
            reverse("agency_member_add", args=["bright"]),
            {"username_or_email": "bob", "role": "owner"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("agency_member_update", args=[analyst_membership.pk]),
            {"role": "owner"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("agency_member_remove", args=[analyst_membership.pk])
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("revoke_agency_access", args=[alice_grant.pk])).status_code
        == 404
    )
    alice_grant.refresh_from_db()
    assert alice_grant.is_active

    # The analyst of Bright Agency: not a member of "rival", and bob never
    # granted Bright Agency access.
    client.force_login(analyst)
    assert client.get(reverse("agency_detail", args=["rival"])).status_code == 404
    assert (
        client.get(reverse("agency_creator", args=["rival", "bob"])).status_code == 404
    )
    assert (
        client.get(reverse("agency_creator", args=["bright", "bob"])).status_code == 404
    )
    assert (
        client.post(reverse("revoke_agency_access", args=[alice_grant.pk])).status_code
        == 404
    )


def test_agency_creator_page_shows_the_profile_summary(
    client, creator, agency_with_analyst
):
    """A member reads a granting creator's profile, whatever the handle's case."""
    _, analyst = agency_with_analyst
    client.force_login(analyst)
    response = client.get(reverse("agency_creator", args=["bright", "ALICE"]))
    text = page_text(response)
    assert response.status_code == 200
    assert "@alice@hub.test" in text
    assert creator.bio in text
    assert "Read only" in text
