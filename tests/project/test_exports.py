"""Exports open right in Excel and run nothing."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from project.exports import safe_cell, tabular_response, write_table

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
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff姓名")
    assert "'=HYPERLINK" in body and "\n'@SUM" in body.replace("\r", "")
    assert "filename*=utf-8''%E5%8F%B0%E8%B4%A6.csv" in response["Content-Disposition"]


def test_xlsx_keeps_text_as_text(tmp_path):
    response = tabular_response(headers=HEADERS, rows=ROWS, filename="ledger", fmt="xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == HEADERS
    assert values[1][1].startswith("'=") and values[1][2] == 2.5
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    path = tmp_path / "out.xlsx"
    write_table(path, headers=HEADERS, rows=ROWS, fmt="xlsx")
    assert load_workbook(path).active["A2"].value == "王秀英"
