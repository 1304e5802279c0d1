"""Every threshold of the register's rules, read from ``django.conf.settings`` with the community's defaults.

Read at call time (not import time), so tests and deployments can override any
of them with ``settings.FAMILIES_...`` or the environment variable of the same
name (``project.thresholds``; the README's settings table lists them).
"""

from __future__ import annotations

from datetime import timedelta

from project import thresholds

DEFAULTS = {
    # Wrong join codes (and right codes that link nobody) per account, and wrong codes per client address,
    # in the window below; then the join page refuses until the window ends.
    "FAMILIES_JOIN_ATTEMPTS_PER_ACCOUNT": 5,
    "FAMILIES_JOIN_ATTEMPTS_PER_ADDRESS": 20,
    "FAMILIES_JOIN_WINDOW_SECONDS": 15 * 60,
    # The largest register file an organizer may upload, and the most rows it may hold.
    "FAMILIES_IMPORT_MAX_BYTES": 10 * 1024 * 1024,
    "FAMILIES_IMPORT_MAX_ROWS": 100_000,
    # The problems kept with an upload for its preview page (the count is kept too).
    "FAMILIES_IMPORT_ERRORS_KEPT": 1000,
    # Uploads hold phone numbers: a file checked but never imported is emptied after this many days.
    "FAMILIES_IMPORT_KEPT_DAYS": 7,
    # An import queued or running this long without a word from its worker (the worker died, the queue lost the
    # task) is given back to the organizer to start again; it is one transaction, so it wrote nothing.
    "FAMILIES_IMPORT_STUCK_MINUTES": 120,
    # A household that this many accounts joined or asked to join within the window is flagged on the dashboard.
    "FAMILIES_UNUSUAL_JOIN_ACCOUNTS": 2,
    "FAMILIES_UNUSUAL_JOIN_WINDOW_HOURS": 24,
    "FAMILIES_UNUSUAL_JOINS_SHOWN": 10,
    # Mottos per page of the motto wall; households and waiting members per page of the register; mottos per
    # page of the review queue.
    "FAMILIES_WALL_PAGE_SIZE": 24,
    "FAMILIES_REGISTER_PAGE_SIZE": 50,
    "FAMILIES_QUEUE_PAGE_SIZE": 20,
}
thresholds.register(DEFAULTS)


def get(name: str):
    return thresholds.value(name)


def join_attempts_per_account() -> int:
    return get("FAMILIES_JOIN_ATTEMPTS_PER_ACCOUNT")


def join_attempts_per_address() -> int:
    return get("FAMILIES_JOIN_ATTEMPTS_PER_ADDRESS")


def join_window_seconds() -> int:
    return get("FAMILIES_JOIN_WINDOW_SECONDS")


def import_max_bytes() -> int:
    return get("FAMILIES_IMPORT_MAX_BYTES")


def import_max_rows() -> int:
    return get("FAMILIES_IMPORT_MAX_ROWS")


def import_errors_kept() -> int:
    return get("FAMILIES_IMPORT_ERRORS_KEPT")


def import_kept_for() -> timedelta:
    return timedelta(days=get("FAMILIES_IMPORT_KEPT_DAYS"))


def import_stuck_after() -> timedelta:
    return timedelta(minutes=get("FAMILIES_IMPORT_STUCK_MINUTES"))


def unusual_join_accounts() -> int:
    return get("FAMILIES_UNUSUAL_JOIN_ACCOUNTS")


def unusual_join_window() -> timedelta:
    return timedelta(hours=get("FAMILIES_UNUSUAL_JOIN_WINDOW_HOURS"))


def unusual_joins_shown() -> int:
    return get("FAMILIES_UNUSUAL_JOINS_SHOWN")


def wall_page_size() -> int:
    return get("FAMILIES_WALL_PAGE_SIZE")


def register_page_size() -> int:
    return get("FAMILIES_REGISTER_PAGE_SIZE")


def queue_page_size() -> int:
    return get("FAMILIES_QUEUE_PAGE_SIZE")
