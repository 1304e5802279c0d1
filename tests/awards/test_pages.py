"""Round pages: the number of queries does not grow with the data; home, organizer and /me/ panels render."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awards.models import AwardRound, NominationStatus, TargetKind
from awards.services import cast_vote, confirm_winners, send_voting_open_notices
from families.access import verified_membership
from project import publiccache
from tests.factories import ResidentFactory

from .factories import (
    english_messages,  # noqa: F401
    make_entry,
    make_nomination,
    make_round,
)

pytestmark = pytest.mark.django_db


def _grow(size: int) -> AwardRound:
    """Rounds with ``size`` nominations per category and some votes; returns the voting round."""
    for phase in ("nominating", "published"):
        other = make_round(phase)
        for kind in (TargetKind.BUILDING, TargetKind.PERSON):
            entry = make_entry(other, kind)
            for _ in range(size):
                make_nomination(entry, status=NominationStatus.SUBMITTED if phase == "nominating" else "shortlisted")
    round = make_round("voting")
    for kind in (TargetKind.BUILDING, TargetKind.HOUSEHOLD, TargetKind.PERSON):
        entry = make_entry(round, kind, votes_per_voter=3)
        nominations = [make_nomination(entry) for _ in range(size)]
        for nomination in nominations[:3]:
            cast_vote(nomination=nomination, resident=ResidentFactory())
    send_voting_open_notices(round=round)
    return AwardRound.objects.get(pk=round.pk)


def _count(client, url) -> int:
    publiccache.expire_all()  # measure the view, not the public page cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "who,path",
    [
        ("anonymous", "/rounds/"),
        ("anonymous", "/rounds/{pk}/"),
        ("resident", "/rounds/{pk}/"),
        ("resident", "/rounds/{pk}/nominations/"),
        ("organizer", "/organize/rounds/"),
        ("organizer", "/organize/rounds/{pk}/"),
        ("organizer", "/organize/rounds/{pk}/nominations/"),
        ("organizer", "/organize/awards/categories/"),
        ("resident", "/notices/"),
    ],
)
def test_query_count_does_not_grow_with_the_data(who, path, client, resident_client, organizer_client, db):
    clients = {"anonymous": client, "resident": resident_client, "organizer": organizer_client}
    small = _grow(2)
    first = _count(clients[who], path.format(pk=small.pk))
    big = _grow(12)
    second = _count(clients[who], path.format(pk=big.pk))
    assert first == second


def test_results_page_query_count_does_not_grow(organizer_client, organizer, db):
    counts = []
    for size in (2, 10):
        round = make_round("counting")
        entry = make_entry(round, TargetKind.PERSON, winners=1)
        nominations = [make_nomination(entry) for _ in range(size)]
        AwardRound.objects.filter(pk=round.pk).update(voting_close_at=round.voting_close_at)
        counts.append(_count(organizer_client, f"/organize/rounds/{round.pk}/confirm/"))
        confirm_winners(round=round, actor=organizer, winners={entry.pk: {nominations[0].pk}}, reason="并列，抽签")
        counts.append(_count(organizer_client, f"/rounds/{round.pk}/"))
    assert counts[0] == counts[2] and counts[1] == counts[3]


def test_home_and_organizer_pages_show_award_panels(client, organizer_client, resident_client, db):
    make_round("voting", title="本年度评选")
    assert "本年度评选" in client.get("/").content.decode()
    body = client.get("/").content.decode()
    assert "还没有发布荣誉。每次评选发布后，获奖者会显示在这里。" in body
    assert organizer_client.get("/organize/").status_code == 200
    assert resident_client.get("/me/").status_code == 200


def test_my_page_shows_my_nominations_and_my_ballot(resident_client, resident, db):
    me = verified_membership(resident)
    entry = make_entry(make_round("voting"), TargetKind.BUILDING)
    nomination = make_nomination(entry, nominator=me)
    cast_vote(nomination=nomination, resident=me)
    body = resident_client.get("/me/").content.decode()
    assert body.count(nomination.building.name) >= 2


def test_empty_states_explain_what_will_appear(client, db):
    body = client.get("/").content.decode()
    assert "目前没有进行中的评选。社区开始推荐或投票时会显示在这里。" in body
    assert "还没有发布荣誉。每次评选发布后，获奖者会显示在这里。" in body
    body = client.get("/rounds/").content.decode()
    assert "还没有评选活动。社区公告评选后，时间安排和类别会显示在这里。" in body
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No selection is running. When the community opens nominations or voting, it appears here." in english
    assert "目前没有进行中的评选" not in english


def test_my_page_shows_household_votes_but_never_a_housemates_own_votes(resident_client, resident, housemate, db):
    from awards.models import VoteUnit

    round = make_round("voting")
    households = make_entry(round, TargetKind.HOUSEHOLD, vote_unit=VoteUnit.HOUSEHOLD)
    people = make_entry(round, TargetKind.PERSON)
    shared = make_nomination(households)
    private = make_nomination(people)
    mate = verified_membership(housemate)
    cast_vote(nomination=shared, resident=mate)
    cast_vote(nomination=private, resident=mate)
    body = resident_client.get("/me/").content.decode()
    assert shared.household.display_name in body
    assert private.resident.full_name not in body


def test_my_ballot_on_my_page_shows_my_votes_only_from_the_shared_lines(
    resident_client, neighbour_client, resident, neighbour, db
):
    """The lines are shared by every reader; which ones are shown is each reader's own. A vote for a nomination
    that has since left the shortlist still shows."""
    entry = make_entry(make_round("voting"), TargetKind.BUILDING, votes_per_voter=2)
    mine, theirs, later_withdrawn = (make_nomination(entry) for _ in range(3))
    cast_vote(nomination=mine, resident=verified_membership(resident))
    cast_vote(nomination=later_withdrawn, resident=verified_membership(resident))
    cast_vote(nomination=theirs, resident=verified_membership(neighbour))
    type(mine).objects.filter(pk=later_withdrawn.pk).update(status=NominationStatus.WITHDRAWN)
    publiccache.expire_all()

    def ballot(client) -> str:
        return client.get("/me/").content.decode().split('class="my-ballot"')[1].split("</ul>")[0]

    assert mine.building.name in ballot(resident_client) and later_withdrawn.building.name in ballot(resident_client)
    assert theirs.building.name not in ballot(resident_client)
    assert theirs.building.name in ballot(neighbour_client) and mine.building.name not in ballot(neighbour_client)
