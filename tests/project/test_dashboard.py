"""The organizers' dashboard: what waits, and charts drawn as accessible SVG with tables beside them."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest

from awards import charts as awards_charts
from project import charts
from project.charts import bar_chart, grouped_bar_chart, number

MONTHS = [("2026-01", Decimal("12.5")), ("2026-02", 0), ("2026-03", 40)]


def test_bar_chart_is_an_accessible_picture_with_every_value_written_out():
    svg = bar_chart(title="志愿时长", description="每月确认的时长", rows=MONTHS)
    assert svg.startswith("<svg") and 'role="img"' in svg and "aria-labelledby=" in svg
    assert "<title" in svg and ">志愿时长</title>" in svg and ">每月确认的时长</desc>" in svg
    assert svg.count("<rect") == 3
    for text in (">12.5<", ">0<", ">40<", ">2026-01<"):
        assert text in svg
    assert "style=" not in svg and "<script" not in svg


def test_the_longest_bar_fills_the_chart_and_others_are_in_proportion():
    svg = bar_chart(title="t", description="d", rows=[("a", 10), ("b", 5)])
    assert 'width="200.0"' in svg and 'width="100.0"' in svg


def test_labels_are_escaped_and_long_labels_shortened():
    svg = bar_chart(title="<b>", description="&", rows=[("<script>alert(1)</script>", 3)])
    assert "<script>" not in svg and "&lt;b&gt;" in svg and "&amp;" in svg


def test_grouped_chart_has_a_legend_and_hatches_the_second_series_so_colour_is_not_the_only_signal():
    svg = grouped_bar_chart(
        title="积分", description="发放与兑换", labels=["1月", "2月"], series=[("发放", [100, 50]), ("兑换", [30, 0])]
    )
    assert "<pattern" in svg and "-hatch)" in svg
    assert ">发放</text>" in svg and ">兑换</text>" in svg
    assert ">100<" in svg and ">30<" in svg


def test_charts_with_nothing_to_draw_still_make_a_valid_picture():
    assert bar_chart(title="t", description="d", rows=[("a", 0)]).endswith("</svg>")
    assert grouped_bar_chart(title="t", description="d", labels=[], series=[("x", [])]).endswith("</svg>")


def test_numbers_are_written_without_trailing_zeros():
    assert [number(v) for v in (Decimal("12.50"), 3.0, 1200, Decimal("2"))] == ["12.5", "3", "1,200", "2"]


def test_colours_have_enough_contrast_on_white():
    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for colour in charts.COLOURS:
        assert 1.05 / (luminance(colour) + 0.05) >= 4.5


# --- the page ----------------------------------------------------------------------


def provide(monkeypatch, module_name: str, **functions) -> None:
    """Give an app's statistics module these functions for one test."""
    module = importlib.import_module(module_name)
    for name, function in functions.items():
        monkeypatch.setattr(module, name, function)


@pytest.fixture
def fake_stats(monkeypatch):
    """Known numbers from the apps' statistics."""
    provide(
        monkeypatch,
        "activities.stats",
        hours_by_month=lambda months=12: MONTHS,
        participation_by_grid=lambda: [("第一网格", 14), ("第二网格", 3)],
        points_by_month=lambda months=12: [("2026-01", 300, 120), ("2026-02", 80, 200)],
    )
    provide(
        monkeypatch,
        "awards.stats",
        turnout_by_building=lambda round: [("幸福里1号楼", 30, 40), ("幸福里2号楼", 0, 12), ("空楼", 0, 0)],
    )
    monkeypatch.setattr(awards_charts, "_latest_voting_round", lambda: "2026年度评选")


@pytest.mark.django_db
def test_dashboard_draws_the_four_charts_with_tables_for_screen_readers(organizer_client, fake_stats):
    response = organizer_client.get("/organize/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 4
    assert body.count("<table>") == 4
    assert '<th scope="row">第一网格</th><td>14</td>' in body
    assert "<td>30</td><td>40</td><td>75%</td>" in body  # turnout: voted, eligible, share
    assert "75% (30/40)" in body
    assert "空楼" not in body  # a building with nobody to vote is left out rather than shown at 0%


@pytest.mark.django_db
def test_dashboard_explains_a_round_less_community_in_the_readers_language(organizer_client, fake_stats, monkeypatch):
    monkeypatch.setattr(awards_charts, "_latest_voting_round", lambda: None)
    organizer_client.cookies["django_language"] = "en"
    body = organizer_client.get("/organize/").content.decode()
    assert "No award round has opened its voting yet" in body
    assert body.count('class="chart"') == 3  # the volunteering charts still draw


@pytest.mark.django_db
def test_a_failing_statistic_is_an_error_not_an_empty_chart(organizer_client, fake_stats, monkeypatch):
    """The registered charts exist or not: a broken one is a real error, never hidden as "not installed yet"."""

    def broken(months=12):
        raise ZeroDivisionError("a bug in a statistic")

    provide(monkeypatch, "activities.stats", hours_by_month=broken)
    with pytest.raises(ZeroDivisionError):
        organizer_client.get("/organize/")


@pytest.mark.django_db
def test_dashboard_shows_an_empty_state_when_nothing_happened_yet(organizer_client, fake_stats, monkeypatch):
    provide(
        monkeypatch,
        "activities.stats",
        hours_by_month=lambda months=12: [("2026-01", 0)],
        participation_by_grid=lambda: [],
        points_by_month=lambda months=12: [],
    )
    body = organizer_client.get("/organize/").content.decode()
    assert body.count('class="chart"') == 1  # only turnout has numbers


@pytest.mark.django_db
def test_only_organizers_see_the_dashboard(client, resident_client):
    assert client.get("/organize/").status_code == 302
    assert resident_client.get("/organize/").status_code in (403, 404)


@pytest.mark.django_db
def test_dashboard_charts_the_real_numbers_of_the_apps(organizer, organizer_client, resident):
    """Hours confirmed through the activities service and a round in voting show up in the charts."""
    from activities import services
    from tests.activities.factories import finished_activity, present
    from tests.awards.factories import make_round

    member = resident.residencies.get()
    services.confirm_hours(signup=present(finished_activity(hours=3), member), actor=organizer)
    make_round("voting", title="2026年度评选")

    organizer_client.cookies["django_language"] = "en"
    body = organizer_client.get("/organize/").content.decode()
    assert body.count('class="chart"') == 4
    assert "<td>3</td>" in body  # three confirmed hours this month (or last, on the 1st)
    assert f'<th scope="row">{member.household.building.grid.name}</th><td>1</td>' in body  # one volunteer
    assert f'<th scope="row">{member.household.building.name}</th><td>0</td><td>1</td><td>0%</td>' in body
    assert "who voted in 2026年度评选" in body
