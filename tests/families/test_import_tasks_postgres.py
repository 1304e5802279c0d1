"""The register import through its tasks on PostgreSQL, as a worker runs it: its progress is seen by other
connections (other app servers) while the import's one transaction is still open, and 100,000 rows go
through in bounded memory."""

from __future__ import annotations

import os
import threading
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from families import services
from families.models import Household, RegisterImport, Resident

from .helpers import GOOD_ROWS, csv_bytes

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _read_elsewhere(record_id: int) -> tuple[str, int]:
    """The record as another app server reads it: from another thread, on its own connection."""
    seen = []

    def read():
        try:
            seen.append(RegisterImport.objects.values_list("status", "done").get(pk=record_id))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return seen[0]


def _checked(organizer, content: bytes) -> RegisterImport:
    record = services.receive_upload(
        actor=organizer, upload=SimpleUploadedFile("台账.csv", content), language="zh-hans"
    )
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.PREVIEWED, record.message
    return record


def test_import_progress_is_seen_by_another_connection_while_the_import_transaction_is_open(
    postgres, organizer, monkeypatch
):
    record = _checked(organizer, csv_bytes(GOOD_ROWS))
    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    seen = []
    real = services.write_progress

    def write_and_look(model, pk, **fields):
        real(model, pk, **fields)
        seen.append((connection.in_atomic_block, _read_elsewhere(pk)))

    monkeypatch.setattr(services, "write_progress", write_and_look)
    services.queue_import(record=record, actor=organizer, token=None)  # outside a transaction: the task runs now
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.IMPORTED
    inside = [look for in_transaction, look in seen if in_transaction]
    assert inside and all(status == "importing" for status, _done in inside)
    assert [done for _status, done in inside][-1] == 7  # 3 households + 4 residents, before the commit


@pytest.mark.skipif(
    os.environ.get("SCALE_TESTS") != "1", reason="about 6 minutes under tracemalloc: run with SCALE_TESTS=1"
)
def test_a_100000_row_register_goes_through_the_tasks_in_bounded_memory(postgres, organizer):
    rows = [
        [f"网格{i % 5}", f"楼{i % 40}", f"{i // 40}号", f"张{i}家", f"张{i}", f"张{i}", f"139{i:08d}"]
        for i in range(100_000)
    ]
    content = csv_bytes(rows)
    tracemalloc.start()
    try:
        record = _checked(organizer, content)
        services.queue_import(record=record, actor=organizer, token=None)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.IMPORTED and record.row_count == 100_000
    assert Household.objects.count() == Resident.objects.count() == 100_000
    # The file is 5 MB; reading, checking and writing it holds far less than a worker's memory.
    assert peak < 600 * 1024 * 1024, f"peak {peak // (1024 * 1024)} MB"
