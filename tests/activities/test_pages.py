"""Lists, filters, the calendar file, organizer forms, panels and the /me/ panel."""

from __future__ import annotations

from datetime import timedelta
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import ics, services
from activities.models import Activity, ActivityType, Signup
from project import publiccache
from project.models import AuditEntry
from tests.factories import CommunityFactory, ResidentFactory
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

from .factories import ActivityFactory, activity_type, finished_activity, present

pytestmark = pytest.mark.django_db


def _count(client, url):
    publiccache.expire_all()  # measure the page, not the anonymous page cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["client", "resident_client"])
def test_activity_list_query_count_does_not_grow(request, who, member, django_assert_num_queries):
    client = request.getfixturevalue(who)
    url = reverse("activities:list")
    ActivityFactory()
    small = _count(client, url)
    for _ in range(15):
        activity = ActivityFactory()
        services.sign_up(activity=activity, resident=ResidentFactory())
        services.sign_up(activity=activity, resident=member)
    assert _count(client, url) == small


def test_a_warm_list_builds_no_query_of_the_activities(resident_client, member, monkeypatch):
    """Served from its shared parts, the signed-in list neither runs nor builds the list's queryset (building
    the filter's queryset was a sixth of the page's time): only the reader's own sign-ups are read."""
    for _ in range(3):
        services.sign_up(activity=ActivityFactory(), resident=member)
    warm = resident_client.get(reverse("activities:list")).content.decode()

    def refuse(*args, **kwargs):
        raise AssertionError("the list's queryset was built for a page served from shared parts")

    monkeypatch.setattr(Activity.objects, "for_list", refuse)
    again = resident_client.get(reverse("activities:list")).content.decode()
    assert again.count('<span class="badge ok">✓') == warm.count('<span class="badge ok">✓') == 3


