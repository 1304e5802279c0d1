"""A round on paper in the browser, on a phone in Chinese: the organizer downloads the 公示 notice from the round's
desk, starts the round's certificates, and downloads them from the exports page when they are ready."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from awards.models import TargetKind
from awards.services import publish_round
from tests import paper
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.factories import ResidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_organizer_prints_the_notice_and_every_certificate_of_a_round(
    live_server, page, login, organizer, settings, tmp_path
):
    settings.COMMUNITY_NAME = "幸福里社区"
    settings.MEDIA_ROOT = tmp_path / "media"
    round = make_round("publishing", title="2026年度幸福里评选")
    entry = make_entry(round, TargetKind.PERSON, name="身边好人")
    for name in ["张秀英", "王建华"]:
        make_nomination(entry, target=ResidentFactory(full_name=name, show_name_publicly=True), is_winner=True)
    numbers = [h.certificate_number for h in publish_round(round=round, actor=organizer)]

    login(page, "organizer")
    page.goto(f"{live_server.url}/organize/rounds/{round.pk}/")
    with page.expect_download() as notice:
        page.get_by_role("link", name="公示，A4（PDF）").click()
    data = Path(notice.value.path()).read_bytes()
    assert [paper.is_size(s, paper.A4) for s in paper.page_sizes(data)] == [True]
    text = paper.text(data).replace(" ", "")
    assert "评选结果公示" in text and "张秀英" in text and "王建华" in text

    page.get_by_role("button", name="打印本次评选的全部荣誉证书").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("导出")
    ready = page.locator("li[data-job]").filter(has_text="2026年度幸福里评选")
    expect(ready.get_by_role("link", name="下载")).to_be_visible(timeout=20000)
    with page.expect_download() as certificates:
        ready.get_by_role("link", name="下载").click()
    data = Path(certificates.value.path()).read_bytes()
    assert len(paper.page_sizes(data)) == 2
    assert all(paper.is_size(s, paper.A4_LANDSCAPE) for s in paper.page_sizes(data))
    assert paper.qr_codes(data) == [[f"{live_server.url}/verify/{number}/"] for number in numbers]
