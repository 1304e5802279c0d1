"""Every watched model, every cached page: a change re-renders the pages that show it and no other.

The walk is generic: the models come from the public cache's registry and the
pages from the URL map (every view under ``cache_public_page``). A model that
becomes watched, or a page that becomes cached, without a row or a URL here
fails the coverage tests below, so the walk cannot silently skip it.

A page is "re-rendered" when answering it runs SQL; served from the cache, an
anonymous page runs none. A resident's own page (/me/, kept per reader) is walked
the same way, as its reader: re-rendered, it runs more statements than its kept
copy does.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from activities import services as activity_services
from activities.models import Activity, ActivityType, LedgerEntry, Redemption, Signup, StoreItem
from awards.models import (
    AwardCategory,
    AwardRound,
    CitationRevision,
    Correction,
    Honour,
    Nomination,
    Objection,
    RoundCategory,
    Vote,
)
from awards.services import cast_vote
from families.freshness import MY_ACCOUNT, MY_HOUSEHOLD, MY_PAGE
from families.models import Building, Community, FamilyMotto, Grid, Household, MottoRevision, Resident
from families.services import review_motto, save_profile_name, set_motto_consent, submit_motto
from project import publiccache
from project.models import Profile
from tests.activities.factories import ActivityFactory, StoreItemFactory
from tests.awards.board_factories import HonourFactory
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _world() -> dict:
    """One public row of every watched model, so that every cached page renders (status 200)."""
    organizer = UserFactory(is_staff=True)
    member = UserFactory()
    resident = ResidentFactory(user=member, show_name_publicly=True, household__show_publicly=True)
    household = resident.household
    revision = submit_motto(household=household, author=member, text="孝敬父母，勤俭持家。")
    review_motto(revision=revision, reviewer=organizer, approve=True)
    motto = set_motto_consent(household=household, show=True, actor=member)
    activity, other_activity = ActivityFactory(), ActivityFactory()
    signup = activity_services.sign_up(activity=activity, resident=resident)
    entry = activity_services.record_entry(
        resident=resident, kind=LedgerEntry.Kind.AWARDED, amount=5, source="测试", idempotency_key="walk:1"
    )
    round = make_round("publicity")
    round_entry = make_entry(round)
    nomination = make_nomination(round_entry, target=resident, is_winner=True)
    honour = HonourFactory(person_target=True, resident=resident, household=household, building=household.building)
    ballot = make_entry(make_round("voting"))
    return {
        "organizer": organizer,
        "member": member,
        Profile: save_profile_name(user=member, full_name="走查人"),
        Vote: cast_vote(nomination=make_nomination(ballot), resident=resident),
        Redemption: activity_services.redeem(resident=resident, item=StoreItemFactory(price=1)),
        Community: household.building.grid.community,
        Grid: household.building.grid,
        Building: household.building,
        Household: household,
        Resident: resident,
        FamilyMotto: motto,
        MottoRevision: revision,
        ActivityType: activity.type,
        Activity: activity,
        "other activity": other_activity,
        Signup: signup,
        LedgerEntry: entry,
        StoreItem: StoreItemFactory(),
        AwardRound: round,
        RoundCategory: round_entry,
        AwardCategory: round_entry.category,
        Nomination: nomination,
        CitationRevision: CitationRevision.objects.create(
            nomination=nomination, old_citation="旧", new_citation=nomination.citation, reason="改错字"
        ),
        Objection: Objection.objects.create(round=round, nomination=nomination, resident=resident, text="有异议"),
        Honour: honour,
        Correction: Correction.objects.create(round=round, honour=honour, summary="更正", reason="错别字"),
    }


def _change(model, world):
    """Change one row of ``model`` the way the site does; return the changed row."""
    if model is LedgerEntry:  # append-only: a change is a new entry
        return activity_services.record_entry(
            resident=world[Resident], kind=LedgerEntry.Kind.AWARDED, amount=1, source="测试", idempotency_key="walk:2"
        )
    row = world[model]
    if model is MottoRevision:  # append-only but for its review
        row.save(update_fields=sorted(MottoRevision.REVIEW_FIELDS))
    else:
        row.save()
    return row


def _pages(world) -> list[str]:
    """A URL for each cached page; per-object pages for the world's rows."""
    return [
        "/",
        "/mottos/",
        "/buildings/",
        f"/buildings/{world[Building].pk}/",
        "/rounds/",
        f"/rounds/{world[AwardRound].pk}/",
        "/honours/",
        f"/honours/{world[Honour].pk}/",
        f"/honours/{world[Honour].pk}/certificate/",
        f"/honours/{world[Honour].pk}/certificate.pdf",
        "/honours/tv/",
        "/honours/tv/slides.json",
        "/honours/feed.json",
        f"/verify/{world[Honour].certificate_number}/",
        "/activities/",
        f"/activities/{world[Activity].pk}/",
        f"/activities/{world['other activity'].pk}/",
        "/points/",
        f"/c/{world[Resident].household.building.grid.community.slug}/activities/",
        f"/c/{world[Resident].household.building.grid.community.slug}/points/",
        f"/volunteers/{world[Resident].pk}/",
        "/store/",
        f"/store/{world[StoreItem].pk}/",
        # One community's pages (/c/<slug>/): the same families as the street's, one page per community.
        *(f"/c/{world[Community].slug}/{page}" for page in ["", "mottos/", "honours/", "honours/tv/"]),
        f"/c/{world[Community].slug}/honours/tv/slides.json",
        f"/c/{world[Community].slug}/honours/feed.json",
    ]


