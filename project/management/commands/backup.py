"""manage.py backup DEST: the database and the uploaded media, with a manifest of row counts."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


def row_counts() -> dict[str, int]:
    """Rows per model, so a restore can prove it brought everything back."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def pg_env(settings_dict: dict) -> tuple[dict, list[str]]:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    args = [
        "--host",
        settings_dict.get("HOST") or "127.0.0.1",
        "--port",
        str(settings_dict.get("PORT") or 5432),
        "--username",
        settings_dict.get("USER") or "postgres",
    ]
    return env, args


class Command(BaseCommand):
    help = "Back up the database and media into a new folder (restore with manage.py restore)."

    def add_arguments(self, parser):
        parser.add_argument("destination", help="a folder that does not exist yet, or is empty")

    def handle(self, *args, destination: str, **options):
        dest = Path(destination)
        if dest.exists() and any(dest.iterdir()):
            raise CommandError(f"{dest} is not empty.")
        dest.mkdir(parents=True, exist_ok=True)
        vendor = connection.vendor
        if vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(dest / "db.sqlite3")
            with target:
                connection.connection.backup(target)  # a consistent copy, even while the site runs
            target.close()
        elif vendor == "postgresql":
            executable = shutil.which("pg_dump")
            if not executable:
                raise CommandError("pg_dump was not found (install the PostgreSQL client).")
            env, conn_args = pg_env(connection.settings_dict)
            subprocess.run(  # noqa: S603 - arguments come from settings, never from a request
                [
                    executable,
                    *conn_args,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    "--file",
                    str(dest / "db.pgdump"),
                    connection.settings_dict["NAME"],
                ],
                env=env,
                check=True,
            )
        else:
            raise CommandError(f"Backups of {vendor} are not supported.")
        media = Path(settings.MEDIA_ROOT)
        with tarfile.open(dest / "media.tar.gz", "w:gz") as archive:
            if media.exists():
                archive.add(media, arcname="media")
        manifest = {"created_at": timezone.now().isoformat(), "vendor": vendor, "rows": row_counts()}
        (dest / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        total = sum(manifest["rows"].values())
        self.stdout.write(self.style.SUCCESS(f"Backed up {total} rows and the media to {dest}."))
