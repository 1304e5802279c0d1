"""Which cached public pages show the register's rows (see project.publiccache)."""

from __future__ import annotations

from project.publiccache import HOME, NAMES, family, watch

from .models import Building, Community, FamilyMotto, Grid, Household, MottoRevision, Resident

MOTTOS = family("mottos")  # the motto wall
BUILDINGS = family("buildings")  # the buildings and each building's page

# Consent lives on residents and households, and places' names stand beside people's: every page that
# shows names goes stale when one changes.
watch(Resident, NAMES)
watch(Household, NAMES)
watch(Building, NAMES)
watch(Grid, NAMES)
watch(Community, NAMES)  # the community switcher and each community's pages name it
watch(FamilyMotto, MOTTOS, BUILDINGS, HOME)
watch(MottoRevision, MOTTOS, BUILDINGS, HOME)
