"""allauth's login and phone-code forms, in words elderly residents read: the login field says what it takes (and
clearly that a mobile number cannot log in while the site sends no texts), the code field asks for six digits.

Kept apart from ``project/accounts.py``: allauth's forms module, imported here,
itself imports the sign-up form class that ``accounts.py`` defines.
"""

from __future__ import annotations

import unicodedata

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import VerifyPhoneForm as AllauthVerifyPhoneForm
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
        login = self.fields["login"]
        # One field takes all three; "username" is the hint browsers and password managers fill it from.
        login.label = _("Mobile number, username or email") if sms_available() else _("Username or email")
        login.widget.attrs.update(autocomplete="username", placeholder=gettext("e.g. 13812345678"))
        if not sms_available():
            login.widget.attrs["placeholder"] = gettext("Username or email")

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


class VerifyPhoneForm(AllauthVerifyPhoneForm):
    """The code texted at sign-up: six digits, a phone's number pad, and the SMS's own word for it (验证码)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.label = _("Verification code (6 digits)")
        code.widget.attrs.update(
            inputmode="numeric", autocomplete="one-time-code", pattern="[0-9]*", maxlength="6", placeholder=""
        )

    def clean_code(self) -> str:
        # A pasted "123 456" or full-width digits (a Chinese keyboard's) still count.
        self.cleaned_data["code"] = "".join(unicodedata.normalize("NFKC", self.cleaned_data["code"]).split())
        return super().clean_code()
