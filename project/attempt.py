"""How a view answers a write it asked a service for: the one way a refusal or a resent form reaches the user.

A form page::

    attempt = Attempt(request, form=form, fallback=reverse("activities:organize_store"))
    if request.method == "POST":
        with attempt:
            token = attempt.token(services.STORE_ITEM_FORM)
            if form.is_valid():
                services.save_store_item(..., token=token)
                messages.success(request, _("The item is saved."))
                return redirect("activities:organize_store")
    return attempt.response or render(request, "…", {"form": form}, status=attempt.status)

A button (a POST that goes back where it came from)::

    attempt = Attempt(request, fallback=back)
    with attempt:
        services.second_nomination(..., token=attempt.token(services.SECOND_FORM))
        messages.success(request, _("Your second (附议) was added."))
    return attempt.response or redirect(back)

What the ``with`` block turns into an answer, and nothing else (any other
exception passes through):

- ``formtokens.AlreadySubmitted`` (the form was sent before): "already
  recorded", and ``response`` goes to what the first submission made, or to
  ``fallback``;
- ``formtokens.TokenInvalid`` (no token, or not this user's or form's): "this
  form had expired", in the messages; the page shows the form again with a
  fresh token;
- any other ``ServiceError``: its message on ``form`` (on ``field``, or the
  form's own errors) when there is a bound form, else in the messages.
  ``status`` is the error's (429 for ``TooManyAttempts``), for the page that
  shows the form again.

A form that read its token and then failed validation may be a resend whose
first copy committed in the meantime (its unique name now "exists"):
``response`` then answers "already recorded" too, not the form's error.
"""

from __future__ import annotations

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse

from . import formtokens
from .errors import ServiceError
from .models import FormSubmission


class Attempt:
    """One try at a write from a view; see the module's docstring."""

    def __init__(
        self, request: HttpRequest, *, form: BaseForm | None = None, field: str | None = None, fallback: str = ""
    ) -> None:
        self.request = request
        self.form = form
        self.field = field
        self.fallback = fallback
        self.error: ServiceError | None = None
        self._response: HttpResponse | None = None
        self._token: str | None = None
        self._looked_for_first_copy = False

    def token(self, form_name: str, *, claim_finds_resends: bool = False) -> str:
        """The nonce of this POST's one-time token for ``form_name`` (raises inside the block, see above).
        ``claim_finds_resends``: see ``formtokens.token_from``."""
        self._token = formtokens.token_from(self.request, form_name, claim_finds_resends=claim_finds_resends)
        return self._token

    @property
    def response(self) -> HttpResponse | None:
        """Where to send the user instead of showing the page (read after the block), or None."""
        if self._response is None and not self._looked_for_first_copy:
            self._looked_for_first_copy = True
            first = self._first_copy_of_a_failed_form()
            if first is not None:
                self._response = formtokens.already_recorded(
                    self.request, formtokens.AlreadySubmitted(first), fallback=self._fallback()
                )
        return self._response

    def _first_copy_of_a_failed_form(self) -> FormSubmission | None:
        """The token was good when read and the form then failed: was the first copy recorded meanwhile?"""
        if self._token is None or self.error is not None or self.form is None or not self.form.is_bound:
            return None
        if self.form.is_valid():
            return None
        return formtokens.submission_of(self._token)

    def _fallback(self) -> str:
        return self.fallback or self.request.get_full_path()

    @property
    def refused(self) -> bool:
        """Whether the block ended in a refusal (or a resent or expired form): nothing was written."""
        return self.error is not None

    @property
    def expired(self) -> bool:
        """Whether the form came without a good token (the page should show it again, with a fresh one)."""
        return isinstance(self.error, formtokens.TokenInvalid)

    @property
    def status(self) -> int:
        return self.error.status if self.error is not None else 200

    def __enter__(self) -> Attempt:
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if not isinstance(exc, ServiceError):
            return False
        self.error = exc
        if isinstance(exc, formtokens.AlreadySubmitted):
            self._response = formtokens.already_recorded(self.request, exc, fallback=self._fallback())
        elif isinstance(exc, formtokens.TokenInvalid):
            formtokens.token_invalid(self.request)
        elif self.form is not None and self.form.is_bound:
            self.form.add_error(self.field, str(exc))
        else:
            messages.error(self.request, str(exc))
        return True
