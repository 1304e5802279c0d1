"""manage.py import_households FILE [--dry-run]: the register import from the command line."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from families.register_io import check_register, size_problem
from families.services import import_register


class Command(BaseCommand):
    help = (
        "Import households and residents from a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file with "
        "Chinese or English headers. Every problem is listed by row number and nothing is written unless the "
        "whole file is right; importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The register file (.csv or .xlsx).")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")
        parser.add_argument("--user", help="Username recorded in the audit log as the importer.")

    def handle(self, *args, file: str, dry_run: bool, user: str | None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No such user: {user}")
        too_large = size_problem(path.stat().st_size)
        if too_large:
            # Refused before reading: the same limit as the web upload, and the file never enters memory.
            raise CommandError(too_large)
        plan = check_register(path.read_bytes(), path.name)
        if plan.errors:
            for row, message in plan.errors:
                where = f"{_('Row %(row)s') % {'row': row}}: " if row else ""
                self.stderr.write(f"{where}{message}")
            raise CommandError(f"{len(plan.errors)} problem(s) in {path.name}; nothing was imported.")
        self.stdout.write(
            f"{path.name}: {plan.row_count} rows, {len(plan.households)} households, {len(plan.residents)} residents."
        )
        if dry_run:
            from families.register_io import apply_plan

            summary = apply_plan(plan, dry_run=True)
            self.stdout.write("Dry run, nothing written. Would change: " + self._format(summary))
            return
        last = {"percent": -1}

        def progress(done: int, total: int) -> None:
            percent = done * 100 // total if total else 100
            if total >= 2000 and percent // 10 != last["percent"] // 10:
                last["percent"] = percent
                self.stdout.write(f"  {done}/{total} ({percent}%)")

        summary = import_register(plan=plan, actor=actor, progress=progress)
        self.stdout.write(self.style.SUCCESS("Imported. " + self._format(summary)))

    @staticmethod
    def _format(summary: dict) -> str:
        return ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in summary.items())
