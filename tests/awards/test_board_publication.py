"""Done when: a published round appears on the board, the TV and the feed, and on a certificate that verifies."""

from __future__ import annotations

import pytest

from awards.models import AwardRound, TargetKind
from awards.services import cast_vote, confirm_winners, publish_round, withdraw_honour
from tests.factories import ResidentFactory

from .factories import make_entry, make_nomination, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_ready_to_publish(organizer):
    """A round whose voting closed, winner confirmed, publicity period over."""
    round = make_round("voting")
    entry = make_entry(round, TargetKind.PERSON, winners=1, votes_per_voter=1)
    winner = make_nomination(entry, target=ResidentFactory(full_name="钱好人", show_name_publicly=True))
    cast_vote(nomination=winner, resident=ResidentFactory())
    AwardRound.objects.filter(pk=round.pk).update(
        voting_close_at=round.voting_open_at + (round.voting_close_at - round.voting_open_at) / 100
    )
    round.refresh_from_db()
    confirm_winners(round=round, actor=organizer, winners={entry.pk: {winner.pk}})
    round.refresh_from_db()
    AwardRound.objects.filter(pk=round.pk).update(publicity_end_at=round.results_confirmed_at)
    round.refresh_from_db()
    return round


def test_a_published_round_reaches_every_public_surface_and_a_withdrawal_leaves_them(
    client, organizer, round_ready_to_publish, django_capture_on_commit_callbacks
):
    round = round_ready_to_publish
    assert "钱好人" not in client.get("/honours/").content.decode()  # and that empty page is now cached
    assert "钱好人" not in client.get("/honours/tv/slides.json").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        (honour,) = publish_round(round=round, actor=organizer)

    assert "钱好人" in client.get("/honours/").content.decode()
    assert "钱好人" in client.get(f"/honours/{honour.pk}/").content.decode()
    assert client.get("/honours/tv/slides.json").json()["slides"][0]["name"] == "钱好人"
    assert client.get("/honours/feed.json").json()["honours"][0]["round"] == round.title
    certificate = client.get(f"/honours/{honour.pk}/certificate/").content.decode()
    assert honour.certificate_number in certificate
    assert f"http://testserver/verify/{honour.certificate_number}/" in certificate
    assert client.get(f"/verify/{honour.certificate_number}/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        withdraw_honour(honour=honour, actor=organizer, reason="经核实撤销。")

    assert "钱好人" not in client.get("/honours/").content.decode()
    assert "钱好人" not in client.get("/honours/tv/slides.json").content.decode()
    assert client.get(f"/honours/{honour.pk}/").status_code == 404
    assert client.get(f"/verify/{honour.certificate_number}/").status_code == 410
