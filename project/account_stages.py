"""allauth login stages of our own (named by path in ``AccountAdapter.get_login_stages``)."""

from __future__ import annotations

from allauth.account import stages
from allauth.core.exceptions import RateLimited
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import ngettext

from .ratelimit import allauth_wait_minutes
from .sms import sms_available


class PhoneVerificationStage(stages.PhoneVerificationStage):
    """allauth's stage that texts a code at sign-up and login, except that a code refused by the SMS limit
    ("verify_phone") ends the login with a message saying how long to wait, instead of a 500, and that the
    stage is skipped while the site cannot send text messages (``project.sms.sms_available``).

    The login is not completed: the number stays unverified, as it would if the
    code had never arrived, and logging in again after the wait sends a code.
    """

    def handle(self):
        if not sms_available():
            # No code can be sent: the number stays unverified and the login goes on (by username or email).
            return None, True
        try:
            return super().handle()
        except RateLimited:
            minutes = allauth_wait_minutes("verify_phone")
            if self.login.signup:
                text = ngettext(
                    "Your account is ready, but too many verification codes were asked for just now. "
                    "Wait %(minutes)d minute, then log in to receive your code.",
                    "Your account is ready, but too many verification codes were asked for just now. "
                    "Wait %(minutes)d minutes, then log in to receive your code.",
                    minutes,
                )
            else:
                text = ngettext(
                    "Too many verification codes were asked for. Wait %(minutes)d minute, then log in again.",
                    "Too many verification codes were asked for. Wait %(minutes)d minutes, then log in again.",
                    minutes,
                )
            messages.error(self.request, text % {"minutes": minutes})
            return redirect("account_login"), False  # allauth clears the half-done login
