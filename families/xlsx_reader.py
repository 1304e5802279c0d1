"""The first sheet of an uploaded XLSX, read with bounded memory and bounded work.

Why not openpyxl: measured on hostile files, its read-only mode trusts what a
workbook declares. A 2 KB file declaring ``A1:XFD1048576`` yields a million
rows of 16,384 empty cells (the check ran until the worker was killed); every
missing row between two numbered rows is produced; the whole shared-string
table is loaded before the first row (a 200 KB file holding one 200 MB string
took 584 MB); a few MB of blank rows took 8 s before any cell was cleaned.
This reader streams the two parts it needs (the shared strings and the first
worksheet) out of the zip through expat and trusts nothing the file claims:

- every zip member is checked before reading (declared size, compression
  ratio) and counted while reading (actual size), so a zip bomb stops at the
  first chunk over the limit;
- no DTD is accepted, so no entity can be declared or expanded (the care
  defusedxml takes, without the dependency); elements may nest only a few
  levels deep, so a deeply nested part cannot grow the parser's stack, and
  no tag or comment may run past ``MAX_TOKEN_BYTES``, so none can grow its
  buffer;
- declared dimensions, row spans and missing rows are ignored: only cells the
  file really holds are produced, and a blank row costs two callbacks;
- text is kept up to ``MAX_CELL_CHARS`` per cell (the register's own length
  checks then refuse an overlong value); the shared-string table, the one
  thing held whole, may hold at most ``MAX_SHARED_STRINGS`` strings and
  ``MAX_SHARED_CHARS`` characters; cells beyond ``MAX_COLUMNS`` are ignored;
- rows are counted as they are read, blank ones included, and reading stops at
  ``MAX_ROWS_READ`` (Excel's own maximum sheet size).

A formula cell gives the value Excel shows (its cached result), or the
formula's text when the file holds no result; nothing is ever evaluated.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.parsers import expat

from django.utils.translation import gettext as _

# Uncompressed size of any one part read: the sheet of a 100,000-row register of nine columns is 20 MB
# with shared strings (as Excel saves it) and 53 MB with inline strings (as some programs save it).
MAX_PART_BYTES = 128 * 1024 * 1024
# A real sheet compresses about 5-20 times; blank rows up to about 60. A bomb compresses 1,000 times or more.
MAX_COMPRESSION_RATIO = 100
# Parts smaller than this are never refused for their ratio (tiny parts compress unevenly).
RATIO_CHECKED_FROM = 1024 * 1024
# A workbook has a dozen parts, a few hundred with many sheets and pictures. The central directory is
# checked before zipfile reads it: 10 MB of it would be 200,000 entries, 100 MB and seconds to list.
MAX_ZIP_ENTRIES = 1000
MAX_CENTRAL_DIRECTORY_BYTES = 256 * 1024
# The shared-string table is the one thing held in memory: at most this many texts and characters
# (a 100,000-row register has a few hundred thousand texts and a few million characters).
MAX_SHARED_STRINGS = 1_000_000
MAX_SHARED_CHARS = 16_000_000
MAX_CELL_CHARS = 2000
MAX_COLUMNS = 200
# Excel's largest sheet: a file with more rows, counting empty ones, was not saved by Excel.
MAX_ROWS_READ = 1_048_576
# Elements nest about ten deep in real parts; the limit keeps a deeply nested part from growing the parser's stack.
MAX_DEPTH = 32
# The longest stretch of a part without a callback: a tag with its attributes, a comment. Real ones are
# a few hundred bytes; text is reported as it streams.
MAX_TOKEN_BYTES = 1024 * 1024
# Sheets, relationships: a workbook has a few dozen.
MAX_SMALL_ELEMENTS = 10_000
CHUNK_BYTES = 64 * 1024


class SheetProblem(Exception):
    """The workbook cannot be read within the limits; the message is for the organizer."""


@dataclass
class ReadStats:
    """What reading really cost: uncompressed bytes parsed and rows met (blank ones included)."""

    bytes_read: int = 0
    rows_read: int = 0


def _damaged() -> SheetProblem:
    return SheetProblem(_("The Excel file could not be opened. Save it again as .xlsx and retry."))


def _not_a_workbook() -> SheetProblem:
    return SheetProblem(
        _("This file is not a workbook saved by Excel or WPS. Open it in Excel, save it again as .xlsx and retry.")
    )


def _too_large() -> SheetProblem:
    return SheetProblem(
        _("The workbook unpacks to more than %(size)d MB. Delete unused sheets, pictures and empty rows, or split it.")
        % {"size": MAX_PART_BYTES // (1024 * 1024)}
    )


def too_many_rows_read() -> str:
    return _(
        "The file has more than %(limit)s rows, counting empty ones: more than Excel allows. "
        "Delete the empty rows below the register and save it again."
    ) % {"limit": f"{MAX_ROWS_READ:,}"}


def _local_names() -> dict[str, str]:
    """A memo from the names the parser reports ("uri name") to local names ("c")."""

    class Names(dict):
        def __missing__(self, name: str) -> str:
            self[name] = local = name.rpartition(" ")[2]
            return local

    return Names()


def _refuse_dtd(*_args) -> None:
    raise _not_a_workbook()


def _parse(stream: Iterator[bytes], start, end, text) -> Iterator[None]:
    """Feed ``stream`` to a fresh expat parser; yield after each chunk so the caller can hand out rows.

    The handlers count the nesting depth themselves (up to ``MAX_DEPTH``): one
    Python call per element is most of the cost of reading a sheet, so there is
    no wrapper around them.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    # No DTD means no entity declarations, so nothing can expand (billion laughs, external entities).
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    fed = 0
    try:
        for chunk in stream:
            parser.Parse(chunk, False)
            fed += len(chunk)
            # Expat holds a tag with its attributes (or a comment) whole until it ends, and reports nothing
            # meanwhile; one that runs past MAX_TOKEN_BYTES is no spreadsheet (and would grow the buffer).
            if fed - parser.CurrentByteIndex > MAX_TOKEN_BYTES:
                raise _not_a_workbook()
            yield
        parser.Parse(b"", True)
        yield
    except expat.ExpatError as exc:
        raise _damaged() from exc


