"""The one XLSX writer behind every export: streaming, and fast enough for a month of the ledger.

openpyxl without lxml writes about a thousand rows a second here, and
XlsxWriter's per-cell bookkeeping took 15 s for the 100,000-line monthly
ledger under load; writing the sheet's XML straight into the zip stream takes a
few seconds. One sheet, numbers as numbers, dates as dates, and text as inline
strings, written as it is: a spreadsheet never evaluates an inline string (only a
cell's ``<f>`` element is a formula), so ``=SUM(A1)`` stays that text and needs no
apostrophe. CSV, where Excel does evaluate text, is guarded in ``project.exports``,
which uses this module (this one imports nothing of the site).
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.date()


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, sheets + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}"
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    )


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)


def _workbook_rels(sheets: int) -> str:
    worksheet = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
    links = "".join(
        f'<Relationship Id="rId{n}" Type="{worksheet}" Target="worksheets/sheet{n}.xml"/>' for n in range(1, sheets + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{links}"
        '<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>"
    )


# Style 0: plain; 1: bold (header); 2: date; 3: date and time.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _text(value: str) -> str:
    """Text as XML: characters XML cannot hold are dropped, markup is escaped, nothing is added."""
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    if "&" in value or "<" in value or ">" in value:
        value = escape(value)
    return value


def _serial(moment: datetime) -> float:
    """Excel's day number of ``moment``, to the second and at full precision: six decimals are only 86 ms, so 08:00
    became 07:59:59.97."""
    elapsed = moment.replace(microsecond=0) - _EPOCH
    return elapsed.days + elapsed.seconds / 86400


def _width(value) -> int:
    """About how many character widths a cell needs: CJK characters are two wide, dates and times fixed."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = str(value)
    return len(text) + sum(1 for char in text if ord(char) >= 0x2E80)


def _sheet_head(headers: Sequence[str], sample: Sequence[Sequence], *, header_row: int = 1) -> str:
    """The rows down to the header frozen in place, and column widths fitting the header and the first rows (the
    sheet is streamed, so the widths are measured on what comes first)."""
    widths = [_width(h) for h in headers]
    for row in sample:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _width(value))
    columns = "".join(
        f'<col min="{n}" max="{n}" width="{min(max(w + 2, 6), 60)}" customWidth="1"/>' for n, w in enumerate(widths, 1)
    )
    below = header_row + 1
    frozen = f'<pane ySplit="{header_row}" topLeftCell="A{below}" activePane="bottomLeft" state="frozen"/>'
    views = f'<sheetViews><sheetView workbookViewId="0">{frozen}</sheetView></sheetViews>'
    return views + (f"<cols>{columns}</cols>" if columns else "")


_WIDTH_SAMPLE = 500


def _cells(row: Sequence, zone, convert: Callable[[object], object]) -> str:
    """One row's cells. Cell references are optional in SpreadsheetML, so they are left out (faster)."""
    out = []
    for value in row:
        kind = type(value)
        if kind is str:
            if value:
                out.append(f'<c t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>')
            else:
                out.append("<c/>")
        elif kind is int or kind is float or kind is Decimal:
            out.append(f"<c><v>{value}</v></c>")
        elif value is None:
            out.append("<c/>")
        elif kind is datetime:
            if value.tzinfo is not None:
                value = value.astimezone(zone).replace(tzinfo=None)
            out.append(f'<c s="3"><v>{_serial(value)!r}</v></c>')
        elif kind is date:
            out.append(f'<c s="2"><v>{(value - _EPOCH_DAY).days}</v></c>')
        else:  # booleans, lazy strings and anything else: the caller's rule, then as text if still unknown
            out.append(_cells([convert(value)], zone, str))
    return "".join(out)


