"""Reading the register from the spreadsheets staff really keep, and checking it before anything is written.

One module for the web import and ``manage.py import_households``:

- ``read_table`` opens CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16) or XLSX
  and yields numbered rows, the way Excel numbers them (the header is row 1);
- ``check_register`` maps Chinese or English headers, validates every row and
  returns a ``Plan`` listing every problem by row number, plus what an import
  would create or change;
- ``apply_plan`` writes a plan without problems (the caller holds the transaction).

Nothing is evaluated: a cell that looks like a formula is kept as plain text
(and exports neutralise it again).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from project import publiccache
from project.phones import for_people, to_e164

from . import conf, xlsx_reader
from .models import Building, Community, Grid, Household, Resident
from .xlsx_reader import MAX_COLUMNS, ReadStats, too_many_rows_read

# The largest file and the most rows: FAMILIES_IMPORT_MAX_BYTES and FAMILIES_IMPORT_MAX_ROWS (families/conf.py).
# A CSV line longer than this is not a register row (200 columns of long text fit easily).
MAX_LINE_CHARS = 100_000
HEADER_SEARCH_ROWS = 5
CHUNK = 1000

# Each field, with the headers staff use for it (compared without case, spaces or "*").
COLUMNS: dict[str, tuple[str, ...]] = {
    "community": ("社区", "所属社区", "社区名称", "community"),
    "grid": ("网格", "一级网格", "所属网格", "网格名称", "grid", "firstlevelgrid"),
    "subgrid": ("二级网格", "subgrid", "secondlevelgrid"),
    "building": ("楼院", "楼栋", "楼号", "楼院名称", "小区楼栋", "楼院/楼栋", "building", "courtyard", "buildingname"),
    "door": ("门牌", "门牌号", "房号", "户号", "单元门牌", "door", "doorlabel", "doornumber", "unit", "flat"),
    "household": ("家庭名称", "户名", "家庭", "家庭名", "household", "householdname", "displayname"),
    "head": ("户主", "户主姓名", "head", "headofhousehold", "householdhead"),
    "name": ("姓名", "居民姓名", "成员姓名", "居民", "name", "fullname", "resident", "residentname"),
    "phone": (
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "联系电话",
        "电话号码",
        "phone",
        "mobile",
        "telephone",
        "phonenumber",
    ),
}
REQUIRED = ("building", "door")
MAX_LENGTHS = {
    "community": 50,
    "grid": 50,
    "subgrid": 50,
    "building": 80,
    "door": 40,
    "household": 40,
    "head": 50,
    "name": 50,
}
# What the export writes: the Chinese headers, so an export imports again unchanged.
EXPORT_HEADERS = ("社区", "一级网格", "二级网格", "楼院", "门牌", "家庭名称", "户主", "姓名", "电话")
# A place in the plan (``Plan.building_grids``): community, grid and second-level grid joined by a character that no
# cell holds (the reader turns control characters into spaces). A plan stored before the street had communities
# holds a bare grid name, which reads as that grid in any community.
_PLACE_JOIN = "\x1f"


def place_key(community: str, grid: str, subgrid: str) -> str:
    return _PLACE_JOIN.join((community, grid, subgrid)) if community or subgrid else grid


def place_parts(key: str) -> tuple[str, str, str]:
    parts = key.split(_PLACE_JOIN)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else ("", key, "")


def place_label(key: str) -> str:
    """A place as a person writes it: 社区 / 一级网格 / 二级网格, leaving out what was not given."""
    return " / ".join(part for part in place_parts(key) if part)


class GridIndex:
    """The street's lowest grids (those that take buildings), to find the one a file's row names.

    A row names its grid by the grid (网格 or 一级网格), the second-level grid (二级网格) if it has one and, when
    several communities have a grid of that name, the community (社区)."""

    def __init__(self):
        self.lowest: list[tuple[str, str, str, int]] = [
            (community, parent or name, name if parent else "", pk)
            for pk, name, parent, community in Grid.objects.filter(children__isnull=True).values_list(
                "pk", "name", "parent__name", "community__name"
            )
        ]
        self.divided = set(Grid.objects.filter(children__isnull=False).values_list("community__name", "name"))
        self.communities = set(Community.objects.values_list("name", flat=True))
        self.labels = {pk: place_key(c, g, sub) for c, g, sub, pk in self.lowest}

    def find(self, key: str) -> list[int]:
        community, grid, subgrid = place_parts(key)
        # "网格" alone may also name a second-level grid by its own name, as a one-column file writes it.
        return [
            pk
            for c, g, sub, pk in self.lowest
            if ((g == grid and sub == subgrid) or (not subgrid and sub == grid)) and (not community or c == community)
        ]

    def problem_with_new(self, key: str) -> str | None:
        """Why a place the register does not have cannot be made by the import, or None if it can."""
        community, grid, subgrid = place_parts(key)
        if community and community not in self.communities:
            return _("%(community)s is not a community of the street: a street organizer adds it first.") % {
                "community": community
            }
        if not community and len(self.communities) > 1:
            return _("%(grid)s is not a grid of the register yet: add it on the Grids page first.") % {"grid": grid}
        divided = any(g == grid and (not community or c == community) for c, g in self.divided)
        if divided and not subgrid:
            return _("%(grid)s is divided into second-level grids: give one of them as the grid.") % {"grid": grid}
        if subgrid and any(
            g == grid and not sub and (not community or c == community) for c, g, sub, _pk in self.lowest
        ):
            return _("%(grid)s holds buildings, so it has no second-level grids.") % {"grid": grid}
        return None


_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")


class FileProblem(Exception):
    """The file as a whole cannot be read (format, encoding, size, headers)."""


def _header_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return re.sub(r"[\s_*:：()（）\-]", "", text)


_ALIASES = {_header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


def clean_cell(value) -> str:
    """A cell as text: numbers without ".0", full-width forms folded, no invisible characters, tidy spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = _INVISIBLE.sub("", text)
    text = "".join(ch if unicodedata.category(ch) != "Cc" else " " for ch in text)
    return " ".join(text.split())


