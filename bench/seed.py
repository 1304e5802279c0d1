"""Bench data at community scale, and the offline jobs the benchmark times.

Run inside Django: bench/run.py calls these through ``manage.py shell -c``.
Bulk loading here writes rows directly (it is not a user action): ledger
entries go in with their balances and leaderboard rows computed alongside, and
``verify_ledger`` must still pass afterwards.
"""

from __future__ import annotations

import itertools
import random
import re
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from django.db import connection, models, transaction
from django.utils import timezone

BENCH_ROUND_TITLE = "压力测试评选"
BATCH = 5000


def _progress(label: str, done: int, total: int, started: float) -> None:
    print(
        f"   {label}: {done:,}/{total:,} ({done * 100 // max(total, 1)}%, {time.perf_counter() - started:.0f} s)",
        flush=True,
    )


def scale(
    *,
    ledger: int,
    votes: int,
    activities: int,
    export_rows: int = 0,
    upcoming: int = 0,
    accounts: int = 0,
    signups: int = 0,
) -> None:
    """Grow the seeded community to bench size."""
    _scale_activities(activities)
    _scale_signups(upcoming, accounts, signups)
    _scale_ledger(ledger, export_rows or min(ledger // 10, 100_000))
    _scale_votes(votes)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --- Activities -------------------------------------------------------------------


def _create_activities(
    count: int, *, rng: random.Random, title: str, days: tuple[int, int], capacity: tuple[int, int]
) -> None:
    """``count`` two-hour activities starting ``days`` from now (a random day in that range), of every type in
    turn, with ``capacity`` places (a random number in that range), hosted by the street and each community in
    turn. A community's activities still to come are open to the whole street (the sign-up figure signs anyone
    up), half of its past ones to its own residents only."""
    from activities.models import Activity, ActivityType
    from families.models import Community

    types = list(ActivityType.objects.all())
    hosts = [None, *Community.objects.order_by("sort_order", "pk").values_list("pk", flat=True)]
    now = timezone.now()
    rows = []
    for index in range(count):
        starts = now + timedelta(days=rng.randint(*days), hours=rng.randint(0, 10))
        host = hosts[index % len(hosts)]
        rows.append(
            Activity(
                type=types[index % len(types)],
                community_id=host,
                open_to_street=host is not None and (starts > now or index % 2 == 0),
                title=f"{title} {index}",
                place="社区服务中心",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                capacity=rng.randint(*capacity),
                signup_deadline=starts - timedelta(hours=12),
                points_per_hour=10,
            )
        )
    Activity.objects.bulk_create(rows, batch_size=1000)


def _scale_activities(total: int) -> None:
    from activities.models import Activity

    missing = total - Activity.objects.count()
    if missing <= 0:
        return
    started = time.perf_counter()
    _create_activities(missing, rng=random.Random(8), title="志愿活动", days=(-700, 60), capacity=(5, 40))
    print(f"   activities: {total:,} ({time.perf_counter() - started:.1f} s)", flush=True)


def _scale_signups(upcoming: int, accounts: int, signups: int) -> None:
    """Issue #15's data: ``upcoming`` activities ahead, ``accounts`` residents with accounts (as many as the
    register has, at the quick size) and ``signups`` sign-ups spread over them, confirmed up to each activity's
    capacity, then waiting; the counts kept on each activity row set from them."""
    from activities.models import Activity, Signup
    from activities.services import recount_signups

    if upcoming <= 0:
        return
    now = timezone.now()
    ahead = Activity.objects.filter(starts_at__gt=now, cancelled_at__isnull=True)
    missing = upcoming - ahead.count()
    if missing <= 0:
        return
    rng = random.Random(15)  # the sign-ups below go on drawing from it
    _create_activities(missing, rng=rng, title="近期志愿活动", days=(2, 90), capacity=(5, 15))
    _give_accounts(accounts)
    people = list(_residents_with_accounts(accounts))
    activities = list(
        ahead.filter(title__startswith="近期志愿活动").values_list("pk", "capacity")
    )  # the demo's have theirs
    batch, made, started = [], 0, time.perf_counter()
    per_activity = max(1, signups // len(activities))
    for index, (activity_id, capacity) in enumerate(activities):
        want = min(per_activity + (1 if index < signups - per_activity * len(activities) else 0), len(people))
        for place, person in enumerate(rng.sample(people, want)):
            status = Signup.Status.CONFIRMED if place < capacity else Signup.Status.WAITLISTED
            batch.append(Signup(activity_id=activity_id, resident_id=person.pk, status=status))
            made += 1
        if len(batch) >= BATCH:
            Signup.objects.bulk_create(batch)
            batch = []
    Signup.objects.bulk_create(batch)
    recount_signups()
    _progress("sign-ups", made, signups, started)
    print(f"   upcoming activities: {ahead.count():,}, residents with accounts: {len(people):,}")


def signup_fixture(people: int, per_person: int, draw: int = 16) -> dict:
    """Sessions, CSRF secrets and one-time form tokens for ``people`` residents each signing up for
    ``per_person`` upcoming activities they are not on yet: one request each, never the same twice. ``draw``
    seeds the choice of activities (another draw for each run that keeps its sign-ups, as the profiler's)."""
    from activities.models import Activity, Signup
    from activities.services import SIGN_UP_FORM
    from project.formtokens import new_token
    from tests.serving import session_for

    now = timezone.now()
    open_ids = list(
        Activity.objects.filter(signup_deadline__gt=now, cancelled_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rng = random.Random(draw)
    requests = []
    for person in _residents_with_accounts(people):
        taken = set(Signup.objects.filter(resident=person).values_list("activity_id", flat=True))
        session, csrf = session_for(person.user)
        for activity_id in [pk for pk in rng.sample(open_ids, min(len(open_ids), per_person * 3)) if pk not in taken][
            :per_person
        ]:
            requests.append(
                {
                    "cookie": f"sessionid={session}; csrftoken={csrf}",
                    "csrf": csrf,
                    "path": f"/activities/{activity_id}/sign-up/",
                    "body": "form_token=" + quote(new_token(person.user, SIGN_UP_FORM), safe=""),
                }
            )
    rng.shuffle(requests)
    return {"requests": requests, "signups_before": Signup.objects.count(), "over_capacity_before": _over_capacity()}


def _over_capacity() -> int:
    """Activities with more confirmed volunteers than places (walk-ins may do that; sign-ups never may)."""
    from django.db.models import F

    from activities.models import Activity

    return Activity.objects.filter(confirmed_count__gt=F("capacity")).count()


def signup_check() -> dict:
    """After the sign-up run: activities over capacity and counts on the row that differ from a recount."""
    from activities.models import Signup
    from activities.services import signup_count_differences

    return {
        "over_capacity": _over_capacity(),
        "count_differences": len(signup_count_differences()),
        "signups_after": Signup.objects.count(),
    }


def page_paths() -> dict:
    """The signed-in pages issue #15 measures: the ballot of the bench round (200 nominations); and issue #18's
    leaderboard of the first community."""
    from families.models import Community

    round_ = _bench_round()
    community = Community.objects.order_by("sort_order", "name").first()
    return {
        "ballot": f"/rounds/{round_.pk}/nominations/" if round_ else None,
        "community_points": f"/c/{community.slug}/points/",
    }


# --- Points ledger ------------------------------------------------------------------


def _scale_ledger(entries: int, this_month: int) -> None:
    """Append ``entries`` earned-points entries, ``this_month`` of them dated this month, with balances and rows.

    On PostgreSQL the lines go in with ``COPY`` (a few times faster than ``bulk_create`` at millions of rows),
    on SQLite with ``bulk_create``. Balances and leaderboard rows are summed per resident and month as the lines
    are drawn (a row's sums are linear in its lines, and ``period_keys`` depends only on the month), then each
    (resident, month) is passed through the ledger's own rule, ``aggregate_rows_for``, once."""
    from types import SimpleNamespace

    from activities.models import LedgerEntry, PointsAggregate, PointsBalance
    from activities.services import aggregate_rows_for
    from families.models import Resident

    existing = LedgerEntry.objects.count()
    missing = entries - existing
    if missing <= 0:
        return
    people = list(
        Resident.objects.verified()
        .order_by("pk")
        .values_list(
            "pk",
            "household_id",
            "household__building_id",
            "household__building__grid_id",
            "household__building__grid__community_id",
        )
    )
    rng = random.Random(11)
    today = timezone.localdate()
    month_start = today.replace(day=1)
    this_month_days = max((today - month_start).days, 1)
    days = [month_start - timedelta(days=back) for back in range(1001)]
    day_text = [day.isoformat() for day in days]
    month_of_day = [(day.year, day.month) for day in days]
    # (person index, year, month) -> [points, half hours]
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    started = time.perf_counter()
    copy = connection.vendor == "postgresql"
    writer = _copy_ledger if copy else _bulk_ledger
    batch = []
    count = len(people)
    for number in range(missing):
        person = rng.randrange(count)
        if number < this_month:
            offset = rng.randrange(this_month_days)
            day = month_start + timedelta(days=offset)
            key, text = (person, day.year, day.month), day.isoformat()
        else:
            back = rng.randint(1, 1000)
            key, text = (person, *month_of_day[back]), day_text[back]
        half_hours = rng.choice((2, 3, 4, 6))
        amount = half_hours * 5
        batch.append((people[person], amount, half_hours, text, existing + number))
        totals = sums[key]
        totals[0] += amount
        totals[1] += half_hours
        if len(batch) == BATCH * 10:
            writer(batch)
            batch = []
            if (number + 1) % 500_000 == 0:
                _progress("ledger entries", number + 1, missing, started)
    if batch:
        writer(batch)
    _progress(f"ledger entries ({'COPY' if copy else 'bulk_create'})", missing, missing, started)

    started = time.perf_counter()
    balances: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows: dict[tuple, list] = defaultdict(lambda: [0, 0, None])
    for (person, year, month), (amount, half_hours) in sums.items():
        resident_id, household_id, building_id, grid_id, community_id = people[person]
        totals = balances[resident_id]
        totals[0] += amount
        totals[1] += half_hours
        summed = SimpleNamespace(
            amount=amount,
            half_hours=half_hours,
            counts_for_ranking=True,
            resident_id=resident_id,
            household_id=household_id,
            building_id=building_id,
            grid_id=grid_id,
            occurred_on=date(year, month, 1),
        )
        # The same leaderboard rows record_entry would add to, from the ledger's own rule.
        for scope, scope_id, kind, key, row_community, points, entry_half_hours in aggregate_rows_for(
            summed, community_id=community_id
        ):
            row = rows[(scope, scope_id, kind, key)]
            row[0] += points
            row[1] += entry_half_hours
            row[2] = row_community

    # Rows already there (the demo's, or an earlier scale-up's) are replaced by rows with the sums added:
    # deleting and loading them again is far faster than a bulk UPDATE of tens of thousands of rows.
    now = timezone.now()
    with transaction.atomic():
        loaded = {resident_id: [amount, amount, half_hours] for resident_id, (amount, half_hours) in balances.items()}
        replaced = []
        for balance in PointsBalance.objects.filter(resident_id__in=list(balances)).iterator(chunk_size=BATCH):
            totals = loaded[balance.resident_id]
            totals[0] += balance.balance
            totals[1] += balance.lifetime_earned
            totals[2] += balance.half_hours
            replaced.append(balance.pk)
        _delete(PointsBalance, replaced)
        _load(
            PointsBalance,
            ("resident_id", "balance", "lifetime_earned", "half_hours", "updated_at"),
            ((resident_id, *totals, now) for resident_id, totals in loaded.items()),
        )

        replaced = []
        for row in PointsAggregate.objects.iterator(chunk_size=BATCH):
            key = (row.scope, row.scope_id, row.period_kind, row.period_key)
            if key in rows:
                sums = rows[key]  # the community stays the one of the row's latest entry: the loaded lines'
                sums[0] += row.points
                sums[1] += row.half_hours
                replaced.append(row.pk)
        _delete(PointsAggregate, replaced)
        _load(
            PointsAggregate,
            ("scope", "scope_id", "period_kind", "period_key", "community_id", "points", "half_hours"),
            ((*key, community_id, points, half_hours) for key, (points, half_hours, community_id) in rows.items()),
        )
    print(
        f"   ledger: {entries:,} entries, {len(balances):,} balances, {len(rows):,} leaderboard rows "
        f"(summed and written in {time.perf_counter() - started:.1f} s)",
        flush=True,
    )


def _delete(model, pks: list[int]) -> None:
    for start in range(0, len(pks), BATCH):
        model.objects.filter(pk__in=pks[start : start + BATCH])._raw_delete(connection.alias)


def _load(model, fields: tuple[str, ...], rows) -> None:
    """Insert ``rows`` (tuples of ``fields``' values): PostgreSQL's COPY, or ``bulk_create`` on SQLite."""
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, BATCH * 10)):
        if connection.vendor != "postgresql":
            model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in chunk], batch_size=BATCH)
            continue
        columns = ", ".join(model._meta.get_field(name).column for name in fields)
        text = "".join("\t".join(_copy_text(value) for value in row) + "\n" for row in chunk)
        with connection.cursor() as cursor, cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            copy.write(text.encode("utf-8"))


def _copy_text(value) -> str:
    """A value in COPY's text format (the bench's values hold no tab, newline or backslash)."""
    if value is None:
        return r"\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


SOURCE = "压力测试数据"


def _bulk_ledger(batch: list[tuple]) -> None:
    from activities.models import LedgerEntry

    now = timezone.now()
    plain_bulk_create = models.QuerySet.bulk_create  # the ledger's own bulk_create refuses: this is a bulk load
    with transaction.atomic():
        plain_bulk_create(
            LedgerEntry.objects.all(),
            [
                LedgerEntry(
                    kind="earned",
                    amount=amount,
                    half_hours=half_hours,
                    source=SOURCE,
                    resident_id=person[0],
                    household_id=person[1],
                    building_id=person[2],
                    grid_id=person[3],
                    occurred_on=day,
                    idempotency_key=f"bench-{number}",
                    created_at=now,
                )
                for person, amount, half_hours, day, number in batch
            ],
            batch_size=BATCH,
        )


def _copy_ledger(batch: list[tuple]) -> None:
    """The batch's lines through PostgreSQL's COPY (text format: nothing in them needs escaping)."""
    from activities.models import LedgerEntry

    now = timezone.now().isoformat()
    columns = (
        "kind, amount, half_hours, counts_for_ranking, source, resident_id, household_id, building_id, grid_id, "
        "occurred_on, idempotency_key, created_at"
    )
    lines = "".join(
        f"earned\t{amount}\t{half_hours}\tt\t{SOURCE}\t{person[0]}\t{person[1]}\t{person[2]}\t{person[3]}\t"
        f"{day}\tbench-{number}\t{now}\n"
        for person, amount, half_hours, day, number in batch
    )
    statement = f"COPY {LedgerEntry._meta.db_table} ({columns}) FROM STDIN"
    with transaction.atomic(), connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(lines.encode("utf-8"))


# --- Votes --------------------------------------------------------------------------


def _bench_round():
    from awards.models import AwardRound

    return AwardRound.objects.filter(title=BENCH_ROUND_TITLE).first()


def _household_round(*, title: str, community, opens, households: list, winners: int, won: int = 0):
    """A round of one household category whose nominations opened at ``opens`` (voting 18 to 30 days later,
    publication on the 41st), with ``households`` shortlisted, the first ``won`` of them winners."""
    from awards.models import AwardCategory, AwardRound, Nomination, RoundCategory, TargetKind
    from families.models import Resident

    day = timedelta(days=1)
    round_ = AwardRound.objects.create(
        title=title,
        year=timezone.now().year,
        community=community,
        announced=True,
        nominations_open_at=opens,
        nominations_close_at=opens + 10 * day,
        review_end_at=opens + 17 * day,
        voting_open_at=opens + 18 * day,
        voting_close_at=opens + 30 * day,
        publicity_end_at=opens + 40 * day,
        publication_at=opens + 41 * day,
    )
    category = AwardCategory.objects.filter(target_kind=TargetKind.HOUSEHOLD).order_by("sort_order", "pk").first()
    entry = RoundCategory.objects.create(round=round_, category=category, winners=winners, votes_per_voter=3)
    nominator = Resident.objects.verified().filter(household=households[0]).first()
    for index, household in enumerate(households):
        Nomination.objects.create(
            round=round_,
            entry=entry,
            target_kind=TargetKind.HOUSEHOLD,
            building=household.building,
            household=household,
            nominator=nominator,
            citation="邻里和睦，热心公益。",
            status="shortlisted",
            reviewed_at=opens + 15 * day,
            paper_votes=max(40 - index, 0) if won else 0,
            is_winner=index < won,
        )
    return round_, entry


def _scale_votes(total: int) -> None:
    """A street round whose voting opened yesterday, with 200 shortlisted household nominations and ``total``
    votes."""
    from awards.models import Nomination, Vote
    from families.models import Household, Resident

    if total <= 0 or _bench_round() is not None:
        return
    with transaction.atomic():
        round_, entry = _household_round(
            title=BENCH_ROUND_TITLE,
            community=None,
            opens=timezone.now() - timedelta(days=19),
            households=list(Household.objects.select_related("building").order_by("pk")[:200]),
            winners=10,
        )
    nominations = list(Nomination.objects.filter(entry=entry).values_list("pk", flat=True))
    voters = list(
        Resident.objects.verified()
        .order_by("-pk")
        .values_list("pk", "household_id", "household__building_id")[: total // 3 + 1]
    )
    voters.reverse()  # leave the newest residents without votes: the vote benchmark uses them
    started = time.perf_counter()
    batch, made = [], 0
    for index, (resident_id, household_id, building_id) in enumerate(voters[16:]):
        for choice in range(3):
            if made >= total:
                break
            batch.append(
                Vote(
                    round=round_,
                    entry=entry,
                    nomination_id=nominations[(index * 7 + choice * 61) % len(nominations)],
                    unit_key=f"r{resident_id}",
                    voter_id=resident_id,
                    household_id=household_id,
                    building_id=building_id,
                )
            )
            made += 1
        if len(batch) >= BATCH:
            Vote.objects.bulk_create(batch)
            batch = []
    if batch:
        Vote.objects.bulk_create(batch)
    _progress("votes", made, total, started)


def count_round() -> None:
    from awards.services import round_results

    results = round_results(_bench_round())
    assert results


def vote_paths() -> list[str]:
    round_ = _bench_round()
    if round_ is None:
        return []
    return [f"/nominations/{pk}/vote/" for pk in round_.nominations.values_list("pk", flat=True)]


def _not_voted():
    """Verified residents who have not voted in the bench round yet, newest first.

    Excluded through a subquery, not a join: SQLite ran the join's NOT EXISTS
    once per resident through the round index.
    """
    from awards.models import Vote
    from families.models import Resident

    voted = Vote.objects.filter(round=_bench_round()).values("voter_id")
    return Resident.objects.verified().exclude(pk__in=voted).order_by("-pk")


def bench_voters(count: int):
    """Residents with accounts who have not voted in the bench round yet."""
    return list(_not_voted().filter(user__isnull=False).select_related("user")[:count])


def _residents_with_accounts(count: int):
    from families.models import Resident

    return list(Resident.objects.verified().filter(user__isnull=False).select_related("user").order_by("pk")[:count])


# --- Timed jobs ---------------------------------------------------------------------


def time_counting(**_sizes) -> float | None:
    if _bench_round() is None:
        return None
    started = time.perf_counter()
    count_round()
    return time.perf_counter() - started


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
    started = time.perf_counter()
    call_command("import_households", path, verbosity=0)
    return time.perf_counter() - started


def time_export(**_sizes) -> float | None:
    import tempfile

    from django.core.management import call_command, get_commands

    if "export_ledger" not in get_commands():
        return None
    month = timezone.localdate().strftime("%Y-%m")
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
        path = handle.name
    started = time.perf_counter()
    call_command("export_ledger", "--month", month, "--format", "xlsx", "--output", path)
    return time.perf_counter() - started


def _time_report(slug: str | None) -> dict | None:
    """This month's report workbook for ``slug`` (None: the first community; "": the street), written as the
    background task writes it: an export job of the registered workbook kind, asked for by the street organizer,
    run by ``project.exports.write_export`` in this process. Seconds, and this process's memory after it (RSS)
    and at its peak (VmHWM), in MB."""
    from django.contrib.auth import get_user_model

    from families.models import Community
    from project import exports, reports
    from project.models import ExportJob

    if slug is None:
        slug = Community.objects.order_by("sort_order", "name").values_list("slug", flat=True).first()
        if slug is None:
            return None
    organizer = get_user_model().objects.get(username="organizer")
    job = ExportJob.objects.create(
        requested_by=organizer,
        whole_community=True,
        kind=reports.KIND,
        params={"period": timezone.localdate().strftime("%Y-%m"), "community": slug},
        fmt="xlsx",
        title="bench",
        language="zh-hans",
    )
    started = time.perf_counter()
    exports.write_export(job_id=job.pk)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != ExportJob.Status.DONE:
        raise RuntimeError(f"the workbook failed: {job.error}")
    status = Path("/proc/self/status").read_text()  # Linux, as the bench's gunicorn figures
    memory = {key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M).group(1)) / 1024 for key in ("VmRSS", "VmHWM")}
    return {"seconds": seconds, "rss_mb": round(memory["VmRSS"], 1), "peak_mb": round(memory["VmHWM"], 1)}


