"""The dashboard's volunteering charts: confirmed hours, participation by grid, points issued and redeemed."""

from __future__ import annotations

from django.utils.translation import gettext as _

from project import registry
from project.charts import Chart, bar_chart, grouped_bar_chart, number

from . import stats


@registry.chart(order=10)
def hours_chart() -> Chart:
    data = stats.hours_by_month(months=12)
    chart = Chart(
        "hours",
        _("Confirmed volunteer hours by month"),
        _("Volunteer service hours that organizers confirmed, per month, for the last twelve months."),
        [_("Month"), _("Hours")],
    )
    if not any(hours for _label, hours in data):
        chart.empty = _("No volunteer hours have been confirmed in the last twelve months.")
    else:
        chart.rows = [[str(label), number(hours)] for label, hours in data]
        chart.svg = bar_chart(title=chart.title, description=chart.description, rows=data)
    return chart


@registry.chart(order=20)
def participation_chart() -> Chart:
    data = stats.participation_by_grid()
    chart = Chart(
        "participation",
        _("Participation by grid"),
        _("How many residents of each grid took part in volunteer activities."),
        [_("Grid"), _("Participants")],
    )
    if not any(n for _grid, n in data):
        chart.empty = _("Nobody has taken part in a volunteer activity yet.")
    else:
        rows = [(str(grid), n) for grid, n in data]
        chart.rows = [[grid, number(n)] for grid, n in rows]
        chart.svg = bar_chart(title=chart.title, description=chart.description, rows=rows)
    return chart


@registry.chart(order=30)
def points_chart() -> Chart:
    data = stats.points_by_month(months=12)
    issued, redeemed = _("Issued"), _("Redeemed")
    chart = Chart(
        "points",
        _("Points issued and redeemed by month"),
        _("Points earned from confirmed hours and other rules, and points spent in the points store, per month."),
        [_("Month"), issued, redeemed],
    )
    if not any(i or r for _label, i, r in data):
        chart.empty = _("No points have been issued or redeemed in the last twelve months.")
    else:
        chart.rows = [[str(label), number(i), number(r)] for label, i, r in data]
        chart.svg = grouped_bar_chart(
            title=chart.title,
            description=chart.description,
            labels=[str(label) for label, _i, _r in data],
            series=[(issued, [i for _l, i, _r in data]), (redeemed, [r for _l, _i, r in data])],
        )
    return chart
