"""Reports upward (台账) in the browser, on a phone: a community organizer asks for a quarter's workbook of their
community, follows its progress while a real task worker writes it, gets the notice and downloads it; a street
organizer downloads the street's workbook (a sheet per measure, a row per community). In Chinese, and once in
English."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import expect

from families.models import Community, CommunityAssignment
from project import reports
from project.access import make_organizer
from project.models import ExportJob
from tests.factories import UserFactory, make_street_organizer
from tests.project.report_world import make_world, sheet_rows
from tests.spreadsheets import stored_cells

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The tasks wait in the database queue (the site's default) until the test runs the worker, so that the page
# is seen while the workbook is still being written.
QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = QUEUED
    return make_world()


def _ask(page, live_server, *, place: str, period: str, button: str) -> None:
    page.goto(f"{live_server.url}/organize/reports/")
    page.locator("select[name=place]").select_option(place)
    page.locator("input[name=period]").fill(period)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/organize/exports/")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def _download(page, tmp_path, link_name: str) -> tuple[str, Path]:
    with page.expect_download() as started:
        page.get_by_role("link", name=link_name).first.click()
    download = started.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return download.suggested_filename, path


def test_a_community_organizer_follows_a_quarters_workbook_and_downloads_it(live_server, page, login, world, tmp_path):
    organizer = UserFactory(username="jia_office")
    make_organizer(user=organizer)
    CommunityAssignment.objects.create(user=organizer, community=world.a)

    login(page, "jia_office")
    page.goto(f"{live_server.url}/organize/reports/")
    expect(page.locator("select[name=place] option")).to_have_text(["甲社区"])  # only their own community
    _fits(page)
    _ask(page, live_server, place="jia", period="2026-Q4", button="生成台账")
    expect(page.get_by_text("台账正在生成")).to_be_visible()

    # Still being written: the page says so and follows it (exports.js polls the job's state).
    job = ExportJob.objects.get()
    item = page.locator(f"[data-job='{job.pk}']")
    expect(item.locator("progress")).to_be_visible()
    expect(item).not_to_contain_text("下载")
    _fits(page)

    # A task worker picks the job up; the page reloads itself when the job changes stage.
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    download_link = item.get_by_role("link", name="下载")
    expect(download_link).to_be_visible(timeout=15_000)
    expect(item).to_contain_text("6 张工作表")  # a workbook counts its sheets, not rows

    # The notice says the workbook is ready.
    page.goto(f"{live_server.url}/notices/")
    expect(page.locator("main")).to_contain_text("台账-甲社区-2026-Q4.xlsx")

    page.goto(f"{live_server.url}/organize/exports/")
    filename, path = _download(page, tmp_path, "下载")
    assert filename == "台账-甲社区-2026-Q4.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "志愿服务时长"
    hours = sheet_rows(book, "志愿服务时长")
    assert book.sheetnames == ["志愿服务时长", "举办的活动", "参与率", "评选及结果", "积分发放与使用", "住户迁入迁出"]
    hours = sheet_rows(book, "志愿服务时长")
    assert hours[0][0] == "甲社区 · 2026年第4季度 · 志愿服务时长（2026-10-01 至 2026-12-31）"
    # A row per lowest grid, a second-level grid beside its first-level grid; October's hours are in Q4.
    assert hours[1:] == [
        ["一级网格", "网格", "志愿者（人）", "志愿时长（小时）"],
        ["甲一级", "甲一", 1, 8],
        ["甲一级", "甲二", 1, 3],
        ["甲三", None, 0, 0],
        ["合计", None, 2, 11],
    ]
    held = sheet_rows(book, "举办的活动")
    assert [row[1] for row in held[2:]] == ["十月活动", "甲楼道清理", "共2场"]  # the called-off one is not there
    assert sheet_rows(book, "参与率")[-1] == ["合计", None, 2, 4, 50.0]
    assert "乙社区好人" not in str(sheet_rows(book, "评选及结果"))  # another community's round is not theirs
    assert all(not formula for row in stored_cells(path) for _type, formula, _text in row)  # values, no formulas


def test_a_street_organizer_downloads_the_streets_workbook_in_english(live_server, page, login, world, tmp_path):
    make_street_organizer(UserFactory(username="street_office"))
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login(page, "street_office")
    page.goto(f"{live_server.url}/organize/reports/")
    names = [community.name for community in Community.objects.all()]  # the register's order
    expect(page.locator("select[name=place] option")).to_have_text(["街道办事处", *names])
    _ask(page, live_server, place="", period="2026-11", button="Write the workbook")
    expect(page.get_by_text("The workbook is being written")).to_be_visible()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    expect(page.get_by_role("link", name="Download")).to_be_visible(timeout=15_000)
    expect(page.locator("#export-list")).to_contain_text("6 sheets")
    _fits(page)

    filename, path = _download(page, tmp_path, "Download")
    assert filename == "Report-街道办事处-2026-11.xlsx"
    book = openpyxl.load_workbook(path)
    with translation.override("en"):
        assert book.sheetnames == [str(measure.title) for measure in reports.measures()]  # one per measure
    for title in book.sheetnames:  # a sheet per measure, a row per community, then the totals
        rows = sheet_rows(book, title)
        assert rows[0][0].startswith(f"街道办事处 · 2026-11 · {title}"), title
        assert [row[0] for row in rows[2 : 2 + len(names)]] == names, title
        assert rows[-1][0] == "Total", title
    hours = {row[0]: row[1:] for row in sheet_rows(book, "Volunteer hours")[2:]}
    assert (hours["甲社区"], hours["乙社区"], hours["Total"]) == ([2, 6], [1, 4], [3, 10])
    held = sheet_rows(book, "Activities held")
    assert held[-2] == ["Hosted by the street", 1, 1, 1, 4]  # the street's own activities have their row
    participation = {row[0]: row[1:] for row in sheet_rows(book, "Participation")[2:]}
    assert participation["甲社区"] == [2, 3, 66.7] and participation["Total"] == [3, 4, 75.0]
