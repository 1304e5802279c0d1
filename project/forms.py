"""Site-wide forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .models import NoticeSettings, Profile


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["full_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True  # an empty name is refused; whitespace is stripped first


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(gettext_lazy("That is not your password."))
        return password


class NoticeSettingsForm(forms.ModelForm):
    class Meta:
        model = NoticeSettings
        fields = ["by_email"]


class ReportForm(forms.Form):
    """Which workbook: a community (or, for a street organizer, the street) and a month, a quarter or a year."""

    place = forms.ChoiceField(label=gettext_lazy("For"), required=False)  # empty: the street
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=10,
        help_text=gettext_lazy("A month (2026-11), a quarter (2026-Q4) or a year (2026)."),
    )

    def __init__(self, *args, communities, street: str | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.street = street
        choices = [("", street)] if street else []
        self.fields["place"].choices = choices + [(place.slug, place.name) for place in communities]

    def clean_place(self) -> str:
        place = self.cleaned_data["place"]
        if not place and not self.street:
            raise forms.ValidationError(self.fields["place"].error_messages["required"], code="required")
        return place

    def clean_period(self) -> str:
        from .reports import Period

        try:
            return Period.parse(self.cleaned_data["period"]).key
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
