"""Reports sent upward (台账): one XLSX workbook for a community or for the street, for a month, a quarter or a year.

The core holds the workbook: the period, the registry of measures, and the
writing. The apps hold the numbers: each registers its measures in
``<app>/reports.py`` (``measure``), and families registers the places
(``register_places``: the communities, each community's grids, and which
communities an organizer may report on). The core imports no app.

A measure is a function of a ``Scope`` (a period and a place) returning a
``Table``. For a community's workbook the scope's units are the community's
lowest grids (with the first-level grid beside a second-level one); for the
street's workbook they are the communities, so each measure's sheet has a row
per community. ``Scope.grouped`` counts a queryset per unit in one query, so a
sheet costs the same few queries however many rows it has.

Every sheet has a title row (the place, the period and the measure), units in
its headers, widths, a frozen header and a totals row (``project.xlsx``). The
workbook follows the requester's language. It is written by the export task
(``project.exports``, a "workbook" kind) or by ``manage.py monthly_report``:
the same function, the same bytes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import exports, registry
from .charts import Chart, bar_chart
from .charts import number as chart_number
from .xlsx import Sheet, write_workbook

KIND = "reports.workbook"


# --- The period ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A month (``2026-11``), a quarter (``2026-Q4``) or a year (``2026``): ``start`` and ``end`` are its first and
    last days."""

    kind: str  # "month", "quarter" or "year"
    year: int
    number: int = 0  # the month or the quarter; 0 for a year

    @classmethod
    def parse(cls, text: str) -> Period:
        """The period written as ``2026-11``, ``2026-Q4`` or ``2026``; ``ValueError`` (with a message for people)
        for anything else."""
        text = (text or "").strip().upper()
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            period = cls("month", int(match[1]), int(match[2]))
            valid = 1 <= period.number <= 12
        elif match := re.fullmatch(r"(\d{4})-?Q([1-4])", text):
            period, valid = cls("quarter", int(match[1]), int(match[2])), True
        elif re.fullmatch(r"\d{4}", text):
            period, valid = cls("year", int(text)), True
        else:
            period, valid = None, False
        if not valid or not 2000 <= period.year <= 2100:
            raise ValueError(_("Write the period as a month (2026-11), a quarter (2026-Q4) or a year (2026)."))
        return period

    @classmethod
    def current_month(cls) -> Period:
        today = timezone.localdate()
        return cls("month", today.year, today.month)

    @property
    def first_month(self) -> int:
        return {"month": self.number, "quarter": 3 * self.number - 2}.get(self.kind, 1)

    @property
    def last_month(self) -> int:
        return {"month": self.number, "quarter": 3 * self.number}.get(self.kind, 12)

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        return date(self.year, self.last_month, calendar.monthrange(self.year, self.last_month)[1])

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return str(self.year)

    @property
    def label(self) -> str:
        """The period in words, in the reader's language: 2026年11月, 2026年第4季度, 2026年."""
        if self.kind == "month":
            return _("%(year)s-%(month)s") % {"year": self.year, "month": f"{self.number:02d}"}
        if self.kind == "quarter":
            return _("%(year)s Q%(quarter)s") % {"year": self.year, "quarter": self.number}
        return _("year %(year)s") % {"year": self.year}

    def dates(self, path: str) -> Q:
        """``path`` (a date field) within the period."""
        return Q(**{f"{path}__gte": self.start, f"{path}__lte": self.end})

    def moments(self, path: str) -> Q:
        """``path`` (a date-and-time field) within the period, in the site's time zone."""
        return Q(**{f"{path}__date__gte": self.start, f"{path}__date__lte": self.end})


# --- Places: registered by families ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A community (or, with ``id`` None, the street)."""

    id: int | None
    name: str
    slug: str = ""


@dataclass(frozen=True)
class Unit:
    """A row of a sheet: a grid of the community (``labels`` = first-level grid, grid), or a community of the
    street (``labels`` = community)."""

    id: int
    labels: tuple[str, ...]


@dataclass
class _Places:
    communities: Callable[[], list[Place]]
    grids: Callable[[int], list[Unit]]
    allowed: Callable[[object], frozenset[int] | None]
    street: Callable[[], str]


_PLACES: list[_Places] = []


