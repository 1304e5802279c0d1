"""The verified membership every signed-in resident page loads first: one plain statement
(``Resident.objects.verified_of_user``) that must give exactly what the ORM's select_related query gives,
field by field and type by type, on each database the suite runs on. A Django upgrade that changes how values
are converted or instances are built fails here, not on a resident's page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from families import services
from families.access import forget_membership, verified_membership
from families.models import Resident
from tests.factories import GridFactory, HouseholdFactory, ResidentFactory, UserFactory, verified_user

pytestmark = pytest.mark.django_db


def _orm(user) -> Resident | None:
    return Resident.objects.verified().select_related("household__building__grid").filter(user=user).first()


def _same(loaded, expected) -> None:
    for field in type(expected)._meta.concrete_fields:
        ours, theirs = getattr(loaded, field.attname), getattr(expected, field.attname)
        assert (ours, type(ours)) == (theirs, type(theirs)), field.name


def test_the_plain_statement_loads_what_the_orm_loads_in_one_query():
    parent = GridFactory(name="一网格")
    grid = GridFactory(name="一网格二组", parent=parent, community=parent.community, level=2)
    household = HouseholdFactory(building__grid=grid, show_publicly=True, moved_in_on=date(2019, 5, 1))
    user = verified_user(household)
    Resident.objects.filter(user=user).update(verified_at=timezone.now() - timedelta(days=3), show_name_publicly=True)
    expected = _orm(user)
    with CaptureQueriesContext(connection) as captured:
        loaded = Resident.objects.verified_of_user(user.pk)
    assert len(captured) == 1
    for ours, theirs in (
        (loaded, expected),
        (loaded.household, expected.household),
        (loaded.household.building, expected.household.building),
        (loaded.household.building.grid, expected.household.building.grid),
    ):
        _same(ours, theirs)
    assert loaded.community_id == parent.community_id
    with CaptureQueriesContext(connection) as captured:
        loaded.household.building.grid.name  # noqa: B018 - loaded with the membership, no query
    assert len(captured) == 0


def test_nobody_unverified_or_removed_has_a_membership():
    assert Resident.objects.verified_of_user(UserFactory().pk) is None
    waiting = UserFactory()
    ResidentFactory(user=waiting, status=Resident.Status.PENDING)
    assert Resident.objects.verified_of_user(waiting.pk) is None
    user = verified_user()
    member = verified_membership(user)
    services.remove_member(resident=member, actor=None)
    forget_membership(user)
    assert verified_membership(user) is None and _orm(user) is None
