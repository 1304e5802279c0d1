"""The one rule for who sees a round (``AwardRound.objects.visible_to``), and its form for a round in hand
(``AwardRound.seen_by``, which the ballot asks so as not to run the rule's subquery): the same answer for every
kind of reader and every kind of round, on both databases."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from awards.models import AwardRound
from families.models import CommunityAssignment
from project.access import make_organizer
from tests.awards.factories import make_entry, make_round
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    make_grid_worker,
    make_street_organizer,
    verified_user,
)

pytestmark = pytest.mark.django_db


def test_a_round_in_hand_is_seen_by_exactly_whom_the_rule_shows_it_to():
    a, b = CommunityFactory(name="幸福里"), CommunityFactory(name="光明")
    grid_a = GridFactory(community=a)
    home_a = HouseholdFactory(building=BuildingFactory(grid=grid_a))
    home_b = HouseholdFactory(building=BuildingFactory(grid=GridFactory(community=b)))
    community_organizer = UserFactory()
    make_organizer(user=community_organizer)
    CommunityAssignment.objects.create(user=community_organizer, community=a)
    grid_worker = UserFactory()
    make_organizer(user=grid_worker)
    placeless = UserFactory()
    make_organizer(user=placeless)
    readers = {
        "visitor": AnonymousUser(),
        "no household": UserFactory(),
        "resident of A": verified_user(home_a),
        "resident of B": verified_user(home_b),
        "street organizer": make_street_organizer(UserFactory()),
        "community organizer of A": community_organizer,
        "grid worker in A": make_grid_worker(grid_worker, grid_a),
        "organizer without a place": placeless,
    }
    rounds = {
        f"{place} {'announced' if announced else 'draft'}": make_round(
            "voting", announced=announced, community=community
        )
        for (place, community), announced in itertools.product(
            [("street", None), ("A", a), ("B", b)], [True, False]
        )
    }
    for round in rounds.values():
        make_entry(round)
    seen = {}
    for (who, user), (what, round) in itertools.product(readers.items(), rounds.items()):
        rule = AwardRound.objects.visible_to(user).filter(pk=round.pk).exists()
        assert round.seen_by(user) is rule, f"{who} / {what}"
        seen[who, what] = rule
    # The rule itself, as the issue states it: a resident never sees another community's round.
    assert not seen["resident of A", "B announced"] and seen["resident of A", "A announced"]
    assert seen["resident of B", "street announced"] and not seen["resident of B", "street draft"]
    assert seen["street organizer", "B draft"]


def test_another_communitys_ballot_is_a_404(resident_client, db):
    other = CommunityFactory(name="光明")
    round = make_round("voting", community=other)
    make_entry(round)
    assert resident_client.get(f"/rounds/{round.pk}/nominations/").status_code == 404
