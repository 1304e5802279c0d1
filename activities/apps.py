from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    """Volunteer activities, whose confirmed hours become points in an append-only ledger spent in the store."""

    name = "activities"
    verbose_name = _("Volunteering and points")
    default_auto_field = "django.db.models.BigAutoField"
