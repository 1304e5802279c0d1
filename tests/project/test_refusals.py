"""One dialect: every app refuses with the core's ``ServiceError``, and views answer it one way (``Attempt``).

The last tests read the views' source: a view that catches a refusal by hand,
counts a rate limit or writes a row itself fails them, so the dialect cannot
drift back app by app.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation

from activities.services import AlreadyRecorded
from activities.services import ServiceError as ActivitiesServiceError
from awards.services import AwardError, NotVerified
from families.services import JoinError, MottoError, RegisterError
from project import formtokens
from project.attempt import Attempt
from project.errors import ServiceError
from project.models import FormSubmission
from project.ratelimit import TooManyAttempts

EXPIRED = "此表单已失效，没有保存任何内容。请核对后重新提交。"
ALREADY = "已经记录过了，没有重复添加。"
VIEW_MODULES = ["families/views.py", "awards/views.py", "awards/board.py", "activities/views.py", "project/views.py"]


def test_every_apps_refusals_are_the_cores_one_kind_of_error():
    for error in (
        JoinError,
        RegisterError,
        MottoError,
        AwardError,
        NotVerified,
        AlreadyRecorded,
        formtokens.TokenInvalid,
        formtokens.AlreadySubmitted,
        TooManyAttempts,
    ):
        assert issubclass(error, ServiceError), error
    assert ActivitiesServiceError is ServiceError  # activities refuses with the core's class itself


class _NameForm(forms.Form):
    name = forms.CharField()


def _post(data=None):
    request = RequestFactory().post("/somewhere/?x=1", data or {})
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _messages(request) -> list[str]:
    return [str(message) for message in request._messages]


def test_a_refusal_goes_on_the_form_when_there_is_one():
    request, form = _post({"name": "王"}), _NameForm({"name": "王"})
    attempt = Attempt(request, form=form, field="name")
    with translation.override("zh-hans"), attempt:
        raise JoinError("入户码不对。")
    assert attempt.refused and attempt.response is None and attempt.status == 200
    assert form.errors == {"name": ["入户码不对。"]}
    assert _messages(request) == []


def test_a_refusal_without_a_form_is_a_message():
    request = _post()
    attempt = Attempt(request)
    with attempt:
        raise AwardError("投票尚未开始。")
    assert attempt.refused and not attempt.expired and attempt.response is None
    assert _messages(request) == ["投票尚未开始。"]


def test_an_expired_form_is_a_message_even_on_a_form_page():
    request, form = _post({"name": "王"}), _NameForm({"name": "王"})
    attempt = Attempt(request, form=form)
    with translation.override("zh-hans"), attempt:
        attempt.token("families.motto")  # the POST carries no token
    assert attempt.refused and attempt.expired and attempt.response is None
    assert _messages(request) == [EXPIRED]
    assert form.is_valid()


def test_a_resent_form_goes_to_what_the_first_one_made_or_the_fallback():
    for result_url, expected in (("/households/3/motto/", "/households/3/motto/"), ("", "/back/")):
        request = _post()
        attempt = Attempt(request, fallback="/back/")
        with translation.override("zh-hans"), attempt:
            raise formtokens.AlreadySubmitted(FormSubmission(result_url=result_url))
        assert attempt.response.status_code == 302 and attempt.response["Location"] == expected
        assert _messages(request) == [ALREADY]


@pytest.mark.django_db
def test_a_resend_that_fails_its_form_because_the_first_copy_just_committed_is_already_recorded(organizer):
    """Two copies of "add a type" at once: the second read its token before the first committed, then finds the
    name taken. It answers "already recorded" with the first copy's page, not "this name exists"."""
    from activities.forms import ActivityTypeForm
    from tests.activities.factories import activity_type

    name = "activities.type_new"
    data = {"name": "助老", "name_en": "Elder care", "sort_order": "5"}
    data[formtokens.FIELD_NAME] = formtokens.new_token(organizer, name)
    request = _post(data)
    request.user = organizer
    form = ActivityTypeForm(data)
    attempt = Attempt(request, form=form, fallback="/organize/activities/types/")
    with translation.override("zh-hans"), attempt:
        nonce = attempt.token(name)
        activity_type("助老")  # meanwhile the first copy commits: its row, then its token
        FormSubmission.objects.create(token=nonce, user=organizer, form_name=name, result_url="/organize/types/")
        assert not form.is_valid() and list(form.errors) == ["name"]  # "this name exists"
    assert attempt.response.status_code == 302 and attempt.response["Location"] == "/organize/types/"
    assert _messages(request) == [ALREADY]


