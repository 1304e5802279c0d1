"""One pagination include for every list: its links keep the page's filters and change only the page.

Each list page is filled with three matching rows (and a row its filter hides),
shown one per page (each app's page size is a setting), then paged with the
"next" link the page itself gives.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from activities.models import LedgerEntry
from activities.services import award_points
from awards.models import NominationStatus
from families.services import review_motto, set_motto_consent, submit_motto
from project.models import AuditEntry
from project.notices import notify
from tests.activities.factories import ActivityFactory, activity_type
from tests.awards.board_factories import HonourFactory
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.factories import HouseholdFactory, verified_user

pytestmark = pytest.mark.django_db

NEXT = re.compile(r'rel="next" href="([^"]*)"')
PREVIOUS = re.compile(r'rel="prev" href="([^"]*)"')


def _link(pattern: re.Pattern, response) -> str:
    found = pattern.search(response.content.decode())
    assert found, "the page has no such pagination link"
    return html.unescape(found.group(1))


def _query(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query, keep_blank_values=True)


def _pages_keep(client, path: str, filters: dict[str, str], shows: str) -> None:
    """Page 1 of ``path`` with ``filters`` links to page 2 with the same filters, and back; page 2 shows ``shows``."""
    first = client.get(path, filters)
    assert first.status_code == 200
    following = _link(NEXT, first)
    assert following.startswith("?")
    assert _query(following) == {**{name: [value] for name, value in filters.items()}, "page": ["2"]}
    second = client.get(path + following)
    assert second.status_code == 200
    assert shows in second.content.decode()
    assert _query(_link(PREVIOUS, second)) == {**{name: [value] for name, value in filters.items()}, "page": ["1"]}


def test_the_motto_wall_keeps_its_search_when_paging(client, organizer, settings):
    settings.FAMILIES_WALL_PAGE_SIZE = 1
    texts = ["邻里和睦一", "邻里和睦二", "邻里和睦三", "勤俭持家"]
    for text in texts:
        household = HouseholdFactory()
        member = verified_user(household)
        review_motto(
            revision=submit_motto(household=household, author=member, text=text), reviewer=organizer, approve=True
        )
        set_motto_consent(household=household, show=True, actor=member)
    _pages_keep(client, "/mottos/", {"q": "邻里"}, shows="邻里和睦")


def test_the_register_keeps_its_filters_when_paging_and_its_exports_follow_them(organizer_client, settings):
    settings.FAMILIES_REGISTER_PAGE_SIZE = 1
    for door in ("101", "102", "103"):
        HouseholdFactory(door_label=door, head_name="张建国")
    HouseholdFactory(door_label="104", head_name="李四")
    _pages_keep(organizer_client, "/organize/register/", {"q": "张建国", "joined": "no"}, shows="张建国")
    page_two = organizer_client.get("/organize/register/", {"q": "张建国", "joined": "no", "page": "2"})
    exports = re.findall(r'href="(/organize/register/export\.[^"]*)"', page_two.content.decode())
    assert len(exports) == 2
    for link in map(html.unescape, exports):
        assert _query(link) == {"q": ["张建国"], "joined": ["no"]}  # what I see, not just this page


def test_the_audit_log_keeps_its_filter_when_paging(organizer_client, organizer, settings):
    for n in range(52):  # the audit log's page size is its view's own, 50
        AuditEntry.objects.log(actor=organizer, action="household.created", details={"n": n})
    AuditEntry.objects.log(actor=organizer, action="grid.created")
    _pages_keep(organizer_client, "/organize/audit/", {"action": "household.created"}, shows="household.created")


def test_the_activity_list_keeps_its_filters_when_paging(client, settings):
    settings.ACTIVITIES_PAGE_SIZE = 1
    clean_up, elder_care = activity_type("环境整治"), activity_type("助老")
    soon = timezone.now() + timedelta(days=3)
    for n in range(3):
        ActivityFactory(type=clean_up, title=f"楼道清扫{n}", starts_at=soon + timedelta(hours=n))
    ActivityFactory(type=elder_care, title="陪老人聊天", starts_at=soon)
    _pages_keep(client, "/activities/", {"type": str(clean_up.pk), "open": "on"}, shows="楼道清扫")


def test_my_points_page_through_the_ledger(resident_client, resident, organizer, settings):
    settings.ACTIVITIES_PAGE_SIZE = 1
    member = resident.residencies.get()
    for n in range(3):
        award_points(resident=member, amount=5, reason=f"楼道巡逻{n}", kind=LedgerEntry.Kind.AWARDED, actor=organizer)
    _pages_keep(resident_client, "/points/me/", {}, shows="楼道巡逻")


def test_the_honour_board_keeps_its_filters_when_paging(client, settings):
    settings.AWARDS_BOARD_PAGE_SIZE = 1
    for n in range(3):
        HonourFactory(year=2025, building__name=f"光明楼{n}", photo="")
    HonourFactory(year=2026, building__name="幸福楼", photo="")
    _pages_keep(client, "/honours/", {"year": "2025"}, shows="光明楼")
    first = client.get("/honours/", {"year": "2025"}).content.decode()
    assert "较早" in first  # newest first: "Older", not "Next"


def test_the_review_list_keeps_its_status_when_paging(organizer_client, settings):
    settings.AWARDS_REVIEW_PAGE_SIZE = 1
    entry = make_entry(make_round("reviewing"))
    for _ in range(3):
        make_nomination(entry, status=NominationStatus.SUBMITTED)
    make_nomination(entry, status=NominationStatus.REJECTED, review_reason="不符合条件")
    _pages_keep(
        organizer_client, f"/organize/rounds/{entry.round_id}/nominations/", {"status": "submitted"}, shows="待审核"
    )


def test_my_notices_page_newest_first(resident_client, resident, monkeypatch):
    monkeypatch.setattr("project.views.NOTICES_PAGE_SIZE", 1)
    for name in ("王一", "王二", "王三"):
        notify(users=[resident], kind="household_joined", params={"name": name, "household": "王家"})
    first = resident_client.get("/notices/")
    assert "较早" in first.content.decode()
    _pages_keep(resident_client, "/notices/", {}, shows="王")


def test_there_is_one_pagination_template():
    templates = [
        path.relative_to(django_settings.BASE_DIR)
        for path in Path(django_settings.BASE_DIR).glob("*/templates/**/*.html")
        if ".venv" not in path.parts and ('class="pagination"' in path.read_text() or "pagination.html" in path.name)
    ]
    assert [str(path) for path in templates] == ["project/templates/includes/pagination.html"]
