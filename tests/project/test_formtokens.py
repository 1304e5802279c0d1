"""One form, one effect: the core's one-time form tokens."""

import pytest
from django.db import transaction
from django.test import RequestFactory

from project import formtokens
from project.models import FormSubmission


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