@pytest.mark.django_db
def test_a_form_that_fails_on_its_own_is_shown_again(organizer):
    name = "activities.type_new"
    data = {"name": "", formtokens.FIELD_NAME: formtokens.new_token(organizer, name)}
    request = _post(data)
    request.user = organizer
    form = _NameForm(data)
    attempt = Attempt(request, form=form)
    with attempt:
        attempt.token(name)
        assert not form.is_valid()
    assert attempt.response is None and not attempt.refused


def test_a_reached_limit_shows_the_page_again_with_429():
    request, form = _post({"name": "王"}), _NameForm({"name": "王"})
    attempt = Attempt(request, form=form)
    with attempt:
        raise TooManyAttempts("请15分钟后再试。")
    assert attempt.status == 429
    assert form.non_field_errors() == ["请15分钟后再试。"]


def test_anything_else_passes_through_untouched():
    request = _post()
    attempt = Attempt(request)
    with pytest.raises(Http404), attempt:
        raise Http404
    assert not attempt.refused and _messages(request) == []


# --- The views' source: one way, everywhere -------------------------------------------------------------------------


def _views() -> list[tuple[str, ast.Module]]:
    base = Path(settings.BASE_DIR)
    return [(name, ast.parse((base / name).read_text())) for name in VIEW_MODULES]


REFUSALS = {
    "ServiceError",
    "AwardError",
    "JoinError",
    "RegisterError",
    "MottoError",
    "AlreadyRecorded",
    "TokenInvalid",
    "AlreadySubmitted",
    "TooManyAttempts",
}


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def test_no_view_catches_a_refusal_by_hand():
    caught = [
        f"{name}:{handler.lineno}"
        for name, tree in _views()
        for handler in ast.walk(tree)
        if isinstance(handler, ast.ExceptHandler) and handler.type is not None and _names(handler.type) & REFUSALS
    ]
    assert caught == [], "views answer refusals through project.attempt.Attempt"


def test_no_view_reads_form_tokens_or_counts_rate_limits_itself():
    banned = {"token_from", "token_invalid", "already_recorded", "is_limited", "record_attempt"}
    found = [
        f"{name}:{node.lineno} {called}"
        for name, tree in _views()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute | ast.Name)
        and (called := node.attr if isinstance(node, ast.Attribute) else node.id) in banned
    ]
    assert found == [], "tokens are read by Attempt.token, limits are counted by the service"


WRITES = {"save", "create", "bulk_create", "get_or_create", "update_or_create", "update", "delete", "log", "atomic"}


def test_no_view_writes_rows_itself():
    """Every write, with its audit line and its cache effect, is a service's: views call one (only
    ``form.save(commit=False)`` is allowed, to hand a service the form's unsaved object)."""
    found = []
    for name, tree in _views():
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("changed", "expire", "expire_all") or (called in WRITES and isinstance(func, ast.Attribute)):
                if called == "save" and any(k.arg == "commit" for k in call.keywords):
                    continue
                if called == "update" and isinstance(func.value, ast.Attribute) and func.value.attr == "attrs":
                    continue  # a widget's HTML attributes
                found.append(f"{name}:{call.lineno} {called}")
    assert found == []
