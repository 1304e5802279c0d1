from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    """Award rounds, from nomination through voting to the published honours on the board."""

    name = "awards"
    verbose_name = _("Honours and award rounds")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from families.access import register_grid_paths
        from project.registry import organizer_permissions

        organizer_permissions(self.label)  # the organizer group may run this app's rows (admin)

        register_grid_paths(
            {
                self.get_model("AwardCategory"): None,
                self.get_model("AwardRound"): None,
                self.get_model("RoundCategory"): None,
                self.get_model("PaperTally"): None,  # counts per shortlisted nomination, entered by the committee
                self.get_model("Correction"): None,  # public corrections of published honours
                self.get_model("Nomination"): "building__grid",  # the target's building, for every kind of target
                self.get_model("CitationRevision"): "nomination__building__grid",
                self.get_model("Second"): "resident__household__building__grid",
                self.get_model("Objection"): "resident__household__building__grid",
                self.get_model("Honour"): "building__grid",
                self.get_model("Vote"): "building__grid",  # the voter's building
            }
        )
