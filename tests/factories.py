"""factory-boy factories for the register. Apps add their own in tests/<app>/factories.py."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from families.models import Building, Grid, Household, Resident
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


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    name = factory.Sequence(lambda n: f"网格{n}")


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
