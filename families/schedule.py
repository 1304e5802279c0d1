"""What the scheduled tick does for the register (``project.schedule``): uploads are not kept longer than needed."""

from __future__ import annotations

from datetime import datetime

from project import schedule

from . import services


@schedule.register("families.stale_imports")
def stale_imports(now: datetime) -> int:
    """Checks never imported emptied after ``FAMILIES_IMPORT_KEPT_DAYS``; stored files whose check never ended
    removed after a day (``remove_stale_uploads``); imports whose worker died given back to start again."""
    return (
        services.empty_stale_imports(now=now)
        + services.remove_stale_uploads(now)
        + services.release_stuck_imports(now=now)
    )
