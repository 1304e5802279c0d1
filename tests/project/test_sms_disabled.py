"""SMS in production: with debug off and no sender configured, text messages are off, and the site says so.

Phone sign-up, phone login and changing one's number say they are unavailable,
in the reader's language, and write nothing; the console sender (which prints
verification codes to the logs) with debug off fails ``check --deploy``.
"""

from __future__ import annotations

import logging
import re
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.test import Client

from project import sms
from project.models import OutboxMessage, Profile
from tests import serving
from tests.factories import UserFactory
from tests.outbox import deliver

PASSWORD = "plum-blossom-77"
UNAVAILABLE_ZH = "本站暂时无法发送短信"
UNAVAILABLE_EN = "This site cannot send text messages"
LOGIN_UNAVAILABLE_ZH = "暂不能用手机号登录"
LOGIN_UNAVAILABLE_EN = "Logging in with a mobile number is unavailable"


@pytest.fixture
def sms_off(settings):
    settings.SMS_SENDER = "project.sms.DisabledSMSSender"
    sms.outbox.clear()
    yield


def _sign_up(client: Client, **fields):
    data = {"username": "laowang", "full_name": "王秀英", "password1": PASSWORD, "password2": PASSWORD}
    return client.post("/accounts/signup/", {**data, **fields})


def test_the_default_sender_is_the_console_in_development_and_off_otherwise():
    code = "import django; django.setup(); from django.conf import settings; print(settings.SMS_SENDER)"
    env = serving.site_env("sqlite:///:memory:")
    env.pop("SMS_SENDER", None)
    off = subprocess.run([serving.PY, "-c", code], cwd=serving.ROOT, env=env, capture_output=True, text=True)
    assert off.stdout.strip() == "project.sms.DisabledSMSSender", off.stderr
    development = subprocess.run(
        [serving.PY, "-c", code], cwd=serving.ROOT, env={**env, "DJANGO_DEBUG": "1"}, capture_output=True, text=True
    )
    assert development.stdout.strip() == "project.sms.ConsoleSMSSender", development.stderr


def test_check_deploy_fails_on_the_console_sender_with_debug_off_and_passes_without_a_sender():
    env = serving.site_env("sqlite:///:memory:")
    env.pop("SMS_SENDER", None)
    command = [serving.PY, "manage.py", "check", "--deploy", "--fail-level", "ERROR"]
    default = subprocess.run(command, cwd=serving.ROOT, env=env, capture_output=True, text=True)
    assert default.returncode == 0 and "project.E001" not in default.stderr, default.stderr
    console = subprocess.run(
        command,
        cwd=serving.ROOT,
        env={**env, "SMS_SENDER": "project.sms.ConsoleSMSSender"},
        capture_output=True,
        text=True,
    )
    assert console.returncode != 0 and "project.E001" in console.stderr


@pytest.mark.parametrize(
    "debug,sender,ids",
    [
        (False, "project.sms.ConsoleSMSSender", ["project.E001"]),
        (False, "project.sms.MemorySMSSender", ["project.E001"]),
        (False, "project.sms.DisabledSMSSender", []),
        (False, "project.sms.NoSuchSender", ["project.E002"]),
        (True, "project.sms.ConsoleSMSSender", []),
    ],
)
def test_the_sms_sender_check(settings, debug, sender, ids):
    settings.DEBUG, settings.SMS_SENDER = debug, sender
    found = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    assert [message.id for message in found if message.id.startswith("project.")] == ids


@pytest.mark.django_db
def test_sign_up_shows_the_phone_field_as_unavailable_in_the_readers_language(client, sms_off):
    chinese = client.get("/accounts/signup/").content.decode()
    assert "暂不可用：本站暂时无法发送短信。" in chinese
    assert re.search(r'<input[^>]*name="phone"[^>]* disabled[ >]', chinese)
    english = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Unavailable: this site cannot send text messages for now." in english


@pytest.mark.django_db
def test_a_sign_up_that_sends_a_number_anyway_is_refused_and_writes_nothing(client, sms_off):
    users, profiles = get_user_model().objects.count(), Profile.objects.count()
    response = _sign_up(client, phone="13812345678")
    assert response.status_code == 200 and UNAVAILABLE_ZH in response.content.decode()
    english = _sign_up(Client(HTTP_ACCEPT_LANGUAGE="en"), phone="1")  # any value at all
    assert UNAVAILABLE_EN in english.content.decode()
    assert (get_user_model().objects.count(), Profile.objects.count()) == (users, profiles)
    assert sms.outbox == []


@pytest.mark.django_db
def test_signing_up_without_a_number_still_works(client, sms_off):
    response = _sign_up(client)
    assert response.status_code == 302
    assert get_user_model().objects.get(username="laowang").profile.full_name == "王秀英"


@pytest.mark.django_db
def test_logging_in_with_a_number_says_it_is_unavailable(sms_off):
    user = get_user_model().objects.create_user("laoli", password=PASSWORD)
    Profile.objects.create(user=user, phone="+8613912345678", phone_verified=True)
    client = Client()
    response = client.post("/accounts/login/", {"login": "139 1234 5678", "password": PASSWORD})
    assert response.status_code == 200 and LOGIN_UNAVAILABLE_ZH in response.content.decode()
    assert "_auth_user_id" not in client.session
    english = client.post(
        "/accounts/login/", {"login": "13912345678", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert LOGIN_UNAVAILABLE_EN in english
    assert (
        'placeholder="Username or email"' in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


@pytest.mark.django_db
def test_a_username_that_looks_like_a_number_still_logs_in(sms_off):
    get_user_model().objects.create_user("13812345678", password=PASSWORD)
    client = Client()
    assert client.post("/accounts/login/", {"login": "13812345678", "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_an_account_with_an_unverified_number_logs_in_by_username_without_a_code(sms_off, caplog):
    user = get_user_model().objects.create_user("laoli", password=PASSWORD)
    Profile.objects.create(user=user, phone="+8613912345678", phone_verified=False)
    client = Client()
    response = client.post("/accounts/login/", {"login": "laoli", "password": PASSWORD})
    assert response.status_code == 302 and "/phone/verify/" not in response["Location"]
    assert "_auth_user_id" in client.session
    assert Profile.objects.get(user=user).phone_verified is False  # nothing could verify it
    assert "SMS is disabled" not in caplog.text  # no code was even tried


@pytest.mark.django_db
def test_changing_ones_number_says_it_is_unavailable(sms_off):
    client = Client()
    client.force_login(UserFactory())
    response = client.post("/accounts/phone/change/", {"phone": "13912345670"})
    assert response.status_code == 200 and UNAVAILABLE_ZH in response.content.decode()
    assert not Profile.objects.filter(phone="+8613912345670").exists()


@pytest.mark.django_db
def test_the_disabled_sender_fails_a_message_and_logs_no_code(settings, caplog):
    settings.SMS_SENDER = "project.sms.DisabledSMSSender"
    with caplog.at_level(logging.INFO):
        sms.send_sms("+8613812345678", "Community Honours verification code: 123456", params={"code": "123456"})
        deliver()
    assert "SMS is disabled" in caplog.text
    assert "123456" not in caplog.text and "13812345678" not in caplog.text
    assert not sms.sms_available()
    message = OutboxMessage.objects.get()  # nothing went out, and the organizers' outbox says so
    assert message.state == OutboxMessage.State.FAILED and message.error_text == "本站无法发送短信（未配置短信服务商）。"
