from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamiliesConfig(AppConfig):
    """The community's register: who lives in which household of which building, proven by join codes."""

    name = "families"
    verbose_name = _("Households and residents")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from project.registry import organizer_permissions

        from .access import register_grid_paths

        organizer_permissions(self.label)  # the organizer group may run this app's rows (admin)

        register_grid_paths(
            {
                # A community's name is no one's personal data: every organizer may read the street's communities.
                self.get_model("Community"): None,
                self.get_model("Grid"): "id",
                self.get_model("Building"): "grid",
                self.get_model("Household"): "building__grid",
                self.get_model("Resident"): "household__building__grid",
                self.get_model("GridAssignment"): "grid",
                self.get_model("FamilyMotto"): "household__building__grid",
                self.get_model("MottoRevision"): "motto__household__building__grid",
            }
        )
