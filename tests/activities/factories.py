"""Factories for volunteering: activities at a chosen time relative to now, store items."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from activities.models import Activity, ActivityType, Signup, StoreItem

DEFAULT_TYPES = {
    "环境整治": "Environment clean-up",
    "助老": "Elder care",
    "文明劝导": "Civility patrol",
    "便民服务": "Neighbourhood services",
}


def activity_type(name: str = "环境整治") -> ActivityType:
    """One of the default types (created by a data migration, but tests with transaction=True flush them)."""
    return ActivityType.objects.get_or_create(name=name, defaults={"name_en": DEFAULT_TYPES.get(name, "")})[0]


def default_type() -> ActivityType:
    return activity_type()


class ActivityFactory(factory.django.DjangoModelFactory):
    """By default an activity starting in three days, 09:00–12:00-ish (3 hours), 10 places, 10 points an hour."""

    class Meta:
        model = Activity

    class Params:
        starts_in = timedelta(days=3)
        hours = 3

    type = factory.LazyFunction(default_type)
    title = factory.Sequence(lambda n: f"楼道清理{n}")
    place = "社区服务中心"
    starts_at = factory.LazyAttribute(lambda o: timezone.now() + o.starts_in)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=o.hours))
    signup_deadline = factory.LazyAttribute(lambda o: min(o.starts_at, timezone.now() + timedelta(days=1)))
    capacity = 10
    points_per_hour = 10
    checkin_code = "246813"


def running_activity(**kwargs) -> Activity:
    """An activity that began an hour ago and ends in two hours (check-in is open)."""
    kwargs.setdefault("starts_in", -timedelta(hours=1))
    return ActivityFactory(**kwargs)


def finished_activity(**kwargs) -> Activity:
    """An activity that ran yesterday from 09:00 for three hours."""
    kwargs.setdefault("starts_in", -timedelta(days=1))
    return ActivityFactory(**kwargs)


def present(activity: Activity, resident, *, minutes_late: int = 0, minutes_early: int = 0) -> Signup:
    """A sign-up with check-in and check-out recorded."""
    return Signup.objects.create(
        activity=activity,
        resident=resident,
        attendance=Signup.Attendance.PRESENT,
        checked_in_at=activity.starts_at + timedelta(minutes=minutes_late),
        checked_out_at=activity.ends_at - timedelta(minutes=minutes_early),
    )


class StoreItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreItem

    name = factory.Sequence(lambda n: f"洗衣液{n}")
    price = 50
    stock = 5