def _too_deep() -> SheetProblem:
    return _not_a_workbook()


def _packed_too_tight() -> SheetProblem:
    return SheetProblem(
        _(
            "The workbook is packed far tighter than a real spreadsheet, so it was not unpacked. "
            "Open it in Excel, save it again as .xlsx and retry."
        )
    )


def _central_directory_size(content: bytes) -> int:
    """The size of the zip's central directory, from its end record (0 if there is none: zipfile will say so)."""
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 22 - 65535))
    if end < 0 or len(content) < end + 22:
        return 0
    # End of central directory record: signature, 4 two-byte counts, directory size, offset, comment length.
    _signature, _disk, _start_disk, _here, _total, size, _offset, _comment = struct.unpack(
        "<4s4H2LH", content[end : end + 22]
    )
    return size


class Workbook:
    """An XLSX opened for reading one sheet; ``rows()`` yields (row number, cell values)."""

    def __init__(self, content: bytes, stats: ReadStats | None = None):
        self.stats = stats or ReadStats()
        if _central_directory_size(content) > MAX_CENTRAL_DIRECTORY_BYTES:
            raise _not_a_workbook()
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(content))
        except Exception as exc:  # zipfile raises many kinds for a damaged or hostile directory
            raise _damaged() from exc
        if len(self.archive.infolist()) > MAX_ZIP_ENTRIES:
            raise _not_a_workbook()
        self.names = {info.filename: info for info in self.archive.infolist()}

    def _stream(self, name: str) -> Iterator[bytes]:
        """The member's bytes in chunks, refused if it declares or turns out to hold too much."""
        info = self.names.get(name)
        if info is None:
            raise _not_a_workbook()
        if info.file_size > MAX_PART_BYTES:
            raise _too_large()
        if info.file_size > RATIO_CHECKED_FROM and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise _packed_too_tight()
        read = 0
        try:
            with self.archive.open(info) as member:
                while chunk := member.read(CHUNK_BYTES):
                    # Counted here too: the declared size is the file's own claim.
                    read += len(chunk)
                    self.stats.bytes_read += len(chunk)
                    if read > MAX_PART_BYTES:
                        raise _too_large()
                    yield chunk
        except (
            zipfile.BadZipFile,
            zlib.error,
            NotImplementedError,
            EOFError,
            OSError,
            RuntimeError,
            ValueError,
        ) as exc:
            # Bad CRC (a size that lied), an unknown compression method, encryption, a truncated member.
            raise _damaged() from exc

    def _elements(self, name: str, wanted: str) -> list[dict]:
        """The attributes of each ``wanted`` element of a small part (the workbook, its relationships)."""
        found: list[dict] = []
        names = _local_names()
        depth = 0

        def start(tag, attrs):
            nonlocal depth
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep()
            if names[tag] == wanted:
                if len(found) >= MAX_SMALL_ELEMENTS:
                    raise _not_a_workbook()
                found.append({names[key]: value for key, value in attrs.items()})

        def end(tag):
            nonlocal depth
            depth -= 1

        for _chunk in _parse(self._stream(name), start, end, lambda data: None):
            pass
        return found

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """{id: (type, target path)} of a part's relationships."""
        folder, _sep, filename = part.rpartition("/")
        rels = f"{folder}/_rels/{filename}.rels" if folder else f"_rels/{filename}.rels"
        if rels not in self.names:
            return {}
        found = {}
        for attrs in self._elements(rels, "Relationship"):
            target = attrs.get("Target", "")
            if attrs.get("Id") and target:
                path = (
                    target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                )
                found[attrs["Id"]] = (attrs.get("Type", ""), path)
        return found

    def _parts(self) -> tuple[str, str | None]:
        """The first worksheet's part and the shared-string part (if any)."""
        workbook = "xl/workbook.xml"
        for _rel_id, (kind, target) in self._relationships("").items():
            if kind.endswith("/officeDocument"):
                workbook = target
        if workbook not in self.names:
            raise _not_a_workbook()
        rels = self._relationships(workbook)
        # Where the relationships do not say (some writers leave them out), the usual part names.
        shared = next((target for kind, target in rels.values() if kind.endswith("/sharedStrings")), None)
        shared = shared if shared in self.names else "xl/sharedStrings.xml"
        shared = shared if shared in self.names else None
        for attrs in self._elements(workbook, "sheet"):
            kind, target = rels.get(attrs.get("id"), ("", ""))
            if kind.endswith("/worksheet") and target in self.names:
                return target, shared
        if not rels and "xl/worksheets/sheet1.xml" in self.names:
            return "xl/worksheets/sheet1.xml", shared
        raise _not_a_workbook()

    def _shared_strings(self, name: str | None) -> list[str]:
        strings: list[str] = []
        if name is None:
            return strings
        names = _local_names()
        pieces: list[str] = []
        kept = depth = total = 0
        # Text inside <si>, except phonetic runs (<rPh>), which Excel does not show in the cell.
        in_si = in_t = in_phonetic = False

        def start(tag, attrs):
            nonlocal depth, kept, in_si, in_t, in_phonetic
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep()
            tag = names[tag]
            if tag == "t":
                in_t = in_si and not in_phonetic
            elif tag == "si":
                in_si = True
                pieces.clear()
                kept = 0
            elif tag == "rPh":
                in_phonetic = True

        def end(tag):
            nonlocal depth, in_si, in_t, in_phonetic
            depth -= 1
            tag = names[tag]
            if tag == "t":
                in_t = False
            elif tag == "si":
                in_si = False
                if len(strings) >= MAX_SHARED_STRINGS or total > MAX_SHARED_CHARS:
                    raise SheetProblem(
                        _("The workbook holds too much text for one import. Split it into several files.")
                    )
                strings.append("".join(pieces))
            elif tag == "rPh":
                in_phonetic = False

        def text(data):
            nonlocal kept, total
            # Longer text is cut here, so one huge string never sits in memory; the register's own
            # length checks then refuse the cell (MAX_CELL_CHARS is far above any column's limit).
            if in_t and kept <= MAX_CELL_CHARS:
                piece = data[: MAX_CELL_CHARS + 1 - kept]
                pieces.append(piece)
                kept += len(piece)
                total += len(piece)

        for _chunk in _parse(self._stream(name), start, end, text):
            pass
        return strings

    def rows(self) -> Iterator[tuple[int, list]]:
        """Yield (Excel row number, values) for each row that holds at least one value; blank rows are skipped."""
        sheet, shared_name = self._parts()
        shared = self._shared_strings(shared_name)
        stats = self.stats
        names = _local_names()
        ready: list[tuple[int, list]] = []
        row: dict[int, object] = {}
        row_number = column = kept = depth = 0
        kind, value, formula, skip = "n", None, None, False
        capture = ""  # the element whose text is being read: "v", "f" or "t"
        in_phonetic = False
        pieces: list[str] = []

        def start(tag, attrs):
            nonlocal depth, row_number, column, kind, value, formula, skip, capture, kept, in_phonetic
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep()
            tag = names[tag]
            if tag == "c":
                column = _column_number(attrs.get("r"), column)
                kind, value, formula = attrs.get("t", "n"), None, None
                skip = column > MAX_COLUMNS
            elif tag == "v" or tag == "f" or (tag == "t" and not in_phonetic):
                capture = tag
                kept = 0
                pieces.clear()
            elif tag == "row":
                stats.rows_read += 1
                if stats.rows_read > MAX_ROWS_READ:
                    raise SheetProblem(too_many_rows_read())
                row_number = _row_number(attrs.get("r"), row_number)
                row.clear()
                column = 0
            elif tag == "rPh":
                in_phonetic = True

        def end(tag):
            nonlocal depth, value, formula, capture, in_phonetic
            depth -= 1
            tag = names[tag]
            if tag == capture:
                capture = ""
                if tag == "v":
                    value = "".join(pieces)
                elif tag == "f":
                    formula = "".join(pieces)
                else:  # <t> of an inline string, possibly one of several rich-text runs
                    value = (value or "") + "".join(pieces)
            elif tag == "c":
                if not skip:
                    cell = _cell_value(kind, value, formula, shared)
                    if cell is not None and cell != "":
                        row[column] = cell
            elif tag == "row":
                if row:
                    ready.append((row_number, [row.get(index) for index in range(1, max(row) + 1)]))
            elif tag == "rPh":
                in_phonetic = False

        def text(data):
            nonlocal kept
            if capture and not skip and kept <= MAX_CELL_CHARS:
                piece = data[: MAX_CELL_CHARS + 1 - kept]
                pieces.append(piece)
                kept += len(piece)

        for _chunk in _parse(self._stream(sheet), start, end, text):
            yield from ready
            ready.clear()

    def close(self) -> None:
        self.archive.close()


