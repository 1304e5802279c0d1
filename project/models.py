"""The core's own tables: what every app shares."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FormSubmission(models.Model):
    """One use of a one-time form token: written in the same transaction as the row its form created.

    A form carries a token signed to its user and its form name when rendered;
    the service that creates the row records the token here in the same
    transaction, so the token is used up only on success, and a second
    submission (a double click, a resend after a timeout, three tabs at once)
    finds this row and shows the first result instead of creating another.
    """

    token = models.CharField(_("token"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("who")
    )
    form_name = models.CharField(_("form"), max_length=60)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("object type")
    )
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    result_url = models.CharField(_("result"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self) -> str:
        return f"{self.form_name} {self.created_at:%Y-%m-%d %H:%M}"
