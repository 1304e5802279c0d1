"""The register's export is sorted by its own columns, community (the street's order), first-level grid,
second-level grid, building and door, so an export read back through the import page and exported again is the
same file, across communities, whatever order the rows were added in."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from families.models import Grid, Household, RegisterImport
from tests.factories import BuildingFactory, CommunityFactory, GridFactory, HouseholdFactory, ResidentFactory

from . import helpers

pytestmark = pytest.mark.django_db


def _street_added_out_of_order():
    """Two communities whose rows were added in an order that is not the file's: the second community first,
    buildings and doors backwards, a second-level grid before its sibling."""
    yi = CommunityFactory(name="乙社区", slug="yi", sort_order=2)
    jia = CommunityFactory(name="甲社区", slug="jia", sort_order=1)
    yi_grid = GridFactory(community=yi, name="乙网格")
    first = GridFactory(community=jia, name="一网格")
    sub_b = GridFactory(community=jia, parent=first, level=Grid.SECOND, name="一网格乙组")
    sub_a = GridFactory(community=jia, parent=first, level=Grid.SECOND, name="一网格甲组")
    plain = GridFactory(community=jia, name="二网格")
    for grid, building in ((yi_grid, "乙1楼"), (plain, "甲9楼"), (sub_b, "甲2楼"), (sub_a, "甲3楼"), (sub_a, "甲1楼")):
        home = BuildingFactory(grid=grid, name=building)
        for door in ("302", "101"):
            household = HouseholdFactory(building=home, door_label=door, display_name=f"{building}{door}家")
            ResidentFactory(household=household, full_name=f"{building}{door}户主", phone="+8613812345678")
    return jia, yi


def _export(client, fmt: str) -> bytes:
    response = client.get(f"/organize/register/export.{fmt}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_export_is_sorted_by_community_grid_subgrid_building_and_door(organizer_client):
    _street_added_out_of_order()
    rows = list(csv.reader(io.StringIO(_export(organizer_client, "csv").decode("utf-8-sig"))))
    assert rows[0][:5] == ["社区", "一级网格", "二级网格", "楼院", "门牌"]
    assert [row[:5] for row in rows[1:]] == [
        ["甲社区", "一网格", "一网格乙组", "甲2楼", "101"],
        ["甲社区", "一网格", "一网格乙组", "甲2楼", "302"],
        ["甲社区", "一网格", "一网格甲组", "甲1楼", "101"],
        ["甲社区", "一网格", "一网格甲组", "甲1楼", "302"],
        ["甲社区", "一网格", "一网格甲组", "甲3楼", "101"],
        ["甲社区", "一网格", "一网格甲组", "甲3楼", "302"],
        ["甲社区", "二网格", "", "甲9楼", "101"],
        ["甲社区", "二网格", "", "甲9楼", "302"],
        ["乙社区", "乙网格", "", "乙1楼", "101"],
        ["乙社区", "乙网格", "", "乙1楼", "302"],
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imported_through_the_page_and_exported_again_is_the_same_file(organizer_client, organizer, fmt):
    _street_added_out_of_order()
    first = _export(organizer_client, fmt)
    households = list(Household.objects.values_list("pk", "display_name", "join_code").order_by("pk"))

    helpers.upload(organizer_client, organizer, first, name=f"export.{fmt}")
    record = RegisterImport.objects.latest("pk")
    response = helpers.apply_import(organizer_client, record.pk, follow=True)
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.IMPORTED
    assert set(record.summary.values()) == {0}  # nothing to change
    assert list(Household.objects.values_list("pk", "display_name", "join_code").order_by("pk")) == households

    again = _export(organizer_client, fmt)
    assert again == first
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(again)).active
        assert [cell.value for cell in sheet[2]][:3] == ["甲社区", "一网格", "一网格乙组"]
