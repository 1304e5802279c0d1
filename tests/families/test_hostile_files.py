"""Hostile register files: each gets a clear message, in bounded memory, after bounded work.

Every file is made here, part by part (``workbooks.py``). Memory is the
``tracemalloc`` peak of the check (expat and zlib allocate through Python's
allocators, so their buffers are counted); work is the bytes and rows the
reader really met (``plan.stats``), never wall time.
"""

from __future__ import annotations

import tracemalloc
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.utils import translation

from families import xlsx_reader
from families.models import Household, RegisterImport, Resident
from families.register_io import MAX_LINE_CHARS, check_register

from . import helpers
from .helpers import GOOD_ROWS, HEADERS_ZH, xlsx_bytes
from .workbooks import declare_size, row_xml, shared_xml, sheet_xml, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese():
    """The interface's default language, whatever an earlier test in this worker left active."""
    with translation.override("zh-hans"):
        yield


MB = 1024 * 1024
# Far below "a few hundred MB"; what a check really needs for each file below is under 30 MB.
MEMORY_BOUND = 64 * MB
# The small parts every workbook has (relationships, the workbook part) are read before the sheet.
SMALL_PARTS = 4096
SHEET_CLOSE = b"</sheetData></worksheet>"


@contextmanager
def measured():
    """The peak of memory allocated inside the block, in ``.peak``."""
    result = SimpleNamespace(peak=0)
    tracemalloc.start()
    try:
        yield result
    finally:
        result.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def check(content: bytes, name: str = "台账.xlsx"):
    with measured() as memory:
        plan = check_register(content, name)
    assert memory.peak < MEMORY_BOUND, f"{memory.peak / MB:.0f} MB"
    return plan, memory.peak


def only_problem(plan) -> str:
    assert len(plan.errors) == 1, plan.errors
    row, message = plan.errors[0]
    assert row == 0
    return message


def good_rows(first: int = 2) -> list[bytes]:
    return [row_xml(1, HEADERS_ZH)] + [row_xml(first + i, row) for i, row in enumerate(GOOD_ROWS)]


