from __future__ import annotations

import pytest

from activities import services
from activities.models import LedgerEntry


@pytest.fixture
def member(resident):
    """The resident's verified membership (a families.Resident)."""
    return resident.residencies.get()


@pytest.fixture
def neighbour_member(neighbour):
    return neighbour.residencies.get()


@pytest.fixture
def give_points():
    """Credit points through the one ledger entry point (as an organizer's award)."""

    def _give(member, amount: int, organizer=None):
        return services.award_points(resident=member, amount=amount, reason="测试积分", actor=organizer)

    return _give


@pytest.fixture
def ledger_ok():
    def _check():
        assert services.ledger_differences() == []
        return LedgerEntry.objects.count()

    return _check
