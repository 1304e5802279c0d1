"""factory-boy factories for the register. Apps add their own in tests/<app>/factories.py."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from families.models import Building, Community, CommunityAssignment, Grid, Household, Resident
from project.access import make_organizer
from project.models import Profile

PASSWORD = "a-good-test-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def profile(self, create, extracted, **kwargs):
        if create:
            Profile.objects.get_or_create(user=self, defaults={"full_name": kwargs.get("full_name", self.username)})


def default_community() -> Community:
    """The one community most tests live in (what the register was before the street held several)."""
    return Community.objects.get_or_create(slug="main", defaults={"name": "本社区"})[0]


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"社区{n}")
    slug = factory.Sequence(lambda n: f"c{n}")
    committee_name = factory.LazyAttribute(lambda c: f"{c.name}居民委员会")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.LazyFunction(default_community)
    name = factory.Sequence(lambda n: f"网格{n}")


def make_grid_worker(user, *grids):
    """Make ``user`` (an organizer) a grid worker of ``grids`` only: no street, no community."""
    from families.models import GridAssignment

    CommunityAssignment.objects.filter(user=user).delete()
    for grid in grids:
        GridAssignment.objects.create(user=user, grid=grid)
    return user


def make_street_organizer(user):
    """Give ``user`` the organizer role and the whole street (what the migration gave every organizer then)."""
    make_organizer(user=user)
    CommunityAssignment.objects.get_or_create(user=user, community=None)
    return user


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    grid = factory.SubFactory(GridFactory)
    name = factory.Sequence(lambda n: f"测试楼{n}号")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    building = factory.SubFactory(BuildingFactory)
    door_label = factory.Sequence(lambda n: f"{n % 6 + 1}单元{n:03d}")
    display_name = factory.Sequence(lambda n: f"王家{n}")
    head_name = "王建国"


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    household = factory.SubFactory(HouseholdFactory)
    full_name = factory.Sequence(lambda n: f"居民{n}")
    phone = factory.Sequence(lambda n: f"+86139{n:08d}")  # stored in E.164 (project.phones)
    status = Resident.Status.VERIFIED
    verified_at = factory.LazyFunction(timezone.now)
    source = Resident.Source.ORGANIZER  # a register person; requests come from the join services


def verified_user(household: Household | None = None, **user_kwargs):
    """An account that is a verified member of ``household`` (a new one if not given)."""
    user = UserFactory(**user_kwargs)
    ResidentFactory(user=user, household=household or HouseholdFactory(), full_name=user.profile.full_name)
    return user