def streamed_sheet(size: int, filler: bytes = b" "):
    """A worksheet part of ``size`` bytes written a megabyte at a time (the test never holds it whole)."""

    def write(member):
        member.write(sheet_xml(b"")[: -len(SHEET_CLOSE)])
        chunk = filler * (MB // len(filler))
        for _ in range(size // MB):
            member.write(chunk)
        member.write(SHEET_CLOSE)

    return write


# --- Zip bombs -----------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    content = workbook(parts={"xl/worksheets/sheet1.xml": streamed_sheet(xlsx_reader.MAX_PART_BYTES + MB)})
    assert len(content) < 200 * 1024
    plan, _peak = check(content)
    assert only_problem(plan) == "这个工作簿解压后超过 128 MB。请删除用不到的工作表、图片和空行，或拆分成几个文件。"
    assert plan.stats.bytes_read < SMALL_PARTS  # not one byte of the sheet


def test_a_shared_string_packed_a_thousand_times_is_refused_before_it_is_unpacked():
    """The reported file: about 1 MB holding one string of a gigabyte; here 50 MB packed into 50 KB."""
    content = workbook(sheet_xml(good_rows()), shared_xml([b"A" * (50 * MB)]))
    assert len(content) < 100 * 1024
    plan, _peak = check(content)
    assert "压缩比远超正常表格" in only_problem(plan)
    assert plan.stats.bytes_read < SMALL_PARTS


def test_a_part_that_understates_its_size_is_read_only_as_far_as_it_claims():
    """Declared sizes are the file's own claim: reading stops there and the mismatch is refused."""
    content = workbook(parts={"xl/worksheets/sheet1.xml": streamed_sheet(20 * MB, filler=b"<row/>")})
    lying = declare_size(content, "xl/worksheets/sheet1.xml", 100 * 1024)
    plan, _peak = check(lying)
    assert only_problem(plan) == "无法打开 Excel 文件。请重新另存为 .xlsx 后再试。"
    assert plan.stats.bytes_read <= 100 * 1024 + SMALL_PARTS


def test_a_zip_with_a_huge_directory_is_refused_before_it_is_listed():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(20_000):
            archive.writestr(f"xl/media/{number}.bin", b"")
    plan, _peak = check(buffer.getvalue())
    assert "不是 Excel 或 WPS 保存的工作簿" in only_problem(plan)


# --- What the file declares is ignored ------------------------------------------------


def test_a_2kb_file_declaring_a_full_size_sheet_costs_only_the_cells_it_holds():
    full_size = b'<dimension ref="A1:XFD1048576"/>'
    rows = [
        row_xml(1, HEADERS_ZH).replace(b"<row ", b'<row spans="1:16384" '),
        row_xml(2, GOOD_ROWS[0]),
        b'<row r="1048576" spans="1:16384"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
    ]
    content = workbook(sheet_xml(rows, before=full_size))
    assert len(content) < 2048
    plan, _peak = check(content)
    assert plan.errors == []
    assert list(plan.households) == [("幸福里1号楼", "1单元101")]
    assert plan.stats.rows_read == 3


def test_a_file_claiming_a_million_rows_in_2kb_reads_the_two_it_holds():
    bad_phone = ["第一网格", "幸福里1号楼", "1单元101", "王家", "", "王建国", "12345"]
    content = workbook(sheet_xml([row_xml(1, HEADERS_ZH), row_xml(1_000_000, bad_phone)]))
    assert len(content) < 2048
    plan, _peak = check(content)
    assert [row for row, _message in plan.errors] == [1_000_000]
    assert plan.stats.rows_read == 2


def test_one_huge_shared_string_is_cut_while_it_is_read():
    """20 MB of digits (packed about four times, so not a bomb) in a name cell: memory stays near nothing."""
    huge = b"".join(b"%07d" % number for number in range(3 * MB))
    name_from_the_table = b'<c r="F2" t="s"><v>0</v></c></row>'
    rows = [row_xml(1, HEADERS_ZH), row_xml(2, GOOD_ROWS[0][:5]).replace(b"</row>", name_from_the_table)]
    content = workbook(sheet_xml(rows), shared_xml([huge]), compresslevel=1)
    plan, peak = check(content)
    assert plan.errors == [(2, "“姓名”超过 50 个字。")]
    assert plan.stats.bytes_read > len(huge)  # read to the end…
    assert peak < 8 * MB  # …without ever holding it


def test_blank_rows_are_skipped_and_cost_only_their_reading():
    blank = [b'<row r="%d"><c r="A%d" s="1"/><c r="B%d" s="1"/></row>' % (n, n, n) for n in range(2, 30_002)]
    rows = [row_xml(1, HEADERS_ZH), *blank, row_xml(30_002, GOOD_ROWS[0])]
    plan, _peak = check(workbook(sheet_xml(rows)))
    assert plan.errors == []
    assert plan.row_count == 1 and plan.households[("幸福里1号楼", "1单元101")].row == 30_002
    assert plan.stats.rows_read == 30_002


def test_reading_stops_at_the_row_limit_counting_blank_rows(monkeypatch):
    monkeypatch.setattr(xlsx_reader, "MAX_ROWS_READ", 20_000)
    rows = [row_xml(1, HEADERS_ZH), *(b'<row r="%d"/>' % n for n in range(2, 50_000)), row_xml(50_000, GOOD_ROWS[0])]
    plan, _peak = check(workbook(sheet_xml(rows)))
    assert only_problem(plan) == ("文件连同空行超过 20,000 行，比 Excel 允许的还多。请删除台账下方的空行后重新保存。")
    assert plan.stats.rows_read == 20_001


def test_the_real_row_limit_is_excels_and_data_rows_stop_at_the_register_limit():
    assert xlsx_reader.MAX_ROWS_READ == 1_048_576
    rows = [
        row_xml(1, HEADERS_ZH),
        *(row_xml(n, ["第一网格", "幸福里1号楼", f"{n}号", f"王{n}家"]) for n in range(2, 20_000)),
    ]
    plan = check_register(workbook(sheet_xml(rows)), "a.xlsx", max_rows=1000)
    assert plan.errors[-1][1] == "文件超过 1,000 行。请拆分成每个不超过 1,000 行的文件。"
    # Reading stops with the chunk that held row 1,001 (a chunk holds a few hundred of these rows).
    assert 1002 <= plan.stats.rows_read < 2000


# --- XML that would grow the parser ---------------------------------------------------------


def test_deeply_nested_xml_is_refused_within_the_first_levels():
    content = workbook(sheet_xml(b"<a>" * 300_000))
    plan, _peak = check(content)
    assert "不是 Excel 或 WPS 保存的工作簿" in only_problem(plan)
    assert plan.stats.bytes_read <= xlsx_reader.CHUNK_BYTES + SMALL_PARTS


def test_a_tag_with_a_huge_attribute_is_refused_before_expat_holds_it_whole():
    digits = b"".join(b"%07d" % number for number in range(MB))  # 7 MB that pack only a few times
    sheet = sheet_xml([row_xml(1, HEADERS_ZH), b'<row r="2"><c r="A2" x="' + digits + b'"/></row>'])
    plan, peak = check(workbook(sheet, compresslevel=1))
    assert "不是 Excel 或 WPS 保存的工作簿" in only_problem(plan)
    assert plan.stats.bytes_read <= xlsx_reader.MAX_TOKEN_BYTES + 2 * xlsx_reader.CHUNK_BYTES + SMALL_PARTS
    assert peak < 4 * MB


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
        for level in range(1, 10)
    )
    + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>'
)
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&secret;</t></si></sst>'
)
PARAMETER = (
    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY % remote SYSTEM "http://example.invalid/x.dtd"> %remote;]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
)