def register_places(
    *,
    communities: Callable[[], list[Place]],
    grids: Callable[[int], list[Unit]],
    allowed: Callable[[object], frozenset[int] | None],
    street: Callable[[], str],
) -> None:
    """The places reports are about (families): every community in order, a community's lowest grids as units,
    the communities an organizer may report on (None: every one and the street), and the street's name."""
    _PLACES[:] = [_Places(communities, grids, allowed, street)]


def _places() -> _Places:
    if not _PLACES:
        raise ImproperlyConfigured("No app registered the places of reports (families.reports).")
    return _PLACES[0]


def communities_for(user) -> list[Place]:
    """The communities ``user`` may download a workbook for (none for a grid worker)."""
    allowed = _places().allowed(user)
    return [place for place in _places().communities() if allowed is None or place.id in allowed]


def may_have_street(user) -> bool:
    return _places().allowed(user) is None


def street_place() -> Place:
    return Place(None, _places().street())


# --- Measures: registered by the apps ----------------------------------------------------------------------------


@dataclass
class Table:
    """A measure's sheet: headers (with units), rows, and the totals row (its first cell is the word "Total")."""

    headers: Sequence[str]
    rows: list[Sequence]
    totals: Sequence | None = None


@dataclass
class Scope:
    """What a measure's sheet covers: the period, and the place (a community) or the street (``place.id`` None)."""

    period: Period
    place: Place
    _units: list[Unit] | None = field(default=None, repr=False)

    @property
    def street(self) -> bool:
        return self.place.id is None

    def units(self) -> list[Unit]:
        """The sheet's rows: the community's lowest grids, or the street's communities (one query, remembered)."""
        if self._units is None:
            if self.street:
                self._units = [Unit(place.id, (place.name,)) for place in _places().communities()]
            else:
                self._units = _places().grids(self.place.id)
        return self._units

    def unit_headers(self) -> list[str]:
        return [_("Community")] if self.street else [_("First-level grid"), _("Grid")]

    def in_place(self, grid_path: str) -> Q:
        """Rows whose grid (at ``grid_path``) is in the place: everything for the street."""
        return Q() if self.street else Q(**{f"{grid_path}__community_id": self.place.id})

    def grouped(self, queryset, grid_path: str, **aggregates) -> dict[int, dict]:
        """``aggregates`` of ``queryset`` per unit, in one query: per grid of the community, or per community."""
        key = f"{grid_path}__community_id" if self.street else grid_path
        rows = queryset.filter(self.in_place(grid_path)).order_by().values(key).annotate(**aggregates)
        return {row[key]: row for row in rows}

    def per_unit(self, counts: dict[int, dict], columns: Sequence[str | Callable[[dict], object]]) -> list[list]:
        """A row per unit: its labels, then each column: a key of the unit's counts (0 if none), or a function of
        them (an empty dict if none)."""
        return [
            [*unit.labels, *(_column(column, counts.get(unit.id, {})) for column in columns)] for unit in self.units()
        ]

    def totals(self, rows: list[list], *, width: int, skip: Sequence[int] = ()) -> list:
        """The totals row of ``rows`` (``width`` columns): "Total", then each number column summed (columns in
        ``skip`` left empty)."""
        labels = len(self.unit_headers())
        sums: list = [_("Total")] + [""] * (labels - 1)
        for index in range(labels, width):
            if index in skip:
                sums.append("")
                continue
            sums.append(sum(row[index] or 0 for row in rows if isinstance(row[index], (int, float))))
        return sums


def _column(column: str | Callable[[dict], object], counts: dict):
    return column(counts) if callable(column) else number(counts.get(column) or 0)


@dataclass(frozen=True)
class Measure:
    key: str
    title: str | Promise
    build: Callable[[Scope], Table]
    order: int


_MEASURES: list[Measure] = []


def measure(key: str, *, title: str | Promise, order: int = 100):
    """``@measure("hours", title=gettext_lazy("Volunteer hours"))`` on ``function(scope) -> Table``: one sheet of
    every workbook."""

    def add(function: Callable[[Scope], Table]) -> Callable[[Scope], Table]:
        if any(existing.key == key for existing in _MEASURES):
            raise ImproperlyConfigured(f"The report measure {key!r} is registered twice.")
        _MEASURES.append(Measure(key, title, function, order))
        _MEASURES.sort(key=lambda m: m.order)
        return function

    return add


