"""The database keeps the grid tree whole (a trigger, families 0013): a second-level grid's parent is a first-level
grid of the same community, and a first-level grid with second-level grids stays first-level in their community.
A raw ORM write that breaks it is an IntegrityError on SQLite and on PostgreSQL (run the suite on both); the
organizer's form, the admin and the service say it in words, and nothing changes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from families.models import CommunityAssignment, Grid
from families.services import RegisterError, save_register_object
from project.access import make_organizer
from project.models import AuditEntry
from tests.factories import CommunityFactory, GridFactory, UserFactory
from tests.tokens import token

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    east, west = CommunityFactory(name="东社区"), CommunityFactory(name="西社区")
    first = GridFactory(community=east, name="东一网格")
    sub = GridFactory(community=east, parent=first, level=Grid.SECOND, name="东一网格甲组")
    other_sub = GridFactory(community=east, parent=first, level=Grid.SECOND, name="东一网格乙组")
    west_first = GridFactory(community=west, name="西一网格")
    plain = GridFactory(community=east, name="东二网格")  # first-level, not divided
    return {
        "east": east,
        "west": west,
        "first": first,
        "sub": sub,
        "other_sub": other_sub,
        "west_first": west_first,
        "plain": plain,
    }


def _refused(write) -> None:
    with pytest.raises(IntegrityError, match="grid_tree"), transaction.atomic():
        write()


def test_raw_writes_that_break_the_tree_are_refused_by_the_database(tree):
    grids = Grid.objects
    # A second-level grid put under another community's first-level grid, or into another community.
    _refused(lambda: grids.filter(pk=tree["sub"].pk).update(parent=tree["west_first"]))
    _refused(lambda: grids.filter(pk=tree["sub"].pk).update(community=tree["west"]))
    # A second-level grid under a second-level grid, or under itself.
    _refused(lambda: grids.filter(pk=tree["sub"].pk).update(parent=tree["other_sub"]))
    _refused(lambda: grids.filter(pk=tree["sub"].pk).update(parent=tree["sub"]))
    # A divided first-level grid moved to another community (its second-level grids left behind), or put under
    # another grid.
    _refused(lambda: grids.filter(pk=tree["first"].pk).update(community=tree["west"]))
    _refused(lambda: grids.filter(pk=tree["first"].pk).update(parent=tree["plain"], level=Grid.SECOND))
    # A new second-level grid in another community's first-level grid, one at a time or in bulk.
    _refused(lambda: grids.create(community=tree["west"], parent=tree["first"], level=Grid.SECOND, name="错组"))
    _refused(
        lambda: grids.bulk_create([Grid(community=tree["west"], parent=tree["first"], level=Grid.SECOND, name="错")])
    )
    assert sorted(grids.values_list("name", "parent__name", "community__name")) == sorted(
        [
            ("东一网格", None, "东社区"),
            ("东一网格甲组", "东一网格", "东社区"),
            ("东一网格乙组", "东一网格", "东社区"),
            ("西一网格", None, "西社区"),
            ("东二网格", None, "东社区"),
        ]
    )


def test_writes_that_keep_the_tree_whole_still_go_through(tree):
    Grid.objects.create(community=tree["east"], parent=tree["first"], level=Grid.SECOND, name="东一网格丙组")
    Grid.objects.filter(pk=tree["sub"].pk).update(name="东一网格一组", sort_order=3)
    Grid.objects.filter(pk=tree["plain"].pk).update(community=tree["west"])  # no second-level grids to leave
    Grid.objects.filter(pk=tree["plain"].pk).update(parent=tree["west_first"], level=Grid.SECOND)
    assert Grid.objects.get(pk=tree["plain"].pk).parent == tree["west_first"]


def test_the_service_says_it_in_words_and_writes_nothing(tree):
    _client, actor = _street_client()
    wrong = Grid(community=tree["west"], parent=tree["first"], level=Grid.SECOND, name="错组")
    with pytest.raises(RegisterError, match="二级网格只能属于本社区的一级网格"):
        save_register_object(obj=wrong, fields=["name"], actor=actor, action="grid.created")
    assert not Grid.objects.filter(name="错组").exists()
    assert not AuditEntry.objects.filter(action="grid.created").exists()


def _street_client(language="en") -> tuple[Client, object]:
    user = UserFactory()
    make_organizer(user=user)
    CommunityAssignment.objects.create(user=user, community=None)
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client, user


def test_the_organizer_form_gives_a_message_for_a_forged_parent_not_a_500(tree):
    client, user = _street_client("zh-hans")
    before = Grid.objects.count()
    for parent in (tree["sub"], tree["sub"].pk + 1000):  # a second-level grid, a grid that is not there
        data = {"community": tree["west"].pk, "parent": getattr(parent, "pk", parent), "name": "新组", "sort_order": 0}
        response = client.post("/organize/register/grids/new/", {**data, **token(user, "families.grid_new")})
        assert response.status_code == 200
        assert 'class="errorlist' in response.content.decode()
    assert Grid.objects.count() == before
    # A divided grid's edit: its place cannot be changed from the form (a grid stays where it was made).
    data = {"community": tree["west"].pk, "parent": tree["west_first"].pk, "name": "东一网格", "sort_order": 0}
    response = client.post(f"/organize/register/grids/{tree['first'].pk}/", data)
    assert response.status_code in (200, 302)
    tree["first"].refresh_from_db()
    assert (tree["first"].community, tree["first"].parent) == (tree["east"], None)


def test_the_admin_says_why_a_divided_grid_cannot_move(tree, admin_client):
    admin_client.cookies["django_language"] = "en"
    url = f"/admin/families/grid/{tree['first'].pk}/change/"
    base = {"name": "东一网格", "worker_name": "", "sort_order": 0}
    response = admin_client.post(url, {**base, "community": tree["west"].pk, "parent": ""})
    assert response.status_code == 200
    assert "keeps the community of its second-level grids" in response.content.decode()
    response = admin_client.post(url, {**base, "community": tree["east"].pk, "parent": tree["plain"].pk})
    assert response.status_code == 200
    assert "stays a first-level grid" in response.content.decode()
    tree["first"].refresh_from_db()
    assert (tree["first"].community, tree["first"].parent) == (tree["east"], None)
