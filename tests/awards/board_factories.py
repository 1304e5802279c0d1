"""Factories for the honour board's tests: categories and published honours, made directly."""

from __future__ import annotations

import factory
from django.utils import timezone

from awards.models import AwardCategory, Honour, TargetKind
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory


class AwardCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AwardCategory
        django_get_or_create = ("name",)

    name = factory.Iterator(["文明楼院", "五好家庭", "身边好人"])
    target_kind = TargetKind.BUILDING


class HonourFactory(factory.django.DjangoModelFactory):
    """A published honour for a building; ``household=True`` or ``person=True`` for the other kinds."""

    class Meta:
        model = Honour

    class Params:
        household_target = factory.Trait(
            target_kind=TargetKind.HOUSEHOLD,
            household=factory.SubFactory(HouseholdFactory, building=factory.SelfAttribute("..building")),
            category=factory.SubFactory(AwardCategoryFactory, name="五好家庭", target_kind=TargetKind.HOUSEHOLD),
        )
        person_target = factory.Trait(
            target_kind=TargetKind.PERSON,
            household=factory.SubFactory(HouseholdFactory, building=factory.SelfAttribute("..building")),
            resident=factory.SubFactory(ResidentFactory, household=factory.SelfAttribute("..household")),
            category=factory.SubFactory(AwardCategoryFactory, name="身边好人", target_kind=TargetKind.PERSON),
        )

    category = factory.SubFactory(AwardCategoryFactory, name="文明楼院", target_kind=TargetKind.BUILDING)
    year = 2026
    title = "2026年度评选"
    target_kind = TargetKind.BUILDING
    building = factory.SubFactory(BuildingFactory)
    household = None
    resident = None
    citation = factory.Sequence(lambda n: f"事迹{n}：多年如一日照顾孤寡老人，带动邻里互助。")
    photo = factory.Sequence(lambda n: f"awards/honours/{n:032x}.jpg")
    certificate_number = factory.Sequence(lambda n: f"RY2026-{n:05d}")
    published_at = factory.LazyFunction(timezone.now)
