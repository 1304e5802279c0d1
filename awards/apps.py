from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    """Award rounds, from nomination through voting to the published honours on the board."""

    name = "awards"
    verbose_name = _("Honours and award rounds")
    default_auto_field = "django.db.models.BigAutoField"
