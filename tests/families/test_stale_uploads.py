"""The scheduled tick empties register uploads that were checked but never imported once they are
``FAMILIES_IMPORT_KEPT_DAYS`` old (they hold phone numbers); imported ones and recent ones are kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from families.models import RegisterImport
from project import schedule

pytestmark = pytest.mark.django_db


def _upload(*, days_old: int, status=RegisterImport.Status.PREVIEWED) -> RegisterImport:
    record = RegisterImport.objects.create(
        filename="户籍.csv", plan={"rows": ["13812345678"]}, preview={"row_count": 1}, status=status
    )
    RegisterImport.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=days_old))
    return record


def test_the_tick_empties_abandoned_uploads_and_keeps_the_rest(settings):
    settings.FAMILIES_IMPORT_KEPT_DAYS = 7
    stale, recent = _upload(days_old=8), _upload(days_old=2)
    imported = _upload(days_old=30, status=RegisterImport.Status.IMPORTED)
    assert schedule.run_due()["families.stale_imports"] == 1
    assert schedule.run_due()["families.stale_imports"] == 0  # a second tick finds nothing more
    stale.refresh_from_db()
    assert stale.plan is None and stale.preview == {} and stale.filename == "户籍.csv"
    for kept in (recent, imported):
        kept.refresh_from_db()
        assert kept.plan == {"rows": ["13812345678"]}


def _stuck(*, minutes_old: int, status) -> RegisterImport:
    record = RegisterImport.objects.create(
        filename="户籍.csv", plan={"rows": ["13812345678"]}, preview={"row_count": 1}, status=status
    )
    RegisterImport.objects.filter(pk=record.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes_old))
    return record


def test_an_import_whose_worker_died_can_be_started_again(settings):
    """The import is one transaction: a worker killed mid-import wrote nothing, but the row said "being
    imported" for ever. The tick gives it back to the organizer, checked rows kept, with the reason."""
    settings.FAMILIES_IMPORT_STUCK_MINUTES = 120
    died = _stuck(minutes_old=121, status=RegisterImport.Status.IMPORTING)
    lost = _stuck(minutes_old=200, status=RegisterImport.Status.TO_IMPORT)  # the queue lost the task
    running = _stuck(minutes_old=5, status=RegisterImport.Status.IMPORTING)
    assert schedule.run_due()["families.stale_imports"] == 2
    assert schedule.run_due()["families.stale_imports"] == 0  # a second tick finds nothing more
    for record in (died, lost):
        record.refresh_from_db()
        assert record.status == RegisterImport.Status.PREVIEWED
        assert record.plan == {"rows": ["13812345678"]}  # "Import now" works again on the same checked rows
        assert "nothing was imported" in record.message
    running.refresh_from_db()
    assert running.status == RegisterImport.Status.IMPORTING
