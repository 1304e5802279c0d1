from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    """Volunteer activities, whose confirmed hours become points in an append-only ledger spent in the store."""

    name = "activities"
    verbose_name = _("Volunteering and points")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from families.access import register_grid_paths
        from project.registry import organizer_permissions

        organizer_permissions(self.label)  # the organizer group may run this app's rows (admin)

        person = "resident__household__building__grid"
        register_grid_paths(
            {
                self.get_model("ActivityType"): None,
                self.get_model("Activity"): None,
                self.get_model("StoreItem"): None,
                self.get_model("PointsAggregate"): None,  # the leaderboards' sums, shown in public
                self.get_model("ServiceRecordCounter"): None,  # a year and a number, nobody's data
                self.get_model("Signup"): person,
                self.get_model("CorrectionRequest"): f"signup__{person}",
                self.get_model("LedgerEntry"): person,
                self.get_model("PointsBalance"): person,
                self.get_model("Redemption"): person,
                self.get_model("ServiceRecord"): person,
            }
        )
