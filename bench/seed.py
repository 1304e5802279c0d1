"""Bench data at community scale, and the offline jobs the benchmark times.

Run inside Django: bench/run.py calls these through ``manage.py shell -c``.
Bulk loading here writes rows directly (it is not a user action): ledger
entries go in with their balances and leaderboard rows computed alongside, and
``verify_ledger`` must still pass afterwards.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import timedelta
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
    turn, with ``capacity`` places (a random number in that range)."""
    from activities.models import Activity, ActivityType

    types = list(ActivityType.objects.all())
    now = timezone.now()
    rows = []
    for index in range(count):
        starts = now + timedelta(days=rng.randint(*days), hours=rng.randint(0, 10))
        rows.append(
            Activity(
                type=types[index % len(types)],
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
    _create_activities(missing, rng=random.Random(8), title="志愿活动", days=(-700, 60), capacity=(5, 40))
    print(f"   activities: {total:,}")


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


def signup_fixture(people: int, per_person: int) -> dict:
    """Sessions, CSRF secrets and one-time form tokens for ``people`` residents each signing up for
    ``per_person`` upcoming activities they are not on yet: one request each, never the same twice."""
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
    rng = random.Random(16)
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
    """The signed-in pages issue #15 measures: the ballot of the bench round (200 nominations)."""
    round_ = _bench_round()
    return {"ballot": f"/rounds/{round_.pk}/nominations/" if round_ else None}


# --- Points ledger ------------------------------------------------------------------


def _scale_ledger(entries: int, this_month: int) -> None:
    """Append ``entries`` earned-points entries, ``this_month`` of them dated this month, with balances and rows."""
    from activities.models import LedgerEntry, PointsAggregate, PointsBalance
    from activities.services import aggregate_rows_for
    from families.models import Resident

    existing = LedgerEntry.objects.count()
    missing = entries - existing
    if missing <= 0:
        return
    people = list(
        Resident.objects.verified()
        .select_related("household__building")
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
    balances: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, None])
    plain_bulk_create = models.QuerySet.bulk_create  # the ledger's own bulk_create refuses: this is a bulk load
    started = time.perf_counter()
    batch = []
    for number in range(missing):
        resident_id, household_id, building_id, grid_id, community_id = people[rng.randrange(len(people))]
        if number < this_month:
            day = month_start + timedelta(days=rng.randrange(max((today - month_start).days, 1)))
        else:
            day = month_start - timedelta(days=rng.randint(1, 1000))
        half_hours = rng.choice((2, 3, 4, 6))
        amount = half_hours * 5
        batch.append(
            LedgerEntry(
                kind="earned",
                amount=amount,
                half_hours=half_hours,
                source="压力测试数据",
                resident_id=resident_id,
                household_id=household_id,
                building_id=building_id,
                grid_id=grid_id,
                occurred_on=day,
                idempotency_key=f"bench-{existing + number}",
            )
        )
        totals = balances[resident_id]
        totals[0] += amount
        totals[1] += half_hours
        # The same leaderboard rows record_entry would add to, from the ledger's own rule.
        for scope, scope_id, kind, key, row_community, points, entry_half_hours in aggregate_rows_for(
            batch[-1], community_id=community_id
        ):
            row = rows[(scope, scope_id, kind, key)]
            row[0] += points
            row[1] += entry_half_hours
            row[2] = row_community
        if len(batch) == BATCH:
            with transaction.atomic():
                plain_bulk_create(LedgerEntry.objects.all(), batch)
            batch = []
            if (number + 1) % 100_000 == 0:
                _progress("ledger entries", number + 1, missing, started)
    if batch:
        with transaction.atomic():
            plain_bulk_create(LedgerEntry.objects.all(), batch)
    _progress("ledger entries", missing, missing, started)

    with transaction.atomic():
        current = {b.resident_id: b for b in PointsBalance.objects.filter(resident_id__in=list(balances))}
        new, changed = [], []
        for resident_id, (amount, half_hours) in balances.items():
            balance = current.get(resident_id)
            if balance is None:
                new.append(
                    PointsBalance(
                        resident_id=resident_id, balance=amount, lifetime_earned=amount, half_hours=half_hours
                    )
                )
            else:
                balance.balance += amount
                balance.lifetime_earned += amount
                balance.half_hours += half_hours
                changed.append(balance)
        PointsBalance.objects.bulk_create(new, batch_size=BATCH)
        PointsBalance.objects.bulk_update(changed, ["balance", "lifetime_earned", "half_hours"], batch_size=BATCH)

        # Before the bulk load only the demo's few rows exist: read them all.
        existing_rows = {
            (row.scope, row.scope_id, row.period_kind, row.period_key): row
            for row in PointsAggregate.objects.iterator(chunk_size=BATCH)
        }
        new_rows, changed_rows = [], []
        for key, (points, half_hours, community_id) in rows.items():
            row = existing_rows.get(key)
            if row is None:
                new_rows.append(
                    PointsAggregate(
                        scope=key[0],
                        scope_id=key[1],
                        period_kind=key[2],
                        period_key=key[3],
                        community_id=community_id,
                        points=points,
                        half_hours=half_hours,
                    )
                )
            else:
                row.points += points
                row.half_hours += half_hours
                changed_rows.append(row)
        PointsAggregate.objects.bulk_create(new_rows, batch_size=BATCH)
        PointsAggregate.objects.bulk_update(changed_rows, ["points", "half_hours"], batch_size=BATCH)
    print(f"   ledger: {entries:,} entries, {len(balances):,} balances, {len(rows):,} leaderboard rows")


# --- Votes --------------------------------------------------------------------------


def _bench_round():
    from awards.models import AwardRound

    return AwardRound.objects.filter(title=BENCH_ROUND_TITLE).first()


def _scale_votes(total: int) -> None:
    """A round whose voting is open, with 200 shortlisted household nominations and ``total`` votes."""
    from awards.models import AwardCategory, AwardRound, Nomination, RoundCategory, TargetKind, Vote
    from families.models import Household, Resident

    if total <= 0 or _bench_round() is not None:
        return
    now = timezone.now()
    category = AwardCategory.objects.filter(target_kind=TargetKind.HOUSEHOLD).first()
    with transaction.atomic():
        round_ = AwardRound.objects.create(
            title=BENCH_ROUND_TITLE,
            year=now.year,
            announced=True,
            nominations_open_at=now - timedelta(days=30),
            nominations_close_at=now - timedelta(days=20),
            review_end_at=now - timedelta(days=10),
            voting_open_at=now - timedelta(days=1),
            voting_close_at=now + timedelta(days=30),
            publicity_end_at=now + timedelta(days=40),
            publication_at=now + timedelta(days=41),
        )
        entry = RoundCategory.objects.create(round=round_, category=category, winners=10, votes_per_voter=3)
        households = list(Household.objects.select_related("building").order_by("pk")[:200])
        nominator = Resident.objects.verified().order_by("pk").first()
        for household in households:
            Nomination.objects.create(
                round=round_,
                entry=entry,
                target_kind=TargetKind.HOUSEHOLD,
                building=household.building,
                household=household,
                nominator=nominator,
                citation="邻里和睦，热心公益。",
                status="shortlisted",
                reviewed_at=now,
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


def _time_report(slug: str) -> float | None:
    """Seconds to write this month's report workbook (``manage.py monthly_report``) for ``slug`` ("" = street)."""
    import tempfile

    from django.core.management import call_command, get_commands

    if "monthly_report" not in get_commands():
        return None
    from families.models import Community

    if slug is None:
        community = Community.objects.order_by("sort_order", "name").first()
        if community is None:
            return None
        slug = community.slug
    place = ["--street"] if slug == "" else ["--community", slug]
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
        path = handle.name
    started = time.perf_counter()
    call_command("monthly_report", *place, "--month", timezone.localdate().strftime("%Y-%m"), "--output", path)
    return time.perf_counter() - started


def time_community_report(**_sizes) -> float | None:
    """The first community's monthly workbook (target ≤ 15 s at street size)."""
    return _time_report(None)


def time_street_report(**_sizes) -> float | None:
    """The street's monthly workbook, a row per community (target ≤ 60 s at street size)."""
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
