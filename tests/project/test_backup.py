"""Backup and restore: a backup restored into an empty database brings back every row and photo."""

from __future__ import annotations

import pytest

from tests import serving
from tests.project.test_faults import scratch_postgres  # noqa: F401 - fixture

COUNT_CHECK = (
    "from django.core.management import get_commands, call_command\n"
    "from project.management.commands.backup import row_counts\n"
    "rows = row_counts()\n"
    "print('ROWS', sum(rows.values()))\n"
    "if 'verify_ledger' in get_commands():\n"
    "    call_command('verify_ledger')\n"
    "    print('LEDGER OK')\n"
)
MAKE_PHOTO = (
    "from django.core.files.base import ContentFile\n"
    "from django.core.files.storage import default_storage\n"
    "print('PHOTO', default_storage.save('test/photo.jpg', ContentFile(b'jpeg-bytes')))\n"
)


def _round_trip(source_url: str, target_url: str, tmp_path) -> None:
    media_a, media_b = tmp_path / "media-a", tmp_path / "media-b"
    env = serving.prepare_database(source_url)
    env["MEDIA_ROOT"] = str(media_a)
    serving.manage(env, "seed_demo", "--households", "20")
    photo = serving.run_python(env, MAKE_PHOTO).split("PHOTO ")[1].strip()
    before = serving.run_python(env, COUNT_CHECK)
    serving.manage(env, "backup", str(tmp_path / "backup"))

    target = serving.site_env(target_url)
    target["MEDIA_ROOT"] = str(media_b)
    serving.manage(target, "restore", str(tmp_path / "backup"))
    after = serving.run_python(target, COUNT_CHECK)
    assert before.split("ROWS ")[1].split()[0] == after.split("ROWS ")[1].split()[0]
    assert ("LEDGER OK" in before) == ("LEDGER OK" in after)
    assert (media_b / photo).read_bytes() == b"jpeg-bytes"

    # A second restore into a database that now has data is refused, and changes nothing.
    with pytest.raises(RuntimeError, match="not empty"):
        serving.manage(target, "restore", str(tmp_path / "backup"))


def test_sqlite_backup_restores_into_an_empty_database(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'a.sqlite3'}", f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path)


@pytest.mark.django_db(transaction=True)
def test_postgres_backup_restores_into_an_empty_database(scratch_postgres, tmp_path):  # noqa: F811
    source_url, _name, admin = scratch_postgres
    target_name = _name + "_restored"
    admin.execute(f'CREATE DATABASE "{target_name}"')
    try:
        _round_trip(source_url, source_url.rsplit("/", 1)[0] + "/" + target_name, tmp_path)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
