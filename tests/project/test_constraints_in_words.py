"""Each form that a database constraint can refuse says why in words: sent at the constraint's edges, its answer names
no constraint, and nothing is written. Constraint names are read from the models, so a new one is checked here too."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client

from awards.models import RoundCategory
from tests.project.test_access_sweep import row_counts
from tests.project.test_one_effect import new_activity, new_household, new_round_category, new_store_item
from tests.tokens import FIELD, page_token

pytestmark = pytest.mark.django_db


def _constraint_names() -> set[str]:
    return {
        constraint.name
        for app in ("families", "awards", "activities", "project")
        for model in apps.get_app_config(app).get_models()
        for constraint in model._meta.constraints
    }


def _edge(posting, **changes):
    data = {**posting.data(), **changes}
    client = Client()
    client.force_login(posting.user)
    return client, posting.url, data


def _edges():
    """(name, builder, fields at the edge, what the answer says)."""
    return [
        ("no winners", new_round_category, {"winners": "0"}, "至少"),
        ("no votes", new_round_category, {"votes_per_voter": "0"}, "至少"),
        ("a category twice", new_round_category, {}, "已在本次评选中"),
        ("no capacity", new_activity, {"capacity": "0"}, ""),
        ("no points", new_activity, {"points_per_hour": "-1"}, ""),
        ("ends before it starts", new_activity, {"ends_at": "2020-01-01T08:00"}, ""),
        ("free item", new_store_item, {"price": "0"}, ""),
        ("negative stock", new_store_item, {"stock": "-1"}, ""),
        ("a door twice", new_household, {}, ""),
    ]


@pytest.mark.parametrize("name,builder,changes,says", _edges(), ids=[edge[0] for edge in _edges()])
def test_a_form_at_a_constraint_edge_says_why_in_words_and_writes_nothing(name, builder, changes, says):
    posting = builder()
    client, url, data = _edge(posting, **changes)
    if name == "a category twice":
        RoundCategory.objects.create(
            round_id=int(url.split("/")[3]), category_id=data["category"], winners=1, votes_per_voter=1
        )
    if name == "a door twice":
        client.post(url, {**data, FIELD: page_token(client.get(posting.page))})  # the first household at that door
    before = row_counts()
    response = client.post(url, {**data, FIELD: page_token(client.get(posting.page))})
    text = response.content.decode()
    assert response.status_code == 200, "the form comes back with its message"
    assert not [constraint for constraint in _constraint_names() if constraint in text]
    assert 'class="errorlist' in text
    assert says in text
    assert row_counts() == before


def test_the_edges_cover_every_check_constraint_a_form_can_reach():
    reachable = {
        "round_category_once",
        "round_category_at_least_one_winner",
        "round_category_at_least_one_vote",
        "activity_ends_after_start",
        "activity_capacity_at_least_one",
        "activity_points_per_hour_sane",
        "store_item_stock_never_negative",
        "store_item_price_positive",
        "household_unique_door_per_building",
    }
    assert reachable <= _constraint_names()
