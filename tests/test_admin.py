"""The admin: every project model is there, and its pages open."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests import factories

PROJECT_APPS = (
    "creatorhub",
    "accounts",
    "posts",
    "analytics",
    "moderation",
    "conversations",
    "federation",
)


def project_models():
    return [
        model
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
    ]


def test_every_project_model_is_registered_in_the_admin():
    missing = [
        model._meta.label
        for model in project_models()
        if not admin.site.is_registered(model)
    ]
    assert not missing, f"not in the admin: {missing}"


@pytest.fixture
def admin_client(client, db):
    client.force_login(factories.UserFactory(admin=True))
    # A row of each kind, so changelists render real rows.
    access = factories.AgencyAccessFactory()
    factories.MembershipFactory(agency=access.agency)
    access.creator.links.create(label="Site", url="https://example.com")
    from creatorhub.services import record_worker_heartbeat

    record_worker_heartbeat(hostname="celery@test")
    return client


@pytest.mark.parametrize("model", project_models(), ids=lambda m: m._meta.label)
def test_changelist_and_add_pages_open_for_a_superuser(admin_client, model):
    opts = model._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    changelist = admin_client.get(reverse(f"{prefix}_changelist"))
    assert changelist.status_code == 200
    model_admin = admin.site._registry[model]
    add = admin_client.get(reverse(f"{prefix}_add"))
    if model_admin.has_add_permission(add.wsgi_request):
        assert add.status_code == 200
    else:  # rows written by the system only, such as worker heartbeats
        assert add.status_code == 403
    obj = model._default_manager.first()
    if obj is not None:
        change = admin_client.get(reverse(f"{prefix}_change", args=[obj.pk]))
        assert change.status_code == 200


def test_changelist_search_works_for_every_model(admin_client):
    for model in project_models():
        model_admin = admin.site._registry[model]
        if not model_admin.search_fields:
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client.get(url, {"q": "a"}).status_code == 200, opts.label


def test_the_inbox_log_filters_by_type_without_reading_the_log_for_choices(
    admin_client,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from federation.models import InboundActivity

    for n, kind in enumerate(("Like", "Like", "Create", "Add")):
        InboundActivity.objects.create(
            ap_id=f"https://mastodon.example/activities/{n}",
            activity_type=kind,
            actor_uri="https://mastodon.example/users/bob",
            payload={"type": kind},
            key_id="https://mastodon.example/users/bob#main-key",
            verified=True,
        )
    url = reverse("admin:federation_inboundactivity_changelist")

    with CaptureQueriesContext(connection) as queries:
        likes = admin_client.get(url, {"type": "Like"}).content.decode()
    other = admin_client.get(url, {"type": "other"}).content.decode()

    assert "2 inbound activities" in likes
    assert "1 inbound activity" in other and "Add" in other
    assert not [q for q in queries if "DISTINCT" in q["sql"].upper()]
