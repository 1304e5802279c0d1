"""The notices the register sends (registered with the core, project/notices.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from project.notices import register

# To the household's other verified members, at every link and every approval: a misuse is seen by those it hurts.
register(
    "household_joined",
    label=_("A new member in your household"),
    message=_(
        "%(name)s is now a verified member of your household. If you do not know this person, tell your grid worker."
    ),
)
register(
    "join_approved",
    label=_("You are now a verified member"),
    message=_("An organizer confirmed you as a member of %(household)s. You can now nominate, vote and volunteer."),
)
register(
    "join_rejected",
    label=_("Your request to join was not approved"),
    message=_(
        "Your request to join a household in %(building)s was not approved. If you live there, ask your grid worker."
    ),
)
