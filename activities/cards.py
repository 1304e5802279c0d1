"""An activity's card in the lists (the activity list, the home page's panel): its text, made in Python.

A visitor's ``/activities/`` on a cache miss renders twenty cards, and rendering them was most of the page's
time: per card two includes, two ``blocktranslate``, three ``date`` filters and a ``{% url %}`` cost about
0.9 ms in Django's template engine (18 ms of the page's 37 ms, in-process on the quick-size database). Made
here, the same text costs a tenth of that, and ``activity_cards.html`` only places it (plain variables, still
escaped there). The strings are the templates' own msgids, so their translations are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from .models import Activity

# ``activities:detail`` reversed once per batch of cards, with this id in place of each card's: reversing is
# ~50 µs, as much as the rest of a card. The test of the list's links compares them with ``reverse``.
_PLACEHOLDER_ID = 2**62 + 42


class ActivityCard(NamedTuple):
    pk: int
    url: str
    title: str
    type: str
    starts_iso: str  # as the ``date:'c'`` filter writes it
    starts: str
    ends: str
    place: str
    host: str
    badge_class: str
    places: str
    points: str


def activity_cards(activities: Iterable[Activity], at: datetime | None = None) -> list[ActivityCard]:
    """The cards of these activities (with ``type`` and ``community`` selected), in the active language."""
    at = at or timezone.now()
    url = reverse("activities:detail", args=[_PLACEHOLDER_ID])
    placeholder = str(_PLACEHOLDER_ID)
    finished = gettext("Finished")
    full = gettext("Full: waiting list")
    cards = []
    for activity in activities:
        starts = timezone.localtime(activity.starts_at)
        left = activity.places_left()
        if activity.is_past(at):
            badge_class, places = "badge", finished
        elif left:
            badge_class = "badge ok"
            places = ngettext("%(left)s place left", "%(left)s places left", left) % {"left": left}
        else:
            badge_class, places = "badge warn", full
        cards.append(
            ActivityCard(
                pk=activity.pk,
                url=url.replace(placeholder, str(activity.pk)),
                title=activity.title,
                type=str(activity.type),
                starts_iso=starts.isoformat(),
                starts=f"{starts:%Y-%m-%d %H:%M}",
                ends=f"{timezone.localtime(activity.ends_at):%H:%M}",
                place=activity.place,
                host=activity.host_text,
                badge_class=badge_class,
                places=places,
                points=gettext("%(points)s points per hour") % {"points": activity.points_per_hour},
            )
        )
    return cards
