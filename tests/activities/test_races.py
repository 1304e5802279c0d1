"""Races on PostgreSQL with real threads: places, confirmations and redemptions stay exact."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from activities import services
from activities.models import LedgerEntry, PointsBalance, Redemption, ServiceRecord, Signup, StoreItem
from project import formtokens
from tests.factories import HouseholdFactory, ResidentFactory, verified_user

from .factories import ActivityFactory, StoreItemFactory, finished_activity, present

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _race(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released together; return what each returned or raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_fifty_residents_racing_for_ten_places(postgres):
    activity = ActivityFactory(capacity=10)
    household = HouseholdFactory()
    people = [ResidentFactory(household=household) for _ in range(50)]
    results = _race(50, lambda i: services.sign_up(activity=activity, resident=people[i]))
    assert not [r for r in results if isinstance(r, Exception)]
    assert Signup.objects.filter(activity=activity, status="confirmed").count() == 10
    assert Signup.objects.filter(activity=activity, status="waitlisted").count() == 40
    activity.refresh_from_db()
    assert (activity.confirmed_count, activity.waitlist_count) == (10, 40)


def test_the_same_resident_signing_up_twice_at_once_gets_one_place(postgres):
    activity = ActivityFactory(capacity=10)
    person = ResidentFactory()
    results = _race(8, lambda i: services.sign_up(activity=activity, resident=person))
    assert sum(1 for r in results if isinstance(r, Signup)) == 1
    assert all(isinstance(r, (Signup, services.ServiceError)) for r in results)
    assert Signup.objects.live().filter(activity=activity).count() == 1


def test_cancellations_and_sign_ups_at_once_never_overfill(postgres):
    activity = ActivityFactory(capacity=5)
    holders = [services.sign_up(activity=activity, resident=ResidentFactory()) for _ in range(5)]
    newcomers = [ResidentFactory() for _ in range(10)]

    def work(i):
        if i < 5:
            return services.cancel_signup(signup=holders[i], actor=None)
        return services.sign_up(activity=activity, resident=newcomers[i - 5])

    results = _race(15, work)
    assert not [r for r in results if isinstance(r, Exception)]
    assert Signup.objects.filter(activity=activity, status="confirmed").count() == 5
    assert Signup.objects.filter(activity=activity, status="waitlisted").count() == 5
    assert services.signup_count_differences() == []


def test_double_confirmation_credits_once(postgres, organizer):
    person = ResidentFactory()
    signup = present(finished_activity(), person)
    results = _race(10, lambda i: services.confirm_hours(signup=signup, actor=organizer))
    assert sum(1 for r in results if isinstance(r, LedgerEntry)) == 1
    assert all(isinstance(r, (LedgerEntry, services.ServiceError)) for r in results)
    assert LedgerEntry.objects.count() == 1
    assert PointsBalance.objects.get(resident=person).balance == 30
    assert services.ledger_differences() == []


def test_many_confirmations_for_one_household_at_once_keep_every_aggregate_exact(postgres, organizer):
    household = HouseholdFactory()
    activity = finished_activity()
    signups = [present(activity, ResidentFactory(household=household)) for _ in range(12)]
    results = _race(12, lambda i: services.confirm_hours(signup=signups[i], actor=organizer))
    assert all(isinstance(r, LedgerEntry) for r in results)
    assert services.ledger_differences() == []


def test_redemptions_never_overspend_a_balance(postgres):
    person = ResidentFactory()
    services.award_points(resident=person, amount=100, reason="测试", actor=None)
    item = StoreItemFactory(price=30, stock=50)
    results = _race(10, lambda i: services.redeem(resident=person, item=item))
    assert sum(1 for r in results if isinstance(r, Redemption)) == 3
    assert all(isinstance(r, (Redemption, services.ServiceError)) for r in results)
    assert PointsBalance.objects.get(resident=person).balance == 10
    assert StoreItem.objects.get(pk=item.pk).stock == 47
    assert services.ledger_differences() == []


def test_redemptions_never_oversell_stock(postgres):
    people = [ResidentFactory() for _ in range(20)]
    for person in people:
        services.award_points(resident=person, amount=100, reason="测试", actor=None)
    item = StoreItemFactory(price=50, stock=5)
    results = _race(20, lambda i: services.redeem(resident=people[i], item=item))
    assert sum(1 for r in results if isinstance(r, Redemption)) == 5
    assert StoreItem.objects.get(pk=item.pk).stock == 0
    assert Redemption.objects.count() == 5
    assert services.ledger_differences() == []


def test_redeeming_and_cancelling_at_once_keep_balance_and_stock_exact(postgres):
    person = ResidentFactory()
    services.award_points(resident=person, amount=200, reason="测试", actor=None)
    item = StoreItemFactory(price=20, stock=6)
    earlier = [services.redeem(resident=person, item=item) for _ in range(3)]

    def work(i):
        if i < 3:
            return services.cancel_redemption(redemption=earlier[i], actor=None)
        return services.redeem(resident=person, item=item)

    results = _race(9, work)
    assert not [r for r in results[:3] if isinstance(r, Exception)], results
    made = sum(1 for r in results[3:] if isinstance(r, Redemption))
    live = Redemption.objects.filter(status="waiting").count()
    assert live == made
    assert StoreItem.objects.get(pk=item.pk).stock == 6 - live
    assert PointsBalance.objects.get(resident=person).balance == 200 - 20 * live
    assert services.ledger_differences() == []


def test_service_records_issued_at_the_same_moment_get_distinct_numbers_in_sequence(postgres):
    people = [ResidentFactory() for _ in range(10)]
    today = timezone.localdate()
    results = _race(10, lambda i: services.issue_service_record(resident=people[i], start=today, end=today, actor=None))
    assert all(isinstance(r, ServiceRecord) for r in results), results
    year = timezone.localtime(results[0].issued_at).year
    numbers = sorted(ServiceRecord.objects.values_list("number", flat=True))
    assert numbers == [ServiceRecord.format_number(year, n) for n in range(1, 11)]


def test_one_form_sent_three_times_at_once_issues_one_record(postgres):
    user = verified_user()
    person = user.residencies.get()
    today = timezone.localdate()
    results = _race(
        3,
        lambda i: services.issue_service_record(
            resident=person, start=today, end=today, actor=user, token="one-form-three-sends"
        ),
    )
    assert sum(1 for r in results if isinstance(r, ServiceRecord)) == 1
    assert all(isinstance(r, (ServiceRecord, formtokens.AlreadySubmitted)) for r in results), results
    assert ServiceRecord.objects.count() == 1
