"""django-filter sets for the register (organizers) and the motto wall (public)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .access import scope_to_organizer
from .models import Building, Community, FamilyMotto, Grid, Household, Resident


def _organizer_grids(request):
    return scope_to_organizer(Grid.objects.all(), getattr(request, "user", None), grid_path="id")


def _organizer_buildings(request):
    return scope_to_organizer(Building.objects.all(), getattr(request, "user", None), grid_path="grid_id")


class HouseholdFilter(django_filters.FilterSet):
    grid = django_filters.ModelChoiceFilter(
        field_name="building__grid", queryset=_organizer_grids, label=_("Grid"), empty_label=_("All grids")
    )
    building = django_filters.ModelChoiceFilter(
        queryset=_organizer_buildings, label=_("Building"), empty_label=_("All buildings")
    )
    joined = django_filters.ChoiceFilter(
        method="filter_joined",
        label=_("Joined online"),
        empty_label=_("All households"),
        choices=[("yes", _("Someone has joined")), ("no", _("Nobody has joined yet"))],
    )
    q = django_filters.CharFilter(method="search", label=_("Search"), help_text=_("Name, door or head of household"))

    class Meta:
        model = Household
        fields = ["grid", "building", "joined", "q"]

    def filter_joined(self, queryset, name, value):
        """Households where someone has joined with an account (verified), or nobody yet: who still needs a slip."""
        joined = Resident.objects.filter(status=Resident.Status.VERIFIED, user__isnull=False).values("household_id")
        if value == "yes":
            return queryset.filter(pk__in=joined)
        if value == "no":
            return queryset.exclude(pk__in=joined)
        return queryset

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        matching_people = Resident.objects.filter(full_name__icontains=value).values("household_id")
        return queryset.filter(
            Q(display_name__icontains=value)
            | Q(door_label__icontains=value)
            | Q(head_name__icontains=value)
            | Q(pk__in=matching_people)
        )


class MottoWallFilter(django_filters.FilterSet):
    grid = django_filters.ModelChoiceFilter(
        field_name="household__building__grid",
        queryset=Grid.objects.all(),
        label=_("Grid"),
        empty_label=_("All grids"),
    )
    building = django_filters.ModelChoiceFilter(
        field_name="household__building",
        queryset=Building.objects.all(),
        label=_("Building"),
        empty_label=_("All buildings"),
    )
    q = django_filters.CharFilter(method="search", label=_("Search"), help_text=_("Words of a motto, or a family"))

    class Meta:
        model = FamilyMotto
        fields = ["grid", "building", "q"]

    def __init__(self, *args, community: Community | None = None, **kwargs) -> None:
        """On a community's wall, only its mottos, and only its grids and buildings to choose from."""
        if community is not None:
            kwargs["queryset"] = kwargs["queryset"].in_community(community)
        super().__init__(*args, **kwargs)
        if community is not None:
            self.filters["grid"].queryset = Grid.objects.filter(community=community)
            self.filters["building"].queryset = Building.objects.filter(grid__community=community)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # A household's name is only searchable if the household agreed to be named.
        return queryset.filter(
            Q(approved_revision__text__icontains=value)
            | Q(household__building__name__icontains=value)
            | Q(household__show_publicly=True, household__display_name__icontains=value)
        )
