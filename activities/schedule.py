"""What the scheduled tick does for volunteering (``project.schedule``): the reminder the day before an activity."""

from __future__ import annotations

from datetime import datetime

from project import schedule

from . import conf, services
from .models import Activity


@schedule.register("activities.reminders")
def reminders(now: datetime) -> int:
    """Remind the volunteers of each activity that starts within the reminder window (once per activity and day)."""
    due = Activity.objects.filter(
        cancelled_at__isnull=True, starts_at__gt=now, starts_at__lte=now + conf.reminder_window()
    )
    return sum(services.remind_volunteers(activity=activity, now=now) for activity in due)
