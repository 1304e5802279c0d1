"""The core's paper (project.pdf): exact sheet sizes, fonts embedded, Chinese text that a reader can extract,
hostile values escaped and wrapped, nothing fetched from outside, and many-page PDFs written in the background."""

from __future__ import annotations

import json

import pytest
from django.template import engines

from project import exports, pdf
from project.models import ExportJob, Notice
from tests import paper
from tests.families.helpers import post_with_tasks
from tests.tokens import token

pytestmark = pytest.mark.django_db

SAMPLE = """{% extends "paper/base.html" %}{% block body %}<h1>公示 {{ name }}</h1><p>{{ note }}</p>{{ extra }}
{% endblock %}"""


@pytest.fixture
def sample(tmp_path, settings):
    folder = tmp_path / "templates"
    (folder / "paper").mkdir(parents=True)
    (folder / "paper" / "sample.html").write_text(SAMPLE, encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [folder, *settings.TEMPLATES[0]["DIRS"]]}]
    engines._engines = {}
    yield "paper/sample.html"
    engines._engines = {}


def test_this_machine_can_make_paper():
    assert pdf.problems() == []


@pytest.mark.parametrize(("size", "sheet"), [("a4", paper.A4), ("a4-landscape", paper.A4_LANDSCAPE), ("a3", paper.A3)])
def test_each_sheet_size_is_exact_and_the_fonts_are_embedded(sample, size, sheet):
    data = pdf.write_pdf([pdf.render(sample, {"name": "王秀英", "note": "文明楼院"}, size=size)])
    assert [paper.is_size(s, sheet) for s in paper.page_sizes(data)] == [True]
    assert "公示王秀英" in paper.text(data).replace(" ", "")
    fonts = paper.fonts(data)
    assert fonts and all(fonts.values()), fonts
    assert paper.inked_pages(data)[0] > 0.0005  # drawn at 300 DPI, the page is not blank


def test_a_hostile_name_is_printed_as_text_and_long_text_wraps(sample):
    hostile = "<script>alert(1)</script><b>粗</b>"
    data = pdf.write_pdf([pdf.render(sample, {"name": hostile, "note": "长" * 2000 + "x" * 3000}, size="a4")])
    assert "<script>alert(1)</script>" in paper.text(data)
    assert len(paper.page_sizes(data)) >= 2  # the long text flowed onto more pages instead of off the sheet


def test_paper_never_fetches_from_outside(sample, tmp_path):
    """A file outside the static files (here a black picture the size of the sheet) is never loaded, whatever
    the markup asks for; the site's own static files are."""
    from django.utils.safestring import mark_safe
    from PIL import Image

    black = tmp_path / "black.png"
    Image.new("L", (200, 200), 0).save(black)
    outside = mark_safe(f'<img src="file://{black}" style="width:150mm;height:150mm" alt="">')
    data = pdf.write_pdf([pdf.render(sample, {"name": "x", "note": "y", "extra": outside})])
    assert max(paper.inked_pages(data, dpi=30)) < 0.05
    assert pdf.static_file("/static/../../etc/passwd") is None
    assert pdf.static_file("/etc/passwd") is None
    assert pdf.static_file("/static/img/favicon.svg").name == "favicon.svg"


def test_documents_are_joined_in_order_with_progress(sample):
    seen = []
    documents = (pdf.render(sample, {"name": f"第{n}号", "note": ""}) for n in range(1, 4))
    data = pdf.write_pdf(documents, progress=seen.append)
    assert seen == [1, 2, 3]
    assert [t.replace(" ", "")[:5] for t in paper.page_texts(data)] == ["公示第1号", "公示第2号", "公示第3号"]


def test_a_paper_kind_of_export_is_written_as_a_pdf_in_the_background(
    sample, organizer, organizer_client, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"

    def build(params, user):
        names = params["names"]
        return pdf.Paper(
            title="证书", documents=(pdf.render(sample, {"name": n, "note": ""}) for n in names), total=len(names)
        )

    monkeypatch.setitem(exports._KINDS, "tests.paper", exports.Kind("tests.paper", "Paper", build, ("pdf",)))
    data = {"kind": "tests.paper", "fmt": "pdf", "params": json.dumps({"names": ["甲", "乙"]})}
    refused = post_with_tasks(
        organizer_client, "/organize/exports/start/", {**data, "fmt": "xlsx", **token(organizer, "project.export")}
    )
    assert refused.status_code in (302, 400) and not ExportJob.objects.exists()
    post_with_tasks(organizer_client, "/organize/exports/start/", {**data, **token(organizer, "project.export")})
    job = ExportJob.objects.get()
    assert (job.status, job.done, job.total, job.fmt) == ("done", 2, 2, "pdf")
    assert job.params["origin"] == "http://testserver"  # the task prints QR codes for the address it was asked on
    download = organizer_client.get(f"/organize/exports/{job.pk}/download/")
    assert download["Content-Type"] == "application/pdf"
    body = b"".join(download.streaming_content)
    assert len(paper.page_sizes(body)) == 2
    assert Notice.objects.filter(user=organizer, kind="export_ready").exists()


def test_a_qr_code_on_paper_reads_back_as_its_address(sample):
    from django.utils.safestring import mark_safe

    from project.codes import qr_svg

    address = "https://honours.example.org/verify/2026-000123/"
    data = pdf.write_pdf([pdf.render(sample, {"name": "x", "note": "", "extra": mark_safe(qr_svg(address))})])
    assert paper.qr_codes(data) == [[address]]


def test_site_url_wins_over_the_requests_address(rf, settings):
    request = rf.get("/", HTTP_HOST="testserver")
    assert pdf.site_origin(request) == "http://testserver"
    settings.SITE_URL = "https://honours.example.org"
    assert pdf.absolute_url("/verify/1/", pdf.site_origin(request)) == "https://honours.example.org/verify/1/"
