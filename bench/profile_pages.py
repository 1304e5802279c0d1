#!/usr/bin/env python
"""In-process cost of the signed-in pages, as ratios to the bare view: for a busy machine.

``bench/run.py`` measures with wrk against gunicorn, which needs a quiet machine. This script measures
inside one process instead, with Django's test client through the full middleware stack (production
settings, DEBUG off, ``bench.settings``), alternating the bare view and each page so that the machine's
load drifts alike for both, and prints mean milliseconds per request and the ratio to the bare view
(the bench's "×", roughly: the server's own parsing and wrk are not in it). It counts this process's CPU
time (``time.process_time``), which other jobs on the machine disturb far less than the clock (``--wall``
for the clock); on SQLite that includes the database's work, on PostgreSQL and Redis it does not. ``--profile`` adds the top
functions of a cProfile run per page, ``--queries`` the SQL of one request per page.

``--anonymous`` asks as a visitor (no session) instead of the seeded voter; ``--cache-off`` serves the site as
``bench/run.py`` does for its cache-miss figure (``BENCH_CACHE_OFF=1``: a cache that keeps nothing and no
process-local copies), so every request renders the whole page. Together they measure a visitor's page on a miss:

    .venv/bin/python bench/profile_pages.py --anonymous --cache-off /activities/

    .venv/bin/python bench/profile_pages.py --seed            # once: a quick-size SQLite database
    .venv/bin/python bench/profile_pages.py                   # ratios
    .venv/bin/python bench/profile_pages.py --profile /me/    # where one page's time goes
    .venv/bin/python bench/profile_pages.py --post signup     # the sign-up POST (and --post vote)

``--post signup`` and ``--post vote`` measure the writes instead of pages: POSTs made as ``bench/run.py`` makes
them (``seed.signup_fixture``: each a resident's sign-up for an activity they are not on, with its own one-time
form token; ``seed.vote_fixture``: each from a resident who has not voted yet, for a random nomination of the
bench round), through the CSRF check, each with only its own cookies, alternating with the bare view. Each run's votes
are taken back at its end; its sign-ups stay (new ones are drawn each run), so the database drifts a little:
``--seed`` again to start afresh.

``--database-url postgres://...`` (and ``REDIS_URL``) measures on PostgreSQL instead; seed it the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from run import PY, SIZES, VAR, base_env  # noqa: E402 - the bench's one definition of sizes and settings

DEFAULT_DB = f"sqlite:///{VAR / 'profile.sqlite3'}"


def _fixture(database_url: str) -> Path:
    """Where the seeded session for ``database_url`` is kept: one file per database, so seeding PostgreSQL does
    not overwrite SQLite's."""
    return VAR / f"profile-{database_url.split(':', 1)[0]}.json"


def seed(database_url: str) -> None:
    """Seed a quick-size database (as ``bench/run.py --quick`` does) and keep a signed-in session for it."""
    size = SIZES["quick"]
    VAR.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database_url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
    env = base_env(database_url)
    env.update(_redis_env())

    def manage(*args: str) -> str:
        return subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout

    manage("migrate", "--noinput")
    manage("createcachetable")
    manage("collectstatic", "--noinput")
    manage("seed_demo", "--households", str(size["households"]))
    out = manage(
        "shell",
        "-c",
        "import sys, json; sys.path.insert(0, 'bench'); import seed; "
        f"seed.scale(ledger={size['ledger']}, votes={size['votes']}, activities={size['activities']}, "
        f"export_rows={size['export_rows']}, upcoming={size['upcoming']}, accounts={size['accounts']}, "
        f"signups={size['signups']}); "
        "print('RESULT', json.dumps({'voter': seed.vote_fixture(1, any_round=True)['voters'][0], "
        "'ballot': seed.page_paths()['ballot']}))",
    )
    _fixture(database_url).write_text(re.search(r"^RESULT (.+)$", out, re.M).group(1))
    print(f"seeded {database_url}; session in {_fixture(database_url)}")


def _redis_env() -> dict:
    # One fixed key for the seeding and the measuring processes, so the seeded session stays valid (a local
    # bench database only: bench/run.py makes a random key per run).
    env = {"DJANGO_SECRET_KEY": "bench-profile-pages-local-only-" + "x" * 40}
    return {**env, "REDIS_URL": os.environ["REDIS_URL"]} if os.environ.get("REDIS_URL") else env


