"""Which cached public pages show activities, sign-ups, points and the store (see project.publiccache)."""

from __future__ import annotations

from families.freshness import MY_PAGE
from project.publiccache import HOME, family, watch

from .models import Activity, ActivityType, LedgerEntry, Redemption, Signup, StoreItem

ACTIVITY_LISTS = family("activities")  # the activity list (the home page's panel is HOME's)
ACTIVITY = family("activity", per_object=True)  # one activity's page
LEADERBOARDS = family("leaderboards")  # the leaderboards and volunteers' public pages
STORE = family("store", shows_names=False)  # the points store and its items

watch(ActivityType, ACTIVITY_LISTS, ACTIVITY, LEADERBOARDS, HOME)
# "My page" lists a resident's next activities by title and time: an activity's change reaches every reader's.
watch(Activity, ACTIVITY_LISTS, ACTIVITY.of("pk"), LEADERBOARDS, HOME, MY_PAGE)
# A sign-up changes its activity's places: that page, the lists and the home page's "open places" panel; and
# its resident's own page.
watch(Signup, ACTIVITY_LISTS, ACTIVITY.of("activity_id"), HOME, MY_PAGE.of("resident_id"))
# Points and hours reach the boards and volunteers' pages only through the ledger: record_entry updates the
# balance and the leaderboard rows (by SQL) in the entry's transaction, so the entry's own save is the signal.
# A volunteer's page lists confirmed hours, and confirming (or correcting) hours always writes an entry.
# The resident's own page shows their hours, star rank and balance, which move with each of their entries.
watch(LedgerEntry, LEADERBOARDS, MY_PAGE.of("resident_id"))
watch(StoreItem, STORE)
watch(Redemption, MY_PAGE.of("resident_id"))  # "N items wait for you at the community centre"
