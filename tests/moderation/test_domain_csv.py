"""Domain-block lists in Mastodon's CSV format, in and out."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from moderation import selectors, services
from moderation.models import AuditEntry, DomainPolicy

pytestmark = pytest.mark.django_db

# As Mastodon 4's admin export writes it.
MASTODON_EXPORT = """\
#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
spam.example,suspend,false,false,Spam,false
loud.example,silence,true,false,"Harassment, repeatedly",true
pics.example,noop,true,true,,false
"""


def test_a_mastodon_export_is_imported_as_it_says(admin_user):
    result = services.domain_policies_import(
        data=MASTODON_EXPORT, by=admin_user, source="blocks.csv"
    )

    assert result.created == ["spam.example", "loud.example", "pics.example"]
    policies = {
        p.domain: (p.severity, p.reject_media, p.reject_reports, p.obfuscate)
        for p in DomainPolicy.objects.all()
    }
    assert policies == {
        "spam.example": ("suspend", False, False, False),
        "loud.example": ("silence", True, False, True),
        "pics.example": ("noop", True, True, False),
    }
    loud = DomainPolicy.objects.get(domain="loud.example")
    assert loud.public_reason == "Harassment, repeatedly"
    assert loud.private_note.startswith("Imported from blocks.csv on ")
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.DOMAIN_POLICIES_IMPORT
    assert entry.target_label == "3 new, 0 changed, 0 kept, 0 errors"


def test_export_then_import_elsewhere_gives_the_same_policies(admin_user):
    services.domain_policies_import(data=MASTODON_EXPORT, by=admin_user)
    exported = selectors.domain_policies_csv()
    assert exported.splitlines()[0] == (
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
    )
    assert sorted(exported.splitlines()) == sorted(MASTODON_EXPORT.splitlines())


def test_policies_restricting_nothing_are_not_exported(admin_user):
    DomainPolicy.objects.create(domain="fine.example", severity="noop")
    assert selectors.domain_policies_csv().splitlines()[1:] == []


def test_servers_with_a_policy_are_kept_unless_asked(admin_user):
    DomainPolicy.objects.create(
        domain="spam.example", severity="silence", private_note="ours"
    )

    kept = services.domain_policies_import(data=MASTODON_EXPORT, by=admin_user)
    assert kept.skipped == ["spam.example"]
    assert DomainPolicy.objects.get(domain="spam.example").severity == "silence"

    changed = services.domain_policies_import(
        data=MASTODON_EXPORT, by=admin_user, update_existing=True
    )
    assert "spam.example" in changed.updated
    policy = DomainPolicy.objects.get(domain="spam.example")
    assert (policy.severity, policy.private_note) == ("suspend", "ours")


def test_a_bare_list_of_domains_blocks_each(admin_user):
    result = services.domain_policies_import(
        data="\ufeffspam.example\n# a comment\n\nBAD.example\nspam.example\n",
        by=admin_user,
    )
    assert result.created == ["spam.example", "bad.example"]
    assert set(DomainPolicy.objects.values_list("severity", flat=True)) == {"suspend"}


def test_bad_lines_are_reported_and_the_rest_imported(admin_user):
    data = (
        "#domain,#severity\n"
        "ok.example,silence\n"
        "not a domain,suspend\n"
        "weird.example,obliterate\n"
        "*.obfuscated.example,suspend\n"
    )
    result = services.domain_policies_import(data=data, by=admin_user)

    assert result.created == ["ok.example"]
    assert len(result.errors) == 3
    assert result.errors[0].startswith("line 4: weird.example: unknown severity")


def test_one_bad_line_is_one_error_in_the_log_and_the_command(tmp_path, admin_user):
    source = tmp_path / "blocks.csv"
    source.write_text(MASTODON_EXPORT + "weird.example,sometimes,false,false,,false\n")
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "import_domain_policies", str(source), "--by", "admin", stdout=out, stderr=err
    )

    assert out.getvalue().strip() == "3 new, 0 changed, 0 kept as they were, 1 error"
    assert AuditEntry.objects.get().target_label == "3 new, 0 changed, 0 kept, 1 error"


def test_only_admins_import(creator):
    with pytest.raises(PermissionDenied):
        services.domain_policies_import(data=MASTODON_EXPORT, by=creator.user)
    assert not DomainPolicy.objects.exists()


def test_an_oversized_file_is_refused_whole(admin_user):
    with pytest.raises(ValidationError):
        services.domain_policies_import(data="x" * (6 * 1024 * 1024), by=admin_user)


def test_the_commands_import_and_export(tmp_path, admin_user):
    source = tmp_path / "blocks.csv"
    source.write_text(MASTODON_EXPORT)
    out = io.StringIO()

    call_command("import_domain_policies", str(source), "--by", "admin", stdout=out)

    assert out.getvalue().strip() == "3 new, 0 changed, 0 kept as they were, 0 errors"
    assert AuditEntry.objects.get().by == admin_user
    target = tmp_path / "out.csv"
    call_command("export_domain_policies", str(target))
    assert sorted(target.read_text().splitlines()) == sorted(
        MASTODON_EXPORT.splitlines()
    )
    with pytest.raises(CommandError):
        call_command("import_domain_policies", str(source), "--by", "nobody")
