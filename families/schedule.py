"""What the scheduled tick does for the register (``project.schedule``): uploads never imported are emptied."""

from __future__ import annotations

from datetime import datetime

from project import schedule

from . import services


@schedule.register("families.stale_imports")
def stale_imports(now: datetime) -> int:
    return services.empty_stale_imports(now=now)