# --- Reading files -------------------------------------------------------------


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312: what Excel on Chinese Windows saves.
        return content.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            _("The file's text encoding could not be read. Save it from Excel as “CSV UTF-8” or as an .xlsx workbook.")
        ) from exc


# One line with its ending (\r\n, \n or a lone \r, as Excel for Mac saves), or the last line without one.
# Matched lazily over the decoded text: no copy of the text, no list of its lines.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _csv_lines(text: str, stats: ReadStats) -> Iterator[str]:
    """The text's lines for ``csv.reader``, refused past the line length and counted against the row limit."""
    for match in _LINE.finditer(text):
        line = match.group()
        stats.rows_read += 1
        stats.bytes_read += len(line)
        if len(line) > MAX_LINE_CHARS:
            raise FileProblem(
                _("Row %(row)s is longer than %(limit)s characters. Is this the register saved as CSV?")
                % {"row": f"{stats.rows_read:,}", "limit": f"{MAX_LINE_CHARS:,}"}
            )
        if stats.rows_read > xlsx_reader.MAX_ROWS_READ:
            raise FileProblem(too_many_rows_read())
        yield line


def _csv_rows(content: bytes, stats: ReadStats) -> Iterator[tuple[int, list]]:
    text = _decode(content)
    newline = text.find("\n")
    first_line = text[: newline if newline >= 0 else MAX_LINE_CHARS]
    delimiter = ","
    for candidate in ("\t", ";", "，"):
        if first_line.count(candidate) > first_line.count(delimiter):
            delimiter = candidate
    reader = csv.reader(_csv_lines(text, stats), delimiter=delimiter)
    number = 0
    try:
        for row in reader:
            number += 1
            # A blank row (Excel saves ",,,,,," for formatted empty rows) is skipped before any cell is cleaned.
            if any(not cell.isspace() for cell in row if cell):
                yield number, row[:MAX_COLUMNS]
    except csv.Error as exc:
        # The csv module's own words are English and technical; say what usually causes it.
        raise FileProblem(
            _(
                'Row %(row)s of the CSV file could not be read: a cell is too long, or a quotation mark (") '
                "is not closed. Save the file again from Excel as “CSV UTF-8”."
            )
            % {"row": f"{number + 1:,}"}
        ) from exc


def _xlsx_rows(content: bytes, stats: ReadStats) -> Iterator[tuple[int, list]]:
    try:
        yield from xlsx_reader.read_rows(content, stats)
    except xlsx_reader.SheetProblem as problem:
        raise FileProblem(str(problem)) from problem


def is_xlsx(content: bytes, filename: str) -> bool:
    return content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))


