"""Report workbooks (台账): a community's and the street's, for a month, a quarter or a year. Numbers are worked out
here from the world's factories (report_world.py), never read back from the code that writes them."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.utils import translation

from project import reports
from tests.project.report_world import make_world, sheet_rows

pytestmark = pytest.mark.django_db

NOVEMBER = reports.Period.parse("2026-11")


def workbook(place_slug: str, period=NOVEMBER, language="en"):
    with translation.override(language):
        place = reports.place_for(None, place_slug)
        target = io.BytesIO()
        reports.write(target, period=period, place=place)
    return openpyxl.load_workbook(io.BytesIO(target.getvalue()))


@pytest.fixture
def world():
    return make_world()


def test_periods_read_as_months_quarters_and_years():
    assert (NOVEMBER.start.isoformat(), NOVEMBER.end.isoformat()) == ("2026-11-01", "2026-11-30")
    quarter = reports.Period.parse("2026-q4")
    assert (quarter.kind, quarter.start.month, quarter.end.isoformat(), quarter.key) == (
        "quarter",
        10,
        "2026-12-31",
        "2026-Q4",
    )
    year = reports.Period.parse(" 2026 ")
    assert (year.start.isoformat(), year.end.isoformat(), year.key) == ("2026-01-01", "2026-12-31", "2026")
    february = reports.Period.parse("2028-02")
    assert february.end.day == 29
    for bad in ("2026-13", "2026-Q5", "26-11", "", "2026-11-01", "<script>"):
        with pytest.raises(ValueError, match="2026-Q4"):
            reports.Period.parse(bad)


def test_a_communitys_workbook_has_one_sheet_per_measure_with_its_numbers(world):
    book = workbook("jia")
    assert book.sheetnames == [
        "Volunteer hours",
        "Activities held",
        "Participation",
        "Award rounds and results",
        "Points issued and spent",
        "Households moved in and out",
    ]
    hours = sheet_rows(book, "Volunteer hours")
    assert hours[0][0].startswith("甲社区 · 2026-11 · Volunteer hours")
    assert hours[1] == ["First-level grid", "Grid", "Volunteers (people)", "Volunteer hours (hours)"]
    # ra1: 2 h + 1 h in November (its October 5 h not counted); ra2: 3 h; 甲三: nobody; 乙's hours not here.
    assert hours[2:] == [
        ["甲一级", "甲一", 1, 3],
        ["甲一级", "甲二", 1, 3],
        ["甲三", None, 0, 0],
        ["Total", None, 2, 6],
    ]

    activities = sheet_rows(book, "Activities held")
    assert activities[1] == [
        "Date",
        "Activity",
        "Type",
        "Place",
        "Signed up (people)",
        "Present (people)",
        "Confirmed hours (hours)",
    ]
    # Only 甲's November activity that was held: three signed up, two present, 2 h + 3 h confirmed.
    assert [row[1:] for row in activities[2:]] == [
        ["甲楼道清理", "Environment clean-up", "社区服务中心", 3, 2, 5],
        ["1 activities", None, None, 3, 2, 5],
    ]

    participation = sheet_rows(book, "Participation")
    # 甲三 has two verified residents by the end of November? No: one was verified in December, one is pending.
    assert participation[2:] == [
        ["甲一级", "甲一", 1, 1, 100],
        ["甲一级", "甲二", 1, 1, 100],
        ["甲三", None, 0, 1, 0],
        ["Total", None, 2, 3, 66.7],
    ]

    points = sheet_rows(book, "Points issued and spent")
    assert points[1][2:] == [
        "Issued for hours (points)",
        "Awarded or adjusted (points)",
        "Issued in all (points)",
        "Spent in the stores (points)",
    ]
    assert points[2:] == [
        ["甲一级", "甲一", 30, 0, 30, 25],
        ["甲一级", "甲二", 30, 15, 45, 0],
        ["甲三", None, 0, 0, 0, 0],
        ["Total", None, 60, 15, 75, 25],
    ]

    households = sheet_rows(book, "Households moved in and out")
    # 甲一: ra1's household lives on, one moved out on 11-25 (still living there on... no: gone by the 30th).
    assert households[2:] == [
        ["甲一级", "甲一", 0, 1, 1],
        ["甲一级", "甲二", 1, 0, 2],
        ["甲三", None, 0, 0, 1],
        ["Total", None, 1, 1, 4],
    ]

    rounds = sheet_rows(book, "Award rounds and results")
    # 甲's round (ra1 won; ra2's withdrawn nomination not counted) and the street's (ra2 won; rb is 乙's).
    assert [row[:3] + row[4:] for row in rounds[2:]] == [
        ["甲社区好人", "甲社区", "好邻居", 1, 1, f"{world.ra1.full_name}（{world.ra1.household.building.name}）"],
        [
            "十佳身边好人",
            "街道办事处",
            "街道好人",
            1,
            1,
            f"{world.ra2.full_name}（{world.ra2.household.building.name}）",
        ],
        ["Total", None, None, 2, 2, None],
    ]


def test_the_streets_workbook_has_a_row_per_community(world):
    book = workbook("")
    hours = sheet_rows(book, "Volunteer hours")
    assert hours[0][0].startswith("街道办事处 · 2026-11")
    assert hours[1] == ["Community", "Volunteers (people)", "Volunteer hours (hours)"]
    # The site's first community (本社区, from the migrations) is a row too, with nothing in it.
    assert hours[2:] == [["本社区", 0, 0], ["甲社区", 2, 6], ["乙社区", 1, 4], ["Total", 3, 10]]
    activities = sheet_rows(book, "Activities held")
    assert activities[2:] == [
        ["本社区", 0, 0, 0, 0],
        ["甲社区", 1, 3, 2, 5],
        ["乙社区", 0, 0, 0, 0],
        ["Hosted by the street", 1, 1, 1, 4],
        ["Total", 2, 4, 3, 9],
    ]
    assert sheet_rows(book, "Participation")[2:] == [
        ["本社区", 0, 0, 0],
        ["甲社区", 2, 3, 66.7],
        ["乙社区", 1, 1, 100],
        ["Total", 3, 4, 75],
    ]
    # 甲 published one round; 乙's was in December. Nominations: 甲 ra1 + ra2 (street), 乙 rb (street).
    assert sheet_rows(book, "Award rounds and results")[2:] == [
        ["本社区", 0, 0, 0, 0],
        ["甲社区", 1, 2, 2, 1],
        ["乙社区", 0, 1, 0, 0],
        ["Total", 1, 3, 2, 1],
    ]
    assert sheet_rows(book, "Points issued and spent")[2:] == [
        ["本社区", 0, 0, 0, 0],
        ["甲社区", 60, 15, 75, 25],
        ["乙社区", 40, 0, 40, 0],
        ["Total", 100, 15, 115, 25],
    ]
    assert sheet_rows(book, "Households moved in and out")[2:] == [
        ["本社区", 0, 0, 0],
        ["甲社区", 1, 1, 4],
        ["乙社区", 0, 0, 1],
        ["Total", 1, 1, 5],
    ]


def test_a_quarter_and_a_year_count_october_too(world):
    hours = sheet_rows(workbook("jia", reports.Period.parse("2026-Q4")), "Volunteer hours")
    assert hours[-1] == ["Total", None, 2, 11]
    assert sheet_rows(workbook("jia", reports.Period.parse("2026")), "Volunteer hours")[-1] == ["Total", None, 2, 11]
    assert sheet_rows(workbook("jia", reports.Period.parse("2026-09")), "Volunteer hours")[-1] == ["Total", None, 0, 0]


def test_the_same_workbook_is_the_same_bytes_whenever_it_is_written(world):
    import zipfile

    first = io.BytesIO()
    with translation.override("en"):
        reports.write(first, period=NOVEMBER, place=reports.place_for(None, "jia"))
    parts = zipfile.ZipFile(io.BytesIO(first.getvalue())).infolist()
    assert len(parts) == 6 + 5  # six sheets, the workbook, its links, styles, content types, the package's links
    assert {part.date_time for part in parts} == {(1980, 1, 1, 0, 0, 0)}  # no clock in the file
