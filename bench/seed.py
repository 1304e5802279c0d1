"""Bench data at community scale, and the offline jobs the benchmark times.

Run inside Django (bench/run.py calls these through `manage.py shell -c`).
"""

from __future__ import annotations

import time


def scale(*, ledger: int, votes: int, activities: int) -> None:
    """Grow the seeded community to bench size (ledger entries, votes, activities)."""
    _scale_ledger(ledger, activities)
    _scale_votes(votes)


def _scale_ledger(entries: int, activities: int) -> None:
    try:
        from activities import bench as activities_bench
    except ImportError:
        print("   (activities has no bench seeder yet: ledger not scaled)")
        return
    start = time.perf_counter()
    activities_bench.scale(ledger_entries=entries, activities=activities, progress=print)
    print(f"   ledger: {entries:,} entries in {time.perf_counter() - start:.1f} s")


def _scale_votes(votes: int) -> None:
    try:
        from awards import bench as awards_bench
    except ImportError:
        print("   (awards has no bench seeder yet: votes not scaled)")
        return
    start = time.perf_counter()
    awards_bench.scale(votes=votes, progress=print)
    print(f"   votes: {votes:,} in {time.perf_counter() - start:.1f} s")


def time_counting(**_sizes) -> float | None:
    try:
        from awards import bench as awards_bench
    except ImportError:
        return None
    start = time.perf_counter()
    awards_bench.count_round()
    return time.perf_counter() - start


def time_import(*, import_rows: int, **_sizes) -> float | None:
    import tempfile

    from django.core.management import call_command, get_commands

    if "import_households" not in get_commands():
        return None
    from families.models import Building

    buildings = list(Building.objects.select_related("grid").order_by("pk")[:12])
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8-sig", delete=False) as handle:
        handle.write("网格,楼院,门牌,家庭名称,户主,姓名,电话\n")
        for row in range(import_rows):
            building = buildings[row % len(buildings)]
            handle.write(
                f"{building.grid.name},{building.name},导入{row // 100}单元{row % 100:03d},张家{row},张{row},张{row},139{row:08d}\n"
            )
        path = handle.name
    start = time.perf_counter()
    call_command("import_households", path, verbosity=0)
    return time.perf_counter() - start


def time_export(*, export_rows: int, **_sizes) -> float | None:
    import tempfile

    from django.core.management import call_command, get_commands

    if "export_ledger" not in get_commands():
        return None
    from django.utils import timezone

    month = timezone.localdate().strftime("%Y-%m")
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
        path = handle.name
    start = time.perf_counter()
    call_command("export_ledger", "--month", month, "--format", "xlsx", "--output", path)
    return time.perf_counter() - start


def vote_fixture(voters: int) -> dict:
    """Logged-in sessions and CSRF secrets for ``voters`` verified residents, and vote URLs."""
    try:
        from awards import bench as awards_bench
    except ImportError:
        return {}
    paths = awards_bench.vote_paths()
    if not paths:
        return {}
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    from families.models import Resident

    people = list(Resident.objects.verified().filter(user__isnull=False).select_related("user").order_by("pk")[:voters])
    sessions = []
    for person in people:
        store = SessionStore()
        store[SESSION_KEY] = str(person.user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = person.user.get_session_auth_hash()
        store.create()
        sessions.append({"session": store.session_key, "csrf": _get_new_csrf_string()})
    return {"voters": sessions, "paths": paths}


def vote_check() -> dict:
    """After the vote run: duplicate votes and voters over their limit (both must be 0)."""
    from awards import bench as awards_bench

    return awards_bench.vote_integrity()
