"""推荐上报 tells people: when a street round takes a community's published winner onto its shortlist, the winner's
people (the person, or the household's verified members) and the original nominator get a notice saying which
round, which category and when voting opens. Once per forwarded winner, however often and however concurrently
``take_forward`` runs; by email only to those who did not opt out."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from awards import services
from awards.models import Nomination, NoticeKind, TargetKind
from families.models import CommunityAssignment, Resident
from project.access import make_organizer
from project.models import Notice, NoticeSettings, OutboxMessage
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.awards.test_races import _run_in_threads
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    verified_user,
)


def _street_office():
    office = UserFactory()
    make_organizer(user=office)
    CommunityAssignment.objects.create(user=office, community=None)
    return office


def _home(community):
    return HouseholdFactory(building=BuildingFactory(grid=GridFactory(community=community)))


def _published_winner(community, category, *, target, nominator):
    """A community round of 2026, published, whose one winner of ``category`` is ``target``."""
    round = make_round("publishing", community=community, title=f"{community.name}年度评选")
    entry = round.entries.create(category=category, winners=1, votes_per_voter=1)
    make_nomination(entry, target=target, nominator=nominator, is_winner=True)
    services.publish_round(round=round, actor=_street_office())


def _street_round(kind=TargetKind.PERSON, **kwargs):
    street = make_round("reviewing", community=None, title="街道十佳身边好人", **kwargs)
    return make_entry(street, kind, name="身边好人", takes_forward=True, winners=1, votes_per_voter=1)


def _person(community, username, name):
    user = verified_user(_home(community), username=username)
    Resident.objects.filter(user=user).update(full_name=name)
    return user, Resident.objects.get(user=user)


@pytest.fixture
def jia(db):
    return CommunityFactory(name="幸福里社区")


@pytest.fixture
def yi(db):
    return CommunityFactory(name="光明社区")


def test_the_winner_and_the_nominator_are_told_which_round_category_and_when_voting_opens(jia, yi):
    entry = _street_round()
    winner_user, winner = _person(jia, "zhang", "张秀英")
    nominator_user, nominator = _person(jia, "wang", "王大妈")
    other_user, other = _person(yi, "li", "李建国")
    _published_winner(jia, entry.category, target=winner, nominator=nominator)
    _published_winner(yi, entry.category, target=other, nominator=other)  # nominated themselves: one notice
    NoticeSettings.objects.create(user=nominator_user, by_email=False)  # on the site only

    services.take_forward(entry=entry, actor=_street_office())

    opens = timezone.localtime(entry.round.voting_open_at).strftime("%Y-%m-%d %H:%M")  # in Asia/Shanghai
    told = Notice.objects.filter(kind=NoticeKind.TAKEN_FORWARD)
    assert sorted(told.values_list("user__username", flat=True)) == ["li", "wang", "zhang"]
    notice = told.get(user=winner_user)
    candidate = Nomination.objects.get(entry=entry, resident=winner)
    assert notice.url == f"/nominations/{candidate.pk}/"
    assert notice.params["title"] == "街道十佳身边好人 · 身边好人"
    assert (notice.params["community"], notice.params["opens"]) == ("幸福里社区", opens)

    client = Client()
    client.force_login(winner_user)
    page = client.get("/notices/").content.decode()
    assert "已推荐上报街道评选" in page
    assert "幸福里社区将获评对象张秀英（" in page and "“街道十佳身边好人”的“身边好人”候选" in page
    assert f"投票将于 {opens} 开始" in page
    client.cookies["django_language"] = "en"
    page = client.get("/notices/").content.decode()
    assert "Recommended to the street&#x27;s round" in page and f"Voting opens on {opens}." in page

    # Email copies: to those with an address who did not opt out (the nominator opted out).
    emailed = set(OutboxMessage.objects.filter(kind=NoticeKind.TAKEN_FORWARD).values_list("user__username", flat=True))
    assert emailed == {"zhang", "li"}


def test_a_households_verified_members_are_told_when_it_is_taken_forward(jia):
    entry = _street_round(TargetKind.HOUSEHOLD)
    home = _home(jia)
    first, second = verified_user(home, username="mum"), verified_user(home, username="son")
    ResidentFactory(household=home, status=Resident.Status.PENDING, user=UserFactory(username="asking"))
    nominator_user, nominator = _person(jia, "neighbour", "邻居")
    _published_winner(jia, entry.category, target=home, nominator=nominator)

    services.take_forward(entry=entry, actor=_street_office())

    told = set(Notice.objects.filter(kind=NoticeKind.TAKEN_FORWARD).values_list("user__username", flat=True))
    assert told == {first.username, second.username, nominator_user.username}  # not the one still asking to join


def test_taking_forward_twice_tells_each_person_once_and_a_late_winner_alone(jia, yi):
    entry = _street_round()
    _user, winner = _person(jia, "zhang", "张秀英")
    _published_winner(jia, entry.category, target=winner, nominator=winner)
    office = _street_office()

    services.take_forward(entry=entry, actor=office)
    services.take_forward(entry=entry, actor=office)
    assert Notice.objects.filter(kind=NoticeKind.TAKEN_FORWARD).count() == 1

    # A community that publishes later: the next run tells its winner, and nobody else again.
    _late_user, late = _person(yi, "li", "李建国")
    _published_winner(yi, entry.category, target=late, nominator=late)
    services.take_forward(entry=entry, actor=office)
    told = list(Notice.objects.filter(kind=NoticeKind.TAKEN_FORWARD).values_list("user__username", flat=True))
    assert sorted(told) == ["li", "zhang"]


def test_the_unique_key_holds_even_without_the_rounds_lock(jia):
    """Abuse: the notice written for the same forwarded honour a second time (a path that skipped the lock, or a
    nomination written again) is refused by the unique key, not by luck."""
    entry = _street_round()
    _user, winner = _person(jia, "zhang", "张秀英")
    _published_winner(jia, entry.category, target=winner, nominator=winner)
    services.take_forward(entry=entry, actor=_street_office())
    candidate = Nomination.objects.select_related("forwarded_from__nomination__nominator__user").get(entry=entry)
    services._notify_taken_forward(candidate, round=entry.round, entry=entry)
    assert Notice.objects.filter(kind=NoticeKind.TAKEN_FORWARD).count() == 1


def test_a_draft_rounds_notice_does_not_link_to_a_page_residents_cannot_read_yet(jia):
    entry = _street_round(announced=False)
    user, winner = _person(jia, "zhang", "张秀英")
    _published_winner(jia, entry.category, target=winner, nominator=winner)
    services.take_forward(entry=entry, actor=_street_office())
    notice = Notice.objects.get(kind=NoticeKind.TAKEN_FORWARD, user=user)
    assert notice.url == "" and notice.params["round"] == "街道十佳身边好人"


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_two_organizers_taking_forward_at_once_tell_each_person_once(postgres):
    jia, yi = CommunityFactory(name="幸福里社区"), CommunityFactory(name="光明社区")
    entry = _street_round()
    for community, username in ((jia, "zhang"), (yi, "li")):
        _user, winner = _person(community, username, username)
        _published_winner(community, entry.category, target=winner, nominator=winner)
    offices = [_street_office() for _ in range(8)]
    outcomes = _run_in_threads(
        [lambda office=office: services.take_forward(entry=entry, actor=office) for office in offices]
    )
    added = [len(outcome) for outcome in outcomes]
    assert sorted(added) == [0] * 7 + [2]
    assert Nomination.objects.filter(entry=entry).count() == 2
    told = list(Notice.objects.filter(kind=NoticeKind.TAKEN_FORWARD).values_list("user__username", flat=True))
    assert sorted(told) == ["li", "zhang"]
