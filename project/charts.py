"""Charts for the organizers' dashboard, drawn on the server as SVG: no script, nothing from the internet.

Each chart is an accessible picture (``role="img"`` with a ``<title>`` and a
``<desc>``) whose every bar carries its value as text, so colour is never the
only signal (the second series of a grouped chart is also hatched). The page
puts a real data table beside each chart for screen readers.

The numbers come from the apps (``activities.stats``, ``awards.stats``), looked
up lazily: a dashboard whose app has not got a statistic yet shows an empty
state that says so instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Colours with at least 6.9:1 contrast on white (WCAG AAA for text, far above 3:1 for shapes).
COLOURS = ("#8c1d18", "#7a5600")
TEXT = "#1b1b1b"
GRID = "#c8c8c8"
# A narrow drawing, so that on a phone (about 330 px for the chart) the text stays about 14 px high.
WIDTH = 400
LABEL_WIDTH = 104
VALUE_ROOM = 96
ROW = 30
BAR = 22
GROUP_BAR = 16

_ids = count(1)


def number(value) -> str:
    """12, 12.5, 1,200: no trailing zeros, thousands separated."""
    if isinstance(value, Decimal | float) and value != int(value):
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def _short(label: str, limit: int = 7) -> str:
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _new_id() -> str:
    return f"chart{next(_ids)}"


def _open_svg(uid: str, title: str, description: str, height: int, extra_defs: str = "") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%" '
        f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{uid}-t {uid}-d" font-size="15" '
        f'font-family="system-ui, sans-serif">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(description)}</desc>'
        f"{extra_defs}"
    )


def _scale(values: Sequence[float]) -> float:
    top = max((float(v) for v in values), default=0)
    return (WIDTH - LABEL_WIDTH - VALUE_ROOM) / top if top > 0 else 0


def bar_chart(
    *,
    title: str,
    description: str,
    rows: Sequence[tuple[str, float]],
    value_text: Callable[[int, float], str] | None = None,
    maximum: float | None = None,
) -> SafeString:
    """Horizontal bars, one per row, each labelled with its value (``value_text(i, value)`` to word it)."""
    height = max(len(rows), 1) * ROW + 10
    svg = _open_svg(_new_id(), title, description, height)
    scale = _scale([maximum] if maximum else [v for _label, v in rows])
    parts = [svg, f'<line x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height}" stroke="{GRID}"/>']
    for i, (label, value) in enumerate(rows):
        y = 5 + i * ROW
        width = max(float(value) * scale, 0)
        text = value_text(i, value) if value_text else number(value)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 5}" text-anchor="end" fill="{TEXT}">{escape(_short(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR}" fill="{COLOURS[0]}"/>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR - 5}" fill="{TEXT}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def grouped_bar_chart(
    *, title: str, description: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> SafeString:
    """Horizontal grouped bars (up to two series), with a legend; the second series is hatched."""
    legend_height = 30
    group = GROUP_BAR * len(series) + 10
    height = legend_height + max(len(labels), 1) * group + 10
    uid = _new_id()
    hatch = (
        f'<defs><pattern id="{uid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{COLOURS[1]}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>'
    )
    svg = _open_svg(uid, title, description, height, hatch)
    fills = [COLOURS[0], f"url(#{uid}-hatch)"]
    scale = _scale([v for _name, values in series for v in values])
    parts = [svg]
    x = LABEL_WIDTH
    for s, (name, _values) in enumerate(series):
        parts.append(
            f'<rect x="{x}" y="6" width="18" height="14" fill="{fills[s]}" stroke="{COLOURS[s]}"/>'
            f'<text x="{x + 24}" y="18" fill="{TEXT}">{escape(name)}</text>'
        )
        x += 24 + 15 * len(name) + 24
    top = legend_height
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="{top}" x2="{LABEL_WIDTH}" y2="{height}" stroke="{GRID}"/>')
    for i, label in enumerate(labels):
        y = top + 5 + i * group
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + GROUP_BAR * len(series) / 2 + 5:.1f}" text-anchor="end" '
            f'fill="{TEXT}">{escape(_short(label))}</text>'
        )
        for s, (_name, values) in enumerate(series):
            value = values[i]
            width = max(float(value) * scale, 0)
            by = y + s * GROUP_BAR
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{by}" width="{width:.1f}" height="{GROUP_BAR - 2}" fill="{fills[s]}" '
                f'stroke="{COLOURS[s]}" stroke-width="{1 if width else 0}"/>'
                f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{by + GROUP_BAR - 3}" font-size="13" fill="{TEXT}">'
                f"{escape(number(value))}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


# --- The dashboard's charts -------------------------------------------------------


@dataclass
class Chart:
    """One dashboard chart: the SVG, and the same numbers as a table (``columns``, ``rows``)."""

    key: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    svg: SafeString | str = ""
    empty: str = ""  # shown instead of the chart when there is nothing to draw


MISSING = object()


def _statistic(module: str, name: str, *args, **kwargs):
    """Call ``module.name(...)``, or return MISSING while that app has no such statistic yet."""
    try:
        function = getattr(import_module(module), name)
    except (ImportError, AttributeError):
        return MISSING
    return function(*args, **kwargs)


def _not_yet() -> str:
    return _("This chart appears once the part of the site that records these numbers is installed.")


def hours_chart() -> Chart:
    data = _statistic("activities.stats", "hours_by_month", months=12)
    chart = Chart(
        "hours",
        _("Confirmed volunteer hours by month"),
        _("Volunteer service hours that organizers confirmed, per month, for the last twelve months."),
        [_("Month"), _("Hours")],
    )
    if data is MISSING:
        chart.empty = _not_yet()
    elif not any(hours for _label, hours in data):
        chart.empty = _("No volunteer hours have been confirmed in the last twelve months.")
    else:
        chart.rows = [[str(label), number(hours)] for label, hours in data]
        chart.svg = bar_chart(title=chart.title, description=chart.description, rows=data)
    return chart


def participation_chart() -> Chart:
    data = _statistic("activities.stats", "participation_by_grid")
    chart = Chart(
        "participation",
        _("Participation by grid"),
        _("How many residents of each grid took part in volunteer activities."),
        [_("Grid"), _("Participants")],
    )
    if data is MISSING:
        chart.empty = _not_yet()
    elif not any(n for _grid, n in data):
        chart.empty = _("Nobody has taken part in a volunteer activity yet.")
    else:
        rows = [(str(grid), n) for grid, n in data]
        chart.rows = [[grid, number(n)] for grid, n in rows]
        chart.svg = bar_chart(title=chart.title, description=chart.description, rows=rows)
    return chart


def points_chart() -> Chart:
    data = _statistic("activities.stats", "points_by_month", months=12)
    issued, redeemed = _("Issued"), _("Redeemed")
    chart = Chart(
        "points",
        _("Points issued and redeemed by month"),
        _("Points earned from confirmed hours and other rules, and points spent in the points store, per month."),
        [_("Month"), issued, redeemed],
    )
    if data is MISSING:
        chart.empty = _not_yet()
    elif not any(i or r for _label, i, r in data):
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


def _latest_voting_round():
    """The round whose voting opened most recently (the current one, or the last one)."""
    try:
        from awards.models import AwardRound
    except ImportError:
        return MISSING
    from django.utils import timezone

    return AwardRound.objects.visible().filter(voting_open_at__lte=timezone.now()).order_by("-voting_open_at").first()


def turnout_chart() -> Chart:
    chart = Chart(
        "turnout",
        _("Turnout by building"),
        "",
        [_("Building"), _("Voted"), _("Eligible"), _("Turnout")],
    )
    voting_round = _latest_voting_round()
    if voting_round is MISSING:
        chart.empty = _not_yet()
        return chart
    if voting_round is None:
        chart.empty = _("No award round has opened its voting yet. Turnout appears here once one does.")
        return chart
    data = _statistic("awards.stats", "turnout_by_building", voting_round)
    if data is MISSING:
        chart.empty = _not_yet()
        return chart
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


def round_percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def dashboard_charts() -> list[Chart]:
    return [hours_chart(), participation_chart(), points_chart(), turnout_chart()]
