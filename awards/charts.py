"""The dashboard's award chart: turnout by building in the round whose voting opened last."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from project import registry
from project.charts import Chart, bar_chart, number, round_percent

from . import stats
from .models import AwardRound


def _latest_voting_round():
    """The round whose voting opened most recently (the current one, or the last one)."""
    return AwardRound.objects.visible().filter(voting_open_at__lte=timezone.now()).order_by("-voting_open_at").first()


@registry.chart(order=40)
def turnout_chart() -> Chart:
    chart = Chart(
        "turnout",
        _("Turnout by building"),
        "",
        [_("Building"), _("Voted"), _("Eligible"), _("Turnout")],
    )
    voting_round = _latest_voting_round()
    if voting_round is None:
        chart.empty = _("No award round has opened its voting yet. Turnout appears here once one does.")
        return chart
    data = stats.turnout_by_building(voting_round)
    chart.description = _("Share of verified residents of each building who voted in %(round)s.") % {
        "round": voting_round
    }
    rows = [(str(name), voters, eligible) for name, voters, eligible in data if eligible]
    if not rows:
        chart.empty = _("No building has verified residents yet.")
        return chart
    percents = [round_percent(voters, eligible) for _name, voters, eligible in rows]
    chart.rows = [[name, number(v), number(e), f"{p}%"] for (name, v, e), p in zip(rows, percents, strict=True)]
    chart.svg = bar_chart(
        title=chart.title,
        description=chart.description,
        rows=[(name, p) for (name, _v, _e), p in zip(rows, percents, strict=True)],
        value_text=lambda i, p: f"{p}% ({rows[i][1]}/{rows[i][2]})",
        maximum=100,
    )
    return chart
