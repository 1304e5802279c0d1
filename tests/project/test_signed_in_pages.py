"""The pages residents use signed in (/me/, /points/, /activities/) cost the same number of queries whatever the
data, and the activity list reads the sign-up counts kept on each row (issue #15)."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities import services
from activities.models import Activity
from awards.models import TargetKind
from awards.services import cast_vote
from families.access import verified_membership
from project import publiccache
from tests.activities.factories import ActivityFactory, finished_activity, present
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(resident):
    """The signed-in resident's verified membership."""
    return resident.residencies.get()


def _queries(client, url: str) -> list[str]:
    publiccache.expire_all()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return [q["sql"] for q in captured]


_days_ago = count(1)  # one finished activity a day: a volunteer's confirmed hours are limited per day


def _grow(member, organizer, size: int) -> None:
    """``size`` more of everything a resident's pages show: sign-ups (theirs and others'), confirmed hours,
    points, votes and nominations in an open round."""
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=size)
    for _ in range(size):
        activity = ActivityFactory()
        services.sign_up(activity=activity, resident=member)
        services.sign_up(activity=activity, resident=ResidentFactory())
        finished = finished_activity(starts_in=-timedelta(days=next(_days_ago)))
        services.confirm_hours(signup=present(finished, member), actor=organizer)
        services.confirm_hours(signup=present(finished, ResidentFactory()), actor=organizer)
        cast_vote(nomination=make_nomination(entry), resident=member)


@pytest.mark.parametrize("url_name", ["families:me", "activities:leaderboard", "activities:list", "activities:mine"])
def test_a_signed_in_page_costs_the_same_queries_at_two_sizes(url_name, resident_client, member, organizer):
    url = reverse(url_name)
    _grow(member, organizer, 1)
    resident_client.get(url)  # what the page shares with everyone (fragments) is kept after the first view
    small = _queries(resident_client, url)
    _grow(member, organizer, 6)
    resident_client.get(url)
    assert len(_queries(resident_client, url)) == len(small)


def test_the_signed_in_activity_list_counts_no_sign_ups(resident_client, member, organizer):
    _grow(member, organizer, 3)
    queries = _queries(resident_client, reverse("activities:list"))
    counting = [sql for sql in queries if "COUNT(" in sql.upper() and '"activities_signup"' in sql]
    assert counting == []


def test_the_shared_activity_cards_carry_each_residents_own_status(
    resident_client, neighbour_client, neighbour, member
):
    """The cards are rendered once and shared; whether the reader is signed up is filled in per request."""
    full = ActivityFactory(title="只有一个名额", capacity=1)
    services.sign_up(activity=full, resident=member)
    waiting = services.sign_up(activity=full, resident=ResidentFactory())
    assert waiting.status == "waitlisted"
    url = reverse("activities:list")
    mine = resident_client.get(url).content.decode()
    theirs = neighbour_client.get(url).content.decode()
    assert "只有一个名额" in mine and "只有一个名额" in theirs
    assert "您已报名" in mine and "您已报名" not in theirs
    assert "my-status" not in mine and "my-status" not in theirs
    services.sign_up(activity=full, resident=verified_membership(neighbour))
    assert "您在候补名单上" in neighbour_client.get(url).content.decode()


def test_the_activity_cards_are_rendered_once_and_shared_between_residents(resident_client, neighbour_client):
    activity = ActivityFactory(title="第一次的标题")
    url = reverse("activities:list")
    assert "第一次的标题" in resident_client.get(url).content.decode()
    Activity.objects.filter(pk=activity.pk).update(title="改过的标题")  # behind the services: nothing refreshed
    assert "第一次的标题" in neighbour_client.get(url).content.decode()
    publiccache.clear()  # as a bump of the public version does, after commit
    assert "改过的标题" in neighbour_client.get(url).content.decode()


def _warm_queries(client, url: str) -> list[str]:
    """The queries of a second view, once the page's shared fragments are kept."""
    assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return [q["sql"] for q in captured]


def test_a_shared_activity_list_reads_no_activities_per_request(resident_client, member, organizer):
    """The count and the cards (with the ids in their marks) are shared: a request reads only the reader's own
    sign-ups among the cards shown."""
    _grow(member, organizer, 3)
    queries = _warm_queries(resident_client, reverse("activities:list"))
    assert [sql for sql in queries if 'FROM "activities_activity"' in sql] == []
    assert len([sql for sql in queries if 'FROM "activities_signup"' in sql]) == 1


def test_the_header_counts_unread_notices_in_the_query_that_loads_the_user(resident_client, resident):
    from project.notices import notify

    notify(users=[resident], kind="household_joined", params={"name": "甲"})
    url = reverse("activities:leaderboard")
    queries = _warm_queries(resident_client, url)
    assert [sql for sql in queries if "project_notice" in sql and "auth_user" not in sql] == []
    assert '<span class="badge warn">1<' in resident_client.get(url).content.decode().split("</header>")[0]


def test_the_ballot_reads_its_nominations_off_the_shared_cards(resident_client, member):
    """Per request the ballot reads the round, its categories and the reader's votes; the nominations (ids,
    categories, nominators and targets) come from the shared cards' marks."""
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=2)
    for _ in range(5):
        make_nomination(entry)
    queries = _warm_queries(resident_client, reverse("awards:candidates", args=[entry.round.pk]))
    assert [sql for sql in queries if 'FROM "awards_nomination"' in sql] == []