@pytest.mark.parametrize("part", [LAUGHS, EXTERNAL, PARAMETER], ids=["billion-laughs", "external", "parameter"])
def test_entity_declarations_are_refused_before_anything_expands(part):
    plan, peak = check(workbook(sheet_xml(good_rows()), part))
    assert "不是 Excel 或 WPS 保存的工作簿" in only_problem(plan)
    assert peak < MB


def test_a_doctype_in_the_sheet_is_refused_too():
    sheet = b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "b">]>' + sheet_xml(good_rows()).split(b"?>", 1)[1]
    plan, _peak = check(workbook(sheet))
    assert "不是 Excel 或 WPS 保存的工作簿" in only_problem(plan)


# --- CSV ----------------------------------------------------------------------------------


def test_a_csv_with_one_enormous_line_is_refused_at_that_line():
    content = ("网格,楼院,门牌,姓名\n" + "a," * (4 * MB)).encode()
    plan, _peak = check(content, "台账.csv")
    assert only_problem(plan) == f"第 2 行超过 {MAX_LINE_CHARS:,} 个字符。这是另存为 CSV 的住户台账吗？"
    assert plan.stats.rows_read == 2


def test_a_csv_with_an_unclosed_quote_gets_a_message_in_the_users_words():
    content = ("网格,楼院,门牌,姓名\n" + '第一网格,幸福里1号楼,"1单元101,王建国\n' + "x\n" * 200_000).encode()
    plan, _peak = check(content, "台账.csv")
    assert '有引号（"）没有闭合' in only_problem(plan)


def test_a_csv_with_millions_of_empty_lines_stops_at_the_row_limit(monkeypatch):
    monkeypatch.setattr(xlsx_reader, "MAX_ROWS_READ", 50_000)
    content = ("网格,楼院,门牌,姓名\n" + "\n" * (5 * MB)).encode()
    plan, _peak = check(content, "台账.csv")
    assert "文件连同空行超过 50,000 行" in only_problem(plan)
    assert plan.stats.rows_read == 50_001


def test_blank_csv_rows_are_skipped():
    content = ("网格,楼院,门牌,家庭名称,户主,姓名,电话\r\n" + ",,,,,,\r\n" * 30_000 + ",".join(GOOD_ROWS[0])).encode()
    plan, _peak = check(content, "台账.csv")
    assert plan.errors == [] and plan.row_count == 1
    assert plan.households[("幸福里1号楼", "1单元101")].row == 30_002


