"""Exact limits under concurrent requests, on PostgreSQL with real threads."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awards.models import Nomination, Second, TargetKind, Vote, VoteUnit
from awards.services import AwardError, cast_vote, second_nomination
from tests.factories import HouseholdFactory, ResidentFactory, verified_user

from .factories import (
    english_messages,  # noqa: F401
    make_entry,
    make_nomination,
    make_round,
    nominate_person,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]
THREADS = 50


def _run_in_threads(calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def worker(call):
        try:
            barrier.wait()
            outcomes.append(call())
        except AwardError as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_fifty_simultaneous_votes_from_one_voter_store_exactly_the_limit(postgres):
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=3)
    nominations = [make_nomination(entry) for _ in range(THREADS)]
    voter = ResidentFactory()
    _run_in_threads([lambda n=n: cast_vote(nomination=n, resident=voter) for n in nominations])
    assert Vote.objects.filter(voter=voter).count() == 3


def test_fifty_simultaneous_votes_for_one_nomination_store_one(postgres):
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=3)
    nomination = make_nomination(entry)
    voter = ResidentFactory()
    _run_in_threads([lambda: cast_vote(nomination=nomination, resident=voter) for _ in range(THREADS)])
    assert Vote.objects.filter(voter=voter).count() == 1


def test_simultaneous_votes_from_a_whole_household_store_exactly_its_limit(postgres):
    """Household mode, through the signed-in user as the vote page calls it: members race each other."""
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=2, vote_unit=VoteUnit.HOUSEHOLD)
    nominations = [make_nomination(entry) for _ in range(THREADS)]
    household = HouseholdFactory()
    members = [verified_user(household=household) for _ in range(5)]
    calls = [
        lambda n=n, u=members[i % len(members)]: cast_vote(nomination=n, user=u) for i, n in enumerate(nominations)
    ]
    _run_in_threads(calls)
    assert Vote.objects.filter(household=household).count() == 2
    assert Vote.objects.filter(unit_key=f"h{household.pk}").count() == 2


def test_a_vote_outside_a_transaction_is_plain_orm_and_survives_a_new_connection(postgres):
    """As in production (autocommit): the vote's own transaction holds at most six statements, none of them a
    prepared one, so any pooler mode can carry it; a refusal leaves the connection clean."""
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=3)
    first, second, third = (make_nomination(entry) for _ in range(3))
    voter = ResidentFactory()
    cast_vote(nomination=first, resident=voter)
    with CaptureQueriesContext(connection) as queries:
        cast_vote(nomination=second, resident=voter)
    statements = [q["sql"] for q in queries]
    assert statements[0] == "BEGIN" and statements[-1] == "COMMIT", statements
    inside = statements[1:-1]
    assert len(inside) <= 6 and inside[-1].startswith("INSERT"), inside
    assert not any(sql.split(" ", 1)[0] in ("PREPARE", "EXECUTE") for sql in inside)
    with pytest.raises(AwardError, match="already"):
        cast_vote(nomination=second, resident=voter)
    connection.close()
    cast_vote(nomination=third, resident=voter)
    assert Vote.objects.filter(voter=voter).count() == 3


def test_fifty_simultaneous_seconds_from_one_resident_store_one(postgres):
    entry = make_entry(make_round("nominating"), TargetKind.PERSON)
    nomination = make_nomination(entry)
    resident = ResidentFactory()
    _run_in_threads([lambda: second_nomination(nomination=nomination, resident=resident) for _ in range(THREADS)])
    assert Second.objects.filter(nomination=nomination).count() == 1


def test_fifty_residents_nominating_the_same_person_make_one_nomination_and_49_seconds(postgres):
    entry = make_entry(make_round("nominating"), TargetKind.PERSON)
    target = ResidentFactory()
    nominators = [ResidentFactory(household=HouseholdFactory()) for _ in range(THREADS)]
    calls = [lambda r=r: nominate_person(entry, nominator=r, person=target) for r in nominators]
    _run_in_threads(calls)
    assert Nomination.objects.filter(entry=entry).count() == 1
    assert Second.objects.count() == THREADS - 1
