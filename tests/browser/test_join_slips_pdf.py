"""An organizer prints a building's join slips: from the slips page, a PDF written in the background, downloaded
from the exports page, in the browser on a phone, in Chinese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import paper
from tests.factories import BuildingFactory, HouseholdFactory, UserFactory, make_street_organizer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_organizer_prints_a_buildings_join_slips_as_a_pdf(live_server, page, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_street_organizer(UserFactory(username="staff"))
    building = BuildingFactory(name="幸福里3号楼")
    households = [HouseholdFactory(building=building) for _ in range(3)]

    login(page, "staff")
    page.goto(f"{live_server.url}/organize/register/buildings/{building.pk}/slips/")
    page.get_by_role("button", name="生成 PDF（可交打印店）").click()
    # The export is written after the commit; the exports page lists it, ready or soon ready.
    page.goto(f"{live_server.url}/organize/exports/")
    download_link = page.get_by_role("link", name="下载 PDF")
    for _ in range(20):
        if download_link.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(download_link).to_be_visible()
    with page.expect_download() as started:
        download_link.click()
    download = started.value
    assert download.suggested_filename.endswith(".pdf") and "幸福里3号楼" in download.suggested_filename
    download.save_as(tmp_path / "slips.pdf")
    data = (tmp_path / "slips.pdf").read_bytes()
    assert len(paper.page_sizes(data)) == 1
    text = paper.text(data).replace(" ", "")
    assert all(household.join_code in text for household in households)
    assert paper.qr_codes(data) == [[f"{live_server.url}/join/"] * 3]  # the address the organizer used
