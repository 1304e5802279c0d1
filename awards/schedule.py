"""What the scheduled tick does for award rounds (``project.schedule``): "voting is open" at the opening time, and
the organizers' notice when a publicity period (公示) is over."""

from __future__ import annotations

from datetime import datetime

from project import schedule

from . import services
from .models import AwardRound


@schedule.register("awards.voting_open")
def voting_open(now: datetime) -> int:
    """Send "voting is open" for each round whose voting has opened (once per round); how many notices went."""
    rounds = AwardRound.objects.visible().filter(
        voting_notice_sent_at__isnull=True, voting_open_at__lte=now, voting_close_at__gt=now
    )
    return sum(services.send_voting_open_notices(round=round) for round in rounds)


@schedule.register("awards.publicity_ended")
def publicity_ended(now: datetime) -> int:
    """Tell organizers, once per round, that its publicity period is over and it can be published."""
    rounds = AwardRound.objects.filter(
        results_confirmed_at__isnull=False, published_at__isnull=True, publicity_end_at__lte=now
    )
    return sum(services.notify_publicity_ended(round=round, now=now) for round in rounds)
