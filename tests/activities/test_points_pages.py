"""Leaderboards, star ranks, the volunteer pages, the service record, exports and dashboard numbers."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities import services, stats
from activities.models import LedgerEntry
from project import publiccache
from tests.factories import HouseholdFactory, ResidentFactory

from .factories import finished_activity, present

pytestmark = pytest.mark.django_db


def _credit(organizer, person, hours=3, **kwargs):
    return services.confirm_hours(signup=present(finished_activity(hours=hours, **kwargs), person), actor=organizer)


def test_only_people_who_agreed_are_named_on_the_board(client, organizer):
    shown = ResidentFactory(full_name="张秀英", show_name_publicly=True)
    hidden = ResidentFactory(full_name="李建国", show_name_publicly=False)
    _credit(organizer, shown)
    _credit(organizer, hidden, hours=2)
    page = client.get(reverse("activities:leaderboard")).content.decode()
    assert "张秀英" in page and "李建国" not in page
    assert hidden.household.building.name in page  # counted, described without a name
    assert reverse("activities:volunteer", args=[shown.pk]) in page
    assert reverse("activities:volunteer", args=[hidden.pk]) not in page


def test_households_are_named_only_with_consent(client, organizer):
    public = ResidentFactory(household=HouseholdFactory(display_name="公开家", show_publicly=True))
    private = ResidentFactory(household=HouseholdFactory(display_name="低调家", show_publicly=False))
    _credit(organizer, public)
    _credit(organizer, private)
    page = client.get(reverse("activities:leaderboard"), {"scope": "household", "period": "all"}).content.decode()
    assert "公开家" in page and "低调家" not in page


@pytest.mark.parametrize("scope", ["person", "household", "building", "grid"])
@pytest.mark.parametrize("period", ["month", "year", "all"])
def test_board_query_count_does_not_grow_with_history(client, organizer, scope, period, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("activities:leaderboard") + f"?scope={scope}&period={period}"
    _credit(organizer, ResidentFactory(show_name_publicly=True))
    client.get(url)  # warm what the page keeps in the cache besides itself
    publiccache.expire_all()
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(8):
        _credit(organizer, ResidentFactory(show_name_publicly=True), hours=2)
    publiccache.expire_all()
    with django_assert_num_queries(len(small)):
        client.get(url)


def test_board_reads_aggregates_not_the_ledger(client, organizer):
    _credit(organizer, ResidentFactory())
    publiccache.expire_all()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("activities:leaderboard"))
    assert not any("activities_ledgerentry" in query["sql"] for query in queries)


def test_board_is_cached_for_visitors(client, organizer):
    _credit(organizer, ResidentFactory(full_name="第一位", show_name_publicly=True))
    first = client.get(reverse("activities:leaderboard"))
    assert first.status_code == 200 and "第一位" in first.content.decode()
    _credit(organizer, ResidentFactory(full_name="第二位", show_name_publicly=True))
    # no commit in this test, so the public version is not bumped: the cached page is served
    assert "第二位" not in client.get(reverse("activities:leaderboard")).content.decode()


def test_board_refuses_odd_parameters_gracefully(client):
    for params in ({"scope": "x"}, {"period": "decade"}, {"period": "month", "key": "2026-13"}, {"key": "'; drop"}):
        assert client.get(reverse("activities:leaderboard"), params).status_code == 200


def test_star_rank_follows_the_thresholds(settings):
    from activities.conf import star_rank

    assert [star_rank(h * 2) for h in (0, 99, 100, 299, 300, 600, 1000, 1499, 1500, 5000)] == [
        0,
        0,
        1,
        1,
        2,
        3,
        4,
        4,
        5,
        5,
    ]
    settings.ACTIVITIES_STAR_THRESHOLDS = (1, 2, 3, 4, 5)
    assert star_rank(6) == 3


def test_star_rank_shows_on_the_volunteer_page_and_board(client, organizer, settings):
    settings.ACTIVITIES_STAR_THRESHOLDS = (2, 3, 600, 1000, 1500)
    person = ResidentFactory(full_name="王志强", show_name_publicly=True)
    _credit(organizer, person, hours=3)
    page = client.get(reverse("activities:volunteer", args=[person.pk])).content.decode()
    assert "★★" in page
    assert "★★" in client.get(reverse("activities:leaderboard")).content.decode()


def test_volunteer_page_is_404_without_consent(client):
    person = ResidentFactory(show_name_publicly=False)
    assert client.get(reverse("activities:volunteer", args=[person.pk])).status_code == 404


def test_my_points_page_traces_every_point(resident_client, member, organizer):
    _credit(organizer, member)
    page = resident_client.get(reverse("activities:my_points")).content.decode()
    assert "+30" in page and LedgerEntry.objects.get().source in page


def test_service_record_lists_confirmed_hours_with_issuer_and_date(resident_client, member, organizer):
    _credit(organizer, member, hours=3)
    today = timezone.localdate()
    response = resident_client.get(
        reverse("activities:my_record"), {"start": f"{today.year - 1}-01-01", "end": today.isoformat()}
    )
    page = response.content.decode()
    assert response.context["total"] == "3"
    assert "居民委员会" in page and today.strftime("%Y-%m-%d") in page
    with open("static/css/activities.css", encoding="utf-8") as stylesheet:
        assert "@media print" in stylesheet.read()


def test_service_record_refuses_a_backwards_period(resident_client):
    response = resident_client.get(reverse("activities:my_record"), {"start": "2026-12-01", "end": "2026-01-01"})
    assert response.status_code == 400


def test_only_organizers_print_someone_else_s_record(resident_client, organizer_client, neighbour_member):
    url = reverse("activities:organize_record", args=[neighbour_member.pk])
    assert resident_client.get(url).status_code == 403
    assert organizer_client.get(url).status_code == 200


@pytest.mark.parametrize("kind", ["hours", "activities", "ledger"])
def test_exports_in_csv_and_xlsx(organizer_client, organizer, member, kind):
    entry = _credit(organizer, member)
    month = entry.occurred_on.strftime("%Y-%m")
    url = reverse("activities:organize_export_download", args=[kind, "csv"])
    response = organizer_client.get(url, {"month": month})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    response = organizer_client.get(
        reverse("activities:organize_export_download", args=[kind, "xlsx"]), {"month": month}
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 2


def test_exports_are_for_organizers_and_need_a_month(resident_client, organizer_client):
    url = reverse("activities:organize_export_download", args=["ledger", "csv"])
    assert resident_client.get(url, {"month": "2026-11"}).status_code == 403
    assert organizer_client.get(url, {"month": "2026-13"}).status_code == 302
    assert (
        organizer_client.get(reverse("activities:organize_export_download", args=["secrets", "csv"])).status_code == 404
    )


def test_export_ledger_command_writes_the_month(tmp_path, organizer, member):
    entry = _credit(organizer, member)
    output = tmp_path / "ledger.xlsx"
    call_command("export_ledger", month=entry.occurred_on.strftime("%Y-%m"), format="xlsx", output=str(output))
    sheet = load_workbook(output).active
    assert sheet.max_row == 2 and sheet.cell(2, 5).value == 30


def test_export_ledger_command_refuses_a_bad_month(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("export_ledger", month="2026-13", format="csv", output=str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


def test_export_ledger_writes_every_line_of_the_month(tmp_path, member):
    """Ledger lines inserted by one SQL statement (the ledger's own manager refuses bulk writes).

    How fast 100,000 lines export is measured by the benchmark (bench/), not here.
    """
    from django.db import connection

    household = member.household
    today = timezone.localdate()
    table = LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
            f"INSERT INTO {table} (kind, amount, half_hours, counts_for_ranking, source, resident_id, household_id, "
            f"building_id, grid_id, occurred_on, idempotency_key, created_at) "
            f"SELECT 'earned', 10, 2, %s, '1 h · 楼道清理', %s, %s, %s, %s, %s, 'bench:' || i, %s FROM n",
            [True, member.pk, household.pk, household.building_id, household.building.grid_id, today, timezone.now()],
        )
    assert LedgerEntry.objects.count() == 3000
    output = tmp_path / "big.xlsx"
    call_command("export_ledger", month=today.strftime("%Y-%m"), format="xlsx", output=str(output))
    sheet = load_workbook(output, read_only=True).active
    assert sum(1 for _ in sheet.iter_rows()) == 3001  # the header and every line


def test_dashboard_numbers(organizer, member):
    entry = _credit(organizer, member)
    label = entry.occurred_on.strftime("%Y-%m")
    hours = dict(stats.hours_by_month())
    assert len(hours) == 12 and hours.get(label, 3.0) == 3.0
    assert stats.participation_by_grid() == [(member.household.building.grid.name, 1)]
    points = {month: (issued, redeemed) for month, issued, redeemed in stats.points_by_month()}
    assert points.get(label, (30, 0)) == (30, 0)


def test_xlsx_writer_keeps_formula_text_as_inline_text_and_keeps_dates(tmp_path):
    from datetime import date

    from project.exports import write_table
    from tests.spreadsheets import stored_cells

    path = tmp_path / "t.xlsx"
    write_table(
        path,
        headers=["a", "b", "c", "d"],
        rows=[["=HYPERLINK(1)", date(2026, 11, 5), 3, "<&>"]],
        fmt="xlsx",
        sheet_title="积分明细",
    )
    sheet = load_workbook(path).active
    assert sheet.title == "积分明细"
    assert sheet.cell(2, 1).value == "=HYPERLINK(1)"  # exactly the text: no apostrophe to see
    assert stored_cells(path)[1][0] == ("inlineStr", False, "=HYPERLINK(1)")  # text, never a formula
    assert sheet.cell(2, 2).value.date() == date(2026, 11, 5)
    assert (sheet.cell(2, 3).value, sheet.cell(2, 4).value) == (3, "<&>")


def test_signed_in_residents_share_the_board_but_get_their_own_header(resident_client, organizer_client, organizer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _credit(organizer, ResidentFactory(full_name="第一位", show_name_publicly=True))
    publiccache.expire_all()
    url = reverse("activities:leaderboard")
    mine = organizer_client.get(url).content.decode()
    assert "第一位" in mine and reverse("organize") in mine
    with CaptureQueriesContext(connection) as queries:
        theirs = resident_client.get(url).content.decode()
    assert "第一位" in theirs and reverse("organize") not in theirs  # the organizer's header did not leak
    assert not any("activities_pointsaggregate" in query["sql"] for query in queries)  # the board was shared
    _credit(organizer, ResidentFactory(full_name="第二位", show_name_publicly=True))
    publiccache.expire_all()  # what a committed ledger entry does
    assert "第二位" in resident_client.get(url).content.decode()
