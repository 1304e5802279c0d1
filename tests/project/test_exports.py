"""Exports open right in Excel and run nothing: CSV text is guarded, XLSX text is inline and never evaluated."""

from __future__ import annotations

import csv
import io
import random
import tracemalloc

import pytest
from openpyxl import load_workbook

from project.exports import safe_cell, tabular_response, write_table
from tests.spreadsheets import stored_cells

HEADERS = ["姓名", "备注", "小时"]
ROWS = [["王秀英", '=HYPERLINK("http://evil")', 2.5], ["李桂兰", "+1", 3], ["@SUM(A1)", "-2", 0]]


def test_formula_cells_are_neutralised():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+1") == "'+1"
    assert safe_cell("-1") == "'-1"
    assert safe_cell("@x") == "'@x"
    assert safe_cell(-1) == -1  # real numbers stay numbers
    assert safe_cell("王家") == "王家"


def test_csv_has_a_bom_and_no_live_formulas():
    response = tabular_response(headers=HEADERS, rows=ROWS, filename="台账", fmt="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff姓名")
    assert "'=HYPERLINK" in body and "\n'@SUM" in body.replace("\r", "")
    assert "filename*=utf-8''%E5%8F%B0%E8%B4%A6.csv" in response["Content-Disposition"]


def test_xlsx_keeps_text_exactly_as_inline_text_that_is_never_a_formula(tmp_path):
    response = tabular_response(headers=HEADERS, rows=ROWS, filename="ledger", fmt="xlsx")
    exported = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(exported)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [HEADERS, *ROWS]  # exactly the text: no apostrophe to see
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    cells = stored_cells(exported)
    assert cells[1][1] == ("inlineStr", False, '=HYPERLINK("http://evil")')
    assert cells[3][:2] == [("inlineStr", False, "@SUM(A1)"), ("inlineStr", False, "-2")]
    assert not any(has_formula for row in cells for _, has_formula, _ in row)
    path = tmp_path / "out.xlsx"
    write_table(path, headers=HEADERS, rows=ROWS, fmt="xlsx")
    assert load_workbook(path).active["A2"].value == "王秀英"


def _generated_rows(count: int):
    """Rows that compress about as badly as real ones, made as they are read (never a list in memory)."""
    rng = random.Random(7)
    for n in range(count):
        yield [n, f"王秀英{n}", rng.randbytes(40).hex(), 2.5]


def _peak_memory_while_exporting(fmt: str, count: int, into) -> int:
    """Python's peak memory while the export is made and every chunk of the response is sent (to ``into``)."""
    tracemalloc.start()
    try:
        response = tabular_response(headers=HEADERS + ["代码"], rows=_generated_rows(count), filename="台账", fmt=fmt)
        with open(into, "wb") as sent:
            for chunk in response.streaming_content:
                sent.write(chunk)
        response.close()  # as the server does: the temporary file is closed and gone
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_large_export_streams_from_a_file_and_its_memory_does_not_grow_with_its_rows(fmt, tmp_path, db):
    small, large = tmp_path / f"small.{fmt}", tmp_path / f"large.{fmt}"
    _peak_memory_while_exporting(fmt, 100, tmp_path / "warm-up")  # lazy imports and caches, once
    small_peak = _peak_memory_while_exporting(fmt, 5_000, small)
    large_peak = _peak_memory_while_exporting(fmt, 20_000, large)
    grown = large.stat().st_size - small.stat().st_size
    assert grown > 1_000_000
    # Built in memory, the peak grows with the file (tested: by more than a megabyte here).
    assert large_peak - small_peak < grown / 10, f"{fmt}: the peak grew {large_peak - small_peak} bytes"
    if fmt == "xlsx":
        rows = stored_cells(large)
        assert len(rows) == 20_001 and rows[-1][1] == ("inlineStr", False, "王秀英19999")
    else:
        with open(large, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert len(rows) == 20_001 and rows[-1][1] == "王秀英19999"


def test_yes_no_and_missing_values_read_the_same_in_both_formats(tmp_path):
    rows = [[True, False, None, "王家"]]
    csv_path, xlsx_path = tmp_path / "t.csv", tmp_path / "t.xlsx"
    write_table(csv_path, headers=["a", "b", "c", "d"], rows=rows, fmt="csv")
    write_table(xlsx_path, headers=["a", "b", "c", "d"], rows=rows, fmt="xlsx")
    assert csv_path.read_text(encoding="utf-8-sig").splitlines()[1] == "是,否,,王家"
    assert [cell.value for cell in load_workbook(xlsx_path).active[2]] == ["是", "否", None, "王家"]
