from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from project.access import ORGANIZER_GROUP
from project.phones import for_people, to_e164

from . import conf, register_io
from .models import JOIN_CODE_LENGTH, Building, Community, Grid, Household, MottoRevision, Resident
from .services import clean_motto_text


class JoinForm(forms.Form):
    code = forms.CharField(
        label=_("Join code"),
        max_length=JOIN_CODE_LENGTH + 4,
        help_text=_("The 8-character code on the slip from your grid worker."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    full_name = forms.CharField(label=_("Your full name"), max_length=50)


class JoinRequestForm(forms.Form):
    """No slip at hand: ask to join by building and door; an organizer confirms."""

    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.all(), empty_label=_("Choose"))
    door = forms.CharField(label=_("Door"), max_length=40, help_text=_("For example 3单元502."))
    full_name = forms.CharField(label=_("Name of the person asking"), max_length=50)


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


# --- Organizer forms ------------------------------------------------------------


class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ["building", "door_label", "display_name", "head_name"]

    def __init__(self, *args, buildings=None, **kwargs):
        super().__init__(*args, **kwargs)
        if buildings is not None:
            self.fields["building"].queryset = buildings


class ResidentForm(forms.ModelForm):
    class Meta:
        model = Resident
        fields = ["full_name", "phone"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Stored in E.164 (project.phones); organizers read and type Chinese numbers as their national digits.
        if self.instance.phone and not self.is_bound:
            self.initial["phone"] = for_people(self.instance.phone)

    def clean_full_name(self):
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter the full name."))
        return name

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        phone = to_e164(raw)
        if phone is None:
            raise forms.ValidationError(_("Enter an 11-digit mobile number, or a landline with its area code."))
        return phone


def _organizer_choices(*, exclude_user):
    """Organizers one may give a place to: not superusers (who see everything anyway), never oneself."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, is_superuser=False)
        .filter(Q(groups__name=ORGANIZER_GROUP) | Q(is_staff=True))
        .exclude(pk=exclude_user.pk)
        .distinct()
        .order_by("username")
    )


def _keeping_own_place(chosen, assigner, before) -> list:
    """The ticked organizers, and the assigner if they held this place: the form does not offer one's own place,
    and saving it must not take it away (services refuse any change to one's own place)."""
    users = list(chosen)
    if assigner is not None and assigner.pk in (before or []):
        users.append(assigner)
    return users


class GridForm(forms.ModelForm):
    organizers = forms.ModelMultipleChoiceField(
        label=_("Grid workers of this grid"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "A grid worker ticked here sees and edits only the grids they are ticked for (a first-level grid with "
            "its second-level grids). You cannot change your own place."
        ),
    )

    class Meta:
        model = Grid
        fields = ["community", "parent", "name", "worker_name", "sort_order"]

    def __init__(self, *args, communities, parents, assigner=None, **kwargs):
        """``communities`` and ``parents``: where the organizer may put a new grid; ``assigner``: the organizer
        who may assign this grid's workers (None: the field is left out)."""
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["parent"].queryset = parents.select_related("community")
        self.fields["parent"].label_from_instance = lambda grid: f"{grid.community.name} · {grid.name}"
        self.fields["parent"].help_text = _(
            "Leave empty for a first-level grid. A second-level grid is made in the first-level grid's community."
        )
        if self.instance.pk:  # a grid stays where it was made
            for name in ("community", "parent"):
                self.fields[name].disabled = True
        only = list(communities[:2])
        if len(only) == 1 and not self.instance.pk:  # one community to choose from: it is implied
            self.fields["community"].required = False
            self.fields["community"].widget = forms.HiddenInput()
            self.only_community = only[0]
        else:
            self.only_community = None
        if assigner is not None:
            self.fields["organizers"].queryset = _organizer_choices(exclude_user=assigner)
            if self.instance.pk:
                self.initial["organizers"] = list(self.instance.assignments.values_list("user_id", flat=True))
        else:
            del self.fields["organizers"]
        self.assigner = assigner

    def clean_organizers(self):
        return _keeping_own_place(self.cleaned_data["organizers"], self.assigner, self.initial.get("organizers"))

    def clean(self):
        data = super().clean()
        parent = data.get("parent")
        if not data.get("community") and self.only_community is not None:
            data["community"] = self.instance.community = self.only_community
        if parent is not None and not self.instance.pk:
            data["community"] = parent.community  # the parent's community, whatever was chosen
            self.instance.community = parent.community
        return data


class CommunityForm(forms.ModelForm):
    organizers = forms.ModelMultipleChoiceField(
        label=_("Community organizers"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "A community organizer sees the community's grids and assigns their grid workers. "
            "You cannot change your own place."
        ),
    )

    class Meta:
        model = Community
        fields = ["name", "slug", "committee_name", "sort_order"]

    def __init__(self, *args, assigner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizers"].queryset = _organizer_choices(exclude_user=assigner)
        if self.instance.pk:
            self.initial["organizers"] = list(self.instance.assignments.values_list("user_id", flat=True))
        self.assigner = assigner

    def clean_organizers(self):
        return _keeping_own_place(self.cleaned_data["organizers"], self.assigner, self.initial.get("organizers"))


class MoveOutForm(forms.Form):
    moved_out_on = forms.DateField(
        label=_("Moved out on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "Its members are taken off (their history stays), its join code stops working and the door is free."
        ),
    )


class BuildingForm(forms.ModelForm):
    class Meta:
        model = Building
        fields = ["grid", "name", "address", "ethos", "sort_order"]
        widgets = {"ethos": forms.Textarea(attrs={"rows": 4, "maxlength": 500})}
        help_texts = {
            "ethos": _("The building's shared ethos (楼风), shown on its public page. At most 500 characters.")
        }

    def __init__(self, *args, grids=None, **kwargs):
        super().__init__(*args, **kwargs)
        if grids is not None:
            self.fields["grid"].queryset = grids


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Register file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "CSV (UTF-8 or GBK, as Excel saves it) or an Excel workbook (.xlsx), at most %(size)d MB."
        ) % {"size": conf.import_max_bytes() // (1024 * 1024)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        too_large = register_io.size_problem(upload.size)  # refused before the file is read into memory
        if too_large:
            raise forms.ValidationError(too_large)
        return upload


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Do not approve"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (shown to the household)"),
        max_length=300,
        required=False,
        help_text=_("Required when you do not approve."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Please give the household a reason."))
        return cleaned


# --- Residents: family mottos -----------------------------------------------------


class MottoForm(forms.Form):
    text = forms.CharField(
        label=_("Our family motto"),
        max_length=MottoRevision.MAX_LENGTH + 50,  # the exact limit is checked after cleaning invisible characters
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MottoRevision.MAX_LENGTH}),
        help_text=_("Plain text, at most 200 characters. An organizer reads it before it can be shown."),
    )

    def clean_text(self):
        text = clean_motto_text(self.cleaned_data["text"])
        if len(text) < 2:
            raise forms.ValidationError(_("Please write the motto (at least 2 characters)."))
        if len(text) > MottoRevision.MAX_LENGTH:
            raise forms.ValidationError(
                _("A motto can be at most %(limit)d characters; this one has %(count)d.")
                % {"limit": MottoRevision.MAX_LENGTH, "count": len(text)}
            )
        return text


class MottoConsentForm(forms.Form):
    show_on_wall = forms.BooleanField(
        label=_("Show our approved motto on the motto wall"),
        required=False,
        help_text=_(
            "With the building and, if the household agreed to be named, its display name. Never the door number."
        ),
    )
