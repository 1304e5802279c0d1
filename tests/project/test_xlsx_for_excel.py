"""Spreadsheets that open well in Excel: columns wide enough for their content, the header row frozen, and times
written exactly (08:00, not 07:59:59.97)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl

from project.xlsx import write_xlsx

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _book(headers, rows):
    buffer = io.BytesIO()
    write_xlsx(buffer, headers=headers, rows=rows, sheet_title="台账")
    buffer.seek(0)
    return openpyxl.load_workbook(buffer).active


def test_times_are_exact_to_the_second(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moments = [datetime(2026, 11, 1, 8, 0, tzinfo=SHANGHAI) + timedelta(minutes=37 * n) for n in range(200)]
    sheet = _book(["签到时间"], [[moment] for moment in moments])
    read = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert read == [moment.replace(tzinfo=None) for moment in moments]
    assert sheet["A2"].value == datetime(2026, 11, 1, 8, 0, 0)


def test_the_header_row_is_frozen_and_columns_fit_their_content():
    long_name = "幸福里社区第三网格阳光花园小区"
    sheet = _book(
        ["No.", "网格", "日期"],
        [[n, long_name if n == 7 else "东区", date(2026, 12, 1)] for n in range(1, 20)],
    )
    assert sheet.freeze_panes == "A2"
    width = {letter: sheet.column_dimensions[letter].width for letter in "ABC"}
    assert width["B"] >= 2 * len(long_name)  # CJK characters are two wide
    assert width["C"] >= 10 and width["A"] < width["B"]


def test_a_long_export_still_streams_every_row_after_the_measured_ones():
    sheet = _book(["No."], ([n] for n in range(1, 1201)))
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == list(range(1, 1201))