@pytest.fixture
def cache_off(settings, monkeypatch):
    """The bench's cache-miss figure (bench/settings.py): a cache that keeps nothing and no process-local copies."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    monkeypatch.setattr(publiccache, "LOCAL_PAGES", 0)


def test_a_visitors_list_on_a_cache_miss_reads_three_queries_whatever_the_size(client, cache_off):
    # The count, the page's activities with their type and community, the filter links' types.
    url = reverse("activities:list")
    ActivityFactory()
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    assert len(small) == 3
    for _ in range(25):
        activity = ActivityFactory(community=CommunityFactory(), open_to_street=True)
        services.sign_up(activity=activity, resident=ResidentFactory())
    with CaptureQueriesContext(connection) as large:
        assert "楼道清理" in client.get(url).content.decode()
    assert len(large) == 3


def test_a_card_says_when_where_who_hosts_and_what_is_left_in_both_languages(client, cache_off):
    from django.conf import settings

    starts = timezone.now().replace(microsecond=0) + timedelta(days=2)
    east = CommunityFactory(name="东社区", slug="east")
    activity = ActivityFactory(
        title="楼道清理 <一>", community=east, open_to_street=True, capacity=3, points_per_hour=15, starts_at=starts
    )
    ActivityFactory(community=east, title="东社区内部")
    services.sign_up(activity=activity, resident=ResidentFactory())
    full = ActivityFactory(title="满员", capacity=1, starts_in=timedelta(days=3))
    services.sign_up(activity=full, resident=ResidentFactory())
    local = timezone.localtime(starts)
    zh = client.get(reverse("activities:list")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = client.get(reverse("activities:list")).content.decode()
    for page in (zh, en):
        assert f'<a href="{reverse("activities:detail", args=[activity.pk])}">楼道清理 &lt;一&gt;</a>' in page
        assert f'<time datetime="{local.isoformat()}">{local:%Y-%m-%d %H:%M}</time>–' in page
        assert f"–{local + timedelta(hours=3):%H:%M} · 社区服务中心" in page
        assert local.isoformat().endswith("+08:00")  # shown in Asia/Shanghai
    assert "东社区主办 · 面向全街道开放" in zh and "Hosted by 东社区 · open to the whole street" in en
    assert "东社区主办 · 仅限东社区居民" in zh and "Hosted by 东社区 · for residents of 东社区" in en
    assert "街道办事处主办 · 面向全体居民" in zh and "Hosted by the street office · open to all" in en
    assert '<span class="badge ok">还剩 2 个名额</span>' in zh and '<span class="badge ok">2 places left</span>' in en
    assert (
        '<span class="badge warn">已满，可候补</span>' in zh
        and '<span class="badge warn">Full: waiting list</span>' in en
    )
    assert "每小时 15 积分" in zh and "15 points per hour" in en
    assert "环境整治" in zh and "Environment clean-up" in en


def test_a_past_activity_card_says_it_is_finished(client, cache_off):
    finished_activity(title="昨天的清扫")
    page = client.get(reverse("activities:list") + "?when=past").content.decode()
    assert "昨天的清扫" in page and '<span class="badge">已结束</span>' in page


def test_organizer_list_query_count_does_not_grow(organizer_client):
    url = reverse("activities:organize_activities")
    ActivityFactory()
    small = _count(organizer_client, url)
    for _ in range(12):
        Signup.objects.create(activity=ActivityFactory(), resident=ResidentFactory())
    assert _count(organizer_client, url) == small


def test_list_filters_by_type_day_and_open_places(client):
    elder = activity_type("助老")
    full = ActivityFactory(title="满员的活动", capacity=1)
    services.sign_up(activity=full, resident=ResidentFactory())
    ActivityFactory(title="助老探访", type=elder, starts_in=timedelta(days=5))
    finished_activity(title="已经结束的活动")
    page = client.get(reverse("activities:list")).content.decode()
    assert "满员的活动" in page and "助老探访" in page and "已经结束的活动" not in page
    page = client.get(reverse("activities:list"), {"type": elder.pk}).content.decode()
    assert "助老探访" in page and "满员的活动" not in page
    page = client.get(reverse("activities:list"), {"open": "true"}).content.decode()
    assert "助老探访" in page and "满员的活动" not in page
    day = timezone.localtime(timezone.now() + timedelta(days=5)).date()
    page = client.get(reverse("activities:list"), {"day": day.isoformat()}).content.decode()
    assert "助老探访" in page and "满员的活动" not in page
    page = client.get(reverse("activities:list"), {"when": "past"}).content.decode()
    assert "已经结束的活动" in page and "助老探访" not in page


def test_bad_filter_values_do_not_break_the_list(client):
    ActivityFactory(title="照常显示")
    for params in ({"type": "x"}, {"day": "2026-13-45"}, {"page": "999"}, {"when": "never"}):
        response = client.get(reverse("activities:list"), params)
        assert response.status_code == 200


def test_anonymous_activity_pages_carry_no_form(client):
    activity = ActivityFactory()
    for url in (reverse("activities:list"), reverse("activities:detail", args=[activity.pk]), reverse("home")):
        assert "<form" not in client.get(url).content.decode()


def test_calendar_file_lists_my_sign_ups_in_utc_and_escaped(resident_client, member):
    activity = ActivityFactory(title="清理, 楼道; 第1次", place="3号楼\\大厅")
    services.sign_up(activity=activity, resident=member)
    ActivityFactory(title="别人的活动")
    response = resident_client.get(reverse("activities:calendar"))
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:清理\\, 楼道\\; 第1次" in text.replace("\r\n ", "")
    assert "LOCATION:3号楼\\\\大厅" in text.replace("\r\n ", "")
    assert f"DTSTART:{activity.starts_at.astimezone(dt_timezone.utc):%Y%m%dT%H%M%S}Z" in text
    assert "别人的活动" not in text


def test_calendar_lines_fold_at_75_octets():
    folded = ics.fold("DESCRIPTION:" + "志愿" * 60)
    assert all(len(line.encode()) <= 75 for line in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "DESCRIPTION:" + "志愿" * 60


def test_organizer_creates_an_activity_on_the_record(organizer_client, organizer):
    start = timezone.localtime(timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)
    data = {
        "title": "文明养犬宣传",
        "type": activity_type("文明劝导").pk,
        "description": "",
        "place": "小广场",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "signup_deadline": (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": "12",
        "points_per_hour": "10",
    }
    response = organizer_client.post(
        reverse("activities:organize_new"), data | token(organizer, "activities.activity_new")
    )
    activity = Activity.objects.get()
    assert response.status_code == 302 and activity.created_by.username == "organizer"
    assert AuditEntry.objects.filter(action="activities.activity_created").exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"ends_hours": -1}, "ends_at"),
        ({"capacity": "0"}, "capacity"),
        ({"deadline_hours": 1}, "signup_deadline"),
        ({"points_per_hour": "-1"}, "points_per_hour"),
        ({"points_per_hour": "101"}, "points_per_hour"),
        ({"capacity": "100000"}, "capacity"),
    ],
)
def test_organizer_activity_form_refuses_bad_values(organizer_client, organizer, change, field):
    start = timezone.localtime(timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)
    data = {
        "title": "x",
        "type": activity_type().pk,
        "place": "y",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=change.get("ends_hours", 2))).strftime("%Y-%m-%dT%H:%M"),
        "signup_deadline": (start + timedelta(hours=change.get("deadline_hours", -24))).strftime("%Y-%m-%dT%H:%M"),
        "capacity": change.get("capacity", "10"),
        "points_per_hour": change.get("points_per_hour", "10"),
    }
    before = row_counts()
    response = organizer_client.post(
        reverse("activities:organize_new"), data | token(organizer, "activities.activity_new")
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert row_counts() == before and not Activity.objects.exists()


def test_residents_cannot_reach_the_organizer_pages(resident_client):
    for name in ("organize_activities", "organize_new", "organize_types", "organize_store", "organize_exports"):
        assert resident_client.get(reverse(f"activities:{name}")).status_code == 403


def test_organizer_adds_an_activity_type(organizer_client, organizer):
    organizer_client.post(
        reverse("activities:organize_types"),
        {"name": "垃圾分类", "name_en": "Waste sorting", "sort_order": "9", **token(organizer, "activities.type_new")},
    )
    assert ActivityType.objects.filter(name="垃圾分类").exists()


def test_home_panel_shows_upcoming_activities_or_explains(client):
    page = client.get("/").content.decode()
    assert "暂无可报名的活动。" in page
    ActivityFactory(title="下周的清扫")
    publiccache.expire_all()  # the home page is cached for visitors; a real sign-up refreshes it on commit
    assert "下周的清扫" in client.get("/").content.decode()


def test_organizer_panel_counts_what_waits(organizer_client, member):
    present(finished_activity(), member)
    page = organizer_client.get(reverse("organize")).content.decode()
    assert reverse("activities:organize_corrections") in page and reverse("activities:organize_store") in page


def test_me_panel_shows_hours_points_and_stars(resident_client, member, organizer, settings):
    settings.ACTIVITIES_STAR_THRESHOLDS = (2, 300, 600, 1000, 1500)
    services.confirm_hours(signup=present(finished_activity(hours=3), member), actor=organizer)
    page = resident_client.get(reverse("families:me")).content.decode()
    assert "★" in page and "30" in page


def test_walk_in_volunteer_is_added_by_phone(organizer_client, organizer):
    activity = finished_activity()
    person = ResidentFactory(phone="+8613900001111")  # the register stores E.164
    url = reverse("activities:organize_walk_in", args=[activity.pk])
    organizer_client.post(url, {"phone": "139 0000 1111", **token(organizer, "activities.walk_in")})
    assert Signup.objects.filter(activity=activity, resident=person, status="confirmed").exists()
    organizer_client.post(url, {"phone": "1", **token(organizer, "activities.walk_in")})
    assert Signup.objects.count() == 1


def test_pages_speak_english_when_asked(client, resident_client, member):
    from django.conf import settings

    activity = ActivityFactory(title="Stairwell clean-up")
    for c in (client, resident_client):
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Volunteer activities" in client.get(reverse("activities:list")).content.decode()
    assert "Points board" in client.get(reverse("activities:leaderboard")).content.decode()
    page = resident_client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "Sign up" in page and "报名" not in page
    assert "My points" in resident_client.get(reverse("activities:my_points")).content.decode()


@pytest.mark.parametrize(
    "client_name, url_name",
    [
        ("client", "activities:store"),
        ("resident_client", "activities:my_points"),
        ("resident_client", "activities:mine"),
        ("resident_client", "activities:my_redemptions"),
        ("organizer_client", "activities:organize_store"),
        ("organizer_client", "activities:organize_corrections"),
    ],
)
def test_other_lists_keep_their_query_count(
    request, client_name, url_name, member, organizer, django_assert_num_queries
):
    from activities.models import StoreItem

    client = request.getfixturevalue(client_name)
    url = reverse(url_name)

    def grow(n):
        for _ in range(n):
            item = StoreItem.objects.create(name="抽纸", price=1, stock=5)
            services.award_points(resident=member, amount=5, reason="测试", actor=organizer)
            services.redeem(resident=member, item=item)
            signup = present(finished_activity(), member)
            services.request_correction(signup=signup, resident=member, half_hours=4, reason="x")

    grow(1)
    small = _count(client, url)
    grow(4)
    publiccache.expire_all()
    with django_assert_num_queries(small):
        client.get(url)


def test_attendance_sheet_keeps_its_query_count(organizer_client, django_assert_num_queries):
    activity = finished_activity(capacity=50)
    present(activity, ResidentFactory())
    url = reverse("activities:organize_sheet", args=[activity.pk])
    small = _count(organizer_client, url)
    for _ in range(6):
        present(activity, ResidentFactory())
    with django_assert_num_queries(small):
        organizer_client.get(url)


def test_calendar_marks_waiting_list_and_called_off_activities(resident_client, member):
    full = ActivityFactory(capacity=1)
    services.sign_up(activity=full, resident=ResidentFactory())
    services.sign_up(activity=full, resident=member)
    off = ActivityFactory(title="取消的活动")
    services.sign_up(activity=off, resident=member)
    services.call_off_activity(activity=off, actor=None, reason="下雨")
    text = resident_client.get(reverse("activities:calendar")).content.decode()
    assert "STATUS:TENTATIVE" in text and "STATUS:CANCELLED" in text


def test_organizer_finds_a_volunteer_by_name_or_phone(organizer_client, resident_client):
    person = ResidentFactory(full_name="孙桂兰", phone="+8613700001234")
    for q in ("桂兰", "0001234"):
        page = organizer_client.get(reverse("activities:organize_volunteers"), {"q": q}).content.decode()
        assert reverse("activities:organize_record", args=[person.pk]) in page
    assert resident_client.get(reverse("activities:organize_volunteers"), {"q": "桂兰"}).status_code == 403


def test_volunteer_search_keeps_its_query_count(organizer_client, organizer, django_assert_num_queries):
    url = reverse("activities:organize_volunteers") + "?q=桂"

    def grow(n):
        for _ in range(n):
            person = ResidentFactory(full_name="孙桂英")
            services.award_points(resident=person, amount=3, reason="测试", actor=organizer)

    grow(1)
    small = _count(organizer_client, url)
    grow(5)
    with django_assert_num_queries(small):
        organizer_client.get(url)


def test_the_shared_filter_links_follow_the_filter_and_a_new_type(resident_client, django_capture_on_commit_callbacks):
    ActivityFactory()
    kind = activity_type("环境整治")
    plain = resident_client.get("/activities/").content.decode()
    filtered = resident_client.get(f"/activities/?type={kind.pk}").content.decode()
    assert f'href="?type={kind.pk}" aria-current="true"' not in plain
    assert f'href="?type={kind.pk}" aria-current="true"' in filtered  # each filter its own shared copy
    with django_capture_on_commit_callbacks(execute=True):
        ActivityType.objects.create(name="垃圾分类宣传", name_en="Recycling talks")
    assert "垃圾分类宣传" in resident_client.get("/activities/").content.decode()  # a new type refreshes them


def test_each_filter_link_keeps_the_filters_that_still_make_sense(client, cache_off):
    from django.conf import settings

    ActivityFactory()
    elder, clean = activity_type("助老"), activity_type("环境整治")
    today = timezone.localdate()
    page = client.get(f"/activities/?type={elder.pk}&when=past&open=true").content.decode()
    assert '<a class="chip" href="?when=past" aria-current="true">' in page
    assert '<a class="chip" href="?">' in page  # upcoming
    assert '<a class="chip" href="?when=past">' in page  # all types, still the past
    assert f'<a class="chip" href="?type={clean.pk}&amp;when=past&amp;open=true">环境整治</a>' in page
    assert f'<a class="chip" href="?type={elder.pk}&amp;when=past&amp;open=true" aria-current="true">助老</a>' in page
    assert f'<a class="chip" href="?day={today:%Y-%m-%d}&amp;type={elder.pk}">{today.month}/{today.day} ' in page
    assert f'<a class="chip" href="?type={elder.pk}" aria-current="true">只看还有名额的</a>' in page  # takes it off
    day = today + timedelta(days=2)
    weekday = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"][day.weekday()]
    page = client.get(f"/activities/?day={day:%Y-%m-%d}").content.decode()
    assert f'<a class="chip" href="?day={day:%Y-%m-%d}" aria-current="true">{day.month}/{day.day} {weekday}</a>' in page
    assert '<a class="chip" href="?">即将开始</a>' in page  # a day is not "upcoming"
    assert '<a class="chip" href="?open=true">只看还有名额的</a>' in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/activities/?day={day:%Y-%m-%d}").content.decode()
    assert f'aria-current="true">{day.month}/{day.day} {day:%a}</a>' in page
