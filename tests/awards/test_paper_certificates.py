"""Certificates on paper: one honour's certificate as a PDF (A4 landscape, Chinese, its number, a QR code to its
verify page, the issuing committee), every certificate of a round as one PDF written in the background for
organizers, and a withdrawn honour's certificate refused everywhere."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from awards import paper as awards_paper
from awards.models import Honour
from families.models import GridAssignment
from project.access import make_organizer
from project.models import ExportJob, Notice
from tests import paper
from tests.awards.board_factories import HonourFactory
from tests.awards.factories import make_round
from tests.awards.paper_checks import text_past_the_edge
from tests.factories import GridFactory, UserFactory
from tests.families.helpers import post_with_tasks
from tests.tokens import token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def community(settings, tmp_path):
    settings.COMMUNITY_NAME = "幸福里社区"
    settings.MEDIA_ROOT = tmp_path / "media"


def person_honour(**kwargs):
    values = {
        "person_target": True,
        "resident__full_name": "张秀英",
        "resident__show_name_publicly": False,
        "certificate_number": "RY2026-00042",
        **kwargs,
    }
    return HonourFactory(**values)


def test_a_certificate_is_one_a4_landscape_page_with_its_number_qr_code_and_issuer(client):
    honour = person_honour()
    response = client.get(f"/honours/{honour.pk}/certificate.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert [paper.is_size(s, paper.A4_LANDSCAPE) for s in paper.page_sizes(data)] == [True]
    text = paper.text(data).replace(" ", "")
    for expected in ("荣誉证书", "RY2026-00042", "身边好人", "2026年度评选", "幸福里社区居民委员会"):
        assert expected in text, expected
    verify_url = "http://testserver/verify/RY2026-00042/"
    assert paper.qr_codes(data) == [[verify_url]]
    assert verify_url in paper.link_targets(data)
    fonts = paper.fonts(data)
    assert fonts and all(fonts.values()), fonts
    assert paper.inked_pages(data)[0] > 0.002


def test_the_public_certificate_names_only_whom_the_person_agreed_to_show(client, organizer_client):
    """Abuse case: anyone can open /honours/<pk>/certificate.pdf; the real name is for organizers and the
    household, as on the HTML certificate."""
    honour = person_honour()
    public = paper.text(client.get(f"/honours/{honour.pk}/certificate.pdf").content)
    assert "张秀英" not in public and f"{honour.building.name}的一位居民" in public
    for_organizer = paper.text(organizer_client.get(f"/honours/{honour.pk}/certificate.pdf").content)
    assert "张秀英" in for_organizer


def test_a_withdrawn_honours_certificate_is_refused_and_its_verify_page_says_withdrawn(client, organizer_client):
    honour = person_honour(withdrawn_at=timezone.now(), withdrawal_reason="事迹不实")
    for url in (f"/honours/{honour.pk}/certificate/", f"/honours/{honour.pk}/certificate.pdf"):
        for reader in (client, organizer_client):
            response = reader.get(url)
            assert response.status_code == 410, url
            assert response["Content-Type"].startswith("text/html")
            assert "此证书已撤销" in response.content.decode()
    verify = client.get("/verify/RY2026-00042/")
    assert verify.status_code == 410
    assert "此证书已撤销" in verify.content.decode()


def test_an_unpublished_or_unknown_honours_certificate_is_not_found(client):
    honour = person_honour(published_at=None)
    assert client.get(f"/honours/{honour.pk}/certificate.pdf").status_code == 404
    assert client.get("/honours/999999/certificate.pdf").status_code == 404


def test_a_hostile_name_and_title_print_as_text_and_wrap_on_one_sheet(organizer):
    hostile = "<script>alert(1)</script>"
    honour = person_honour(
        resident__full_name=hostile + "x" * 25,  # the longest name the register holds (50)
        title=hostile + "长" * 75,  # the longest selection title (100)
    )
    document = awards_paper.certificate(honour, reader=organizer, origin="http://testserver")
    assert text_past_the_edge(document) == []
    assert len(document.pages) == 1
    data = document.write_pdf()
    assert paper.text(data).count(hostile) == 2
    assert paper.qr_codes(data) == [[f"http://testserver/verify/{honour.certificate_number}/"]]


def start_certificates(client, user, round):
    data = {"kind": "awards.certificates", "fmt": "pdf", "params": json.dumps({"round": round.pk})}
    return post_with_tasks(client, "/organize/exports/start/", {**data, **token(user, "project.export")})


def round_with_honours():
    round = make_round("published", title="2026年度幸福里评选")
    grid = GridFactory()
    honours = [
        person_honour(round=round, title=round.title, certificate_number=f"RY2026-1000{n}", building__grid=grid)
        for n in range(3)
    ]
    person_honour(
        round=round, title=round.title, certificate_number="RY2026-19999", withdrawn_at=timezone.now()
    )  # withdrawn: no certificate
    person_honour(certificate_number="RY2025-00001")  # another round's
    return round, grid, honours


def test_an_organizer_prints_every_certificate_of_a_round_in_the_background(organizer, organizer_client):
    round, _grid, honours = round_with_honours()
    desk = organizer_client.get(f"/organize/rounds/{round.pk}/").content.decode()
    assert 'value="awards.certificates"' in desk and "3" in desk
    start_certificates(organizer_client, organizer, round)
    job = ExportJob.objects.get()
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    assert Notice.objects.filter(user=organizer, kind="export_ready").exists()
    download = organizer_client.get(f"/organize/exports/{job.pk}/download/")
    data = b"".join(download.streaming_content)
    assert all(paper.is_size(s, paper.A4_LANDSCAPE) for s in paper.page_sizes(data))
    pages = paper.page_texts(data)
    assert len(pages) == 3
    numbers = [h.certificate_number for h in honours]
    assert [next(n for n in numbers if n in page) for page in pages] == numbers  # one certificate per page
    assert "张秀英" in pages[0]  # organizers print the real name to hand over
    assert paper.qr_codes(data) == [[f"http://testserver/verify/{n}/"] for n in numbers]
    fonts = paper.fonts(data)
    assert fonts and all(fonts.values())
    assert "RY2026-19999" not in paper.text(data) and "RY2025-00001" not in paper.text(data)


def test_a_grid_worker_prints_only_their_grids_certificates(client):
    """Abuse case: a grid worker of another grid asks for the round's certificates (with real names)."""
    round, grid, honours = round_with_honours()
    outsider = UserFactory(username="outsider")
    make_organizer(user=outsider)
    GridAssignment.objects.create(user=outsider, grid=GridFactory())
    client.force_login(outsider)
    start_certificates(client, outsider, round)
    job = ExportJob.objects.get()
    assert job.status == "failed" and not job.file
    assert client.get(f"/organize/exports/{job.pk}/download/").status_code == 404

    insider = UserFactory(username="insider")
    make_organizer(user=insider)
    GridAssignment.objects.create(user=insider, grid=grid)
    Honour.objects.filter(pk=honours[0].pk).update(building=GridFactory().buildings.create(name="别的网格楼"))
    client.force_login(insider)
    start_certificates(client, insider, round)
    job = ExportJob.objects.get(requested_by=insider)
    assert (job.status, job.total) == ("done", 2)


def test_residents_and_visitors_cannot_start_or_download_a_rounds_certificates(client, resident, resident_client):
    round, _grid, _honours = round_with_honours()
    assert start_certificates(resident_client, resident, round).status_code == 403
    assert start_certificates(client, resident, round).status_code == 302  # to the login page
    assert not ExportJob.objects.exists()
