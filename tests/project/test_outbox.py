"""Every e-mail and text message is an outbox row written with the write it tells about, sent by a task after the
commit, retried with backoff, rate-limited toward the SMS provider, and either delivered or shown to organizers as
failed, with a resend. Verification codes are never shown, are redacted once sent and are never sent after they
expire."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail import send_mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from families.models import GridAssignment
from project import sms
from project.access import make_organizer
from project.models import AuditEntry, Notice, OutboxMessage, SendingQuota
from project.notices import notify
from project.outbox import (
    EXPIRED,
    INTERRUPTED,
    TemporaryFailure,
    deliver_messages,
    mask,
    queue,
    send_due,
    take_quota,
)
from project.privacy import delete_account
from tests.factories import GridFactory, UserFactory
from tests.outbox import deliver
from tests.project.test_access_sweep import row_counts

State = OutboxMessage.State
CODE = "735102"
PHONE = "+8613812345678"


@pytest.fixture
def memory_sms(settings):
    settings.SMS_SENDER = "project.sms.MemorySMSSender"
    sms.outbox.clear()
    yield sms.outbox


class BusyProvider:
    """A provider that answers "flow control, try later" every time."""

    def send(self, phone, message, **kwargs):
        raise TemporaryFailure("isv.BUSINESS_LIMIT_CONTROL: 触发号码天级流控")


class SlowProvider:
    """Takes a moment per message, so that racing workers overlap; records every message it is handed."""

    received: list[str] = []

    def send(self, phone, message, **kwargs):
        time.sleep(0.005)
        SlowProvider.received.append(phone)


def _code_row(**fields) -> OutboxMessage:
    values = {
        "channel": OutboxMessage.Channel.SMS,
        "recipient": PHONE,
        "kind": "verification_code",
        "body": f"Community Honours verification code: {CODE}",
        "params": {"code": CODE},
        "secret": True,
        "expires_at": timezone.now() + timedelta(minutes=15),
        **fields,
    }
    return OutboxMessage.objects.create(**values)


def _failed_row(**fields) -> OutboxMessage:
    values = {
        "channel": OutboxMessage.Channel.EMAIL,
        "recipient": "wang.xiuying@example.com",
        "kind": "voting_open",
        "subject": "投票开始",
        "body": "2026年度评选投票开始了",
        "state": State.FAILED,
        "attempts": 5,
        "last_error": "SMTP 451 4.3.0 mailbox busy",
        **fields,
    }
    return OutboxMessage.objects.create(**values)


# --- Written with the write, sent after the commit ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_notice_copy_is_written_with_the_notice_and_sent_only_after_the_commit(
    resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[resident], kind="household_joined", params={"name": "林秀英"})
    message = OutboxMessage.objects.get()
    assert (message.recipient, message.kind, message.state, message.user) == (
        resident.email,
        "household_joined",
        State.QUEUED,
        resident,
    )
    assert "林秀英已成为您家的认证成员" in message.body and not mail.outbox
    for callback in callbacks:
        callback()  # the commit: a task sends it
    message.refresh_from_db()
    assert message.state == State.SENT and message.sent_at is not None and message.attempts == 1
    assert [m.to for m in mail.outbox] == [[resident.email]]


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_no_message_and_sends_nothing(resident, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(users=[resident], kind="household_joined", params={"name": "林秀英"})
        send_mail("主题", "正文", None, ["someone@example.com"])
        raise RuntimeError("the caller's write failed")
    assert callbacks == [] and not OutboxMessage.objects.exists() and not Notice.objects.exists()
    deliver()
    assert not mail.outbox


@pytest.mark.django_db
def test_djangos_send_mail_anywhere_goes_through_the_outbox():
    send_mail("站点通知", "正文", None, ["a@example.com", "b@example.com"])
    assert not mail.outbox  # nothing left without a row
    assert sorted(OutboxMessage.objects.values_list("recipient", "kind", "state")) == [
        ("a@example.com", "mail", State.QUEUED),
        ("b@example.com", "mail", State.QUEUED),
    ]
    assert deliver()["sent"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]


@pytest.mark.django_db
def test_a_password_reset_mail_is_a_secret_redacted_once_sent(client, settings):
    user = get_user_model().objects.create_user("laozhao", email="zhao@example.com", password="plum-blossom-77")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email="zhao@example.com", verified=True, primary=True)
    before = timezone.now()
    assert client.post("/accounts/password/reset/", {"email": "zhao@example.com"}).status_code == 302
    message = OutboxMessage.objects.get()
    assert (message.kind, message.secret, message.user) == ("password_reset_key", True, user)
    lifetime = message.expires_at - before
    assert (
        timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 60)
        < lifetime
        <= timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    )
    assert "/accounts/password/reset/key/" in message.body
    deliver()
    assert "/accounts/password/reset/key/" in mail.outbox[0].body  # the person got the link
    message.refresh_from_db()
    assert message.state == State.SENT and message.body == OutboxMessage.REDACTED and message.html_body == ""


@pytest.mark.django_db
def test_a_verification_code_is_redacted_in_the_same_update_that_marks_it_sent(client, memory_sms):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "laowang",
            "full_name": "王秀英",
            "phone": "13812345678",
            "password1": "plum-blossom-77",
            "password2": "plum-blossom-77",
        },
    )
    assert response.status_code == 302
    message = OutboxMessage.objects.get()
    code = message.params["code"]
    assert (message.kind, message.secret, message.recipient) == ("verification_code", True, PHONE)
    lifetime = message.expires_at - message.created_at  # allauth's PHONE_VERIFICATION_TIMEOUT
    assert abs(lifetime - timedelta(minutes=15)) < timedelta(seconds=1)
    with CaptureQueriesContext(connection) as queries:
        deliver()
    assert memory_sms == [(PHONE, f"社区荣誉验证码：{code}")]
    marked_sent = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "'sent'" in q["sql"]]
    assert len(marked_sent) == 1 and OutboxMessage.REDACTED in marked_sent[0]
    message.refresh_from_db()
    assert message.state == State.SENT and message.body == OutboxMessage.REDACTED and message.params == {}
    assert code not in str(OutboxMessage.objects.values().get())


@pytest.mark.django_db
def test_an_expired_code_is_never_sent_and_shows_as_failed(memory_sms):
    row = _code_row()
    results = deliver_messages([row.pk], now=row.expires_at + timedelta(seconds=1))
    assert results == {"expired": 1} and memory_sms == []
    row.refresh_from_db()
    assert (row.state, row.last_error, row.body, row.params) == (State.FAILED, EXPIRED, OutboxMessage.REDACTED, {})


@pytest.mark.django_db
def test_a_failed_code_is_redacted_when_it_expires(memory_sms):
    row = _code_row(state=State.FAILED, attempts=1, last_error="isv.MOBILE_NUMBER_ILLEGAL: 非法手机号")
    send_due(now=row.expires_at - timedelta(seconds=1))
    row.refresh_from_db()
    assert CODE in row.body  # still resendable until it expires
    send_due(now=row.expires_at + timedelta(seconds=1))
    row.refresh_from_db()
    assert row.body == OutboxMessage.REDACTED and row.params == {} and row.state == State.FAILED


# --- Retries, failures, the rate limit ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_temporary_failures_are_retried_after_1_5_30_and_120_minutes_then_the_message_fails(settings):
    settings.SMS_SENDER = "tests.project.test_outbox.BusyProvider"
    row = queue(channel="sms", recipient=PHONE, kind="unknown_account", body="提醒")
    start = row.next_attempt_at
    at = start
    waits = []
    for _attempt in range(5):
        assert deliver_messages([row.pk], now=at - timedelta(seconds=1)) == {}  # not yet due: untouched
        deliver_messages([row.pk], now=at)
        row.refresh_from_db()
        if row.state == State.QUEUED:
            waits.append(row.next_attempt_at - at)
            at = row.next_attempt_at
    assert waits == [timedelta(minutes=m) for m in (1, 5, 30, 120)]
    assert row.state == State.FAILED and row.attempts == 5
    assert row.last_error == "isv.BUSINESS_LIMIT_CONTROL: 触发号码天级流控"


@pytest.mark.django_db
def test_a_permanent_failure_fails_at_once(settings):
    settings.SMS_SENDER = "project.sms.DisabledSMSSender"
    row = queue(channel="sms", recipient=PHONE, kind="unknown_account", body="提醒")
    assert deliver() == {"failed": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.FAILED, 1)


@pytest.mark.django_db
def test_text_messages_stay_under_the_providers_limit_per_minute(settings, memory_sms):
    settings.OUTBOX_SMS_PER_MINUTE = 3
    rows = [
        queue(channel="sms", recipient=f"+86139000000{n:02d}", kind="unknown_account", body="提醒") for n in range(5)
    ]
    minute = timezone.now().replace(second=10, microsecond=0) + timedelta(minutes=1)
    assert deliver_messages([r.pk for r in rows], now=minute) == {"sent": 3, "postponed": 2}
    waiting = OutboxMessage.objects.filter(state=State.QUEUED)
    assert waiting.count() == 2 and {r.attempts for r in waiting} == {0}  # waiting for the minute is no attempt
    assert {r.next_attempt_at for r in waiting} == {minute.replace(second=0) + timedelta(minutes=1)}
    assert deliver_messages([r.pk for r in rows], now=minute + timedelta(seconds=30)) == {}
    assert deliver_messages([r.pk for r in rows], now=minute + timedelta(seconds=49)) == {}
    assert deliver_messages([r.pk for r in rows], now=minute + timedelta(seconds=50)) == {"sent": 2}  # the next minute
    assert len(memory_sms) == 5 and SendingQuota.objects.get(channel="sms").used == 2


@pytest.mark.django_db
def test_a_claim_a_stopped_worker_left_is_taken_back_and_counted(memory_sms):
    row = queue(channel="sms", recipient=PHONE, kind="unknown_account", body="提醒")
    claimed_at = timezone.now()
    OutboxMessage.objects.filter(pk=row.pk).update(state=State.SENDING, claimed_at=claimed_at)
    assert "interrupted" not in send_due(now=claimed_at + timedelta(minutes=14))
    results = send_due(now=claimed_at + timedelta(minutes=16))
    assert results["interrupted"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (State.QUEUED, 1, INTERRUPTED)
    assert send_due(now=row.next_attempt_at)["sent"] == 1 and len(memory_sms) == 1


@pytest.mark.django_db
def test_sent_and_failed_messages_are_pruned_after_the_kept_days(settings):
    settings.OUTBOX_KEEP_DAYS = 30
    old = _failed_row(created_at=timezone.now() - timedelta(days=31))
    recent = _failed_row()
    assert send_due()["pruned"] == 1
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [recent.pk] and old.pk != recent.pk


# --- What organizers see, and the resend -------------------------------------------------------------------------


def test_recipients_are_masked():
    assert mask("+8613812345678") == "138****5678"
    assert mask("wang.xiuying@example.com") == "w***@example.com"
    assert mask("+85291234567") == "+85 291****4567"


@pytest.mark.django_db
def test_the_dashboard_counts_failures_and_the_list_shows_them_masked_without_any_text(organizer_client):
    _failed_row()
    _code_row(state=State.FAILED, attempts=2, last_error="isv.MOBILE_NUMBER_ILLEGAL: 非法手机号")
    queue(channel="email", recipient="li@example.com", kind="mail", body="排队中")
    dashboard = organizer_client.get("/organize/").content.decode()
    assert '<span class="badge warn">2</span> <a href="/organize/outbox/">未能送达</a>' in dashboard
    assert '<span class="badge">1</span> 等待发送' in dashboard
    page = organizer_client.get("/organize/outbox/").content.decode()
    assert "w***@example.com" in page and "138****5678" in page
    assert "wang.xiuying" not in page and "13812345678" not in page
    assert CODE not in page and "2026年度评选投票开始了" not in page  # never a message's text
    assert "投票已开始" in page and "短信验证码" in page  # the kinds, in the reader's language
    assert "SMTP 451 4.3.0 mailbox busy" in page and "尝试5次" in page
    english = organizer_client.get("/organize/outbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Messages that could not be delivered" in english and "5 attempts" in english


@pytest.mark.django_db
def test_an_expired_failure_is_shown_without_a_resend_button(organizer_client):
    row = _code_row(state=State.FAILED, attempts=1, expires_at=timezone.now() - timedelta(minutes=1))
    page = organizer_client.get("/organize/outbox/").content.decode()
    assert "已过期，不再重新发送" in page and f"/organize/outbox/{row.pk}/resend/" not in page


@pytest.mark.django_db
def test_resending_queues_a_failed_message_again_once_with_an_audit_line(organizer, organizer_client):
    row = _failed_row()
    response = organizer_client.post(f"/organize/outbox/{row.pk}/resend/", follow=True)
    assert "消息已重新排队，稍后即会发送。" in response.content.decode()
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (State.QUEUED, 0, "")
    entry = AuditEntry.objects.get(action="outbox.resent")
    assert entry.actor == organizer and entry.details == {"attempts": 5, "error": "SMTP 451 4.3.0 mailbox busy"}
    assert "wang.xiuying" not in entry.target_repr and "w***@example.com" in entry.target_repr
    again = organizer_client.post(f"/organize/outbox/{row.pk}/resend/", follow=True)
    assert "此消息并非发送失败的消息" in again.content.decode()
    assert AuditEntry.objects.filter(action="outbox.resent").count() == 1
    deliver()
    row.refresh_from_db()
    assert row.state == State.SENT and [m.to for m in mail.outbox] == [["wang.xiuying@example.com"]]


@pytest.mark.django_db
def test_an_expired_code_is_never_resent(organizer_client, memory_sms):
    row = _code_row(state=State.FAILED, attempts=2, expires_at=timezone.now() - timedelta(seconds=1))
    response = organizer_client.post(
        f"/organize/outbox/{row.pk}/resend/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "This message held a code or link that has expired, so it is not sent again." in response
    row.refresh_from_db()
    assert row.state == State.FAILED and row.body == OutboxMessage.REDACTED and row.params == {}
    assert not AuditEntry.objects.filter(action="outbox.resent").exists()
    deliver()
    assert memory_sms == []


@pytest.mark.django_db
def test_residents_and_grid_workers_neither_see_nor_resend_messages(resident_client, client):
    row = _failed_row()
    worker = UserFactory()
    make_organizer(user=worker)
    GridAssignment.objects.create(user=worker, grid=GridFactory())
    worker_client = Client()
    worker_client.force_login(worker)
    before = row_counts()
    for user_client in (resident_client, worker_client):
        assert user_client.get("/organize/outbox/").status_code == 403
        assert user_client.post(f"/organize/outbox/{row.pk}/resend/").status_code == 403
        assert "/organize/outbox/" not in user_client.get("/organize/").content.decode()
    assert client.post(f"/organize/outbox/{row.pk}/resend/").status_code == 302  # a visitor logs in first
    row.refresh_from_db()
    assert row.state == State.FAILED and row_counts() == before


@pytest.mark.django_db
def test_the_outbox_list_keeps_its_query_count(organizer_client, django_assert_num_queries):
    for _ in range(2):
        _failed_row()
    organizer_client.get("/organize/outbox/")
    with CaptureQueriesContext(connection) as captured:
        organizer_client.get("/organize/outbox/")
    for _ in range(30):
        _failed_row(kind="nominated")
    with django_assert_num_queries(len(captured)):
        organizer_client.get("/organize/outbox/")


# --- Accounts ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_data_lists_the_messages_sent_to_me_without_codes(resident, resident_client):
    queue(channel="email", recipient=resident.email, kind="voting_open", subject="投票开始", body="正文", user=resident)
    _code_row(user=resident)
    data = resident_client.get("/me/data/").json()
    assert [(m["channel"], m["kind"]) for m in data["messages"]] == [
        ("sms", "verification_code"),
        ("email", "voting_open"),
    ]
    assert CODE not in str(data)


@pytest.mark.django_db
def test_deleting_an_account_deletes_its_messages(resident):
    queue(channel="email", recipient=resident.email, kind="voting_open", body="正文", user=resident)
    delete_account(user=resident)
    assert not OutboxMessage.objects.exists()


# --- Races (PostgreSQL) -----------------------------------------------------------------------------------------


def _in_threads(calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes: list = []

    def run(call):
        try:
            barrier.wait()
            outcomes.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_workers_sending_the_same_messages_send_each_once(postgres, settings):
    settings.SMS_SENDER = "tests.project.test_outbox.SlowProvider"
    settings.OUTBOX_SMS_PER_MINUTE = 0
    SlowProvider.received = []
    rows = OutboxMessage.objects.bulk_create(  # written directly: nothing enqueued, the threads are the workers
        OutboxMessage(channel="sms", recipient=f"+86139000001{n:02d}", kind="unknown_account", body="提醒")
        for n in range(30)
    )
    ids = [row.pk for row in rows]
    outcomes = _in_threads([lambda: deliver_messages(ids) for _ in range(8)])
    assert sum(outcome["sent"] for outcome in outcomes) == 30
    assert sorted(SlowProvider.received) == sorted(row.recipient for row in rows)  # no message twice
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {(State.SENT, 1)}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_workers_asking_for_the_minutes_quota_at_once_get_exactly_the_limit(postgres):
    now = timezone.now()
    SendingQuota.objects.create(channel="sms", window_start=now - timedelta(minutes=5), used=40)
    outcomes = _in_threads([lambda: take_quota("sms", limit=5, now=now) for _ in range(20)])
    assert outcomes.count(True) == 5
    assert SendingQuota.objects.get(channel="sms").used == 5


# --- Nothing goes around the outbox -------------------------------------------------------------------------------


def test_the_sites_settings_put_the_outbox_in_front_of_the_mail_server():
    import subprocess

    from tests import serving

    code = "import django; django.setup(); from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_DELIVERY_BACKEND)"
    env = {**serving.site_env("sqlite:///:memory:"), "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}
    shown = subprocess.run([serving.PY, "-c", code], cwd=serving.ROOT, env=env, capture_output=True, text=True)
    assert shown.stdout.split() == ["project.outbox.OutboxEmailBackend", "django.core.mail.backends.smtp.EmailBackend"]
    looped = subprocess.run(
        [serving.PY, "-c", code],
        cwd=serving.ROOT,
        env={**env, "EMAIL_BACKEND": "project.outbox.OutboxEmailBackend"},
        capture_output=True,
        text=True,
    )
    assert looped.returncode != 0 and "not the outbox itself" in looped.stderr


def test_no_code_sends_mail_or_texts_except_the_outbox():
    """Mail reaches a server only through the outbox's sender; nothing anywhere drops a failure silently."""
    import re

    from tests import serving

    around = re.compile(
        "|".join(
            (
                r"fail_silently\s*=\s*True",  # a failure dropped without a trace
                r"mail\.get_connection|import get_connection|\.send_messages\(|import smtplib",  # a mail server
                r"\.send\(phone",  # an SMS sender called directly
            )
        )
    )
    found = []
    for package in ("project", "families", "awards", "activities"):
        for path in (serving.ROOT / package).rglob("*.py"):
            if "migrations" in path.parts or path.name == "outbox.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if around.search(line):
                    found.append(f"{path.relative_to(serving.ROOT)}:{number}: {line.strip()}")
    assert found == []
