"""A grid worker sees only their grids' people, by the one rule in ``families.access``.

The sweep over every organizer URL is in ``test_access_sweep.py``; these tests
tell the same story page by page, in the words organizers read.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.models import LedgerEntry, Signup
from project.models import AuditEntry
from tests.factories import ResidentFactory
from tests.project.grid_b import B_NAME, B_PHONE, B, build_grid_world
from tests.tokens import token

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_grid_world()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_volunteer_search_finds_only_the_workers_grids_people(world):
    worker = _client(world.worker)
    html = worker.get("/organize/volunteers/", {"q": "格"}).content.decode()
    assert world.a_person.full_name in html
    assert B_NAME not in html and B_PHONE not in html
    assert B_NAME not in worker.get("/organize/volunteers/", {"q": B_PHONE[3:9]}).content.decode()
    committee = _client(world.committee).get("/organize/volunteers/", {"q": "格"}).content.decode()
    assert world.a_person.full_name in committee and B_NAME in committee


def test_one_person_of_another_grid_is_not_found(world):
    worker = _client(world.worker)
    for path in (f"/organize/volunteers/{B}/", f"/organize/volunteers/{B}/record/"):
        assert worker.get(path).status_code == 404
    before = LedgerEntry.objects.count()
    response = worker.post(f"/organize/volunteers/{B}/", {"kind": "awarded", "amount": "50", "reason": "多记"})
    assert response.status_code == 404
    assert LedgerEntry.objects.count() == before


def _street_activity():
    """Grid B's activity, hosted by the street instead of B's community: every grid's worker runs it for their own
    volunteers (another community's own activity is a 404 to them: tests/activities/test_places.py)."""
    from activities.models import Activity

    Activity.objects.filter(pk=B).update(community=None)
    return Activity.objects.get(pk=B)


def test_a_sheet_shows_the_workers_volunteers_and_counts_those_of_other_grids(world):
    activity = _street_activity()
    Signup.objects.create(activity=activity, resident=world.a_person, attendance=Signup.Attendance.PRESENT)
    html = _client(world.worker).get(f"/organize/activities/{B}/").content.decode()
    assert world.a_person.full_name in html
    assert B_NAME not in html and B_PHONE not in html
    assert "另有其他网格的 1 名志愿者" in html
    english = _client(world.worker).get(f"/organize/activities/{B}/", headers={"accept-language": "en"})
    assert "And 1 volunteer from another grid" in english.content.decode()
    committee = _client(world.committee).get(f"/organize/activities/{B}/").content.decode()
    assert B_NAME in committee and "其他网格" not in committee


def test_confirming_all_hours_confirms_only_the_workers_grids(world):
    activity = _street_activity()
    mine = Signup.objects.create(
        activity=activity,
        resident=world.a_person,
        attendance=Signup.Attendance.PRESENT,
        checked_in_at=activity.starts_at,
        checked_out_at=activity.ends_at,
    )
    response = _client(world.worker).post(f"/organize/activities/{B}/confirm-all/")
    assert response.status_code == 302
    assert Signup.objects.get(pk=mine.pk).hours_confirmed_at is not None
    assert Signup.objects.get(pk=B).hours_confirmed_at is None


def test_a_walk_in_from_another_grid_reads_as_unknown(world):
    _street_activity()
    worker = _client(world.worker)
    before = Signup.objects.count()
    response = worker.post(
        f"/organize/activities/{B}/walk-in/",
        {"phone": "13900009002", **token(world.worker, "activities.walk_in")},
        follow=True,
    )
    assert "登记册中没有唯一一位使用这个手机号的已认证居民" in response.content.decode()
    assert Signup.objects.count() == before


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


def test_exports_of_people_hold_only_the_workers_grids(world):
    month = f"{timezone.localdate():%Y-%m}"
    worker = _client(world.worker)
    ledger = _body(worker.get("/organize/activities/exports/ledger.csv", {"month": month}))
    assert B_NAME not in ledger
    register = _body(worker.get("/organize/register/export.csv"))
    assert world.a_person.full_name in register and B_NAME not in register
    committee = _client(world.committee).get("/organize/activities/exports/ledger.csv", {"month": month})
    rows = list(csv.reader(io.StringIO(_body(committee))))
    assert any(B_NAME in row for row in rows)


def test_the_audit_log_shows_a_worker_their_grids_lines_community_lines_and_their_own(world):
    from activities.models import Activity

    AuditEntry.objects.log(actor=world.committee, action="member.changed", target=world.a_person)
    AuditEntry.objects.log(
        actor=world.committee, action="activities.activity_changed", target=Activity.objects.get(pk=B)
    )
    AuditEntry.objects.log(actor=world.worker, action="register.exported", details={"format": "csv"})
    html = _client(world.worker).get("/organize/audit/").content.decode()
    assert world.a_person.full_name in html  # their grid
    assert "activities.activity_changed" in html  # community-wide
    assert "register.exported" in html  # their own
    assert B_NAME not in html  # grid B's worker edited grid B's person
    assert "worker_b" not in html  # grid B's worker's lines about grid B, and lines about accounts
    assert B_NAME in _client(world.committee).get("/organize/audit/").content.decode()


def test_the_audit_log_query_count_does_not_grow_for_a_grid_worker(world):
    AuditEntry.objects.log(actor=world.committee, action="member.changed", target=world.a_person)
    worker = _client(world.worker)
    worker.get("/organize/audit/")
    with CaptureQueriesContext(connection) as small:
        worker.get("/organize/audit/")
    for _ in range(30):
        person = ResidentFactory(household=world.a_person.household)
        AuditEntry.objects.log(actor=world.committee, action="member.changed", target=person)
    with CaptureQueriesContext(connection) as large:
        worker.get("/organize/audit/")
    assert len(large) == len(small)


def test_the_sheet_query_count_does_not_grow_with_volunteers(world):
    from activities.models import Activity

    activity = Activity.objects.get(pk=B)
    worker = _client(world.worker)
    worker.get(f"/organize/activities/{B}/")
    with CaptureQueriesContext(connection) as small:
        worker.get(f"/organize/activities/{B}/")
    for _ in range(15):
        Signup.objects.create(activity=activity, resident=ResidentFactory(household=world.a_person.household))
        Signup.objects.create(activity=activity, resident=ResidentFactory(household=world.b_person.household))
    with CaptureQueriesContext(connection) as large:
        worker.get(f"/organize/activities/{B}/")
    assert len(large) == len(small)


def test_a_grid_worker_reviews_their_grids_nominations_and_leaves_the_rest_of_the_round_to_the_committee(world):
    from awards.models import Nomination

    mine = Nomination.objects.get(entry_id=B, resident=world.a_person)  # grid A's person, nominated in the world
    worker = _client(world.worker)
    listed = worker.get(f"/organize/rounds/{B}/nominations/").content.decode()
    assert world.a_person.full_name in listed and B_NAME not in listed
    response = worker.post(f"/organize/nominations/{mine.pk}/review/", {f"n{mine.pk}-decision": "shortlist"})
    assert response.status_code == 302
    assert Nomination.objects.get(pk=mine.pk).status == "shortlisted"
    assert worker.post(f"/organize/nominations/{B}/review/", {f"n{B}-decision": "shortlist"}).status_code == 404
    assert Nomination.objects.get(pk=B).status == "submitted"
    for path in (f"/organize/rounds/{B}/publish/", f"/organize/rounds/{B}/close-voting/"):
        assert worker.post(path).status_code == 403
    assert worker.get(f"/organize/rounds/{B}/confirm/").status_code == 403
    desk = worker.get(f"/organize/rounds/{B}/").content.decode()
    assert "由负责全社区的工作人员完成" in desk
    assert B_NAME not in desk


def test_a_nominator_from_another_grid_is_not_named_to_a_grid_worker(world):
    from awards.models import Nomination

    nomination = Nomination.objects.get(entry_id=B, resident=world.a_person, nominator=world.b_person)
    worker = _client(world.worker)
    for path in (f"/organize/rounds/{B}/nominations/", f"/nominations/{nomination.pk}/"):
        html = worker.get(path).content.decode()
        assert world.a_person.full_name in html and "其他网格的居民" in html
        assert B_NAME not in html
    assert B_NAME in _client(world.committee).get(f"/organize/rounds/{B}/nominations/").content.decode()
