"""The phone sign-up code an elderly resident can type: six digits on a number pad, called 验证码 in the SMS and on
the page, one clear button and a quiet cancel; and a login field that says what it takes."""

from __future__ import annotations

import re

import pytest

from project import sms

from .test_accounts import memory_sms, signup  # noqa: F401

pytestmark = pytest.mark.django_db


def _code(texts) -> str:
    return re.search(r"验证码：(\S+)", texts()[-1][1]).group(1)


def test_the_texted_code_is_six_digits_and_its_page_asks_for_digits(client, memory_sms):  # noqa: F811
    signup(client, phone="13812345678")
    code = _code(memory_sms)
    assert re.fullmatch(r"\d{6}", code)
    page = client.get("/accounts/phone/verify/").content.decode()
    field = re.search(r'<input[^>]*name="code"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in field and 'autocomplete="one-time-code"' in field and 'maxlength="6"' in field
    assert "验证码（6位数字）" in page  # the SMS's word
    # One clear action; resend and cancel are quiet.
    assert re.search(r'<button[^>]*type="submit" class="">', page)
    assert re.search(r'<button form="logout-from-stage" type="submit" class=" secondary quiet">', page)


def test_the_code_typed_with_a_space_or_full_width_digits_verifies_the_number(client, memory_sms):  # noqa: F811
    from project.models import Profile

    signup(client, phone="13812345678")
    code = _code(memory_sms)
    typed = code[:3] + " " + "".join(chr(ord(d) + 0xFEE0) for d in code[3:])  # "123 ４５６"
    response = client.post("/accounts/phone/verify/", {"code": typed})
    assert response.status_code == 302
    assert Profile.objects.get(user__username="laowang").phone_verified


def test_a_wrong_code_verifies_nothing(client, memory_sms):  # noqa: F811
    from project.models import Profile

    signup(client, phone="13812345678")
    wrong = "000000" if _code(memory_sms) != "000000" else "111111"
    response = client.post("/accounts/phone/verify/", {"code": wrong})
    assert response.status_code == 200
    assert not Profile.objects.get(user__username="laowang").phone_verified


def test_the_login_field_says_it_takes_a_mobile_number_username_or_email(client, settings):
    settings.SMS_SENDER = "project.sms.MemorySMSSender"
    sms.outbox.clear()
    page = client.get("/accounts/login/").content.decode()
    field = re.search(r'<input[^>]*name="login"[^>]*>', page).group(0)
    assert 'autocomplete="username"' in field and 'autocomplete="email"' not in field
    assert re.search(r"<label[^>]*>手机号、用户名或邮箱", page)
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mobile number, username or email" in english
