"""What the scheduled tick does for rounds: "voting is open" at the opening time, once, whatever the timeline or the
tick does; and the organizers told once when the publicity period (公示) is over. Opening the round page sends
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from awards.models import AwardRound
from project import schedule
from project.models import Notice

from .factories import make_round

pytestmark = pytest.mark.django_db


def _voting_notices() -> int:
    return Notice.objects.filter(kind="voting_open").count()


def _move_opening(round: AwardRound, to) -> None:
    AwardRound.objects.filter(pk=round.pk).update(voting_open_at=to)


def test_voting_open_goes_out_on_the_tick_once(resident, neighbour):
    round = make_round("voting")
    schedule.run_due()
    schedule.run_due()  # a double tick
    assert _voting_notices() == 2  # resident and neighbour, once each
    assert AwardRound.objects.get(pk=round.pk).voting_notice_sent_at is not None


def test_before_the_opening_time_nothing_is_sent(resident):
    make_round("waiting")
    schedule.run_due()
    assert _voting_notices() == 0


def test_an_opening_moved_later_after_a_tick_sends_nothing_yet(resident):
    round = make_round("voting")
    _move_opening(round, timezone.now() + timedelta(hours=1))  # the organizer moved it before the tick came
    schedule.run_due()
    assert _voting_notices() == 0
    _move_opening(round, timezone.now() - timedelta(minutes=1))
    schedule.run_due()
    assert _voting_notices() == 1


def test_an_opening_moved_earlier_sends_once(resident):
    round = make_round("waiting")
    schedule.run_due()
    assert _voting_notices() == 0
    _move_opening(round, timezone.now() - timedelta(minutes=1))
    schedule.run_due()
    schedule.run_due()
    _move_opening(round, timezone.now() - timedelta(minutes=2))  # moved again: already told
    schedule.run_due()
    assert _voting_notices() == 1


def test_opening_the_round_page_during_voting_sends_nothing(client, resident):
    round = make_round("voting")
    assert client.get(f"/rounds/{round.pk}/").status_code == 200
    assert _voting_notices() == 0 and AwardRound.objects.get(pk=round.pk).voting_notice_sent_at is None


def test_the_command_sends_what_is_due_by_hand(resident):
    make_round("voting")
    call_command("send_award_notices")
    call_command("send_award_notices")
    assert _voting_notices() == 1


def _publicity_notices():
    return list(Notice.objects.filter(kind="publicity_ended").values_list("user__username", flat=True))


@pytest.fixture
def grid_worker(db):
    from families.models import GridAssignment
    from project.access import make_organizer
    from tests.factories import GridFactory, UserFactory

    user = UserFactory(username="gridworker")
    make_organizer(user=user)
    GridAssignment.objects.create(user=user, grid=GridFactory())
    return user


def test_the_end_of_publicity_is_told_to_organizers_once(organizer, grid_worker, resident):
    round = make_round("publishing")
    schedule.run_due()
    schedule.run_due()
    assert _publicity_notices() == ["organizer"]  # not the grid worker, who cannot publish; not residents
    notice = Notice.objects.get(kind="publicity_ended")
    assert notice.url == f"/rounds/{round.pk}/"
    assert AwardRound.objects.get(pk=round.pk).published_at is None  # publishing stays the organizers' decision


def test_during_publicity_nothing_is_told_and_a_moved_end_is_told_once(organizer):
    round = make_round("publicity")
    schedule.run_due()
    assert _publicity_notices() == []
    AwardRound.objects.filter(pk=round.pk).update(publicity_end_at=timezone.now() - timedelta(minutes=1))
    schedule.run_due()
    AwardRound.objects.filter(pk=round.pk).update(publicity_end_at=timezone.now() - timedelta(minutes=2))
    schedule.run_due()
    assert _publicity_notices() == ["organizer"]


def test_a_published_round_is_not_told(organizer):
    make_round("published")
    schedule.run_due()
    assert _publicity_notices() == []
