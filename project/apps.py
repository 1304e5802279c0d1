from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectConfig(AppConfig):
    """The core every app shares: accounts, access, the audit log, notices, one-time form tokens, caches, exports."""

    name = "project"
    verbose_name = _("Site core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app registers its kinds of notice in <app>/notices.py (project/notices.py explains).
        autodiscover_modules("notices")
