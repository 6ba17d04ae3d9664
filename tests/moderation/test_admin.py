"""The Django admin's domain policies go through the services: logged, and
with their effects."""

import pytest
from django.urls import reverse

from analytics.models import Reply
from moderation.models import AuditEntry, DomainPolicy
from tests.moderation.conftest import make_reply

pytestmark = pytest.mark.django_db


def test_a_policy_added_in_the_admin_is_logged_and_takes_effect(
    client, admin_user, post
):
    reply = make_reply(post, domain="spam.example")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:moderation_domainpolicy_add"),
        {
            "domain": "Spam.Example",
            "severity": "suspend",
            "public_reason": "Spam",
            "private_note": "",
            "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00",
        },
    )

    assert response.status_code == 302, response.content
    policy = DomainPolicy.objects.get()
    assert (policy.domain, policy.severity) == ("spam.example", "suspend")
    entry = AuditEntry.objects.get()
    assert (entry.by, entry.action) == (admin_user, "domain_policy_save")
    reply.refresh_from_db()
    assert reply.status == Reply.Status.HIDDEN


def test_a_policy_deleted_in_the_admin_is_logged(client, admin_user):
    policy = DomainPolicy.objects.create(domain="spam.example")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:moderation_domainpolicy_delete", args=[policy.pk]),
        {"post": "yes"},
    )

    assert response.status_code == 302
    assert not DomainPolicy.objects.exists()
    assert AuditEntry.objects.get().action == "domain_policy_delete"
