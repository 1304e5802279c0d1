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
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.date()

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
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


def _sheet_head(headers: Sequence[str], sample: Sequence[Sequence]) -> str:
    """The header row frozen in place, and column widths fitting the header and the first rows (the sheet is
    streamed, so the widths are measured on what comes first)."""
    widths = [_width(h) for h in headers]
    for row in sample:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _width(value))
    columns = "".join(
        f'<col min="{n}" max="{n}" width="{min(max(w + 2, 6), 60)}" customWidth="1"/>' for n, w in enumerate(widths, 1)
    )
    frozen = '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
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


def write_xlsx(
    path,
    *,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    sheet_title: str = "Sheet1",
    convert: Callable[[object], object] = str,
) -> int:
    """Stream ``rows`` into an XLSX file at ``path`` (a path or a binary file); returns the data rows written.

    Strings, numbers, dates, datetimes and ``None`` are written directly; any other value is first passed
    to ``convert`` (``project.exports`` turns booleans into 是/否 there).
    """
    title = escape(re.sub(r"[\[\]:*?/\\]", " ", sheet_title)[:31] or "Sheet1", {'"': "&quot;"})
    zone = timezone.get_current_timezone()
    count = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            rows = iter(rows)
            sample = [list(row) for row in itertools.islice(rows, _WIDTH_SAMPLE)]
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + _sheet_head(headers, sample).encode("utf-8")
                + b"<sheetData>"
            )
            header_cells = "".join(
                f'<c s="1" t="inlineStr"><is><t xml:space="preserve">{_text(str(h))}</t></is></c>' for h in headers
            )
            buffer = [f'<row r="1">{header_cells}</row>']
            for number, row in enumerate(itertools.chain(sample, rows), start=2):
                buffer.append(f'<row r="{number}">{_cells(row, zone, convert)}</row>')
                count += 1
                if len(buffer) >= 2000:
                    sheet.write("".join(buffer).encode("utf-8"))
                    buffer.clear()
            buffer.append("</sheetData></worksheet>")
            sheet.write("".join(buffer).encode("utf-8"))
    return count
