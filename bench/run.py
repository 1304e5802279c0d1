#!/usr/bin/env python
"""Benchmarks: what users feel, as ratios to a bare Django view measured in the same run.

    make bench-quick      small data, a few seconds per URL (proves the harness)
    make bench            community-scale data (20,000 households, 1,000,000 ledger entries, …), then the street
    make bench-street     street-scale data (issues #17 and #18): 6 communities × 5,000 households, 8 first-level
                          and 41 second-level grids, 5,000,000 ledger entries on PostgreSQL (1,000,000 on SQLite)

For each database (SQLite, then PostgreSQL) it seeds its own database, serves
the site with gunicorn (2 sync workers, production settings, DEBUG off) on
loopback, drives it with wrk, times the offline jobs (counting, import,
export, the report workbooks), and writes bench/results/latest.json (and latest-<size>.json): a list of
{"metric", "value", "unit", "baseline", "ratio", "db", "size"}.
No number here is asserted by a test; docs/performance.md records the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.serving import free_port, site_env  # noqa: E402 - the one definition of "the real site, locally"

BENCH_DIR = ROOT / "bench"
RESULTS = BENCH_DIR / "results"
VAR = ROOT / "var" / "bench"
PY = sys.executable
GUNICORN = str(Path(PY).parent / "gunicorn")

SIZES = {
    "quick": {
        "households": 300,
        "ledger": 10_000,
        "votes": 1_000,
        "activities": 50,
        "import_rows": 2_000,
        "export_rows": 10_000,
        "voters": 400,
        "seconds": 3,
        # Issue #15's data (its accounts capped by this register's size): signed-in pages and sign-ups.
        "upcoming": 2_016,
        "accounts": 4_982,
        "signups": 19_713,
        "signup_people": 150,
    },
    "full": {
        "households": 20_000,
        "ledger": 1_000_000,
        "votes": 100_000,
        "activities": 2_000,
        "import_rows": 20_000,
        "export_rows": 100_000,
        "voters": 4_000,
        "seconds": 10,
        "upcoming": 2_016,
        "accounts": 4_982,
        "signups": 19_713,
        "signup_people": 500,
    },
    # Issues #17 and #18: the street. seed_demo makes the demo street (3 communities) with "households" households,
    # then seed.street() makes it the street and tops each community up to "community_households".
    "street": {
        "households": 600,
        "community_households": 5_000,
        "ledger": 5_000_000,
        # SQLite: a million (the full size's ledger), loaded with bulk_create; a street office that large runs
        # PostgreSQL, and the SQLite run shows the same pages on the street's register.
        "sqlite_ledger": 1_000_000,
        "votes": 100_000,
        "activities": 2_000,
        "import_rows": 20_000,
        # A month of the street's ledger: 5,000,000 lines over 33 months is about 150,000 a month.
        "export_rows": 150_000,
        "voters": 4_000,
        "seconds": 10,
        "upcoming": 2_016,
        "accounts": 4_982,
        "signups": 19_713,
        "signup_people": 500,
    },
}
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = os.environ.get("BENCH_PG_DB", "honours_bench")


def log(message: str) -> None:
    print(message, flush=True)


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    log("wrk not found: installing Debian's wrk …")
    subprocess.run(["apt-get", "update", "-q"], check=False, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


def base_env(database_url: str) -> dict:
    """Production settings on loopback (the same the fault tests use), with the baseline view on."""
    env = site_env(database_url)
    env.update(DJANGO_SETTINGS_MODULE="bench.settings", LOG_LEVEL="WARNING")  # bench/settings.py adds the baseline
    if database_url.startswith("postgres") and _redis_answers():
        # The scale path: PostgreSQL with Redis as the shared cache.
        env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    return env


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def manage(env: dict, *args: str, quiet: bool = False, check: bool = True) -> float:
    """Seconds ``manage.py args`` took (``check=False``: negative when it failed)."""
    start = time.perf_counter()
    completed = subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=check,
        stdout=subprocess.DEVNULL if quiet else None,
    )
    taken = time.perf_counter() - start
    return taken if completed.returncode == 0 else -taken


def prepare_database(db: str) -> str:
    if db == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        path = VAR / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_BENCH_DB}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_BENCH_DB


class Server:
    def __init__(self, env: dict):
        self.port = free_port()
        self.env = env
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [GUNICORN, "project.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"],
            cwd=ROOT,
            env=self.env,
        )
        deadline = time.time() + 60
        while time.time() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()  # a master left running would hold the port and the caller's output open
        raise RuntimeError("gunicorn did not come up")

    def worker_rss_mb(self) -> float:
        """The largest resident set of the master's workers, in MB."""
        biggest = 0
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            ppid = re.search(r"^PPid:\s+(\d+)", text, re.M)
            rss = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
            if ppid and rss and int(ppid.group(1)) == self.process.pid:
                biggest = max(biggest, int(rss.group(1)))
        return round(biggest / 1024, 1)

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


