"""Report workbooks from the page and the command: who may have which, the background job with its progress and
notice, the sheets' formatting, the same file both ways, the workbook's language, and a constant number of
queries per sheet."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from activities.models import LedgerEntry
from activities.services import record_entry
from families.models import CommunityAssignment
from project import reports
from project.access import make_organizer
from project.models import ExportJob, Notice
from tests.factories import GridFactory, UserFactory, make_grid_worker, make_street_organizer
from tests.families.helpers import post_with_tasks
from tests.project.report_world import entry, make_world, resident_in, sheet_rows
from tests.tokens import token

pytestmark = pytest.mark.django_db
PAGE = "/organize/reports/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    return make_world()


def signed_in(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def community_organizer(community):
    user = UserFactory()
    make_organizer(user=user)
    CommunityAssignment.objects.create(user=user, community=community)
    return user


def ask(user, *, place, period="2026-11", language="en"):
    client = signed_in(user, language)
    data = {"place": place, "period": period, **token(user, "project.export")}
    return client, post_with_tasks(client, PAGE, data)


def downloaded(client, job) -> openpyxl.Workbook:
    response = client.get(f"/organize/exports/{job.pk}/download/")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_a_community_organizer_gets_their_communitys_workbook_in_the_background(world):
    user = community_organizer(world.a)
    page = signed_in(user).get(PAGE).content.decode()
    assert 'value="jia"' in page and 'value="yi"' not in page and "街道办事处" not in page
    client, response = ask(user, place="jia")
    assert response.status_code == 302 and response["Location"] == "/organize/exports/"
    job = ExportJob.objects.get()
    assert (job.kind, job.fmt, job.status, job.params) == (
        reports.KIND,
        "xlsx",
        "done",
        {"period": "2026-11", "community": "jia"},
    )
    assert (job.done, job.total) == (6, 6)  # progress counts the sheets
    assert job.filename == "Report-甲社区-2026-11.xlsx"
    notice = Notice.objects.get(user=user, kind="export_ready")
    assert notice.url == "/organize/exports/" and "Report-甲社区-2026-11" in notice.params["title"]
    book = downloaded(client, job)
    assert sheet_rows(book, "Volunteer hours")[-1] == ["Total", None, 2, 6]


def test_a_community_organizer_cannot_have_another_communitys_or_the_streets_workbook(world):
    user = community_organizer(world.a)
    for place in ("yi", ""):
        _client, response = ask(user, place=place)
        assert response.status_code == 200  # the form again, with its error
        assert 'class="errorlist"' in response.content.decode()
    assert not ExportJob.objects.exists()
    # Asked for through the export machinery directly, the job fails with a reason and writes no file.
    client = signed_in(user)
    data = {"kind": reports.KIND, "fmt": "xlsx", "params": '{"period": "2026-11", "community": "yi"}'}
    post_with_tasks(client, "/organize/exports/start/", {**data, **token(user, "project.export")})
    job = ExportJob.objects.get()
    assert job.status == "failed" and not job.file and "no community" in job.error


def test_a_grid_worker_has_no_workbook(world):
    user = UserFactory()
    make_organizer(user=user)
    make_grid_worker(user, world.a1)
    assert signed_in(user).get(PAGE).status_code == 403
    _client, response = ask(user, place="jia")
    assert response.status_code == 403 and not ExportJob.objects.exists()
    assert signed_in(UserFactory()).get(PAGE).status_code == 403  # not an organizer at all


def test_a_street_organizer_gets_any_community_and_the_street(world):
    user = make_street_organizer(UserFactory())
    page = signed_in(user).get(PAGE).content.decode()
    assert 'value="jia"' in page and 'value="yi"' in page and "街道办事处" in page
    client, _response = ask(user, place="", period="2026-Q4")
    book = downloaded(client, ExportJob.objects.get())
    assert sheet_rows(book, "Volunteer hours")[-1] == ["Total", 3, 15]
    ask(user, place="yi")
    assert ExportJob.objects.filter(status="done").count() == 2


@pytest.mark.parametrize("period", ["2026-13", "next month", "", "=cmd|' /C calc'!A0"])
def test_a_bad_period_is_refused_in_the_readers_language_and_starts_nothing(world, period):
    user = make_street_organizer(UserFactory())
    _client, response = ask(user, place="jia", period=period, language="zh-hans")
    body = response.content.decode()
    assert response.status_code == 200 and not ExportJob.objects.exists()
    assert "2026-Q4" in body and ("季度" in body or "这是必填项" in body or "必填" in body)


def test_each_sheet_has_a_title_row_units_widths_a_frozen_header_and_totals(world):
    client, _response = ask(make_street_organizer(UserFactory()), place="jia")
    book = downloaded(client, ExportJob.objects.get())
    for sheet in book.worksheets:
        rows = sheet_rows(book, sheet.title)
        assert "甲社区" in rows[0][0] and "2026-11" in rows[0][0] and "2026-11-01" in rows[0][0]
        assert sheet["A1"].font.b and sheet["A2"].font.b and sheet.cell(sheet.max_row, 1).font.b
        assert sheet.freeze_panes == "A3"
        assert rows[-1][0] == "Total"
        assert any("(" in str(header) for header in rows[1])  # units
        assert all(sheet.column_dimensions[letter].width >= 6 for letter in "AB")
    hours = book["Volunteer hours"]
    assert hours.column_dimensions["D"].width >= len("Volunteer hours (hours)")


def test_the_workbook_follows_the_requesters_language(world):
    client, _response = ask(make_street_organizer(UserFactory()), place="jia", language="zh-hans")
    book = downloaded(client, ExportJob.objects.get())
    assert book.sheetnames[0] == "志愿服务时长"
    hours = sheet_rows(book, "志愿服务时长")
    assert hours[0][0].startswith("甲社区 · 2026年11月")
    assert hours[1] == ["一级网格", "网格", "志愿者（人）", "志愿时长（小时）"]
    assert hours[-1][0] == "合计"
    assert ExportJob.objects.get().filename == "台账-甲社区-2026-11.xlsx"


def test_the_command_writes_the_same_workbook_as_the_page(world, tmp_path):
    client, _response = ask(make_street_organizer(UserFactory()), place="jia", language="zh-hans")
    from_page = b"".join(client.get(f"/organize/exports/{ExportJob.objects.get().pk}/download/").streaming_content)
    out = io.StringIO()
    call_command(
        "monthly_report", "--community", "jia", "--month", "2026-11", "--output", tmp_path / "a.xlsx", stdout=out
    )
    assert (tmp_path / "a.xlsx").read_bytes() == from_page
    assert "6" in out.getvalue()
    call_command(
        "monthly_report", "--street", "--quarter", "2026-Q4", "--output", tmp_path / "s.xlsx", "--language", "en"
    )
    street = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert sheet_rows(street, "Volunteer hours")[2:] == [
        ["本社区", 0, 0],
        ["甲社区", 2, 11],
        ["乙社区", 1, 4],
        ["Total", 3, 15],
    ]
    call_command("monthly_report", "--community", "yi", "--year", "2026", "--output", tmp_path / "y.xlsx")
    assert openpyxl.load_workbook(tmp_path / "y.xlsx").sheetnames[0] == "志愿服务时长"


@pytest.mark.parametrize(
    "arguments",
    [
        ["--community", "nowhere", "--month", "2026-11"],
        ["--community", "jia", "--month", "2026-Q4"],
        ["--community", "jia", "--quarter", "2026-11"],
        ["--street", "--month", "2026-00"],
    ],
)
def test_the_command_refuses_unknown_places_and_periods(world, tmp_path, arguments):
    with pytest.raises(CommandError):
        call_command("monthly_report", *arguments, "--output", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def _queries(slug: str) -> int:
    with CaptureQueriesContext(connection) as queries, translation.override("en"):
        reports.write(io.BytesIO(), period=reports.Period.parse("2026-11"), place=reports.place_for(None, slug))
    return len(queries)


def test_the_workbooks_queries_do_not_grow_with_rows(world):
    community, street = _queries("jia"), _queries("")
    for n in range(8):  # more grids, residents, hours and households in both communities
        grid = world.a1 if n % 2 else world.b1
        person = resident_in(grid)
        entry(person, LedgerEntry.Kind.EARNED, 10, half_hours=2, day=n + 1)
        resident_in(GridFactory(community=world.a if n % 2 else world.b))  # a new grid: one more row
    assert (_queries("jia"), _queries("")) == (community, street)
    assert community <= 12 and street <= 12


def test_the_dashboard_puts_communities_side_by_side_with_a_table(world, organizer_client):
    record_entry(
        resident=world.ra1,
        kind=LedgerEntry.Kind.EARNED,
        amount=30,
        half_hours=6,
        idempotency_key="this-month",
        source="测试",
        occurred_on=timezone.localdate(),
    )
    organizer_client.cookies["django_language"] = "en"
    body = organizer_client.get("/organize/").content.decode()
    assert "Volunteer hours this month, by community" in body
    assert "Participation this month, by community" in body
    assert '<th scope="col">Community</th>' in body
    assert '<th scope="row">乙社区</th>' in body


def test_a_street_workbook_is_not_a_community_organizers_to_download(world):
    street_client, _response = ask(make_street_organizer(UserFactory()), place="")
    job = ExportJob.objects.get()
    assert street_client.get(f"/organize/exports/{job.pk}/download/").status_code == 200
    outsider = signed_in(community_organizer(world.a))
    assert outsider.get(f"/organize/exports/{job.pk}/download/").status_code == 404
    assert f"/organize/exports/{job.pk}/download/" not in outsider.get("/organize/exports/").content.decode()


def test_hostile_text_in_a_workbook_stays_text(world):
    from tests.activities.factories import ActivityFactory
    from tests.project.report_world import at

    hostile = '=HYPERLINK("http://evil.example","x")<script>alert(1)</script>' + "长" * 90
    ActivityFactory(community=world.a, title=hostile[:100], starts_at=at(20), ends_at=at(20, hour=12))
    client, _response = ask(make_street_organizer(UserFactory()), place="jia")
    sheet = downloaded(client, ExportJob.objects.get())["Activities held"]
    cells = [row[1] for row in sheet.iter_rows(min_row=3)]
    assert hostile[:100] in [cell.value for cell in cells]
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula
    assert sheet.column_dimensions["B"].width <= 62  # long text does not make a column wider than a screen
