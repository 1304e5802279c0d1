"""Rounds by place (#17, #18): a community's round is its residents' alone; a street round is everyone's.

The story: 幸福里 (community A, where the ``resident`` fixture lives) and 光明 (community B). A resident of A
cannot see, nominate, second, vote or object in B's round: every round URL with B's ids is a 404 to them. Their
organizers run their own community's rounds; the street office runs the street's, which may take forward each
community's published winners (推荐上报).
"""

from __future__ import annotations

import itertools

import pytest
from django.test import Client
from django.utils import translation

from awards import services
from awards.models import AwardRound, Nomination, NominationStatus, Objection, TargetKind
from families.models import CommunityAssignment, Resident
from project import formtokens
from project.access import make_organizer
from project.models import AuditEntry
from tests import paper
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    make_grid_worker,
    verified_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages in English, so the refusals can be matched (pages still follow the request's language)."""
    with translation.override("en"):
        yield


B_SECRET = "光明社区的秘密候选人"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def community_b(db):
    return CommunityFactory(name="光明社区", committee_name="光明社区居民委员会")


@pytest.fixture
def b_household(community_b):
    return HouseholdFactory(building=BuildingFactory(grid=GridFactory(community=community_b), name="光明楼"))


@pytest.fixture
def b_resident(b_household):
    return verified_user(b_household, username="b_resident")


_kinds = itertools.count(1)


def _round_of(community, phase: str):
    round = make_round(phase, community=community, title=f"{community.name}好人评选")
    entry = make_entry(round, TargetKind.PERSON, name=f"{community.name}好人{next(_kinds)}")
    households = HouseholdFactory.create_batch(2, building=BuildingFactory(grid=GridFactory(community=community)))
    winner = make_nomination(
        entry,
        target=ResidentFactory(household=households[0], full_name=B_SECRET),
        nominator=ResidentFactory(household=households[1]),
    )
    return round, entry, winner


@pytest.fixture
def b_round(community_b):
    """B's round in the voting phase, with a shortlisted nomination and an objection."""
    round, entry, nomination = _round_of(community_b, "voting")
    Objection.objects.create(round=round, nomination=nomination, resident=nomination.nominator, text="这是一条异议内容")
    return round, entry, nomination


def _round_paths(round, entry, nomination) -> list[str]:
    """Every resident-facing and organizer URL of one round, with the round's own ids."""
    r, e, n = round.pk, entry.pk, nomination.pk
    o = round.objections.first().pk
    return [
        f"/rounds/{r}/",
        f"/rounds/{r}/nominations/",
        f"/rounds/{r}/nominate/",
        f"/rounds/{r}/objection/",
        f"/nominations/{n}/",
        f"/nominations/{n}/second/",
        f"/nominations/{n}/withdraw/",
        f"/nominations/{n}/decline/",
        f"/nominations/{n}/vote/",
        f"/nominations/{n}/vote/withdraw/",
        f"/organize/rounds/{r}/",
        f"/organize/rounds/{r}/edit/",
        f"/organize/rounds/{r}/categories/new/",
        f"/organize/rounds/{r}/categories/{e}/",
        f"/organize/rounds/{r}/categories/{e}/take-forward/",
        f"/organize/rounds/{r}/nominations/",
        f"/organize/nominations/{n}/review/",
        f"/organize/nominations/{n}/link/",
        f"/organize/nominations/{n}/citation/",
        f"/organize/rounds/{r}/close-voting/",
        f"/organize/rounds/{r}/paper/{e}/",
        f"/organize/rounds/{r}/confirm/",
        f"/organize/objections/{o}/answer/",
        f"/organize/rounds/{r}/publish/",
        f"/organize/rounds/{r}/results.csv",
        f"/organize/rounds/{r}/notice.pdf",
    ]


def _sweep(client, paths) -> list[tuple]:
    """Every path by GET and POST; what came back other than a refusal (403/404/405) or a 'log in first'."""
    let_in = []
    for path in paths:
        for method in ("get", "post"):
            response = getattr(client, method)(path, {"text": "这是一条异议内容", "entry": "1", "answer": "答复"})
            assert response.status_code < 500, (method, path)
            if response.status_code not in (403, 404, 405):
                let_in.append((method, path, response.status_code))
            body = response.content.decode("utf-8", "replace") if not response.streaming else ""
            assert B_SECRET not in body, (method, path)
    return let_in


def test_a_resident_of_another_community_finds_nothing_of_its_round_at_any_url(resident, b_round, b_resident):
    paths = _round_paths(*b_round)
    before = (Nomination.objects.count(), Objection.objects.count(), b_round[0].votes.count())
    client = _client(resident)
    let_in = _sweep(client, paths)
    # Resident pages are a 404 (405 for the wrong method); organizer pages the organizer area's 403, as for any
    # resident.
    assert not let_in
    for path in paths:
        if not path.startswith("/organize/"):
            statuses = {client.get(path).status_code, client.post(path).status_code}
            assert 404 in statuses and statuses <= {404, 405}, path
    assert (Nomination.objects.count(), Objection.objects.count(), b_round[0].votes.count()) == before
    # The list leaves it out; B's own resident sees it and may vote in it.
    assert "光明社区好人评选" not in client.get("/rounds/").content.decode()
    b_client = _client(b_resident)
    assert "光明社区好人评选" in b_client.get("/rounds/").content.decode()
    assert b_client.get(f"/rounds/{b_round[0].pk}/").status_code == 200
    b_client.post(f"/nominations/{b_round[2].pk}/vote/")
    assert b_round[0].votes.count() == 1


def test_visitors_see_every_communitys_announced_rounds_but_cannot_take_part(client, b_round):
    assert "光明社区好人评选" in client.get("/rounds/").content.decode()
    assert client.get(f"/rounds/{b_round[0].pk}/").status_code == 200
    assert client.post(f"/nominations/{b_round[2].pk}/vote/").status_code == 302  # log in first


def test_the_services_refuse_a_resident_of_another_community_too(resident, community_b, b_household):
    """The pages answer 404 first; the services hold the same rule for anything that calls them."""
    me = Resident.objects.get(user=resident)
    round, entry, nomination = _round_of(community_b, "voting")
    with pytest.raises(Nomination.DoesNotExist):
        services.cast_vote(nomination=nomination, resident=me)
    nominating, entry, nomination = _round_of(community_b, "nominating")
    with pytest.raises(services.AwardError):
        services.second_nomination(nomination=nomination, resident=me)
    with pytest.raises(services.AwardError, match="another community"):
        services.nominate(
            entry=entry,
            nominator=me,
            building=b_household.building,
            household=b_household,
            typed_name="某某",
            citation="多年来坚持每天清扫楼道，冬天为独居老人送饭送菜。",
        )
    publicity, _entry, winner = _round_of(community_b, "publicity")
    with pytest.raises(services.AwardError, match="another community"):
        services.file_objection(round=publicity, resident=me, nomination=None, text="我对这次结果有异议。")


def test_a_community_round_nominates_its_own_residents_only(resident, community_b, b_resident, household):
    """Abuse: a resident of B nominating someone of community A into B's round."""
    round, entry, _n = _round_of(community_b, "nominating")
    me = Resident.objects.get(user=b_resident)
    with pytest.raises(services.AwardError, match="community"):
        services.nominate(
            entry=entry,
            nominator=me,
            building=household.building,
            household=household,
            resident=Resident.objects.get(user=resident),
            citation="多年来坚持每天清扫楼道，冬天为独居老人送饭送菜。",
        )
    page = _client(b_resident).get(f"/rounds/{round.pk}/nominate/").content.decode()
    assert household.building.name not in page and "光明楼" not in page or household.building.name not in page


def test_a_street_round_is_voted_on_by_every_community(resident, b_resident):
    round, entry, nomination = _round_of(CommunityFactory(name="和平社区"), "voting")
    round.community = None
    round.save()
    for user in (resident, b_resident):
        services.cast_vote(nomination=nomination, user=user)
    assert round.votes.count() == 2
    assert round.voting_reach()["eligible"] == Resident.objects.verified().count()
    own = make_round("voting", community=Resident.objects.get(user=resident).household.building.grid.community)
    assert own.voting_reach()["eligible"] < Resident.objects.verified().count()


# --- Organizers ---------------------------------------------------------------------------------------------------


@pytest.fixture
def a_organizer(resident):
    user = UserFactory(username="a_organizer")
    make_organizer(user=user)
    community_a = Resident.objects.get(user=resident).household.building.grid.community
    CommunityAssignment.objects.create(user=user, community=community_a)
    return user


def _desk_paths(b_round) -> list[str]:
    """The organizer URLs (the public round pages read for organizers as for visitors: no secrets before the
    results are public, and the sweep checks that B's candidate is never on them)."""
    return [path for path in _round_paths(*b_round) if path.startswith("/organize/")]


def test_a_community_organizer_finds_nothing_of_another_communitys_round(a_organizer, b_round):
    let_in = _sweep(_client(a_organizer), _desk_paths(b_round))
    assert not let_in
    assert "光明社区好人评选" not in _client(a_organizer).get("/organize/rounds/").content.decode()


def test_a_grid_worker_finds_nothing_of_another_communitys_round(resident, b_round):
    worker = UserFactory(username="worker")
    make_organizer(user=worker)
    make_grid_worker(worker, Resident.objects.get(user=resident).household.building.grid)
    assert not _sweep(_client(worker), _desk_paths(b_round))
    assert _client(worker).get("/organize/rounds/new/").status_code == 403  # grid workers do not create rounds


def test_a_community_organizer_runs_their_own_round_and_reads_the_streets(a_organizer, resident):
    community_a = Resident.objects.get(user=resident).household.building.grid.community
    own, _e, _n = _round_of(community_a, "voting")
    street, _e2, _n2 = _round_of(CommunityFactory(), "voting")
    AwardRound.objects.filter(pk=street.pk).update(community=None)
    client = _client(a_organizer)
    assert client.get(f"/organize/rounds/{own.pk}/close-voting/").status_code == 200
    assert client.get(f"/organize/rounds/{street.pk}/").status_code == 200  # on the desk, to review their grids
    for path in (f"/organize/rounds/{street.pk}/close-voting/", f"/organize/rounds/{street.pk}/edit/"):
        assert client.get(path).status_code == 403, path
    listed = client.get("/organize/rounds/").content.decode()
    assert own.title in listed and street.title in listed


def test_the_round_form_offers_a_community_organizer_their_communities_only(a_organizer, resident, community_b):
    community_a = Resident.objects.get(user=resident).household.building.grid.community
    client = _client(a_organizer)
    page = client.get("/organize/rounds/new/").content.decode()
    assert community_a.name in page and community_b.name not in page
    fields = {
        "title": "越权评选",
        "year": "2026",
        "nominations_open_at": "2026-12-01 09:00",
        "nominations_close_at": "2026-12-05 09:00",
        "review_end_at": "2026-12-06 09:00",
        "voting_open_at": "2026-12-07 09:00",
        "voting_close_at": "2026-12-10 09:00",
        "publicity_end_at": "2026-12-15 09:00",
        "publication_at": "2026-12-16 09:00",
    }
    # Abuse: another community's round, or a street round, by a community organizer.
    for community in (str(community_b.pk), ""):
        response = client.post("/organize/rounds/new/", {**fields, "community": community, **token(a_organizer)})
        assert response.status_code == 200
        assert not AwardRound.objects.filter(title="越权评选").exists()
    client.post("/organize/rounds/new/", {**fields, "community": str(community_a.pk), **token(a_organizer)})
    assert AwardRound.objects.get(title="越权评选").community == community_a


def token(user) -> dict:
    return {formtokens.FIELD_NAME: formtokens.new_token(user, services.ROUND_FORM)}


def test_a_street_organizer_creates_a_street_round(organizer, organizer_client):
    organizer_client.post(
        "/organize/rounds/new/",
        {
            "title": "街道十佳身边好人",
            "year": "2026",
            "community": "",
            "nominations_open_at": "2026-12-01 09:00",
            "nominations_close_at": "2026-12-05 09:00",
            "review_end_at": "2026-12-06 09:00",
            "voting_open_at": "2026-12-07 09:00",
            "voting_close_at": "2026-12-10 09:00",
            "publicity_end_at": "2026-12-15 09:00",
            "publication_at": "2026-12-16 09:00",
            **token(organizer),
        },
    )
    round = AwardRound.objects.get(title="街道十佳身边好人")
    assert round.community is None and round.is_street_round


# --- Paper: who issues it -----------------------------------------------------------------------------------------


def test_a_street_rounds_certificate_is_issued_by_the_street_office(client, settings):
    settings.STREET_NAME = "和平街道办事处"
    round, entry, nomination = _round_of(CommunityFactory(), "publishing")
    AwardRound.objects.filter(pk=round.pk).update(community=None)
    Nomination.objects.filter(pk=nomination.pk).update(is_winner=True)
    organizer = UserFactory()
    from tests.factories import make_street_organizer

    make_street_organizer(organizer)
    honour = services.publish_round(round=AwardRound.objects.get(pk=round.pk), actor=organizer)[0]
    data = client.get(f"/honours/{honour.pk}/certificate.pdf").content
    text = paper.text(data).replace(" ", "")
    assert "和平街道办事处" in text and "居民委员会" not in text


# --- 推荐上报: going forward -----------------------------------------------------------------------------------------


def _published_community_round(community, category, name):
    round = make_round("publishing", community=community, title=f"{community.name}评选")
    entry = round.entries.create(category=category, winners=1, votes_per_voter=1)
    household = HouseholdFactory(building=BuildingFactory(grid=GridFactory(community=community)))
    winner = make_nomination(entry, target=ResidentFactory(household=household, full_name=name), is_winner=True)
    admin = UserFactory()
    make_organizer(user=admin)
    CommunityAssignment.objects.create(user=admin, community=None)
    services.publish_round(round=round, actor=admin)
    return winner


def test_a_street_round_takes_each_communitys_published_winners_once(organizer, organizer_client, community_b):
    a = CommunityFactory(name="幸福里社区")
    street = make_round("reviewing", community=None, title="街道十佳身边好人")
    entry = make_entry(street, TargetKind.PERSON, name="身边好人", takes_forward=True)
    _published_community_round(a, entry.category, "张秀英")
    _published_community_round(community_b, entry.category, "李建国")
    # Not taken: another year, another category, a withdrawn honour.
    other = make_entry(make_round("reviewing", community=a), TargetKind.PERSON, name="五好个人")
    _published_community_round(a, other.category, "王别类")

    url = f"/organize/rounds/{street.pk}/categories/{entry.pk}/take-forward/"
    assert "推荐上报" in organizer_client.get(f"/organize/rounds/{street.pk}/").content.decode()
    organizer_client.post(url)
    organizer_client.post(url)  # twice: nobody is added twice
    taken = Nomination.objects.filter(entry=entry)
    assert sorted(n.resident.full_name for n in taken) == ["张秀英", "李建国"]
    assert all(n.status == NominationStatus.SHORTLISTED and n.forwarded_from_id for n in taken)
    assert AuditEntry.objects.filter(action="awards.taken_forward").count() == 2
    page = Client().get(f"/rounds/{street.pk}/").content.decode()
    assert "本轮候选由各社区推荐上报" in page and "幸福里社区" in page and "光明社区" in page


def test_residents_do_not_nominate_in_a_category_the_communities_recommend(resident):
    street = make_round("nominating", community=None)
    entry = make_entry(street, TargetKind.PERSON, takes_forward=True)
    me = Resident.objects.get(user=resident)
    with pytest.raises(services.AwardError, match="recommend"):
        services.nominate(
            entry=entry,
            nominator=me,
            building=me.household.building,
            household=me.household,
            typed_name="某某",
            citation="多年来坚持每天清扫楼道，冬天为独居老人送饭送菜。",
        )


def test_only_a_street_round_takes_forward(organizer, community_b):
    """Abuse: a community round set to take forward (a crafted form) is refused by the service."""
    round = make_round("reviewing", community=community_b)
    entry = make_entry(round, TargetKind.PERSON)
    entry.takes_forward = True
    with pytest.raises(services.AwardError):
        services.save_entry(entry=entry, actor=organizer, created=False)
    with pytest.raises(services.AwardError):
        services.take_forward(entry=entry, actor=organizer)


def test_the_round_list_reads_a_constant_number_of_queries_for_a_resident(
    resident, community_b, django_assert_num_queries, django_assert_max_num_queries
):
    """Filtering by place is a condition in the same query: the count does not grow with rounds or communities."""
    client = _client(resident)
    make_round("voting", community=community_b)
    make_round("voting", community=None)
    client.get("/rounds/")
    with django_assert_max_num_queries(50) as small:
        client.get("/rounds/")
    for _ in range(5):
        make_round("voting", community=CommunityFactory())
        make_round("voting", community=None)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get("/rounds/").status_code == 200
