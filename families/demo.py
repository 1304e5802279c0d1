"""Demo data for the register: a believable community with Chinese names.

Deterministic (a fixed random seed) and idempotent: running it twice changes nothing.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .models import Building, Grid, Household, Profile, Resident
from .services import ensure_organizer_group

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed by seed_demo on purpose
GRIDS = ["第一网格", "第二网格", "第三网格", "第四网格"]
BUILDINGS = [
    "幸福里1号楼",
    "幸福里2号楼",
    "幸福里3号楼",
    "和平苑A座",
    "和平苑B座",
    "和平苑C座",
    "翠柳院",
    "银杏院",
    "春晖小区5号楼",
    "春晖小区6号楼",
    "长青里7号楼",
    "长青里8号楼",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "秀英",
    "桂英",
    "秀兰",
    "玉兰",
    "桂兰",
    "秀珍",
    "凤英",
    "建华",
    "建国",
    "建军",
    "志强",
    "志明",
    "国强",
    "国华",
    "文华",
    "丽华",
    "淑珍",
    "淑华",
    "玉珍",
    "海燕",
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀云",
    "霞",
    "平",
    "刚",
    "桂芳",
    "子涵",
    "欣怡",
    "浩然",
    "梓轩",
    "雨桐",
    "一诺",
    "宇航",
    "思远",
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _progress(stdout, label: str, done: int, total: int) -> None:
    if stdout is not None and total >= 2000 and (done % 2000 == 0 or done == total):
        stdout.write(f"  {label}: {done}/{total} ({done * 100 // total}%)")


def seed(stdout=None, *, households: int = 300) -> dict:
    """Create grids, buildings, households, residents and the demo accounts."""
    rng = random.Random(2026)
    User = get_user_model()
    with transaction.atomic():
        grids = [
            Grid.objects.get_or_create(name=name, defaults={"sort_order": i, "worker_name": _name(rng)})[0]
            for i, name in enumerate(GRIDS)
        ]
        buildings = [
            Building.objects.get_or_create(
                name=name, defaults={"grid": grids[i % len(grids)], "sort_order": i, "address": f"建设路{10 + i}号"}
            )[0]
            for i, name in enumerate(BUILDINGS)
        ]
    existing = set(Household.objects.values_list("building_id", "door_label"))
    new_households: list[Household] = []
    plan = []
    for index in range(households):
        building = buildings[index % len(buildings)]
        per_building = index // len(buildings)
        unit, floor, door = per_building // 40 + 1, (per_building // 4) % 10 + 1, per_building % 4 + 1
        door_label = f"{unit}单元{floor}0{door}"
        surname = SURNAMES[(index * 7) % len(SURNAMES)]
        plan.append((building, door_label, surname))
        if (building.pk, door_label) not in existing:
            new_households.append(
                Household(
                    building=building,
                    door_label=door_label,
                    display_name=f"{surname}家",
                    head_name=surname + rng.choice(GIVEN),
                    show_publicly=rng.random() < 0.8,
                    show_publicly_changed_at=timezone.now(),
                )
            )
    for start in range(0, len(new_households), 1000):
        with transaction.atomic():
            Household.objects.bulk_create(new_households[start : start + 1000])
        _progress(stdout, "households", min(start + 1000, len(new_households)), len(new_households))

    households_without_people = list(Household.objects.filter(residents__isnull=True).order_by("pk"))
    new_residents: list[Resident] = []
    now = timezone.now()
    for household in households_without_people:
        surname = household.display_name.rstrip("家") or "王"
        for _ in range(rng.choice([1, 2, 2, 3, 3, 4])):
            new_residents.append(
                Resident(
                    household=household,
                    full_name=surname + rng.choice(GIVEN),
                    phone=f"13{rng.randint(100000000, 999999999)}",
                    status=Resident.Status.VERIFIED,
                    verified_at=now,
                )
            )
    for start in range(0, len(new_residents), 2000):
        with transaction.atomic():
            Resident.objects.bulk_create(new_residents[start : start + 2000])
        _progress(stdout, "residents", min(start + 2000, len(new_residents)), len(new_residents))

    with transaction.atomic():
        group = ensure_organizer_group()
        organizer, created = User.objects.get_or_create(
            username="organizer", defaults={"email": "organizer@example.com"}
        )
        if created:
            organizer.set_password(DEMO_PASSWORD)
            organizer.save()
        organizer.groups.add(group)
        Profile.objects.get_or_create(user=organizer, defaults={"full_name": "刘网格"})
        first_households = list(Household.objects.order_by("pk")[:20])
        for number, household in enumerate(first_households, start=1):
            user, created = User.objects.get_or_create(username=f"resident{number}")
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            if Resident.objects.filter(user=user).exists():
                continue
            person = household.residents.filter(user__isnull=True).order_by("pk").first()
            person.user = user
            person.show_name_publicly = number % 3 != 0
            person.show_name_changed_at = now
            person.save(update_fields=["user", "show_name_publicly", "show_name_changed_at"])
            Profile.objects.get_or_create(user=user, defaults={"full_name": person.full_name})
    return {"organizer": organizer, "password": DEMO_PASSWORD}