def _read(response) -> str:
    """What a page says: its text, or a PDF's text as a reader extracts it."""
    if response["Content-Type"] == "application/pdf":
        from tests import paper

        return paper.text(response.content)
    return response.content.decode()


def _cached_patterns(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _cached_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "public_families"):
            yield prefix + str(pattern.pattern)


def _shows(model, row, url: str) -> bool:
    """Whether, by the registry, the page at ``url`` shows rows of ``model`` (for a per-object page: this row)."""
    whole, objects = set(), set()
    for shown in publiccache.watched()[model]:
        if shown is publiccache.NAMES:
            whole.update(family for family in publiccache.families() if family.shows_names)
        elif isinstance(shown, publiccache.Scoped):
            objects.add((shown.family, getattr(row, shown.attribute)))
        else:
            whole.add(shown)
    match = resolve(url)
    for shown in match.func.public_families:
        if isinstance(shown, publiccache.Scoped):
            if shown.family in whole or (shown.family, match.kwargs[shown.attribute]) in objects:
                return True
        elif shown in whole:
            return True
    return False


def _statements(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _rendered(client, url: str) -> bool:
    return _statements(client, url) > 0


def test_the_walk_covers_every_watched_model(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world = _world()
    assert set(publiccache.watched()) <= set(world), "give each watched model a row in _world()"


def test_the_walk_covers_every_cached_page(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world = _world()
    covered = {str(resolve(url).route) for url in _pages(world)}
    assert set(_cached_patterns()) == covered, "give each cached page a URL in _pages()"


def _on_my_page(model, row, world) -> bool:
    """Whether, by the registry, the world's member's own page (/me/) shows this row of ``model``."""
    mine = {MY_PAGE: world[Resident].pk, MY_HOUSEHOLD: world[Household].pk, MY_ACCOUNT: world["member"].pk}
    for shown in publiccache.watched()[model]:
        if shown is publiccache.NAMES or shown in mine:
            return True
        if isinstance(shown, publiccache.Scoped) and mine.get(shown.family) == getattr(row, shown.attribute):
            return True
    return False



@pytest.mark.parametrize("model", list(publiccache.watched()), ids=lambda model: model._meta.label)
def test_a_change_reaches_each_cached_page_that_shows_it_and_leaves_the_others_cached(
    client, django_capture_on_commit_callbacks, model
):
    with django_capture_on_commit_callbacks(execute=True):
        world = _world()
    pages = _pages(world)
    for url in pages:
        _rendered(client, url)
    assert not any(_rendered(client, url) for url in pages), "every page is served from the cache when warm"
    reader = Client()
    reader.force_login(world["member"])
    drawn = _statements(reader, "/me/")
    kept = _statements(reader, "/me/")
    assert kept < drawn and _statements(reader, "/me/") == kept, "my page is kept between its reader's requests"

    with django_capture_on_commit_callbacks(execute=True):
        row = _change(model, world)

    expected = {url for url in pages if _shows(model, row, url)}
    rendered = {url for url in pages if _rendered(client, url)}
    assert rendered == expected
    on_my_page = _on_my_page(model, row, world)
    assert (_statements(reader, "/me/") > kept) is on_my_page
    assert expected or on_my_page, f"{model.__name__} is watched but shown on no cached page"


def test_a_sign_up_refreshes_its_activity_and_the_lists_not_the_board_nor_other_activities(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        world = _world()
    activity, neighbour = world[Activity], ResidentFactory()  # not committed: refreshes nothing
    pages = _pages(world)
    for url in pages:
        _rendered(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        activity_services.sign_up(activity=activity, resident=neighbour)
    rendered = {url for url in pages if _rendered(client, url)}
    home = f"/c/{world[Community].slug}/"  # the community's home page shows its activities too
    community_list = f"/c/{world[Resident].household.building.grid.community.slug}/activities/"
    assert rendered == {"/", home, "/activities/", community_list, f"/activities/{activity.pk}/"}


def test_deleting_a_row_refreshes_the_pages_that_showed_it(client, django_capture_on_commit_callbacks):
    item = StoreItemFactory(name="环保袋")
    assert "环保袋" in client.get("/store/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        item.delete()
    assert "环保袋" not in client.get("/store/").content.decode()


def test_withdrawing_consent_reaches_every_cached_page_that_named_the_person(
    client, django_capture_on_commit_callbacks
):
    """The consent service writes with save(); anonymising an account writes with update() and says so."""
    from families.services import set_public_consent
    from project.privacy import delete_account

    with django_capture_on_commit_callbacks(execute=True):
        world = _world()
        resident = world[Resident]
        resident.full_name = "王公开"
        resident.save()
    named = [url for url in _pages(world) if "王公开" in _read(client.get(url))]
    assert {"/honours/", "/points/", f"/volunteers/{resident.pk}/"} <= set(named)
    assert f"/honours/{world[Honour].pk}/certificate.pdf" in named  # paper is a cached page too

    with django_capture_on_commit_callbacks(execute=True):
        set_public_consent(resident=resident, name_public=False, household_public=True, actor=world["organizer"])
    for url in named:
        response = client.get(url)
        assert "王公开" not in _read(response), url

    # Again, by deleting the account (QuerySet.update() inside): the name leaves every cached page too.
    with django_capture_on_commit_callbacks(execute=True):
        set_public_consent(resident=resident, name_public=True, household_public=True, actor=world["organizer"])
    assert "王公开" in client.get("/honours/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        delete_account(user=resident.user)
    assert "王公开" not in client.get("/honours/").content.decode()


def test_fragments_shared_with_signed_in_pages_follow_their_family(client, django_capture_on_commit_callbacks):
    from activities.freshness import LEADERBOARDS, STORE

    calls = []

    def render():
        calls.append(1)
        return f"board {len(calls)}"

    assert publiccache.cached_fragment("walk", LEADERBOARDS, render) == "board 1"
    publiccache.expire([STORE.version_key()])
    assert publiccache.cached_fragment("walk", LEADERBOARDS, render) == "board 1"
    with django_capture_on_commit_callbacks(execute=True):
        activity_services.record_entry(
            resident=ResidentFactory(), kind=LedgerEntry.Kind.AWARDED, amount=3, source="测试", idempotency_key="f:1"
        )
    assert publiccache.cached_fragment("walk", LEADERBOARDS, render) == "board 2"
