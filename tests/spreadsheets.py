"""Read an XLSX the way a spreadsheet does: which cells are formulas, which are text, and what text."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def stored_cells(xlsx: bytes | Path) -> list[list[tuple[str | None, bool, str]]]:
    """Each row's cells as the sheet stores them: (the ``t`` type, whether it has a formula, its text)."""
    source = io.BytesIO(xlsx) if isinstance(xlsx, bytes) else xlsx
    with zipfile.ZipFile(source) as archive:
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    return [
        [(cell.get("t"), cell.find(f"{MAIN}f") is not None, "".join(cell.itertext())) for cell in row]
        for row in sheet.iter(f"{MAIN}row")
    ]
