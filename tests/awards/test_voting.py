"""Voting: limits, refusals, ballots, hidden counts and secrecy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from awards.models import NominationStatus, TargetKind, Vote, VoteUnit
from awards.services import AwardError, cast_vote, voter_order
from families.access import verified_membership
from tests.factories import ResidentFactory
from tests.project.test_access_sweep import row_counts

from .factories import (
    english_messages,  # noqa: F401
    make_entry,
    make_nomination,
    make_round,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def voting_entry(db):
    return make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=2)


def test_a_resident_votes_and_sees_the_vote_on_their_ballot(resident_client, resident, voting_entry):
    nomination = make_nomination(voting_entry)
    response = resident_client.post(f"/nominations/{nomination.pk}/vote/")
    assert response.status_code == 302
    assert Vote.objects.filter(nomination=nomination, voter__user=resident).count() == 1
    page = resident_client.get(f"/rounds/{voting_entry.round_id}/nominations/")
    assert "已用 1 / 2 票" in page.content.decode()
    assert "撤回我的投票" in page.content.decode()


def test_second_vote_over_limit_is_refused(resident_client, resident, voting_entry):
    nominations = [make_nomination(voting_entry) for _ in range(3)]
    for nomination in nominations:
        resident_client.post(f"/nominations/{nomination.pk}/vote/")
    assert Vote.objects.filter(voter__user=resident).count() == 2
    before = row_counts()
    with pytest.raises(AwardError):
        cast_vote(nomination=nominations[2], resident=verified_membership(resident))
    assert row_counts() == before


def test_the_same_nomination_twice_is_refused(resident, voting_entry):
    nomination = make_nomination(voting_entry)
    me = verified_membership(resident)
    cast_vote(nomination=nomination, resident=me)
    before = row_counts()
    with pytest.raises(AwardError, match="already"):
        cast_vote(nomination=nomination, resident=me)
    assert row_counts() == before


def test_changing_a_vote_withdraws_then_votes_again(resident_client, resident, voting_entry):
    first, second, third = (make_nomination(voting_entry) for _ in range(3))
    resident_client.post(f"/nominations/{first.pk}/vote/")
    resident_client.post(f"/nominations/{second.pk}/vote/")
    resident_client.post(f"/nominations/{first.pk}/vote/withdraw/")
    resident_client.post(f"/nominations/{third.pk}/vote/")
    assert set(Vote.objects.filter(voter__user=resident).values_list("nomination_id", flat=True)) == {
        second.pk,
        third.pk,
    }


def test_voting_outside_the_window_is_refused(resident, db):
    for phase in ("nominating", "waiting", "counting", "publicity"):
        entry = make_entry(make_round(phase))
        nomination = make_nomination(entry)
        before = row_counts()
        with pytest.raises(AwardError, match="not open"):
            cast_vote(nomination=nomination, resident=verified_membership(resident))
        assert row_counts() == before
    assert not Vote.objects.exists()


def test_voting_for_a_rejected_nomination_is_refused(resident_client, resident, voting_entry):
    nomination = make_nomination(voting_entry, status=NominationStatus.REJECTED)
    before = row_counts()
    resident_client.post(f"/nominations/{nomination.pk}/vote/")
    assert not Vote.objects.exists()
    with translation.override("en"), pytest.raises(AwardError, match="shortlisted"):
        cast_vote(nomination=nomination, resident=verified_membership(resident))
    assert row_counts() == before


def test_voting_for_yourself_is_refused(resident, voting_entry):
    me = verified_membership(resident)
    nomination = make_nomination(voting_entry, target=me)
    before = row_counts()
    with pytest.raises(AwardError, match=r"^You cannot vote for your own household or a member of it\.$"):
        cast_vote(nomination=nomination, resident=me)
    assert row_counts() == before


def test_voting_for_a_housemate_or_your_own_household_is_refused(resident, housemate, db):
    me = verified_membership(resident)
    person = make_entry(make_round("voting"), TargetKind.PERSON)
    housemates = make_nomination(person, target=verified_membership(housemate))
    households = make_entry(make_round("voting"), TargetKind.HOUSEHOLD, vote_unit=VoteUnit.HOUSEHOLD)
    own_household = make_nomination(households, target=me.household)
    before = row_counts()
    with pytest.raises(AwardError, match="own household"):
        cast_vote(nomination=housemates, resident=me)
    with pytest.raises(AwardError, match="own household"):
        cast_vote(nomination=own_household, resident=me)
    assert row_counts() == before and not Vote.objects.exists()


def test_an_unverified_account_cannot_vote(newcomer_client, voting_entry):
    nomination = make_nomination(voting_entry)
    before = row_counts()
    response = newcomer_client.post(f"/nominations/{nomination.pk}/vote/")
    assert response.status_code == 302 and response["Location"] == "/join/"
    assert row_counts() == before and not Vote.objects.exists()


def test_a_visitor_cannot_vote(client, voting_entry):
    nomination = make_nomination(voting_entry)
    before = row_counts()
    response = client.post(f"/nominations/{nomination.pk}/vote/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert row_counts() == before and not Vote.objects.exists()


def test_a_resident_removed_from_the_register_cannot_vote(resident, voting_entry):
    me = verified_membership(resident)
    me.status = "removed"
    me.save()
    nomination = make_nomination(voting_entry)
    before = row_counts()
    with pytest.raises(AwardError, match="verified"):
        cast_vote(nomination=nomination, resident=me)
    assert row_counts() == before


def test_household_mode_shares_the_limit_between_members(resident, housemate, db):
    entry = make_entry(make_round("voting"), TargetKind.HOUSEHOLD, vote_unit=VoteUnit.HOUSEHOLD, votes_per_voter=1)
    a, b = make_nomination(entry), make_nomination(entry)
    cast_vote(nomination=a, resident=verified_membership(resident))
    with pytest.raises(AwardError, match="used all"):
        cast_vote(nomination=b, resident=verified_membership(housemate))
    with pytest.raises(AwardError, match="already"):
        cast_vote(nomination=a, resident=verified_membership(housemate))


def test_counts_are_hidden_while_voting_is_open(resident_client, organizer_client, resident, voting_entry):
    nomination = make_nomination(voting_entry)
    cast_vote(nomination=nomination, resident=verified_membership(resident))
    for client in (resident_client, organizer_client):
        body = client.get(f"/rounds/{voting_entry.round_id}/").content.decode()
        assert 'id="results-h"' not in body
        assert f"/organize/rounds/{voting_entry.round_id}/results.csv" not in body
    assert organizer_client.get(f"/organize/rounds/{voting_entry.round_id}/results.csv").status_code == 302
    assert organizer_client.get(f"/organize/rounds/{voting_entry.round_id}/confirm/").status_code == 302
    voting_entry.round.voting_close_at = voting_entry.round.voting_open_at + timedelta(hours=1)
    voting_entry.round.save()
    body = organizer_client.get(f"/rounds/{voting_entry.round_id}/").content.decode()
    assert 'id="results-h"' in body  # the check above can fail: once voting closes, organizers see counts


def test_the_order_is_random_but_stable_for_each_voter(voting_entry):
    nominations = [make_nomination(voting_entry) for _ in range(8)]
    one, other = ResidentFactory(), ResidentFactory()
    round = voting_entry.round
    first = voter_order(nominations, round=round, resident=one)
    assert first == voter_order(list(reversed(nominations)), round=round, resident=one)
    assert first != voter_order(nominations, round=round, resident=other)


def test_turnout_by_building_is_public_during_voting(client, resident, voting_entry):
    from awards.stats import turnout_by_building

    cast_vote(nomination=make_nomination(voting_entry), resident=verified_membership(resident))
    rows = turnout_by_building(voting_entry.round)
    building = verified_membership(resident).household.building
    assert (building.name, 1, 1) in rows
    body = client.get(f"/rounds/{voting_entry.round_id}/").content.decode()
    assert building.name in body


def test_no_page_shows_who_voted_for_whom(client, resident_client, organizer_client, resident, neighbour, db):
    """The voter's name never appears next to a vote: not on any page, export or admin screen."""
    round = make_round("voting")
    entry = make_entry(round, TargetKind.PERSON, winners=1)
    nomination = make_nomination(entry)
    voter = verified_membership(neighbour)
    voter.full_name = "投票人甲乙"
    voter.save()
    cast_vote(nomination=nomination, resident=voter)
    pages = [f"/rounds/{round.pk}/", f"/nominations/{nomination.pk}/", f"/organize/rounds/{round.pk}/"]
    for url in pages:
        for c in (client, resident_client, organizer_client):
            assert "投票人甲乙" not in c.get(url).content.decode()
    round.voting_close_at = round.voting_open_at + (round.voting_close_at - round.voting_open_at) / 10
    round.save()
    for url in [*pages, f"/organize/rounds/{round.pk}/confirm/", f"/organize/rounds/{round.pk}/results.csv"]:
        response = organizer_client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert "投票人甲乙" not in body.decode("utf-8-sig")
    from django.contrib import admin

    from awards.models import Vote as VoteModel

    assert VoteModel not in admin.site._registry


