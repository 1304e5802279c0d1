"""django-allauth integration: mobile numbers stored on ``Profile`` (E.164), a full name at sign-up,
phone sign-up turned off, saying so, while the site cannot send text messages (``project.sms``), and
allauth's mails and texts marked for the outbox (``project.outbox``: which hold a code or link, until when).

The login form is in ``project/account_forms.py``: allauth's forms module imports the sign-up form class
named in the settings (here) while it loads, so this module must not import it."""

from __future__ import annotations

from datetime import timedelta

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import sms
from .models import Profile
from .outbox import tag
from .phones import to_e164
from .sms import send_sms, sms_available


def mobile_number(raw: str) -> str:
    """An account's mobile number as stored (``project.phones.to_e164``), or a ``ValidationError`` with a
    message residents understand. Chinese numbers may be typed without +86."""
    phone = to_e164(raw, mobile=True)
    if phone is None:
        raise ValidationError(
            _("Enter an 11-digit mobile number such as 13812345678 (or +country code and number)."),
            code="invalid_phone",
        )
    return phone


def sms_unavailable_error() -> ValidationError:
    return ValidationError(
        _("This site cannot send text messages, so mobile numbers cannot be used here for now."),
        code="sms_unavailable",
    )


class PhoneField(forms.CharField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "inputmode": "tel"}),
        )
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        if not sms_available():
            # Nothing can be verified by text: say so where the number would be typed, and accept none.
            self.help_text = _("Unavailable: this site cannot send text messages for now.")
            self.widget.attrs["disabled"] = True

    def clean(self, value):
        if not sms_available():
            if value or self.required:
                raise sms_unavailable_error()
            return ""
        value = super().clean(value)
        return mobile_number(value) if value else value


class SignupExtraForm(forms.Form):
    """Added to allauth's sign-up form: the person's name, as one field."""

    full_name = forms.CharField(
        label=_("Full name"), max_length=50, help_text=_("As your neighbours know you, e.g. 王秀英.")
    )

    def signup(self, request, user) -> None:
        profile, _created = Profile.objects.get_or_create(user=user)
        profile.full_name = self.cleaned_data["full_name"].strip()
        profile.save(update_fields=["full_name"])


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        # allauth imports stages by path, late: importing its stages module here would be circular.
        return [
            "project.account_stages.PhoneVerificationStage"
            if path == "allauth.account.stages.PhoneVerificationStage"
            else path
            for path in super().get_login_stages()
        ]

    def phone_form_field(self, **kwargs):
        return PhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return mobile_number(phone)

    def set_phone(self, user, phone: str, verified: bool) -> None:
        profile, _created = Profile.objects.get_or_create(user=user)
        profile.phone = mobile_number(phone)
        profile.phone_verified = verified
        profile.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user) -> tuple[str, bool] | None:
        profile = Profile.objects.filter(user=user).first()
        if profile is None or not profile.phone:
            return None
        return profile.phone, profile.phone_verified

    def set_phone_verified(self, user, phone: str) -> None:
        Profile.objects.filter(user=user, phone=mobile_number(phone)).update(phone_verified=True)

    def get_user_by_phone(self, phone: str):
        try:
            phone = mobile_number(phone)
        except ValidationError:
            return None
        profile = Profile.objects.select_related("user").filter(phone=phone).first()
        return profile.user if profile else None

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        send_sms(
            phone,
            gettext("Community Honours verification code: %(code)s") % {"code": code},
            kind=sms.VERIFICATION_CODE,
            params={"code": code},
            user=user if getattr(user, "pk", None) else None,
            secret=True,
            expires_at=timezone.now() + timedelta(seconds=account_settings.PHONE_VERIFICATION_TIMEOUT),
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        send_sms(
            phone,
            gettext("Someone asked for a code for this number, but it has no account with us."),
            kind=sms.UNKNOWN_ACCOUNT,
        )

    def send_account_already_exists_sms(self, phone: str) -> None:
        send_sms(
            phone,
            gettext("Someone tried to sign up with this number, which already has an account."),
            kind=sms.ACCOUNT_EXISTS,
        )

    def render_mail(self, template_prefix: str, email, context: dict, headers=None):
        """allauth's mail, marked for the outbox: its kind, its account, and whether it holds a code or a one-time
        link (then it is redacted once sent and never sent after the code or link expires)."""
        message = super().render_mail(template_prefix, email, context, headers=headers)
        kind = template_prefix.rsplit("/", 1)[-1]
        lifetime = secret_lifetime(kind, context)
        user = context.get("user")
        return tag(
            message,
            kind=kind,
            user=user if getattr(user, "is_authenticated", False) else None,
            secret=lifetime is not None,
            expires_at=timezone.now() + lifetime if lifetime is not None else None,
        )


def secret_lifetime(kind: str, context: dict) -> timedelta | None:
    """How long the code or link in one of allauth's mails works, or None for a mail that holds neither."""
    if "code" in context:
        seconds = {
            "login_code": account_settings.LOGIN_BY_CODE_TIMEOUT,
            "password_reset_code": account_settings.PASSWORD_RESET_BY_CODE_TIMEOUT,
        }.get(kind, account_settings.EMAIL_VERIFICATION_BY_CODE_TIMEOUT)
        return timedelta(seconds=seconds)
    if kind == "password_reset_key" or "password_reset_url" in context:
        return timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    if kind.startswith("email_confirmation") or "activate_url" in context or "key" in context:
        return timedelta(days=account_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS)
    return None
