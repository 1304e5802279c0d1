"""Three votes on a phone without scrolling back: each vote returns to the card voted on, with its message."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from awards.models import Nomination, TargetKind
from tests.awards.factories import make_entry, make_nomination, make_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_CITATION = "多年来照顾楼里的独居老人，每天上门问候，帮忙买菜、取药、打扫卫生，风雨无阻。" * 3


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] < page.viewport_size["height"]


def test_a_resident_casts_three_votes_near_the_bottom_without_scrolling_back(live_server, page, login, resident):
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=3, name="身边好人")
    nominations = [make_nomination(entry, ) for _ in range(8)]
    Nomination.objects.filter(entry=entry).update(citation=LONG_CITATION)
    login(page, "resident")
    page.goto(f"{live_server.url}/rounds/{entry.round_id}/nominations/")

    for voted in range(1, 4):
        card = page.locator(".nomination-card").nth(-voted)  # the cards near the bottom of the ballot
        card_id = card.get_attribute("id")
        card.scroll_into_view_if_needed()
        card.get_by_role("button", name="投票").click()
        page.wait_for_load_state()
        card = page.locator(f"#{card_id}")
        assert page.evaluate("window.scrollY") > 0 and _in_view(page, card)
        expect(card.locator(".message")).to_contain_text("投票成功")
        expect(card.locator(".votes-left")).to_have_text(f"身边好人：还剩 {3 - voted} / 3 票")
    assert len(nominations) == 8


def test_the_ballot_is_compact_a_line_or_two_per_candidate(live_server, page, login, resident):
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=3, name="身边好人")
    for _ in range(5):
        make_nomination(entry)
    Nomination.objects.filter(entry=entry).update(citation=LONG_CITATION)
    login(page, "resident")
    page.goto(f"{live_server.url}/rounds/{entry.round_id}/nominations/")
    heights = [card.bounding_box()["height"] for card in page.locator(".nomination-card").all()]
    assert len(heights) == 5 and max(heights) < 844 / 3  # about three candidates a screen, details a tap away
