"""One form, one effect: one-time tokens for the forms that create something.

A create form carries a hidden token, signed to the user and the form's name,
made when the form is rendered (``{% form_token "activities.award_points" %}``
in the template, after ``{% load core %}``). The service that creates the row
claims the token in the same transaction (``claim``), before it writes
anything, and records what it made (``Claim.done``). The token is therefore
used up only when the whole write commits:

- a double click, a resend after a timeout or the same form posted from three
  tabs at once makes one row: the unique token lets one claim through, and the
  others find it (on PostgreSQL the later inserts wait for the first to commit,
  then fail on the unique index and read its row);
- a write that fails (a full activity, too few points) rolls its claim back,
  so the same form can be sent again once the problem is fixed.

A second submission raises ``AlreadySubmitted`` carrying the first one; views
turn it into "already recorded" and a link to what the first one made
(``already_recorded``). A missing or forged token raises ``TokenInvalid``:
the view shows the form again with a fresh token and changes nothing. Both are
``ServiceError``s, so a view's ``project.attempt.Attempt`` answers them with
every other refusal.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .errors import ServiceError
from .models import FormSubmission

FIELD_NAME = "form_token"
_SALT = "project.formtokens"


class TokenInvalid(ServiceError):
    """The form carried no token, or one made for another user or form."""


class AlreadySubmitted(ServiceError):
    """This form was already submitted once; ``submission`` says what it made."""

    def __init__(self, submission: FormSubmission):
        super().__init__(submission.form_name)
        self.submission = submission


def _user_key(user) -> str:
    return str(user.pk) if user is not None and getattr(user, "is_authenticated", False) else "-"


def new_token(user, form_name: str) -> str:
    """A fresh token for one rendering of ``form_name`` by ``user``."""
    nonce = secrets.token_urlsafe(18)
    return signing.Signer(salt=_SALT).sign(f"{nonce}:{_user_key(user)}:{form_name}")


def token_from(request: HttpRequest, form_name: str, *, claim_finds_resends: bool = False) -> str:
    """The nonce of the token this POST carries, checked against its user and form.

    Raises ``TokenInvalid`` for a missing or forged token, and
    ``AlreadySubmitted`` at once for a token already used: views call this
    before they validate the form, so a resent form whose fields must be unique
    (a category's name, a door) is "already recorded", not "this name exists".
    The claim in the service's transaction stays the guard against a resend
    that arrives while the first is still being written.

    ``claim_finds_resends=True`` skips that early look-up, for a POST with no
    fields to validate whose service claims the token before any rule can
    refuse (the sign-up): the claim raises the same ``AlreadySubmitted``, and a
    first send costs one statement less.
    """
    raw = request.POST.get(FIELD_NAME, "")
    try:
        value = signing.Signer(salt=_SALT).unsign(raw)
    except signing.BadSignature as exc:
        raise TokenInvalid(form_name) from exc
    nonce, _sep, rest = value.partition(":")
    if rest != f"{_user_key(request.user)}:{form_name}" or not nonce:
        raise TokenInvalid(form_name)
    if claim_finds_resends:
        return nonce
    used = submission_of(nonce)
    if used is not None:
        raise AlreadySubmitted(used)
    return nonce


def submission_of(nonce: str) -> FormSubmission | None:
    """What the form with this token made, once its write committed; None before."""
    return FormSubmission.objects.filter(token=nonce).first()


class Claim:
    """A token claimed inside the caller's transaction; ``done`` records what the form created."""

    def __init__(self, submission: FormSubmission | None):
        self.submission = submission

    def done(self, obj: models.Model | None = None, *, url: str = "") -> None:
        if self.submission is None:
            return
        fields = {"result_url": url[:300]}
        if obj is not None:
            fields["content_type"] = ContentType.objects.get_for_model(obj)
            fields["object_id"] = str(obj.pk)
        FormSubmission.objects.filter(pk=self.submission.pk).update(**fields)


def claim(*, token: str | None, user, form_name: str) -> Claim:
    """Use up ``token`` (a nonce from ``token_from``) inside the caller's ``transaction.atomic``.

    Call it first in the service's transaction. ``token=None`` (management
    commands, the demo seeder) claims nothing. Raises ``AlreadySubmitted`` if
    the token was used by a write that committed.
    """
    if token is None:
        return Claim(None)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim() must run inside the transaction that creates the row.")
    try:
        with transaction.atomic():
            submission = FormSubmission.objects.create(
                token=token, user=user if _user_key(user) != "-" else None, form_name=form_name
            )
    except IntegrityError as exc:
        raise AlreadySubmitted(FormSubmission.objects.get(token=token)) from exc
    return Claim(submission)


def already_recorded(request: HttpRequest, exc: AlreadySubmitted, *, fallback: str) -> HttpResponse:
    """The answer to a second submission: say so, and go to what the first one made."""
    messages.info(request, _("This was already recorded; nothing was added a second time."))
    return redirect(exc.submission.result_url or fallback)


def token_invalid(request: HttpRequest) -> None:
    """Tell the user why the form is shown again (its token was missing, expired or not theirs)."""
    messages.error(request, _("This form had expired. Nothing was saved; please check it and send it again."))