def time_community_report(**_sizes) -> dict | None:
    """The first community's monthly workbook (target ≤ 15 s at street size)."""
    return _time_report(None)


def time_street_report(**_sizes) -> dict | None:
    """The street's monthly workbook, a row per community (target ≤ 60 s at street size; the process ≤ 150 MB)."""
    return _time_report("")


def vote_fixture(voters: int, any_round: bool = False) -> dict:
    """Logged-in sessions and CSRF secrets for ``voters`` residents who have not voted, and the vote URLs.

    In the bench round, residents without an account get one (made in bulk), so
    the vote benchmark can spread its requests over a crowd of voters, as in a
    round's last hour, instead of a few voters who soon have no votes left.
    """
    paths = vote_paths()
    if not paths and not any_round:
        return {}
    from tests.serving import session_for

    if _bench_round():
        _give_accounts(voters)
        people = bench_voters(voters)
    else:
        people = _residents_with_accounts(voters)
    started, sessions = time.perf_counter(), []
    for person in people:
        sessions.append(dict(zip(("session", "csrf"), session_for(person.user), strict=True)))
        if len(sessions) % 500 == 0:
            _progress("voter sessions", len(sessions), len(people), started)
    return {"voters": sessions, "paths": paths, "votes_before": _bench_round_votes()}


