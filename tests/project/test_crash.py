"""kill -9 at random moments during a stream of votes, confirmations and redemptions: every invariant holds.

The site runs under gunicorn on a PostgreSQL database of its own. While
residents vote and redeem and an organizer confirms hours, workers are killed
with SIGKILL, and once the whole server; afterwards votes are within limits,
the ledger equals the balances (verify_ledger) and stock matches redemptions.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from tests import serving
from tests.project.test_faults import scratch_postgres  # noqa: F401 - fixture

SETUP = r"""
import json
from django.contrib.auth import get_user_model
from project.formtokens import new_token
from tests.serving import session_for
from awards.models import AwardRound, Nomination
from activities.models import Signup, StoreItem
from activities.services import award_points
from families.models import Resident

def session(user):
    return list(session_for(user))

voting = [r for r in AwardRound.objects.all() if r.accepts_votes()]
nominations = list(Nomination.objects.filter(round__in=voting, status="shortlisted").values_list("pk", flat=True))
residents = list(Resident.objects.verified().filter(user__isnull=False).select_related("user").order_by("pk")[:20])
for person in residents:
    award_points(resident=person, amount=500, reason="crash test", actor=None)
items = [StoreItem.objects.create(name=f"crash {i}", price=60, stock=5) for i in range(3)]
signups = list(Signup.objects.hours_to_confirm().values_list("pk", flat=True))
organizer = get_user_model().objects.get(username="organizer")
print("SETUP", json.dumps({
    "votes": [f"/nominations/{pk}/vote/" for pk in nominations],
    "redeems": [f"/store/{item.pk}/redeem/" for item in items],
    "items": [item.pk for item in items],
    "confirms": [f"/organize/signups/{pk}/confirm/" for pk in signups],
    "residents": [session(p.user) for p in residents],
    # What each redemption form carries: a fresh one-time token per resident and post.
    "redeem_tokens": [[new_token(p.user, "activities.redeem") for _ in range(80)] for p in residents],
    "organizer": session(organizer),
}))
"""

CHECK = r"""
import json
from django.core.management import call_command
from django.db.models import Count
from awards.models import Vote
from activities.models import StoreItem
problems = []
limits = {}
for row in Vote.objects.values("entry", "entry__votes_per_voter", "unit_key").annotate(n=Count("id")):
    if row["n"] > row["entry__votes_per_voter"]:
        problems.append(f"over the vote limit: {row}")
if Vote.objects.values("nomination", "unit_key").annotate(n=Count("id")).filter(n__gt=1).exists():
    problems.append("duplicate votes")
for item in StoreItem.objects.filter(pk__in=ITEMS):
    live = item.redemptions.exclude(status="cancelled").count()
    if item.stock < 0 or item.stock + live != 5:
        problems.append(f"stock {item.stock} with {live} live redemptions of {item.pk}")
try:
    call_command("verify_ledger")
except SystemExit as exit:
    if exit.code:
        problems.append("verify_ledger failed")
print("CHECK", json.dumps({"problems": problems, "votes": Vote.objects.count()}))
"""


def _workers(master_pid: int) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("PPid:") and int(line.split()[1]) == master_pid:
                pids.append(int(status.parent.name))
    return pids


@pytest.mark.django_db(transaction=True)
def test_kill_9_during_votes_confirmations_and_redemptions_leaves_every_invariant_intact(scratch_postgres, tmp_path):  # noqa: F811
    database_url, _name, _admin = scratch_postgres
    env = serving.prepare_database(database_url)
    env["STATIC_ROOT"] = str(tmp_path / "static")
    serving.manage(env, "collectstatic", "--noinput")
    serving.manage(env, "seed_demo", "--households", "20")
    setup = json.loads(serving.run_python(env, SETUP).split("SETUP ", 1)[1])
    assert setup["votes"] and setup["redeems"]
    rng = random.Random(7)
    stop = threading.Event()
    answered = {"count": 0}

    def stream(url_holder):
        while not stop.is_set():
            url = url_holder["url"]
            choice = rng.random()
            try:
                if choice < 0.6:
                    serving.post_form(url, rng.choice(setup["votes"]), {}, tuple(rng.choice(setup["residents"])))
                elif choice < 0.85 or not setup["confirms"]:
                    who = rng.randrange(len(setup["residents"]))
                    tokens = setup["redeem_tokens"][who]
                    fields = {"form_token": tokens.pop() if len(tokens) > 1 else tokens[0]}
                    serving.post_form(url, rng.choice(setup["redeems"]), fields, tuple(setup["residents"][who]))
                else:
                    serving.post_form(url, rng.choice(setup["confirms"]), {}, tuple(setup["organizer"]))
                answered["count"] += 1
            except OSError:
                time.sleep(0.05)  # the worker died under us: that is the point

    for round_number in range(2):
        with serving.gunicorn(env, workers=2) as (url, process):
            holder = {"url": url}
            threads = [threading.Thread(target=stream, args=(holder,)) for _ in range(6)]
            stop.clear()
            for thread in threads:
                thread.start()
            deadline = time.time() + 6
            while time.time() < deadline:
                time.sleep(rng.uniform(0.2, 0.6))
                workers = _workers(process.pid)
                if workers:
                    os.kill(rng.choice(workers), signal.SIGKILL)
            if round_number == 0:
                os.killpg(process.pid, signal.SIGKILL)  # the whole server dies mid-stream
            stop.set()
            for thread in threads:
                thread.join()

    check = json.loads(serving.run_python(env, CHECK.replace("ITEMS", repr(setup["items"]))).split("CHECK ", 1)[1])
    assert answered["count"] > 20
    assert check["problems"] == []
