"""My page (/me/) is kept between a resident's requests and refreshed by the freshness registry.

Each test changes something the page shows, the way the site does (through the services), and reads the page
again: the change is there at once, another reader's change does not re-render it, and no reader is ever
given another's page. ``tests/project/test_freshness_walk.py`` walks every watched model over it too.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities import services as activity_services
from activities.models import LedgerEntry
from awards.models import VoteUnit
from awards.services import cast_vote
from families.models import Resident
from families.services import save_profile_name, set_public_consent
from project import publiccache
from tests.activities.factories import ActivityFactory, StoreItemFactory
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.factories import ResidentFactory

# Real commits: the registry refreshes pages once a write commits, as on the site.
pytestmark = pytest.mark.django_db(transaction=True)


def _me(user) -> Resident:
    return Resident.objects.verified().get(user=user)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client) -> tuple[str, int]:
    """My page's text and the statements it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/me/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def _kept(client) -> int:
    """Read the page twice; the second answer is the kept copy: return its statement count."""
    _page(client)
    return _page(client)[1]


def test_a_kept_page_runs_only_the_readers_own_statements(resident):
    client = _client(resident)
    first, rendered = _page(client)
    again, kept = _page(client)
    assert _without_tokens(again) == _without_tokens(first)  # the same page, but for each form's own token
    # The user (with the unread count) and the verified membership; the session, the versions and the page come
    # from the cache (a read each on the database cache, none on Redis); the panels' statements are not run.
    assert kept <= 2 < rendered


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _token(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


def test_a_sign_up_shows_at_once_and_another_readers_does_not_re_render_it(resident, neighbour):
    client, activity, theirs = _client(resident), ActivityFactory(title="清扫楼道"), ActivityFactory()
    kept = _kept(client)
    activity_services.sign_up(activity=theirs, resident=_me(neighbour))
    assert _page(client)[1] == kept  # a neighbour's sign-up is not on my page
    activity_services.sign_up(activity=activity, resident=_me(resident))
    html, ran = _page(client)
    assert "清扫楼道" in html and ran > kept


def test_points_and_an_activitys_new_title_show_at_once(resident):
    me = _me(resident)
    client, activity = _client(resident), ActivityFactory(title="旧名字")
    activity_services.sign_up(activity=activity, resident=me)
    _kept(client)
    activity_services.record_entry(
        resident=me, kind=LedgerEntry.Kind.AWARDED, amount=37, source="测试", idempotency_key="me:1"
    )
    assert "<strong>37</strong>" in _page(client)[0]
    activity.title = "新名字"
    activity.save()
    html = _page(client)[0]
    assert "新名字" in html and "旧名字" not in html


WAITING = "有 1 件兑换的物品在社区服务中心等您领取。"  # "1 item waits for you at the community centre."


def test_a_redemption_and_its_handing_over_show_at_once(resident, organizer):
    me = _me(resident)
    activity_services.record_entry(
        resident=me, kind=LedgerEntry.Kind.AWARDED, amount=10, source="测试", idempotency_key="me:2"
    )
    client, item = _client(resident), StoreItemFactory(price=4)
    assert WAITING not in _page(client)[0]
    _kept(client)
    redemption = activity_services.redeem(resident=me, item=item)
    html = _page(client)[0]
    assert WAITING in html and "<strong>6</strong>" in html
    activity_services.hand_over(redemption=redemption, actor=organizer)
    assert WAITING not in _page(client)[0]


def test_a_household_vote_cast_by_a_housemate_shows_on_my_page(resident, housemate):
    round = make_round("voting")
    entry = make_entry(round, vote_unit=VoteUnit.HOUSEHOLD)
    nomination = make_nomination(entry, target=ResidentFactory(full_name="李好人", show_name_publicly=True))
    client = _client(resident)
    kept = _kept(client)
    cast_vote(nomination=nomination, user=housemate)
    html, ran = _page(client)
    assert "李好人" in html and ran > kept


def _shows_my_name(html: str) -> bool:
    box = re.search(r'<input type="checkbox" name="show_name_publicly"[^>]*>', html).group(0)
    return " checked" in box


def test_my_details_and_my_choices_show_at_once(resident):
    client = _client(resident)
    _kept(client)
    save_profile_name(user=resident, full_name="张新名")
    assert 'value="张新名"' in _page(client)[0]
    me = _me(resident)
    before = _shows_my_name(_page(client)[0])
    set_public_consent(resident=me, name_public=not before, household_public=True, actor=resident)
    assert _shows_my_name(_page(client)[0]) is not before


def test_one_readers_page_never_reaches_another(resident, housemate, neighbour):
    """Abuse case: two people of one household, and a neighbour, read their pages in turn on one process."""
    save_profile_name(user=resident, full_name="甲某某")
    save_profile_name(user=housemate, full_name="乙某某")
    save_profile_name(user=neighbour, full_name="丙某某")
    clients = {name: _client(user) for name, user in [("甲", resident), ("乙", housemate), ("丙", neighbour)]}
    for _ in range(2):
        for name, client in clients.items():
            html = _page(client)[0]
            mine = {"甲": "甲某某", "乙": "乙某某", "丙": "丙某某"}
            assert mine[name] in html
            assert not any(other in html for key, other in mine.items() if key != name)


def test_the_kept_pages_form_carries_the_readers_own_token(resident):
    """The kept copy holds a stand-in token; each answer carries the reader's, and the form posts with it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    _kept(client)
    html = _page(client)[0]
    assert "chrome-csrf-token" not in html
    response = client.post(
        "/me/", {"csrfmiddlewaretoken": _token(html), "full_name": "王用令牌"}, HTTP_REFERER="http://testserver/me/"
    )
    assert response.status_code == 302
    assert 'value="王用令牌"' in _page(client)[0]


def _kept_for(client, monkeypatch) -> list[int]:
    """Read my page afresh and return the lifetimes it was kept for."""
    kept, set_ = [], publiccache.cache.set

    def spy(key, value, timeout=None, **kwargs):
        if key.startswith("personal:"):
            kept.append(timeout)
        return set_(key, value, timeout, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(publiccache.cache, "set", spy)
        _page(client)
    return kept


def test_an_activity_that_ends_leaves_the_list_without_any_write(resident, monkeypatch):
    """The kept copy lives no longer than the first listed activity runs: then the page is drawn again."""
    client = _client(resident)
    assert _kept_for(client, monkeypatch) == [publiccache.DEFAULT_TIMEOUT]
    now = timezone.now()
    ends = now + timedelta(seconds=90)
    activity = ActivityFactory(title="傍晚巡逻", starts_at=now + timedelta(seconds=30), ends_at=ends)
    activity_services.sign_up(activity=activity, resident=_me(resident))
    (lifetime,) = _kept_for(client, monkeypatch)
    assert 0 < lifetime <= (ends - now).total_seconds() + 1


def test_a_resident_without_a_household_is_drawn_each_time(newcomer_client):
    """Only a verified resident's page is kept; a newcomer's shows the join link every time."""
    first, ran = _page(newcomer_client)
    again, ran_again = _page(newcomer_client)
    assert "/join/" in first and ran_again == ran


def test_an_ended_activity_leaves_my_page_in_every_process(resident, monkeypatch):
    """Once the first listed activity has ended, no copy of the kept page is served: neither this process's nor
    the shared one (whose deadline travels with it)."""
    now = timezone.now()
    activity = ActivityFactory(title="午后巡逻", starts_at=now + timedelta(seconds=30), ends_at=now + timedelta(seconds=90))
    activity_services.sign_up(activity=activity, resident=_me(resident))
    client = _client(resident)
    kept = _kept(client)
    assert "午后巡逻" in _page(client)[0]

    real = publiccache.time

    class Later:
        """The clocks two minutes on."""

        time = staticmethod(lambda: now.timestamp() + 120)
        time_ns = staticmethod(lambda: real.time_ns() + 120 * 10**9)
        monotonic = staticmethod(lambda: real.monotonic() + 120)

    monkeypatch.setattr(publiccache, "time", Later)
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(seconds=120))
    html, ran = _page(client)  # this process's copy has lapsed, and so has the shared one it came from
    assert "午后巡逻" not in html and ran > kept