def test_withdrawing_a_vote_after_voting_closed_is_refused(resident_client, resident, voting_entry):
    nomination = make_nomination(voting_entry)
    cast_vote(nomination=nomination, resident=verified_membership(resident))
    round = voting_entry.round
    round.voting_close_at = round.voting_open_at + timedelta(hours=1)
    round.save()
    before = row_counts()
    resident_client.post(f"/nominations/{nomination.pk}/vote/withdraw/")
    assert row_counts() == before and Vote.objects.count() == 1


def test_paper_counts_outside_voting_and_counting_are_refused(organizer, db):
    from awards.services import record_paper_tally

    entry = make_entry(make_round("reviewing"))
    nomination = make_nomination(entry)
    before = row_counts()
    with translation.override("en"), pytest.raises(AwardError, match="Paper ballots"):
        record_paper_tally(entry=entry, actor=organizer, counts={nomination.pk: 3}, photo=None)
    assert row_counts() == before


def test_after_voting_the_page_goes_back_only_to_this_site(resident_client, voting_entry):
    nomination = make_nomination(voting_entry)
    response = resident_client.post(f"/nominations/{nomination.pk}/vote/", {"next": "/\\evil.example/"})
    assert response["Location"] == f"/nominations/{nomination.pk}/"
    response = resident_client.post(f"/nominations/{nomination.pk}/vote/withdraw/", {"next": "/rounds/"})
    assert response["Location"] == "/rounds/"


