"""The ballot's cards are rendered once and shared between voters (issue #15); each voter's own parts (on my
ballot, the votes left, which form, the CSRF token) are filled in per request and are never another voter's."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from awards.models import Nomination, TargetKind, Vote
from awards.services import cast_vote
from families.access import verified_membership
from project import publiccache

from .factories import make_entry, make_nomination, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def ballot(db):
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=1, name="身边好人")
    return entry, [make_nomination(entry) for _ in range(2)]


def _card(page: str, nomination: Nomination) -> str:
    return re.search(rf'<li class="[^"]*" id="nomination-{nomination.pk}".*?</li>', page, re.S).group(0)


def test_two_voters_see_their_own_ballot_from_one_shared_rendering(
    resident_client, neighbour_client, resident, neighbour, ballot
):
    entry, (chosen, other) = ballot
    own = make_nomination(entry, target=verified_membership(neighbour), nominator=verified_membership(resident))
    url = f"/rounds/{entry.round_id}/nominations/"
    publiccache.expire_all()
    resident_client.post(f"/nominations/{chosen.pk}/vote/", {"next": url})
    assert Vote.objects.count() == 1

    mine = resident_client.get(url).content.decode()
    Nomination.objects.filter(pk=other.pk).update(citation="改过的事迹")  # behind the services: nothing refreshed
    theirs = neighbour_client.get(url).content.decode()
    assert "改过的事迹" not in theirs  # the neighbour's page came from the cards rendered for the resident

    assert "on-ballot" in _card(mine, chosen) and "撤回我的投票" in _card(mine, chosen)
    assert "本类别的票已用完" in _card(mine, other) and "/vote/" not in _card(mine, other).replace(
        "/vote/withdraw/", ""
    )
    assert "身边好人：还剩 0 / 1 票" in _card(mine, chosen) and "您的推荐" in _card(mine, own)
    assert "✓" in mine.split('id="ballot-h"')[1].split("</section>")[0]

    for nomination in (chosen, other):  # the resident's vote is not the neighbour's
        card = _card(theirs, nomination)
        assert "on-ballot" not in card and "撤回我的投票" not in card and "本类别的票已用完" not in card
        assert f'action="/nominations/{nomination.pk}/vote/"' in card and "身边好人：还剩 1 / 1 票" in card
    assert "不能给自己或自己的家庭投票" in _card(theirs, own) and "您的推荐" not in theirs
    assert "<!--" not in mine.split("<body")[1] and "<!--" not in theirs.split("<body")[1]


def test_the_vote_form_carries_a_csrf_token_good_for_the_reader(neighbour, ballot):
    """The shared cards hold no token: each reader's own is put in, and their vote goes through with it."""
    entry, (nomination, _) = ballot
    url = f"/rounds/{entry.round_id}/nominations/"
    client = Client(enforce_csrf_checks=True)
    client.force_login(neighbour)
    page = client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _card(page, nomination)).group(1)
    assert client.post(f"/nominations/{nomination.pk}/vote/", {"next": url}).status_code == 403
    assert Vote.objects.count() == 0
    response = client.post(f"/nominations/{nomination.pk}/vote/", {"next": url, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and Vote.objects.count() == 1


def _ballot_statements(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    return len(captured), page


def test_the_ballot_reads_the_same_few_statements_whatever_the_round_size(resident_client, resident, db):
    """Drawn: the user, their membership, the round with its categories (one statement), this voter's ballot,
    the names on it and the shared cards' own query (the session comes from the cache). Kept for the voter
    (``publiccache.personal_fragment``): the user, the membership and the round, whose phase and visibility are
    asked afresh. Not one more per category or nomination."""
    me = verified_membership(resident)
    counts = []
    for categories, size in ((1, 2), (3, 12)):
        round = make_round("voting")
        entries = [make_entry(round, TargetKind.PERSON, votes_per_voter=2) for _ in range(categories)]
        for entry in entries:
            nominations = [make_nomination(entry) for _ in range(size)]
            cast_vote(nomination=nominations[0], resident=me)
        url = f"/rounds/{round.pk}/nominations/"
        publiccache.expire_all()
        fresh, page = _ballot_statements(resident_client, url)  # the cards rendered and shared, the page drawn
        kept, again = _ballot_statements(resident_client, url)  # the voter's page as kept
        assert page.count("on-ballot") == categories == again.count("on-ballot")
        assert page.count('class="card nomination-card') == categories * size
        counts.append((fresh, kept))
    assert counts == [(6, 3), (6, 3)]


def test_a_round_without_categories_still_shows_its_ballot_page(resident_client, db):
    round = make_round("voting")
    page = resident_client.get(f"/rounds/{round.pk}/nominations/")
    assert page.status_code == 200 and round.title in page.content.decode()
    other = make_round("voting", announced=False)
    assert resident_client.get(f"/rounds/{other.pk}/nominations/").status_code == 404


def test_a_kept_ballot_shows_a_housemates_household_vote_and_not_a_neighbours(
    resident_client, resident, housemate, neighbour, db, django_capture_on_commit_callbacks
):
    """The ballot kept for a voter is refreshed by their household's votes (one shared for the household
    included), and only by those: a neighbour voting re-renders nothing of it."""
    from awards.models import VoteUnit

    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=1, vote_unit=VoteUnit.HOUSEHOLD)
    chosen, other = make_nomination(entry), make_nomination(entry)
    url = f"/rounds/{entry.round_id}/nominations/"
    resident_client.get(url)
    kept, page = _ballot_statements(resident_client, url)
    assert "on-ballot" not in page
    with django_capture_on_commit_callbacks(execute=True):
        cast_vote(nomination=other, user=neighbour)
    assert _ballot_statements(resident_client, url)[0] == kept
    with django_capture_on_commit_callbacks(execute=True):
        cast_vote(nomination=chosen, user=housemate)
    drawn, page = _ballot_statements(resident_client, url)
    assert drawn > kept and "on-ballot" in _card(page, chosen) and "on-ballot" not in _card(page, other)
