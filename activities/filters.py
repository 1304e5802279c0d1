"""The activity list's filters (django-filter): type, day, open places, upcoming or past."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import NamedTuple

import django_filters
from django import forms
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .models import Activity, ActivityType


class ActivityFilter(django_filters.FilterSet):
    type = django_filters.ModelChoiceFilter(
        label=_("Type"), queryset=ActivityType.objects.filter(is_active=True), empty_label=_("All types")
    )
    day = django_filters.DateFilter(
        label=_("Date"), method="filter_day", widget=forms.DateInput(attrs={"type": "date"})
    )
    open = django_filters.BooleanFilter(
        label=_("Only with open places"),
        method="filter_open",
        widget=forms.CheckboxInput,
    )
    when = django_filters.ChoiceFilter(
        label=_("When"),
        method="filter_when",
        choices=[("upcoming", _("Upcoming")), ("past", _("Past"))],
        empty_label=_("Upcoming"),
    )

    class Meta:
        model = Activity
        fields = ["type", "day", "open", "when"]

    def filter_day(self, queryset, name, value):
        start = timezone.make_aware(datetime.combine(value, datetime.min.time()))
        return queryset.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))

    def filter_open(self, queryset, name, value):
        return queryset.with_open_places() if value else queryset

    def filter_when(self, queryset, name, value):
        return queryset

    @property
    def qs(self):
        queryset = super().qs
        data = self.form.cleaned_data if self.form.is_valid() else {}
        if data.get("when") == "past":
            return queryset.filter(ends_at__lt=timezone.now()).order_by("-starts_at", "-pk")
        if data.get("day"):
            return queryset.order_by("starts_at", "pk")
        return queryset.upcoming().order_by("starts_at", "pk")


class FilterLink(NamedTuple):
    href: str
    text: str
    current: bool


def filter_links(current: dict, types: Iterable[ActivityType], today: date) -> dict:
    """The list's filter links (``activity_chips.html``) for the filter ``current`` (the form's clean values):
    each link's address keeps the filters that still make sense with it, and says whether it is the current one.

    Made here rather than in the template: on a cache miss the links were a sixth of the page's time, mostly
    ``date`` filters and lookups of the filters not given."""
    kind, day, when, only_open = current.get("type"), current.get("day"), current.get("when"), current.get("open")

    def href(*pairs: tuple[str, object]) -> str:
        return "?" + urlencode([(name, value) for name, value in pairs if value])

    days = [today + timedelta(days=n) for n in range(7)]
    return {
        "upcoming": FilterLink("?", "", when != "past" and not day),
        "past": FilterLink("?when=past", "", when == "past"),
        "all_types": FilterLink(href(("when", when)), "", not kind),
        "types": [
            FilterLink(href(("type", t.pk), ("when", when), ("open", only_open and "true")), str(t), kind == t)
            for t in types
        ],
        # "n/j D", as the ``date`` filter writes it: 12/3 and the weekday's short name in the active language.
        "days": [
            FilterLink(
                href(("day", d.isoformat()), ("type", kind and kind.pk)),
                f"{d.month}/{d.day} {WEEKDAYS_ABBR[d.weekday()]}",
                day == d,
            )
            for d in days
        ],
        "open": FilterLink(
            href(("type", kind and kind.pk)) if only_open else href(("open", "true"), ("type", kind and kind.pk)),
            "",
            bool(only_open),
        ),
    }