def test_turnout_by_building_costs_three_queries_whatever_the_size(voting_entry, django_assert_num_queries):
    from awards.stats import turnout_by_building

    for size in (2, 8):
        for _ in range(size):
            cast_vote(nomination=make_nomination(voting_entry), resident=ResidentFactory())
        with django_assert_num_queries(3):
            rows = turnout_by_building(voting_entry.round)
        assert sum(voters for _name, voters, _eligible in rows) == (2 if size == 2 else 10)


def test_a_vote_for_a_nomination_declined_since_frees_its_place(resident, voting_entry):
    me = verified_membership(resident)
    first, second, third = (make_nomination(voting_entry) for _ in range(3))
    cast_vote(nomination=first, resident=me)
    cast_vote(nomination=second, resident=me)
    first.status = NominationStatus.DECLINED
    first.save()
    cast_vote(nomination=third, resident=me)
    assert Vote.objects.filter(voter=me).count() == 3


def test_the_vote_page_is_lean_and_its_query_count_does_not_grow(
    resident_client, resident, voting_entry, django_assert_max_num_queries
):
    """The busiest page of a round: session, user, and the vote's four statements (nomination, membership with the
    household's lock, ballot, insert); here also the test transaction's savepoint pair."""
    nominations = [make_nomination(voting_entry) for _ in range(3)]
    for nomination in nominations[:2]:
        resident_client.post(f"/nominations/{nomination.pk}/vote/")
    with django_assert_max_num_queries(8):  # refused (the ballot is full): the same reads, no insert, the message saved
        response = resident_client.post(f"/nominations/{nominations[2].pk}/vote/")
    assert response.status_code == 302 and not Vote.objects.filter(nomination=nominations[2]).exists()
    other = make_nomination(voting_entry)
    Vote.objects.filter(nomination=nominations[0]).delete()
    with django_assert_max_num_queries(8):
        response = resident_client.post(f"/nominations/{other.pk}/vote/")
    assert response.status_code == 302 and Vote.objects.filter(nomination=other).count() == 1


