"""Which cached public pages show activities, sign-ups, points and the store (see project.publiccache)."""

from __future__ import annotations

from project.publiccache import HOME, family, watch

from .models import Activity, ActivityType, LedgerEntry, Signup, StoreItem

ACTIVITY_LISTS = family("activities")  # the activity list (the home page's panel is HOME's)
ACTIVITY = family("activity", per_object=True)  # one activity's page
LEADERBOARDS = family("leaderboards")  # the leaderboards and volunteers' public pages
STORE = family("store", shows_names=False)  # the points store and its items

watch(ActivityType, ACTIVITY_LISTS, ACTIVITY, LEADERBOARDS, HOME)
watch(Activity, ACTIVITY_LISTS, ACTIVITY.of("pk"), LEADERBOARDS, HOME)
# A sign-up changes its activity's places: that page, the lists and the home page's "open places" panel.
watch(Signup, ACTIVITY_LISTS, ACTIVITY.of("activity_id"), HOME)
# Points and hours reach the boards and volunteers' pages only through the ledger: record_entry updates the
# balance and the leaderboard rows (by SQL) in the entry's transaction, so the entry's own save is the signal.
# A volunteer's page lists confirmed hours, and confirming (or correcting) hours always writes an entry.
watch(LedgerEntry, LEADERBOARDS)
watch(StoreItem, STORE)