def _bench_round_votes() -> int:
    from awards.models import Vote

    round_ = _bench_round()
    return Vote.objects.filter(round=round_).count() if round_ else 0


def _give_accounts(count: int) -> None:
    """Accounts (with profiles) for up to ``count`` verified residents who have none and have not voted."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from families.models import Resident
    from project.models import Profile

    needed = count - _not_voted().filter(user__isnull=False)[:count].count()
    if needed <= 0:
        return
    residents = list(_not_voted().filter(user__isnull=True)[:needed])
    User = get_user_model()
    password = make_password(None)  # unusable: these accounts only ever sign in through the bench's sessions
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=f"bench-voter-{r.pk}", password=password) for r in residents], batch_size=BATCH
        )
        Profile.objects.bulk_create(
            [Profile(user=u, full_name=r.full_name) for u, r in zip(users, residents, strict=True)]
        )
        for resident, user in zip(residents, users, strict=True):
            resident.user = user
        Resident.objects.bulk_update(residents, ["user"], batch_size=BATCH)


def vote_check() -> dict:
    """After the vote run: duplicate votes and voters over their limit (both must be 0)."""
    from django.db.models import Count

    from awards.models import Vote

    round_ = _bench_round()
    votes = Vote.objects.filter(round=round_)
    duplicates = votes.values("nomination", "unit_key").annotate(n=Count("id")).filter(n__gt=1).count()
    limit = round_.entries.get().votes_per_voter
    over = votes.values("entry", "unit_key").annotate(n=Count("id")).filter(n__gt=limit).count()
    return {"duplicates": duplicates, "over_limit": over, "votes_after": _bench_round_votes()}


# --- The street (issues #17 and #18) -----------------------------------------------------------------------------

# The street of the issue: 6 communities, 8 first-level grids and 41 second-level grids; 和平社区 keeps one level.
# Each entry: slug, name, {first-level grid: number of second-level grids (0: one level)}. The demo's three
# communities are reshaped into it (春晖社区's two grids become one first-level grid with second-level ones).
STREET = [
    ("xingfuli", "幸福里社区", {"第一网格": 5, "第二网格": 4}),
    ("heping", "和平社区", {"和平一网格": 0, "和平二网格": 0}),
    ("chunhui", "春晖社区", {"春晖一网格": 8}),
    ("changqing", "长青社区", {"长青网格": 8}),
    ("cuiliu", "翠柳社区", {"翠柳网格": 8}),
    ("yinxing", "银杏社区", {"银杏网格": 8}),
]
GROUPS = "一二三四五六七八九十"
DOORS_PER_BUILDING = 120  # 6 units × 10 floors × 2 doors


def street(*, households: int) -> None:
    """Grow the demo street to the issue's street: ``households`` households in each of the 6 communities (their
    buildings spread over each community's lowest grids), with 1–4 verified residents each. Run after seed_demo,
    before ``scale``; idempotent."""
    from families.models import Building, Community, Grid

    started = time.perf_counter()
    with transaction.atomic():
        lowest_by_community: dict[int, list] = {}
        for order, (slug, name, tree) in enumerate(STREET):
            community = Community.objects.get_or_create(
                slug=slug, defaults={"name": name, "committee_name": f"{name}居民委员会", "sort_order": order}
            )[0]
            if slug == "chunhui":
                _reshape_chunhui(community)
            lowest = []
            for index, (first_name, seconds) in enumerate(tree.items()):
                first = Grid.objects.get_or_create(
                    community=community, parent=None, name=first_name, defaults={"sort_order": index}
                )[0]
                if not seconds:
                    lowest.append(first)
                    continue
                for number in range(seconds):
                    lowest.append(
                        Grid.objects.get_or_create(
                            community=community,
                            parent=first,
                            name=f"{first_name}{GROUPS[number]}组",
                            defaults={"level": Grid.SECOND, "sort_order": number},
                        )[0]
                    )
            lowest_by_community[community.pk] = lowest
        first_level = Grid.objects.filter(parent__isnull=True).count()
        second_level = Grid.objects.filter(parent__isnull=False).count()
    print(
        f"   street: {Community.objects.count()} communities, {first_level} first-level and {second_level} "
        f"second-level grids ({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    rng = random.Random(17)
    for community_id, grids in lowest_by_community.items():
        _fill_community(community_id, grids, households, rng, Building)
    _street_rounds()


def _reshape_chunhui(community) -> None:
    """The demo's 春晖社区 has two first-level grids; the street's has one, 春晖一网格, with second-level grids:
    its buildings move to 春晖一网格一组 and 春晖二网格 becomes 春晖一网格二组 (ledger lines keep the grid they had)."""
    from families.models import Building, Grid

    first = Grid.objects.filter(community=community, parent=None, name="春晖一网格").first()
    second = Grid.objects.filter(community=community, parent=None, name="春晖二网格").first()
    if first is None or second is None:
        return
    group_one = Grid.objects.create(community=community, parent=first, level=Grid.SECOND, name="春晖一网格一组")
    Building.objects.filter(grid=first).update(grid=group_one)
    Grid.objects.filter(pk=second.pk).update(parent=first, level=Grid.SECOND, name="春晖一网格二组", sort_order=1)


def _fill_community(community_id: int, grids: list, households: int, rng: random.Random, Building) -> None:
    """Top the community up to ``households`` households in new buildings of its lowest grids, then residents."""
    from families.demo import GIVEN, SURNAMES
    from families.models import Community, Household, Resident

    community = Community.objects.get(pk=community_id)
    have = Household.objects.filter(building__grid__community_id=community_id).count()
    missing = households - have
    if missing <= 0:
        return
    started = time.perf_counter()
    today = timezone.localdate()
    month_start = today.replace(day=1)
    buildings_needed = -(-missing // DOORS_PER_BUILDING)
    buildings = Building.objects.bulk_create(
        [
            Building(
                grid=grids[number % len(grids)],
                name=f"{community.name.removesuffix('社区')}{number + 1}栋",  # the demo's are 号楼, 座 and 院
                address=f"{community.name}路{number + 1}号",
                sort_order=100 + number,
            )
            for number in range(buildings_needed)
        ]
    )
    now = timezone.now()
    new_households = []
    for number in range(missing):
        building, door = buildings[number // DOORS_PER_BUILDING], number % DOORS_PER_BUILDING
        surname = rng.choice(SURNAMES)
        roll = rng.random()
        # About one household in a hundred moved in this month, one in two hundred moved out: the register moves.
        moved_in = month_start if roll < 0.01 else today - timedelta(days=rng.randint(40, 7000))
        moved_out = month_start if 0.01 <= roll < 0.015 else None
        new_households.append(
            Household(
                building=building,
                door_label=f"{door // 20 + 1}单元{(door // 2) % 10 + 1}0{door % 2 + 1}",
                display_name=f"{surname}家",
                head_name=surname + rng.choice(GIVEN),
                show_publicly=rng.random() < 0.8,
                show_publicly_changed_at=now,
                moved_in_on=moved_in,
                moved_out_on=moved_out,
            )
        )
    made = Household.objects.bulk_create(new_households, batch_size=BATCH)
    residents = []
    for household in made:
        surname = household.display_name.removesuffix("家")
        for number in range(rng.choice((1, 2, 2, 3, 3, 4))):
            residents.append(
                Resident(
                    household=household,
                    full_name=household.head_name if number == 0 else surname + rng.choice(GIVEN),
                    phone=f"+8613{rng.randint(100000000, 999999999)}",
                    status=Resident.Status.VERIFIED,
                    verified_at=now,
                    source=Resident.Source.IMPORT,
                    show_name_publicly=rng.random() < 0.7,
                    show_name_changed_at=now,
                )
            )
    Resident.objects.bulk_create(residents, batch_size=BATCH)
    print(
        f"   {community.name}: {missing:,} households in {buildings_needed} buildings, {len(residents):,} residents "
        f"({time.perf_counter() - started:.1f} s)",
        flush=True,
    )


def _street_rounds() -> None:
    """Award rounds at both levels published this month: one per community (its households nominated) and one of
    the street (households of every community), each with 20 nominations and 5 winners, published through
    ``publish_round``."""
    from django.contrib.auth import get_user_model

    from awards.models import AwardRound
    from awards.services import publish_round
    from families.models import Community, Household

    if AwardRound.objects.filter(title__startswith="街道规模").exists():
        return
    started = time.perf_counter()
    organizer = get_user_model().objects.get(username="organizer")
    now = timezone.now()
    places = [(None, "街道")] + [(c, c.name) for c in Community.objects.order_by("sort_order")]
    for community, name in places:
        households = Household.objects.select_related("building").order_by("pk")
        if community is not None:
            households = households.filter(building__grid__community=community)
        with transaction.atomic():
            round_, _entry = _household_round(
                title=f"街道规模{name}评选",
                community=community,
                opens=now - timedelta(days=42),
                households=list(households[100:2100:100]),
                winners=5,
                won=5,
            )
            AwardRound.objects.filter(pk=round_.pk).update(results_confirmed_at=round_.voting_close_at)
            round_.refresh_from_db()
            publish_round(round=round_, actor=organizer)
    print(f"   award rounds published this month: {len(places)} ({time.perf_counter() - started:.1f} s)", flush=True)