@dataclass
class Sheet:
    """One sheet of a workbook: ``caption`` is a bold title row above the header (the place and the period of a
    report), ``totals`` a bold last row; the header (and the caption) stay frozen in place."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    caption: str = ""
    totals: Sequence | None = None


def _bold_cells(row: Sequence) -> str:
    cells = []
    for value in row:
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            cells.append(f'<c s="1"><v>{value}</v></c>')
        elif value is None or value == "":
            cells.append("<c/>")
        else:
            cells.append(f'<c s="1" t="inlineStr"><is><t xml:space="preserve">{_text(str(value))}</t></is></c>')
    return "".join(cells)


def _sheet_name(title: str, taken: set[str]) -> str:
    """A tab name Excel accepts: no []:*?/\\, at most 31 characters, unique in the workbook."""
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Sheet"
    base, number = name, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def _entry(name: str) -> zipfile.ZipInfo:
    """A part of the file with a fixed date: the same workbook is the same bytes, whenever it is written."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    if hasattr(info, "compress_level"):  # Python 3.13 and later
        info.compress_level = 1
    else:
        info._compresslevel = 1
    return info


def _write_sheet(archive: zipfile.ZipFile, number: int, sheet: Sheet, zone, convert) -> int:
    header_row = 2 if sheet.caption else 1
    count = 0
    with archive.open(_entry(f"xl/worksheets/sheet{number}.xml"), "w", force_zip64=True) as out:
        rows = iter(sheet.rows)
        sample = [list(row) for row in itertools.islice(rows, _WIDTH_SAMPLE)]
        if sheet.totals:
            sample.append(list(sheet.totals))
        out.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + _sheet_head(sheet.headers, sample, header_row=header_row).encode("utf-8")
            + b"<sheetData>"
        )
        if sheet.totals:
            sample.pop()
        buffer = [f'<row r="1">{_bold_cells([sheet.caption])}</row>'] if sheet.caption else []
        buffer.append(f'<row r="{header_row}">{_bold_cells([str(h) for h in sheet.headers])}</row>')
        number_ = header_row
        for number_, row in enumerate(itertools.chain(sample, rows), start=header_row + 1):
            buffer.append(f'<row r="{number_}">{_cells(row, zone, convert)}</row>')
            count += 1
            if len(buffer) >= 2000:
                out.write("".join(buffer).encode("utf-8"))
                buffer.clear()
        if sheet.totals:
            buffer.append(f'<row r="{number_ + 1}">{_bold_cells(sheet.totals)}</row>')
        buffer.append("</sheetData></worksheet>")
        out.write("".join(buffer).encode("utf-8"))
    return count


def write_workbook(
    path, sheets: Iterable[Sheet], *, convert: Callable[[object], object] = str, progress: Callable[[int], None] = None
) -> int:
    """Stream ``sheets`` (each written as it comes) into an XLSX file at ``path``; returns the data rows written.

    ``progress(done)`` is called after each sheet with the number of sheets written so far."""
    zone = timezone.get_current_timezone()
    count, names = 0, []
    taken: set[str] = set()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(_entry("_rels/.rels"), _ROOT_RELS)
        archive.writestr(_entry("xl/styles.xml"), _STYLES)
        for number, sheet in enumerate(sheets, start=1):
            names.append(_sheet_name(sheet.title, taken))
            count += _write_sheet(archive, number, sheet, zone, convert)
            if progress:
                progress(number)
        if not names:  # a workbook needs a sheet
            names.append("Sheet1")
            _write_sheet(archive, 1, Sheet(title="Sheet1", headers=[], rows=[]), zone, convert)
        listed = "".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in enumerate(names, start=1)
        )
        archive.writestr(_entry("[Content_Types].xml"), _content_types(len(names)))
        archive.writestr(_entry("xl/_rels/workbook.xml.rels"), _workbook_rels(len(names)))
        archive.writestr(
            _entry("xl/workbook.xml"),
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{listed}</sheets></workbook>",
        )
    return count


def write_xlsx(
    path,
    *,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    sheet_title: str = "Sheet1",
    convert: Callable[[object], object] = str,
) -> int:
    """Stream ``rows`` into a one-sheet XLSX file at ``path`` (a path or a binary file); returns the data rows
    written.

    Strings, numbers, dates, datetimes and ``None`` are written directly; any other value is first passed
    to ``convert`` (``project.exports`` turns booleans into 是/否 there).
    """
    return write_workbook(path, [Sheet(title=sheet_title or "Sheet1", headers=headers, rows=rows)], convert=convert)
