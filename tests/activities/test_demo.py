"""The demo seeds volunteering through the services, idempotently, and the ledger checks out."""

from __future__ import annotations

import pytest

from activities import demo, services
from activities.models import Activity, LedgerEntry, PointsBalance, Redemption, StoreItem
from families import demo as families_demo

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
    assert counts[0] > 20 and counts[1] > 30 and counts[2] == 6 and counts[3] == 2
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
