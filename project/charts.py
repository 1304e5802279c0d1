"""Charts for the organizers' dashboard, drawn on the server as SVG: no script, nothing from the internet.

Each chart is an accessible picture (``role="img"`` with a ``<title>`` and a
``<desc>``) whose every bar carries its value as text, so colour is never the
only signal (the second series of a grouped chart is also hatched). The page
puts a real data table beside each chart for screen readers.

The dashboard's charts are the apps': each registers its own in ``<app>/charts.py``
(``project.registry.chart``), a function returning a ``Chart`` built with the
drawing functions here from the app's own statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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


def round_percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0