def measures() -> list[Measure]:
    return list(_MEASURES)


def number(value) -> int | float:
    """A number as a cell shows it: whole numbers as ints, others to one decimal."""
    value = float(value or 0)
    return int(value) if value == int(value) else round(value, 1)


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0


# --- The workbook ------------------------------------------------------------------------------------------------


def title(period: Period, place: Place) -> str:
    """The workbook's file name (without extension): "台账-幸福里社区-2026-11"."""
    return _("Report-%(place)s-%(period)s") % {"place": place.name, "period": period.key}


def sheets(period: Period, place: Place) -> Iterator[Sheet]:
    """Each measure's sheet for the place (a community, or the street with a row per community), built as it is
    written."""
    scope = Scope(period, place)
    for item in measures():
        table = item.build(scope)
        caption = _("%(place)s · %(period)s · %(measure)s (%(start)s to %(end)s)") % {
            "place": place.name,
            "period": period.label,
            "measure": item.title,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        }
        yield Sheet(title=str(item.title), headers=table.headers, rows=table.rows, caption=caption, totals=table.totals)


def place_for(user, slug: str) -> Place:
    """The place of a workbook asked for by ``user`` (None: the command line, which may ask for any):
    ``slug`` a community, or empty for the street. ``exports.ExportRefused`` when not theirs."""
    if not slug:
        if user is not None and not may_have_street(user):
            raise exports.ExportRefused(_("Only street organizers may download the street's workbook."))
        return street_place()
    places = _places().communities() if user is None else communities_for(user)
    for place in places:
        if place.slug == slug:
            return place
    raise exports.ExportRefused(_("There is no community with this short name that you may report on."))


def write(target, *, period: Period, place: Place, progress: Callable[[int], None] | None = None) -> int:
    """Write the workbook into ``target`` (a path or a binary file); returns the data rows written."""
    return write_workbook(target, sheets(period, place), convert=exports.plain_cell, progress=progress)


def build(params: dict, user) -> exports.Workbook:
    """The export kind's work: ``params`` = {"period": "2026-11", "community": slug or "" for the street}."""
    try:
        period = Period.parse(str(params.get("period", "")))
    except ValueError as error:
        raise exports.ExportRefused(str(error)) from None
    place = place_for(user, str(params.get("community") or ""))
    return exports.Workbook(
        title=title(period, place),
        write=lambda target, progress: write(target, period=period, place=place, progress=progress),
        total=len(measures()),
    )


exports.register(KIND, label=gettext_lazy("Report workbook"), build=build, workbook=True)


# --- The dashboard: communities side by side ---------------------------------------------------------------------


def _compare(key: str, column: int, *, chart_key: str, title: str, description: str, empty: str, unit: str = ""):
    """A dashboard chart of one column of a measure's street sheet this month: a bar per community."""
    item = next((m for m in measures() if m.key == key), None)
    if item is None or not _PLACES:
        return None
    scope = Scope(Period.current_month(), street_place())
    if len(scope.units()) < 2:
        return None  # one community: nothing to compare it with (its own charts show its numbers)
    table = item.build(scope)
    rows = [(str(row[0]), row[column]) for row in table.rows[: len(scope.units())]]
    chart = Chart(chart_key, title, description, [_("Community"), str(table.headers[column])])
    if not any(value for _label, value in rows):
        chart.empty = empty
        return chart
    chart.rows = [[label, chart_number(value) + unit] for label, value in rows]
    chart.svg = bar_chart(
        title=title, description=description, rows=rows, value_text=lambda _i, value: chart_number(value) + unit
    )
    return chart


@registry.chart(order=5)
def communities_hours_chart():
    return _compare(
        "hours",
        2,
        chart_key="communities-hours",
        title=_("Volunteer hours this month, by community"),
        description=_("Confirmed volunteer hours of each community's residents this month, side by side."),
        empty=_("No volunteer hours have been confirmed this month."),
    )


@registry.chart(order=6)
def communities_participation_chart():
    return _compare(
        "participation",
        3,
        chart_key="communities-participation",
        title=_("Participation this month, by community"),
        description=_(
            "Residents who took part in at least one activity this month, as a share of each community's verified "
            "residents."
        ),
        empty=_("Nobody has taken part in an activity this month."),
        unit="%",
    )
