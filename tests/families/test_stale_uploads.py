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
