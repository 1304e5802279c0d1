"""``manage.py monthly_report --community <slug> --month 2026-11 --output FILE``: a report workbook (台账).

Also ``--quarter 2026-Q4`` or ``--year 2026`` for the period, and ``--street`` (instead of ``--community``) for the
street's workbook, with a row per community. The file is the one the reports page gives
(``project.reports.write``); ``--language`` picks its language (the site's by default).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from project import reports
from project.exports import ExportRefused


class Command(BaseCommand):
    help = "Write a report workbook (台账) for a community or the street, for a month, a quarter or a year."

    def add_arguments(self, parser):
        place = parser.add_mutually_exclusive_group(required=True)
        place.add_argument("--community", help="The community's short name (slug).")
        place.add_argument("--street", action="store_true", help="The street's workbook: a row per community.")
        period = parser.add_mutually_exclusive_group(required=True)
        period.add_argument("--month", help="For example 2026-11.")
        period.add_argument("--quarter", help="For example 2026-Q4.")
        period.add_argument("--year", help="For example 2026.")
        parser.add_argument("--output", required=True, help="The XLSX file to write.")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, help="zh-hans (default) or en.")

    def handle(self, *args, **options):
        kind = next(kind for kind in ("month", "quarter", "year") if options[kind])
        text = options[kind]
        with translation.override(options["language"]):
            try:
                period = reports.Period.parse(text)
                if period.kind != kind:
                    raise ValueError(
                        translation.gettext(
                            "Write the period as a month (2026-11), a quarter (2026-Q4) or a year (2026)."
                        )
                    )
                place = reports.place_for(None, "" if options["street"] else options["community"])
            except (ValueError, ExportRefused) as error:
                raise CommandError(str(error)) from None
            rows = reports.write(options["output"], period=period, place=place)
        self.stdout.write(f"{options['output']}: {len(reports.measures())} sheets, {rows} rows.")
