"""Demo volunteering: past and upcoming activities, confirmed hours, points, star volunteers and the stores.

The street shows both levels: activities hosted by the street office and by each community (some of the
communities' open to the whole street), the street's store and a store per community. A volunteer only ever
signs up within an activity's reach (``Activity.open_to``).

Points are written only through the services (confirmations, redemptions), so
``verify_ledger`` passes on demo data. Idempotent: if the demo activities are
already there, nothing is written. Deterministic (a fixed random seed).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from families.models import Community, Resident
from project import registry

from . import services
from .models import Activity, ActivityType, CorrectionRequest, Signup, StoreItem

MARKER = "【示例】"
# The types the first migration adds; created again here if someone removed them.
DEFAULT_TYPES = [
    ("环境整治", "Environment clean-up"),
    ("助老", "Elder care"),
    ("文明劝导", "Civility patrol"),
    ("便民服务", "Neighbourhood services"),
]
PAST_ACTIVITIES = 80
# Stars come from cumulative hours (100/300/600 by default): full-day (8-hour) activities attended.
STAR_VOLUNTEERS = {3: 76, 2: 38, 1: 13}
TITLES = {
    "环境整治": ["楼道杂物清理", "小区绿地捡拾垃圾", "共享单车整理", "垃圾分类宣传值守"],
    "助老": ["探望独居老人", "为老人理发", "陪老人读报聊天", "助老送餐"],
    "文明劝导": ["路口文明交通劝导", "文明养犬宣传", "公园文明游园劝导"],
    "便民服务": ["义务磨刀修伞", "家电义务维修", "手机使用小课堂", "义诊量血压"],
}
PLACES = ["社区服务中心", "幸福里小广场", "和平苑南门", "翠柳院活动室", "长青里路口", "春晖小区凉亭"]
STORE_ITEMS = [
    ("洗衣液 2kg", "家用洗衣液一桶。", 120, 20),
    ("食用油 1.8L", "非转基因压榨花生油。", 200, 10),
    ("抽纸 6包", "三层抽纸，一提六包。", 60, 40),
    ("理发服务一次", "社区服务中心周三上午义务理发。", 30, 15),
    ("环保购物袋", "可折叠帆布袋。", 20, 50),
    ("家政保洁两小时", "合作家政公司上门保洁。", 400, 3),
]
# Each community's own store (its residents redeem there and in the street's): "%s" is the community's name.
COMMUNITY_STORE_ITEMS = [
    ("鸡蛋一盒", "社区合作菜店的新鲜鸡蛋，十枚装，到%s服务站领取。", 50, 30),
    ("活动室借用两小时", "%s活动室，可办家庭聚会、兴趣小组。", 80, 8),
]


COLOURS = ["#b3261e", "#1d6b2f", "#7a5600", "#0b57d0", "#6a1b9a", "#00695c"]
FONTS = ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"]


def _item_photo(name: str, colour: str) -> str:
    """A simple picture for a demo item (its first character on a coloured card), stored like an upload."""
    from PIL import Image, ImageDraw, ImageFont

    from project.images import CleanPhoto, store_photo

    image = Image.new("RGB", (640, 480), colour)
    draw = ImageDraw.Draw(image)
    font = None
    for path in FONTS:
        try:
            font = ImageFont.truetype(path, 260)
            break
        except OSError:
            continue
    if font is not None:
        draw.text((320, 240), name[0], fill="white", font=font, anchor="mm")
    return store_photo(CleanPhoto(image=image), folder="activities/store")


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def seed(stdout=None, *, households: int = 300) -> dict:
    if Activity.objects.filter(title__startswith=MARKER).exists():
        return {}
    rng = random.Random(5)
    organizer = get_user_model().objects.filter(username="organizer").first()
    people = list(Resident.objects.verified().select_related("user", "household__building__grid").order_by("pk")[:80])
    if len(people) < 30 or organizer is None:
        return {}
    communities = list(Community.objects.order_by("sort_order", "pk"))
    hosts = [None, *communities]  # the street office, then each community in turn
    home = {person.pk: person.household.building.grid.community_id for person in people}
    with_accounts = [person for person in people if person.user_id]
    stars = {}
    # resident2, resident3 and resident5 become 3-, 2- and 1-star volunteers.
    for stars_wanted, person in zip(STAR_VOLUNTEERS, [with_accounts[i] for i in (1, 2, 4)], strict=False):
        stars[person.pk] = STAR_VOLUNTEERS[stars_wanted]
    others = [person for person in people if person.pk not in stars]
    types = {
        name: ActivityType.objects.get_or_create(name=name, defaults={"name_en": name_en, "sort_order": order})[0]
        for order, (name, name_en) in enumerate(DEFAULT_TYPES)
    }
    type_names = [name for name in TITLES if name in types]
    today = timezone.localdate()
    with transaction.atomic():
        # History: one full-day activity every fourth day.
        for index in range(PAST_ACTIVITIES):
            day = today - timedelta(days=3 + 4 * index)
            type_name = type_names[index % len(type_names)]
            host = hosts[index % len(hosts)]
            neighbours = [person for person in others if host is None or home[person.pk] == host.pk] or others
            volunteers = [pk for pk, attended in stars.items() if index < attended]
            volunteers += [person.pk for person in rng.sample(neighbours, 1 + index % 2)]
            activity = Activity.objects.create(
                community=host,
                # A community's activity with volunteers from elsewhere was open to the whole street.
                open_to_street=host is not None and any(home[pk] != host.pk for pk in volunteers),
                type=types[type_name],
                title=f"{MARKER}{rng.choice(TITLES[type_name])}",
                description="社区学雷锋志愿服务。",
                place=rng.choice(PLACES),
                starts_at=_at(day, 8),
                ends_at=_at(day, 16),
                signup_deadline=_at(day - timedelta(days=1), 20),
                capacity=20,
                points_per_hour=10,
                created_by=organizer,
            )
            for resident_id in volunteers:
                signup = Signup.objects.create(
                    activity=activity,
                    resident_id=resident_id,
                    created_at=activity.signup_deadline - timedelta(days=2),
                    attendance=Signup.Attendance.PRESENT,
                    checked_in_at=activity.starts_at - timedelta(minutes=rng.randint(0, 20)),
                    checked_out_at=activity.ends_at + timedelta(minutes=rng.randint(0, 20)),
                )
                services.confirm_hours(signup=signup, actor=organizer, at=activity.ends_at + timedelta(hours=2))
        # Yesterday: attendance recorded, hours waiting for the organizer, one no-show, one correction.
        yesterday = today - timedelta(days=1)
        recent = Activity.objects.create(
            type=types["助老"],
            title=f"{MARKER}重阳节探望高龄老人",
            description="每组两人，带上慰问品，陪老人聊聊天。",
            place="社区服务中心集合",
            starts_at=_at(yesterday, 9),
            ends_at=_at(yesterday, 12),
            signup_deadline=_at(yesterday, 8),
            capacity=10,
            points_per_hour=15,
            created_by=organizer,
        )
        for number, person in enumerate(with_accounts[:6]):
            signup = Signup.objects.create(
                activity=recent, resident=person, created_at=recent.signup_deadline - timedelta(days=3)
            )
            if number == 5:
                signup.attendance = Signup.Attendance.NO_SHOW
            else:
                signup.attendance = Signup.Attendance.PRESENT
                # The first volunteer's phone had no signal at 09:00: the check-in says 09:50 (see the correction).
                signup.checked_in_at = recent.starts_at + timedelta(minutes=50 if number == 0 else 5 * number)
                signup.checked_out_at = recent.ends_at - timedelta(minutes=10 * number)
            signup.save()
            if number == 0:
                CorrectionRequest.objects.create(
                    signup=signup, requested_half_hours=6, reason="我八点五十就到了，签到时手机没信号。"
                )
        # Today, under way: volunteers check in with the code or the QR code.
        now = timezone.now()
        live = Activity.objects.create(
            community=hosts[1] if len(hosts) > 1 else None,
            open_to_street=True,
            type=types["环境整治"],
            title=f"{MARKER}小区大扫除",
            description="清理楼道杂物和绿地垃圾。手套、垃圾袋由社区提供。",
            place="幸福里小广场",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=3),
            signup_deadline=now - timedelta(hours=2),
            capacity=15,
            points_per_hour=10,
            created_by=organizer,
        )
        for person in with_accounts[:5]:
            Signup.objects.create(activity=live, resident=person, created_at=now - timedelta(days=1))
        services.recount_signups()  # the sign-ups above were made around sign_up(): count them onto their rows
        # Upcoming: some with places, one full with a waiting list.
        upcoming = []
        for index in range(8):
            day = today + timedelta(days=2 + 2 * index)
            type_name = type_names[index % len(type_names)]
            capacity = 3 if index == 1 else rng.choice([8, 10, 12, 20])
            # The first two are open to everyone (residents of every community sign up below); then in turn.
            host = hosts[index % len(hosts)] if index != 1 else hosts[min(1, len(hosts) - 1)]
            upcoming.append(
                Activity.objects.create(
                    community=host,
                    open_to_street=host is not None and index % 2 == 1,
                    type=types[type_name],
                    title=f"{MARKER}{rng.choice(TITLES[type_name])}",
                    description="欢迎居民报名参加，老少皆宜。",
                    place=rng.choice(PLACES),
                    starts_at=_at(day, 9 if index % 2 else 14),
                    ends_at=_at(day, 11 if index % 2 else 17),
                    signup_deadline=_at(day - timedelta(days=1), 20),
                    capacity=capacity,
                    points_per_hour=rng.choice([10, 10, 15, 20]),
                    created_by=organizer,
                )
            )
        for person in with_accounts[:5]:
            services.sign_up(activity=upcoming[1], resident=person)  # 3 places: two go on the waiting list
        for person in with_accounts[5:12]:
            services.sign_up(activity=upcoming[0], resident=person)
        # The store, and a redemption waiting to be collected and one handed over.
        items = [
            StoreItem.objects.create(
                name=name,
                description=description,
                price=price,
                stock=stock,
                sort_order=order,
                photo=_item_photo(name, COLOURS[order % len(COLOURS)]),
            )
            for order, (name, description, price, stock) in enumerate(STORE_ITEMS)
        ]
        for number, community in enumerate(communities):
            for order, (name, description, price, stock) in enumerate(COMMUNITY_STORE_ITEMS):
                StoreItem.objects.create(
                    community=community,
                    name=name,
                    description=description % community.name,
                    price=price,
                    stock=stock,
                    sort_order=order,
                    photo=_item_photo(name, COLOURS[(number + order + 1) % len(COLOURS)]),
                )
        star_people = [person for person in with_accounts if person.pk in stars]
        services.redeem(resident=star_people[0], item=items[0])
        handed = services.redeem(resident=star_people[1], item=items[2])
        services.hand_over(redemption=handed, actor=organizer)
    if stdout is not None:
        stdout.write(f"  activities: {Activity.objects.count()}, ledger lines: {services.LedgerEntry.objects.count()}")
    return {}


registry.demo(seed, after=("families",))