def measure(
    database_url: str,
    pages: list[str],
    rounds: int,
    profile: bool,
    cpu: bool,
    queries: bool = False,
    anonymous: bool = False,
    cache_off: bool = False,
) -> None:
    env = base_env(database_url)
    env.pop("REDIS_URL", None)
    env.update(_redis_env())
    if cache_off:
        env["BENCH_CACHE_OFF"] = "1"  # read by bench/settings.py and bench/urls.py, as for bench/run.py's miss figure
    os.environ.update(env)
    import django

    django.setup()
    from django.test import Client

    fixture = json.loads(_fixture(database_url).read_text())
    client = Client(HTTP_HOST="localhost")
    if not anonymous:
        client.cookies["sessionid"] = fixture["voter"]["session"]
        client.cookies["csrftoken"] = fixture["voter"]["csrf"]
    pages = [fixture["ballot"] if page == "ballot" else page for page in pages]

    clock = time.process_time if cpu else time.perf_counter

    def one(path: str) -> float:
        start = clock()
        response = client.get(path)
        elapsed = clock() - start
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return elapsed

    for path in ["/bench/baseline", *pages]:  # warm: templates, translations, fragments
        for _ in range(3):
            one(path)
    totals = dict.fromkeys(["/bench/baseline", *pages], 0.0)
    for _ in range(rounds):
        for path in pages:
            totals["/bench/baseline"] += one("/bench/baseline")
            totals[path] += one(path)
    bare = totals["/bench/baseline"] / (rounds * len(pages))
    print(f"{'page':<32} {'CPU ms' if cpu else 'ms':>10} {'÷ bare view':>12}")
    print(f"{'bare view':<32} {bare * 1000:>10.2f} {1:>12.3f}")
    for path in pages:
        mean = totals[path] / rounds
        print(f"{path:<32} {mean * 1000:>10.2f} {bare / mean:>11.3f}×")
    if queries:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for path in pages:
            with CaptureQueriesContext(connection) as captured:
                one(path)
            print(f"\n== {path}: {len(captured.captured_queries)} queries")
            for query in captured.captured_queries:
                print(f"  {query['time']}s  {query['sql'][:300]}")
    if profile:
        import cProfile
        import pstats

        for path in pages:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(rounds):
                one(path)
            profiler.disable()
            print(f"\n== {path}: top functions by own time ({rounds} requests)")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def _post_requests(kind: str, count: int) -> list[dict]:
    """``count`` POSTs of ``kind`` (cookie values, path, body), built in this process as ``bench/run.py`` builds
    its wrk scripts' (see the module's docstring)."""
    import random

    import seed as bench_seed

    if kind == "signup":
        per_person = 5  # a few each, from more residents: the first ones' sign-ups pile up from run to run
        fixture = bench_seed.signup_fixture(count // per_person * 2 + 10, per_person, draw=time.time_ns())
        rows = [
            {
                "session": row["cookie"].split("sessionid=")[1].split(";")[0],
                "csrf": row["csrf"],
                "path": row["path"],
                "body": row["body"],
            }
            for row in fixture["requests"]
        ]
    else:
        fixture = bench_seed.vote_fixture(count)
        if not fixture:
            raise SystemExit("no bench round open for votes: seed again")
        rng = random.Random(16)
        rows = [
            {"session": v["session"], "csrf": v["csrf"], "path": rng.choice(fixture["paths"]), "body": ""}
            for v in fixture["voters"]
        ]
    if len(rows) < count:
        raise SystemExit(f"only {len(rows)} {kind} POSTs left to make (of {count}): seed again")
    return rows[:count]


def measure_posts(database_url: str, kind: str, rounds: int, profile: bool, cpu: bool, queries: bool = False) -> None:
    """The cost of ``kind`` POSTs (``signup`` or ``vote``) against the bare view, in the same way as ``measure``."""
    env = base_env(database_url)
    env.pop("REDIS_URL", None)
    env.update(_redis_env())
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.messages.storage.cookie import MessageSerializer
    from django.core import signing
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    warm, extra = 3, (1 if queries else 0) + (rounds if profile else 0)
    rows = iter(_post_requests(kind, warm + rounds + extra))
    from awards.models import Vote

    last_vote = Vote.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    bare_client = Client(HTTP_HOST="localhost")
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    clock = time.process_time if cpu else time.perf_counter
    outcomes: dict[str, int] = {}

    def bare() -> float:
        start = clock()
        response = bare_client.get("/bench/baseline")
        elapsed = clock() - start
        if response.status_code != 200:
            raise SystemExit(f"the bare view answered {response.status_code}")
        return elapsed

    def post() -> float:
        row = next(rows)
        client.cookies.clear()  # no other user's cookies (the last one's messages)
        client.cookies["sessionid"] = row["session"]
        client.cookies["csrftoken"] = row["csrf"]
        start = clock()
        response = client.post(
            row["path"], row["body"], content_type="application/x-www-form-urlencoded", HTTP_X_CSRFTOKEN=row["csrf"]
        )
        elapsed = clock() - start
        if response.status_code != 302:
            raise SystemExit(f"{row['path']} answered {response.status_code}")
        said = response.cookies["messages"].value if "messages" in response.cookies else ""
        for message in (
            signing.get_cookie_signer(salt="django.contrib.messages").unsign_object(said, serializer=MessageSerializer)
            if said
            else [None]
        ):
            outcome = (message.message if message.level_tag == "error" else message.level_tag) if message else "-"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        return elapsed

    for _ in range(warm):
        bare()
        post()
    outcomes.clear()
    bare_total = post_total = 0.0
    for _ in range(rounds):
        bare_total += bare()
        post_total += post()
    label = f"{kind} POST"
    print(f"{'request':<32} {'CPU ms' if cpu else 'ms':>10} {'÷ bare view':>12}")
    print(f"{'bare view':<32} {bare_total / rounds * 1000:>10.2f} {1:>12.3f}")
    print(f"{label:<32} {post_total / rounds * 1000:>10.2f} {bare_total / post_total:>11.3f}×")
    print(f"outcomes (the messages' levels): {outcomes}")
    if queries:
        with CaptureQueriesContext(connection) as captured:
            post()
        print(f"\n== {label}: {len(captured.captured_queries)} queries")
        for query in captured.captured_queries:
            print(f"  {query['time']}s  {query['sql'][:300]}")
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        for _ in range(rounds):
            profiler.enable()
            post()
            profiler.disable()
        print(f"\n== {label}: top functions by own time ({rounds} requests)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    if kind == "vote":
        # Votes take nothing else with them (no counts, no cached page): taking this run's back leaves voters for
        # the next run, where sign-ups are plenty (and each moves its activity's counts).
        taken_back, _rows = Vote.objects.filter(pk__gt=last_vote).delete()
        print(f"took this run's {taken_back} votes back")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", action="store_true", help="seed the database first (a few minutes)")
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--rounds", type=int, default=100, help="requests per page (default 100)")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top functions per page")
    parser.add_argument(
        "--wall", action="store_true", help="wall-clock time instead of this process's CPU time (the default)"
    )
    parser.add_argument("--queries", action="store_true", help="also print the SQL of one request per page")
    parser.add_argument("--anonymous", action="store_true", help="ask as a visitor, without the seeded session")
    parser.add_argument(
        "--cache-off",
        action="store_true",
        help="a cache that keeps nothing and no process-local copies (BENCH_CACHE_OFF=1): every page a miss",
    )
    parser.add_argument("--post", choices=["signup", "vote"], help="measure sign-up or vote POSTs instead of the pages")
    parser.add_argument("pages", nargs="*", default=["/notices/", "/activities/", "ballot", "/points/", "/me/"])
    args = parser.parse_args()
    if args.seed:
        seed(args.database_url)
        return 0
    if args.post:
        measure_posts(args.database_url, args.post, args.rounds, args.profile, cpu=not args.wall, queries=args.queries)
        return 0
    measure(
        args.database_url,
        args.pages,
        args.rounds,
        args.profile,
        cpu=not args.wall,
        queries=args.queries,
        anonymous=args.anonymous,
        cache_off=args.cache_off,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
