"""The audit log's filter: by action, and by who did it or what it was done to."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry


class AuditFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(label=_("Action"), empty_label=_("All actions"), choices=())
    q = django_filters.CharFilter(method="search", label=_("Who or what"))

    class Meta:
        model = AuditEntry
        fields = ["action", "q"]

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["action"].extra["choices"] = list(actions)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(actor_name__icontains=value) | Q(target_repr__icontains=value))