def size_problem(size: int) -> str | None:
    """Why a file of ``size`` bytes cannot be imported (larger than ``FAMILIES_IMPORT_MAX_BYTES``), or None.

    The upload form, the command and the reader refuse with this one message,
    the form and the command before the file is read into memory.
    """
    if size <= conf.import_max_bytes():
        return None
    return _("The file is larger than %(size)d MB. Split it into several files.") % {
        "size": conf.import_max_bytes() // (1024 * 1024)
    }


def read_table(content: bytes, filename: str, stats: ReadStats | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cleaned cells), the header row first (row 1); blank rows are skipped.

    The work is bounded by what the file really holds (see ``xlsx_reader`` for
    XLSX); ``stats`` counts the rows and bytes read.
    """
    stats = stats if stats is not None else ReadStats()
    too_large = size_problem(len(content))
    if too_large:
        raise FileProblem(too_large)
    if not content.strip():
        raise FileProblem(_("The file is empty."))
    lower = filename.lower()
    if lower.endswith(".xls") or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileProblem(_("Old Excel files (.xls) cannot be read. In Excel choose “Save as” → .xlsx or CSV."))
    rows = _xlsx_rows(content, stats) if is_xlsx(content, filename) else _csv_rows(content, stats)
    for number, row in rows:
        cells = [clean_cell(value) for value in row]
        if any(cells):
            yield number, cells


# --- Checking ------------------------------------------------------------------


@dataclass(slots=True)
class HouseholdRow:
    grid: str
    building: str
    door: str
    display_name: str
    head: str
    row: int


@dataclass(slots=True)
class ResidentRow:
    key: tuple[str, str]
    name: str
    phone: str
    row: int


@dataclass
class Plan:
    """A checked file: its problems by row, and the households and residents it lists."""

    filename: str
    row_count: int = 0
    columns: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    households: dict[tuple[str, str], HouseholdRow] = field(default_factory=dict)
    residents: list[ResidentRow] = field(default_factory=list)
    building_grids: dict[str, str] = field(default_factory=dict)
    # What reading the file cost (not stored): bytes parsed and rows met, blank ones included.
    stats: ReadStats = field(default_factory=ReadStats, compare=False, repr=False)

    def error(self, row: int, message: str) -> None:
        self.errors.append((row, message))

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict:
        """The checked plan as JSON, stored with its upload so that the file is parsed once.

        Rows are lists, not objects: a 100,000-row plan stays a few MB.
        """
        return {
            "filename": self.filename,
            "row_count": self.row_count,
            "columns": self.columns,
            "ignored_columns": self.ignored_columns,
            "errors": [list(error) for error in self.errors],
            "households": [
                [h.grid, h.building, h.door, h.display_name, h.head, h.row] for h in self.households.values()
            ],
            "residents": [[*r.key, r.name, r.phone, r.row] for r in self.residents],
            "building_grids": self.building_grids,
        }

    @classmethod
    def from_json(cls, data: dict) -> Plan:
        households = {}
        for grid, building, door, display_name, head, row in data["households"]:
            households[(building, door)] = HouseholdRow(grid, building, door, display_name, head, row)
        return cls(
            filename=data["filename"],
            row_count=data["row_count"],
            columns=data["columns"],
            ignored_columns=data["ignored_columns"],
            errors=[(row, message) for row, message in data["errors"]],
            households=households,
            residents=[
                ResidentRow(key=(building, door), name=name, phone=phone, row=row)
                for building, door, name, phone, row in data["residents"]
            ],
            building_grids=data["building_grids"],
        )


def _surname_home(name: str) -> str:
    return f"{name[0]}家" if name else ""


def check_register(
    content: bytes,
    filename: str,
    *,
    grid_ids: frozenset[int] | None = None,
    max_rows: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Read and check a register file without writing anything; every problem is listed by row number.

    At most ``max_rows`` rows (``FAMILIES_IMPORT_MAX_ROWS`` unless given). ``progress`` is told the
    number of rows checked every ``CHUNK`` rows.
    """
    max_rows = conf.import_max_rows() if max_rows is None else max_rows
    plan = Plan(filename=filename)
    rows = read_table(content, filename, plan.stats)
    try:
        header_row = next(rows, None)
        if header_row is None:
            raise FileProblem(_("The file is empty."))
        # Office registers often start with a title row ("幸福里社区住户台账"): the header is
        # the first of the first few rows that names at least two known columns.
        first_row = header_row
        for _attempt in range(HEADER_SEARCH_ROWS):
            if sum(1 for cell in header_row[1] if _header_key(cell) in _ALIASES) >= 2:
                break
            header_row = next(rows, None)
            if header_row is None:
                break
        else:
            header_row = None
        header_number, headers = header_row or first_row
        for index, header in enumerate(headers):
            name = _ALIASES.get(_header_key(header))
            if name is None:
                if header:
                    plan.ignored_columns.append(header)
            elif name in plan.columns:
                plan.error(header_number, _("Two columns mean the same thing: “%(header)s”.") % {"header": header})
            else:
                plan.columns[name] = index
        missing = [name for name in REQUIRED if name not in plan.columns]
        if missing:
            wanted = "、".join(f"{COLUMNS[name][0]} ({name})" for name in missing)
            plan.error(header_number, _("Required columns are missing: %(columns)s.") % {"columns": wanted})
            return plan
        if "household" not in plan.columns and "head" not in plan.columns and "name" not in plan.columns:
            plan.error(
                header_number,
                _("Add a column for the household name (家庭名称), the head (户主) or the resident (姓名)."),
            )
            return plan
        _check_rows(plan, rows, grid_ids=grid_ids, max_rows=max_rows, progress=progress)
    except FileProblem as problem:
        plan.error(0, str(problem))
    finally:
        rows.close()  # a file refused half-way closes its workbook now, not at garbage collection
    plan.errors.sort(key=lambda item: item[0])
    return plan


