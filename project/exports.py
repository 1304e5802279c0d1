"""Spreadsheets staff send upward (台账): CSV that opens right in Excel, and XLSX.

Every export goes through ``tabular_response`` (web) or ``write_table``
(command line), so every cell follows the same rules (``plain_cell``). In CSV,
where Excel evaluates text, text beginning with ``=``, ``+``, ``-``, ``@`` (or a
tab or carriage return) gets a leading apostrophe (``safe_cell``), so opening
the file runs nothing. XLSX (``project.xlsx``) writes text as inline strings,
which a spreadsheet never evaluates, so its text is exactly what was stored.

Both are written row by row into a file (a temporary one for the web, then
streamed from it), so an export never sits whole in memory and all its queries
run inside the view.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext

from .xlsx import write_xlsx

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STREAM_BLOCK_SIZE = 64 * 1024


def plain_cell(value):
    """A cell value as every export shows it: numbers and dates stay numbers and dates, local time, yes/no in the
    reader's language (是/否)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    return str(value)


def safe_cell(value):
    """A CSV cell that no spreadsheet will run as a formula: ``plain_cell``, with an apostrophe before formula text."""
    value = plain_cell(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_value(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write_csv(handle: IO[str], headers: Sequence[str], rows: Iterable[Sequence]) -> None:
    handle.write("\ufeff")  # the BOM makes Excel on Windows read UTF-8 (Chinese) correctly
    writer = csv.writer(handle)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_value(safe_cell(v)) for v in row])


def _write(target: IO[bytes], fmt: str, headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str) -> None:
    """Write the table into a binary file, in ``fmt``."""
    if fmt == "xlsx":
        write_xlsx(target, headers=headers, rows=rows, sheet_title=sheet_title, convert=plain_cell)
        return
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    try:
        _write_csv(text, headers, rows)
    finally:
        text.flush()
        text.detach()  # leave the binary file open for the caller


def tabular_response(
    *, headers: Sequence[str], rows: Iterable[Sequence], filename: str, fmt: str, sheet_title: str = ""
) -> FileResponse:
    """An attachment in ``fmt`` ("csv" or "xlsx"); ``filename`` without extension, may be Chinese.

    The file is written to a temporary file first, then streamed from it: memory stays flat however
    many rows there are, and a query that fails does so here, in the view, as an error page.
    """
    fmt = "xlsx" if fmt == "xlsx" else "csv"
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes (and so deletes) it when sent
    try:
        _write(spool, fmt, headers, rows, sheet_title or filename)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    response = FileResponse(
        spool,
        as_attachment=True,
        filename=f"{filename}.{fmt}",
        content_type=XLSX_CONTENT_TYPE if fmt == "xlsx" else CSV_CONTENT_TYPE,
    )
    response.block_size = STREAM_BLOCK_SIZE
    response["Cache-Control"] = "private, no-store"
    return response


def write_table(path, *, headers: Sequence[str], rows: Iterable[Sequence], fmt: str, sheet_title: str = "") -> None:
    """Write the same file to disk (management commands), streaming row by row."""
    with open(path, "wb") as handle:
        _write(handle, "xlsx" if fmt == "xlsx" else "csv", headers, rows, sheet_title or "Sheet1")
