"""Development: the README's manage.py commands work as written on a fresh clone, and never override a deployment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import manage

ROOT = Path(__file__).resolve().parents[2]


def _fresh_clone(tmp_path: Path) -> Path:
    """The files a clone has: no var/, no compiled translations, no virtualenv."""
    clone = tmp_path / "clone"
    shutil.copytree(
        ROOT,
        clone,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "var", "media", "staticfiles", "test-artifacts", "__pycache__", "*.mo", "*.sqlite3*"
        ),
    )
    return clone


def _clean_environment(**names: str) -> dict[str, str]:
    """What a fresh shell has: none of the test run's DJANGO_* settings."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", **names}


def _run(clone: Path, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(command), cwd=clone, env=env or _clean_environment(), capture_output=True, text=True, timeout=300
    )


def _manage(clone: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return _run(clone, sys.executable, "manage.py", *args, env=env)


def test_after_make_writes_var_dev_env_the_readme_commands_work_as_written(tmp_path):
    clone = _fresh_clone(tmp_path)
    made = _run(clone, "make", "var/dev.env")
    assert made.returncode == 0, made.stderr
    lines = (clone / "var" / "dev.env").read_text().splitlines()
    assert "DJANGO_DEBUG=1" in lines
    (key,) = [line.partition("=")[2] for line in lines if line.startswith("DJANGO_SECRET_KEY=")]
    assert len(key) >= 50
    for command in (
        ["migrate", "--noinput"],
        ["createcachetable"],
        ["verify_ledger"],
        ["export_ledger", "--month", "2026-11", "--format", "xlsx", "--output", "ledger-2026-11.xlsx"],
    ):
        result = _manage(clone, *command)
        assert result.returncode == 0, f"manage.py {' '.join(command)}:\n{result.stderr}"
    assert (clone / "var" / "db.sqlite3").is_file() and (clone / "ledger-2026-11.xlsx").is_file()
    shown = _manage(
        clone,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)",
    )
    assert shown.stdout.split() == ["True", key]
    assert _run(clone, "make", "var/dev.env").returncode == 0
    assert (clone / "var" / "dev.env").read_text().splitlines() == lines  # the key is kept: sessions survive


def test_without_var_dev_env_manage_py_says_how_to_get_one_and_writes_nothing(tmp_path):
    clone = _fresh_clone(tmp_path)
    result = _manage(clone, "check")
    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off." in result.stderr
    assert "run `make setup` once: it writes var/dev.env" in result.stderr
    assert not (clone / "var").exists()


def test_a_site_with_its_own_secret_key_never_reads_var_dev_env(tmp_path):
    clone = _fresh_clone(tmp_path)
    (clone / "var").mkdir()
    (clone / "var" / "dev.env").write_text("DJANGO_DEBUG=1\nCOMMUNITY_NAME=开发\n")
    env = _clean_environment(DJANGO_SECRET_KEY="k" * 50, DJANGO_ALLOWED_HOSTS="honours.example.org")
    shown = _manage(
        clone,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.COMMUNITY_NAME or '-')",
        env=env,
    )
    assert shown.stdout.split() == ["False", "-"], shown.stderr


def test_the_environment_wins_over_var_dev_env(tmp_path):
    path = tmp_path / "dev.env"
    path.write_text(
        "# a comment\nDJANGO_DEBUG=1\n\nDJANGO_SECRET_KEY = from-the-file \nnot a setting\nLOG_LEVEL=DEBUG\n"
    )
    environ = {"LOG_LEVEL": "WARNING"}
    manage.read_dev_env(path, environ)
    assert environ == {"LOG_LEVEL": "WARNING", "DJANGO_DEBUG": "1", "DJANGO_SECRET_KEY": "from-the-file"}


def test_no_file_leaves_the_environment_as_it_is(tmp_path):
    environ = {"PATH": "/usr/bin"}
    manage.read_dev_env(tmp_path / "missing.env", environ)
    assert environ == {"PATH": "/usr/bin"}


def test_importing_the_settings_makes_no_folder(tmp_path):
    clone = _fresh_clone(tmp_path)
    env = _clean_environment(DJANGO_SECRET_KEY="k" * 50, DJANGO_SETTINGS_MODULE="project.settings")
    result = _run(clone, sys.executable, "-c", "import django; django.setup(); print('ok')", env=env)
    assert result.stdout.strip() == "ok", result.stderr
    assert not (clone / "var").exists()
