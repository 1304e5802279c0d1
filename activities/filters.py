"""The activity list's filters (django-filter): type, day, open places, upcoming or past."""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters
from django import forms
from django.utils import timezone
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
