"""Exports an organizer can file: named in their language with the date, the register in the order they walk it
(grid, building, door), yes and no in their language."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from django.utils import timezone

from project.exports import write_table
from tests.factories import BuildingFactory, GridFactory, HouseholdFactory

pytestmark = pytest.mark.django_db


def _filename(response) -> str:
    disposition = response["Content-Disposition"]
    return unquote(disposition.split("filename*=utf-8''")[-1]) if "filename*" in disposition else disposition


def test_the_register_export_is_named_in_the_readers_language_with_the_date(organizer_client):
    today = f"{timezone.localdate():%Y-%m-%d}"
    assert f"住户台账-{today}.xlsx" in _filename(organizer_client.get("/organize/register/export.xlsx"))
    organizer_client.cookies["django_language"] = "en"
    assert f"Household register-{today}.csv" in _filename(organizer_client.get("/organize/register/export.csv"))


def test_the_register_export_is_sorted_by_grid_then_building_then_door(organizer_client):
    east, west = GridFactory(name="A东区"), GridFactory(name="B西区")
    # Created out of order: a building of the second grid whose name sorts first, doors backwards.
    for grid, building, door in [
        (west, "1号楼", "2单元"),
        (east, "9号楼", "2单元"),
        (east, "9号楼", "1单元"),
        (east, "3号楼", "5单元"),
    ]:
        HouseholdFactory(
            building=BuildingFactory(grid=grid, name=building) if not _has(building, grid) else _has(building, grid),
            door_label=door,
        )
    body = b"".join(organizer_client.get("/organize/register/export.csv").streaming_content).decode("utf-8-sig")
    # 社区, 一级网格, 二级网格, 楼院, 门牌: the grid, the building and the door.
    rows = [[row[1], row[3], row[4]] for row in csv.reader(io.StringIO(body))][1:]
    assert rows == [
        ["A东区", "3号楼", "5单元"],
        ["A东区", "9号楼", "1单元"],
        ["A东区", "9号楼", "2单元"],
        ["B西区", "1号楼", "2单元"],
    ]


def _has(name, grid):
    from families.models import Building

    return Building.objects.filter(name=name, grid=grid).first()


def test_yes_and_no_cells_follow_the_readers_language(tmp_path):
    from django.utils import translation

    path = tmp_path / "t.csv"
    with translation.override("en"):
        write_table(path, headers=["winner", "tied"], rows=[[True, False]], fmt="csv")
    assert path.read_text(encoding="utf-8-sig").splitlines()[1] == "yes,no"
