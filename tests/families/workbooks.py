"""Workbooks built part by part, so tests can make the hostile ones a real program never would."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"

ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
).encode()
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
    '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
).encode()
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
).encode()


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def row_xml(number: int, values: Iterable, *, first_column: int = 1) -> bytes:
    """One row of inline strings (numbers as numbers)."""
    cells = []
    for index, value in enumerate(values, start=first_column):
        ref = f"{column_letters(index)}{number}"
        if value is None or value == "":
            continue
        if isinstance(value, int | float):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'.encode()


def sheet_xml(rows: bytes | Iterable[bytes], *, before: bytes = b"") -> bytes:
    body = rows if isinstance(rows, bytes) else b"".join(rows)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode()
        + before
        + b"<sheetData>"
        + body
        + b"</sheetData></worksheet>"
    )


def shared_xml(strings: Iterable[bytes]) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
        + b"".join(b"<si><t>" + text + b"</t></si>" for text in strings)
        + b"</sst>"
    )


def workbook(
    sheet: bytes | None = None, shared: bytes | None = None, *, parts: dict | None = None, compresslevel: int = 9
) -> bytes:
    """An XLSX of the given parts; ``parts`` adds, replaces (a callable writes a streamed part) or leaves out (None) any."""
    files = {
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet if sheet is not None else sheet_xml(b""),
        "xl/sharedStrings.xml": shared if shared is not None else shared_xml([]),
        **(parts or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        for name, content in files.items():
            if content is None:  # a part left out
                continue
            if callable(content):
                with archive.open(name, "w") as member:
                    content(member)
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


def declare_size(content: bytes, name: str, size: int) -> bytes:
    """The same zip, with the central directory declaring ``size`` as ``name``'s uncompressed size (a lie)."""
    data = bytearray(content)
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46 : entry + 46 + name_length] == name.encode():
            struct.pack_into("<L", data, entry + 24, size)
            return bytes(data)
        entry = data.find(b"PK\x01\x02", entry + 4)
    raise LookupError(name)