# --- Through the page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language,expected",
    [
        ("zh-hans", "这个工作簿解压后超过 128 MB。"),
        ("en", "The workbook unpacks to more than 128 MB."),
    ],
)
def test_a_hostile_upload_shows_its_message_and_writes_no_register_row(organizer, organizer_client, language, expected):
    content = workbook(parts={"xl/worksheets/sheet1.xml": streamed_sheet(xlsx_reader.MAX_PART_BYTES + MB)})
    response = helpers.upload(
        organizer_client, organizer, content, "台账.xlsx", follow=True, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    assert expected in response.content.decode()
    # The request only stored the file: the check task refused it, in the uploader's language, and deleted it.
    record = RegisterImport.objects.get()
    assert record.status == "failed" and expected in record.message
    assert record.error_count == 1 and record.plan is None and not record.file
    assert Household.objects.count() == Resident.objects.count() == 0


# --- What the reader must still read ------------------------------------------------------------


def test_a_formula_gives_the_value_excel_shows_and_is_never_evaluated():
    formula_rows = [
        row_xml(1, HEADERS_ZH),
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>\xe7\xac\xac\xe4\xb8\x80\xe7\xbd\x91\xe6\xa0\xbc</t></is></c>'
        b'<c r="B2" t="str"><f>"\xe5\xb9\xb8\xe7\xa6\x8f\xe9\x87\x8c"&amp;"1\xe5\x8f\xb7\xe6\xa5\xbc"</f>'
        b"<v>\xe5\xb9\xb8\xe7\xa6\x8f\xe9\x87\x8c1\xe5\x8f\xb7\xe6\xa5\xbc</v></c>"
        b'<c r="C2" t="inlineStr"><is><t>1\xe5\x8d\x95\xe5\x85\x83101</t></is></c>'
        b'<c r="F2"><f>HYPERLINK("http://example.invalid")</f></c></row>',
    ]
    plan = check_register(workbook(sheet_xml(formula_rows)), "a.xlsx")
    assert plan.errors == []
    assert ("幸福里1号楼", "1单元101") in plan.households
    assert plan.residents[0].name == '=HYPERLINK("http://example.invalid")'


def test_rich_text_phonetic_runs_numbers_and_prefixed_parts_are_read_as_excel_shows_them():
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    shared = (
        f'<x:sst xmlns:x="{main}">'
        "<x:si><x:r><x:t>幸福里</x:t></x:r><x:r><x:rPr><x:b/></x:rPr><x:t>1号楼</x:t></x:r></x:si>"
        '<x:si><x:t>王建国</x:t><x:rPh sb="0" eb="1"><x:t>WANG</x:t></x:rPh></x:si>'
        "</x:sst>"
    ).encode()
    sheet = (
        f'<x:worksheet xmlns:x="{main}"><x:sheetData>'
        + "".join(f'<x:c t="inlineStr"><x:is><x:t>{header}</x:t></x:is></x:c>' for header in HEADERS_ZH).join(
            ['<x:row r="1">', "</x:row>"]
        )
        + '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>第一网格</x:t></x:is></x:c>'
        '<x:c r="B2" t="s"><x:v>0</x:v></x:c><x:c r="C2"><x:v>101</x:v></x:c>'
        '<x:c r="F2" t="s"><x:v>1</x:v></x:c><x:c r="G2"><x:v>1.3812345678E10</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    ).encode()
    rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/strings.xml"/>'
        b'<Relationship Id="rIdC" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet" Target="chartsheets/c.xml"/>'
        b'<Relationship Id="rIdW" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/data.xml"/>'
        b"</Relationships>"
    )
    book = (
        f'<workbook xmlns="{main}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="图" sheetId="2" r:id="rIdC"/><sheet name="台账" sheetId="1" r:id="rIdW"/></sheets></workbook>'
    ).encode()
    content = workbook(
        parts={
            "xl/workbook.xml": book,
            "xl/_rels/workbook.xml.rels": rels,
            "xl/strings.xml": shared,
            "xl/chartsheets/c.xml": b"<chartsheet/>",
            "xl/worksheets/data.xml": sheet,
        }
    )
    plan = check_register(content, "a.xlsx")
    assert plan.errors == []
    household = plan.households[("幸福里1号楼", "101")]
    assert household.grid == "第一网格"
    assert [(r.name, r.phone) for r in plan.residents] == [("王建国", "+8613812345678")]  # E.164


def test_what_openpyxl_and_our_own_export_write_is_read(organizer_client, organizer):
    from families.services import import_register

    plan = check_register(xlsx_bytes(GOOD_ROWS), "a.xlsx")
    assert plan.errors == [] and len(plan.residents) == 4
    import_register(plan=plan, actor=organizer)
    response = organizer_client.get("/organize/register/export.xlsx")
    exported = b"".join(response.streaming_content)
    again = check_register(exported, "export.xlsx")
    assert again.errors == [] and len(again.residents) == 4
    from families.register_io import apply_plan

    assert set(apply_plan(again, dry_run=True).values()) == {0}


def test_a_workbook_without_relationships_is_read_from_the_usual_parts():
    data_row = b'<row r="2"><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c><c r="F2" t="s"><v>2</v></c></row>'
    content = workbook(
        sheet_xml([row_xml(1, HEADERS_ZH), data_row]),
        shared_xml(["新楼".encode(), b"101", "王伟".encode()]),
        parts={"xl/_rels/workbook.xml.rels": None},
    )
    assert list(xlsx_reader.read_rows(content))[1] == (2, [None, "新楼", "101", None, None, "王伟"])
