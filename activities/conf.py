"""Every threshold of the volunteering rules, read from ``django.conf.settings`` with the community's defaults.

Read at call time (not import time), so tests and deployments can override any
of them with ``settings.ACTIVITIES_...`` or the environment variable of the
same name (``project.thresholds``; the README's settings table lists them).
"""

from __future__ import annotations

from datetime import timedelta

from project import thresholds

DEFAULTS = {
    # Residents may cancel a sign-up until this many hours before the start.
    "ACTIVITIES_CANCEL_CLOSES_HOURS": 2,
    # Check-in codes and QR codes work from this many minutes before the start until this many after the end.
    "ACTIVITIES_CHECKIN_GRACE_MINUTES": 30,
    # A QR code shown at the venue expires after this many seconds (the organizer's page refreshes it).
    "ACTIVITIES_QR_MAX_AGE_SECONDS": 15 * 60,
    # Wrong check-in codes allowed per account, and per client address (a venue's shared Wi-Fi carries many
    # honest volunteers), in the window below.
    "ACTIVITIES_CODE_ATTEMPTS": 5,
    "ACTIVITIES_CODE_ATTEMPTS_PER_ADDRESS": 30,
    "ACTIVITIES_CODE_WINDOW_SECONDS": 10 * 60,
    # Credited hours per person per day.
    "ACTIVITIES_DAILY_HOURS_CAP": 8,
    # Repeated no-shows: this many in this many days block new sign-ups for BLOCK_DAYS after the last one.
    "ACTIVITIES_NO_SHOW_LIMIT": 2,
    "ACTIVITIES_NO_SHOW_WINDOW_DAYS": 90,
    "ACTIVITIES_NO_SHOW_BLOCK_DAYS": 30,
    # Cumulative confirmed hours for one to five stars (community volunteer registration rules).
    "ACTIVITIES_STAR_THRESHOLDS": (100, 300, 600, 1000, 1500),
    # Largest points per hour an organizer may set, and largest capacity.
    "ACTIVITIES_MAX_POINTS_PER_HOUR": 100,
    "ACTIVITIES_MAX_CAPACITY": 1000,
    # Who issues the volunteer service record (志愿服务记录证明); empty means the resident's community's committee.
    "ACTIVITIES_RECORD_ISSUER": "",
    # Service records one resident's records may be issued a day (each takes a number that stays forever).
    "ACTIVITIES_RECORDS_PER_DAY": 10,
    # Activities, ledger lines and organizer lists per page.
    "ACTIVITIES_PAGE_SIZE": 20,
    # Volunteers signed up for an activity are reminded this many hours before it starts (the scheduled tick).
    "ACTIVITIES_REMINDER_HOURS": 24,
    # How long a leaderboard's period totals are kept in the shared cache (seconds).
    "ACTIVITIES_LEADERBOARD_SUMMARY_SECONDS": 60,
}
thresholds.register(DEFAULTS)


def get(name: str):
    return thresholds.value(name)


def reminder_window() -> timedelta:
    return timedelta(hours=get("ACTIVITIES_REMINDER_HOURS"))


def cancel_closes_hours() -> int:
    return get("ACTIVITIES_CANCEL_CLOSES_HOURS")


def checkin_grace_minutes() -> int:
    return get("ACTIVITIES_CHECKIN_GRACE_MINUTES")


def qr_max_age_seconds() -> int:
    return get("ACTIVITIES_QR_MAX_AGE_SECONDS")


def code_attempts() -> int:
    return get("ACTIVITIES_CODE_ATTEMPTS")


def code_attempts_per_address() -> int:
    return get("ACTIVITIES_CODE_ATTEMPTS_PER_ADDRESS")


def code_window_seconds() -> int:
    return get("ACTIVITIES_CODE_WINDOW_SECONDS")


def daily_hours_cap() -> int:
    return get("ACTIVITIES_DAILY_HOURS_CAP")


def no_show_limit() -> int:
    return get("ACTIVITIES_NO_SHOW_LIMIT")


def no_show_window_days() -> int:
    return get("ACTIVITIES_NO_SHOW_WINDOW_DAYS")


def no_show_block_days() -> int:
    return get("ACTIVITIES_NO_SHOW_BLOCK_DAYS")


def star_thresholds() -> tuple[int, ...]:
    return get("ACTIVITIES_STAR_THRESHOLDS")


def max_points_per_hour() -> int:
    return get("ACTIVITIES_MAX_POINTS_PER_HOUR")


def max_capacity() -> int:
    return get("ACTIVITIES_MAX_CAPACITY")


def page_size() -> int:
    return get("ACTIVITIES_PAGE_SIZE")


def leaderboard_summary_seconds() -> int:
    return get("ACTIVITIES_LEADERBOARD_SUMMARY_SECONDS")


def records_per_day() -> int:
    return get("ACTIVITIES_RECORDS_PER_DAY")


def record_issuer(resident) -> str:
    """Who issues ``resident``'s service record: ``ACTIVITIES_RECORD_ISSUER``, else the committee of the community
    the resident lives in."""
    issuer = get("ACTIVITIES_RECORD_ISSUER")
    if issuer:
        return issuer
    from families.models import Community, issuing_body_of

    return issuing_body_of(Community.objects.of_household(resident.household_id))


def star_rank(half_hours: int) -> int:
    """Stars (0–5) for cumulative confirmed hours, given in half hours."""
    hours = half_hours / 2
    return sum(1 for threshold in star_thresholds() if hours >= threshold)