def test_voting_for_a_missing_or_unannounced_nomination_is_a_404(resident_client, voting_entry):
    assert resident_client.post("/nominations/999999/vote/").status_code == 404
    assert resident_client.post(f"/nominations/{2**70}/vote/").status_code == 404  # past any id column's range
    draft = make_entry(make_round("voting", announced=False), TargetKind.PERSON)
    assert resident_client.post(f"/nominations/{make_nomination(draft).pk}/vote/").status_code == 404
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    "phase", ["upcoming", "nominating", "reviewing", "waiting", "counting", "publicity", "published"]
)
def test_the_vote_statement_refuses_votes_outside_the_voting_phase(resident, phase):
    nomination = make_nomination(make_entry(make_round(phase), TargetKind.PERSON))
    me = verified_membership(resident)
    before = row_counts()
    with translation.override("en"), pytest.raises(AwardError, match="not open"):
        cast_vote(nomination=nomination, resident=me)
    assert row_counts() == before and not Vote.objects.exists()


def test_the_vote_stays_within_its_statement_budget_and_reads_the_ballot_under_the_lock(voting_entry):
    """Counted between the vote's own savepoint (BEGIN outside a transaction) and its release (COMMIT): the
    nomination, the membership locking the household, the ballot, the insert. No raw SQL, no prepared statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    me = ResidentFactory()
    first, second = make_nomination(voting_entry), make_nomination(voting_entry)
    cast_vote(nomination=first, resident=me)
    with CaptureQueriesContext(connection) as captured:
        cast_vote(nomination=second, resident=me)
    statements = [q["sql"] for q in captured]
    assert statements[0].startswith("SAVEPOINT") and statements[-1].startswith("RELEASE SAVEPOINT")
    inside = statements[1:-1]
    assert len(inside) <= 6, inside
    assert not any(sql.split(" ", 1)[0] in ("PREPARE", "EXECUTE") or "set_config" in sql for sql in inside)
    assert inside[-1].startswith("INSERT")
    # The membership reads the ids the rules use, not every column of four tables, and no ordered slice.
    membership = next(sql for sql in inside if 'FROM "families_resident"' in sql)
    assert '"full_name"' not in membership and "ORDER BY" not in membership, membership
    if connection.features.has_select_for_update_of:
        (lock,) = [i for i, sql in enumerate(inside) if "FOR UPDATE" in sql]
        ballot = next(i for i, sql in enumerate(inside) if "awards_vote" in sql.split("FROM", 1)[1])
        assert lock < ballot


def test_a_refused_vote_leaves_the_callers_transaction_usable(resident, voting_entry):
    from django.db import transaction

    nomination = make_nomination(voting_entry)
    me = verified_membership(resident)
    with transaction.atomic():
        cast_vote(nomination=nomination, resident=me)
        with pytest.raises(AwardError, match="already"):
            cast_vote(nomination=nomination, resident=me)
        assert Vote.objects.filter(voter=me).count() == 1
