"""Demo data that looks real: women honoured as 好媳妇 and 好婆婆, citations that do not repeat within a category,
and every head of household a member of it."""

from __future__ import annotations

from collections import Counter

import pytest

from awards import demo
from awards.models import Nomination
from families import demo as families_demo
from families.models import Household

pytestmark = pytest.mark.django_db


def test_the_demo_looks_like_a_real_community(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    families_demo.seed(households=300)
    demo.seed(households=300)
    households = Household.objects.prefetch_related("residents")
    assert all(h.head_name in {r.full_name for r in h.residents.all()} for h in households if h.head_name)

    women_only = Nomination.objects.filter(entry__category__name__in=["好媳妇", "好婆婆"]).select_related("resident")
    assert women_only.exists()
    assert all(n.resident.full_name[1:] in families_demo.WOMEN_GIVEN for n in women_only)

    for category in ("好媳妇", "好婆婆", "文明楼院"):
        citations = Counter(Nomination.objects.filter(entry__category__name=category).values_list("citation", flat=True))
        assert citations and max(citations.values()) <= -(-sum(citations.values()) // 4), category  # in turn, evenly
