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
