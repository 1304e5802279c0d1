"""The demo seeds volunteering through the services, idempotently, and the ledger checks out."""

from __future__ import annotations

import pytest

from activities import demo, services
from activities.models import Activity, LedgerEntry, PointsBalance, Redemption, Signup, StoreItem
from families import demo as families_demo
from families.models import Community

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_consistent(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(demo, "PAST_ACTIVITIES", 16)
    monkeypatch.setattr(demo, "STAR_VOLUNTEERS", {2: 16, 1: 13})
    families_demo.seed(households=20)
    demo.seed()
    counts = (
        Activity.objects.count(),
        LedgerEntry.objects.count(),
        StoreItem.objects.count(),
        Redemption.objects.count(),
    )
    assert counts[0] > 20 and counts[1] > 30 and counts[2] == 6 + 2 * 3 and counts[3] == 2
    demo.seed()
    assert counts == (
        Activity.objects.count(),
        LedgerEntry.objects.count(),
        StoreItem.objects.count(),
        Redemption.objects.count(),
    )
    assert services.ledger_differences() == []
    assert services.signup_count_differences() == []
    # the star volunteers have their stars (13 full days = 104 hours = one star)
    assert all(item.photo for item in StoreItem.objects.all())
    assert sorted(balance.stars for balance in PointsBalance.objects.all())[-2:] == [1, 1]


def test_the_demo_street_hosts_activities_and_stores_at_both_levels(monkeypatch, settings, tmp_path):
    """The street office and every community host activities (some of the communities' open to the whole street,
    some not); the street has its store and each community its own; nobody signed up outside an activity's reach."""
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(demo, "PAST_ACTIVITIES", 16)
    monkeypatch.setattr(demo, "STAR_VOLUNTEERS", {2: 16, 1: 13})
    families_demo.seed(households=60)
    demo.seed()
    communities = list(Community.objects.all())
    assert len(communities) == 3
    hosted = Activity.objects.filter(title__startswith=demo.MARKER)
    assert hosted.filter(community__isnull=True).exists()
    for community in communities:
        assert hosted.filter(community=community).exists(), community
        assert StoreItem.objects.filter(community=community).count() == 2, community
    assert StoreItem.objects.filter(community__isnull=True).count() == 6
    assert hosted.filter(community__isnull=False, open_to_street=True).exists()
    assert hosted.filter(community__isnull=False, open_to_street=False).exists()
    signups = Signup.objects.select_related("activity", "resident__household__building__grid")
    assert signups.count() > 30
    for signup in signups:
        assert signup.activity.open_to(signup.resident.household.building.grid.community_id), signup.activity
    assert services.ledger_differences() == []
