"""allauth's login form, which says clearly that a mobile number cannot log in while the site sends no texts.

Kept apart from ``project/accounts.py``: allauth's forms module, imported here,
itself imports the sign-up form class that ``accounts.py`` defines.
"""

from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .phones import to_e164
from .sms import sms_available


class LoginForm(AllauthLoginForm):
    """allauth's login form, which refuses a mobile number clearly while the site cannot send text messages."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not sms_available():
            self.fields["login"].widget.attrs["placeholder"] = gettext("Username or email")

    def clean_login(self) -> str:
        login = super().clean_login()
        if (
            not sms_available()
            and to_e164(login, mobile=True) is not None
            and not get_user_model().objects.filter(username=login).exists()
        ):
            raise ValidationError(
                _(
                    "Logging in with a mobile number is unavailable: this site cannot send text messages for now. "
                    "Log in with your username or email address."
                ),
                code="sms_unavailable",
            )
        return login
