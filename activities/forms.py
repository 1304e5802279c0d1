"""Forms for residents and organizers; rules the database enforces are mirrored here as readable messages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from families.access import place_community_ids
from families.models import Community
from project.images import PhotoField
from project.models import Profile

from . import conf
from .models import Activity, ActivityType, Signup, StoreItem

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class HoursField(forms.DecimalField):
    """Hours typed by a person (e.g. 2.5), returned as whole half hours (rounded down)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 1)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "0.5", "min": "0", "inputmode": "decimal"}))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        hours = super().clean(value)
        if hours is None:
            return None
        try:
            return int((hours * 2).quantize(Decimal("1"), rounding=ROUND_DOWN))
        except InvalidOperation as exc:  # pragma: no cover - DecimalField already checked the number
            raise forms.ValidationError(_("Enter a number of hours.")) from exc


def limit_place_choices(field: forms.ModelChoiceField, user, *, street_label: str) -> None:
    """Offer an organizer the places they may host in: a street organizer every community or, empty, the
    street; anyone else their own communities only (the service refuses the rest: ``services.may_host``)."""
    communities = place_community_ids(user) if user is not None else None
    if communities is None:
        field.queryset = Community.objects.all()
        field.empty_label = street_label
        field.required = False
    else:
        field.queryset = Community.objects.filter(pk__in=communities)
        field.empty_label = None
        field.required = True


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = [
            "title",
            "community",
            "open_to_street",
            "type",
            "description",
            "place",
            "starts_at",
            "ends_at",
            "signup_deadline",
            "capacity",
            "points_per_hour",
        ]
        widgets = {
            "starts_at": DATETIME_WIDGET,
            "ends_at": DATETIME_WIDGET,
            "signup_deadline": DATETIME_WIDGET,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        limit_place_choices(self.fields["community"], user, street_label=_("The street office (open to all)"))
        self.fields["type"].queryset = ActivityType.objects.filter(is_active=True)
        for name in ("starts_at", "ends_at", "signup_deadline"):
            self.fields[name].input_formats = DATETIME_FORMATS
        self.fields["capacity"].min_value = 1
        self.fields["capacity"].widget.attrs.update(min=1, max=conf.max_capacity())
        self.fields["points_per_hour"].widget.attrs.update(min=0, max=conf.max_points_per_hour())

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity < 1:
            raise forms.ValidationError(_("An activity needs at least one place."))
        if capacity > conf.max_capacity():
            raise forms.ValidationError(_("At most %(max)s places.") % {"max": conf.max_capacity()})
        return capacity

    def clean_points_per_hour(self):
        points = self.cleaned_data["points_per_hour"]
        if points > conf.max_points_per_hour():
            raise forms.ValidationError(_("At most %(max)s points per hour.") % {"max": conf.max_points_per_hour()})
        return points

    def clean(self):
        cleaned = super().clean()
        starts, ends, deadline = cleaned.get("starts_at"), cleaned.get("ends_at"), cleaned.get("signup_deadline")
        if starts and ends:
            if ends <= starts:
                self.add_error("ends_at", _("The end must be after the start."))
            elif ends - starts > timedelta(hours=24):
                self.add_error("ends_at", _("An activity lasts at most one day; add one activity per day."))
        if starts and deadline and deadline > starts:
            self.add_error("signup_deadline", _("The sign-up deadline must be before the start."))
        if self.instance.pk is None and starts and starts < timezone.now() - timedelta(days=60):
            self.add_error("starts_at", _("An activity can be entered at most 60 days after it took place."))
        return cleaned


class ActivityTypeForm(forms.ModelForm):
    class Meta:
        model = ActivityType
        fields = ["name", "name_en", "sort_order"]


class AttendanceForm(forms.Form):
    attendance = forms.ChoiceField(label=_("Attendance"), choices=Signup.Attendance.choices)
    checked_in_at = forms.DateTimeField(
        label=_("Checked in"), required=False, widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    checked_out_at = forms.DateTimeField(
        label=_("Checked out"), required=False, widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )


class ManualHoursForm(forms.Form):
    hours = HoursField(label=_("Hours"), help_text=_("In half hours, e.g. 2.5."))
    reason = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("Required: why the hours are added by hand.")
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Check-in code"),
        max_length=12,
        help_text=_("The six digits the organizer reads out at the venue."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autocapitalize": "off"}),
    )


class CorrectionForm(forms.Form):
    hours = HoursField(label=_("Hours I should have"))
    reason = forms.CharField(
        label=_("What should be corrected, and why"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("accept", _("Accept")), ("refuse", _("Refuse"))], widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Answer to the volunteer"), max_length=300, required=False)


class StoreItemForm(forms.ModelForm):
    photo_upload = PhotoField(label=_("Photo"), required=False)

    class Meta:
        model = StoreItem
        fields = ["name", "community", "description", "price", "stock", "is_active", "sort_order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        limit_place_choices(self.fields["community"], user, street_label=_("The street office's store"))
        self.fields["price"].min_value = 1
        self.fields["stock"].min_value = 0
        self.fields["stock"].widget.attrs["min"] = 0
        self.fields["price"].widget.attrs["min"] = 1

    MAX_PRICE = 100_000
    MAX_STOCK = 10_000

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price < 1:
            raise forms.ValidationError(_("The price must be at least one point."))
        if price > self.MAX_PRICE:
            raise forms.ValidationError(_("The price can be at most %(n)d points.") % {"n": self.MAX_PRICE})
        return price

    def clean_stock(self):
        stock = self.cleaned_data["stock"]
        if stock < 0:
            raise forms.ValidationError(_("The stock cannot be below zero."))
        if stock > self.MAX_STOCK:
            raise forms.ValidationError(_("The stock can be at most %(n)d.") % {"n": self.MAX_STOCK})
        return stock


class PickupCodeForm(forms.Form):
    code = forms.CharField(label=_("Pickup code"), max_length=12)


class AwardForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("awarded", _("Award")), ("adjusted", _("Adjustment"))])
    amount = forms.IntegerField(label=_("Points"), min_value=-100000, max_value=100000)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The end of the period must not be before its start."))
        return cleaned


class MonthForm(forms.Form):
    month = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        error_messages={"invalid": _("Enter a month as 2026-11.")},
        widget=forms.TextInput(attrs={"type": "month"}),
    )

    def month_start(self) -> date:
        year, month = self.cleaned_data["month"].split("-")
        return date(int(year), int(month), 1)


class ReminderSettingsForm(forms.ModelForm):
    """The volunteer's reminder setting, on the notices page (``activities/notices.py``)."""

    class Meta:
        model = Profile
        fields = ["volunteer_reminders"]
