"""A vote or a withdrawal on a long ballot returns to the card voted on, with the category's votes left beside it."""

from __future__ import annotations

import re

import pytest

from awards.models import TargetKind

from .factories import make_entry, make_nomination, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def ballot(db):
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=3, name="身边好人")
    return entry, [make_nomination(entry) for _ in range(4)]


def test_each_vote_form_returns_to_its_own_card(resident_client, ballot):
    entry, nominations = ballot
    page = resident_client.get(f"/rounds/{entry.round_id}/nominations/").content.decode()
    for nomination in nominations:
        assert f'id="nomination-{nomination.pk}"' in page
        assert f'value="/rounds/{entry.round_id}/nominations/#nomination-{nomination.pk}"' in page


def test_a_vote_and_a_withdrawal_go_back_to_the_card_and_it_shows_the_votes_left(
    resident_client, ballot, django_capture_on_commit_callbacks
):
    """The voter's ballot is kept between their requests (awards.views.candidates): each vote, once committed,
    refreshes it."""
    entry, nominations = ballot
    ballot_path = f"/rounds/{entry.round_id}/nominations/"
    card = f"{ballot_path}#nomination-{nominations[2].pk}"
    assert "身边好人：还剩 3 / 3 票" in resident_client.get(ballot_path).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = resident_client.post(f"/nominations/{nominations[2].pk}/vote/", {"next": card})
    assert response.status_code == 302 and response["Location"] == card
    page = resident_client.get(ballot_path).content.decode()
    card_html = re.search(rf'id="nomination-{nominations[2].pk}".*?</li>', page, re.S).group(0)
    assert "身边好人：还剩 2 / 3 票" in card_html

    with django_capture_on_commit_callbacks(execute=True):
        response = resident_client.post(f"/nominations/{nominations[2].pk}/vote/withdraw/", {"next": card})
    assert response.status_code == 302 and response["Location"] == card
    assert "身边好人：还剩 3 / 3 票" in resident_client.get(ballot_path).content.decode()


def test_english_readers_see_the_votes_left_in_english(resident_client, ballot):
    entry, _ = ballot
    resident_client.cookies["django_language"] = "en"
    page = resident_client.get(f"/rounds/{entry.round_id}/nominations/").content.decode()
    assert "身边好人: 3 of 3 votes left" in page
