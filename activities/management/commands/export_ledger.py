"""manage.py export_ledger --month 2026-11 --format xlsx --output FILE: a month's 台账 as a file."""

import re
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from activities import exports
from project.exports import write_table


class Command(BaseCommand):
    help = "Write one month of the points ledger (or hours by grid, or activity records) as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month, e.g. 2026-11.")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
        parser.add_argument("--output", required=True, help="The file to write.")
        parser.add_argument(
            "--kind", choices=sorted(exports.KINDS), default="ledger", help="Which register (default: ledger)."
        )

    def handle(self, *args, month: str, format: str, output: str, kind: str, **options):
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise CommandError("--month must look like 2026-11")
        year, number = month.split("-")
        headers, rows, title = exports.table(kind, date(int(year), int(number), 1))
        count = 0

        def counted():
            nonlocal count
            for row in rows:
                count += 1
                yield row

        write_table(output, headers=headers, rows=counted(), fmt=format, sheet_title=title)
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} rows to {output}."))
