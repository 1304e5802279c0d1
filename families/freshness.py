"""Which cached pages show the register's rows (see project.publiccache)."""

from __future__ import annotations

from project.models import Profile
from project.publiccache import HOME, NAMES, family, watch

from .models import Building, Community, FamilyMotto, Grid, Household, MottoRevision, Resident

MOTTOS = family("mottos")  # the motto wall
BUILDINGS = family("buildings")  # the buildings and each building's page

# A resident's own page (/me/, families.views.me), kept per reader: what it shows of the resident (their
# sign-ups, points, redemptions, nominations), of their household (votes cast for the whole household) and of
# their account (their details). Apps watch their models with these, scoped to the row's resident, household
# or account, and unscoped for rows every resident's page shows (an activity's title, a round's ballot).
MY_PAGE = family("my-page", per_object=True)
MY_HOUSEHOLD = family("my-household", per_object=True)
MY_ACCOUNT = family("my-account", per_object=True)

# Consent lives on residents and households, and places' names stand beside people's: every page that
# shows names goes stale when one changes (and "my page", which shows the reader's own choices).
watch(Resident, NAMES)
watch(Household, NAMES)
watch(Building, NAMES)
watch(Grid, NAMES)
watch(Community, NAMES)  # the community switcher and each community's pages name it
watch(FamilyMotto, MOTTOS, BUILDINGS, HOME)
watch(MottoRevision, MOTTOS, BUILDINGS, HOME)
watch(Profile, MY_ACCOUNT.of("user_id"))
