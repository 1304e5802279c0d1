"""The register's background work: checking an uploaded register file and importing it (Django's tasks API).

The functions here only name the work; what it does is in ``services`` (``run_check``, ``run_import``), where the
record's state is compared and set, so a task run twice does nothing the second time.
"""

from __future__ import annotations

from django_tasks import task

from project import progress

from . import services


@task()
def check_register_upload(record_id: int) -> None:
    """Read and check a stored upload; the record's page shows the preview when it is done."""
    services.run_check(record_id=record_id)


@task()
def import_checked_upload(record_id: int) -> None:
    """Write the checked rows of an upload whose "Import now" was pressed, all or nothing."""
    try:
        services.run_import(record_id=record_id)
    finally:
        progress.close()
