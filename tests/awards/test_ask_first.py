"""Irreversible organizer actions on a round ask first (#13, item 4): a GET says what will happen, with real
counts, and changes nothing; the POST does it and writes the audit line it always wrote."""

from __future__ import annotations

import pytest

from awards.models import Correction, Honour, NominationStatus, Objection, Phase, TargetKind
from awards.services import cast_vote, publish_round
from families.models import Resident
from project.management.commands.backup import row_counts
from project.models import AuditEntry
from tests.factories import ResidentFactory

from .factories import (
    english_messages,  # noqa: F401
    make_entry,
    make_nomination,
    make_round,
)

pytestmark = pytest.mark.django_db


def _rows() -> dict[str, int]:
    """Rows per model, leaving out the session a logged-in client keeps."""
    return {label: n for label, n in row_counts().items() if label != "sessions.Session"}


@pytest.fixture
def voting_round(db):
    round = make_round("voting")
    entry = make_entry(round, TargetKind.PERSON)
    first, second = make_nomination(entry), make_nomination(entry)
    voter = ResidentFactory()
    cast_vote(nomination=first, resident=voter)
    cast_vote(nomination=second, resident=voter)
    cast_vote(nomination=first, resident=ResidentFactory())
    return round


@pytest.fixture
def publishable_round(db):
    round = make_round("publishing")
    entry = make_entry(round, TargetKind.PERSON, winners=2)
    for _ in range(2):
        make_nomination(entry, status=NominationStatus.SHORTLISTED, is_winner=True)
    make_nomination(entry, status=NominationStatus.SHORTLISTED)
    return round


def test_closing_voting_asks_first_and_says_how_many_can_no_longer_vote(organizer_client, voting_round):
    url = f"/organize/rounds/{voting_round.pk}/close-voting/"
    desk = organizer_client.get(f"/organize/rounds/{voting_round.pk}/").content.decode()
    assert f'href="{url}"' in desk and f'action="{url}"' not in desk
    eligible = Resident.objects.verified().count()
    before, planned = _rows(), voting_round.voting_close_at

    body = organizer_client.get(url).content.decode()
    assert f"{eligible} 名居民将不能再投票。" in body and "其中 2 人已经投票。" in body
    assert "确定，立即结束投票" in body
    voting_round.refresh_from_db()
    assert _rows() == before and voting_round.voting_close_at == planned and voting_round.phase() == Phase.VOTING

    response = organizer_client.post(url)
    assert response["Location"] == f"/organize/rounds/{voting_round.pk}/confirm/"
    voting_round.refresh_from_db()
    assert voting_round.phase() == Phase.COUNTING
    assert AuditEntry.objects.filter(action="awards.voting_closed", target_id=str(voting_round.pk)).count() == 1


def test_the_close_voting_question_speaks_english_too(organizer_client, voting_round):
    organizer_client.cookies["django_language"] = "en"
    body = organizer_client.get(f"/organize/rounds/{voting_round.pk}/close-voting/").content.decode()
    eligible = Resident.objects.verified().count()
    assert f"{eligible} residents can no longer vote." in body and "2 of them have voted so far." in body


def test_closing_voting_outside_voting_offers_nothing_to_confirm(organizer_client, db):
    round = make_round("reviewing")
    body = organizer_client.get(f"/organize/rounds/{round.pk}/close-voting/").content.decode()
    assert "投票未在进行中，无法结束。" in body
    assert "确定，立即结束投票" not in body


def test_publishing_asks_first_and_lists_the_honours_it_puts_on_the_board(organizer_client, publishable_round):
    url = f"/organize/rounds/{publishable_round.pk}/publish/"
    desk = organizer_client.get(f"/organize/rounds/{publishable_round.pk}/").content.decode()
    assert f'href="{url}"' in desk and f'action="{url}"' not in desk
    before = _rows()

    body = organizer_client.get(url).content.decode()
    assert "2 项荣誉将登上公开的光荣榜，并生成荣誉证书。" in body and "确定，发布荣誉" in body
    publishable_round.refresh_from_db()
    assert _rows() == before and publishable_round.published_at is None

    response = organizer_client.post(url)
    assert response["Location"] == f"/organize/rounds/{publishable_round.pk}/"
    publishable_round.refresh_from_db()
    assert publishable_round.published_at is not None and Honour.objects.count() == 2
    assert AuditEntry.objects.filter(action="awards.round_published").count() == 1


def test_publishing_with_an_unanswered_objection_offers_no_button(organizer_client, publishable_round):
    winner = publishable_round.nominations.filter(is_winner=True).first()
    Objection.objects.create(round=publishable_round, resident=ResidentFactory(), nomination=winner, text="请核实。")
    body = organizer_client.get(f"/organize/rounds/{publishable_round.pk}/publish/").content.decode()
    assert "确定，发布荣誉" not in body and "发布前请答复所有异议。" in body


def test_withdrawing_an_honour_asks_first_and_says_what_it_undoes(organizer, organizer_client, publishable_round):
    honour = publish_round(round=publishable_round, actor=organizer)[0]
    url = f"/organize/honours/{honour.pk}/withdraw/"
    desk = organizer_client.get(f"/organize/rounds/{publishable_round.pk}/").content.decode()
    assert f'href="{url}"' in desk and f'action="{url}"' not in desk
    before = _rows()

    body = organizer_client.get(url).content.decode()
    assert "这项荣誉将从光荣榜和电视屏上撤下，荣誉证书将标注为已撤销。" in body and honour.certificate_number in body
    assert _rows() == before

    refused = organizer_client.post(url, {"reason": ""})
    assert refused.status_code == 200 and _rows() == before

    response = organizer_client.post(url, {"reason": "经核实，事迹与实际不符。"})
    assert response["Location"] == f"/organize/rounds/{publishable_round.pk}/"
    honour.refresh_from_db()
    assert honour.withdrawn_at is not None and Correction.objects.get().reason == "经核实，事迹与实际不符。"
    assert AuditEntry.objects.filter(action="awards.honour_withdrawn", target_id=str(honour.pk)).count() == 1
    again = organizer_client.get(url).content.decode()
    assert "确定，撤销这项荣誉" not in again


def test_residents_cannot_open_the_questions(resident_client, voting_round, publishable_round):
    for url in (
        f"/organize/rounds/{voting_round.pk}/close-voting/",
        f"/organize/rounds/{publishable_round.pk}/publish/",
    ):
        assert resident_client.get(url).status_code == 403
