"""System checks of the core's settings (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string

# Senders that must never run a production site: they print or keep the codes instead of texting them.
NOT_FOR_PRODUCTION = {"project.sms.ConsoleSMSSender", "project.sms.MemorySMSSender"}


@register(Tags.security, deploy=True)
def check_sms_sender(app_configs=None, **kwargs) -> list:
    """With debug off, SMS_SENDER must be a real sender or the disabled one: never the console."""
    if settings.DEBUG:
        return []
    path = settings.SMS_SENDER
    try:
        sender = import_string(path)
    except ImportError:
        return [Error(f"SMS_SENDER {path!r} cannot be imported.", id="project.E002")]
    if f"{sender.__module__}.{sender.__qualname__}" in NOT_FOR_PRODUCTION:
        return [
            Error(
                f"SMS_SENDER is {path!r} with DEBUG off: verification codes would go to the logs, not to phones.",
                hint="Set SMS_SENDER to your SMS provider's sender, or leave it unset to turn text messages off "
                "(project.sms.DisabledSMSSender).",
                id="project.E001",
            )
        ]
    return []


ALIYUN_SETTINGS = (
    "ALIYUN_SMS_ACCESS_KEY_ID",
    "ALIYUN_SMS_ACCESS_KEY_SECRET",
    "ALIYUN_SMS_SIGN_NAME",
    "ALIYUN_SMS_TEMPLATE_CODE",
)


@register()
def check_aliyun_sms(app_configs=None, **kwargs) -> list:
    """Alibaba Cloud SMS needs its AccessKey, an approved signature and the verification-code template."""
    if settings.SMS_SENDER != "project.sms.AliyunSMSSender":
        return []
    missing = [name for name in ALIYUN_SETTINGS if not getattr(settings, name, "")]
    if missing:
        return [
            Error(
                f"SMS_SENDER is Alibaba Cloud SMS, but {', '.join(missing)} is not set: no text message could be sent.",
                hint="Set them in the environment (the README's settings table).",
                id="project.E003",
            )
        ]
    return []


@register()
def check_paper(app_configs=None, **kwargs) -> list:
    """PDFs (notices, certificates, slips, service records) need WeasyPrint's system libraries and a CJK font."""
    from django.core.checks import Warning

    from . import pdf

    return [
        Warning(problem, hint="See docs/deploy.md, 'System packages'.", id="project.W010") for problem in pdf.problems()
    ]
