"""The systemd units in deploy/, tried on this machine without systemd: their commands are read from the files,
expanded the way systemd expands them (Environment= lines, then the environment file; ``%%`` and ``$$``), and run
as plain processes. The web server answers /healthz, the worker sends a mail the site wrote and runs the scheduled
tick its ExecStartPre started, and the backup service writes a dated backup and removes old ones."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

from tests import serving

DEPLOY = serving.ROOT / "deploy"
APP = "/srv/honours/app"  # where the units expect the checkout; here, this one

SEND = "from django.core.mail import send_mail; send_mail('站点通知', '正文', None, ['wang@example.com'])"
SENT = "from project.models import OutboxMessage as M; print(list(M.objects.values_list('state', flat=True)))"
TICKED = "from project.models import TickState; print(TickState.objects.get().last_run_at is not None)"


def read_unit(name: str) -> dict[str, list[str]]:
    """A unit's settings, each key with all its values in order (systemd allows a key more than once)."""
    values: dict[str, list[str]] = {}
    for raw in (DEPLOY / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _equals, value = line.partition("=")
        values.setdefault(key.strip(), []).append(value.strip())
    return values


def unit_env(unit: dict[str, list[str]], environment_file: dict) -> dict:
    """What a unit's commands see: its Environment= lines, overridden by the environment file (as in systemd)."""
    env = {}
    for line in unit.get("Environment", []):
        key, _equals, value = line.partition("=")
        env[key] = value
    env.update(environment_file)
    return env


def command(line: str, env: dict) -> list[str]:
    """An Exec line as systemd runs it: ``${VAR}`` from the unit's environment, ``$$`` and ``%%`` unescaped."""
    line = line.lstrip("-@+!")
    line = line.replace("$$", "\0").replace("%%", "%")
    line = re.sub(r"\$\{(\w+)\}", lambda match: env.get(match.group(1), ""), line)
    return [word.replace("\0", "$").replace(APP, str(serving.ROOT)) for word in shlex.split(line)]


def run(line: str, env: dict) -> None:
    completed = subprocess.run(command(line, env), cwd=serving.ROOT, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_every_unit_is_tried_here(tmp_path):
    database = tmp_path / "site.sqlite3"
    environment_file = serving.site_env(f"sqlite:///{database}")
    environment_file.update(
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MEDIA_ROOT=str(tmp_path / "media"),
        PRIVATE_FILES_ROOT=str(tmp_path / "private"),
        PORT=str(serving.free_port()),  # the port of this try, instead of the unit's
        BACKUP_DIR=str(tmp_path / "backups"),
    )
    serving.manage(environment_file, "migrate", "--noinput")
    web, worker = read_unit("honours-web.service"), read_unit("honours-worker.service")
    assert web["WorkingDirectory"] == [APP] and worker["WorkingDirectory"] == [APP]
    web_env, worker_env = unit_env(web, environment_file), unit_env(worker, environment_file)

    for line in worker.get("ExecStartPre", []):
        run(line, worker_env)
    serving.run_python(worker_env, SEND)
    with (
        serving.process(web_env, command(web["ExecStart"][0], web_env)),
        serving.process(worker_env, command(worker["ExecStart"][0], worker_env)),
    ):
        serving.wait_until_up(f"http://127.0.0.1:{web_env['PORT']}")
        assert serving.request(f"http://127.0.0.1:{web_env['PORT']}/healthz")[0] == 200
        assert serving.wait_for(worker_env, SENT, "['sent']") == "['sent']"
        assert serving.wait_for(worker_env, TICKED, "True") == "True"

    backup = read_unit("honours-backup.service")
    backup_env = unit_env(backup, environment_file)
    old = Path(backup_env["BACKUP_DIR"]) / "2020-01-01T023000"
    old.mkdir(parents=True)
    long_ago = time.time() - 90 * 24 * 3600
    os.utime(old, (long_ago, long_ago))
    for line in backup["ExecStart"] + backup.get("ExecStartPost", []):
        run(line, backup_env)
    made = sorted(Path(backup_env["BACKUP_DIR"]).iterdir())
    assert len(made) == 1 and made[0] != old  # today's backup, and the old one gone
    assert (made[0] / "db.sqlite3").exists()


def test_the_timer_starts_the_backup_nightly():
    timer = read_unit("honours-backup.timer")
    assert timer["OnCalendar"] == ["*-*-* 02:30:00"] and timer["Persistent"] == ["true"]


def test_the_web_server_listens_on_the_loopback_only():
    """Behind nginx, X-Real-IP is trusted; a gunicorn reachable from outside would let clients name any address."""
    web = read_unit("honours-web.service")
    assert "--bind 127.0.0.1:" in web["ExecStart"][0]
