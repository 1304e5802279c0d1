"""The notices awards sends, registered with the core (project/notices.py), and its setting on the notices page.

The notices carry the round's title (and the category) as ``title`` and an
organizer's reason or answer as ``detail``; the label says what happened.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from project.notices import register, register_settings_form

from .models import NoticeKind, NoticePreference

# Kinds whose notice says more than its label and the round's title (params filled by awards.services).
MESSAGES = {
    NoticeKind.TAKEN_FORWARD: gettext_lazy(
        "%(community)s recommended its winner %(target)s to the street: a candidate in “%(category)s” of the "
        "street's round “%(round)s”. Voting opens on %(opens)s."
    ),
}

for _kind in NoticeKind:
    register(_kind.value, label=_kind.label, message=MESSAGES.get(_kind))


def _preference_form(user, data=None):
    from .forms import NoticePreferenceForm

    preference = NoticePreference.objects.filter(user=user).first() or NoticePreference(user=user)
    return NoticePreferenceForm(data, instance=preference)


register_settings_form(_preference_form)
