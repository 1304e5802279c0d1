"""Small things that cost organizers and residents time (issue 19, item 9)."""

from __future__ import annotations

import pytest

from awards.models import AwardRound, TargetKind
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

from .board_factories import HonourFactory
from .factories import make_entry, make_round, timeline

pytestmark = pytest.mark.django_db


def _round_fields(phase="nominating") -> dict:
    return {name: moment.strftime("%Y-%m-%dT%H:%M") for name, moment in timeline(phase).items()}


def test_a_round_without_categories_cannot_be_announced(organizer_client, organizer):
    before = row_counts()
    data = {"title": "2027年度评选", "year": 2027, "announced": "on", **_round_fields()}
    response = organizer_client.post("/organize/rounds/new/", {**data, **token(organizer, "awards.round_new")})
    assert response.status_code == 200
    assert "请先为评选活动添加至少一个类别再公布" in response.content.decode()
    assert row_counts() == before


def test_a_round_with_a_category_can_be_announced(organizer_client):
    round = make_round("nominating", announced=False)
    make_entry(round, TargetKind.PERSON)
    data = {"title": round.title, "year": 2026, "announced": "on", **_round_fields()}
    assert organizer_client.post(f"/organize/rounds/{round.pk}/edit/", data).status_code == 302
    assert AwardRound.objects.get(pk=round.pk).announced


def test_the_exports_page_shows_organizers_no_server_command(organizer_client):
    page = organizer_client.get("/organize/activities/exports/").content.decode()
    assert "manage.py" not in page


def test_the_public_board_has_no_developers_link_but_the_feed_still_answers(client):
    HonourFactory()
    page = client.get("/honours/").content.decode()
    assert "feed.json" not in page and "JSON" not in page
    assert client.get("/honours/feed.json").status_code == 200


def test_the_tv_and_the_certificate_have_the_sites_icon(client):
    honour = HonourFactory()
    for path in ("/honours/tv/", f"/honours/{honour.pk}/certificate/"):
        assert 'rel="icon"' in client.get(path).content.decode(), path
