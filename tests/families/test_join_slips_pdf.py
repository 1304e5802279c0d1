"""A building's join slips as a PDF for the print shop: A4 sheets of eight, cut marks, each household's code,
a QR code to the join page that never holds a code, written in the background for organizers whose grids hold
the building, and for nobody else."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from families import exports as family_exports
from project import exports
from project.models import AuditEntry, ExportJob, Notice
from tests import paper
from tests.factories import BuildingFactory, HouseholdFactory, make_grid_worker
from tests.families.helpers import post_with_tasks
from tests.tokens import token

pytestmark = pytest.mark.django_db

ORIGIN = "https://honours.example.org"
JOIN_URL = f"{ORIGIN}/join/"
MM = 300 / 25.4  # pixels per millimetre at 300 DPI


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = ORIGIN


def _start(client, user, building_id, **extra):
    """What the slips page's button posts: the paper kind, PDF, the building; the task runs after the commit."""
    data = {"kind": "families.join_slips", "fmt": "pdf", "params": json.dumps({"building": building_id})}
    return post_with_tasks(client, "/organize/exports/start/", {**data, **token(user, "project.export")}, **extra)


def _download(client, job) -> bytes:
    response = client.get(f"/organize/exports/{job.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


@pytest.fixture
def building():
    building = BuildingFactory(name="幸福里3号楼")
    for door in range(1, 10):  # nine households: two sheets
        HouseholdFactory(building=building, door_label=f"1单元{door:02d}", display_name=f"王家{door}")
    return building


@pytest.fixture
def written(organizer, organizer_client, building):
    _start(organizer_client, organizer, building.pk)
    job = ExportJob.objects.get()
    return job, _download(organizer_client, job)


def test_a_buildings_slips_are_written_in_the_background_as_a4_sheets_of_eight(organizer, building, written):
    job, data = written
    households = list(building.households.all())
    sheets = math.ceil(len(households) / 8)
    assert (job.status, job.fmt, job.done, job.total) == ("done", "pdf", sheets, sheets)  # progress: one per sheet
    assert job.filename.endswith(".pdf") and "幸福里3号楼" in job.filename
    assert Notice.objects.filter(user=organizer, kind="export_ready").exists()
    sizes = paper.page_sizes(data)
    assert len(sizes) == sheets and all(paper.is_size(size, paper.A4) for size in sizes)
    text = paper.text(data).replace(" ", "")
    for household in households:
        assert household.join_code in text
        assert f"幸福里3号楼·{household.door_label}" in text
        assert household.display_name in text
    community = households[0].building.grid.community.name
    assert "入户码" in text and f"{community}·入户码通知单" in text  # Chinese, with the building's community's name
    fonts = paper.fonts(data)
    assert fonts and all(fonts.values()), fonts
    assert all(share > 0.005 for share in paper.inked_pages(data))
    printed = AuditEntry.objects.get(action="building.join_slips_printed")
    assert (printed.actor, printed.details) == (organizer, {"slips": len(households)})


def test_the_qr_codes_open_the_join_page_and_never_hold_a_code(building, written):
    _, data = written
    codes = [household.join_code for household in building.households.all()]
    assert paper.qr_codes(data) == [[JOIN_URL] * 8, [JOIN_URL]]
    assert set(paper.link_targets(data)) == {JOIN_URL}
    assert JOIN_URL in paper.text(data).replace(" ", "")  # for those who type it
    assert not any(code in target for code in codes for target in paper.link_targets(data))


def test_the_exports_page_offers_the_pdf_in_both_languages(organizer_client, written):
    job, _ = written
    chinese = organizer_client.get("/organize/exports/").content.decode()
    assert "下载 PDF" in chinese and "2 份" in chinese and f"/organize/exports/{job.pk}/download/" in chinese
    organizer_client.cookies["django_language"] = "en"
    english = organizer_client.get("/organize/exports/").content.decode()
    assert "Download PDF" in english and "2 documents" in english and "rows" not in english


def test_the_slips_page_starts_the_pdf_of_its_building(organizer_client, building):
    page = organizer_client.get(f"/organize/register/buildings/{building.pk}/slips/").content.decode()
    assert 'value="families.join_slips"' in page and f'{{"building": {building.pk}}}' in page
    empty = BuildingFactory()
    page = organizer_client.get(f"/organize/register/buildings/{empty.pk}/slips/").content.decode()
    assert "families.join_slips" not in page


def _cut_lines(data: bytes) -> dict[str, float]:
    """How much of each place a cut mark belongs is inked, in the first page drawn at 300 DPI: the dashed line
    between the two columns, a dashed line between two rows, and the crop marks in the top and left margins."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "slips.pdf"
        source.write_bytes(data)
        if not shutil.which("pdftoppm"):
            pytest.skip("pdftoppm (poppler-utils) is not installed")
        subprocess.run(
            ["pdftoppm", "-r", "300", "-gray", "-png", "-f", "1", "-l", "1", source, f"{folder}/p"], check=True
        )
        image = Image.open(next(Path(folder).glob("p*.png"))).convert("L")
    pixels = image.load()

    def inked_down(x_mm: float, top_mm: float, bottom_mm: float) -> float:
        """The share of pixel rows from top to bottom with ink within half a millimetre of x."""
        xs = range(round((x_mm - 0.5) * MM), round((x_mm + 0.5) * MM))
        ys = range(round(top_mm * MM), round(bottom_mm * MM))
        return sum(1 for y in ys if any(pixels[x, y] < 160 for x in xs)) / len(ys)

    def inked_across(y_mm: float, left_mm: float, right_mm: float) -> float:
        ys = range(round((y_mm - 0.5) * MM), round((y_mm + 0.5) * MM))
        xs = range(round(left_mm * MM), round(right_mm * MM))
        return sum(1 for x in xs if any(pixels[x, y] < 160 for y in ys)) / len(xs)

    # The sheet: 14 mm margins, slips 91 x 67 mm (families.exports), so the middle cut is at 105 mm.
    return {
        "between columns": inked_down(105, 14, 282),
        "between rows": inked_across(14 + 67, 14, 196),
        "top crop mark": inked_down(105, 6, 12),
        "left crop mark": inked_across(14 + 67, 6, 12),
    }


def test_the_sheet_has_dashed_cut_lines_and_crop_marks_on_the_slips_edges(organizer):
    building = BuildingFactory()
    HouseholdFactory(building=building)
    slips = family_exports.join_slips_paper({"building": building.pk, "origin": ORIGIN}, organizer)
    marks = _cut_lines(paper_pdf(slips))
    assert 0.3 < marks["between columns"] < 0.9, marks  # dashed: inked, with gaps
    assert 0.3 < marks["between rows"] < 0.9, marks
    assert marks["top crop mark"] > 0.95 and marks["left crop mark"] > 0.95, marks  # solid


def paper_pdf(slips) -> bytes:
    from project import pdf

    return pdf.write_pdf(slips.documents)


def test_a_hostile_name_is_printed_as_text_and_wraps_on_its_slip(organizer):
    hostile = "<script>alert(1)</script>"
    building = BuildingFactory(name=(hostile + "楼" * 80)[:80])
    household = HouseholdFactory(building=building, door_label="W" * 40, display_name=(hostile + "长" * 40)[:40])
    slips = family_exports.join_slips_paper({"building": building.pk, "origin": ORIGIN}, organizer)
    data = paper_pdf(slips)
    lines = paper.reader(data).pages[0].extract_text().splitlines()
    assert len(paper.page_sizes(data)) == 1  # nothing ran off onto another sheet
    assert hostile in paper.text(data) and household.join_code in paper.text(data).replace(" ", "")
    assert "W" * 40 in paper.text(data) and not any("W" * 40 in line for line in lines)  # wrapped, not cut off


def test_a_grid_worker_gets_no_pdf_of_another_grids_building(organizer, organizer_client, building):
    make_grid_worker(organizer, BuildingFactory().grid)
    assert organizer_client.get(f"/organize/register/buildings/{building.pk}/slips/").status_code == 404
    _start(organizer_client, organizer, building.pk)  # the id posted by hand, as a cheater would
    job = ExportJob.objects.get()
    assert (job.status, bool(job.file)) == ("failed", False)
    assert job.error == "您无权打印这栋楼的入户码通知单。"
    assert organizer_client.get(f"/organize/exports/{job.pk}/download/").status_code == 404
    assert not AuditEntry.objects.filter(action="building.join_slips_printed").exists()
    page = organizer_client.get("/organize/exports/").content.decode()
    assert "您无权打印这栋楼的入户码通知单。" in page


@pytest.mark.parametrize("building_id", ["x", None, 10**9, 2**63, -1])
def test_a_made_up_building_is_refused_with_a_message(organizer, building_id):
    with pytest.raises(exports.ExportRefused):
        family_exports.join_slips_paper({"building": building_id}, organizer)


def test_residents_get_no_slips_directly_or_in_the_background(resident, resident_client, household):
    assert resident_client.get(f"/organize/register/buildings/{household.building_id}/slips/").status_code == 403
    response = _start(resident_client, resident, household.building_id)
    assert response.status_code in (302, 403) and not ExportJob.objects.exists()
    # Even a job in their name (the task runs with the asker's rights) refuses: a resident is no organizer.
    with pytest.raises(exports.ExportRefused):
        family_exports.join_slips_paper({"building": household.building_id, "origin": ORIGIN}, resident)


def test_a_building_without_households_fails_with_a_message(organizer, organizer_client):
    empty = BuildingFactory()
    _start(organizer_client, organizer, empty.pk)
    job = ExportJob.objects.get()
    assert (job.status, job.error) == ("failed", "本楼院暂无住户。")
