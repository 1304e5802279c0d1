"""One form, one effect: the core's one-time form tokens."""

import pytest
from django.db import transaction
from django.test import RequestFactory

from project import formtokens
from project.models import FormSubmission
from tests.project.test_access_sweep import row_counts


def _post(user, token):
    request = RequestFactory().post("/", {formtokens.FIELD_NAME: token})
    request.user = user
    return request


def test_a_token_is_signed_to_its_user_and_form(resident, neighbour):
    token = formtokens.new_token(resident, "tests.form")
    assert formtokens.token_from(_post(resident, token), "tests.form")
    with pytest.raises(formtokens.TokenInvalid):
        formtokens.token_from(_post(neighbour, token), "tests.form")
    with pytest.raises(formtokens.TokenInvalid):
        formtokens.token_from(_post(resident, token), "tests.other_form")
    with pytest.raises(formtokens.TokenInvalid):
        formtokens.token_from(_post(resident, token + "x"), "tests.form")
    with pytest.raises(formtokens.TokenInvalid):
        formtokens.token_from(_post(resident, ""), "tests.form")


def test_a_claimed_token_cannot_be_claimed_again(resident):
    nonce = formtokens.token_from(_post(resident, formtokens.new_token(resident, "tests.form")), "tests.form")
    with transaction.atomic():
        formtokens.claim(token=nonce, user=resident, form_name="tests.form").done(resident, url="/done/")
    with pytest.raises(formtokens.AlreadySubmitted) as caught, transaction.atomic():
        formtokens.claim(token=nonce, user=resident, form_name="tests.form")
    assert caught.value.submission.result_url == "/done/"
    assert FormSubmission.objects.count() == 1


def test_a_claim_rolled_back_with_its_write_leaves_the_token_usable(resident):
    nonce = "rolled-back-nonce"
    with pytest.raises(ValueError), transaction.atomic():
        formtokens.claim(token=nonce, user=resident, form_name="tests.form")
        raise ValueError("the write failed")
    assert FormSubmission.objects.count() == 0
    with transaction.atomic():
        formtokens.claim(token=nonce, user=resident, form_name="tests.form")
    assert FormSubmission.objects.count() == 1


def test_a_used_token_is_refused_before_the_form_is_read(resident):
    """So a resent form whose fields must be unique says "already recorded", not "this name exists"."""
    token = formtokens.new_token(resident, "tests.form")
    nonce = formtokens.token_from(_post(resident, token), "tests.form")
    with transaction.atomic():
        formtokens.claim(token=nonce, user=resident, form_name="tests.form").done(resident, url="/done/")
    before = row_counts()
    with pytest.raises(formtokens.AlreadySubmitted) as caught:
        formtokens.token_from(_post(resident, token), "tests.form")
    assert caught.value.submission.result_url == "/done/"
    assert row_counts() == before


def test_the_answers_speak_the_readers_language(resident):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.utils import translation

    request = _post(resident, "")
    request.session = {}
    request._messages = FallbackStorage(request)
    with translation.override("zh-hans"):
        formtokens.token_invalid(request)
        answer = formtokens.already_recorded(
            request, formtokens.AlreadySubmitted(FormSubmission(result_url="/done/")), fallback="/"
        )
    assert answer["Location"] == "/done/"
    assert [str(m) for m in request._messages] == [
        "此表单已失效，没有保存任何内容。请核对后重新提交。",
        "已经记录过了，没有重复添加。",
    ]
