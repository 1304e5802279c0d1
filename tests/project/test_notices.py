"""On-site notices are a core service: kinds registered by apps, rendered in the reader's language,
copied by email after the commit, listed on /notices/ with an unread count in the header."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from project.models import Notice, NoticeSettings
from project.notices import get_kind, notify, register
from tests.factories import UserFactory
from tests.project.test_access_sweep import row_counts

pytestmark = pytest.mark.django_db


def test_apps_register_their_kinds_at_start_up():
    assert get_kind("household_joined") is not None  # families/notices.py
    assert get_kind("voting_open") is not None  # awards/notices.py
    with pytest.raises(ImproperlyConfigured):
        register("voting_open", label="twice")


def test_an_unknown_kind_is_refused(resident):
    before = row_counts()
    with pytest.raises(ImproperlyConfigured):
        notify(users=[resident], kind="no_such_kind")
    assert row_counts() == before and not Notice.objects.exists()


def test_a_notice_is_stored_as_values_and_read_in_the_readers_language(resident, resident_client):
    notify(users=[resident], kind="household_joined", params={"name": "林秀英"}, url="/me/")
    notice = Notice.objects.get()
    assert notice.params == {"name": "林秀英"}  # no rendered text is stored
    assert "林秀英已成为您家的认证成员" in resident_client.get("/notices/").content.decode()
    english = resident_client.get("/notices/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A new member in your household" in english and "林秀英 is now a verified member" in english


def test_a_missing_value_reads_as_empty_never_an_error(resident, resident_client):
    notify(users=[resident], kind="household_joined", params={})
    assert resident_client.get("/notices/").status_code == 200
    assert Notice.objects.get().text.startswith("已成为您家的认证成员")


def test_notices_are_written_in_the_callers_transaction(resident):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(users=[resident], kind="household_joined", params={"name": "林秀英"})
        raise RuntimeError("the caller's write failed")
    assert not Notice.objects.exists()


def test_email_copies_go_after_the_commit_to_those_who_want_them(django_capture_on_commit_callbacks):
    wants, declines, no_address = UserFactory(), UserFactory(), UserFactory(email="")
    NoticeSettings.objects.create(user=declines, by_email=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[wants, declines, no_address, None, wants], kind="household_joined", params={"name": "林秀英"})
    assert Notice.objects.count() == 3 and not mail.outbox
    for callback in callbacks:
        callback()
    assert [message.to for message in mail.outbox] == [[wants.email]]
    assert "林秀英已成为您家的认证成员" in mail.outbox[0].body


def test_the_header_counts_unread_notices_and_the_page_marks_them_read(resident, resident_client):
    notify(users=[resident], kind="household_joined", params={"name": "甲"})
    notify(users=[resident], kind="household_joined", params={"name": "乙"})
    header = resident_client.get("/me/").content.decode().split("</header>")[0]
    assert 'href="/notices/"' in header and '<span class="badge warn">2<' in header
    page = resident_client.get("/notices/").content.decode()
    assert page.count('<span class="badge warn">新</span>') == 2
    assert '<span class="badge warn">2<' not in page.split("</header>")[0]  # read on this page: not counted again
    assert not Notice.objects.unread().exists()
    assert '<span class="badge warn">' not in resident_client.get("/me/").content.decode().split("</header>")[0]


def test_visitors_have_no_notices(client):
    assert "/notices/" not in client.get("/").content.decode()
    assert client.get("/notices/").status_code == 302


def test_nobody_reads_anothers_notices(resident, neighbour_client):
    notify(users=[resident], kind="household_joined", params={"name": "林秀英"})
    assert "林秀英" not in neighbour_client.get("/notices/").content.decode()
    assert Notice.objects.get().read_at is None


def test_the_notices_page_saves_the_core_and_the_apps_settings(resident, resident_client):
    from awards.models import NoticePreference

    response = resident_client.post("/notices/", {"by_email": "", "voting_open": "on"})
    assert response.status_code == 302
    assert not NoticeSettings.objects.get(user=resident).by_email
    assert NoticePreference.objects.get(user=resident).voting_open


def test_the_notices_page_keeps_its_query_count(resident, resident_client, django_assert_num_queries):
    for _ in range(2):
        notify(users=[resident], kind="household_joined", params={"name": "甲"})
    resident_client.get("/notices/")
    with CaptureQueriesContext(connection) as captured:
        resident_client.get("/notices/")
    small = len(captured)
    for _ in range(15):
        notify(users=[resident], kind="voting_open", params={"title": "2026年度评选"}, url="/rounds/1/")
    resident_client.get("/notices/")  # marks the new ones read
    with django_assert_num_queries(small):
        resident_client.get("/notices/")


def test_my_data_includes_my_notices(resident, resident_client):
    notify(users=[resident], kind="household_joined", params={"name": "林秀英"}, url="/me/")
    data = resident_client.get("/me/data/").json()
    assert data["notices"][0]["kind"] == "household_joined" and data["notices"][0]["values"] == {"name": "林秀英"}


@pytest.mark.django_db(transaction=True)
def test_the_awards_notices_move_to_the_core_keeping_every_row():
    """awards 0005 copies every old notice (and the email choice) into the core's tables."""
    executor = MigrationExecutor(connection)
    before = [("awards", "0004_nomination_typed_names_to_be_matched"), ("project", "0002_notices")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User = old.get_model("auth", "User")
    user = User.objects.create(username="old-notices", email="old@example.com")
    AwardRound = old.get_model("awards", "AwardRound")
    from tests.awards.factories import timeline

    round = AwardRound.objects.create(title="2025年度评选", year=2025, announced=True, **timeline("voting"))
    OldNotice = old.get_model("awards", "Notice")
    OldNotice.objects.create(user=user, kind="voting_open", round=round)
    read = OldNotice.objects.create(user=user, kind="rejected", round=round, detail="材料不全")
    OldNotice.objects.filter(pk=read.pk).update(read_at=read.created_at)
    old.get_model("awards", "NoticePreference").objects.create(user=user, voting_open=False, by_email=False)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    notices = list(Notice.objects.filter(user_id=user.pk).order_by("pk"))
    assert [(n.kind, n.params["title"], n.url) for n in notices] == [
        ("voting_open", "2025年度评选", f"/rounds/{round.pk}/"),
        ("rejected", "2025年度评选", f"/rounds/{round.pk}/"),
    ]
    assert notices[0].read_at is None and notices[1].read_at is not None
    assert notices[1].params["detail"] == "材料不全"
    assert not NoticeSettings.objects.get(user_id=user.pk).by_email
