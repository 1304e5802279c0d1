from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import JOIN_CODE_LENGTH, Profile


class JoinForm(forms.Form):
    code = forms.CharField(
        label=_("Join code"),
        max_length=JOIN_CODE_LENGTH + 4,
        help_text=_("The 8-character code on the slip from your grid worker."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    full_name = forms.CharField(label=_("Your full name"), max_length=50)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["full_name"]


class ConsentForm(forms.Form):
    """What a verified member agrees to show in public (opt-in, revocable)."""

    show_name_publicly = forms.BooleanField(
        label=_("Show my name in public"),
        required=False,
        help_text=_("On the honour board, leaderboards and the motto wall. Otherwise you are counted but not named."),
    )
    household_show_publicly = forms.BooleanField(
        label=_("Show our household's name in public"),
        required=False,
        help_text=_("The household's display name and building, never the door number. Any member can change this."),
    )
