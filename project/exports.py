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
    """Stream rows into an XLSX workbook at ``target`` (a path or a binary file); returns the data rows written."""
    from .xlsx import write_xlsx

    return write_xlsx(target, headers=headers, rows=rows, sheet_title=sheet_title)


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
