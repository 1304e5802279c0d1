"""The notices volunteering sends, registered with the core (project/notices.py), and their setting on the notices
page: the reminder the day before an activity, which a volunteer can turn off."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from project.notices import register, register_settings_form

register(
    "activity_reminder",
    label=_("Reminder: an activity you signed up for starts soon"),
    message=_("Thank you for volunteering. Please check the time and the place before you set out."),
)


def _reminder_form(user, data=None):
    from project.models import Profile

    from .forms import ReminderSettingsForm

    profile = Profile.objects.filter(user=user).first() or Profile(user=user)
    return ReminderSettingsForm(data, instance=profile)


register_settings_form(_reminder_form)
