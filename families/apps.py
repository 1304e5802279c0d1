from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamiliesConfig(AppConfig):
    """The community's register: who lives in which household of which building, proven by join codes."""

    name = "families"
    verbose_name = _("Households and residents")
    default_auto_field = "django.db.models.BigAutoField"
