"""manage.py restore SRC: bring a backup back into an empty database and check every row came back."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from .backup import pg_env, row_counts


class Command(BaseCommand):
    help = "Restore a backup made by manage.py backup into an empty database, then compare row counts."

    def add_arguments(self, parser):
        parser.add_argument("source", help="the backup folder")

    def handle(self, *args, source: str, **options):
        src = Path(source)
        manifest_path = src / "manifest.json"
        if not manifest_path.exists():
            raise CommandError(f"{src} has no manifest.json: not a backup.")
        manifest = json.loads(manifest_path.read_text())
        if manifest["vendor"] != connection.vendor:
            raise CommandError(f"This backup is of {manifest['vendor']}, the database is {connection.vendor}.")
        if connection.introspection.table_names():
            raise CommandError("The database is not empty. Restore into a new, empty database.")
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            source_db = sqlite3.connect(src / "db.sqlite3")
            with source_db:
                source_db.backup(connection.connection)
            source_db.close()
        else:
            executable = shutil.which("pg_restore")
            if not executable:
                raise CommandError("pg_restore was not found (install the PostgreSQL client).")
            env, conn_args = pg_env(connection.settings_dict)
            connection.close()
            subprocess.run(  # noqa: S603 - arguments come from settings, never from a request
                [
                    executable,
                    *conn_args,
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--dbname",
                    connection.settings_dict["NAME"],
                    str(src / "db.pgdump"),
                ],
                env=env,
                check=True,
            )
        media = Path(settings.MEDIA_ROOT)
        media.mkdir(parents=True, exist_ok=True)
        with tarfile.open(src / "media.tar.gz", "r:gz") as archive:
            for member in archive.getmembers():
                if not member.name.startswith("media"):
                    continue
                member.name = member.name.removeprefix("media").lstrip("/")
                if member.name:
                    archive.extract(member, media, filter="data")  # refuses links and paths outside media
        restored = row_counts()
        missing = {
            label: (count, restored.get(label))
            for label, count in manifest["rows"].items()
            if restored.get(label) != count
        }
        if missing:
            raise CommandError(f"Row counts differ after the restore: {missing}")
        self.stdout.write(
            self.style.SUCCESS(f"Restored {sum(restored.values())} rows; every table matches the backup.")
        )