def _check_rows(plan: Plan, rows, *, grid_ids, max_rows: int, progress: Callable[[int], None] | None) -> None:
    grids = GridIndex()
    known_buildings = dict(Building.objects.values_list("name", "grid_id"))
    persons: dict[tuple[str, str, str], int] = {}
    columns = plan.columns
    labels = {name: COLUMNS[name][0] for name in COLUMNS}

    def cell(cells: list[str], name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    for number, cells in rows:
        plan.row_count += 1
        if progress is not None and plan.row_count % CHUNK == 0:
            progress(plan.row_count)
        if plan.row_count > max_rows:
            raise FileProblem(
                _("The file has more than %(limit)s rows. Split it into several files of at most %(limit)s rows.")
                % {"limit": f"{max_rows:,}"}
            )
        values = {name: cell(cells, name) for name in COLUMNS}
        problems = []
        for name, limit in MAX_LENGTHS.items():
            if len(values[name]) > limit:
                problems.append(
                    _("%(column)s is longer than %(limit)d characters.") % {"column": labels[name], "limit": limit}
                )
        if not values["building"]:
            problems.append(_("The building (楼院) is missing."))
        if not values["door"]:
            problems.append(_("The door (门牌) is missing."))
        phone = ""
        if values["phone"]:
            phone = to_e164(values["phone"])
            if phone is None:
                problems.append(
                    _("“%(phone)s” is not a phone number (an 11-digit mobile, or a landline with its area code).")
                    % {"phone": values["phone"]}
                )
                phone = ""
        building = values["building"]
        given = values["grid"] or values["subgrid"] or values["community"]
        place = place_key(values["community"], values["grid"], values["subgrid"]) if given else ""
        if building:
            if building in known_buildings:
                grid_id = known_buildings[building]
                if place and grid_id not in grids.find(place):
                    problems.append(
                        _("%(building)s belongs to %(grid)s, not %(other)s.")
                        % {
                            "building": building,
                            "grid": place_label(grids.labels.get(grid_id, "")),
                            "other": place_label(place),
                        }
                    )
                place = ""
                if grid_ids is not None and grid_id not in grid_ids:
                    problems.append(_("%(building)s is not in your grids.") % {"building": building})
            elif not values["grid"]:
                problems.append(
                    _("%(building)s is a new building: give its grid (网格) so it can be added.")
                    % {"building": building}
                )
            else:
                found = grids.find(place)
                if len(found) > 1:
                    problems.append(
                        _("Several communities have a grid named %(grid)s: add %(building)s on the Buildings page.")
                        % {"grid": place_label(place), "building": building}
                    )
                elif not found and (problem := grids.problem_with_new(place)):
                    problems.append(problem)
                elif grid_ids is not None and (not found or found[0] not in grid_ids):
                    problems.append(_("%(grid)s is not one of your grids.") % {"grid": place_label(place)})
            if place:
                first = plan.building_grids.setdefault(building, place)
                if first != place:
                    problems.append(
                        _("%(building)s is given two grids in this file (%(first)s and %(other)s).")
                        % {"building": building, "first": place_label(first), "other": place_label(place)}
                    )
        if problems:
            for problem in problems:
                plan.error(number, problem)
            continue
        key = (building, values["door"])
        household = plan.households.get(key)
        if household is None:
            plan.households[key] = HouseholdRow(
                grid=place,
                building=building,
                door=values["door"],
                display_name=values["household"],
                head=values["head"],
                row=number,
            )
        else:
            for name, attribute in (("household", "display_name"), ("head", "head")):
                value, first = values[name], getattr(household, attribute)
                if value and first and value != first:
                    plan.error(
                        number,
                        _(
                            "Door %(door)s of %(building)s is already on row %(row)d with %(column)s “%(first)s”: "
                            "one door is one household."
                        )
                        % {
                            "door": values["door"],
                            "building": building,
                            "row": household.row,
                            "column": labels[name],
                            "first": first,
                        },
                    )
                elif value and not first:
                    setattr(household, attribute, value)
        if values["name"]:
            person_key = (building, values["door"], values["name"])
            if person_key in persons:
                plan.error(
                    number,
                    _("%(name)s is listed twice for door %(door)s (also on row %(row)d).")
                    % {"name": values["name"], "door": values["door"], "row": persons[person_key]},
                )
                continue
            persons[person_key] = number
            plan.residents.append(ResidentRow(key=key, name=values["name"], phone=phone, row=number))
    if plan.row_count == 0:
        raise FileProblem(_("The file has a header row but no households."))
    existing = set(
        Household.objects.filter(building__name__in={k[0] for k in plan.households}).values_list(
            "building__name", "door_label"
        )
    )
    first_names = {}
    for resident in plan.residents:
        first_names.setdefault(resident.key, resident.name)
    for key, household in plan.households.items():
        if not household.display_name and key not in existing:
            household.display_name = _surname_home(household.head or first_names.get(key, ""))
            if not household.display_name:
                plan.error(household.row, _("The household name (家庭名称) is missing for this new door."))


def scope_problems(plan: Plan, grid_ids: frozenset[int] | None) -> list[str]:
    """The plan's buildings that are outside ``grid_ids`` now (the register may have changed since the check)."""
    if grid_ids is None:
        return []
    names = {household.building for household in plan.households.values()}
    known = dict(Building.objects.filter(name__in=names).values_list("name", "grid_id"))
    grids = GridIndex()

    def grid_of(name: str) -> int | None:
        if name in known:
            return known[name]
        found = grids.find(plan.building_grids.get(name, ""))
        return found[0] if len(found) == 1 else None

    return sorted(name for name in names if grid_of(name) not in grid_ids)


# --- Writing ---------------------------------------------------------------------


def _make_place(place: str) -> Grid:
    """The lowest grid a register file names and the register lacks: its first-level grid (found or made) and,
    if named, its second-level grid, in the named community (or the street's one community)."""
    community_name, grid, subgrid = place_parts(place)
    community = Community.objects.get(name=community_name) if community_name else Community.objects.only_one()
    first = Grid.objects.get_or_create(community=community, parent=None, name=grid)[0]
    if not subgrid:
        return first
    return Grid.objects.get_or_create(community=community, parent=first, level=Grid.SECOND, name=subgrid)[0]


def apply_plan(plan: Plan, *, progress: Callable[[int, int], None] | None = None, dry_run: bool = False) -> dict:
    """Upsert the plan: grids and buildings by name, households by building + door, residents by household + name.

    Returns counts of what was (or, with ``dry_run``, would be) created and
    updated; values that are already right are left alone, so a second import
    of the same file changes nothing. The caller wraps it in a transaction.
    """
    summary = dict.fromkeys(
        (
            "grids_created",
            "buildings_created",
            "households_created",
            "households_updated",
            "residents_created",
            "residents_updated",
        ),
        0,
    )
    total = len(plan.households) + len(plan.residents)
    done = 0

    index, grids = GridIndex(), {}
    for place in sorted(set(plan.building_grids.values())):
        found = index.find(place)
        if found:
            grids[place] = found[0]
            continue
        summary["grids_created"] += 1
        if not dry_run:  # the check let a new place through only where the import may make it
            grids[place] = _make_place(place).pk
    building_names = {h.building for h in plan.households.values()}
    buildings = {b.name: b for b in Building.objects.filter(name__in=building_names)}
    for name in sorted(building_names - set(buildings)):
        summary["buildings_created"] += 1
        if not dry_run:
            buildings[name] = Building.objects.create(name=name, grid_id=grids[plan.building_grids[name]])

    # Plain tuples rather than model instances: a 100,000-row register loads in a fraction of the time.
    building_names_by_id = {b.pk: name for name, b in buildings.items() if b.pk}
    existing: dict[tuple[str, str], tuple[int, str, str]] = {
        (building_names_by_id[building_id], door): (pk, display_name, head_name)
        for pk, building_id, door, display_name, head_name in Household.objects.filter(
            building_id__in=building_names_by_id
        ).values_list("pk", "building_id", "door_label", "display_name", "head_name")
    }
    to_create, to_update = [], []
    for key, row in plan.households.items():
        found = existing.get(key)
        if found is None:
            summary["households_created"] += 1
            if not dry_run:
                to_create.append(
                    Household(
                        building=buildings[row.building],
                        door_label=row.door,
                        display_name=row.display_name,
                        head_name=row.head,
                    )
                )
            continue
        pk, display_name, head_name = found
        changed = False
        if row.display_name and display_name != row.display_name:
            display_name, changed = row.display_name, True
        if row.head and head_name != row.head:
            head_name, changed = row.head, True
        if changed:
            summary["households_updated"] += 1
            to_update.append(Household(pk=pk, display_name=display_name, head_name=head_name))
    for start in range(0, max(len(to_create), len(to_update)), CHUNK):
        if not dry_run:
            Household.objects.bulk_create(to_create[start : start + CHUNK])
            Household.objects.bulk_update(to_update[start : start + CHUNK], ["display_name", "head_name"])
        done = min(len(plan.households), done + CHUNK)
        if progress:
            progress(done, total)
    done = len(plan.households)
    household_ids = {key: value[0] for key, value in existing.items()}
    if not dry_run:
        for household in to_create:
            household_ids[(household.building.name, household.door_label)] = household.pk

    people: dict[tuple[int, str], tuple[int, str]] = {}
    ids = list(household_ids.values())
    for start in range(0, len(ids), 5000):
        rows = (
            Resident.objects.filter(household_id__in=ids[start : start + 5000])
            .exclude(status=Resident.Status.REMOVED)
            # A request nobody approved yet is not the register's person: the file's row is added beside it
            # (and never gives the stranger who asked the real person's number).
            .exclude(status=Resident.Status.PENDING, source=Resident.Source.REQUEST)
            .values_list("pk", "household_id", "full_name", "phone")
        )
        for pk, household_id, full_name, phone in rows:
            people.setdefault((household_id, full_name), (pk, phone))
    now = timezone.now()
    new_people, changed_people = [], []
    for row in plan.residents:
        household_id = household_ids.get(row.key)
        person = people.get((household_id, row.name)) if household_id else None
        if person is None:
            summary["residents_created"] += 1
            if not dry_run:
                new_people.append(
                    Resident(
                        household_id=household_id,
                        full_name=row.name,
                        phone=row.phone,
                        status=Resident.Status.VERIFIED,
                        verified_at=now,
                        source=Resident.Source.IMPORT,
                    )
                )
        elif row.phone and person[1] != row.phone:
            summary["residents_updated"] += 1
            changed_people.append(Resident(pk=person[0], phone=row.phone))
    for start in range(0, max(len(new_people), len(changed_people)), CHUNK):
        if not dry_run:
            Resident.objects.bulk_create(new_people[start : start + CHUNK])
            Resident.objects.bulk_update(changed_people[start : start + CHUNK], ["phone"])
        done = min(total, done + CHUNK)
        if progress:
            progress(done, total)
    if progress:
        progress(total, total)
    if not dry_run:  # bulk writes send no signal
        publiccache.changed(Household)
        publiccache.changed(Resident)
    return summary


def export_rows(households) -> Iterator[list]:
    """The register as rows under ``EXPORT_HEADERS``: one row per person, or one per household without people."""
    for household in households:
        people = [p for p in household.residents.all() if p.status != Resident.Status.REMOVED]
        grid = household.building.grid
        base = [
            grid.community.name,
            grid.parent.name if grid.parent_id else grid.name,
            grid.name if grid.parent_id else "",
            household.building.name,
            household.door_label,
            household.display_name,
            household.head_name,
        ]
        if not people:
            yield [*base, "", ""]
        for person in people:
            yield [*base, person.full_name, for_people(person.phone)]
