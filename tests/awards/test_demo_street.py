"""The demo street shows both levels of honours: each community's published round of the year, and the street's
round whose shortlist is their winners, taken forward (推荐上报), so the street journey can be shown on demo
data."""

from __future__ import annotations

import pytest
from django.test import Client

from awards import demo
from awards.models import AwardRound, Honour, Nomination, NominationStatus
from awards.services import forwardable_honours
from families import demo as families_demo
from families.models import Community

pytestmark = pytest.mark.django_db


def test_each_community_publishes_and_the_street_round_takes_their_winners_forward(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    families_demo.seed(households=120)
    demo.seed(households=120)
    communities = list(Community.objects.order_by("sort_order"))
    assert len(communities) == 3

    for community in communities:
        round = AwardRound.objects.get(community=community, published_at__isnull=False)
        honours = Honour.objects.published().filter(round=round).select_related("building__grid")
        assert honours.count() >= 4  # winners of 身边好人 and of 五好家庭
        assert {honour.building.grid.community_id for honour in honours} == {community.pk}  # its own people

    street = AwardRound.objects.get(community__isnull=True, entries__takes_forward=True)
    entry = street.entries.get(takes_forward=True)
    candidates = Nomination.objects.filter(entry=entry).select_related("forwarded_from__round")
    assert street.under_review() and entry.category.name == "身边好人"
    assert sorted(n.forwarded_from_id for n in candidates) == sorted(h.pk for h in forwardable_honours(entry))
    assert {n.forwarded_from.round.community_id for n in candidates} == {c.pk for c in communities}
    assert all(n.status == NominationStatus.SHORTLISTED for n in candidates)
    page = Client().get(f"/rounds/{street.pk}/").content.decode()
    assert "本轮候选由各社区推荐上报" in page and all(c.name in page for c in communities)

    counts = (AwardRound.objects.count(), Nomination.objects.count(), Honour.objects.count())
    demo.seed(households=120)  # idempotent
    assert counts == (AwardRound.objects.count(), Nomination.objects.count(), Honour.objects.count())
