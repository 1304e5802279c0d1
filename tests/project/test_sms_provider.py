"""Real text messages: Alibaba Cloud SMS (dysmsapi ``SendSms``, RPC style, HMAC-SHA1 signature).

The signature is checked against the provider's own published examples (fixed test vectors, quoted below with
their sources); then codes go through the outbox to a local HTTP server playing the provider, which verifies the
signature and the template parameters, and answers with its documented error codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote

import pytest
from django.core import checks
from django.test import Client

from project.models import OutboxMessage
from project.sms import AliyunSMSSender, percent_encode, rpc_signature
from tests.outbox import deliver

State = OutboxMessage.State
KEY_ID = "LTAI-test-key-id"
SECRET = "test-secret-never-logged-7f3a"


# --- The published examples ---------------------------------------------------------------------------------------

# Alibaba Cloud SMS, "HTTP协议及签名" (the SMS API's own signing example, Java sample and its expected output):
# https://help.aliyun.com/document_detail/101343.html
# AccessKeyId "testId", AccessKeySecret "testSecret", these parameters, Format XML, and the result
# Signature = "zJDF+Lrzhj/ThnlvIToysFRq6t4=" for a GET request.
SMS_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
SMS_EXAMPLE_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="

# Alibaba Cloud, "Signature mechanism" for RPC APIs: the ECS DescribeRegions example (AccessKeyId "testid",
# AccessKeySecret "testsecret", the parameters as that example spells them, "TimeStamp" included), whose result
# CT9X0VtwR86fNWSnsc6v8YGOjuE= every product's copy of the page shows in its signed URL, e.g.
# https://help.aliyun.com/en/document_detail/130769.html and the ECS original, https://help.aliyun.com/document_detail/25492.html
RPC_EXAMPLE = {
    "TimeStamp": "2016-02-23T12:46:24Z",
    "Format": "XML",
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "Version": "2014-05-26",
    "SignatureVersion": "1.0",
}
RPC_EXAMPLE_SIGNATURE = "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_our_signature_matches_alibaba_clouds_published_sms_example():
    assert rpc_signature(SMS_EXAMPLE, "testSecret", "GET") == SMS_EXAMPLE_SIGNATURE
    # The signature itself is never part of what is signed.
    assert rpc_signature({**SMS_EXAMPLE, "Signature": "x"}, "testSecret", "GET") == SMS_EXAMPLE_SIGNATURE


def test_our_signature_matches_the_published_rpc_signature_example():
    assert rpc_signature(RPC_EXAMPLE, "testsecret", "GET") == RPC_EXAMPLE_SIGNATURE


def test_percent_encoding_follows_the_documented_rules():
    assert percent_encode("a b*~-_.") == "a%20b%2A~-_."
    assert percent_encode("/=&+:") == "%2F%3D%26%2B%3A"
    assert percent_encode("阿") == "%E9%98%BF"


# --- A provider on loopback ----------------------------------------------------------------------------------------


def _provider_signature(form: dict[str, str], secret: str) -> str:
    """The provider's side, written from the documentation rather than from our module."""
    pairs = sorted((k, v) for k, v in form.items() if k != "Signature")
    canonical = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    to_sign = "POST&%2F&" + quote(canonical, safe="-_.~")
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class FakeProvider(ThreadingHTTPServer):
    """Plays dysmsapi: checks the signature with the account's secret, records each request, answers from a script."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProviderHandler)
        self.secret = SECRET
        self.requests: list[dict[str, str]] = []
        self.answers: list[tuple[int, dict | str]] = []  # the next answers; then "OK"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _ProviderHandler(BaseHTTPRequestHandler):
    server: FakeProvider

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
        self.server.requests.append(form)
        if form.get("Signature") != _provider_signature(form, self.server.secret):
            status, answer = 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched."}
        elif self.server.answers:
            status, answer = self.server.answers.pop(0)
        else:
            status, answer = 200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F6"}
        body = (json.dumps(answer) if isinstance(answer, dict) else answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def provider(settings):
    server = FakeProvider()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_SENDER = "project.sms.AliyunSMSSender"
    settings.ALIYUN_SMS_ACCESS_KEY_ID = KEY_ID
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET
    settings.ALIYUN_SMS_SIGN_NAME = "幸福里社区"
    settings.ALIYUN_SMS_TEMPLATE_CODE = "SMS_200000001"
    settings.ALIYUN_SMS_TEMPLATES = {"account_already_exists": "SMS_200000003"}
    settings.ALIYUN_SMS_ENDPOINT = server.url
    yield server
    server.shutdown()
    server.server_close()


def _sign_up_with_phone(phone: str = "13812345678"):
    return Client().post(
        "/accounts/signup/",
        {
            "username": "laowang",
            "full_name": "王秀英",
            "phone": phone,
            "password1": "plum-blossom-77",
            "password2": "plum-blossom-77",
        },
    )


@pytest.mark.django_db
def test_a_verification_code_goes_to_the_provider_signed_with_its_template_and_code(provider, caplog):
    with caplog.at_level(logging.DEBUG):
        assert _sign_up_with_phone().status_code == 302
        message = OutboxMessage.objects.get()
        code = message.params["code"]
        assert deliver() == {"sent": 1}
    [request] = provider.requests
    assert request["Signature"] == _provider_signature(request, SECRET)  # the provider accepts it
    assert {name: request[name] for name in ("Action", "Version", "AccessKeyId", "SignatureMethod", "Format")} == {
        "Action": "SendSms",
        "Version": "2017-05-25",
        "AccessKeyId": KEY_ID,
        "SignatureMethod": "HMAC-SHA1",
        "Format": "JSON",
    }
    assert request["PhoneNumbers"] == "13812345678"  # mainland numbers as their 11 digits
    assert (request["SignName"], request["TemplateCode"]) == ("幸福里社区", "SMS_200000001")
    assert json.loads(request["TemplateParam"]) == {"code": code}
    message.refresh_from_db()
    assert message.state == State.SENT and message.body == OutboxMessage.REDACTED and message.params == {}
    assert SECRET not in caplog.text and code not in caplog.text  # neither the key's secret nor the code is logged


@pytest.mark.django_db
def test_another_kind_uses_its_own_template_without_parameters(provider):
    from project.sms import send_sms

    send_sms("+8613912345678", "该号码已注册", kind="account_already_exists")
    assert deliver() == {"sent": 1}
    [request] = provider.requests
    assert request["TemplateCode"] == "SMS_200000003" and "TemplateParam" not in request


@pytest.mark.django_db
def test_a_kind_without_a_template_fails_with_the_reason(provider, organizer_client):
    from project.sms import send_sms

    send_sms("+8613912345678", "该号码没有账号", kind="unknown_account")
    assert deliver() == {"failed": 1}
    assert provider.requests == []  # nothing unapproved is sent
    page = organizer_client.get("/organize/outbox/").content.decode()
    assert "短信服务商没有适用于此类消息的模板。" in page and "139****5678" in page


@pytest.mark.parametrize(
    "status,answer,outcome",
    [
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发号码天级流控Permits:10"}, "retry"),
        (400, {"Code": "Throttling.User", "Message": "Request was denied due to user flow control."}, "retry"),
        (200, {"Code": "isp.SYSTEM_ERROR", "Message": "isp.SYSTEM_ERROR"}, "retry"),
        (503, "<html>Service Unavailable</html>", "retry"),
        (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}, "failed"),
        (200, {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板缺少变量"}, "failed"),
        (404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}, "failed"),
    ],
)
@pytest.mark.django_db
def test_the_providers_errors_are_retried_or_failed_by_their_code(provider, status, answer, outcome):
    provider.answers = [(status, answer)]
    assert _sign_up_with_phone().status_code == 302
    assert deliver() == {outcome: 1}
    message = OutboxMessage.objects.get()
    expected = f"{answer['Code']}: {answer['Message']}" if isinstance(answer, dict) else f"HTTP {status}: "
    assert message.last_error == expected
    assert message.state == (State.QUEUED if outcome == "retry" else State.FAILED)
    if outcome == "retry":  # and the retry goes through
        assert deliver_at(message.next_attempt_at) == {"sent": 1}


def deliver_at(moment):
    from project.outbox import send_due

    return send_due(now=moment)


@pytest.mark.django_db
def test_a_wrong_secret_is_refused_by_the_provider_and_fails_without_showing_the_secret(provider, settings):
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "a-wrong-secret-3391"
    assert _sign_up_with_phone().status_code == 302
    assert deliver() == {"failed": 1}
    message = OutboxMessage.objects.get()
    assert message.last_error == "SignatureDoesNotMatch: Specified signature is not matched."
    assert "a-wrong-secret-3391" not in str(OutboxMessage.objects.values().get())


@pytest.mark.django_db
def test_a_provider_that_cannot_be_reached_is_tried_again(provider, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ALIYUN_SMS_ENDPOINT = f"http://127.0.0.1:{port}/"  # nobody listens there
    assert _sign_up_with_phone().status_code == 302
    assert deliver() == {"retry": 1}
    assert OutboxMessage.objects.get().last_error.startswith("SMS provider unreachable")


def test_the_provider_needs_its_settings(settings):
    settings.SMS_SENDER = "project.sms.AliyunSMSSender"
    settings.ALIYUN_SMS_ACCESS_KEY_ID = KEY_ID
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = ""
    settings.ALIYUN_SMS_SIGN_NAME = "幸福里社区"
    settings.ALIYUN_SMS_TEMPLATE_CODE = ""
    found = [message for message in checks.run_checks() if message.id == "project.E003"]
    assert len(found) == 1 and "ALIYUN_SMS_ACCESS_KEY_SECRET, ALIYUN_SMS_TEMPLATE_CODE" in found[0].msg
    assert SECRET not in found[0].msg
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET, settings.ALIYUN_SMS_TEMPLATE_CODE = SECRET, "SMS_200000001"
    assert not [message for message in checks.run_checks() if message.id == "project.E003"]


def test_the_request_carries_the_documented_common_parameters():
    sender = AliyunSMSSender.__new__(AliyunSMSSender)
    sender.access_key_id, sender.access_key_secret, sender.sign_name = "testId", "testSecret", "阿里云短信测试专用"
    query = sender.request_params(
        "+8615300000001",
        "SMS_71390007",
        {"customer": "test"},
        nonce="45e25e9b-0a6f-4070-8c85-2956eda1b466",
        timestamp="2017-07-12T02:42:19Z",
    )
    # Our request is the published example's, but JSON and without OutId, and signed for POST.
    expected = {k: v for k, v in SMS_EXAMPLE.items() if k != "OutId"} | {"Format": "JSON"}
    assert {k: v for k, v in query.items() if k != "Signature"} == expected
    assert query["Signature"] == _provider_signature(query, "testSecret")
