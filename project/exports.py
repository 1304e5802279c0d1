"""Spreadsheets staff send upward (台账): CSV that opens right in Excel, and XLSX.

Every export goes through ``tabular_response`` (web) or ``write_table``
(command line), so every cell is neutralised the same way: text beginning with
``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) gets a leading
apostrophe, so opening the file in Excel runs nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """A cell value that no spreadsheet will run as a formula; numbers and dates stay numbers and dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def _csv_lines(headers: Sequence[str], rows: Iterable[Sequence]):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # the BOM makes Excel on Windows read UTF-8 (Chinese) correctly
    yield writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        yield writer.writerow([_csv_value(safe_cell(v)) for v in row])


def _csv_value(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write_xlsx(target, headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str) -> int:
    """Stream rows into an XLSX workbook at ``target`` (a path or a binary file); returns the data rows written.

    XlsxWriter in constant-memory mode writes each row as it comes, so a month
    of 100,000 ledger lines takes seconds and little memory. Text is always
    written as text (never as a formula), after ``safe_cell``.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        target,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    title = "".join(" " if ch in "[]:*?/\\" else ch for ch in sheet_title)[:31].strip() or "Sheet1"
    sheet = workbook.add_worksheet(title)
    bold = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for column, header in enumerate(headers):
        sheet.write_string(0, column, str(safe_cell(header)), bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            value = safe_cell(value)
            if isinstance(value, str):
                if value:
                    sheet.write_string(count, column, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(count, column, value, moment)
            elif isinstance(value, date):
                sheet.write_datetime(count, column, datetime.combine(value, datetime.min.time()), day)
            else:
                sheet.write_number(count, column, value)
    workbook.close()
    return count


def _xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str) -> bytes:
    buffer = io.BytesIO()
    _write_xlsx(buffer, headers, rows, sheet_title)
    return buffer.getvalue()


def tabular_response(
    *, headers: Sequence[str], rows: Iterable[Sequence], filename: str, fmt: str, sheet_title: str = ""
) -> HttpResponse:
    """An attachment in ``fmt`` ("csv" or "xlsx"); ``filename`` without extension, may be Chinese."""
    from django.utils.http import content_disposition_header

    if fmt == "xlsx":
        response = HttpResponse(_xlsx_bytes(headers, rows, sheet_title or filename), content_type=XLSX_CONTENT_TYPE)
    else:
        fmt = "csv"
        response = StreamingHttpResponse(_csv_lines(headers, rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.{fmt}")
    response["Cache-Control"] = "private, no-store"
    return response


def write_table(path, *, headers: Sequence[str], rows: Iterable[Sequence], fmt: str, sheet_title: str = "") -> None:
    """Write the same file to disk (management commands), streaming row by row."""
    if fmt == "xlsx":
        _write_xlsx(str(path), headers, rows, sheet_title or "Sheet1")
    else:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write("".join(_csv_lines(headers, rows)))
