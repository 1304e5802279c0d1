from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectConfig(AppConfig):
    """The core every app shares: accounts and the organizer role, the audit log, and the registries apps plug into."""

    name = "project"
    verbose_name = _("Site core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, registry  # noqa: F401 - checks registers the deploy checks

        # Each app registers its parts in <app>/notices.py, panels.py, privacy.py, demo.py, charts.py and schedule.py
        # (project/registry.py explains), found the way the admin finds admin.py.
        registry.autodiscover()