WRK_THREADS = 2  # as for every other figure: wrk -t2 -c16


def run_wrk(
    wrk: str,
    url: str,
    seconds: int,
    connections: int = 16,
    threads: int = 2,
    script: Path | None = None,
    headers: list[str] | None = None,
) -> dict:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers or []:
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _latency_ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    error_count = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(int(x) for x in errors.groups()) if errors else 0)
    return {"rps": rps, "p99_ms": p99, "errors": error_count, "raw": output}


def _latency_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def check_url(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


def bench_database(db: str, size_name: str, wrk: str) -> list[dict]:
    size = SIZES[size_name]
    seconds = size["seconds"]
    results: list[dict] = []
    log(f"\n== {db}: preparing a {size_name} database ==")
    env = base_env(prepare_database(db))
    manage(env, "migrate", "--noinput", quiet=True)
    manage(env, "createcachetable", quiet=True)
    if env.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    manage(env, "collectstatic", "--noinput", quiet=True)
    seed_seconds = manage(env, "seed_demo", "--households", str(size["households"]))
    log(f"   seed_demo: {seed_seconds:.1f} s")
    if size.get("community_households"):
        street_seconds = manage(
            env,
            "shell",
            "-c",
            "import sys; sys.path.insert(0, 'bench'); import seed; "
            f"seed.street(households={size['community_households']})",
        )
        log(f"   the street's tree, register and rounds: {street_seconds:.1f} s")
    ledger_size = size["sqlite_ledger"] if db == "sqlite" and "sqlite_ledger" in size else size["ledger"]

    def scale(ledger: int, votes: int) -> float:
        return manage(
            env,
            "shell",
            "-c",
            "import sys; sys.path.insert(0, 'bench'); import seed; "
            f"seed.scale(ledger={ledger}, votes={votes}, activities={size['activities']}, "
            f"export_rows={size['export_rows']}, upcoming={size['upcoming']}, accounts={size['accounts']}, "
            f"signups={size['signups']})",
        )

    # The leaderboard is measured at 10,000 ledger entries first, then at full size: its cost must not grow.
    small_ledger = min(10_000, ledger_size)
    log(f"   scale-up to {small_ledger:,} ledger entries: {scale(small_ledger, 0):.1f} s")

    def record(metric, value, unit, baseline=None):
        ratio = round(value / baseline, 3) if baseline else None
        results.append(
            {
                "metric": metric,
                "value": round(value, 2),
                "unit": unit,
                "baseline": baseline,
                "ratio": ratio,
                "db": db,
                "size": size_name,
                "load": _load(),
            }
        )
        shown = f"{value:,.1f} {unit}" + (f"  ({ratio:.2f}× baseline)" if ratio is not None else "")
        log(f"   {metric:<44} {shown}")

    with Server(env) as server:
        for warm in ("/bench/baseline", "/", "/honours/"):
            check_url(server.url + warm)
        baselines: list[float] = []

        def fresh_baseline() -> float:
            rps = run_wrk(wrk, server.url + "/bench/baseline", max(2, seconds // 2))["rps"]
            baselines.append(rps)
            return rps

        def around(measure):
            """Run ``measure`` between two measurements of the bare view; the machine's load drifts during a
            run, so each figure is divided by the mean of the baseline just before and just after it."""
            before = fresh_baseline()
            result = measure()
            return result, round((before + fresh_baseline()) / 2, 1)

        signed_in = _signed_in_cookie(env)
        # The street's leaderboard and a community's (issue #18), each at 10k entries and then at full size.
        boards = [
            ("/points/", "/points/"),
            ("a community's /c/<slug>/points/", _shell_result(env, "seed.page_paths()")["community_points"]),
        ]
        small, small_baseline = {}, {}
        for label, path in boards:
            small[label], baseline = around(
                lambda path=path: run_wrk(wrk, server.url + path, seconds, headers=signed_in)["rps"]
            )
            small_baseline[label] = baseline
            record(
                f"{label} signed in (not cached) at {small_ledger:,} entries, req/s", small[label], "req/s", baseline
            )
        if ledger_size > small_ledger:
            log(f"   scale-up to full size: {scale(ledger_size, size['votes']):.1f} s")
        else:
            scale(ledger_size, size["votes"])
        if size.get("community_households"):
            verify = manage(env, "verify_ledger", check=False)
            log(f"   verify_ledger on the seeded data: {abs(verify):.1f} s, {'passed' if verify > 0 else 'FAILED'}")
            record("verify_ledger after seeding, differences found (0 = passed)", 0 if verify > 0 else 1, "count")
            record("verify_ledger after seeding", abs(verify), "s")
        for label, path in boards:
            full, baseline = around(
                lambda path=path: run_wrk(wrk, server.url + path, seconds, headers=signed_in)["rps"]
            )
            record(f"{label} signed in (not cached) at {ledger_size:,} entries, req/s", full, "req/s", baseline)
            record(f"{label} slowdown from the small to the full ledger", small[label] / full, "x")
            # The machine is shared and its speed drifts between the two measurements, minutes apart: the same
            # slowdown with each figure first divided by the bare view measured around it.
            record(
                f"{label} slowdown from the small to the full ledger, as ratios to the baseline",
                (small[label] / small_baseline[label]) / (full / baseline),
                "x",
            )
        pages = [
            ("/honours/ anonymous, req/s", "/honours/"),
            ("/honours/feed.json, req/s", "/honours/feed.json"),
            ("/ anonymous, req/s", "/"),
            ("/points/ leaderboard anonymous (cached), req/s", "/points/"),
            ("/mottos/ anonymous, req/s", "/mottos/"),
            ("/activities/ anonymous, req/s", "/activities/"),
        ]
        for metric, path in pages:
            if not check_url(server.url + path):
                log(f"   {metric:<44} skipped: {path} does not answer 200")
                continue
            result, baseline = around(lambda path=path: run_wrk(wrk, server.url + path, seconds))
            record(metric, result["rps"], "req/s", baseline)
            if result["errors"]:
                record(metric.replace("req/s", "errors"), result["errors"], "count")
        points_p99, baseline = around(
            lambda: run_wrk(wrk, server.url + "/points/", seconds, headers=signed_in)["p99_ms"]
        )
        record("/points/ signed in, p99", points_p99, "ms")
        ballot = _shell_result(env, "seed.page_paths()")["ballot"]
        for metric, path in (
            ("/activities/ signed in", "/activities/"),
            ("ballot page (200 nominations) signed in", ballot),
            ("/me/ signed in", "/me/"),
        ):
            if path is None:
                continue
            result, baseline = around(lambda path=path: run_wrk(wrk, server.url + path, seconds, headers=signed_in))
            record(f"{metric}, req/s", result["rps"], "req/s", baseline)
            record(f"{metric}, p99", result["p99_ms"], "ms")
            if result["errors"]:
                record(f"{metric}, errors", result["errors"], "count")
        signup = _bench_signups(env, server, wrk, seconds, size["signup_people"], around)
        if signup:
            result, baseline = signup
            record("sign-up POST, 16 connections, req/s", result["rps"], "req/s", baseline)
            record("sign-up POST, 16 connections, p99", result["p99_ms"], "ms")
            record("sign-up POST, 16 connections, errors", result["errors"], "count")
            record("sign-up POST, sign-ups stored", result["stored"], "count")
            record("sign-up POST, activities newly over capacity", result["over_capacity"], "count")
            record("sign-up POST, row counts differing from a recount", result["count_differences"], "count")
        vote, baseline = _bench_votes(env, server, wrk, seconds, size["voters"], around)
        if vote:
            label = "vote POST, 16 connections"
            record(f"{label}, req/s", vote["rps"], "req/s", baseline)
            record(f"{label}, p99", vote["p99_ms"], "ms")
            record(f"{label}, errors", vote["errors"], "count")
            record(f"{label}, votes stored (the rest refused: ballot full or already cast)", vote["stored"], "count")
            record(f"{label}, duplicates", vote["duplicates"], "count")
            record(f"{label}, over-limit voters", vote["over_limit"], "count")
        record("memory of a worker after the run", server.worker_rss_mb(), "MB")
        record("baseline: bare Django view (median of the run), req/s", sorted(baselines)[len(baselines) // 2], "req/s")

    # A visitor's /activities/ on a cache miss: the same site with a cache that keeps nothing and no
    # process-local copies, so every request renders the page (it does not pay for storing the entry either).
    with Server({**env, "BENCH_CACHE_OFF": "1"}) as cold:
        check_url(cold.url + "/activities/")
        before = run_wrk(wrk, cold.url + "/bench/baseline", max(2, seconds // 2))["rps"]
        miss = run_wrk(wrk, cold.url + "/activities/", seconds)
        after = run_wrk(wrk, cold.url + "/bench/baseline", max(2, seconds // 2))["rps"]
        record("/activities/ visitor, cache miss, req/s", miss["rps"], "req/s", round((before + after) / 2, 1))
        record("/activities/ visitor, cache miss, p99", miss["p99_ms"], "ms")

    for metric, function in (
        ("counting a round", "time_counting"),
        ("importing household rows", "time_import"),
        ("exporting a month of ledger entries to XLSX", "time_export"),
        ("a community's monthly report workbook (the export task)", "time_community_report"),
        ("the street's monthly report workbook (the export task)", "time_street_report"),
    ):
        taken = _timed_job(env, function, size)
        if taken is None:
            log(f"   {metric:<44} skipped: not available yet")
        elif isinstance(taken, dict):
            record(metric, taken["seconds"], "s")
            record(f"memory of the process after {metric.split(' (')[0]}", taken["rss_mb"], "MB")
            record(f"peak memory of the process writing {metric.split(' (')[0]}", taken["peak_mb"], "MB")
        else:
            record(metric, taken, "s")
    return results


def _load() -> str:
    """The machine's load average (1, 5 and 15 minutes) when a figure was taken: the machine is shared."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _timed_job(env: dict, function: str, size: dict) -> float | None:
    code = (
        "import sys, json; sys.path.insert(0, 'bench'); import seed; "
        f"print('RESULT', json.dumps(seed.{function}(import_rows={size['import_rows']}, export_rows={size['export_rows']})))"
    )
    completed = subprocess.run(
        [PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    match = re.search(r"^RESULT (.+)$", completed.stdout, re.M)
    if completed.returncode != 0 or not match:
        if completed.returncode != 0:
            log(completed.stderr[-800:])
        return None
    return json.loads(match.group(1))


def _bench_votes(env: dict, server: Server, wrk: str, seconds: int, voters: int, around) -> tuple[dict | None, float]:
    """16 connections POST votes at random shortlisted nominations, each taking the next of its share of
    ``voters`` logged-in residents: a crowd voting in a round's last hour, so most votes are new ones."""
    code = (
        "import sys, json; sys.path.insert(0, 'bench'); import seed; "
        f"print('RESULT', json.dumps(seed.vote_fixture({voters})))"
    )
    completed = subprocess.run(
        [PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    for line in completed.stdout.splitlines():
        if line.startswith("   "):  # the seeder's progress lines
            log(line)
    match = re.search(r"^RESULT (.+)$", completed.stdout, re.M)
    if not match:
        log("   vote POST: skipped (no open round to vote in yet)")
        return None, 0.0
    fixture = json.loads(match.group(1))
    if not fixture:
        log("   vote POST: skipped (no open round to vote in yet)")
        return None, 0.0
    VAR.mkdir(parents=True, exist_ok=True)
    script = VAR / "vote.lua"
    script.write_text(_vote_lua(fixture, WRK_THREADS))
    result, baseline = around(
        lambda: run_wrk(wrk, server.url + "/", seconds, connections=16, threads=WRK_THREADS, script=script)
    )
    check = "import sys, json; sys.path.insert(0, 'bench'); import seed; print('RESULT', json.dumps(seed.vote_check()))"
    completed = subprocess.run(
        [PY, "manage.py", "shell", "-c", check], cwd=ROOT, env=env, capture_output=True, text=True
    )
    integrity = json.loads(re.search(r"^RESULT (.+)$", completed.stdout, re.M).group(1))
    return {**result, **integrity, "stored": integrity["votes_after"] - fixture["votes_before"]}, baseline


def _shell_result(env: dict, expression: str):
    """``expression`` (over bench/seed.py as ``seed``) evaluated inside the site, as JSON."""
    code = f"import sys, json; sys.path.insert(0, 'bench'); import seed; print('RESULT', json.dumps({expression}))"
    completed = subprocess.run(
        [PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    match = re.search(r"^RESULT (.+)$", completed.stdout, re.M)
    if completed.returncode != 0 or not match:
        log(completed.stderr[-800:])
        raise RuntimeError(f"bench seed failed: {expression}")
    return json.loads(match.group(1))


def _bench_signups(env: dict, server: Server, wrk: str, seconds: int, people: int, around):
    """16 connections POST sign-ups, each a resident's first for that activity with its own one-time form
    token (the list wraps round when the run outlasts it: a resent form is answered "already recorded")."""
    fixture = _shell_result(env, f"seed.signup_fixture({people}, 20)")
    if not fixture["requests"]:
        log("   sign-up POST: skipped (no open activity)")
        return None
    VAR.mkdir(parents=True, exist_ok=True)
    script = VAR / "signup.lua"
    script.write_text(_requests_lua(fixture["requests"], WRK_THREADS))
    result, baseline = around(
        lambda: run_wrk(wrk, server.url + "/", seconds, connections=16, threads=WRK_THREADS, script=script)
    )
    check = _shell_result(env, "seed.signup_check()")
    return {
        **result,
        **check,
        "stored": check["signups_after"] - fixture["signups_before"],
        "over_capacity": check["over_capacity"] - fixture["over_capacity_before"],
    }, baseline


def _requests_lua(requests: list[dict], threads: int) -> str:
    """A wrk script that sends ``requests`` (cookie, csrf, path, body) in turn, each thread its own share."""
    rows = ",\n".join(
        "{{cookie = {}, csrf = {}, path = {}, body = {}}}".format(
            *(json.dumps(r[k]) for k in ("cookie", "csrf", "path", "body"))
        )
        for r in requests
    )
    return f"""
local rows = {{ {rows} }}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  turn = 0
end
function request()
  local share = math.max(1, math.floor(#rows / {threads}))
  local row = rows[((id - 1) * share + (turn % share)) % #rows + 1]
  turn = turn + 1
  local headers = {{}}
  headers["Cookie"] = row.cookie
  headers["X-CSRFToken"] = row.csrf
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", row.path, headers, row.body)
end
"""


def _signed_in_cookie(env: dict) -> list[str]:
    """A resident's session, so pages are rendered for them rather than served from the public cache."""
    code = (
        "import sys, json; sys.path.insert(0, 'bench'); import seed; "
        "print('RESULT', json.dumps(seed.vote_fixture(1, any_round=True)))"
    )
    completed = subprocess.run(
        [PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    voter = json.loads(re.search(r"^RESULT (.+)$", completed.stdout, re.M).group(1))["voters"][0]
    return [f"Cookie: sessionid={voter['session']}"]


def _vote_lua(fixture: dict, threads: int) -> str:
    voters = ",\n".join(
        '{{cookie = "sessionid={}; csrftoken={}", token = "{}"}}'.format(v["session"], v["csrf"], v["csrf"])
        for v in fixture["voters"]
    )
    paths = ", ".join(f'"{p}"' for p in fixture["paths"])
    return f"""
local voters = {{ {voters} }}
local paths = {{ {paths} }}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  -- each wrk thread (with its share of the 16 connections) takes turns among its own share of the voters
  math.randomseed(id)
  turn = 0
end
function next_voter()
  local share = math.max(1, math.floor(#voters / {threads}))
  local index = ((id - 1) * share + (turn % share)) % #voters + 1
  turn = turn + 1
  return voters[index]
end
function request()
  local path = paths[math.random(#paths)]
  local voter = next_voter()
  local headers = {{}}
  headers["Cookie"] = voter.cookie
  headers["X-CSRFToken"] = voter.token
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", path, headers, "")
end
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="small data, a few seconds per URL")
    group.add_argument("--full", action="store_true", help="community-scale data")
    group.add_argument("--street", action="store_true", help="street-scale data (issues #17 and #18)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    size_name = "full" if args.full else "street" if args.street else "quick"
    wrk = ensure_wrk()
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: list[dict] = []
    for db in databases:
        results += bench_database(db, size_name, wrk)
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, ensure_ascii=False, indent=1)
    (RESULTS / "latest.json").write_text(text)
    (RESULTS / f"latest-{size_name}.json").write_text(text)  # `make bench` runs two sizes: keep both
    log(f"\nwrote {RESULTS / 'latest.json'} and latest-{size_name}.json ({len(results)} figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
