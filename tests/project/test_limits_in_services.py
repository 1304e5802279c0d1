"""Rate limits live in the services, one place per limited action: a command or a second view gets them too.

Views only pass the client's address in (``client_ip``); the service checks
the limits before it tries, counts what they are about, and refuses with
``TooManyAttempts`` (a 429 page).
"""

from __future__ import annotations

import pytest

from awards.models import Nomination, Objection
from awards.services import file_objection
from families.models import Resident
from families.services import JoinError, join_household, request_membership
from project.ratelimit import TooManyAttempts
from tests.awards.factories import make_entry, make_round, nominate_person
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, verified_user

pytestmark = pytest.mark.django_db


def test_joining_is_limited_per_account_in_the_service_whoever_calls_it(household, settings):
    settings.FAMILIES_JOIN_ATTEMPTS_PER_ACCOUNT = 2
    newcomer = UserFactory()
    for _ in range(2):
        with pytest.raises(JoinError, match="入户码") as refused:
            join_household(user=newcomer, code="ZZZZZZZZ", full_name="王秀英")
        assert not isinstance(refused.value, TooManyAttempts)
    before = Resident.objects.count()
    with pytest.raises(TooManyAttempts, match="请15分钟后再试"):
        join_household(user=newcomer, code=household.join_code, full_name="王秀英")
    assert Resident.objects.count() == before


def test_joining_is_limited_per_client_address_across_accounts(household, settings):
    settings.FAMILIES_JOIN_ATTEMPTS_PER_ADDRESS = 3
    for _ in range(3):
        with pytest.raises(JoinError, match="入户码"):
            join_household(user=UserFactory(), code="ZZZZZZZZ", full_name="王秀英", client="203.0.113.9")
    before = Resident.objects.count()
    with pytest.raises(TooManyAttempts):
        join_household(user=UserFactory(), code=household.join_code, full_name="王秀英", client="203.0.113.9")
    join_household(user=UserFactory(), code=household.join_code, full_name="王秀英", client="198.51.100.4")
    assert Resident.objects.count() == before + 1  # another address is not held up


def test_a_refused_request_to_join_counts_against_the_same_limits(building, settings):
    settings.FAMILIES_JOIN_ATTEMPTS_PER_ACCOUNT = 1
    HouseholdFactory(building=building, door_label="101")
    newcomer = UserFactory()
    with pytest.raises(JoinError, match="101A"):
        request_membership(user=newcomer, building=building, door="101A", full_name="王秀英")
    before = Resident.objects.count()
    with pytest.raises(TooManyAttempts):
        request_membership(user=newcomer, building=building, door="101", full_name="王秀英")
    assert Resident.objects.count() == before


def test_nominations_are_limited_per_account_in_the_service(settings):
    settings.AWARDS_NOMINATIONS_PER_HOUR = 1
    entry = make_entry(make_round("nominating"))
    me = verified_user().residencies.get()
    nominate_person(entry, nominator=me, person=ResidentFactory())
    with pytest.raises(TooManyAttempts, match="您在一小时内提交的推荐太多了"):
        nominate_person(entry, nominator=me, person=ResidentFactory())
    assert Nomination.objects.count() == 1


def test_objections_are_limited_per_account_in_the_service(settings):
    settings.AWARDS_OBJECTIONS_PER_HOUR = 1
    round = make_round("publicity")
    me = verified_user().residencies.get()
    file_objection(round=round, resident=me, nomination=None, text="请公布纸质选票的计票照片。")
    with pytest.raises(TooManyAttempts, match="您在一小时内提出的异议太多了"):
        file_objection(round=round, resident=me, nomination=None, text="请再核实一下第二名的票数。")
    assert Objection.objects.count() == 1
