"""Forms of award rounds: what residents and organizers type, checked with readable messages."""

from __future__ import annotations

from collections import Counter

from django import forms
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from families.access import organizer_community_ids
from families.models import Building, Community, Household, Resident
from project.images import PhotoField

from . import conf
from .models import (
    TIMELINE_FIELDS,
    AwardCategory,
    AwardRound,
    NoticePreference,
    RoundCategory,
    TargetKind,
    normalize_person_name,
)


def _with_citation_length(field: forms.CharField) -> None:
    """Give a form's citation field the configured length (``AWARDS_CITATION_MIN`` to ``AWARDS_CITATION_MAX``).

    Read when the form is made, not when this module is imported, so settings
    and the environment decide; the field keeps Django's own length messages.
    """
    low, high = conf.citation_min(), conf.citation_max()
    field.min_length, field.max_length = low, high
    others = [v for v in field.validators if not isinstance(v, (MinLengthValidator, MaxLengthValidator))]
    field.validators = [*others, MinLengthValidator(low), MaxLengthValidator(high)]
    field.widget.attrs.update(minlength=str(low), maxlength=str(high))


class CategoryForm(forms.ModelForm):
    class Meta:
        model = AwardCategory
        fields = ["name", "target_kind", "criteria", "is_active", "sort_order"]
        widgets = {"criteria": forms.Textarea(attrs={"rows": 6})}


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class RoundForm(forms.ModelForm):
    class Meta:
        model = AwardRound
        fields = ["title", "year", "community", "description", "announced", *TIMELINE_FIELDS]
        widgets = {name: DateTimeLocalInput() for name in TIMELINE_FIELDS} | {
            "description": forms.Textarea(attrs={"rows": 4})
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The round's place: a community organizer chooses among their communities; only a street organizer may
        # leave it empty for a street round. Once residents see the round, its place stays.
        field = self.fields["community"]
        communities = organizer_community_ids(user)
        if communities is None:
            field.queryset = Community.objects.all()
            field.empty_label = _("The whole street office (a street round)")
        else:
            field.queryset = Community.objects.filter(pk__in=communities)
            field.required = True
            field.empty_label = None
        field.help_text = _("Who votes: the verified residents of this community, or of the whole street.")
        field.disabled = bool(self.instance.pk and self.instance.announced)
        for name in TIMELINE_FIELDS:
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        if not self.instance.pk:
            self.fields["year"].initial = timezone.localdate().year

    def clean(self):
        cleaned = super().clean()
        values = [cleaned.get(name) for name in TIMELINE_FIELDS]
        if all(values):
            pairs = zip(TIMELINE_FIELDS, TIMELINE_FIELDS[1:], strict=False)
            for (first, second), (a, b) in zip(pairs, zip(values, values[1:], strict=False), strict=False):
                strict = first in ("nominations_open_at", "voting_open_at", "voting_close_at")
                if (a >= b) if strict else (a > b):
                    self.add_error(
                        second,
                        _("“%(later)s” must come after “%(earlier)s”.")
                        % {"later": self.fields[second].label, "earlier": self.fields[first].label},
                    )
        if cleaned.get("announced") and not (self.instance.pk and self.instance.entries.exists()):
            self.add_error(
                "announced",
                _(
                    "Add at least one category to the selection before announcing it: residents would find nothing to do."
                ),
            )
        return cleaned


class EntryForm(forms.ModelForm):
    class Meta:
        model = RoundCategory
        fields = ["category", "winners", "votes_per_voter", "vote_unit", "self_nomination_allowed", "takes_forward"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = AwardCategory.objects.filter(is_active=True)
        if not self.instance.round.is_street_round:
            del self.fields["takes_forward"]  # only a street round takes the communities' winners
        for name in ("winners", "votes_per_voter"):
            self.fields[name].widget.attrs["min"] = 1

    # The database's constraints (RoundCategory.Meta), said in words before it is asked.
    def clean_winners(self) -> int:
        winners = self.cleaned_data["winners"]
        if winners is not None and winners < 1:
            raise forms.ValidationError(_("A category needs at least one winner."), code="no_winner")
        return winners

    def clean_votes_per_voter(self) -> int:
        votes = self.cleaned_data["votes_per_voter"]
        if votes is not None and votes < 1:
            raise forms.ValidationError(_("Each voter needs at least one vote."), code="no_vote")
        return votes

    def clean_category(self):
        category = self.cleaned_data["category"]
        entries = RoundCategory.objects.filter(round_id=self.instance.round_id, category=category)
        if category is not None and entries.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This category is already in this selection."), code="category_twice")
        return category


def household_choices(building: Building) -> list[tuple[int, str]]:
    """Households of a building by display name only (never the door); repeated names get a number."""
    rows = list(
        Household.objects.filter(building=building).order_by("display_name", "pk").values_list("pk", "display_name")
    )
    totals = Counter(name for _pk, name in rows)
    seen: Counter = Counter()
    choices = []
    for pk, name in rows:
        seen[name] += 1
        choices.append((pk, f"{name} ({seen[name]})" if totals[name] > 1 else name))
    return choices


def person_choices(household: Household | None) -> list[tuple[int, str]]:
    """The household's members who agreed to be named in public, by name; repeated names get a number.

    Nobody else is listed: a typed name is how a nominator names anyone else.
    """
    if household is None:
        return []
    rows = list(
        Resident.objects.verified()
        .filter(household=household, show_name_publicly=True)
        .order_by("full_name", "pk")
        .values_list("pk", "full_name")
    )
    totals = Counter(name for _pk, name in rows)
    seen: Counter = Counter()
    choices = []
    for pk, name in rows:
        seen[name] += 1
        choices.append((pk, f"{name} ({seen[name]})" if totals[name] > 1 else name))
    return choices


class NominationForm(forms.Form):
    """Step by step without JavaScript: category and building (and, for a person, the household), then who and why.

    A person is picked from the household's members who agreed to be named in
    public, or their name is typed. A typed name is never looked up here: the
    form answers the same whether or not such a person is in the register.
    """

    entry = forms.ModelChoiceField(label=_("Category"), queryset=RoundCategory.objects.none())
    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.all())
    household = forms.TypedChoiceField(label=_("Household"), coerce=int, required=False)
    person = forms.TypedChoiceField(
        label=_("The person"),
        coerce=int,
        required=False,
        help_text=_("Only members who agreed to be named in public are listed."),
    )
    person_name = forms.CharField(
        label=_("Or type the person's full name"),
        max_length=50,
        required=False,
        help_text=_("An organizer finds the person in the household's register before the nomination goes further."),
    )
    citation = forms.CharField(
        label=_("Citation (事迹)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "data-count": _("%(n)s of %(max)s characters")}),
    )
    photo = PhotoField(label=_("Photo (optional)"), required=False)

    def __init__(self, *args, round: AwardRound, **kwargs):
        super().__init__(*args, **kwargs)
        _with_citation_length(self.fields["citation"])
        self.fields["citation"].help_text = _(
            "Why they deserve the honour: %(min)d to %(max)d characters. Not needed when you second."
        ) % {"min": conf.citation_min(), "max": conf.citation_max()}
        self.fields["entry"].queryset = round.entries.filter(takes_forward=False).select_related("category")
        if not round.is_street_round:  # a community's round nominates its own buildings, households and people
            self.fields["building"].queryset = Building.objects.filter(grid__community=round.community_id)
        self.fields["entry"].label_from_instance = lambda e: (
            f"{e.category.name} · {e.category.get_target_kind_display()}"
        )
        entry = self._value("entry", self.fields["entry"])
        building = self._value("building", self.fields["building"])
        self.entry, self.building = entry, building
        self.fields["household"].choices = [("", "—")] + (household_choices(building) if building else [])
        household_id = self._value("household", self.fields["household"])
        self.household = (
            Household.objects.filter(pk=household_id, building=building).first() if building and household_id else None
        )
        self.fields["person"].choices = [("", _("Someone else: I type the name below"))] + person_choices(
            self.household if self.target_kind == TargetKind.PERSON else None
        )

    def _value(self, name, field):
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        if raw in (None, ""):
            return None
        try:
            return field.clean(raw)
        except forms.ValidationError:
            return None

    @property
    def target_kind(self) -> str | None:
        return self.entry.category.target_kind if self.entry else None

    @property
    def ready(self) -> bool:
        """Whether the second step (who and why) can be shown: a person needs their household chosen first."""
        if not (self.entry and self.building):
            return False
        return self.target_kind != TargetKind.PERSON or self.household is not None

    def clean(self):
        cleaned = super().clean()
        entry, building = cleaned.get("entry"), cleaned.get("building")
        if not entry or not building:
            return cleaned
        kind = entry.category.target_kind
        cleaned["household_obj"] = cleaned["resident_obj"] = None
        cleaned["typed_name"] = ""
        if kind in (TargetKind.HOUSEHOLD, TargetKind.PERSON):
            household = Household.objects.filter(pk=cleaned.get("household") or 0, building=building).first()
            if household is None:
                self.add_error("household", _("Choose a household in that building."))
                return cleaned
            cleaned["household_obj"] = household
            if kind == TargetKind.PERSON:
                picked = cleaned.get("person")
                typed = normalize_person_name(cleaned.get("person_name") or "")
                if picked and typed:
                    self.add_error("person_name", _("Choose a name from the list or type one, not both."))
                elif picked:
                    # The choices are exactly the consenting members of this household (see __init__).
                    cleaned["resident_obj"] = Resident.objects.verified().filter(pk=picked, household=household).first()
                elif typed:
                    cleaned["typed_name"] = typed
                else:
                    self.add_error("person_name", _("Choose the person from the list, or type their name."))
        return cleaned


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("shortlist", _("Shortlist")), ("reject", _("Do not shortlist"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (the nominator sees it)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Please give the reason for not shortlisting; the nominator will see it."))
        return cleaned


def linkable_people(household_ids) -> dict[int, list[tuple[int, str]]]:
    """For organizers linking typed names: each household's people in the register (not removed), in one query."""
    people: dict[int, list[tuple[int, str]]] = {}
    rows = (
        Resident.objects.filter(household_id__in=household_ids)
        .exclude(status=Resident.Status.REMOVED)
        .order_by("full_name", "pk")
        .values_list("household_id", "pk", "full_name", "status")
    )
    for household_id, pk, name, status in rows:
        label = name if status == Resident.Status.VERIFIED else f"{name} ({Resident.Status(status).label})"
        people.setdefault(household_id, []).append((pk, label))
    return people


class LinkForm(forms.Form):
    """An organizer names the register person a typed name means (at review)."""

    resident = forms.TypedChoiceField(label=_("The person in the register"), coerce=int)
    merge = forms.BooleanField(
        label=_("If this person is already nominated in this category, merge into that nomination"), required=False
    )

    def __init__(self, *args, people: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].choices = [("", "—"), *people]


class CitationForm(forms.Form):
    citation = forms.CharField(label=_("Citation"), widget=forms.Textarea(attrs={"rows": 6}))
    reason = forms.CharField(label=_("Why it changes"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _with_citation_length(self.fields["citation"])


class PaperTallyForm(forms.Form):
    photo = PhotoField(label=_("Photo of the tally sheet"), required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, nominations, **kwargs):
        super().__init__(*args, **kwargs)
        self.nominations = list(nominations)
        for nomination in self.nominations:
            self.fields[f"n{nomination.pk}"] = forms.IntegerField(
                label=nomination.target_name, min_value=0, max_value=100000, initial=nomination.paper_votes
            )

    def counts(self) -> dict[int, int]:
        return {n.pk: self.cleaned_data[f"n{n.pk}"] for n in self.nominations}


class ConfirmForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for any change to the ranking"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when the winners are not the top of the ranking, or a tie at the cut-off is settled."),
    )

    def __init__(self, *args, results, **kwargs):
        super().__init__(*args, **kwargs)
        self.results = results
        for result in results:
            self.fields[f"e{result.entry.pk}"] = forms.TypedMultipleChoiceField(
                label=result.entry.category.name,
                coerce=int,
                required=False,
                choices=[(row.nomination.pk, row.nomination.target_name) for row in result.rows],
                initial=sorted(
                    {row.nomination.pk for row in result.rows if row.nomination.is_winner}
                    if result.entry.confirmed_at
                    else result.default_winner_ids
                ),
                widget=forms.CheckboxSelectMultiple,
            )

    def winners(self) -> dict[int, set[int]]:
        return {r.entry.pk: set(self.cleaned_data.get(f"e{r.entry.pk}") or []) for r in self.results}


class ObjectionForm(forms.Form):
    nomination = forms.TypedChoiceField(label=_("About"), coerce=int, required=False)
    text = forms.CharField(
        label=_("Your objection"), min_length=10, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, winners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nomination"].choices = [("", _("The round as a whole"))] + [
            (n.pk, f"{n.entry.category.name} · {n.target_name}") for n in winners
        ]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer (public)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawHonourForm(forms.Form):
    reason = forms.CharField(label=_("Reason (public)"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class NoticePreferenceForm(forms.ModelForm):
    class Meta:
        model = NoticePreference
        fields = ["voting_open"]
