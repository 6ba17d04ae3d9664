"""The instance's moderation pages, for admins: server policies with their
CSV import and export, reports, and the log. Everyone else gets 403."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from analytics.models import Reply
from moderation import services
from moderation.models import ActorBlock, AuditEntry, DomainPolicy, Report
from tests.moderation.conftest import make_reply

pytestmark = pytest.mark.django_db

POLICIES = reverse("moderation:policies")
CREATE = reverse("moderation:policy-create")
IMPORT = reverse("moderation:policy-import")
EXPORT = reverse("moderation:policy-export")
REPORTS = reverse("moderation:reports")
LOG = reverse("moderation:audit")
ADMIN_PAGES = [
    reverse("moderation:instance-queue"),
    reverse("moderation:instance-rules"),
    POLICIES,
    CREATE,
    IMPORT,
    EXPORT,
    REPORTS,
    LOG,
]


def text(response) -> str:
    return response.content.decode()


def policy_form(**values):
    return {
        "domain": "spam.example",
        "severity": "suspend",
        "public_reason": "Spam",
        "private_note": "seen on 3 creators",
        **values,
    }


def csv_file(content: str, name="blocks.csv"):
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


@pytest.mark.parametrize("who", ["creator", "manager", "analyst"])
def test_the_instance_pages_are_closed_to_everyone_but_admins(
    request, as_user, who, creator, manager, analyst
):
    user = {"creator": creator.user, "manager": manager, "analyst": analyst}[who]
    client = as_user(user)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post(CREATE, policy_form()).status_code == 403
    assert client.post(IMPORT, {"file": csv_file("spam.example\n")}).status_code == 403
    assert not DomainPolicy.objects.exists()
    assert not AuditEntry.objects.exists()


def test_every_instance_page_opens_for_an_admin(as_user, admin_user):
    client = as_user(admin_user)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url


# Server policies ---------------------------------------------------------------------


def test_an_admin_adds_changes_and_lifts_a_policy(as_user, admin_user, replies):
    client = as_user(admin_user)

    response = client.post(CREATE, policy_form(domain="Spam.Example."), follow=True)

    policy = DomainPolicy.objects.get()
    assert (policy.domain, policy.severity, policy.public_reason) == (
        "spam.example", "suspend", "Spam"
    )  # fmt: skip
    assert policy.private_note == "seen on 3 creators"
    assert "spam.example: block (refuse everything)." in text(response)
    # Blocking at once hides the replies from there.
    assert Reply.objects.get(pk=replies["spam"].pk).status == Reply.Status.HIDDEN
    listed = text(client.get(POLICIES))
    assert "spam.example" in listed and "Blocked" in listed

    edit = reverse("moderation:policy-edit", kwargs={"pk": policy.pk})
    assert 'value="spam.example"' in text(client.get(edit))
    client.post(edit, policy_form(domain="other.example", severity="silence",
                                  reject_media="on"))  # fmt: skip
    policy.refresh_from_db()
    # The server is the policy's identity: renaming it is not possible.
    assert (policy.domain, policy.severity, policy.reject_media) == (
        "spam.example", "silence", True
    )  # fmt: skip

    delete = reverse("moderation:policy-delete", kwargs={"pk": policy.pk})
    assert "Lift the policy on spam.example?" in text(client.get(delete))
    response = client.post(delete, {"reason": "they cleaned up"}, follow=True)
    assert not DomainPolicy.objects.exists()
    assert "Lifted the policy on spam.example" in text(response)
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.DOMAIN_POLICY_DELETE, reason="they cleaned up"
    ).exists()


def test_a_second_policy_for_one_server_or_a_bad_name_is_refused(as_user, admin_user):
    client = as_user(admin_user)
    client.post(CREATE, policy_form())
    again = client.post(CREATE, policy_form(domain="SPAM.example", severity="silence"))
    assert "spam.example has a policy already" in text(again)
    bad = client.post(CREATE, policy_form(domain="not a server"))
    assert "is not a server name" in text(bad)
    assert DomainPolicy.objects.get().severity == "suspend"


def test_the_list_finds_servers_by_name_and_severity(as_user, admin_user):
    for domain, severity in (("a.example", "suspend"), ("b.example", "silence"),
                             ("ab.test", "suspend")):  # fmt: skip
        services.domain_policy_save(domain=domain, severity=severity, by=admin_user)
    client = as_user(admin_user)
    found = text(client.get(POLICIES, {"q": "example", "severity": "suspend"}))
    assert "a.example" in found
    assert "b.example" not in found and "ab.test" not in found


def test_importing_a_mastodon_list_says_what_was_added_updated_and_skipped(
    as_user, admin_user
):
    services.domain_policy_save(domain="old.example", severity="silence", by=admin_user)
    data = (
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        "new.example,suspend,true,false,Spam,false\n"
        "old.example,suspend,false,false,,false\n"
        "quiet.example,silence,false,false,,false\n"
        "what.example,explode,false,false,,false\n"
    )
    response = as_user(admin_user).post(IMPORT, {"file": csv_file(data)})

    html = text(response)
    assert "new.example, quiet.example" in html  # added
    assert "old.example" in html  # kept as it was
    assert "what.example: unknown severity “explode”" in html
    assert DomainPolicy.objects.get(domain="new.example").reject_media
    assert DomainPolicy.objects.get(domain="old.example").severity == "silence"


def test_importing_with_update_changes_existing_servers(as_user, admin_user):
    services.domain_policy_save(domain="old.example", severity="silence", by=admin_user)
    as_user(admin_user).post(
        IMPORT, {"file": csv_file("old.example\n"), "update_existing": "on"}
    )
    assert DomainPolicy.objects.get().severity == "suspend"


def test_a_file_that_is_not_text_is_refused(as_user, admin_user):
    upload = SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad", content_type="text/csv")
    response = as_user(admin_user).post(IMPORT, {"file": upload})
    assert "The file is not text (UTF-8)." in text(response)
    assert not DomainPolicy.objects.exists()


def test_the_export_downloads_mastodons_format_and_imports_back(as_user, admin_user):
    services.domain_policy_save(
        domain="spam.example", severity="suspend", reject_media=True,
        public_reason="Spam, lots", private_note="secret", by=admin_user,
    )  # fmt: skip
    client = as_user(admin_user)
    response = client.get(EXPORT)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows == [
        ["#domain", "#severity", "#reject_media", "#reject_reports",
         "#public_comment", "#obfuscate"],
        ["spam.example", "suspend", "true", "false", "Spam, lots", "false"],
    ]  # fmt: skip
    assert "secret" not in text(response)

    DomainPolicy.objects.all().delete()
    client.post(IMPORT, {"file": csv_file(text(response))})
    policy = DomainPolicy.objects.get()
    assert (policy.severity, policy.reject_media, policy.public_reason) == (
        "suspend", True, "Spam, lots"
    )  # fmt: skip


# Reports -----------------------------------------------------------------------------


@pytest.fixture
def report(creator, replies):
    return services.report_file(
        replies=[replies["spam"]], by=creator.user, comment="Spam every day"
    )


def test_reports_are_listed_open_and_resolved(as_user, admin_user, report):
    client = as_user(admin_user)
    open_page = text(client.get(REPORTS))
    assert "Spam every day" in open_page and "@eve@spam.example" in open_page
    assert "No resolved reports yet" in text(
        client.get(REPORTS, {"status": "resolved"})
    )


def test_a_report_shows_who_what_why_and_the_content(as_user, admin_user, report):
    html = text(
        as_user(admin_user).get(reverse("moderation:report", kwargs={"pk": report.pk}))
    )
    assert "alice, for @alice" in html  # who
    assert "@eve@spam.example" in html  # what
    assert "Spam every day" in html  # why
    assert "Buy crypto now" in html  # the content
    assert "Block spam.example: refuse everything from it" in html
    assert "Forward to spam.example" in html


def test_an_admin_is_not_sent_to_threads_only_the_creator_may_open(
    as_user, admin_user, creator, post, report, replies
):
    """An admin moderates every reply but reads no creator's thread (404):
    the queue and the report name the post without linking to it, and say
    when the reply was written, as the inbox does. The creator's own queue
    links the thread, which opens."""
    thread = reverse("inbox:post-replies", kwargs={"pk": post.pk})
    client = as_user(admin_user)
    queue = text(client.get(reverse("moderation:instance-queue")))
    detail = text(client.get(reverse("moderation:report", kwargs={"pk": report.pk})))
    for html in (queue, detail):
        assert "“Harbour at dusk”" in html
        assert thread not in html
    assert client.get(thread).status_code == 404
    assert 'title="Written ' in detail

    client = as_user(creator.user)
    own = text(
        client.get(reverse("moderation:queue", kwargs={"handle": creator.handle}))
    )
    assert f'href="{thread}#reply-{replies["spam"].pk}"' in own
    assert client.get(thread).status_code == 200


def test_resolving_a_report_carries_out_the_action(
    as_user, admin_user, report, replies
):
    url = reverse("moderation:report", kwargs={"pk": report.pk})
    client = as_user(admin_user)
    response = client.post(
        url, {"action": "remove_replies", "note": "clear spam"}, follow=True
    )

    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED
    assert (report.action, report.resolution_note) == ("remove_replies", "clear spam")
    assert Reply.objects.get(pk=replies["spam"].pk).status == Reply.Status.REMOVED
    html = text(response)
    assert f"Report #{report.pk} resolved." in html
    assert "Removed the replies" in html and "Resolve the report" not in html

    again = client.post(url, {"action": "block_server"}, follow=True)
    assert "is resolved already" in text(again)
    assert not DomainPolicy.objects.exists()


def test_resolving_by_blocking_the_account(as_user, admin_user, report, creator):
    url = reverse("moderation:report", kwargs={"pk": report.pk})
    as_user(admin_user).post(url, {"action": "block_account"})
    assert ActorBlock.objects.get().creator == creator


def test_forwarding_a_report_once(as_user, admin_user, report):
    url = reverse("moderation:report-forward", kwargs={"pk": report.pk})
    client = as_user(admin_user)
    response = client.post(url, follow=True)
    report.refresh_from_db()
    assert report.forwarded_at is not None
    assert "Forwarded to the admins of spam.example" in text(response)
    assert "Forward to spam.example" not in text(response)


def test_a_remote_report_about_a_creator(as_user, admin_user, creator, post):
    remote = services.report_receive(
        activity_id="https://mastodon.example/flags/1",
        reporter_uri="https://mastodon.example/actor",
        reporter_domain="mastodon.example",
        creator=creator,
        posts=[post],
        comment="Rude post",
    )
    html = text(
        as_user(admin_user).get(reverse("moderation:report", kwargs={"pk": remote.pk}))
    )
    assert "@alice, reported from mastodon.example" in html
    assert "Harbour at dusk" in html and "Rude post" in html
    assert "Forward to" not in html  # nothing to forward: it came from there
    assert "Hide the reported replies" not in html  # it names no reply


def test_report_pages_are_for_admins_only(as_user, creator, report):
    client = as_user(creator.user)
    assert (
        client.get(reverse("moderation:report", kwargs={"pk": report.pk})).status_code
        == 403
    )
    assert client.post(reverse("moderation:report", kwargs={"pk": report.pk}),
                       {"action": "none"}).status_code == 403  # fmt: skip
    assert Report.objects.get().status == Report.Status.OPEN


# The log ------------------------------------------------------------------------------


def test_the_log_shows_who_when_what_why_and_filters(
    as_user, admin_user, creator, replies
):
    services.reply_hide(reply=replies["spam"], by=creator.user, reason="spam")
    services.domain_policy_save(
        domain="spam.example", by=admin_user, reason="spam wave"
    )
    client = as_user(admin_user)

    html = text(client.get(LOG))
    assert (
        "Hid a reply" in html and "reply by @eve@spam.example: Buy crypto now" in html
    )
    assert "Set a server&#x27;s policy" in html and "spam wave" in html

    by_alice = text(client.get(LOG, {"actor": "alice"}))
    assert "Hid a reply" in by_alice and "spam wave" not in by_alice
    policies_only = text(client.get(LOG, {"action": "domain_policy_save"}))
    assert "spam wave" in policies_only and "Buy crypto now" not in policies_only


def test_the_log_and_the_report_name_the_reporter_alike(as_user, admin_user, replies):
    """An admin reports a reply to @alice: both pages say the admin reported
    it, for @alice (not that @alice did)."""
    report = services.report_file(replies=[replies["spam"]], by=admin_user)
    client = as_user(admin_user)

    page = text(client.get(reverse("moderation:report", kwargs={"pk": report.pk})))
    log = text(client.get(LOG, {"action": "report_file"}))

    assert "<dd>admin, for @alice</dd>" in page
    assert "report on @eve@spam.example by admin, for @alice" in log
    assert "report by @alice" not in log


def test_the_log_is_paged(as_user, admin_user, post):
    for n in range(55):
        services.reply_hide(reply=make_reply(post, f"r{n}"), by=admin_user)
    client = as_user(admin_user)
    assert "Page 1 of 2 · 55 entries" in text(client.get(LOG))
    assert text(client.get(LOG, {"page": 2})).count("Hid a reply</strong>") == 5


def test_each_step_an_agency_takes_on_a_post_reads_once_in_the_log(
    as_user, admin_user, settings
):
    """The demo approval posts: drafted, then sent for approval. Two rows
    each, one per step, each saying which; no two identical rows."""
    import re
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True
    call_command("demo", stdout=StringIO())
    call_command("demo_approvals", stdout=StringIO())

    admin_user.refresh_from_db()  # the demo set its password anew
    html = text(as_user(admin_user).get(LOG))
    rows = [
        re.sub(r"<[^>]+>|\s+", " ", row)
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
        if "Acted for a creator" in row
    ]
    did = [re.search(r"(Drafted|Sent for approval) by", row)[1] for row in rows]
    assert sorted(did) == [
        "Drafted",
        "Drafted",
        "Sent for approval",
        "Sent for approval",
    ]
    assert len(set(rows)) == len(rows) == 4
    assert "Sent for approval by Sam at Demo Agency for @nova" in rows[0]