def _row_number(declared: str | None, previous: int) -> int:
    if declared and declared.isdigit() and len(declared) <= 7:
        return int(declared)
    return previous + 1


_COLUMNS: dict[str, int] = {}


def _column_number(reference: str | None, previous: int) -> int:
    """1 for "A7", 27 for "AA7"; the next column when the cell has no (or a strange) reference."""
    if not reference:
        return previous + 1
    letters = reference.rstrip("0123456789")
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for char in letters:
            if not "A" <= char <= "Z" or number > MAX_COLUMNS:
                break
            number = number * 26 + ord(char) - 64
        else:
            if len(_COLUMNS) < 10_000:
                _COLUMNS[letters] = number
        # A reference such as "A$1" or "é1" is no column: count on from the previous cell.
        number = number or previous + 1
    return number


def _cell_value(kind: str, value: str | None, formula: str | None, shared: list[str]):
    """A cell's value as Excel shows it: text, a number, TRUE/FALSE; a formula's result, else its text."""
    if kind == "s":
        try:
            return shared[int(value)]
        except (TypeError, ValueError, IndexError):
            return None
    if value is None and formula:
        return "=" + formula
    if kind == "b":
        return {"1": "TRUE", "0": "FALSE"}.get(value, value)
    if kind == "n" and value:
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    return value  # inlineStr, str (a formula's text result), e (an error such as #N/A), d (an ISO date)


def read_rows(content: bytes, stats: ReadStats | None = None) -> Iterator[tuple[int, list]]:
    """Yield (Excel row number, values) of the first worksheet; raise ``SheetProblem`` past any limit."""
    workbook = Workbook(content, stats)
    try:
        yield from workbook.rows()
    finally:
        workbook.close()
