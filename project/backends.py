"""Authentication backends: Django's and allauth's, with a leaner load of the signed-in user.

Every signed-in request loads its user by primary key. Compiling that
``get(pk=…)`` cost the ORM about 0.7 ms of CPU on our benchmark machine, a
plain query through a raw queryset about 0.3 ms, with the same ``User``
instance as the result (docs/performance.md). The same statement says whether
the user is an organizer and how many unread notices they have, which every signed-in page's header asks
(one query less per signed-in page; the count is the one at the request's start, and the notices page,
which marks some read, forgets it: ``forget_unread``). Everything else, from password
checks to ``user_can_authenticate``, is the parent class's own.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError

from .access import _ORGANIZER_CACHE, ORGANIZER_GROUP

UNREAD = "unread_notices_at_load"  # the attribute the user query sets (its last column's name); read by the header (context_processors)


class _LeanUserLoad:
    def get_user(self, user_id):
        User = get_user_model()
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = next(iter(User._default_manager.raw(_USER_QUERY.format(**_names(User)), [ORGANIZER_GROUP, pk])), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        # The organizer check every signed-in page makes (the header's link), answered by the same query.
        setattr(user, _ORGANIZER_CACHE, bool(user.is_staff or user.is_superuser or user.in_organizer_group))
        return user


# The user, whether they are in the organizer group and their unread notices, in one statement (project.access.is_organizer reads
# the answer; it asks the database itself for a user loaded any other way).
_USER_QUERY = (
    "SELECT u.*, EXISTS (SELECT 1 FROM {membership} m INNER JOIN {groups} g ON g.{group_pk} = m.{group_column}"
    " WHERE m.{user_column} = u.{user_pk} AND g.{group_name} = %s) AS in_organizer_group,"
    " (SELECT COUNT(*) FROM {notices} n WHERE n.{notice_user} = u.{user_pk} AND n.{notice_read} IS NULL)"
    " AS unread_notices_at_load FROM {users} u WHERE u.{user_pk} = %s"
)


def _names(User) -> dict:
    from .models import Notice

    through = User.groups.through._meta
    Group = User.groups.field.related_model._meta
    return {
        "users": User._meta.db_table,
        "user_pk": User._meta.pk.column,
        "membership": through.db_table,
        "user_column": through.get_field(User._meta.model_name).column,
        "group_column": through.get_field(Group.model_name).column,
        "groups": Group.db_table,
        "group_pk": Group.pk.column,
        "group_name": Group.get_field("name").column,
        "notices": Notice._meta.db_table,
        "notice_user": Notice._meta.get_field("user").column,
        "notice_read": Notice._meta.get_field("read_at").column,
    }


def forget_unread(user) -> None:
    """After notices were marked read in this request: the header counts them again."""
    if hasattr(user, UNREAD):
        delattr(user, UNREAD)


class ModelBackend(_LeanUserLoad, DjangoModelBackend):
    """Django's ``ModelBackend`` (the admin's sign-in)."""


class AuthenticationBackend(_LeanUserLoad, AllauthBackend):
    """allauth's backend, which allauth records in the session at every sign-in on the site."""
