"""factory_boy factories shared by every test module."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import (
    Agency,
    AgencyAccess,
    AgencyMembership,
    AgencyRole,
    CreatorProfile,
    User,
)

DEFAULT_PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(DEFAULT_PASSWORD)

    class Params:
        admin = factory.Trait(is_staff=True, is_superuser=True)


class CreatorFactory(DjangoModelFactory):
    class Meta:
        model = CreatorProfile

    user = factory.SubFactory(UserFactory)
    handle = factory.Sequence(lambda n: f"creator{n}")
    display_name = factory.Faker("name")
    bio = factory.Faker("sentence")
    share_to_fediverse = True


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    slug = factory.Sequence(lambda n: f"agency-{n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = AgencyMembership

    agency = factory.SubFactory(AgencyFactory)
    user = factory.SubFactory(UserFactory)
    role = AgencyRole.ANALYST


class AgencyAccessFactory(DjangoModelFactory):
    class Meta:
        model = AgencyAccess

    creator = factory.SubFactory(CreatorFactory)
    agency = factory.SubFactory(AgencyFactory)
    granted_by = factory.LazyAttribute(lambda a: a.creator.user)

    class Params:
        # Every consent scope: owners and managers may do all a creator does.
        all_scopes = factory.Trait(
            draft_posts=True,
            publish_posts=True,
            answer_replies=True,
            moderate_replies=True,
        )


def agency_member_with_access(
    creator, *, role: str, may_manage_posts: bool, agency=None, **user_fields
):
    """A member (`role`) of an agency `creator` granted access to; their user."""
    agency = agency or AgencyFactory()
    user = MembershipFactory(
        agency=agency,
        role=role,
        **{f"user__{name}": value for name, value in user_fields.items()},
    ).user
    AgencyAccessFactory(creator=creator, agency=agency, all_scopes=may_manage_posts)
    return user


# Posts (the models are named as "app.Model" so this section only appends).


def _rendered_html(post) -> str:
    from posts.rendering import render_post_body

    return render_post_body(post.body).html


def _now():
    from django.utils import timezone

    return timezone.now()


def _in_an_hour():
    from datetime import timedelta

    return _now() + timedelta(hours=1)


class PostFactory(DjangoModelFactory):
    """A draft by default; traits `scheduled` and `published`."""

    class Meta:
        model = "posts.Post"

    creator = factory.SubFactory(CreatorFactory)
    body = factory.Faker("sentence")
    content_html = factory.LazyAttribute(_rendered_html)

    class Params:
        scheduled = factory.Trait(
            state="scheduled",
            scheduled_at=factory.LazyFunction(_in_an_hour),
        )
        published = factory.Trait(
            state="published", published_at=factory.LazyFunction(_now)
        )


class PostMediaFactory(DjangoModelFactory):
    class Meta:
        model = "posts.PostMedia"

    post = factory.SubFactory(PostFactory)
    file = factory.django.ImageField(width=40, height=30, format="JPEG")
    mime_type = "image/jpeg"
    width = 40
    height = 30
    position = factory.Sequence(lambda n: n % 4)
